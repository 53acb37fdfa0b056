"""Checks of assignment 3, LSTM back-propagation (``exercises/03_lstm_backward``)."""

import numpy as np

from .. import lstm, rnn
from ..gradcheck import rel_error
from ..loss import softmax_cross_entropy_backward
from ._calling import PARAMETERS, QUESTION_OF, _call, _unpack, with_correct
from ._correct import earlier
from ._problems import _check_sequence_grads, _problem, _ref_step
from ._reports import TOL, _fail, check_array, check_grads, check_grads_ok

ASSIGNMENT = "03_lstm_backward"
QUESTION_OF.update(
    softmax_ce_grad="q1",
    sigmoid_gate_grads="q2",
    candidate_grads="q3",
    cell_backward="q4",
    lstm_backward="q5",
    gradient_check="q6",
)
PARAMETERS.update(
    softmax_ce_grad=("y_hat", "y"),
    sigmoid_gate_grads=("dgamma", "gamma", "a_prev", "xt"),
    candidate_grads=("dc_tilde", "c_tilde", "a_prev", "xt"),
    cell_backward=("da", "dc_next", "cache"),
    lstm_backward=("y", "caches"),
    gradient_check=("forward", "backward", "x", "a0", "y", "params", "name", "h"),
)


def _fair(fn, name):
    """The student's function, calling correct versions of the earlier answers it may use."""
    return with_correct(fn, earlier(ASSIGNMENT, name))


def check_softmax_ce_grad(fn, seeds=(0, 1)):
    """``fn(y_hat, y) -> dz_y`` = (ŷ − y)/m, the gradient of J at the logits."""
    for seed in seeds:
        params, x, a0, y = _problem(lstm, seed)
        y_hat = lstm.lstm_forward(x, a0, params)[1][:, :, 0]
        got = _call(fn, "softmax_ce_grad", y_hat, y[:, :, 0])
        check_array(
            "dz_y = ∂J/∂z_y", got, softmax_cross_entropy_backward(y_hat, y[:, :, 0]), m=y.shape[1]
        )


def _gate_setup(seed):
    params, x, a0, _ = _problem(lstm, seed)
    cache = _ref_step(params, x, a0)[3]
    dgamma = np.random.default_rng(seed).normal(size=a0.shape)
    return cache, dgamma


def _check_block_grads(fn, name, reference, value_key, slips, seeds):
    """Shared by the sigmoid-gate and candidate questions: fn returns (dz, dW_a, dW_x, db).

    ``slips`` maps a wrong derivative factor f(value) to the message that names it: a dz equal
    to dgamma∘f(value) fails with that message.
    """
    names = ("dz", "dW_a", "dW_x", "db")
    for seed in seeds:
        k, dgamma = _gate_setup(seed)
        value = k[value_key]
        want = reference(dgamma, value, k["a_prev"], k["x"])
        got = _unpack(_call(fn, name, dgamma, value, k["a_prev"], k["x"]), name, names)
        if np.shape(got[0]) == want[0].shape and rel_error(got[0], want[0]) > TOL:
            for factor, message in slips:
                if rel_error(got[0], dgamma * factor(value)) <= TOL:
                    _fail(message)
        for n, g, w in zip(names, got, want):
            check_array(n, g, w)


def _sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def check_sigmoid_gate_grads(fn, seeds=(0, 1)):
    """``fn(dgamma, gamma, a_prev, xt) -> (dz, dW_a, dW_x, db)`` for Γ = σ(W_aᵀa + W_xᵀx + b)."""
    rule = "σ′: ∂Γ/∂z = Γ∘(1−Γ) (eq.2), so dz = dgamma∘Γ∘(1−Γ)"
    _check_block_grads(
        fn,
        "sigmoid_gate_grads",
        lstm.sigmoid_gate_backward,
        "gamma_f",
        [
            (
                np.ones_like,
                f"dz equals the incoming gradient: the derivative factor is missing, {rule}",
            ),
            (lambda g: g, f"dz = dgamma∘Γ is missing the factor (1−Γ): {rule}"),
            (lambda g: 1.0 - g, f"dz = dgamma∘(1−Γ) is missing the factor Γ: {rule}"),
            (
                lambda g: _sigmoid(g) * (1.0 - _sigmoid(g)),
                (
                    "dz applies σ′ to Γ itself: Γ is already σ(z), so σ′(z) = Γ∘(1−Γ), not "
                    "σ(Γ)(1−σ(Γ)); "
                    f"{rule}"
                ),
            ),
        ],
        seeds,
    )


def check_candidate_grads(fn, seeds=(0, 1)):
    """``fn(dc_tilde, c_tilde, a_prev, xt) -> (dz_c, dW_ca, dW_cx, db_c)`` for c̃ = tanh(z_c)."""
    rule = "∂c̃/∂z_c = 1 − c̃∘c̃ (eq.8), so dz_c = dc_tilde∘(1 − c̃∘c̃)"
    _check_block_grads(
        fn,
        "candidate_grads",
        lstm.candidate_backward,
        "c_tilde",
        [
            (
                np.ones_like,
                (
                    f"dz equals the incoming gradient: the derivative factor is missing, "
                    f"tanh′: {rule}"
                ),
            ),
            (lambda c: 1.0 - c, f"tanh′ = 1 − tanh², not 1 − tanh: {rule}"),
            (
                lambda c: 1.0 - np.tanh(c) ** 2,
                (
                    "dz applies tanh′ to c̃ itself: c̃ is already tanh(z_c), so tanh′(z_c) = 1 − "
                    "c̃∘c̃, not "
                    f"1 − tanh²(c̃); {rule}"
                ),
            ),
        ],
        seeds,
    )


#: Slips in one cell's backward step that this check names, with the message for each.
CELL_SLIPS = {
    "tanh_c": "tanh′ = 1 − tanh², not 1 − tanh: the part of ∂J/∂c⟨t⟩ that comes through "
    "a⟨t⟩ = tanh(c⟨t⟩)∘Γ_o is da∘Γ_o∘(1 − tanh²(c⟨t⟩)) (eq.10)",
    "tanh_cand": "tanh′ = 1 − tanh², not 1 − tanh: the candidate's δz_c = dc̃∘(1 − c̃∘c̃) (eq.8)",
    "no_forget": "dc_prev is missing the factor Γ_f: ∂c⟨t⟩/∂c⟨t−1⟩ = Γ_f (eq.9), so "
    "dc_prev = dc⟨t⟩∘Γ_f",
    "W_T": "da_prev uses W_gaᵀ δz_g: back through z_g = W_gaᵀa⟨t−1⟩ + … the gradient is "
    "W_ga δz_g (no transpose), summed over the four blocks; W_ga is square, so the shapes "
    "cannot catch it",
}


def _cell_backward_with(da, dc_next, k, slip):
    """:func:`lstm_src.lstm.lstm_cell_backward` with one of the :data:`CELL_SLIPS` in it."""
    p = k["params"]
    tanh_c = np.tanh(k["c"])
    dtanh = 1.0 - tanh_c if slip == "tanh_c" else 1.0 - tanh_c * tanh_c
    dc = dc_next + da * k["gamma_o"] * dtanh
    dgamma_u, dc_tilde, dgamma_f, dc_prev = lstm.cell_state_backward(
        dc, k["gamma_f"], k["c_prev"], k["gamma_u"], k["c_tilde"]
    )
    grads, dz = {}, {}
    for g, dgamma in (("f", dgamma_f), ("u", dgamma_u), ("o", da * tanh_c)):
        dz[g], grads[f"dW_{g}a"], grads[f"dW_{g}x"], grads[f"db_{g}"] = lstm.sigmoid_gate_backward(
            dgamma, k[f"gamma_{g}"], k["a_prev"], k["x"]
        )
    dz_c = dc_tilde * ((1.0 - k["c_tilde"]) if slip == "tanh_cand" else 1.0 - k["c_tilde"] ** 2)
    dz["c"] = dz_c
    grads["dW_ca"], grads["dW_cx"], grads["db_c"] = (
        k["a_prev"] @ dz_c.T,
        k["x"] @ dz_c.T,
        np.sum(dz_c, axis=1, keepdims=True),
    )
    grads["da_prev"], grads["dx"] = lstm.previous_state_grads(dz, p)
    if slip == "W_T":
        grads["da_prev"] = sum(p[f"W_{g}a"].T @ dz[g] for g in "fuoc")
    grads["dc_prev"] = dc if slip == "no_forget" else dc_prev
    return grads


def check_cell_backward(fn, seeds=(0, 1)):
    """``fn(da, dc_next, cache) -> grads`` for one step, as
    :func:`lstm_src.lstm.lstm_cell_backward`."""
    fn = _fair(fn, "cell_backward")
    for seed in seeds:
        params, x, a0, _ = _problem(lstm, seed)
        cache = _ref_step(params, x, a0, 0.5 * np.tanh(a0[::-1]))[3]
        rng = np.random.default_rng(seed)
        da, dc_next = rng.normal(size=(2,) + a0.shape)
        want = lstm.lstm_cell_backward(da, dc_next, cache)
        got = _call(fn, "cell_backward", da, dc_next, cache)
        if isinstance(got, dict) and all(k in got for k in want) and not check_grads_ok(got, want):
            if check_grads_ok(got, lstm.lstm_cell_backward(da, np.zeros_like(dc_next), cache)):
                _fail(
                    "your gradients are those of dc_next = 0: you dropped the t+1 component of "
                    "∂J/∂c⟨t⟩; add dc_next to the part that comes through a⟨t⟩ = tanh(c⟨t⟩)∘Γ_o"
                )
            for slip, message in CELL_SLIPS.items():
                if check_grads_ok(got, _cell_backward_with(da, dc_next, cache, slip)):
                    _fail(message)
        check_grads(got, want, context="one cell, eq.10 back to eq.1")


def check_lstm_backward(fn, seeds=(0, 1), T_x=None):
    """``fn(y, caches) -> grads`` as :func:`lstm_src.lstm.lstm_backward`."""
    _check_sequence_grads(
        _fair(fn, "lstm_backward"),
        "lstm_backward",
        lstm,
        lstm.lstm_forward,
        lstm.lstm_backward,
        seeds,
        T_x,
    )


def check_gradient_check(fn, seeds=(0,)):
    r"""``fn(forward, backward, x, a0, y, params, name) -> float``, the relative error of d<name>,
    :math:`\max_j |g_j - n_j| / \max(10^{-12}, \max_j (|g_j| + |n_j|))`."""

    def broken(y, caches):
        grads = lstm.lstm_backward(y, caches)
        grads["dW_ox"] = grads["dW_ox"].copy()
        grads["dW_ox"][0, 0] += 0.1 * np.max(np.abs(grads["dW_ox"]))
        return grads

    put_back = "put each perturbed entry of params[name] back after evaluating J"
    for seed in seeds:
        params, x, a0, y = _problem(lstm, seed, T_x=2)
        for name in ("W_ox", "b_f"):
            err = _call(
                fn,
                "gradient_check",
                lstm.lstm_forward,
                lstm.lstm_backward,
                x,
                a0,
                y,
                params,
                name,
                mutation_hint=put_back,
            )
            if not np.isscalar(err) and np.size(err) != 1:
                _fail(
                    "gradient_check should return one number (a relative error); got shape "
                    f"{np.shape(err)}"
                )
            if not float(err) < 1e-6:
                _fail(
                    f"gradient_check returned {float(err):.3g} for the correct lstm_backward and "
                    f"d{name}: J must be cross_entropy(y_hat, y) of lstm_forward, and the "
                    "difference centred, (J(θ + h) − J(θ − h)) / 2h"
                )
        err = _call(
            fn,
            "gradient_check",
            lstm.lstm_forward,
            broken,
            x,
            a0,
            y,
            params,
            "W_ox",
            mutation_hint=put_back,
        )
        if not float(err) > 1e-3:
            _fail(
                f"gradient_check returned {float(err):.3g} for a backward pass whose dW_ox is "
                "off in one entry: it should compare backward's dW_ox with the numerical "
                "gradient"
            )
        caches = lstm.lstm_forward(x, a0, params)[-1]
        expected = rel_error(broken(y, caches)["dW_ox"], lstm.lstm_backward(y, caches)["dW_ox"])
        if abs(float(err) - expected) > 1e-3 * expected:
            _fail(
                f"gradient_check returned {float(err):.4g} for a backward pass whose dW_ox is "
                f"off in one entry, where the relative error the question defines is "
                f"{expected:.4g}: return max_j |g_j − n_j| / max(1e−12, max_j (|g_j| + |n_j|)), "
                "the largest difference over the largest |g_j| + |n_j| (not a norm, not a mean)"
            )
        rp, rx, ra, ry = _problem(rnn, seed, T_x=2)
        err = _call(
            fn,
            "gradient_check",
            rnn.rnn_forward,
            rnn.rnn_backward,
            rx,
            ra,
            ry,
            rp,
            "W_aa",
            mutation_hint=put_back,
        )
        if not float(err) < 1e-6:
            _fail(
                f"gradient_check returned {float(err):.3g} for the correct rnn_backward: use "
                "only forward(...)[1] (y_hat) and backward(y, forward(...)[-1])"
            )
