"""Each derivation step's function, checked alone against finite differences.

Every test builds a scalar L = sum(G * output) with a random upstream
gradient G, so dL/d(output) = G, and compares the step's answer with
numerical_gradient of L with respect to each input.
"""
import numpy as np
import pytest

from lstm_src import activations as act
from lstm_src import layers, loss, lstm, rnn
from lstm_src.gradcheck import numerical_gradient, numerical_jacobian, rel_error

TOL = 1e-7
rng = np.random.default_rng(2024)
n_x, n_a, n_y, m = 3, 4, 5, 2


def R(*shape, scale=1.0):
    return rng.normal(0.0, scale, size=shape)


def gates(*shape):
    return act.sigmoid(R(*shape))


def grad_of(f, arrays, name):
    """Numerical gradient of f(**arrays) with respect to arrays[name]."""
    def g(v):
        return f(**{**arrays, name: v})
    return numerical_gradient(g, arrays[name])


def assert_close(analytic, numeric, what):
    err = rel_error(analytic, numeric)
    assert err <= TOL, f"{what}: relative error {err:.2e}"


def test_sigmoid_and_tanh_backward():
    z, G = R(n_a, m), R(n_a, m)
    assert_close(act.sigmoid_backward(G, act.sigmoid(z)),
                 numerical_gradient(lambda v: np.sum(G * act.sigmoid(v)), z), "sigmoid")
    assert_close(act.tanh_backward(G, act.tanh(z)),
                 numerical_gradient(lambda v: np.sum(G * act.tanh(v)), z), "tanh")


def test_softmax_jacobian_is_diag_minus_outer():
    z = R(n_y, 1)
    y_hat = act.softmax(z)
    assert_close(np.diagflat(y_hat) - y_hat @ y_hat.T, numerical_jacobian(act.softmax, z),
                 "softmax Jacobian")


def test_cross_entropy_gradients():
    z = R(n_y, m, 3)
    y = np.eye(n_y)[:, rng.integers(0, n_y, size=(m, 3))]
    y_hat = act.softmax(z)
    assert_close(loss.softmax_cross_entropy_backward(y_hat, y),
                 numerical_gradient(lambda v: loss.cross_entropy(act.softmax(v), y), z), "dJ/dz_y")
    assert_close(loss.cross_entropy_grad_y_hat(y_hat, y),
                 # log has large high derivatives near 0: the second-order stencil with a small step
                 numerical_gradient(lambda v: loss.cross_entropy(v, y), y_hat, h=1e-6, order=2),
                 "dJ/dy_hat")


def test_output_layer_backward():
    arrays = {"W_ya": R(n_a, n_y), "b_y": R(n_y, 1), "a": R(n_a, m)}
    G = R(n_y, m)
    def f(W_ya, b_y, a):
        return np.sum(G * (W_ya.T @ a + b_y))
    dW_ya, db_y, da = layers.output_layer_backward(G, arrays["a"], arrays["W_ya"])
    for name, got in (("W_ya", dW_ya), ("b_y", db_y), ("a", da)):
        assert_close(got, grad_of(f, arrays, name), name)


def test_affine_weight_and_input_grads():
    arrays = {"W_a": R(n_a, n_a), "W_x": R(n_x, n_a), "b": R(n_a, 1),
              "a_prev": R(n_a, m), "x": R(n_x, m)}
    G = R(n_a, m)
    def f(**k):
        return np.sum(G * layers.affine_forward(**k))
    dW_a, dW_x, db = layers.affine_weight_grads(G, arrays["a_prev"], arrays["x"])
    da_prev, dx = layers.affine_input_grads(G, arrays["W_a"], arrays["W_x"])
    for name, got in (("W_a", dW_a), ("W_x", dW_x), ("b", db), ("a_prev", da_prev), ("x", dx)):
        assert_close(got, grad_of(f, arrays, name), name)


def test_hidden_state_grad_adds_both_components():
    # a feeds the prediction (upstream G1) and step t+1 (upstream G2)
    a, G1, G2 = R(n_a, m), R(n_a, m), R(n_a, m)
    numeric = numerical_gradient(lambda v: np.sum(G1 * v) + np.sum(G2 * v), a)
    assert_close(lstm.hidden_state_grad(G1, G2), numeric, "da")


def test_hidden_state_backward():
    arrays = {"c": R(n_a, m), "gamma_o": gates(n_a, m)}
    Ga, Gc = R(n_a, m), R(n_a, m)  # upstream at a, and at c from step t+1
    def f(c, gamma_o):
        return np.sum(Ga * lstm.hidden_state(c, gamma_o)) + np.sum(Gc * c)
    dgamma_o, dc = lstm.hidden_state_backward(Ga, Gc, arrays["c"], arrays["gamma_o"])
    assert_close(dgamma_o, grad_of(f, arrays, "gamma_o"), "dGamma_o")
    assert_close(dc, grad_of(f, arrays, "c"), "dc")


def test_cell_state_backward():
    arrays = {"gamma_f": gates(n_a, m), "c_prev": R(n_a, m),
              "gamma_u": gates(n_a, m), "c_tilde": R(n_a, m)}
    G = R(n_a, m)
    def f(**k):
        return np.sum(G * lstm.cell_state(**k))
    got = dict(zip(("gamma_u", "c_tilde", "gamma_f", "c_prev"),
                   lstm.cell_state_backward(G, arrays["gamma_f"], arrays["c_prev"],
                                            arrays["gamma_u"], arrays["c_tilde"])))
    for name, value in got.items():
        assert_close(value, grad_of(f, arrays, name), name)


@pytest.mark.parametrize("kind", ["sigmoid gate", "candidate"])
def test_gate_backward(kind):
    activation, backward = {
        "sigmoid gate": (act.sigmoid, lstm.sigmoid_gate_backward),
        "candidate": (act.tanh, lstm.candidate_backward),
    }[kind]
    arrays = {"W_a": R(n_a, n_a), "W_x": R(n_x, n_a), "b": R(n_a, 1),
              "a_prev": R(n_a, m), "x": R(n_x, m)}
    G = R(n_a, m)
    def f(**k):
        return np.sum(G * activation(layers.affine_forward(**k)))
    z = layers.affine_forward(**arrays)
    dz, dW_a, dW_x, db = backward(G, activation(z), arrays["a_prev"], arrays["x"])
    assert_close(dz, numerical_gradient(lambda v: np.sum(G * activation(v)), z), "dz")
    for name, value in (("W_a", dW_a), ("W_x", dW_x), ("b", db)):
        assert_close(value, grad_of(f, arrays, name), f"{kind} {name}")


def test_previous_state_grads_sum_four_components():
    params = lstm.init_params(n_x, n_a, n_y, seed=3)
    arrays = {"a_prev": R(n_a, m), "x": R(n_x, m)}
    G = {g: R(n_a, m) for g in lstm.GATES}
    def f(a_prev, x):
        return sum(
            np.sum(G[g] * layers.affine_forward(params[f"W_{g}a"], params[f"W_{g}x"],
                                                params[f"b_{g}"], a_prev, x))
            for g in lstm.GATES)
    da_prev, dx = lstm.previous_state_grads(G, params)
    assert_close(da_prev, grad_of(f, arrays, "a_prev"), "da_prev")
    assert_close(dx, grad_of(f, arrays, "x"), "dx")


def test_lstm_cell_backward():
    params = lstm.init_params(n_x, n_a, n_y, seed=4)
    for name in params:
        if name.startswith("b_"):
            params[name] = R(*params[name].shape, scale=0.5)
    arrays = {"xt": R(n_x, m), "a_prev": R(n_a, m), "c_prev": R(n_a, m)}
    Ga, Gc = R(n_a, m), R(n_a, m)

    def f(xt, a_prev, c_prev, **p):
        a, c, _, _ = lstm.lstm_cell_forward(xt, a_prev, c_prev, {**params, **p})
        return np.sum(Ga * a) + np.sum(Gc * c)

    *_, cache = lstm.lstm_cell_forward(arrays["xt"], arrays["a_prev"], arrays["c_prev"], params)
    grads = lstm.lstm_cell_backward(Ga, Gc, cache)
    everything = {**arrays, **params}
    for name in lstm.PARAM_NAMES[:-2]:
        assert_close(grads["d" + name], grad_of(f, everything, name), name)
    for key, name in (("dx", "xt"), ("da_prev", "a_prev"), ("dc_prev", "c_prev")):
        assert_close(grads[key], grad_of(f, everything, name), key)


def test_rnn_cell_backward():
    params = rnn.init_params(n_x, n_a, n_y, seed=5)
    params["b_a"] = R(n_a, 1)
    arrays = {"xt": R(n_x, m), "a_prev": R(n_a, m)}
    G = R(n_a, m)

    def f(xt, a_prev, **p):
        return np.sum(G * rnn.rnn_cell_forward(xt, a_prev, {**params, **p})[0])

    cache = rnn.rnn_cell_forward(arrays["xt"], arrays["a_prev"], params)[-1]
    grads = rnn.rnn_cell_backward(G, cache)
    everything = {**arrays, **params}
    for key, name in (("dW_aa", "W_aa"), ("dW_ax", "W_ax"), ("db_a", "b_a"), ("dx", "xt"),
                      ("da_prev", "a_prev")):
        assert_close(grads[key], grad_of(f, everything, name), key)


def test_numerical_jacobian_layout():
    """Numerator layout: row i is output i, column j is input j."""
    A = R(3, 2)
    x = R(2, 1)
    assert np.allclose(numerical_jacobian(lambda v: A @ v, x), A, atol=1e-8)
    assert numerical_jacobian(lambda v: np.sum(v) * np.ones(5), R(2, 3)).shape == (5, 6)


def test_rel_error():
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9])) < 1e-9
    assert rel_error(np.array([1.0]), np.array([-1.0])) == 1.0
    with pytest.raises(ValueError, match="one shape"):
        rel_error(np.zeros(2), np.zeros(3))
