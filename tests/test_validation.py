"""Bad input: a ValueError that says what was expected and what came, before any arithmetic."""
import numpy as np
import pytest

from lstm_src import lstm, rnn
from lstm_src.gradcheck import random_problem
from lstm_src.loss import cross_entropy


@pytest.fixture
def good():
    return random_problem(lstm, 3, 4, 2, 2, 5)


def test_x_with_wrong_dimensionality(good):
    params, x, a0, _ = good
    with pytest.raises(ValueError, match=(r"x must be a 3-D array of shape \(n_x, m, T_x\); "
                                          r"got a 2-D array of shape \(3, 2\)")):
        lstm.lstm_forward(x[:, :, 0], a0, params)


def test_x_that_does_not_match_the_weights(good):
    params, x, a0, _ = good
    with pytest.raises(ValueError,
                       match=r"W_fx must have shape \(n_x, n_a\) = \(4, 4\); got shape \(3, 4\)"):
        lstm.lstm_forward(np.zeros((4, 2, 5)), a0, params)


def test_a0_with_the_wrong_batch(good):
    params, x, a0, _ = good
    with pytest.raises(ValueError,
                       match=r"a0 must have shape \(n_a, m\) = \(n_a, 2\); got shape \(4, 3\)"):
        lstm.lstm_forward(x, np.zeros((4, 3)), params)


def test_missing_parameter(good):
    params, x, a0, _ = good
    del params["b_o"]
    with pytest.raises(ValueError, match=r"params is missing b_o; expected keys W_fa, .*, got "):
        lstm.lstm_forward(x, a0, params)


def test_parameter_with_wrong_dimensionality(good):
    params, x, a0, _ = good
    params["b_u"] = params["b_u"].ravel()
    with pytest.raises(ValueError, match=(r"b_u must be a 2-D array of shape \(n_a, 1\) = "
                                          r"\(4, 1\); got a 1-D array of shape \(4,\)")):
        lstm.lstm_forward(x, a0, params)


def test_non_numeric_input(good):
    params, x, a0, _ = good
    with pytest.raises(ValueError, match="x must be a numeric array; got dtype <U"):
        lstm.lstm_forward(np.full((3, 2, 5), "a"), a0, params)


def test_labels_of_the_wrong_shape(good):
    params, x, a0, y = good
    caches = lstm.lstm_forward(x, a0, params)[-1]
    with pytest.raises(ValueError, match=(r"y must have shape \(n_y, m, T_x\) = \(2, 2, 5\); "
                                          r"got shape \(2, 2, 4\)")):
        lstm.lstm_backward(y[:, :, :4], caches)
    with pytest.raises(ValueError, match="caches must be the dict returned by lstm_forward"):
        lstm.lstm_backward(y, [1, 2])


def test_rnn_bad_input():
    params, x, a0, y = random_problem(rnn, 2, 3, 2, 1, 2)
    with pytest.raises(ValueError,
                       match=r"W_aa must have shape \(n_a, n_a\) = \(5, 5\); got shape \(3, 3\)"):
        rnn.rnn_forward(x, np.zeros((5, 1)), params)
    with pytest.raises(ValueError, match="params is missing W_ya"):
        rnn.rnn_forward(x, a0, {k: v for k, v in params.items() if k != "W_ya"})


def test_cross_entropy_bad_input():
    with pytest.raises(ValueError,
                       match=r"y must have shape \(n_y, m\) = \(3, 2\); got shape \(2, 3\)"):
        cross_entropy(np.full((3, 2), 1 / 3), np.zeros((2, 3)))


def test_init_params_bad_sizes():
    with pytest.raises(ValueError, match="n_a must be a positive integer; got 0"):
        lstm.init_params(2, 0, 3)


def test_checks_come_before_arithmetic(good, monkeypatch):
    params, x, a0, _ = good
    def boom(*args):
        raise AssertionError("arithmetic ran before the inputs were checked")
    monkeypatch.setattr(lstm, "affine_forward", boom)
    params["W_ya"] = np.zeros((4, 2, 1))
    with pytest.raises(ValueError, match="W_ya must be a 2-D array"):
        lstm.lstm_forward(x, a0, params)


def test_labels_whose_columns_do_not_sum_to_one(good):
    """(y_hat - y)/m is the gradient only for labels that sum to 1; others are refused."""
    params, x, a0, y = good
    caches = lstm.lstm_forward(x, a0, params)[-1]
    y_zero = y.copy()
    y_zero[:, :, 0] = 0.0
    with pytest.raises(ValueError, match=(r"each column of y must sum to 1 \(one-hot labels\); "
                                          r"got 2 column\(s\) summing to e.g. 0")):
        lstm.lstm_backward(y_zero, caches)
    with pytest.raises(ValueError, match="each column of y must sum to 1"):
        rnn.rnn_backward(2 * y[:, :1],
                         rnn.rnn_forward(x[:, :1], a0[:, :1], rnn.init_params(3, 4, 2))[-1])


def test_c0_with_the_wrong_shape(good):
    params, x, a0, _ = good
    with pytest.raises(ValueError,
                       match=r"c0 must have shape \(n_a, m\) = \(4, 2\); got shape \(4, 3\)"):
        lstm.lstm_forward(x, a0, params, c0=np.zeros((4, 3)))
