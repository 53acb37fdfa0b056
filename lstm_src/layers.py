r"""The affine maps every gate shares, and the softmax output layer.

Every gate pre-activation in the book has the same form (eq.1, 3, 5, 7 of the
forward pass; the RNN's hidden state too):

.. math:: z = W_a^\top a^{\langle t-1\rangle} + W_x^\top x^{\langle t\rangle} + b

so its forward and backward live here once. Shapes use the book's
convention: column vectors, a batch of m examples as columns.
Defined in the chapters "Forward propagation" and "The output gate" (the
trace trick).
"""
import numpy as np

from .activations import softmax

__all__ = [
    "affine_forward",
    "affine_weight_grads",
    "affine_input_grads",
    "output_layer_forward",
    "output_layer_backward",
]


def affine_forward(W_a, W_x, b, a_prev, x):
    r"""Pre-activation of a gate, :math:`z = W_a^\top a + W_x^\top x + b` (eq.1, 3, 5, 7).

    Defined in: book/part2/forward.ipynb

    Parameters
    ----------
    W_a : ndarray (n_a, n_a)
    W_x : ndarray (n_x, n_a)
    b : ndarray (n_a, 1)
    a_prev : ndarray (n_a, m)
        :math:`a^{\langle t-1\rangle}`.
    x : ndarray (n_x, m)
        :math:`x^{\langle t\rangle}`.

    Returns
    -------
    z : ndarray (n_a, m)
    """
    return W_a.T @ a_prev + W_x.T @ x + b


def affine_weight_grads(dz, a_prev, x):
    r"""Weight and bias gradients of :func:`affine_forward` by the trace trick.

    From :math:`dJ = \mathrm{tr}\big(\tfrac{\partial J}{\partial z}\, dW_a^\top a\big)`
    the trace trick reads off the Jacobian :math:`(\partial J/\partial z)^\top a^\top`;
    its transpose, the gradient of the same shape as :math:`W_a`, summed over
    the batch, is

    .. math::
        \nabla_{W_a} J = a^{\langle t-1\rangle} (\delta z)^\top,\quad
        \nabla_{W_x} J = x^{\langle t\rangle} (\delta z)^\top,\quad
        \nabla_{b} J = \textstyle\sum_{i=1}^m \delta z_{:,i}

    where :math:`\delta z = \partial J/\partial z` as a gradient (n_a, m).

    Defined in: book/part3/output_gate.ipynb

    Parameters
    ----------
    dz : ndarray (n_a, m)
    a_prev : ndarray (n_a, m)
    x : ndarray (n_x, m)

    Returns
    -------
    dW_a : ndarray (n_a, n_a)
    dW_x : ndarray (n_x, n_a)
    db : ndarray (n_a, 1)
    """
    return a_prev @ dz.T, x @ dz.T, np.sum(dz, axis=1, keepdims=True)


def affine_input_grads(dz, W_a, W_x):
    r"""Gradients of :func:`affine_forward` with respect to its inputs (eqs. prev-da, prev-dx).

    In numerator layout these are the Jacobians :math:`\tfrac{\partial J}{\partial z} W_a^\top`
    and :math:`\tfrac{\partial J}{\partial z} W_x^\top` (row vectors); as
    gradients (columns):

    .. math::
        \nabla_{a^{\langle t-1\rangle}} J = W_a\, \delta z,\qquad
        \nabla_{x^{\langle t\rangle}} J = W_x\, \delta z

    Defined in: book/part3/inputs_and_previous_state.ipynb

    Parameters
    ----------
    dz : ndarray (n_a, m)
    W_a : ndarray (n_a, n_a)
    W_x : ndarray (n_x, n_a)

    Returns
    -------
    da_prev : ndarray (n_a, m)
    dx : ndarray (n_x, m)
    """
    return W_a @ dz, W_x @ dz


def output_layer_forward(W_ya, b_y, a):
    r"""The prediction at one step: eq.11 and eq.12.

    .. math::
        z_y^{\langle t\rangle} = W_{ya}^\top a^{\langle t\rangle} + b_y,\qquad
        \hat y^{\langle t\rangle} = \mathrm{softmax}(z_y^{\langle t\rangle})

    Parameters
    ----------
    W_ya : ndarray (n_a, n_y)
    b_y : ndarray (n_y, 1)
    a : ndarray (n_a, m)

    Returns
    -------
    y_hat : ndarray (n_y, m)
    """
    return softmax(W_ya.T @ a + b_y, axis=0)


def output_layer_backward(dz_y, a, W_ya):
    r"""Gradients of eq.11 (eqs. out-dWya, out-dby; component 2 of hc-da).

    .. math::
        \nabla_{W_{ya}} J = a^{\langle t\rangle} (\delta z_y)^\top,\qquad
        \nabla_{b_y} J = \textstyle\sum_i \delta z_{y,:,i},\qquad
        \nabla_{a^{\langle t\rangle}} J \big|_{\hat y} = W_{ya}\,\delta z_y

    Defined in: book/part3/output_layer.ipynb

    Parameters
    ----------
    dz_y : ndarray (n_y, m)
        :math:`\partial J/\partial z_y^{\langle t\rangle}`, from
        :func:`lstm_src.loss.softmax_cross_entropy_backward`.
    a : ndarray (n_a, m)
    W_ya : ndarray (n_a, n_y)

    Returns
    -------
    dW_ya : ndarray (n_a, n_y)
    db_y : ndarray (n_y, 1)
    da : ndarray (n_a, m)
        The component of :math:`\partial J/\partial a^{\langle t\rangle}` that
        flows in from :math:`\hat y^{\langle t\rangle}`.
    """
    return a @ dz_y.T, np.sum(dz_y, axis=1, keepdims=True), W_ya @ dz_y
