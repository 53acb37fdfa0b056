r"""The LSTM of :mod:`lstm_src.lstm`, fast: the same contract and numbers, a fraction of the time.

Code written for :mod:`lstm_src.lstm` runs with this module unchanged:
:func:`init_params` is the reference's, :func:`lstm_forward` returns
``(a, y_hat, c, caches)`` in the book's layout (column vectors, batch as
columns, time last) and :func:`lstm_backward` returns ``"d" + name`` for every
parameter, ``"dx"`` and ``"da0"``, with the reference's ValueErrors on bad
input. The techniques, each measured in the chapter "Making it fast":

1. the four gates as one stacked weight matrix, one matrix product per step
   (:func:`stack_gate_weights`);
2. the input projections of all time steps in one matrix product before the
   loop (:func:`input_projections`);
3. the weight gradients of all time steps in one matrix product after the
   loop (:func:`sequence_weight_grads`);
4. the output layer, softmax and its gradient, for all steps at once
   (:func:`softmax_rows`);
5. every buffer allocated once per call, and the element-wise work written in
   place (``out=``): one ``np.exp`` pass gives all four gates
   (:func:`gate_activations`), and the backward pass's local derivatives of
   every step come from a few whole-sequence passes (:func:`local_derivatives`).

Inside, arrays are time-major with one example per row, so that each step
reads and writes contiguous memory: the stacked pre-activations of step t are
the rows :math:`Z^{\langle t\rangle} = A^{\langle t-1\rangle} W_a + X^{\langle t\rangle}
W_x + \mathbf 1 b^\top`, (m, 4 n_a), where :math:`A^{\langle t-1\rangle} =
a^{\langle t-1\rangle\top}` and :math:`X^{\langle t\rangle} = x^{\langle t\rangle\top}`:
the transpose of the book's :math:`W_a^\top a + W_x^\top x + b`. The outputs
``a``, ``y_hat`` and ``c`` are transposed views of these arrays, in the book's
layout, and read-only because the caches share their memory.

Precision: everything is computed, and returned, in the dtype of ``x``
(float32 in, float32 out; integer input becomes float64, as in the
reference); ``a0``, ``c0`` and the parameters are cast to it. The reference
instead computes in the widest dtype among its inputs.
"""
import numpy as np

from .loss import softmax_cross_entropy_backward
from .lstm import PARAM_NAMES, _check_params, init_params
from .validation import as_float_array, check_shape

__all__ = [
    "ORDER",
    "gate_activations",
    "init_params",
    "input_projections",
    "local_derivatives",
    "lstm_backward",
    "lstm_forward",
    "sequence_weight_grads",
    "softmax_rows",
    "stack_gate_weights",
]

#: The order of the four blocks in the stacked weights: the three sigmoid
#: gates first, and the three blocks whose gradient starts from the cell
#: state's (f, u, c) last and side by side.
ORDER = ("o", "f", "u", "c")

#: Each block's pre-activation is multiplied by this before the one np.exp
#: pass of :func:`gate_activations`: -z for a sigmoid gate, -2 z for the candidate.
EXP_SCALE = (-1.0, -1.0, -1.0, -2.0)


def stack_gate_weights(params, dtype=np.float64):
    r"""The four gates' weights side by side: one matrix for a, one for x, one bias row.

    .. math::
        W_a = [W_{oa}\ W_{fa}\ W_{ua}\ W_{ca}],\quad
        W_x = [W_{ox}\ W_{fx}\ W_{ux}\ W_{cx}],\quad
        b^\top = [b_o^\top\ b_f^\top\ b_u^\top\ b_c^\top]

    so that one product :math:`W_a^\top a + W_x^\top x + b` stacks the four
    pre-activations :math:`z_o, z_f, z_u, z_c` of eq.1, 3, 5, 7 into one vector
    of size 4 n_a.

    Defined in: book/part4/making_it_fast.ipynb

    Parameters
    ----------
    params : dict, as from :func:`init_params`
    dtype : numpy dtype

    Returns
    -------
    W_a : ndarray (n_a, 4 n_a)
    W_x : ndarray (n_x, 4 n_a)
    b : ndarray (1, 4 n_a)
    """
    W_a = np.concatenate([params[f"W_{g}a"] for g in ORDER], axis=1).astype(dtype, copy=False)
    W_x = np.concatenate([params[f"W_{g}x"] for g in ORDER], axis=1).astype(dtype, copy=False)
    b = np.concatenate([params[f"b_{g}"] for g in ORDER], axis=0).T.astype(dtype)
    return W_a, W_x, b


def input_projections(X, W_x, b):
    r"""The input's share of every step's pre-activations, all steps in one product.

    The term :math:`W_x^\top x^{\langle t\rangle} + b` of eq.1, 3, 5, 7 does not
    depend on the recurrence, so for all T_x steps at once (rows are examples,
    time-major: row block t is :math:`x^{\langle t\rangle\top}`):

    .. math:: Z_x = X W_x + \mathbf 1\, b^\top,\qquad X \in \mathbb R^{T_x m\times n_x}

    Defined in: book/part4/making_it_fast.ipynb

    Parameters
    ----------
    X : ndarray (T_x, m, n_x)
    W_x : ndarray (n_x, 4 n_a)
    b : ndarray (1, 4 n_a)

    Returns
    -------
    Z_x : ndarray (T_x, m, 4 n_a)
    """
    T_x, m, n_x = X.shape
    Z_x = np.matmul(X.reshape(T_x * m, n_x), W_x)
    Z_x += b
    return Z_x.reshape(T_x, m, W_x.shape[1])


def gate_activations(z):
    r"""All four gates of one step from one ``np.exp`` pass, in place.

    ``z`` holds the stacked pre-activations scaled by :data:`EXP_SCALE`,
    :math:`[-z_o, -z_f, -z_u, -2 z_c]`. Then

    .. math::
        \sigma(z) = \frac{1}{1 + e^{-z}},\qquad
        \tanh(z_c) = \frac{2}{1 + e^{-2 z_c}} - 1

    so exp, add 1, take the reciprocal over the whole block, and finish the
    candidate's quarter with :math:`2s - 1`. Where :math:`e^{-z}` overflows to
    inf the gate is :math:`1/\infty = 0`, its exact limit; the caller silences
    that overflow.

    Defined in: book/part4/making_it_fast.ipynb

    Parameters
    ----------
    z : ndarray (m, 4 n_a)
        Overwritten with :math:`[\Gamma_o, \Gamma_f, \Gamma_u, \tilde c]`.
    """
    np.exp(z, out=z)
    z += 1.0
    np.divide(1.0, z, out=z)
    c_tilde = z[:, 3 * (z.shape[1] // 4) :]
    c_tilde *= 2.0
    c_tilde -= 1.0


def softmax_rows(Z):
    r"""Softmax of every row of Z in place: the output layer of all steps at once (eq.12).

    .. math:: \hat Y_{r,k} = e^{Z_{r,k} - M_r} \Big/ \textstyle\sum_i e^{Z_{r,i} - M_r},
        \qquad M_r = \max_j Z_{r,j}

    Defined in: book/part4/making_it_fast.ipynb

    Parameters
    ----------
    Z : ndarray (T_x m, n_y)
        Logits :math:`A W_{ya} + \mathbf 1 b_y^\top`; overwritten with :math:`\hat Y`.
    """
    with np.errstate(over="ignore"):  # only when a row spans more than the float range
        Z -= Z.max(axis=1, keepdims=True)
    np.exp(Z, out=Z)
    Z /= Z.sum(axis=1, keepdims=True)


def _checked_inputs(x, a0, params, c0):
    """The reference's checks, in its order."""
    x = check_shape("x", as_float_array("x", x), (None, None, None), ("n_x", "m", "T_x"))
    n_x, m = x.shape[:2]
    a0 = check_shape("a0", as_float_array("a0", a0), (None, m), ("n_a", "m"))
    n_a = a0.shape[0]
    p = _check_params(params, n_x, n_a)
    if c0 is not None:
        c0 = check_shape("c0", as_float_array("c0", c0), (n_a, m), ("n_a", "m"))
    return x, a0, p, c0


def _read_only(arr):
    arr.flags.writeable = False
    return arr


def lstm_forward(x, a0, params, c0=None):
    r"""Run the LSTM over a whole sequence, from the states a0 and c0 (zeros by default).

    The same function as :func:`lstm_src.lstm.lstm_forward` (eq.1–eq.12 at
    t = 1, ..., T_x), computed with stacked gates, whole-sequence products and
    buffers allocated once; one step is one matrix product and eleven in-place
    element-wise passes.

    Defined in: book/part4/making_it_fast.ipynb

    Parameters
    ----------
    x : ndarray (n_x, m, T_x)
    a0 : ndarray (n_a, m)
    params : dict, as from :func:`init_params`
    c0 : ndarray (n_a, m), optional
        Initial cell state; zeros when omitted.

    Returns
    -------
    a, c : ndarray (n_a, m, T_x)
    y_hat : ndarray (n_y, m, T_x)
        Read-only views, in x's dtype (the caches share their memory).
    caches : dict
        For :func:`lstm_backward`.

    Raises
    ------
    ValueError
        The reference's, on a wrong dimensionality or shape or a missing
        parameter, before any arithmetic.
    """
    x, a0, p, c0 = _checked_inputs(x, a0, params, c0)
    (_, m, T_x), n, dt = x.shape, a0.shape[0], x.dtype
    W_a, W_x, b = stack_gate_weights(p, dt)
    scale = np.repeat(np.asarray(EXP_SCALE, dt), n)
    W_ya, b_y = p["W_ya"].astype(dt, copy=False), p["b_y"].T.astype(dt)

    X = np.ascontiguousarray(x.transpose(2, 1, 0))  # (T_x, m, n_x): X[t] = x<t+1>^T
    G = input_projections(X, W_x * scale, b * scale)  # becomes the gates, step by step
    W_a_scaled = W_a * scale
    H = np.empty((T_x + 1, m, n), dt)  # H[t] = a<t>^T, H[0] = a0^T
    C = np.empty((T_x + 1, m, n), dt)  # C[t] = c<t>^T
    TC = np.empty((T_x, m, n), dt)  # TC[t] = tanh(c<t+1>)^T
    H[0] = a0.T
    C[0] = 0.0 if c0 is None else c0.T
    tmp = np.empty((m, 4 * n), dt)
    u_c_tilde = tmp[:, :n]
    with np.errstate(over="ignore"):  # exp(-z) = inf exactly where a gate is 0
        for t in range(T_x):
            g = G[t]
            np.matmul(H[t], W_a_scaled, out=tmp)
            g += tmp  # the stacked pre-activations, scaled
            gate_activations(g)  # eq.2, 4, 6, 8
            o, f, u, c_tilde = g[:, :n], g[:, n : 2 * n], g[:, 2 * n : 3 * n], g[:, 3 * n :]
            np.multiply(f, C[t], out=C[t + 1])  # eq.9
            np.multiply(u, c_tilde, out=u_c_tilde)
            C[t + 1] += u_c_tilde
            np.tanh(C[t + 1], out=TC[t])  # eq.10
            np.multiply(o, TC[t], out=H[t + 1])

    Y_hat = np.matmul(H[1:].reshape(T_x * m, n), W_ya)  # eq.11, all steps
    Y_hat += b_y
    softmax_rows(Y_hat)  # eq.12
    caches = {"fast": True, "X": X, "H": H, "C": C, "G": G, "TC": TC, "Y_hat": Y_hat,
              "W_a": W_a, "W_x": W_x, "W_ya": W_ya}
    a = _read_only(H[1:].transpose(2, 1, 0))
    c = _read_only(C[1:].transpose(2, 1, 0))
    y_hat = _read_only(Y_hat.reshape(T_x, m, -1).transpose(2, 1, 0))
    return a, y_hat, c, caches


def _checked_labels(caches, y):
    """The reference's checks of caches and labels (same messages, same order)."""
    if not isinstance(caches, dict) or "fast" not in caches:
        ref = isinstance(caches, dict) and "steps" in caches
        what = "lstm_src.lstm's caches" if ref else type(caches).__name__
        raise ValueError(f"caches must be the dict returned by lstm_forward; got {what}")
    T_x, m = caches["TC"].shape[:2]
    n_y = caches["W_ya"].shape[1]
    y = check_shape("y", as_float_array("y", y), (n_y, m, T_x), ("n_y", "m", "T_x"))
    ok = np.isclose(np.sum(y, axis=0), 1.0)
    if not ok.all():  # the reference meets the last bad step first: let it say what is wrong
        t = np.nonzero(~ok.all(axis=0))[0][-1]
        softmax_cross_entropy_backward(caches["Y_hat"].reshape(T_x, m, n_y)[t].T, y[:, :, t])
    return y


def local_derivatives(G, C_prev, TC):
    r"""Every step's element-wise factors of the backward pass, in whole-sequence passes.

    With :math:`\delta c` the total gradient at :math:`c^{\langle t\rangle}` and
    :math:`\delta a` at :math:`a^{\langle t\rangle}`, the reference's backward
    steps (eq.9, eq.10 and the gates' derivatives) are products of these with
    factors known after the forward pass:

    .. math::
        \delta z_o = \delta a\circ K_o,\quad
        \delta z_f = \delta c\circ K_f,\quad
        \delta z_u = \delta c\circ K_u,\quad
        \delta z_c = \delta c\circ K_c,\quad
        \delta c \mathrel{+}= \delta a\circ D

    .. math::
        K_o = \tanh c\circ\Gamma_o(1-\Gamma_o),\
        K_f = c^{\langle t-1\rangle}\circ\Gamma_f(1-\Gamma_f),\
        K_u = \tilde c\circ\Gamma_u(1-\Gamma_u),\
        K_c = \Gamma_u\circ(1-\tilde c^2),\
        D = \Gamma_o\circ(1-\tanh^2 c)

    Defined in: book/part4/making_it_fast.ipynb

    Parameters
    ----------
    G : ndarray (T_x, m, 4 n_a)
        The gates :math:`[\Gamma_o, \Gamma_f, \Gamma_u, \tilde c]` of every step.
    C_prev : ndarray (T_x, m, n_a)
        :math:`c^{\langle t-1\rangle}` of every step.
    TC : ndarray (T_x, m, n_a)
        :math:`\tanh c^{\langle t\rangle}` of every step.

    Returns
    -------
    K : ndarray (T_x, m, 4 n_a)
        :math:`[K_o, K_f, K_u, K_c]`, a new array.
    D : ndarray (T_x, m, n_a)
    """
    n = TC.shape[2]
    sig, c_tilde, gamma_u = G[:, :, : 3 * n], G[:, :, 3 * n :], G[:, :, 2 * n : 3 * n]
    K = np.empty_like(G)
    K_sig, K_c = K[:, :, : 3 * n], K[:, :, 3 * n :]
    np.subtract(1.0, sig, out=K_sig)
    K_sig *= sig  # Gamma (1 - Gamma), three gates at once
    K[:, :, :n] *= TC
    K[:, :, n : 2 * n] *= C_prev
    K[:, :, 2 * n : 3 * n] *= c_tilde
    np.multiply(c_tilde, c_tilde, out=K_c)
    np.subtract(1.0, K_c, out=K_c)
    K_c *= gamma_u
    D = np.multiply(TC, TC)
    np.subtract(1.0, D, out=D)
    D *= G[:, :, :n]
    return K, D


def sequence_weight_grads(A_prev, X, dZ):
    r"""The weight gradients of all time steps in one matrix product each.

    The reference adds :math:`\nabla_{W_a}J = \sum_t a^{\langle t-1\rangle}\,\delta
    z^{\langle t\rangle\top}` one step at a time; stacking the steps as rows,

    .. math::
        \nabla_{W_a}J = A_\text{prev}^\top\,\delta Z,\qquad
        \nabla_{W_x}J = X^\top\,\delta Z,\qquad
        \nabla_b J = \delta Z^\top\mathbf 1

    with :math:`A_\text{prev}` (T_x m, n_a), :math:`X` (T_x m, n_x) and
    :math:`\delta Z` (T_x m, 4 n_a): a sum over t and over the batch is one
    inner dimension of length T_x m.

    Defined in: book/part4/making_it_fast.ipynb

    Parameters
    ----------
    A_prev : ndarray (T_x, m, n_a)
    X : ndarray (T_x, m, n_x)
    dZ : ndarray (T_x, m, 4 n_a)

    Returns
    -------
    dW_a : ndarray (n_a, 4 n_a)
    dW_x : ndarray (n_x, 4 n_a)
    db : ndarray (4 n_a,)
    """
    rows = dZ.shape[0] * dZ.shape[1]
    dZ = dZ.reshape(rows, -1)
    dW_a = A_prev.reshape(rows, -1).T @ dZ
    dW_x = X.reshape(rows, -1).T @ dZ
    return dW_a, dW_x, dZ.sum(axis=0)


def lstm_backward(y, caches):
    r"""Gradients of the sequence's cross-entropy J (BPTT), as :func:`lstm_src.lstm.lstm_backward`.

    The output layer's gradient for all steps at once, then one pass from
    t = T_x down to 1 that carries :math:`\delta a` and :math:`\delta c` (one
    matrix product and six element-wise passes a step), then the weight
    gradients of all steps in one product (:func:`sequence_weight_grads`).

    Defined in: book/part4/making_it_fast.ipynb

    Parameters
    ----------
    y : ndarray (n_y, m, T_x)
        Labels whose every column sums to 1 (one-hot).
    caches : dict
        What :func:`lstm_forward` returned last.

    Returns
    -------
    dict
        ``"d" + name`` for every parameter name, with the parameter's shape,
        ``"dx"`` (n_x, m, T_x) and ``"da0"`` (n_a, m), in x's dtype.
    """
    y = _checked_labels(caches, y)
    k = caches
    X, H, C, G, TC, Y_hat = k["X"], k["H"], k["C"], k["G"], k["TC"], k["Y_hat"]
    (T_x, m, n), dt = TC.shape, TC.dtype

    # the output layer, all steps at once: dZ_y = (Y_hat - Y) / m
    dZ_y = np.empty_like(Y_hat)
    np.subtract(Y_hat.reshape(T_x, m, -1), y.transpose(2, 1, 0), out=dZ_y.reshape(T_x, m, -1))
    dZ_y /= m
    dW_ya = H[1:].reshape(T_x * m, n).T @ dZ_y
    db_y = dZ_y.sum(axis=0)[:, None]
    dA = np.matmul(dZ_y, k["W_ya"].T).reshape(T_x, m, n)  # the share of y_hat<t> in dJ/da<t>

    dZ, D = local_derivatives(G, C[:-1], TC)  # dZ[t] is overwritten with delta z<t>
    W_a_T = k["W_a"].T
    da_next = np.zeros((m, n), dt)
    dc = np.zeros((m, n), dt)
    tmp = np.empty((m, n), dt)
    for t in reversed(range(T_x)):
        da = dA[t]
        da += da_next  # total dJ/da<t>
        np.multiply(da, D[t], out=tmp)
        dc += tmp  # total dJ/dc<t>
        dz_o, dz_fuc = dZ[t, :, :n], dZ[t, :, n:].reshape(m, 3, n)
        dz_o *= da
        dz_fuc *= dc[:, None, :]
        dc *= G[t, :, n : 2 * n]  # dJ/dc<t-1> through eq.9: dc o Gamma_f
        np.matmul(dZ[t], W_a_T, out=da_next)  # dJ/da<t-1>: W_a delta z, all four gates

    dW_a, dW_x, db = sequence_weight_grads(H[:-1], X, dZ)
    dX = np.matmul(dZ.reshape(T_x * m, 4 * n), k["W_x"].T)
    grads = {}
    for i, g in enumerate(ORDER):
        block = slice(i * n, (i + 1) * n)
        grads[f"dW_{g}a"] = np.ascontiguousarray(dW_a[:, block])
        grads[f"dW_{g}x"] = np.ascontiguousarray(dW_x[:, block])
        grads[f"db_{g}"] = db[block, None].copy()
    grads["dW_ya"], grads["db_y"] = dW_ya, db_y
    grads["dx"] = dX.reshape(T_x, m, -1).transpose(2, 1, 0)
    grads["da0"] = da_next.T
    return {name: grads[name] for name in ["d" + p for p in PARAM_NAMES] + ["dx", "da0"]}
