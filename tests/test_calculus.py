"""The Part I toolkit (lstm_src.calculus) against finite differences and its own definitions."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lstm_src import activations as act
from lstm_src import calculus as calc
from lstm_src.gradcheck import numerical_gradient, numerical_jacobian, rel_error

TOL = 1e-8
rng = np.random.default_rng(11)


def R(*shape):
    return rng.normal(size=shape)


def columns(max_n=6):
    """Hypothesis: a pair of column vectors of one length, entries of moderate size."""
    n = st.integers(1, max_n)
    floats = st.floats(-10, 10, allow_nan=False)
    return n.flatmap(lambda k: st.tuples(arrays(float, (k, 1), elements=floats),
                                         arrays(float, (k, 1), elements=floats)))


@settings(max_examples=40, deadline=None)
@given(columns())
def test_dot_as_sum_is_the_matrix_product(ab):
    a, b = ab
    assert np.isclose(calc.dot_as_sum(a, b), (a.T @ b).item(), atol=1e-9)
    assert np.isclose(calc.dot_as_sum(a, b), (np.ones_like(a).T @ (a * b)).item(), atol=1e-9)


def test_dot_jacobian():
    a, b = R(5, 1), R(5, 1)
    numeric = numerical_jacobian(lambda v: calc.dot_as_sum(v, b), a)
    assert numeric.shape == (1, 5)
    assert rel_error(calc.dot_jacobian(b), numeric) < TOL


def test_matvec_jacobian():
    W, x = R(4, 3), R(4, 1)
    assert rel_error(calc.matvec_jacobian(W), numerical_jacobian(lambda v: W.T @ v, x)) < TOL


def test_matvec_weight_jacobian():
    W, x = R(4, 3), R(4, 1)
    J = calc.matvec_weight_jacobian(x, 3)
    assert J.shape == (3, 12)
    assert rel_error(J, numerical_jacobian(lambda V: V.T @ x, W)) < TOL


def test_matvec_weight_gradient_with_a_batch():
    W, x, G = R(4, 3), R(4, 2), R(3, 2)       # J = sum(G * (W^T x)), so grad_z J = G
    numeric = numerical_gradient(lambda V: np.sum(G * (V.T @ x)), W)
    assert rel_error(calc.matvec_weight_gradient(x, G), numeric) < TOL


def test_chain_jacobians_of_a_composition():
    W, x = R(4, 3), R(4, 1)
    z = W.T @ x
    # J = sum(tanh(W^T x)): dJ/dh = 1^T, dh/dz = diag(tanh'(z)), dz/dx = W^T
    analytic = calc.chain_jacobians(np.ones((1, 3)),
                                    calc.elementwise_jacobian(lambda v: 1 - np.tanh(v) ** 2, z),
                                    calc.matvec_jacobian(W))
    numeric = numerical_jacobian(lambda v: np.sum(np.tanh(W.T @ v)), x)
    assert analytic.shape == (1, 4) and rel_error(analytic, numeric) < TOL


def test_jacobian_to_gradient_and_trace_trick_give_the_weight_gradient():
    W, x, g = R(4, 3), R(4, 1), R(3, 1)       # J = g^T W^T x
    loss = lambda V: (g.T @ V.T @ x).item()  # noqa: E731
    numeric = numerical_gradient(loss, W)
    row = numerical_jacobian(loss, W)          # (1, 12), numerator layout
    assert rel_error(calc.jacobian_to_gradient(row, W.shape), numeric) < TOL
    # dJ = g^T dW^T x = tr(g x^T dW), so G = g x^T
    assert rel_error(calc.trace_trick_gradient(g @ x.T), numeric) < TOL
    assert rel_error(calc.trace_trick_gradient(g @ x.T), calc.matvec_weight_gradient(x, g)) < TOL


def test_jacobian_to_gradient_of_a_column_is_the_transpose():
    row = R(1, 4)
    assert np.array_equal(calc.jacobian_to_gradient(row, (4, 1)), row.T)


def test_diag_lays_each_entry_on_the_diagonal():
    v = np.array([[1.0], [-2.0], [3.5]])
    D = calc.diag(v)
    assert np.array_equal(D, [[1.0, 0, 0], [0, -2.0, 0], [0, 0, 3.5]])
    assert not np.allclose(D, v[0, 0] * np.eye(3))  # not a multiple of the identity


def test_hadamard_jacobian():
    x, y = R(5, 1), R(5, 1)
    assert rel_error(calc.hadamard_jacobian(y), numerical_jacobian(lambda v: v * y, x)) < TOL


@pytest.mark.parametrize("f, f_prime", [
    (act.sigmoid, lambda z: act.sigmoid_backward(np.ones_like(z), act.sigmoid(z))),
    (act.tanh, lambda z: act.tanh_backward(np.ones_like(z), act.tanh(z))),
])
def test_elementwise_jacobian(f, f_prime):
    z = R(6, 1)
    assert rel_error(calc.elementwise_jacobian(f_prime, z), numerical_jacobian(f, z)) < TOL


@settings(max_examples=40, deadline=None)
@given(columns())
def test_row_times_diag_is_a_hadamard_product(rv):
    r, v = rv
    assert np.allclose(calc.row_times_diag(r.T, v), r.T @ calc.diag(v), atol=1e-9)


@pytest.mark.parametrize("call, message", [
    (lambda: calc.dot_as_sum(np.ones((3, 1)), np.ones((4, 1))),
     r"b must have shape \(n, 1\) = \(3, 1\)"),
    (lambda: calc.dot_as_sum(np.ones(3), np.ones(3)), "must be a 2-D array"),
    (lambda: calc.dot_jacobian(np.ones((1, 3))), r"got shape \(1, 3\)"),
    (lambda: calc.matvec_jacobian(np.ones(3)), "2-D array"),
    (lambda: calc.matvec_weight_jacobian(np.ones((3, 1)), 0), "positive integer"),
    (lambda: calc.matvec_weight_gradient(np.ones((3, 2)), np.ones((4, 5))), r"g must have shape"),
    (lambda: calc.chain_jacobians(), "at least one"),
    (lambda: calc.chain_jacobians(np.ones((1, 3)), np.ones((4, 2))), "Jacobian 2 must have 3 rows"),
    (lambda: calc.jacobian_to_gradient(np.ones((1, 5)), (2, 3)), r"jac must have shape"),
    (lambda: calc.trace_trick_gradient(np.ones(3)), "2-D array"),
    (lambda: calc.diag(np.ones((2, 2))), r"v must have shape"),
    (lambda: calc.diag(["a", "b"]), "numeric"),
    (lambda: calc.hadamard_jacobian(np.ones((1, 2))), r"got shape \(1, 2\)"),
    (lambda: calc.elementwise_jacobian(np.tanh, np.ones((2, 2))), r"z must have shape"),
    (lambda: calc.row_times_diag(np.ones((1, 3)), np.ones((2, 1))),
     r"v must have shape \(n, 1\) = \(3, 1\)"),
    (lambda: calc.row_times_diag(np.ones((3, 1)), np.ones((3, 1))), r"r must have shape"),
])
def test_bad_shapes_raise_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_chain_jacobians_order_matters():
    A, B, x = R(4, 4), R(4, 4), R(4, 1)       # f(x) = B^T (A^T x): Jacobian B^T A^T, not A^T B^T
    analytic = calc.chain_jacobians(calc.matvec_jacobian(B), calc.matvec_jacobian(A))
    assert rel_error(analytic, numerical_jacobian(lambda v: B.T @ (A.T @ v), x)) < TOL
