"""Element-wise activations, softmax, and the derivatives the backward pass needs.

Defined in the book's chapters "diag and the Hadamard derivative" (the
element-wise derivatives) and "Forward propagation" (eq.2, 4, 6, 8, 12).
Every function is finite and warning-free for any finite input, logits of
+-1e3 included.
"""
import numpy as np

__all__ = ["sigmoid", "tanh", "softmax", "log_softmax", "sigmoid_backward", "tanh_backward"]


def _as_float(z):
    """z as an array of floats: float inputs keep their precision, others become float64."""
    z = np.asarray(z)
    return z if np.issubdtype(z.dtype, np.floating) else z.astype(np.float64)


def sigmoid(z):
    r"""Logistic sigmoid, :math:`\sigma(z) = 1 / (1 + e^{-z})`, element-wise.

    Computed as :math:`e^{-|z|}`-based branches so that no exponential can
    overflow: for :math:`z \ge 0` it is :math:`1/(1+e^{-z})`, otherwise
    :math:`e^{z}/(1+e^{z})`.

    Parameters
    ----------
    z : ndarray, any shape

    Returns
    -------
    ndarray, same shape as ``z``, entries in [0, 1]
    """
    z = _as_float(z)
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def tanh(z):
    r"""Hyperbolic tangent, element-wise; finite for every finite input.

    Parameters
    ----------
    z : ndarray, any shape

    Returns
    -------
    ndarray, same shape as ``z``, entries in [-1, 1]
    """
    return np.tanh(_as_float(z))


def _shift_by_max(z, axis):
    """z - max(z) along axis, every entry <= 0 and finite (floored at the most negative float)."""
    z = _as_float(z)
    with np.errstate(over="ignore"):  # only when z spans more than the float range
        shifted = z - np.max(z, axis=axis, keepdims=True)
    return np.maximum(shifted, np.finfo(shifted.dtype).min)


def softmax(z, axis=0):
    r"""Softmax along ``axis`` (the class axis, 0 for column vectors).

    .. math:: \mathrm{softmax}(z)_k = \frac{e^{z_k - \max_j z_j}}{\sum_i e^{z_i - \max_j z_j}}

    Subtracting the maximum changes nothing mathematically and keeps every
    exponent <= 0, so nothing overflows.

    Parameters
    ----------
    z : ndarray, e.g. (n_y, m)
    axis : int

    Returns
    -------
    ndarray, same shape as ``z``; each slice along ``axis`` sums to 1
    """
    e = np.exp(_shift_by_max(z, axis))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(z, axis=0):
    r"""Logarithm of :func:`softmax`, computed without forming the softmax.

    .. math:: \log\mathrm{softmax}(z)_k = z_k - \max_j z_j - \log\sum_i e^{z_i - \max_j z_j}

    Parameters
    ----------
    z : ndarray, e.g. (n_y, m)
    axis : int

    Returns
    -------
    ndarray, same shape as ``z``, entries <= 0 and finite
    """
    shifted = _shift_by_max(z, axis)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def sigmoid_backward(dgamma, gamma):
    r"""Gradient through a sigmoid gate, from its output.

    If :math:`\Gamma = \sigma(z)` then :math:`\partial\Gamma/\partial z =
    \mathrm{diag}(\Gamma \circ (1-\Gamma))`, and a row vector times a diag
    is a Hadamard product, so (eq. og-dz of the chapter "The output gate")

    .. math::
        \frac{\partial J}{\partial z}
        = \frac{\partial J}{\partial \Gamma} \circ \Gamma \circ (1 - \Gamma)

    Defined in: book/part1/diag_and_hadamard.ipynb

    Parameters
    ----------
    dgamma : ndarray (n_a, m)
        :math:`\partial J/\partial\Gamma` as a gradient (same shape as Γ).
    gamma : ndarray (n_a, m)
        The gate's value :math:`\Gamma = \sigma(z)` from the forward pass.

    Returns
    -------
    dz : ndarray (n_a, m)
    """
    return dgamma * gamma * (1.0 - gamma)


def tanh_backward(dout, out):
    r"""Gradient through a tanh, from its output.

    If :math:`h = \tanh(z)` then :math:`\partial h/\partial z = \mathrm{diag}(1 - h^2)`, so

    .. math:: \frac{\partial J}{\partial z} = \frac{\partial J}{\partial h} \circ (1 - h \circ h)

    Used for the candidate :math:`\tilde c = \tanh(z_c)` (eq. ucf-c) and
    the RNN's hidden state.

    Defined in: book/part1/diag_and_hadamard.ipynb

    Parameters
    ----------
    dout : ndarray (n, m)
        :math:`\partial J/\partial h`.
    out : ndarray (n, m)
        :math:`h = \tanh(z)` from the forward pass.

    Returns
    -------
    dz : ndarray (n, m)
    """
    return dout * (1.0 - out * out)
