"""Checks of assignment 4, back-propagation through time in an RNN (``exercises/04_rnn_bptt``)."""
import numpy as np

from .. import rnn
from ..gradcheck import rel_error
from ._common import (
    TOL,
    _call,
    _check_sequence_grads,
    _fail,
    _problem,
    _unpack,
    check_array,
    check_grads,
)


def check_rnn_step(fn, seeds=(0, 1)):
    """``fn(xt, a_prev, params) -> (a, y_hat)``."""
    for seed in seeds:
        params, x, a0, _ = _problem(rnn, seed)
        a, y_hat, _ = rnn.rnn_cell_forward(x[:, :, 0], a0, params)
        got = _unpack(_call(fn, "rnn_step", x[:, :, 0], a0, params), "rnn_step", ("a", "y_hat"))
        check_array("a⟨t⟩ = tanh(W_aaᵀa⟨t−1⟩ + W_axᵀx⟨t⟩ + b_a)", got[0], a)
        check_array("ŷ⟨t⟩ = softmax(W_yaᵀa⟨t⟩ + b_y)", got[1], y_hat)


def check_rnn_step_backward(fn, seeds=(0, 1)):
    """``fn(da, cache) -> grads`` as :func:`lstm_src.rnn.rnn_cell_backward`."""
    for seed in seeds:
        params, x, a0, _ = _problem(rnn, seed)
        cache = rnn.rnn_cell_forward(x[:, :, 0], a0, params)[2]
        da = np.random.default_rng(seed).normal(size=a0.shape)
        want = rnn.rnn_cell_backward(da, cache)
        got = _call(fn, "rnn_step_backward", da, cache)
        if isinstance(got, dict) and "dW_aa" in got and np.shape(got["dW_aa"]) == want["dW_aa"].shape \
                and rel_error(got["dW_aa"], cache["a_prev"] @ da.T) <= TOL:
            _fail("dW_aa = a⟨t−1⟩ daᵀ is missing the tanh′ factor: δz = da ∘ (1 − a⟨t⟩∘a⟨t⟩)")
        check_grads(got, want, context="one RNN step")


def check_rnn_bptt(fn, seeds=(0, 1), T_x=None):
    """``fn(y, caches) -> grads`` as :func:`lstm_src.rnn.rnn_backward`."""
    _check_sequence_grads(fn, "rnn_bptt", rnn, rnn.rnn_forward, rnn.rnn_backward, seeds, T_x)


def check_hidden_jacobian(fn, seeds=(0, 1)):
    """``fn(a, W_aa) -> J`` = ∂a⟨t⟩/∂a⟨t−1⟩ = diag(1 − a∘a) W_aaᵀ for one example (a of shape (n_a, 1))."""
    for seed in seeds:
        params, x, a0, _ = _problem(rnn, seed, m=1)
        a = rnn.rnn_cell_forward(x[:, :, 0], a0, params)[0]
        W = params["W_aa"]
        want = (1 - a * a) * W.T
        got = _call(fn, "hidden_jacobian", a, W)
        if np.shape(got) == want.shape and rel_error(got, (1 - a * a) * W) <= TOL:
            _fail("you used W_aa where the Jacobian needs W_aaᵀ: z = W_aaᵀa⟨t−1⟩ + ..., so ∂z/∂a⟨t−1⟩ = W_aaᵀ")
        if np.shape(got) == want.shape and rel_error(got, W.T) <= TOL:
            _fail("the tanh′ factor is missing: ∂a⟨t⟩/∂a⟨t−1⟩ = diag(1 − a⟨t⟩∘a⟨t⟩) W_aaᵀ")
        check_array("∂a⟨t⟩/∂a⟨t−1⟩", got, want)
