"""Checks of assignment 4, back-propagation through time in an RNN (``exercises/04_rnn_bptt``)."""

import numpy as np

from .. import rnn
from ..gradcheck import rel_error
from ._calling import PARAMETERS, QUESTION_OF, _call, _unpack, with_correct
from ._correct import earlier
from ._problems import _check_sequence_grads, _problem
from ._reports import TOL, _fail, check_array, check_grads, check_grads_ok

ASSIGNMENT = "04_rnn_bptt"
QUESTION_OF.update(rnn_step="q1", rnn_step_backward="q2", rnn_bptt="q3", hidden_jacobian="q4")
PARAMETERS.update(
    rnn_step=("xt", "a_prev", "params"),
    rnn_step_backward=("da", "cache"),
    rnn_bptt=("y", "caches"),
    hidden_jacobian=("a", "W_aa"),
)


def _fair(fn, name):
    """The student's function, calling correct versions of the earlier answers it may use."""
    return with_correct(fn, earlier(ASSIGNMENT, name))


def check_rnn_step(fn, seeds=(0, 1)):
    """``fn(xt, a_prev, params) -> (a, y_hat)``; logits near 1000 must not overflow the softmax."""
    for seed in seeds:
        params, x, a0, _ = _problem(rnn, seed)
        a, y_hat, _ = rnn.rnn_cell_forward(x[:, :, 0], a0, params)
        got = _unpack(_call(fn, "rnn_step", x[:, :, 0], a0, params), "rnn_step", ("a", "y_hat"))
        if np.shape(got[0]) == a.shape and rel_error(got[0], a) > TOL:
            untransposed = np.tanh(
                params["W_aa"] @ a0 + params["W_ax"].T @ x[:, :, 0] + params["b_a"]
            )
            if rel_error(got[0], untransposed) <= TOL:
                _fail(
                    "a uses W_aa a⟨t−1⟩ where it needs W_aaᵀ a⟨t−1⟩ "
                    "(a⟨t⟩ = tanh(W_aaᵀa⟨t−1⟩ + W_axᵀx⟨t⟩ + b_a)): W_aa is square, so the "
                    "shapes cannot catch it"
                )
        check_array("a⟨t⟩ = tanh(W_aaᵀa⟨t−1⟩ + W_axᵀx⟨t⟩ + b_a)", got[0], a)
        check_array("ŷ⟨t⟩ = softmax(W_yaᵀa⟨t⟩ + b_y)", got[1], y_hat)
    # the prompt's rule: subtract each column's maximum, so that logits near 1000 do not overflow
    params, x, a0, _ = _problem(rnn, seeds[0] if len(seeds) else 0)
    n_y = params["b_y"].shape[0]
    params = {**params, "b_y": params["b_y"] + 1000.0 - np.arange(n_y)[:, None]}
    a, y_hat, _ = rnn.rnn_cell_forward(x[:, :, 0], a0, params)
    got = _unpack(
        _call(fn, "rnn_step", x[:, :, 0], a0, params, strict=True), "rnn_step", ("a", "y_hat")
    )
    check_array(
        "ŷ⟨t⟩ for logits near 1000 (subtract each column's maximum before exp)", got[1], y_hat
    )


#: Slips in one RNN step's backward pass that this check names, with the message for each.
STEP_SLIPS = {
    "tanh": "tanh′ = 1 − tanh², not 1 − tanh: δz = da∘(1 − a⟨t⟩∘a⟨t⟩)",
    "W_T": "da_prev uses W_aaᵀ δz: back through z = W_aaᵀa⟨t−1⟩ + … the gradient is W_aa δz "
    "(no transpose); W_aa is square, so the shapes cannot catch it",
}


def _step_backward_with(da, cache, slip):
    """:func:`lstm_src.rnn.rnn_cell_backward` with one of the :data:`STEP_SLIPS` in it."""
    p, a = cache["params"], cache["a"]
    dz = da * ((1.0 - a) if slip == "tanh" else (1.0 - a * a))
    W_aa = p["W_aa"].T if slip == "W_T" else p["W_aa"]
    return {
        "dW_aa": cache["a_prev"] @ dz.T,
        "dW_ax": cache["x"] @ dz.T,
        "db_a": np.sum(dz, axis=1, keepdims=True),
        "da_prev": W_aa @ dz,
        "dx": p["W_ax"] @ dz,
    }


def check_rnn_step_backward(fn, seeds=(0, 1)):
    """``fn(da, cache) -> grads`` as :func:`lstm_src.rnn.rnn_cell_backward`."""
    fn = _fair(fn, "rnn_step_backward")
    for seed in seeds:
        params, x, a0, _ = _problem(rnn, seed)
        cache = rnn.rnn_cell_forward(x[:, :, 0], a0, params)[2]
        da = np.random.default_rng(seed).normal(size=a0.shape)
        want = rnn.rnn_cell_backward(da, cache)
        got = _call(fn, "rnn_step_backward", da, cache)
        if (
            isinstance(got, dict)
            and "dW_aa" in got
            and np.shape(got["dW_aa"]) == want["dW_aa"].shape
            and rel_error(got["dW_aa"], cache["a_prev"] @ da.T) <= TOL
        ):
            _fail("dW_aa = a⟨t−1⟩ daᵀ is missing the tanh′ factor: δz = da ∘ (1 − a⟨t⟩∘a⟨t⟩)")
        if isinstance(got, dict) and all(k in got for k in want) and not check_grads_ok(got, want):
            for slip, message in STEP_SLIPS.items():
                if check_grads_ok(got, _step_backward_with(da, cache, slip)):
                    _fail(message)
        check_grads(got, want, context="one RNN step")


def check_rnn_bptt(fn, seeds=(0, 1), T_x=None):
    """``fn(y, caches) -> grads`` as :func:`lstm_src.rnn.rnn_backward`."""
    _check_sequence_grads(
        _fair(fn, "rnn_bptt"), "rnn_bptt", rnn, rnn.rnn_forward, rnn.rnn_backward, seeds, T_x
    )


def check_hidden_jacobian(fn, seeds=(0, 1)):
    """``fn(a, W_aa) -> J`` = ∂a⟨t⟩/∂a⟨t−1⟩ = diag(1 − a∘a) W_aaᵀ for one example
    (a of shape (n_a, 1))."""
    for seed in seeds:
        params, x, a0, _ = _problem(rnn, seed, m=1)
        a = rnn.rnn_cell_forward(x[:, :, 0], a0, params)[0]
        W = params["W_aa"]
        want = (1 - a * a) * W.T
        got = _call(fn, "hidden_jacobian", a, W)
        if np.shape(got) == want.shape and rel_error(got, (1 - a * a) * W) <= TOL:
            _fail(
                "you used W_aa where the Jacobian needs W_aaᵀ: z = W_aaᵀa⟨t−1⟩ + ..., so "
                "∂z/∂a⟨t−1⟩ = W_aaᵀ"
            )
        if np.shape(got) == want.shape and rel_error(got, W.T) <= TOL:
            _fail("the tanh′ factor is missing: ∂a⟨t⟩/∂a⟨t−1⟩ = diag(1 − a⟨t⟩∘a⟨t⟩) W_aaᵀ")
        if np.shape(got) == want.shape and rel_error(got, (1 - a) * W.T) <= TOL:
            _fail("tanh′ = 1 − tanh², not 1 − tanh: ∂a⟨t⟩/∂a⟨t−1⟩ = diag(1 − a⟨t⟩∘a⟨t⟩) W_aaᵀ")
        check_array("∂a⟨t⟩/∂a⟨t−1⟩", got, want)
