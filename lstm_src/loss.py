r"""The loss and its gradient at the output layer (eqs. out-dyhat to out-dz).

The course's loss sums the cross-entropy over time and averages it over the
batch of m examples:

.. math::
    J = -\frac{1}{m} \sum_{t=1}^{T_x} \sum_{i=1}^{m} \sum_{k=1}^{n_y}
        y_{k,i}^{\langle t\rangle} \log \hat y_{k,i}^{\langle t\rangle}

Defined in the chapter "The output layer: softmax and cross-entropy".
"""
import numpy as np

from .validation import as_float_array, check_shape

__all__ = ["cross_entropy", "cross_entropy_grad_y_hat", "softmax_cross_entropy_backward"]

_TINY = np.finfo(np.float64).tiny


def _check_pair(y_hat, y):
    y_hat = as_float_array("y_hat", y_hat)
    y = as_float_array("y", y)
    if y_hat.ndim not in (2, 3):
        raise ValueError(
            "y_hat must be a 2-D array (n_y, m) or a 3-D array (n_y, m, T_x); "
            f"got a {y_hat.ndim}-D array of shape {y_hat.shape}"
        )
    labels = ("n_y", "m", "T_x")[: y_hat.ndim]
    check_shape("y_hat", y_hat, (None,) * y_hat.ndim, labels)
    check_shape("y", y, y_hat.shape, labels)
    return y_hat, y


def cross_entropy(y_hat, y):
    r"""Cross-entropy summed over time and classes, averaged over the batch.

    .. math::
        J = -\frac{1}{m} \sum_t \sum_i \sum_k
            y_{k,i}^{\langle t\rangle} \log \hat y_{k,i}^{\langle t\rangle}

    Only the entries with :math:`y > 0` contribute, and :math:`\hat y` is
    floored at the smallest positive float, so J is finite even when a
    softmax output has underflowed to 0.

    Parameters
    ----------
    y_hat : ndarray (n_y, m, T_x) or (n_y, m)
        Predicted probabilities; each column sums to 1.
    y : ndarray, same shape as ``y_hat``
        One-hot labels.

    Returns
    -------
    J : float
        A numpy scalar of the inputs' precision (float64 unless given more).
    """
    y_hat, y = _check_pair(y_hat, y)
    m = y.shape[1]
    logs = np.log(np.maximum(y_hat, _TINY), where=y > 0, out=np.zeros_like(y_hat))
    return -np.sum(y * logs) / m


def cross_entropy_grad_y_hat(y_hat, y):
    r"""Gradient of :func:`cross_entropy` with respect to :math:`\hat y` (eq. out-dyhat).

    .. math::
        \frac{\partial J}{\partial \hat y_{k,i}^{\langle t\rangle}}
        = -\frac{1}{m}\,\frac{y_{k,i}^{\langle t\rangle}}{\hat y_{k,i}^{\langle t\rangle}}

    (A common slip is to drop the minus sign or the 1/m; the book's numerical
    check catches both.)

    Defined in: book/part3/output_layer.ipynb

    Parameters
    ----------
    y_hat, y : ndarray (n_y, m) or (n_y, m, T_x)

    Returns
    -------
    dy_hat : ndarray, same shape as ``y_hat``
    """
    y_hat, y = _check_pair(y_hat, y)
    m = y.shape[1]
    return -(y / np.maximum(y_hat, _TINY)) / m


def softmax_cross_entropy_backward(y_hat, y):
    r"""Gradient of J with respect to the logits :math:`z_y` (eq. out-dz).

    Multiplying :math:`\partial J/\partial\hat y` by the softmax Jacobian
    :math:`\mathrm{diag}(\hat y) - \hat y\hat y^\top` collapses, because each
    column of y sums to 1, to

    .. math::
        \frac{\partial J}{\partial z_y^{\langle t\rangle}}
        = \frac{1}{m}\left(\hat y^{\langle t\rangle} - y^{\langle t\rangle}\right)

    Defined in: book/part3/output_layer.ipynb

    Parameters
    ----------
    y_hat : ndarray (n_y, m) or (n_y, m, T_x)
        Softmax outputs.
    y : ndarray, same shape
        One-hot labels (or any columns that sum to 1, such as probabilities).

    Returns
    -------
    dz_y : ndarray, same shape as ``y_hat``

    Raises
    ------
    ValueError
        If a column of ``y`` does not sum to 1: the simplification to
        :math:`\hat y - y` uses that sum, so for such labels it would be wrong.
        (To leave a step out of the loss, give it y = y_hat, whose gradient is 0.)
    """
    y_hat, y = _check_pair(y_hat, y)
    sums = np.sum(y, axis=0)
    if not np.allclose(sums, 1.0):
        bad = sums[~np.isclose(sums, 1.0)]
        raise ValueError(
            "each column of y must sum to 1 (one-hot labels); "
            f"got {bad.size} column(s) summing to e.g. {bad.flat[0]:g}"
        )
    return (y_hat - y) / y.shape[1]
