"""Extreme but finite inputs give finite answers with no floating-point warnings.

Overflow, division by zero and invalid operations raise here; underflow to 0
is silent in numpy by default and is the right answer (e.g. exp(-2000)).
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lstm_src import activations as act
from lstm_src import lstm, rnn
from lstm_src.loss import cross_entropy

finite = st.floats(allow_nan=False, allow_infinity=False)


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        yield


def test_sigmoid_extremes():
    z = np.array([-1e308, -1e3, -745.0, -40.0, 0.0, 40.0, 1e3, 1e308])
    s = act.sigmoid(z)
    assert np.all(np.isfinite(s)) and np.all((s >= 0) & (s <= 1))
    assert s[0] == 0.0 and s[-1] == 1.0 and s[4] == 0.5
    assert np.allclose(act.sigmoid(-z), 1 - s)


def test_softmax_and_log_softmax_of_huge_logits():
    z = np.array([[1e3, -1e3], [-1e3, 1e3], [0.0, 999.0]])
    p = act.softmax(z)
    assert np.all(np.isfinite(p)) and np.allclose(p.sum(axis=0), 1.0)
    assert np.allclose(p[:, 0], [1, 0, 0])
    lp = act.log_softmax(z)
    assert np.all(np.isfinite(lp)) and np.allclose(lp[0, 0], 0.0) and np.isclose(lp[1, 0], -2e3)


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 3)), elements=finite))
def test_activations_finite_for_any_finite_input(z):
    with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        for f in (act.sigmoid, act.tanh, act.softmax, act.log_softmax):
            assert np.all(np.isfinite(f(z))), f.__name__
        assert np.allclose(act.softmax(z).sum(axis=0), 1.0)


def test_cross_entropy_of_an_underflowed_prediction_is_finite():
    y = np.array([[1.0], [0.0]])
    y_hat = act.softmax(np.array([[-1e3], [1e3]]))  # the right class got probability 0.0
    assert y_hat[0, 0] == 0.0
    J = cross_entropy(y_hat, y)
    assert np.isfinite(J) and J > 700


@pytest.mark.parametrize("module, forward", [(lstm, lstm.lstm_forward), (rnn, rnn.rnn_forward)])
def test_models_stay_finite_on_huge_inputs(module, forward):
    params = module.init_params(2, 3, 4, seed=0)
    params = {k: v * 1e3 for k, v in params.items()}
    x = np.full((2, 2, 5), 1e3)
    x[:, 1] *= -1
    out = forward(x, np.zeros((3, 2)), params)
    for arr in out[:-1]:
        assert np.all(np.isfinite(arr))
    y = np.eye(4)[:, np.zeros((2, 5), dtype=int)]
    backward = lstm.lstm_backward if module is lstm else rnn.rnn_backward
    grads = backward(y, out[-1])
    assert all(np.all(np.isfinite(g)) for g in grads.values())


def test_precision_is_kept():
    """Float inputs keep their precision end to end (the gradient check relies on it)."""
    params = {k: v.astype(np.longdouble) for k, v in lstm.init_params(2, 3, 2, seed=0).items()}
    x = np.ones((2, 1, 2), np.longdouble)
    a, y_hat, c, caches = lstm.lstm_forward(x, np.zeros((3, 1), np.longdouble), params)
    assert a.dtype == y_hat.dtype == c.dtype == np.longdouble
    assert cross_entropy(y_hat, np.ones_like(y_hat) / 2).dtype == np.longdouble
    assert lstm.lstm_backward(np.eye(2)[:, [[0, 1]]], caches)["dW_fa"].dtype == np.longdouble
    assert act.sigmoid(np.array([1, 2])).dtype == np.float64  # integers become float64
