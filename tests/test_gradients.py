"""Whole-model gradient checks: lstm_backward and rnn_backward against finite differences.

Every parameter gradient, dx and da0 must agree with a centred difference of
the loss to a relative error of at most 1e-7 (float64).
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_src import lstm, rnn
from lstm_src.gradcheck import check_model_gradients, random_problem

TOL = 1e-7
MODELS = {
    "lstm": (lstm, lstm.lstm_forward, lstm.lstm_backward),
    "rnn": (rnn, rnn.rnn_forward, rnn.rnn_backward),
}
# (n_x, n_a, n_y, m, T_x): ordinary, every size 1 but the classes, one step, long and thin
SHAPES = [(3, 5, 4, 2, 4), (1, 1, 2, 1, 1), (1, 1, 3, 2, 3), (2, 3, 2, 3, 1), (4, 1, 2, 1, 6),
          (1, 2, 5, 4, 2)]


def _check(kind, shape, seed=0):
    module, forward, backward = MODELS[kind]
    params, x, a0, y = random_problem(module, *shape, seed=seed)
    errors = check_model_gradients(forward, backward, x, a0, y, params)
    expected = {"d" + k for k in params} | {"dx", "da0"}
    assert set(errors) == expected
    bad = {k: v for k, v in errors.items() if not v <= TOL}
    assert not bad, f"{kind} {shape}: relative errors above {TOL}: {bad}"
    return errors


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("kind", sorted(MODELS))
def test_backward_matches_finite_differences(kind, shape):
    _check(kind, shape)


@settings(max_examples=40, deadline=None)
@given(
    kind=st.sampled_from(sorted(MODELS)),
    shape=st.tuples(
        st.integers(1, 4), st.integers(1, 4), st.integers(2, 4), st.integers(1, 3),
        st.integers(1, 4),
    ),
    seed=st.integers(0, 2**16),
)
def test_backward_matches_finite_differences_for_any_shape(kind, shape, seed):
    _check(kind, shape, seed)


def test_gradients_have_parameter_shapes(lstm_problem):
    params, x, a0, y = lstm_problem
    grads = lstm.lstm_backward(y, lstm.lstm_forward(x, a0, params)[-1])
    for name, value in params.items():
        assert grads["d" + name].shape == value.shape
    assert grads["dx"].shape == x.shape and grads["da0"].shape == a0.shape


def test_gradient_check_fails_on_a_wrong_gradient(lstm_problem, monkeypatch):
    """The check itself can fail: drop the (1 - Gamma) factor of the sigmoid derivative."""
    params, x, a0, y = lstm_problem
    monkeypatch.setattr(lstm, "sigmoid_backward", lambda dgamma, gamma: dgamma * gamma)
    errors = check_model_gradients(lstm.lstm_forward, lstm.lstm_backward, x, a0, y, params)
    for name in ("dW_fa", "dW_ux", "db_o"):
        assert errors[name] > 1e-3
    assert errors["dW_ya"] <= TOL  # the output layer does not go through a gate


def test_float64_reference_is_too_coarse_for_tiny_gradients():
    """Why the check uses an extended-precision reference: here dW_ua is about 5e-7 while J is
    about 3, and a float64 finite difference misses it by more than 1e-7 relative."""
    if np.finfo(np.longdouble).eps >= np.finfo(np.float64).eps:
        pytest.skip("numpy.longdouble is float64 on this platform")
    params, x, a0, y = random_problem(lstm, 4, 1, 2, 1, 3, seed=41)
    args = (lstm.lstm_forward, lstm.lstm_backward, x, a0, y, params)
    assert check_model_gradients(*args, reference_dtype=np.float64)["dW_ua"] > TOL
    assert check_model_gradients(*args)["dW_ua"] < 1e-9


def test_batch_loss_is_an_average(lstm_problem):
    """Gradients of the batch are the mean of each example's gradients (J averages over m)."""
    params, x, a0, y = lstm_problem
    whole = lstm.lstm_backward(y, lstm.lstm_forward(x, a0, params)[-1])
    m = x.shape[1]
    parts = [lstm.lstm_backward(y[:, i:i + 1],
                                lstm.lstm_forward(x[:, i:i + 1], a0[:, i:i + 1], params)[-1])
             for i in range(m)]
    for name in params:
        assert np.allclose(whole["d" + name], sum(p["d" + name] for p in parts) / m)


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_random_problem(kind):
    module = MODELS[kind][0]
    params, x, a0, y = random_problem(module, 2, 3, 4, 5, 6, seed=3)
    assert x.shape == (2, 5, 6) and a0.shape == (3, 5) and y.shape == (4, 5, 6)
    assert np.all(y.sum(axis=0) == 1) and set(np.unique(y)) == {0.0, 1.0}
    assert all(np.all(v != 0) for k, v in params.items() if k.startswith("b_")), (
        "biases must be drawn")
    again = random_problem(module, 2, 3, 4, 5, 6, seed=3)
    assert (all(np.array_equal(params[k], again[0][k]) for k in params)
            and np.array_equal(x, again[1]))


def test_lstm_gradients_hold_from_a_nonzero_initial_cell_state():
    """With c0 given (as when a long text is cut into windows), every gradient still matches."""
    params, x, a0, y = random_problem(lstm, 3, 4, 3, 2, 3, seed=5)
    c0 = np.random.default_rng(5).normal(size=(4, 2))

    def forward(x, a0, params):
        return lstm.lstm_forward(x, a0, params, c0=c0)

    errors = check_model_gradients(forward, lstm.lstm_backward, x, a0, y, params)
    assert max(errors.values()) <= TOL, errors
    _, _, c_zero, _ = lstm.lstm_forward(x, a0, params)
    _, _, c_given, _ = forward(x, a0, params)
    assert not np.allclose(c_zero[:, :, 0], c_given[:, :, 0])
