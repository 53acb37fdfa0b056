"""The problems the checks pose, and the slips a loop through time can make.

Random problems whose sizes n_x, n_a, n_y, m all differ, so that a missing
transpose cannot hide; the reference's first step; and, for a student's
back-propagation through time, the wrong loops (a step shifted, the order
reversed, a state not carried) that :func:`_check_sequence_grads` recognises.
"""

import numpy as np

from .. import gru, lstm, rnn
from ..gradcheck import random_problem
from ..loss import softmax_cross_entropy_backward
from ._calling import _call
from ._reports import _diagnose, _fail, check_grads, check_grads_ok, step_report


def random_sizes(seed):
    """Sizes of one random problem: n_x, n_a, n_y, m all different, T_x in 2..4."""
    rng = np.random.default_rng(seed)
    n_x, n_a, n_y, m = (int(v) for v in rng.permutation([2, 3, 4, 5, 6])[:4])
    return {"n_x": n_x, "n_a": n_a, "n_y": n_y, "m": m, "T_x": int(rng.integers(2, 5))}


def _problem(module, seed, **override):
    """Random parameters (non-zero biases), x (n_x, m, T_x), a0 (n_a, m) and one-hot y."""
    return random_problem(module, **{**random_sizes(seed), **override}, seed=1000 + seed)


def _ref_step(params, x, a0, c0=None):
    c0 = np.zeros_like(a0) if c0 is None else c0
    return lstm.lstm_cell_forward(x[:, :, 0], a0, c0, params)


def _bptt_with(module, y, caches, order, carry=("a", "c")):
    """Back-propagation through time visiting the steps in ``order`` and passing back to the step
    before only what ``carry`` names: the reference with one of the usual loop slips in it."""
    steps, p = caches["steps"], caches["params"]
    n_a, m = steps[0]["a"].shape
    grads = {"d" + name: np.zeros_like(value) for name, value in p.items()}
    grads["dx"] = np.zeros((steps[0]["x"].shape[0], m, len(steps)))
    da_next, dc_next = np.zeros((n_a, m)), np.zeros((n_a, m))
    for t in order:
        k = steps[t]
        dz_y = softmax_cross_entropy_backward(k["y_hat"], y[:, :, t])
        grads["dW_ya"] += k["a"] @ dz_y.T
        grads["db_y"] += np.sum(dz_y, axis=1, keepdims=True)
        da = p["W_ya"] @ dz_y + (da_next if "a" in carry else 0.0)
        if module is lstm:
            step = lstm.lstm_cell_backward(da, dc_next if "c" in carry else 0.0 * dc_next, k)
            dc_next = step["dc_prev"]
        elif module is gru:
            step = gru.gru_cell_backward(da, k)
        else:
            step = rnn.rnn_cell_backward(da, k)
        for name, value in step.items():
            if name.startswith(("dW_", "db_")):
                grads[name] += value
        grads["dx"][:, :, t] = step["dx"]
        da_next = step["da_prev"]
    grads["da0"] = da_next
    return grads


def _loop_slips(module, T):
    """(visiting order, what is carried back, message) for the usual slips of a loop over time."""
    back = list(reversed(range(T)))
    slips = [
        (
            back[1:],
            ("a", "c"),
            (
                f"your loop over time never visits the last step (time index T_x − 1 = {T - 1}): "
                "dx[:, :, -1] stays zero and that step's gradients are missing; "
                "reversed(range(T_x)) "
                "starts at T_x − 1"
            ),
        ),
        (
            back[:-1],
            ("a", "c"),
            (
                "your loop over time never visits the first step (time index 0): dx[:, :, 0] "
                "stays zero, "
                "the weight gradients miss its term, and da0 must be the da_prev of step index 0; "
                "reversed(range(T_x)) ends at 0"
            ),
        ),
        (
            list(range(T)),
            ("a", "c"),
            (
                "your loop runs forward in time (t = 0, 1, …): back-propagation goes from the "
                "last step "
                "to the first, reversed(range(T_x)), so that step t can add what step t+1 sends "
                "back"
            ),
        ),
        (
            back,
            ("c",),
            (
                "your gradients are right for a single time step but off over several: ∂J/∂a⟨t⟩ "
                "misses the part that step t+1 sends back: at each step "
                "da = W_ya dz_y + (da_prev of the step after), not W_ya dz_y alone (the t+1 "
                "component)"
            ),
        ),
    ]
    if module is lstm:
        slips.append(
            (
                back,
                ("a",),
                (
                    "your gradients are right for a single time step but off over several: "
                    "∂J/∂c⟨t⟩ misses the part that step t+1 sends back: pass the dc_prev of the "
                    "step after as this step's dc_next (zeros only at the last step)"
                ),
            )
        )
    return slips


def _check_sequence_grads(fn, name, module, forward, backward, seeds, T_x, hints=None):
    for seed in seeds:
        params, x, a0, y = _problem(module, seed, **({"T_x": T_x} if T_x else {}))
        caches = forward(x, a0, params)[-1]
        want = backward(y, caches)
        got = _call(fn, name, y, caches)
        comparable = isinstance(got, dict) and all(k in got for k in want)
        if comparable and not check_grads_ok(got, want) and x.shape[2] > 1:
            for order, carry, message in _loop_slips(module, x.shape[2]):
                if check_grads_ok(got, _bptt_with(module, y, caches, order, carry)):
                    _fail(message)
            if np.shape(got["dx"]) == want["dx"].shape:
                report = step_report("dx", got["dx"], want["dx"])
                if report:
                    _fail(report)
            p1, x1, a1, y1 = _problem(module, seed, T_x=1)
            caches1 = forward(x1, a1, p1)[-1]
            got1 = _call(fn, name, y1, caches1)
            if isinstance(got1, dict) and check_grads_ok(got1, backward(y1, caches1)):
                late = _diagnose(
                    "dx at the last step", np.asarray(got["dx"])[:, :, -1], want["dx"][:, :, -1]
                )
                _fail(
                    "your gradients are right for a single time step but off over several"
                    + (" (dx is right at the last step and off before it)" if not late else "")
                    + ": the t+1 component is missing or wrong — ∂J/∂a⟨t⟩ (and ∂J/∂c⟨t⟩ for "
                    "the LSTM) also receives what step t+1 sends back (da_prev, dc_prev of the "
                    "step after), and each weight gradient sums over all steps"
                )
        check_grads(got, want, context=f"whole sequence, T_x = {x.shape[2]}", m=y.shape[1],
                    hints=hints)
