"""Checks of assignment 3, LSTM back-propagation (``exercises/03_lstm_backward``)."""
import numpy as np

from .. import lstm, rnn
from ..gradcheck import rel_error
from ..loss import softmax_cross_entropy_backward
from ._common import (
    TOL,
    _call,
    _check_sequence_grads,
    _fail,
    _problem,
    _ref_step,
    _unpack,
    check_array,
    check_grads,
    check_grads_ok,
)


def check_softmax_ce_grad(fn, seeds=(0, 1)):
    """``fn(y_hat, y) -> dz_y`` = (ŷ − y)/m, the gradient of J at the logits."""
    for seed in seeds:
        params, x, a0, y = _problem(lstm, seed)
        y_hat = lstm.lstm_forward(x, a0, params)[1][:, :, 0]
        got = _call(fn, "softmax_ce_grad", y_hat, y[:, :, 0])
        check_array("dz_y = ∂J/∂z_y", got, softmax_cross_entropy_backward(y_hat, y[:, :, 0]), m=y.shape[1])


def _gate_setup(seed):
    params, x, a0, y = _problem(lstm, seed)
    cache = _ref_step(params, x, a0)[3]
    dgamma = np.random.default_rng(seed).normal(size=a0.shape)
    return cache, dgamma


def _check_block_grads(fn, name, reference, value_key, deriv_hint, seeds):
    """Shared by the sigmoid-gate and candidate questions: fn returns (dz, dW_a, dW_x, db)."""
    names = ("dz", "dW_a", "dW_x", "db")
    for seed in seeds:
        k, dgamma = _gate_setup(seed)
        want = reference(dgamma, k[value_key], k["a_prev"], k["x"])
        got = _unpack(_call(fn, name, dgamma, k[value_key], k["a_prev"], k["x"]), name, names)
        if np.shape(got[0]) == want[0].shape and rel_error(got[0], dgamma) <= TOL:
            _fail(f"dz equals the incoming gradient: the derivative factor is missing, {deriv_hint}")
        for n, g, w in zip(names, got, want):
            check_array(n, g, w)


def check_sigmoid_gate_grads(fn, seeds=(0, 1)):
    """``fn(dgamma, gamma, a_prev, xt) -> (dz, dW_a, dW_x, db)`` for Γ = σ(W_aᵀa + W_xᵀx + b)."""
    _check_block_grads(fn, "sigmoid_gate_grads", lstm.sigmoid_gate_backward, "gamma_f",
                       "σ′: ∂Γ/∂z = Γ∘(1−Γ) (eq.2)", seeds)


def check_candidate_grads(fn, seeds=(0, 1)):
    """``fn(dc_tilde, c_tilde, a_prev, xt) -> (dz_c, dW_ca, dW_cx, db_c)`` for c̃ = tanh(z_c)."""
    _check_block_grads(fn, "candidate_grads", lstm.candidate_backward, "c_tilde",
                       "tanh′: ∂c̃/∂z_c = 1 − c̃∘c̃ (eq.8)", seeds)


def check_cell_backward(fn, seeds=(0, 1)):
    """``fn(da, dc_next, cache) -> grads`` for one step, as :func:`lstm_src.lstm.lstm_cell_backward`."""
    for seed in seeds:
        params, x, a0, _ = _problem(lstm, seed)
        cache = _ref_step(params, x, a0, 0.5 * np.tanh(a0[::-1]))[3]
        rng = np.random.default_rng(seed)
        da, dc_next = rng.normal(size=(2,) + a0.shape)
        want = lstm.lstm_cell_backward(da, dc_next, cache)
        got = _call(fn, "cell_backward", da, dc_next, cache)
        if isinstance(got, dict) and all(k in got for k in want) and not check_grads_ok(got, want) \
                and check_grads_ok(got, lstm.lstm_cell_backward(da, np.zeros_like(dc_next), cache)):
            _fail("your gradients are those of dc_next = 0: you dropped the t+1 component of ∂J/∂c⟨t⟩; "
                  "add dc_next to the part that comes through a⟨t⟩ = tanh(c⟨t⟩)∘Γ_o")
        check_grads(got, want, context="one cell, eq.10 back to eq.1")


def check_lstm_backward(fn, seeds=(0, 1), T_x=None):
    """``fn(y, caches) -> grads`` as :func:`lstm_src.lstm.lstm_backward`."""
    _check_sequence_grads(fn, "lstm_backward", lstm, lstm.lstm_forward, lstm.lstm_backward, seeds, T_x)


def check_gradient_check(fn, seeds=(0,)):
    """``fn(forward, backward, x, a0, y, params, name) -> float``, the relative error of d<name>."""
    def broken(y, caches):
        grads = lstm.lstm_backward(y, caches)
        grads["dW_ox"] = 1.1 * grads["dW_ox"]
        return grads

    for seed in seeds:
        params, x, a0, y = _problem(lstm, seed, T_x=2)
        saved = {k: v.copy() for k, v in params.items()}
        for name in ("W_ox", "b_f"):
            err = _call(fn, "gradient_check", lstm.lstm_forward, lstm.lstm_backward, x, a0, y, params, name)
            if any(not np.array_equal(params[k], saved[k]) for k in params):
                _fail("gradient_check changed params: put each perturbed entry back after evaluating J")
            if not np.isscalar(err) and np.size(err) != 1:
                _fail(f"gradient_check should return one number (a relative error); got shape {np.shape(err)}")
            if not float(err) < 1e-6:
                _fail(f"gradient_check returned {float(err):.3g} for the correct lstm_backward and d{name}: "
                      "J must be cross_entropy(y_hat, y) of lstm_forward, and the difference centred, "
                      "(J(θ + h) − J(θ − h)) / 2h")
        err = _call(fn, "gradient_check", lstm.lstm_forward, broken, x, a0, y, params, "W_ox")
        if not float(err) > 1e-3:
            _fail(f"gradient_check returned {float(err):.3g} for a backward pass whose dW_ox is 10% too "
                  "large: it should compare backward's dW_ox with the numerical gradient")
        rp, rx, ra, ry = _problem(rnn, seed, T_x=2)
        err = _call(fn, "gradient_check", rnn.rnn_forward, rnn.rnn_backward, rx, ra, ry, rp, "W_aa")
        if not float(err) < 1e-6:
            _fail(f"gradient_check returned {float(err):.3g} for the correct rnn_backward: use only "
                  "forward(...)[1] (y_hat) and backward(y, forward(...)[-1])")

