r"""The vanilla RNN (Ng's *Sequence Models* course), in the book's convention.

.. math::
    a^{\langle t\rangle} = \tanh(W_{aa}^\top a^{\langle t-1\rangle}
                                 + W_{ax}^\top x^{\langle t\rangle} + b_a),\qquad
    \hat y^{\langle t\rangle} = \mathrm{softmax}(W_{ya}^\top a^{\langle t\rangle} + b_y)

Shapes: x (n_x, m, T_x), a0 (n_a, m), W_aa (n_a, n_a), W_ax (n_x, n_a),
b_a (n_a, 1), W_ya (n_a, n_y), b_y (n_y, 1). The loss is the same
:func:`lstm_src.loss.cross_entropy`. Defined in the chapter
"Back-propagation through time in a vanilla RNN".
"""
import numpy as np

from .activations import tanh, tanh_backward
from .layers import (
    affine_forward,
    affine_input_grads,
    affine_weight_grads,
    output_layer_backward,
    output_layer_forward,
)
from .loss import softmax_cross_entropy_backward
from .validation import as_float_array, check_caches, check_params, check_shape

__all__ = [
    "PARAM_NAMES", "param_shapes", "init_params",
    "rnn_cell_forward", "rnn_forward", "rnn_cell_backward", "rnn_backward",
]

#: Every parameter of the RNN.
PARAM_NAMES = ("W_aa", "W_ax", "b_a", "W_ya", "b_y")


def param_shapes(n_x, n_a, n_y):
    """The shape of every RNN parameter, as a dict name -> (spec, labels)."""
    return {
        "W_aa": ((n_a, n_a), ("n_a", "n_a")),
        "W_ax": ((n_x, n_a), ("n_x", "n_a")),
        "b_a": ((n_a, 1), ("n_a", "1")),
        "W_ya": ((n_a, n_y), ("n_a", "n_y")),
        "b_y": ((n_y, 1), ("n_y", "1")),
    }


def init_params(n_x, n_a, n_y, seed=0):
    r"""Random RNN parameters: weights :math:`\mathcal N(0, 1/(n_a+n_x))`
    (W_ya: :math:`\mathcal N(0, 1/n_a)`), biases zero.

    Parameters
    ----------
    n_x, n_a, n_y : int
    seed : int

    Returns
    -------
    dict
        ``W_aa`` (n_a, n_a), ``W_ax`` (n_x, n_a), ``b_a`` (n_a, 1),
        ``W_ya`` (n_a, n_y), ``b_y`` (n_y, 1).
    """
    for name, v in (("n_x", n_x), ("n_a", n_a), ("n_y", n_y)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{name} must be a positive integer; got {v!r}")
    rng = np.random.default_rng(seed)
    scale = 1.0 / np.sqrt(n_a + n_x)
    return {
        "W_aa": rng.normal(0.0, scale, (n_a, n_a)),
        "W_ax": rng.normal(0.0, scale, (n_x, n_a)),
        "b_a": np.zeros((n_a, 1)),
        "W_ya": rng.normal(0.0, 1.0 / np.sqrt(n_a), (n_a, n_y)),
        "b_y": np.zeros((n_y, 1)),
    }


def _check_params(params, n_x, n_a):
    W_ya = params.get("W_ya") if isinstance(params, dict) else None
    n_y = np.shape(W_ya)[1] if W_ya is not None and np.ndim(W_ya) == 2 else None
    return check_params(params, param_shapes(n_x, n_a, n_y))


def _cell_forward(xt, a_prev, p):
    a = tanh(affine_forward(p["W_aa"], p["W_ax"], p["b_a"], a_prev, xt))
    y_hat = output_layer_forward(p["W_ya"], p["b_y"], a)
    return a, y_hat, {"x": xt, "a_prev": a_prev, "a": a, "y_hat": y_hat, "params": p}


def rnn_cell_forward(xt, a_prev, params):
    r"""One RNN step.

    .. math::
        a^{\langle t\rangle} = \tanh(W_{aa}^\top a^{\langle t-1\rangle}
                                     + W_{ax}^\top x^{\langle t\rangle} + b_a),\qquad
        \hat y^{\langle t\rangle} = \mathrm{softmax}(W_{ya}^\top a^{\langle t\rangle} + b_y)

    Parameters
    ----------
    xt : ndarray (n_x, m)
    a_prev : ndarray (n_a, m)
    params : dict, as from :func:`init_params`

    Returns
    -------
    a : ndarray (n_a, m)
    y_hat : ndarray (n_y, m)
    cache : dict
    """
    xt = check_shape("xt", as_float_array("xt", xt), (None, None), ("n_x", "m"))
    a_prev = check_shape("a_prev", as_float_array("a_prev", a_prev), (None, xt.shape[1]),
                         ("n_a", "m"))
    p = _check_params(params, xt.shape[0], a_prev.shape[0])
    return _cell_forward(xt, a_prev, p)


def rnn_forward(x, a0, params):
    r"""Run the RNN over a sequence.

    Parameters
    ----------
    x : ndarray (n_x, m, T_x)
    a0 : ndarray (n_a, m)
    params : dict

    Returns
    -------
    a : ndarray (n_a, m, T_x)
    y_hat : ndarray (n_y, m, T_x)
    caches : dict
        ``{"steps": [...], "params": params}``, for :func:`rnn_backward`.
    """
    x = check_shape("x", as_float_array("x", x), (None, None, None), ("n_x", "m", "T_x"))
    n_x, m, T_x = x.shape
    a0 = check_shape("a0", as_float_array("a0", a0), (None, m), ("n_a", "m"))
    p = _check_params(params, n_x, a0.shape[0])
    dtype = np.result_type(x, a0, *p.values())
    a = np.zeros((a0.shape[0], m, T_x), dtype)
    y_hat = np.zeros((p["W_ya"].shape[1], m, T_x), dtype)
    a_t, steps = a0, []
    for t in range(T_x):
        a_t, y_hat[:, :, t], cache = _cell_forward(x[:, :, t], a_t, p)
        a[:, :, t] = a_t
        steps.append(cache)
    return a, y_hat, {"steps": steps, "params": p}


def rnn_cell_backward(da, cache):
    r"""Back-propagate one RNN step from the total gradient at :math:`a^{\langle t\rangle}`.

    .. math::
        \delta z = \frac{\partial J}{\partial a^{\langle t\rangle}}
                   \circ(1 - (a^{\langle t\rangle})^2),\quad
        \nabla_{W_{aa}}J = a^{\langle t-1\rangle}\delta z^\top,\quad
        \nabla_{W_{ax}}J = x^{\langle t\rangle}\delta z^\top,\quad
        \nabla_{b_a}J = \textstyle\sum_i\delta z_{:,i},\quad
        \nabla_{a^{\langle t-1\rangle}}J = W_{aa}\delta z,\quad
        \nabla_{x^{\langle t\rangle}}J = W_{ax}\delta z

    Defined in: book/part3/rnn_bptt.ipynb

    Parameters
    ----------
    da : ndarray (n_a, m)
        :math:`\partial J/\partial a^{\langle t\rangle}`, from the prediction and from step t+1.
    cache : dict, from :func:`rnn_cell_forward`

    Returns
    -------
    dict
        ``dW_aa, dW_ax, db_a`` for this step, ``da_prev`` (n_a, m), ``dx`` (n_x, m).
    """
    p = cache["params"]
    dz = tanh_backward(da, cache["a"])
    dW_aa, dW_ax, db_a = affine_weight_grads(dz, cache["a_prev"],
                                             cache["x"])
    da_prev, dx = affine_input_grads(dz, p["W_aa"], p["W_ax"])
    return {"dW_aa": dW_aa, "dW_ax": dW_ax, "db_a": db_a,
            "da_prev": da_prev, "dx": dx}


def rnn_backward(y, caches):
    r"""Back-propagation through time for the RNN; gradients of :func:`lstm_src.loss.cross_entropy`.

    Defined in: book/part3/rnn_bptt.ipynb

    Parameters
    ----------
    y : ndarray (n_y, m, T_x)
        One-hot labels.
    caches : dict, from :func:`rnn_forward`

    Returns
    -------
    dict
        ``dW_aa, dW_ax, db_a, dW_ya, db_y`` (each of its parameter's shape),
        ``dx`` (n_x, m, T_x), ``da0`` (n_a, m).
    """
    steps, p, y = check_caches(caches, y, "rnn_forward")
    (n_x, m), n_a = steps[0]["x"].shape, steps[0]["a"].shape[0]
    T_x = len(steps)
    grads = {"d" + name: np.zeros_like(p[name]) for name in PARAM_NAMES}
    dtype = steps[0]["a"].dtype
    grads["dx"] = np.zeros((n_x, m, T_x), dtype)
    da_next = np.zeros((n_a, m), dtype)
    for t in reversed(range(T_x)):
        k = steps[t]
        dz_y = softmax_cross_entropy_backward(k["y_hat"], y[:, :, t])
        dW_ya, db_y, da_from_y = output_layer_backward(dz_y, k["a"],
                                                       p["W_ya"])
        grads["dW_ya"] += dW_ya
        grads["db_y"] += db_y
        step = rnn_cell_backward(da_from_y + da_next, k)
        for name in ("W_aa", "W_ax", "b_a"):
            grads["d" + name] += step["d" + name]
        grads["dx"][:, :, t] = step["dx"]
        da_next = step["da_prev"]
    grads["da0"] = da_next
    return grads
