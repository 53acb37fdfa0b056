r"""The GRU (gated recurrent unit), forward and backward, in the book's layout.

Column vectors, a batch of m examples as columns, time as the last axis,
weights acting through their transpose, as for the LSTM of
:mod:`lstm_src.lstm`. The form is PyTorch's (``torch.nn.GRU``, cuDNN): the
reset gate multiplies the whole recurrent term of the candidate,
:math:`W_{na}^\top a + b_{na}`.

.. math::
    \Gamma_r = \sigma(W_{ra}^\top a^{\langle t-1\rangle}
                      + W_{rx}^\top x^{\langle t\rangle} + b_r),\qquad
    \Gamma_z = \sigma(W_{za}^\top a^{\langle t-1\rangle}
                      + W_{zx}^\top x^{\langle t\rangle} + b_z)

.. math::
    \tilde n^{\langle t\rangle} = \tanh\big(W_{nx}^\top x^{\langle t\rangle}
        + b_n + \Gamma_r\circ(W_{na}^\top a^{\langle t-1\rangle}
        + b_{na})\big),
    \qquad
    a^{\langle t\rangle} = (1-\Gamma_z)\circ\tilde n^{\langle t\rangle}
        + \Gamma_z\circ a^{\langle t-1\rangle}

and :math:`\hat y^{\langle t\rangle} = \mathrm{softmax}(W_{ya}^\top
a^{\langle t\rangle} + b_y)`, as the LSTM's. With ``form="cho"`` the
candidate is Cho et al. (2014)'s original, the reset gate applied to
:math:`a^{\langle t-1\rangle}` before the product:
:math:`\tilde n = \tanh(W_{nx}^\top x + b_n
+ W_{na}^\top(\Gamma_r\circ a^{\langle t-1\rangle}) + b_{na})`.

=============  ======================  =====================================
name           shape                   meaning
=============  ======================  =====================================
x              (n_x, m, T_x)           inputs, one column per example
a0             (n_a, m)                initial hidden state a<0>
a              (n_a, m, T_x)           hidden state at every step
y_hat          (n_y, m, T_x)           softmax prediction at every step
W_*a           (n_a, n_a)              * in {r, z, n}
W_*x           (n_x, n_a)
b_*, b_na      (n_a, 1)
W_ya, b_y      (n_a, n_y), (n_y, 1)
=============  ======================  =====================================
"""
import numpy as np

from .activations import sigmoid, tanh, tanh_backward
from .layers import (
    affine_forward,
    affine_input_grads,
    output_layer_backward,
    output_layer_forward,
)
from .loss import softmax_cross_entropy_backward
from .lstm import sigmoid_gate_backward
from .validation import as_float_array, check_caches, check_params, check_shape

__all__ = [
    "FORMS",
    "PARAM_NAMES",
    "param_shapes",
    "init_params",
    "candidate",
    "gru_hidden_state",
    "gru_cell_forward",
    "gru_forward",
    "gru_hidden_state_backward",
    "reset_candidate_backward",
    "cho_candidate_backward",
    "gru_previous_state_grads",
    "gru_cell_backward",
    "gru_layer_backward",
    "gru_backward",
]

#: The two places the reset gate can act, PyTorch's (after the product with
#: W_na) and Cho et al. (2014)'s (on a<t-1>, before it).
FORMS = ("torch", "cho")

#: Every parameter of the GRU, in the order the forward pass introduces them.
PARAM_NAMES = ("W_ra", "W_rx", "b_r", "W_za", "W_zx", "b_z",
               "W_na", "W_nx", "b_n", "b_na", "W_ya", "b_y")


def param_shapes(n_x, n_a, n_y):
    """The shape of every GRU parameter, as a dict name -> (spec, labels).

    As :func:`lstm_src.lstm.param_shapes`; ``None`` where a size is not
    known yet.
    """
    shapes = {}
    for g in ("r", "z", "n"):
        shapes[f"W_{g}a"] = ((n_a, n_a), ("n_a", "n_a"))
        shapes[f"W_{g}x"] = ((n_x, n_a), ("n_x", "n_a"))
        shapes[f"b_{g}"] = ((n_a, 1), ("n_a", "1"))
    shapes["b_na"] = ((n_a, 1), ("n_a", "1"))
    shapes["W_ya"] = ((n_a, n_y), ("n_a", "n_y"))
    shapes["b_y"] = ((n_y, 1), ("n_y", "1"))
    return {name: shapes[name] for name in PARAM_NAMES}


def init_params(n_x, n_a, n_y, seed=0):
    r"""Random parameters for a GRU with n_x inputs, n_a units, n_y classes.

    Weights are drawn from :math:`\mathcal N(0, 1/(n_a+n_x))` (the W_*)
    and :math:`\mathcal N(0, 1/n_a)` (W_ya); biases start at zero, as
    :func:`lstm_src.lstm.init_params`.

    Parameters
    ----------
    n_x, n_a, n_y : int
        Input size, hidden size, number of classes (each >= 1).
    seed : int

    Returns
    -------
    dict
        ``W_ra, W_rx, b_r, W_za, W_zx, b_z, W_na, W_nx, b_n, b_na, W_ya,
        b_y``: W_*a (n_a, n_a), W_*x (n_x, n_a), b_* (n_a, 1),
        W_ya (n_a, n_y), b_y (n_y, 1).
    """
    for name, v in (("n_x", n_x), ("n_a", n_a), ("n_y", n_y)):
        bad = not isinstance(v, (int, np.integer)) or isinstance(v, bool)
        if bad or v < 1:
            raise ValueError(f"{name} must be a positive integer; got {v!r}")
    rng = np.random.default_rng(seed)
    scale = 1.0 / np.sqrt(n_a + n_x)
    params = {}
    for g in ("r", "z", "n"):
        params[f"W_{g}a"] = rng.normal(0.0, scale, (n_a, n_a))
        params[f"W_{g}x"] = rng.normal(0.0, scale, (n_x, n_a))
        params[f"b_{g}"] = np.zeros((n_a, 1))
    params["b_na"] = np.zeros((n_a, 1))
    params["W_ya"] = rng.normal(0.0, 1.0 / np.sqrt(n_a), (n_a, n_y))
    params["b_y"] = np.zeros((n_y, 1))
    return {name: params[name] for name in PARAM_NAMES}


def _check_params(params, n_x, n_a):
    W_ya = params.get("W_ya") if isinstance(params, dict) else None
    n_y = None
    if W_ya is not None and np.ndim(W_ya) == 2:
        n_y = np.shape(W_ya)[1]
    return check_params(params, param_shapes(n_x, n_a, n_y))


def _check_form(form):
    if form not in FORMS:
        raise ValueError(f"form must be one of {', '.join(FORMS)}; "
                         f"got {form!r}")
    return form


# ---------------------------------------------------------------- forward


def candidate(xt, a_prev, gamma_r, p, form="torch"):
    r"""The candidate :math:`\tilde n^{\langle t\rangle}` and its recurrent
    term (eq. gru-n).

    .. math::
        h_n = W_{na}^\top a^{\langle t-1\rangle} + b_{na},\qquad
        \tilde n = \tanh(W_{nx}^\top x^{\langle t\rangle} + b_n
                         + \Gamma_r\circ h_n)

    for PyTorch's form; for Cho's, :math:`h_n = W_{na}^\top(\Gamma_r\circ
    a^{\langle t-1\rangle}) + b_{na}` and
    :math:`\tilde n = \tanh(W_{nx}^\top x + b_n + h_n)`.

    Defined in: book/part5/gru.ipynb

    Parameters
    ----------
    xt : ndarray (n_x, m)
    a_prev, gamma_r : ndarray (n_a, m)
    p : dict
        The parameters.
    form : {"torch", "cho"}

    Returns
    -------
    n_tilde, h_n : ndarray (n_a, m)
    """
    if form == "cho":
        h_n = p["W_na"].T @ (gamma_r * a_prev) + p["b_na"]
        return tanh(p["W_nx"].T @ xt + p["b_n"] + h_n), h_n
    h_n = p["W_na"].T @ a_prev + p["b_na"]
    return tanh(p["W_nx"].T @ xt + p["b_n"] + gamma_r * h_n), h_n


def gru_hidden_state(gamma_z, n_tilde, a_prev):
    r"""New hidden state, a mix of the candidate and the old state
    (eq. gru-a).

    .. math::
        a^{\langle t\rangle} = (1-\Gamma_z)\circ\tilde n^{\langle t\rangle}
                              + \Gamma_z\circ a^{\langle t-1\rangle}

    Defined in: book/part5/gru.ipynb

    Parameters
    ----------
    gamma_z, n_tilde, a_prev : ndarray (n_a, m)

    Returns
    -------
    a : ndarray (n_a, m)
    """
    return (1.0 - gamma_z) * n_tilde + gamma_z * a_prev


def _cell_forward(xt, a_prev, p, form):
    """One GRU step on checked inputs (no validation)."""
    def gate(g):  # eq. gru-r, gru-z
        return sigmoid(affine_forward(p[f"W_{g}a"], p[f"W_{g}x"], p[f"b_{g}"],
                                      a_prev, xt))

    gamma_r, gamma_z = gate("r"), gate("z")
    n_tilde, h_n = candidate(xt, a_prev, gamma_r, p, form)  # eq. gru-n
    a = gru_hidden_state(gamma_z, n_tilde, a_prev)  # eq. gru-a
    y_hat = None
    if "W_ya" in p:
        y_hat = output_layer_forward(p["W_ya"], p["b_y"], a)
    cache = {
        "x": xt, "a_prev": a_prev, "gamma_r": gamma_r, "gamma_z": gamma_z,
        "n_tilde": n_tilde, "h_n": h_n, "a": a, "y_hat": y_hat,
        "params": p, "form": form,
    }
    return a, y_hat, cache


def gru_cell_forward(xt, a_prev, params, form="torch"):
    r"""One GRU step: the two gates, the candidate, the new state, the
    prediction.

    Parameters
    ----------
    xt : ndarray (n_x, m)
    a_prev : ndarray (n_a, m)
    params : dict, as from :func:`init_params`
    form : {"torch", "cho"}
        Where the reset gate acts (see :func:`candidate`).

    Returns
    -------
    a : ndarray (n_a, m)
    y_hat : ndarray (n_y, m)
    cache : dict
        The step's inputs, both gates, the candidate and its recurrent term
        ``h_n``, a, y_hat and the parameters, for :func:`gru_cell_backward`.
    """
    form = _check_form(form)
    xt = check_shape("xt", as_float_array("xt", xt), (None, None),
                     ("n_x", "m"))
    n_x, m = xt.shape
    a_prev = check_shape("a_prev", as_float_array("a_prev", a_prev),
                         (None, m), ("n_a", "m"))
    p = _check_params(params, n_x, a_prev.shape[0])
    return _cell_forward(xt, a_prev, p, form)


def gru_forward(x, a0, params, form="torch"):
    r"""Run the GRU over a whole sequence from the state a0.

    Parameters
    ----------
    x : ndarray (n_x, m, T_x)
    a0 : ndarray (n_a, m)
    params : dict, as from :func:`init_params`
    form : {"torch", "cho"}

    Returns
    -------
    a : ndarray (n_a, m, T_x)
    y_hat : ndarray (n_y, m, T_x)
    caches : dict
        ``{"steps": [one cache per step], "params": params}``, for
        :func:`gru_backward` and :func:`gru_layer_backward`.

    Raises
    ------
    ValueError
        On a wrong dimensionality or shape, or a missing parameter, before
        any arithmetic (the messages of :func:`lstm_src.lstm.lstm_forward`).
    """
    form = _check_form(form)
    x = check_shape("x", as_float_array("x", x), (None, None, None),
                    ("n_x", "m", "T_x"))
    (n_x, m, T_x) = x.shape
    a0 = check_shape("a0", as_float_array("a0", a0), (None, m), ("n_a", "m"))
    n_a = a0.shape[0]
    p = _check_params(params, n_x, n_a)
    n_y = p["W_ya"].shape[1]
    dtype = np.result_type(x, a0, *p.values())

    a = np.zeros((n_a, m, T_x), dtype)
    y_hat = np.zeros((n_y, m, T_x), dtype)
    a_t, steps = a0, []
    for t in range(T_x):
        a_t, y_hat[:, :, t], cache = _cell_forward(x[:, :, t], a_t, p, form)
        a[:, :, t] = a_t
        steps.append(cache)
    return a, y_hat, {"steps": steps, "params": p}


# --------------------------------------------------------------- backward


def gru_hidden_state_backward(da, gamma_z, n_tilde, a_prev):
    r"""Back through :func:`gru_hidden_state` (eq. gru-da).

    Each factor of a Hadamard product gets the gradient times the other
    factor:

    .. math::
        \delta\Gamma_z = \delta a\circ(a^{\langle t-1\rangle} - \tilde n),
        \quad
        \delta\tilde n = \delta a\circ(1-\Gamma_z),\quad
        \delta a^{\langle t-1\rangle}\big|_{a} = \delta a\circ\Gamma_z

    Defined in: book/part5/gru.ipynb

    Parameters
    ----------
    da : ndarray (n_a, m)
        Total gradient at :math:`a^{\langle t\rangle}`.
    gamma_z, n_tilde, a_prev : ndarray (n_a, m)

    Returns
    -------
    dgamma_z, dn_tilde, da_prev_direct : ndarray (n_a, m)
    """
    return da * (a_prev - n_tilde), da * (1.0 - gamma_z), da * gamma_z


def reset_candidate_backward(dn_tilde, n_tilde, gamma_r, h_n):
    r"""Back through PyTorch's candidate to its pre-activation, the reset
    gate and the recurrent term (eq. gru-dn).

    .. math::
        \delta z_n = \delta\tilde n\circ(1-\tilde n^2),\quad
        \delta\Gamma_r = \delta z_n\circ h_n,\quad
        \delta h_n = \delta z_n\circ\Gamma_r

    and then :math:`\nabla_{W_{nx}}J = x\,\delta z_n^\top`,
    :math:`\nabla_{W_{na}}J = a^{\langle t-1\rangle}\delta h_n^\top`,
    :math:`\nabla_{b_n}J = \sum_i\delta z_{n,:,i}`,
    :math:`\nabla_{b_{na}}J = \sum_i\delta h_{n,:,i}`.

    Defined in: book/part5/gru.ipynb

    Parameters
    ----------
    dn_tilde, n_tilde, gamma_r, h_n : ndarray (n_a, m)

    Returns
    -------
    dz_n, dgamma_r, dh_n : ndarray (n_a, m)
    """
    dz_n = tanh_backward(dn_tilde, n_tilde)
    return dz_n, dz_n * h_n, dz_n * gamma_r


def cho_candidate_backward(dn_tilde, n_tilde, gamma_r, a_prev, W_na):
    r"""Back through Cho et al.'s candidate (eq. gru-dn-cho).

    With :math:`\tilde n = \tanh(W_{nx}^\top x + b_n
    + W_{na}^\top(\Gamma_r\circ a^{\langle t-1\rangle}) + b_{na})` and
    :math:`\delta z_n = \delta\tilde n\circ(1-\tilde n^2)`, the product
    :math:`\Gamma_r\circ a^{\langle t-1\rangle}` receives
    :math:`W_{na}\,\delta z_n` and splits it between its two factors:

    .. math::
        \delta\Gamma_r = (W_{na}\delta z_n)\circ a^{\langle t-1\rangle},\quad
        \delta a^{\langle t-1\rangle}\big|_{\tilde n}
            = (W_{na}\delta z_n)\circ\Gamma_r

    Defined in: book/part5/gru.ipynb

    Parameters
    ----------
    dn_tilde, n_tilde, gamma_r, a_prev : ndarray (n_a, m)
    W_na : ndarray (n_a, n_a)

    Returns
    -------
    dz_n, dgamma_r, da_prev_n : ndarray (n_a, m)
    """
    dz_n = tanh_backward(dn_tilde, n_tilde)
    d_ra = W_na @ dz_n
    return dz_n, d_ra * a_prev, d_ra * gamma_r


def gru_previous_state_grads(da_prev_direct, dz_r, dz_z, dh_n, dz_n, p):
    r"""Gradients at :math:`a^{\langle t-1\rangle}` and
    :math:`x^{\langle t\rangle}` (eq. gru-prev).

    In PyTorch's form :math:`a^{\langle t-1\rangle}` reaches J four ways:
    directly through eq. gru-a, through both gates and through :math:`h_n`;
    :math:`x^{\langle t\rangle}` through the gates and the candidate:

    .. math::
        \delta a^{\langle t-1\rangle} = \delta a\circ\Gamma_z
            + W_{ra}\delta z_r + W_{za}\delta z_z + W_{na}\delta h_n,\qquad
        \delta x^{\langle t\rangle} = W_{rx}\delta z_r + W_{zx}\delta z_z
            + W_{nx}\delta z_n

    For Cho's form pass ``dh_n=None`` and the candidate's share (from
    :func:`cho_candidate_backward`) added into ``da_prev_direct``.

    Defined in: book/part5/gru.ipynb

    Parameters
    ----------
    da_prev_direct, dz_r, dz_z, dz_n : ndarray (n_a, m)
    dh_n : ndarray (n_a, m) or None
    p : dict
        The parameters.

    Returns
    -------
    da_prev : ndarray (n_a, m)
    dx : ndarray (n_x, m)
    """
    da_r, dx_r = affine_input_grads(dz_r, p["W_ra"], p["W_rx"])
    da_z, dx_z = affine_input_grads(dz_z, p["W_za"], p["W_zx"])
    da_prev = da_prev_direct + da_r + da_z
    if dh_n is not None:
        da_prev = da_prev + p["W_na"] @ dh_n
    return da_prev, dx_r + dx_z + p["W_nx"] @ dz_n


def gru_cell_backward(da, cache):
    r"""Back-propagate one GRU step.

    Composes :func:`gru_hidden_state_backward`, the candidate's backward
    (:func:`reset_candidate_backward` or :func:`cho_candidate_backward`),
    :func:`lstm_src.lstm.sigmoid_gate_backward` for both gates and
    :func:`gru_previous_state_grads`.

    Defined in: book/part5/gru.ipynb

    Parameters
    ----------
    da : ndarray (n_a, m)
        Total gradient at :math:`a^{\langle t\rangle}` (from the prediction
        and from step t+1).
    cache : dict
        From :func:`gru_cell_forward`.

    Returns
    -------
    grads : dict
        ``dW_ra, dW_rx, db_r, dW_za, dW_zx, db_z, dW_na, dW_nx, db_n,
        db_na`` for this step, ``da_prev`` (n_a, m) and ``dx`` (n_x, m).
    """
    k, p = cache, cache["params"]
    x, a_prev = k["x"], k["a_prev"]
    dgamma_z, dn_tilde, da_direct = gru_hidden_state_backward(
        da, k["gamma_z"], k["n_tilde"], a_prev)
    g = {}
    if k["form"] == "cho":
        dz_n, dgamma_r, da_n = cho_candidate_backward(
            dn_tilde, k["n_tilde"], k["gamma_r"], a_prev, p["W_na"])
        da_direct, dh_n = da_direct + da_n, None
        g["dW_na"] = (k["gamma_r"] * a_prev) @ dz_n.T
        g["db_na"] = np.sum(dz_n, axis=1, keepdims=True)
    else:
        dz_n, dgamma_r, dh_n = reset_candidate_backward(
            dn_tilde, k["n_tilde"], k["gamma_r"], k["h_n"])
        g["dW_na"] = a_prev @ dh_n.T
        g["db_na"] = np.sum(dh_n, axis=1, keepdims=True)
    g["dW_nx"] = x @ dz_n.T
    g["db_n"] = np.sum(dz_n, axis=1, keepdims=True)
    dz = {}
    for name, dgamma in (("r", dgamma_r), ("z", dgamma_z)):
        dz[name], g[f"dW_{name}a"], g[f"dW_{name}x"], g[f"db_{name}"] = (
            sigmoid_gate_backward(dgamma, k[f"gamma_{name}"], a_prev, x))
    g["da_prev"], g["dx"] = gru_previous_state_grads(
        da_direct, dz["r"], dz["z"], dh_n, dz_n, p)
    return g


_LAYER_NAMES = PARAM_NAMES[:-2]


def gru_layer_backward(da, caches):
    r"""Back-propagate a GRU layer from the gradient that arrives at its
    outputs.

    ``da[:, :, t]`` is the gradient at :math:`a^{\langle t+1\rangle}` from
    whatever sits above the layer (an output layer, another layer); going
    from t = T_x down to 1, each step adds the gradient step t+1 sends back
    and runs :func:`gru_cell_backward`.

    Defined in: book/part5/gru.ipynb

    Parameters
    ----------
    da : ndarray (n_a, m, T_x)
    caches : dict
        From :func:`gru_forward`.

    Returns
    -------
    dict
        ``"d" + name`` for the layer's parameters (all but W_ya, b_y),
        ``"dx"`` (n_x, m, T_x) and ``"da0"`` (n_a, m).
    """
    if not isinstance(caches, dict) or "steps" not in caches:
        raise ValueError(
            "caches must be the dict returned by gru_forward; "
            f"got {type(caches).__name__}")
    steps, p = caches["steps"], caches["params"]
    (n_x, m), T_x = steps[0]["x"].shape, len(steps)
    n_a = steps[0]["a"].shape[0]
    da = check_shape("da", as_float_array("da", da), (n_a, m, T_x),
                     ("n_a", "m", "T_x"))
    dtype = steps[0]["a"].dtype
    grads = {"d" + name: np.zeros_like(p[name]) for name in _LAYER_NAMES}
    grads["dx"] = np.zeros((n_x, m, T_x), dtype)
    da_next = np.zeros((n_a, m), dtype)
    for t in reversed(range(T_x)):
        step = gru_cell_backward(da[:, :, t] + da_next, steps[t])
        for name in _LAYER_NAMES:
            grads["d" + name] += step["d" + name]
        grads["dx"][:, :, t] = step["dx"]
        da_next = step["da_prev"]
    grads["da0"] = da_next
    return grads


def gru_backward(y, caches):
    r"""Gradients of the cross-entropy J of a whole sequence (BPTT).

    The output layer's backward at every step
    (:func:`lstm_src.layers.output_layer_backward`), then
    :func:`gru_layer_backward` from the gradient it sends to each
    :math:`a^{\langle t\rangle}`.

    Defined in: book/part5/gru.ipynb

    Parameters
    ----------
    y : ndarray (n_y, m, T_x)
        One-hot labels.
    caches : dict
        From :func:`gru_forward`.

    Returns
    -------
    dict
        ``"d" + name`` for every parameter name, ``"dx"`` (n_x, m, T_x)
        and ``"da0"`` (n_a, m).
    """
    steps, p, y = check_caches(caches, y, "gru_forward")
    n_a, m = steps[0]["a"].shape
    da = np.zeros((n_a, m, len(steps)), steps[0]["a"].dtype)
    dW_ya, db_y = np.zeros_like(p["W_ya"]), np.zeros_like(p["b_y"])
    for t in reversed(range(len(steps))):
        dz_y = softmax_cross_entropy_backward(steps[t]["y_hat"],
                                              y[:, :, t])
        dW, db, da[:, :, t] = output_layer_backward(dz_y, steps[t]["a"],
                                                    p["W_ya"])
        dW_ya += dW
        db_y += db
    grads = gru_layer_backward(da, caches)
    grads["dW_ya"], grads["db_y"] = dW_ya, db_y
    names = ["d" + n for n in PARAM_NAMES] + ["dx", "da0"]
    return {k: grads[k] for k in names}
