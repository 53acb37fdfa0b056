r"""Finite-difference gradients and Jacobians, and a whole-model gradient check.

Every derivation in the book is checked against these. The simplest centred
difference,

.. math:: \frac{\partial f}{\partial x_j} \approx \frac{f(x + h e_j) - f(x - h e_j)}{2h},

has truncation error :math:`O(h^2)` and rounding error about
:math:`\epsilon_{\text{mach}} |f| / h`; the best it can do in float64 is about
1e-10 relative to f (h near 1e-5). The default here is its fourth-order
sibling, still centred,

.. math::
    \frac{\partial f}{\partial x_j} \approx
    \frac{-f(x + 2h e_j) + 8 f(x + h e_j) - 8 f(x - h e_j) + f(x - 2h e_j)}{12h},

with truncation error :math:`O(h^4)`, so a larger step (h = 1e-3) keeps both
errors near 1e-13: small gradients are checked as tightly as large ones.
Defined in the chapter "Jacobians and layout".
"""
import numpy as np

from .loss import cross_entropy
from .validation import as_float_array

__all__ = ["numerical_gradient", "numerical_jacobian", "rel_error", "random_problem",
           "check_model_gradients"]

# order -> (weight of f(x + k h) - f(x - k h) for k = 1, 2, ...; denominator in units of h;
#           default h).
# Pairing the terms makes the estimate exactly 0 where f does not depend on x.
_STENCILS = {
    2: ((1.0,), 2.0, 1e-5),
    4: ((8.0, -1.0), 12.0, 1e-3),
}


def _stencil(order, h):
    if order not in _STENCILS:
        raise ValueError(f"order must be 2 or 4; got {order!r}")
    weights, denom, default_h = _STENCILS[order]
    h = default_h if h is None else float(h)
    return weights, denom * h, h


def numerical_gradient(f, x, h=None, order=4):
    r"""Centred-difference gradient of a scalar function.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``.
    x : ndarray, any shape
        The point; a copy is perturbed one entry at a time.
    h : float, optional
        Step; 1e-3 for ``order=4``, 1e-5 for ``order=2`` when not given.
    order : {4, 2}
        Accuracy order of the centred stencil (see the module docstring).

    Returns
    -------
    grad : ndarray, same shape as ``x``
        :math:`\partial f/\partial x_j` in entry j.
    """
    weights, scale, h = _stencil(order, h)
    x = as_float_array("x", x).copy()  # float64, or the caller's higher precision
    grad = np.zeros_like(x)
    flat, g = x.reshape(-1), grad.reshape(-1)
    for j in range(flat.size):
        old = flat[j]
        total = 0.0
        for k, w in enumerate(weights, start=1):
            flat[j] = old + k * h
            f_plus = np.asarray(f(x), dtype=x.dtype)
            flat[j] = old - k * h
            total = total + w * (f_plus - np.asarray(f(x), dtype=x.dtype))
        flat[j] = old
        g[j] = total / scale
    return grad


def numerical_jacobian(f, x, h=None, order=4):
    r"""Centred-difference Jacobian in numerator layout.

    Entry (i, j) is :math:`\partial f_i/\partial x_j`, where i and j count
    the entries of ``f(x)`` and ``x`` in C order. For a column-vector
    function of a column vector this is the usual
    :math:`\partial f/\partial x` of shape (len f, len x).

    Defined in: book/part1/jacobians_and_layout.ipynb

    Parameters
    ----------
    f : callable
        ``f(x) -> ndarray``.
    x : ndarray, any shape
    h : float, optional
    order : {4, 2}

    Returns
    -------
    J : ndarray (f(x).size, x.size)
    """
    weights, scale, h = _stencil(order, h)
    x = as_float_array("x", x).copy()
    flat = x.reshape(-1)
    jac = np.zeros((np.asarray(f(x)).size, flat.size), x.dtype)
    for j in range(flat.size):
        old = flat[j]
        for k, w in enumerate(weights, start=1):
            flat[j] = old + k * h
            f_plus = np.array(f(x), dtype=x.dtype).reshape(-1)
            flat[j] = old - k * h
            f_minus = np.asarray(f(x), dtype=x.dtype).reshape(-1)
            jac[:, j] += w * (f_plus - f_minus)
        flat[j] = old
        jac[:, j] /= scale
    return jac


def rel_error(a, b):
    r"""Relative error between two arrays of the same shape.

    .. math::
        \mathrm{rel}(a, b) = \frac{\max_j |a_j - b_j|}
                                  {\max\left(10^{-12},\ \max_j (|a_j| + |b_j|)\right)}

    The largest absolute difference, measured against the size of the
    arrays, so a tiny entry with a little rounding noise does not dominate;
    0 when both are zero. A correct float64 gradient scores about 1e-10
    against a centred difference; a wrong factor scores 1e-2 or more.

    Returns
    -------
    float
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error needs two arrays of one shape; got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b)) / max(1e-12, float(np.max(np.abs(a) + np.abs(b)))))


def random_problem(module, n_x, n_a, n_y, m, T_x, seed=0, bias_scale=0.5):
    r"""A random model and data to check gradients on.

    ``module.init_params`` starts every bias at zero, which would leave a
    bias's effect on the forward pass untested; here they are drawn too.
    Used by the book's chapters, the tests and the exercises' feedback.

    Parameters
    ----------
    module : module
        :mod:`lstm_src.lstm` or :mod:`lstm_src.rnn` (anything with ``init_params``).
    n_x, n_a, n_y, m, T_x : int
    seed : int
        Seeds both the parameters and the data.
    bias_scale : float
        Standard deviation of the biases.

    Returns
    -------
    params : dict
        From ``module.init_params(n_x, n_a, n_y, seed)``, biases
        :math:`\mathcal N(0, \text{bias\_scale}^2)`.
    x : ndarray (n_x, m, T_x)
        :math:`\mathcal N(0, 1)` entries.
    a0 : ndarray (n_a, m)
        :math:`\mathcal N(0, 0.25)` entries.
    y : ndarray (n_y, m, T_x)
        One-hot labels of random classes.
    """
    rng = np.random.default_rng(seed)
    params = module.init_params(n_x, n_a, n_y, seed=seed)
    for name in params:
        if name.startswith("b_"):
            params[name] = rng.normal(0.0, bias_scale, params[name].shape)
    x = rng.normal(size=(n_x, m, T_x))
    a0 = rng.normal(0.0, 0.5, size=(n_a, m))
    y = np.eye(n_y)[:, rng.integers(0, n_y, size=(m, T_x))]
    return params, x, a0, y


def check_model_gradients(forward, backward, x, a0, y, params, h=None, order=4,
                          reference_dtype=np.longdouble):
    r"""Gradient check of a whole sequence model against finite differences.

    Runs ``forward(x, a0, params)`` (an LSTM's or an RNN's: its second output
    is y_hat, its last the caches), J = :func:`lstm_src.loss.cross_entropy`,
    and ``backward(y, caches)`` in float64; then compares every analytic
    gradient — each parameter, ``dx`` and ``da0`` — with
    :func:`numerical_gradient` of J.

    The finite differences are taken in ``reference_dtype``: by default numpy's
    extended precision (80-bit on x86-64 Linux, machine epsilon 1e-19). A
    float64 difference cannot resolve a gradient entry a million times
    smaller than J (its rounding error alone is about 1e-13); the extended
    reference can, so even such entries are held to the 1e-7 relative error
    the tests demand. Where ``longdouble`` is plain float64 (some platforms)
    the check still works, with that rounding floor.

    Parameters
    ----------
    forward, backward : callable
        E.g. :func:`lstm_src.lstm.lstm_forward` and :func:`lstm_src.lstm.lstm_backward`.
    x : ndarray (n_x, m, T_x)
    a0 : ndarray (n_a, m)
    y : ndarray (n_y, m, T_x), one-hot
    params : dict
    h, order
        As for :func:`numerical_gradient`.
    reference_dtype : numpy floating type
        Precision of the finite differences.

    Returns
    -------
    dict
        ``"d" + name`` -> :func:`rel_error` of the analytic (float64) against
        the numerical gradient, for every parameter, ``dx`` and ``da0``.
    """
    inputs = {**params, "x": x, "a0": a0}
    model64 = {k: np.array(v, dtype=np.float64) for k, v in inputs.items()}
    grads = backward(y, forward(model64.pop("x"), model64.pop("a0"), model64)[-1])

    # the reference: every array in reference_dtype, perturbed in place one entry at a time
    arrays = {k: np.array(v, dtype=reference_dtype) for k, v in inputs.items()}
    model = {k: arrays[k] for k in params}
    y_ref = np.asarray(y, dtype=reference_dtype)

    errors = {}
    for name, arr in arrays.items():
        def loss_at(value, arr=arr):
            saved = arr.copy()
            arr[...] = value
            try:
                return cross_entropy(forward(arrays["x"], arrays["a0"], model)[1], y_ref)
            finally:
                arr[...] = saved

        errors["d" + name] = rel_error(grads["d" + name],
                                       numerical_gradient(loss_at, arr, h, order))
    return errors
