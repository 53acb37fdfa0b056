r"""The LSTM with peephole connections (Gers and Schmidhuber, 2000).

The gates also see the cell state, each through a vector of weights acting
entry by entry, :math:`w\circ c = \mathrm{diag}(w)\,c`: the forget and
update gates see :math:`c^{\langle t-1\rangle}`, the output gate the new
:math:`c^{\langle t\rangle}`:

.. math::
    z_f = W_{fa}^\top a^{\langle t-1\rangle} + W_{fx}^\top x^{\langle t\rangle}
          + w_{fc}\circ c^{\langle t-1\rangle} + b_f,\quad
    z_u = \dots + w_{uc}\circ c^{\langle t-1\rangle} + b_u,\quad
    z_o = \dots + w_{oc}\circ c^{\langle t\rangle} + b_o

Everything else is :mod:`lstm_src.lstm`'s, called, not copied: the cell and
hidden states, every gate's backward, the layer loop and the output layer.
The parameters are the LSTM's and ``w_fc, w_uc, w_oc`` (n_a, 1).
"""
import numpy as np

from . import lstm
from .activations import sigmoid, tanh
from .layers import affine_forward, output_layer_forward
from .validation import as_float_array, check_shape

__all__ = ["PEEPHOLES", "init_params", "peephole_grads",
           "peephole_cell_forward", "peephole_forward",
           "peephole_cell_backward", "peephole_backward"]

#: The peephole weights; forget and update gates see c<t-1>, output c<t>.
PEEPHOLES = ("w_fc", "w_uc", "w_oc")


def init_params(n_x, n_a, n_y, seed=0):
    r"""The LSTM's parameters (:func:`lstm_src.lstm.init_params`) and three
    peephole vectors (n_a, 1) drawn from :math:`\mathcal N(0, 1/(n_a+n_x))`.
    """
    params = lstm.init_params(n_x, n_a, n_y, seed=seed)
    rng = np.random.default_rng([seed, 2000])
    for name in PEEPHOLES:
        params[name] = rng.normal(0.0, 1.0 / np.sqrt(n_a + n_x), (n_a, 1))
    return params


def _checked(x, a0, params, c0):
    x, a0, p, c0 = lstm._checked_inputs(x, a0, params, c0)
    return x, a0, _with_peepholes(p, params, a0.shape[0]), c0


def _with_peepholes(p, params, n_a):
    """The checked LSTM parameters p and the three checked peepholes."""
    missing = [k for k in PEEPHOLES if k not in params]
    if missing:
        raise ValueError(f"params is missing {', '.join(missing)}; the "
                         f"peephole LSTM needs {', '.join(PEEPHOLES)} "
                         "besides the LSTM's")
    for k in PEEPHOLES:
        p[k] = check_shape(k, as_float_array(k, params[k]), (n_a, 1),
                           ("n_a", "1"))
    return p


def _cell_forward(xt, a_prev, c_prev, p):
    """One peephole step on checked inputs (no validation)."""
    def z(g):
        return affine_forward(p[f"W_{g}a"], p[f"W_{g}x"], p[f"b_{g}"],
                              a_prev, xt)

    gamma_f = sigmoid(z("f") + p["w_fc"] * c_prev)  # eq. ph-f
    gamma_u = sigmoid(z("u") + p["w_uc"] * c_prev)  # eq. ph-u
    c_tilde = tanh(z("c"))
    c = lstm.cell_state(gamma_f, c_prev, gamma_u, c_tilde)
    gamma_o = sigmoid(z("o") + p["w_oc"] * c)  # eq. ph-o: the new c
    a = lstm.hidden_state(c, gamma_o)
    y_hat = output_layer_forward(p["W_ya"], p["b_y"], a)
    cache = {
        "x": xt, "a_prev": a_prev, "c_prev": c_prev,
        "gamma_f": gamma_f, "gamma_u": gamma_u, "gamma_o": gamma_o,
        "c_tilde": c_tilde, "c": c, "a": a, "y_hat": y_hat, "params": p,
    }
    return a, c, y_hat, cache


def peephole_cell_forward(xt, a_prev, c_prev, params):
    """One peephole LSTM step; the contract of
    :func:`lstm_src.lstm.lstm_cell_forward`.

    Returns
    -------
    a, c : ndarray (n_a, m)
    y_hat : ndarray (n_y, m)
    cache : dict
    """
    xt = check_shape("xt", as_float_array("xt", xt), (None, None),
                     ("n_x", "m"))
    n_x, m = xt.shape
    a_prev = check_shape("a_prev", as_float_array("a_prev", a_prev),
                         (None, m), ("n_a", "m"))
    n_a = a_prev.shape[0]
    c_prev = check_shape("c_prev", as_float_array("c_prev", c_prev),
                         (n_a, m), ("n_a", "m"))
    p = _with_peepholes(lstm._check_params(params, n_x, n_a), params, n_a)
    return _cell_forward(xt, a_prev, c_prev, p)


def peephole_forward(x, a0, params, c0=None):
    """The peephole LSTM over a sequence; the contract of
    :func:`lstm_src.lstm.lstm_forward`.

    Returns
    -------
    a : ndarray (n_a, m, T_x)
    y_hat : ndarray (n_y, m, T_x)
    c : ndarray (n_a, m, T_x)
    caches : dict
        For :func:`peephole_backward` (or
        :func:`lstm_src.lstm.lstm_layer_backward`).
    """
    x, a0, p, c0 = _checked(x, a0, params, c0)
    a, y_hat, c, caches = lstm._sequence_forward(x, a0, p, c0, _cell_forward)
    caches["cell_backward"] = peephole_cell_backward
    return a, y_hat, c, caches


def peephole_grads(dz, w, c):
    r"""The two gradients of a peephole term :math:`w\circ c` inside a gate's
    pre-activation z (eq. ph-diag).

    :math:`w\circ c = \mathrm{diag}(w)\,c = \mathrm{diag}(c)\,w`, so the
    Jacobians are :math:`\mathrm{diag}(w)` and :math:`\mathrm{diag}(c)`, and
    a row times a diag is a Hadamard product:

    .. math::
        \delta c\,\big|_{z} = w\circ\delta z,\qquad
        \nabla_w J = \textstyle\sum_i (\delta z\circ c)_{:,i}

    (w is shared by the batch's columns, so its gradient sums over them).

    Defined in: book/part5/peephole.ipynb

    Parameters
    ----------
    dz : ndarray (n_a, m)
        The gate's :math:`\delta z`.
    w : ndarray (n_a, 1)
    c : ndarray (n_a, m)
        The cell state the gate sees.

    Returns
    -------
    dc : ndarray (n_a, m)
        The share of :math:`\delta c` that comes through this gate.
    dw : ndarray (n_a, 1)
    """
    return w * dz, np.sum(dz * c, axis=1, keepdims=True)


def peephole_cell_backward(da, dc_next, cache):
    r"""One step back: :func:`lstm_src.lstm.lstm_cell_backward`'s steps and
    the three peephole terms (eqs. ph-dc, ph-dcprev).

    The output gate sees :math:`c^{\langle t\rangle}`, so its
    :math:`\delta z_o` adds :math:`w_{oc}\circ\delta z_o` to
    :math:`\delta c^{\langle t\rangle}` *before* that flows into eq.9;
    the forget and update gates see :math:`c^{\langle t-1\rangle}` and add
    :math:`w_{fc}\circ\delta z_f + w_{uc}\circ\delta z_u` to
    :math:`\delta c^{\langle t-1\rangle}`.

    Defined in: book/part5/peephole.ipynb

    Parameters
    ----------
    da, dc_next : ndarray (n_a, m)
    cache : dict
        From :func:`peephole_forward`.

    Returns
    -------
    grads : dict
        The LSTM's step gradients, ``dw_fc, dw_uc, dw_oc``, ``da_prev``,
        ``dc_prev``, ``dx``.
    """
    k, p = cache, cache["params"]
    a_prev, x = k["a_prev"], k["x"]
    dgamma_o, dc = lstm.hidden_state_backward(da, dc_next, k["c"],
                                              k["gamma_o"])
    g, dz = {}, {}
    dz["o"], g["dW_oa"], g["dW_ox"], g["db_o"] = (
        lstm.sigmoid_gate_backward(dgamma_o, k["gamma_o"], a_prev, x))
    dc_o, g["dw_oc"] = peephole_grads(dz["o"], p["w_oc"], k["c"])
    dc = dc + dc_o  # the output gate saw c<t>
    dgamma_u, dc_tilde, dgamma_f, dc_prev = lstm.cell_state_backward(
        dc, k["gamma_f"], k["c_prev"], k["gamma_u"], k["c_tilde"])
    for gate, dgamma in (("f", dgamma_f), ("u", dgamma_u)):
        dz[gate], g[f"dW_{gate}a"], g[f"dW_{gate}x"], g[f"db_{gate}"] = (
            lstm.sigmoid_gate_backward(dgamma, k[f"gamma_{gate}"],
                                       a_prev, x))
        dc_g, g[f"dw_{gate}c"] = peephole_grads(dz[gate], p[f"w_{gate}c"],
                                                k["c_prev"])
        dc_prev = dc_prev + dc_g  # the gate saw c<t-1>
    dz["c"], g["dW_ca"], g["dW_cx"], g["db_c"] = lstm.candidate_backward(
        dc_tilde, k["c_tilde"], a_prev, x)
    g["da_prev"], g["dx"] = lstm.previous_state_grads(dz, p)
    g["dc_prev"] = dc_prev
    return g


def peephole_backward(y, caches):
    """Gradients of the sequence's cross-entropy:
    :func:`lstm_src.lstm.lstm_backward` itself, whose layer loop runs
    :func:`peephole_cell_backward` for these caches.

    Returns
    -------
    dict
        ``"d" + name`` for every parameter (peepholes included), ``"dx"``,
        ``"da0"``.
    """
    if not isinstance(caches, dict) or "cell_backward" not in caches:
        raise ValueError("caches must be the dict returned by "
                         f"peephole_forward; got {type(caches).__name__}")
    return lstm.lstm_backward(y, caches)
