"""Checks of assignment 1, matrix calculus (``exercises/01_matrix_calculus``)."""

import numpy as np

from .. import activations
from ..gradcheck import rel_error
from ._calling import PARAMETERS, QUESTION_OF, _call, _unpack
from ._problems import random_sizes
from ._reports import TOL, _fail, check_array

QUESTION_OF.update(
    dot_gradient="q1",
    elementwise_jacobian="q2",
    hadamard_jacobians="q3",
    linear_map_gradients="q4",
    finite_difference_jacobian="q5",
)
PARAMETERS.update(
    dot_gradient=("a", "b"),
    elementwise_jacobian=("z",),
    hadamard_jacobians=("u", "v"),
    linear_map_gradients=("dz", "W", "a"),
    finite_difference_jacobian=("f", "x", "h"),
)


def _columns(seed, size, count):
    """``count`` random columns of length random_sizes(seed)[size] + 1."""
    n = random_sizes(seed)[size] + 1
    return n, list(np.random.default_rng(seed).normal(size=(count, n, 1)))


def check_dot_gradient(fn, seeds=(0, 1)):
    """``fn(a, b) -> (jac, grad)`` for s = aᵀb: jac = ∂s/∂a (1, n) a row, grad = ∇_a s (n, 1)."""
    for seed in seeds:
        n, (a, b) = _columns(seed, "n_a", 2)
        jac, grad = _unpack(_call(fn, "dot_gradient", a, b), "dot_gradient", ("jac", "grad"))
        if np.shape(jac) == (n, 1):
            _fail(
                f"jac: expected shape (1, {n}), got {np.shape(jac)}: the Jacobian of a scalar with "
                "respect to a column is a row (numerator layout); the gradient is its transpose"
            )
        for label, got, want in (("jac = ∂s/∂a", jac, b.T), ("grad = ∇_a s", grad, b)):
            if np.shape(got) == want.shape and rel_error(got, a.reshape(want.shape)) <= TOL:
                _fail(f"{label} equals a: differentiating aᵀb = Σ a_i b_i by a_i leaves b_i")
            check_array(label, got, want)


def check_elementwise_jacobian(fn, seeds=(0, 1)):
    """``fn(z) -> J`` (n, n), the Jacobian of h = σ(z) for a column z: diag(σ(z)(1 − σ(z)))."""
    for seed in seeds:
        n, (z,) = _columns(seed, "n_x", 1)
        z = 2.0 * z
        s = activations.sigmoid(z).ravel()
        got = _call(fn, "elementwise_jacobian", z)
        if np.shape(got) in ((n, 1), (n,)):
            _fail(
                f"expected shape ({n}, {n}), got {np.shape(got)}: the Jacobian of a function of a "
                "vector "
                "of size n is n × n; an element-wise function's Jacobian is diag(σ′(z))"
            )
        got = np.asarray(got, dtype=float)
        if got.shape == (n, n) and np.max(np.abs(got - np.diag(np.diag(got)))) > TOL:
            _fail("the entries off the diagonal should be 0: h_i = σ(z_i) depends on z_i only")
        if got.shape == (n, n) and rel_error(got, np.diag(s)) <= TOL:
            _fail("your diagonal holds σ(z): the derivative is σ′(z) = σ(z)(1 − σ(z))")
        check_array("the Jacobian ∂σ(z)/∂z", got, np.diag(s * (1 - s)))


def check_hadamard_jacobians(fn, seeds=(0, 1)):
    """``fn(u, v) -> (J_u, J_v)``: the Jacobians of u∘v, diag(v) and diag(u)."""
    for seed in seeds:
        n, (u, v) = _columns(seed, "m", 2)
        J_u, J_v = _unpack(
            _call(fn, "hadamard_jacobians", u, v), "hadamard_jacobians", ("J_u", "J_v")
        )
        if np.shape(J_u) == (n, n) and rel_error(J_u, np.diag(u.ravel())) <= TOL:
            _fail(
                "J_u = diag(u) is swapped: u∘v changes with u_i at the rate v_i, so ∂(u∘v)/∂u = "
                "diag(v)"
            )
        check_array("J_u = ∂(u∘v)/∂u", J_u, np.diag(v.ravel()))
        check_array("J_v = ∂(u∘v)/∂v", J_v, np.diag(u.ravel()))


def check_linear_map_gradients(fn, seeds=(0, 1)):
    """``fn(dz, W, a) -> (dW, da)`` for z = Wᵀa: dW = a dzᵀ (n, k), da = W dz (n, m)."""
    for seed in seeds:
        s = random_sizes(seed)
        rng = np.random.default_rng(seed)
        n, k, m = s["n_x"], s["n_a"], s["m"]
        W, a, dz = rng.normal(size=(n, k)), rng.normal(size=(n, m)), rng.normal(size=(k, m))
        dW, da = _unpack(
            _call(fn, "linear_map_gradients", dz, W, a), "linear_map_gradients", ("dW", "da")
        )
        check_array("dW (z = Wᵀa, so dW = a · dzᵀ)", dW, a @ dz.T)
        check_array("da (da = W · dz)", da, W @ dz)


def _fd_cases(seed):
    rng = np.random.default_rng(seed)
    s = random_sizes(seed)
    A = rng.normal(size=(s["n_x"], s["n_a"]))
    x = rng.normal(size=(s["n_x"], 1))
    d = 1.0 - np.tanh(A.T @ x).ravel() ** 2
    yield "f(x) = tanh(Aᵀx)", (lambda v: np.tanh(A.T @ v)), x, d[:, None] * A.T
    w = rng.normal(size=(s["n_y"], 1))
    yield "f(x) = exp(x) ∘ w", (lambda v: np.exp(v) * w), w.copy(), np.diag((np.exp(w) * w).ravel())


def check_finite_difference_jacobian(fn, seeds=(0, 1)):
    """``fn(f, x, h=1e-5) -> J``, centred differences in numerator layout (len f, len x)."""
    for seed in seeds:
        for label, f, x, want in _fd_cases(seed):
            got = _call(
                fn,
                "finite_difference_jacobian",
                f,
                x,
                mutation_hint="perturb a copy of x, or put each entry back",
            )
            got_arr = np.asarray(got, dtype=float)
            if got_arr.shape == want.shape[::-1] and want.shape[0] != want.shape[1]:
                _fail(
                    f"for {label}: expected shape {want.shape}, got {got_arr.shape}: numerator "
                    "layout puts "
                    "∂f_i/∂x_j in row i, column j (len f rows)"
                )
            if got_arr.shape == want.shape and 1e-7 < rel_error(got_arr, want) < 1e-3:
                _fail(
                    f"for {label}: close but off by {rel_error(got_arr, want):.1g}, about what a "
                    "one-sided difference or a step other than the given h leaves; use the "
                    "centred (f(x + h e_j) − f(x − h e_j)) / 2h with h as given (1e-5)"
                )
            check_array(f"the Jacobian of {label}", got, want, tol=1e-7)
