r"""The LSTM the book derives: forward pass (eq.1–eq.12) and back-propagation (Part III).

Notation (see the book's notation page): column vectors, a batch of m
examples as columns, time as the last axis.

=============  ======================  =====================================
name           shape                   meaning
=============  ======================  =====================================
x              (n_x, m, T_x)           inputs, one column per example
a0             (n_a, m)                initial hidden state a<0>
a, c           (n_a, m, T_x)           hidden and cell state at every step
y_hat          (n_y, m, T_x)           softmax prediction at every step
W_*a           (n_a, n_a)              * in {f, u, o, c}
W_*x           (n_x, n_a)
b_*            (n_a, 1)
W_ya, b_y      (n_a, n_y), (n_y, 1)
=============  ======================  =====================================

The backward pass is written as one function per derivation step of Part III,
each named for what it computes; :func:`lstm_cell_backward` composes them
for one step and :func:`lstm_backward` runs that step backwards through time.
Every function returns gradients (arrays of the shape of the quantity
differentiated), the transposes of the numerator-layout Jacobians.
"""
import numpy as np

from .activations import sigmoid, sigmoid_backward, tanh, tanh_backward
from .layers import (
    affine_forward,
    affine_input_grads,
    affine_weight_grads,
    output_layer_backward,
    output_layer_forward,
)
from .loss import softmax_cross_entropy_backward
from .validation import (
    as_float_array,
    check_caches,
    check_mask,
    check_params,
    check_shape,
)

__all__ = [
    "GATES",
    "PARAM_NAMES",
    "param_shapes",
    "init_params",
    "cell_state",
    "hidden_state",
    "lstm_cell_forward",
    "lstm_forward",
    "hidden_state_grad",
    "hidden_state_backward",
    "cell_state_backward",
    "sigmoid_gate_backward",
    "candidate_backward",
    "previous_state_grads",
    "lstm_cell_backward",
    "lstm_backward",
    "lstm_layer_forward",
    "lstm_layer_backward",
]

#: The four blocks that share the form z = W_a^T a + W_x^T x + b:
#: forget gate, update gate, output gate, candidate.
GATES = ("f", "u", "o", "c")

#: Every parameter of the model, in the order the forward pass introduces them.
PARAM_NAMES = tuple(n for g in GATES for n in (f"W_{g}a", f"W_{g}x", f"b_{g}")) + ("W_ya", "b_y")


def param_shapes(n_x, n_a, n_y):
    """The shape of every LSTM parameter, as a dict name -> (spec, labels).

    ``spec`` holds the sizes (``None`` where a size is not known yet) and
    ``labels`` their symbolic names, as :func:`lstm_src.validation.check_shape`
    takes them.
    """
    shapes = {}
    for g in GATES:
        shapes[f"W_{g}a"] = ((n_a, n_a), ("n_a", "n_a"))
        shapes[f"W_{g}x"] = ((n_x, n_a), ("n_x", "n_a"))
        shapes[f"b_{g}"] = ((n_a, 1), ("n_a", "1"))
    shapes["W_ya"] = ((n_a, n_y), ("n_a", "n_y"))
    shapes["b_y"] = ((n_y, 1), ("n_y", "1"))
    return shapes


def init_params(n_x, n_a, n_y, seed=0):
    r"""Random parameters for an LSTM with n_x inputs, n_a units and n_y classes.

    Weights are drawn from :math:`\mathcal N(0, 1/(n_a+n_x))` (the W_*)
    and :math:`\mathcal N(0, 1/n_a)` (W_ya); biases start at zero.

    Parameters
    ----------
    n_x, n_a, n_y : int
        Input size, hidden size, number of classes (each >= 1).
    seed : int
        Seed of the generator, so that the same call gives the same numbers.

    Returns
    -------
    dict
        ``W_fa, W_fx, b_f, W_ua, W_ux, b_u, W_oa, W_ox, b_o, W_ca, W_cx, b_c,
        W_ya, b_y`` with shapes W_*a (n_a, n_a), W_*x (n_x, n_a),
        b_* (n_a, 1), W_ya (n_a, n_y), b_y (n_y, 1).
    """
    for name, v in (("n_x", n_x), ("n_a", n_a), ("n_y", n_y)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{name} must be a positive integer; got {v!r}")
    rng = np.random.default_rng(seed)
    scale = 1.0 / np.sqrt(n_a + n_x)
    params = {}
    for g in GATES:
        params[f"W_{g}a"] = rng.normal(0.0, scale, (n_a, n_a))
        params[f"W_{g}x"] = rng.normal(0.0, scale, (n_x, n_a))
        params[f"b_{g}"] = np.zeros((n_a, 1))
    params["W_ya"] = rng.normal(0.0, 1.0 / np.sqrt(n_a), (n_a, n_y))
    params["b_y"] = np.zeros((n_y, 1))
    return params


def _check_params(params, n_x, n_a):
    W_ya = params.get("W_ya") if isinstance(params, dict) else None
    n_y = None
    if W_ya is not None and np.ndim(W_ya) == 2:
        n_y = np.shape(W_ya)[1]
    return check_params(params, param_shapes(n_x, n_a, n_y))


def _checked_inputs(x, a0, params, c0):
    """x, a0, the parameters and c0 checked in this order (lstm_src.fast checks the same way)."""
    x = check_shape("x", as_float_array("x", x), (None, None, None), ("n_x", "m", "T_x"))
    n_x, m = x.shape[:2]
    a0 = check_shape("a0", as_float_array("a0", a0), (None, m), ("n_a", "m"))
    n_a = a0.shape[0]
    p = _check_params(params, n_x, n_a)
    if c0 is not None:
        c0 = check_shape("c0", as_float_array("c0", c0), (n_a, m), ("n_a", "m"))
    return x, a0, p, c0


# ---------------------------------------------------------------- forward


def cell_state(gamma_f, c_prev, gamma_u, c_tilde):
    r"""New cell state, eq.9.

    .. math::
        c^{\langle t\rangle} = \Gamma_u \circ \tilde c^{\langle t\rangle}
                              + \Gamma_f \circ c^{\langle t-1\rangle}

    Defined in: book/part2/forward.ipynb

    Parameters
    ----------
    gamma_f, c_prev, gamma_u, c_tilde : ndarray (n_a, m)

    Returns
    -------
    c : ndarray (n_a, m)
    """
    return gamma_u * c_tilde + gamma_f * c_prev


def hidden_state(c, gamma_o):
    r"""New hidden state, eq.10:
    :math:`a^{\langle t\rangle} = \tanh(c^{\langle t\rangle}) \circ \Gamma_o`.

    Defined in: book/part2/forward.ipynb

    Parameters
    ----------
    c, gamma_o : ndarray (n_a, m)

    Returns
    -------
    a : ndarray (n_a, m)
    """
    return tanh(c) * gamma_o


def _cell_forward(xt, a_prev, c_prev, p):
    """One LSTM step, eq.1-eq.12, on checked inputs (no validation).

    Defined in: book/part2/forward.ipynb

    Parameters
    ----------
    xt : ndarray (n_x, m)
    a_prev, c_prev : ndarray (n_a, m)
    p : dict
        The parameters, already checked by :func:`lstm_cell_forward`.

    Returns
    -------
    a, c : ndarray (n_a, m)
    y_hat : ndarray (n_y, m)
    cache : dict
        Every intermediate the backward pass needs.
    """
    def z(g):  # eq.1, 3, 5, 7: the pre-activation of gate g
        return affine_forward(p[f"W_{g}a"], p[f"W_{g}x"], p[f"b_{g}"],
                              a_prev, xt)

    gamma_f = sigmoid(z("f"))  # eq.2
    gamma_u = sigmoid(z("u"))  # eq.4
    gamma_o = sigmoid(z("o"))  # eq.6
    c_tilde = tanh(z("c"))  # eq.8
    c = cell_state(gamma_f, c_prev, gamma_u, c_tilde)  # eq.9
    a = hidden_state(c, gamma_o)  # eq.10
    y_hat = None  # a layer inside a deep model has no output layer
    if "W_ya" in p:
        y_hat = output_layer_forward(p["W_ya"], p["b_y"], a)  # eq.11-12
    cache = {
        "x": xt, "a_prev": a_prev, "c_prev": c_prev,
        "gamma_f": gamma_f, "gamma_u": gamma_u, "gamma_o": gamma_o,
        "c_tilde": c_tilde, "c": c, "a": a, "y_hat": y_hat, "params": p,
    }
    return a, c, y_hat, cache


def lstm_cell_forward(xt, a_prev, c_prev, params):
    r"""One LSTM step, eq.1–eq.12.

    .. math::
        \Gamma_f = \sigma(W_{fa}^\top a^{\langle t-1\rangle}
                          + W_{fx}^\top x^{\langle t\rangle} + b_f),\ \ldots,\
        c^{\langle t\rangle} = \Gamma_u\circ\tilde c + \Gamma_f\circ c^{\langle t-1\rangle},\
        a^{\langle t\rangle} = \tanh(c^{\langle t\rangle})\circ\Gamma_o,\
        \hat y^{\langle t\rangle} = \mathrm{softmax}(W_{ya}^\top a^{\langle t\rangle} + b_y)

    Parameters
    ----------
    xt : ndarray (n_x, m)
    a_prev, c_prev : ndarray (n_a, m)
    params : dict, as from :func:`init_params`

    Returns
    -------
    a, c : ndarray (n_a, m)
    y_hat : ndarray (n_y, m)
    cache : dict
        Everything :func:`lstm_cell_backward` needs: the step's inputs, the
        three gates, the candidate, c, a, y_hat and the parameters.
    """
    xt = as_float_array("xt", xt)
    check_shape("xt", xt, (None, None), ("n_x", "m"))
    n_x, m = xt.shape
    a_prev = check_shape("a_prev", as_float_array("a_prev", a_prev), (None, m), ("n_a", "m"))
    n_a = a_prev.shape[0]
    c_prev = check_shape("c_prev", as_float_array("c_prev", c_prev), (n_a, m), ("n_a", "m"))
    p = _check_params(params, n_x, n_a)
    return _cell_forward(xt, a_prev, c_prev, p)


def lstm_forward(x, a0, params, c0=None):
    r"""Run the LSTM over a whole sequence, from the states a0 and c0 (zeros by default).

    Applies :func:`lstm_cell_forward` (eq.1–eq.12) at t = 1, ..., T_x, each
    step taking the a and c of the one before.

    Parameters
    ----------
    x : ndarray (n_x, m, T_x)
    a0 : ndarray (n_a, m)
    params : dict, as from :func:`init_params`
    c0 : ndarray (n_a, m), optional
        Initial cell state; zeros when omitted. Training on long texts passes
        the last cell state of one window as ``c0`` of the next.

    Returns
    -------
    a : ndarray (n_a, m, T_x)
    y_hat : ndarray (n_y, m, T_x)
    c : ndarray (n_a, m, T_x)
    caches : dict
        ``{"steps": [one cache per step], "params": params}``, for
        :func:`lstm_backward`.

    Raises
    ------
    ValueError
        On a wrong dimensionality or shape, or a missing parameter, before
        any arithmetic.
    """
    x, a0, p, c0 = _checked_inputs(x, a0, params, c0)
    return _sequence_forward(x, a0, p, c0, _cell_forward)


def _sequence_forward(x, a0, p, c0, cell):
    """The layer's steps, then y_hat of every step, on checked inputs."""
    a, c, caches = _forward_loop(x, a0, p, c0, None, cell)
    n_y = p["W_ya"].shape[1]
    y_hat = np.zeros((n_y,) + a.shape[1:], a.dtype)
    for t, k in enumerate(caches["steps"]):
        y_hat[:, :, t] = k["y_hat"]
    return a, y_hat, c, caches


def _forward_loop(x, a0, p, c0, mask, cell=None):
    """The steps of a layer on checked inputs; padded steps keep the state."""
    (_, m, T_x), n_a = x.shape, a0.shape[0]
    dtype = np.result_type(x, a0, *p.values())  # float64, or wider

    cell = _cell_forward if cell is None else cell
    a = np.zeros((n_a, m, T_x), dtype)
    c = np.zeros((n_a, m, T_x), dtype)
    c_t = np.zeros((n_a, m), dtype) if c0 is None else c0
    a_t = a0
    steps = []
    for t in range(T_x):
        a_new, c_new, _, cache = cell(x[:, :, t], a_t, c_t, p)
        if mask is None:
            a_t, c_t = a_new, c_new
            a[:, :, t], c[:, :, t] = a_t, c_t
        else:  # a padded example keeps its state; its output is 0
            keep = mask[:, t]
            a_t = np.where(keep, a_new, a_t)
            c_t = np.where(keep, c_new, c_t)
            a[:, :, t], c[:, :, t] = a_t * keep, c_t * keep
        steps.append(cache)
    caches = {"steps": steps, "params": p, "c0": c0 is not None,
              "mask": mask, "a_last": a_t, "c_last": c_t}
    return a, c, caches


def lstm_layer_forward(x, a0, params, c0=None, mask=None):
    r"""An LSTM layer without its output layer, on a padded batch if asked.

    The steps of :func:`lstm_forward` (eq.1–eq.10). With ``mask``, an
    example whose ``mask[i, t]`` is 0 is padding at step t: its state is
    carried over unchanged and its outputs are 0, so the last state returned
    is that of its last real step (what PyTorch's ``pack_padded_sequence``
    gives).

    Parameters
    ----------
    x : ndarray (n_x, m, T_x)
    a0, c0 : ndarray (n_a, m)
        c0 is optional (zeros).
    params : dict
        The gate parameters ``W_fa, ..., b_c`` (W_ya and b_y are ignored).
    mask : ndarray (m, T_x) of 0/1, optional
        1 for a real step, 0 for padding; each row ones then zeros (see
        :func:`lstm_src.deep.lengths_to_mask`).

    Returns
    -------
    a, c : ndarray (n_a, m, T_x)
        Zero at padded steps.
    caches : dict
        For :func:`lstm_layer_backward`; ``caches["a_last"]`` and
        ``caches["c_last"]`` are the state after each example's last real
        step.
    """
    x = check_shape("x", as_float_array("x", x), (None, None, None),
                    ("n_x", "m", "T_x"))
    n_x, m, T_x = x.shape
    a0 = check_shape("a0", as_float_array("a0", a0), (None, m), ("n_a", "m"))
    n_a = a0.shape[0]
    shapes = param_shapes(n_x, n_a, None)
    p = check_params(params, {g: shapes[g] for g in PARAM_NAMES[:-2]})
    if c0 is not None:
        c0 = check_shape("c0", as_float_array("c0", c0), (n_a, m),
                         ("n_a", "m"))
    if mask is not None:
        mask = check_mask(mask, m, T_x)
    return _forward_loop(x, a0, p, c0, mask)


# --------------------------------------------------------------- backward


def hidden_state_grad(da_from_y, da_next):
    r"""Total gradient at :math:`a^{\langle t\rangle}` (eq. hc-da).

    :math:`a^{\langle t\rangle}` feeds two places: the prediction
    :math:`\hat y^{\langle t\rangle}` (component 2) and step t+1 (component 1),
    so its gradient is the sum

    .. math::
        \frac{\partial J}{\partial a^{\langle t\rangle}}
        = \frac{\partial J}{\partial a^{\langle t\rangle}}\Big|_{\hat y^{\langle t\rangle}}
        + \frac{\partial J}{\partial a^{\langle t\rangle}}\Big|_{t+1}

    Defined in: book/part3/hidden_and_cell_state.ipynb

    Parameters
    ----------
    da_from_y, da_next : ndarray (n_a, m)

    Returns
    -------
    da : ndarray (n_a, m)
    """
    return da_from_y + da_next


def hidden_state_backward(da, dc_next, c, gamma_o):
    r"""Back through eq.10, :math:`a = \tanh(c)\circ\Gamma_o` (eqs. hc-dgamma-o, hc-dc).

    .. math::
        \frac{\partial J}{\partial \Gamma_o} = \frac{\partial J}{\partial a}\circ\tanh(c),\qquad
        \frac{\partial J}{\partial c^{\langle t\rangle}}
        = \frac{\partial J}{\partial c^{\langle t\rangle}}\Big|_{t+1}
        + \frac{\partial J}{\partial a}\circ\Gamma_o\circ\left(1-\tanh^2(c)\right)

    Defined in: book/part3/hidden_and_cell_state.ipynb

    Parameters
    ----------
    da : ndarray (n_a, m)
        Total :math:`\partial J/\partial a^{\langle t\rangle}`, from :func:`hidden_state_grad`.
    dc_next : ndarray (n_a, m)
        The component of :math:`\partial J/\partial c^{\langle t\rangle}` from step t+1
        (zeros at the last step).
    c, gamma_o : ndarray (n_a, m)
        From the forward pass.

    Returns
    -------
    dgamma_o : ndarray (n_a, m)
    dc : ndarray (n_a, m)
        Total :math:`\partial J/\partial c^{\langle t\rangle}`.
    """
    tanh_c = tanh(c)
    dgamma_o = da * tanh_c
    dc = dc_next + da * gamma_o * (1.0 - tanh_c * tanh_c)
    return dgamma_o, dc


def cell_state_backward(dc, gamma_f, c_prev, gamma_u, c_tilde):
    r"""Back through eq.9,
    :math:`c = \Gamma_u\circ\tilde c + \Gamma_f\circ c^{\langle t-1\rangle}` (eq. ucf-split).

    Each factor of a Hadamard product gets the gradient times the other
    factor (the Jacobian is diag of the other factor, eq. had-hadamard):

    .. math::
        \frac{\partial J}{\partial \Gamma_u} = \delta c\circ\tilde c,\quad
        \frac{\partial J}{\partial \tilde c} = \delta c\circ\Gamma_u,\quad
        \frac{\partial J}{\partial \Gamma_f} = \delta c\circ c^{\langle t-1\rangle},\quad
        \frac{\partial J}{\partial c^{\langle t-1\rangle}} = \delta c\circ\Gamma_f

    Defined in: book/part3/update_candidate_forget.ipynb

    Parameters
    ----------
    dc : ndarray (n_a, m)
        Total :math:`\partial J/\partial c^{\langle t\rangle}`.
    gamma_f, c_prev, gamma_u, c_tilde : ndarray (n_a, m)

    Returns
    -------
    dgamma_u, dc_tilde, dgamma_f, dc_prev : ndarray (n_a, m)
    """
    return dc * c_tilde, dc * gamma_u, dc * c_prev, dc * gamma_f


def sigmoid_gate_backward(dgamma, gamma, a_prev, x):
    r"""Back through a sigmoid gate to its weights (eqs. og-dz to og-dbo, ucf-uf).

    For
    :math:`\Gamma = \sigma(W_a^\top a^{\langle t-1\rangle} + W_x^\top x^{\langle t\rangle} + b)`:

    .. math::
        \delta z = \frac{\partial J}{\partial\Gamma}\circ\Gamma\circ(1-\Gamma),\quad
        \nabla_{W_a}J = a^{\langle t-1\rangle}\delta z^\top,\quad
        \nabla_{W_x}J = x^{\langle t\rangle}\delta z^\top,\quad
        \nabla_b J = \textstyle\sum_i \delta z_{:,i}

    Defined in: book/part3/output_gate.ipynb

    Parameters
    ----------
    dgamma, gamma : ndarray (n_a, m)
    a_prev : ndarray (n_a, m)
    x : ndarray (n_x, m)

    Returns
    -------
    dz : ndarray (n_a, m)
    dW_a : ndarray (n_a, n_a)
    dW_x : ndarray (n_x, n_a)
    db : ndarray (n_a, 1)
    """
    dz = sigmoid_backward(dgamma, gamma)
    return (dz,) + affine_weight_grads(dz, a_prev, x)


def candidate_backward(dc_tilde, c_tilde, a_prev, x):
    r"""Back through the candidate :math:`\tilde c = \tanh(z_c)` to its weights (eq. ucf-c).

    .. math::
        \delta z_c = \frac{\partial J}{\partial\tilde c}\circ(1-\tilde c^{2}),\quad
        \nabla_{W_{ca}}J = a^{\langle t-1\rangle}\delta z_c^\top,\quad
        \nabla_{W_{cx}}J = x^{\langle t\rangle}\delta z_c^\top,\quad
        \nabla_{b_c} J = \textstyle\sum_i \delta z_{c,:,i}

    Defined in: book/part3/update_candidate_forget.ipynb

    Parameters
    ----------
    dc_tilde, c_tilde : ndarray (n_a, m)
    a_prev : ndarray (n_a, m)
    x : ndarray (n_x, m)

    Returns
    -------
    dz_c : ndarray (n_a, m)
    dW_ca : ndarray (n_a, n_a)
    dW_cx : ndarray (n_x, n_a)
    db_c : ndarray (n_a, 1)
    """
    dz = tanh_backward(dc_tilde, c_tilde)
    return (dz,) + affine_weight_grads(dz, a_prev, x)


def previous_state_grads(dz, params):
    r"""Gradients at :math:`a^{\langle t-1\rangle}` and :math:`x^{\langle t\rangle}`
    (eqs. prev-da, prev-dx).

    Both feed all four pre-activations, so each gradient has four components:

    .. math::
        \nabla_{a^{\langle t-1\rangle}}J = \sum_{g\in\{f,u,o,c\}} W_{ga}\,\delta z_g,\qquad
        \nabla_{x^{\langle t\rangle}}J = \sum_{g\in\{f,u,o,c\}} W_{gx}\,\delta z_g

    Defined in: book/part3/inputs_and_previous_state.ipynb

    Parameters
    ----------
    dz : dict
        ``{"f": dz_f, "u": dz_u, "o": dz_o, "c": dz_c}``, each (n_a, m).
    params : dict, as from :func:`init_params`

    Returns
    -------
    da_prev : ndarray (n_a, m)
    dx : ndarray (n_x, m)
    """
    da_prev, dx = 0.0, 0.0
    for g in GATES:
        da_g, dx_g = affine_input_grads(dz[g], params[f"W_{g}a"],
                                        params[f"W_{g}x"])
        da_prev, dx = da_prev + da_g, dx + dx_g
    return da_prev, dx


def lstm_cell_backward(da, dc_next, cache):
    r"""Back-propagate one LSTM step, eq.10 back to eq.1 (Part III).

    Composes :func:`hidden_state_backward`, :func:`cell_state_backward`,
    :func:`sigmoid_gate_backward` (three times), :func:`candidate_backward`
    and :func:`previous_state_grads`.

    Defined in: book/part3/inputs_and_previous_state.ipynb

    Parameters
    ----------
    da : ndarray (n_a, m)
        Total :math:`\partial J/\partial a^{\langle t\rangle}` (both components, eq. hc-da).
    dc_next : ndarray (n_a, m)
        :math:`\partial J/\partial c^{\langle t\rangle}` from step t+1.
    cache : dict
        From :func:`lstm_cell_forward`.

    Returns
    -------
    grads : dict
        ``dW_fa, dW_fx, db_f, ..., dW_ca, dW_cx, db_c`` for this step, and
        ``da_prev`` (n_a, m), ``dc_prev`` (n_a, m), ``dx`` (n_x, m).
    """
    k = cache
    dgamma_o, dc = hidden_state_backward(da, dc_next, k["c"],
                                         k["gamma_o"])
    dgamma_u, dc_tilde, dgamma_f, dc_prev = cell_state_backward(
        dc, k["gamma_f"], k["c_prev"], k["gamma_u"], k["c_tilde"]
    )
    grads, dz = {}, {}
    for g, dgamma in (("f", dgamma_f), ("u", dgamma_u), ("o", dgamma_o)):
        (dz[g], grads[f"dW_{g}a"], grads[f"dW_{g}x"],
         grads[f"db_{g}"]) = sigmoid_gate_backward(
            dgamma, k[f"gamma_{g}"], k["a_prev"], k["x"]
        )
    (dz["c"], grads["dW_ca"], grads["dW_cx"],
     grads["db_c"]) = candidate_backward(
        dc_tilde, k["c_tilde"], k["a_prev"], k["x"]
    )
    grads["da_prev"], grads["dx"] = previous_state_grads(dz, k["params"])
    grads["dc_prev"] = dc_prev
    return grads


def lstm_layer_backward(da, caches, dc=None, da_last=None):
    r"""Back-propagate an LSTM layer from the gradient arriving at its
    outputs.

    ``da[:, :, t]`` is the gradient at :math:`a^{\langle t+1\rangle}` from
    whatever the layer feeds (an output layer, the layer above). Going from
    t = T_x down to 1, each step adds the gradient step t+1 sends back
    (eq. hc-da) and runs :func:`lstm_cell_backward` (or the step the caches
    name, as the peephole LSTM's do); the steps' weight gradients add up.
    On a padded batch (``mask`` given to :func:`lstm_layer_forward`) a
    padded step passes both gradients straight through and receives none.

    Defined in: book/part5/deep_bidirectional_padded.ipynb

    Parameters
    ----------
    da : ndarray (n_a, m, T_x)
    caches : dict
        From :func:`lstm_forward` or :func:`lstm_layer_forward`.
    dc : ndarray (n_a, m), optional
        Gradient at the last cell state (zeros when omitted).
    da_last : ndarray (n_a, m), optional
        Gradient at the last hidden state besides ``da`` (with padding, the
        last real step's state is not ``a[:, :, -1]``).

    Returns
    -------
    dict
        ``"d" + name`` for the gate parameters ``W_fa, ..., b_c``, ``"dx"``
        (n_x, m, T_x), ``"da0"`` (n_a, m), and ``"dc0"`` (n_a, m) when the
        forward pass was given c0.
    """
    if not isinstance(caches, dict) or "steps" not in caches:
        raise ValueError(
            "caches must be the dict returned by lstm_forward; "
            f"got {type(caches).__name__}")
    steps, p = caches["steps"], caches["params"]
    (n_x, m), T_x = steps[0]["x"].shape, len(steps)
    n_a, dtype = steps[0]["a"].shape[0], steps[0]["a"].dtype
    da = check_shape("da", as_float_array("da", da), (n_a, m, T_x),
                     ("n_a", "m", "T_x"))
    last = []
    for name, g in (("dc", dc), ("da_last", da_last)):
        last.append(np.zeros((n_a, m), dtype) if g is None
                    else check_shape(name, as_float_array(name, g),
                                     (n_a, m), ("n_a", "m")))
    dc_next, da_next = last
    mask = caches.get("mask")

    # the gate parameters (and a variant's own, e.g. peepholes):
    names = [name for name in p if name not in ("W_ya", "b_y")]
    cell_backward = caches.get("cell_backward", lstm_cell_backward)
    grads = {"d" + name: np.zeros_like(p[name]) for name in names}
    grads["dx"] = np.zeros((n_x, m, T_x), dtype)
    for t in reversed(range(T_x)):
        if mask is None:
            da_t = hidden_state_grad(da[:, :, t], da_next)  # eq. hc-da
            step = cell_backward(da_t, dc_next, steps[t])
        else:  # padding: no gradient in, state gradients pass through
            keep = mask[:, t]
            da_t = hidden_state_grad(np.where(keep, da[:, :, t], 0.0),
                                     da_next)
            step = cell_backward(da_t * keep, dc_next * keep, steps[t])
            step["da_prev"] = np.where(keep, step["da_prev"], da_t)
            step["dc_prev"] = np.where(keep, step["dc_prev"], dc_next)
        for name in names:
            grads["d" + name] += step["d" + name]
        grads["dx"][:, :, t] = step["dx"]
        da_next, dc_next = step["da_prev"], step["dc_prev"]
    grads["da0"] = da_next
    if caches.get("c0"):
        grads["dc0"] = dc_next
    return grads


def lstm_backward(y, caches):
    r"""Gradients of the cross-entropy J of a whole sequence (BPTT).

    J is :func:`lstm_src.loss.cross_entropy` of ``y_hat`` from
    :func:`lstm_forward`: summed over time, averaged over the batch. The
    output layer's backward at every step (eqs. out-dz, out-dWya, out-dby)
    gives the prediction's share of each :math:`\partial J/\partial
    a^{\langle t\rangle}`; :func:`lstm_layer_backward` takes it from there,
    from t = T_x down to 1, adding the share step t+1 sends back (eq. hc-da)
    and the steps' weight gradients (the same weights act at every step).

    Defined in: book/part3/whole_sequence.ipynb

    Parameters
    ----------
    y : ndarray (n_y, m, T_x)
        One-hot labels.
    caches : dict
        From :func:`lstm_forward`.

    Returns
    -------
    dict
        ``"d" + name`` for every parameter name, with the parameter's shape,
        ``"dx"`` (n_x, m, T_x) and ``"da0"`` (n_a, m).
    """
    steps, p, y = check_caches(caches, y, "lstm_forward")
    n_a, m = steps[0]["a"].shape
    # y_hat<t>'s share, in the dtype W_ya dz_y has (y's may be wider):
    dtype = np.result_type(steps[0]["a"].dtype, y.dtype)
    da = np.zeros((n_a, m, len(steps)), dtype)
    dW_ya, db_y = np.zeros_like(p["W_ya"]), np.zeros_like(p["b_y"])
    for t in reversed(range(len(steps))):
        k = steps[t]
        dz_y = softmax_cross_entropy_backward(k["y_hat"], y[:, :, t])
        dW, db, da[:, :, t] = output_layer_backward(dz_y, k["a"],
                                                    p["W_ya"])
        dW_ya += dW
        db_y += db
    grads = lstm_layer_backward(da, caches)
    grads["dW_ya"], grads["db_y"] = dW_ya, db_y
    names = ["d" + name for name in p] + ["dx", "da0"]
    return {name: grads[name] for name in names}
