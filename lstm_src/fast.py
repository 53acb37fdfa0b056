r"""The LSTM of :mod:`lstm_src.lstm`, fast: the same contract and numbers, a fraction of the time.

Code written for :mod:`lstm_src.lstm` runs with this module unchanged:
:func:`init_params` is the reference's, :func:`lstm_forward` returns
``(a, y_hat, c, caches)`` in the book's layout (column vectors, batch as
columns, time last) and :func:`lstm_backward` returns ``"d" + name`` for every
parameter, ``"dx"`` and ``"da0"``, with the reference's ValueErrors on bad
input. The techniques, each measured in the chapter "Making it fast":

1. the four gates as one stacked weight matrix, one matrix product per step;
2. the input projections of all time steps in one matrix product before the loop;
3. the weight gradients of all time steps in one matrix product after the loop;
4. the output layer (softmax and its gradient) for all steps at once;
5. every buffer allocated once per call, element-wise chains written in place
   (``out=``), and one ``np.tanh`` pass for all four gates by
   :math:`\sigma(z) = \tfrac12\big(1 + \tanh(z/2)\big)`.

Inside, arrays are time-major with one example per row, so that every step
reads and writes contiguous memory: the stacked pre-activations of step t are
the row block :math:`Z^{\langle t\rangle\top} = a^{\langle t-1\rangle\top} W_a
+ x^{\langle t\rangle\top} W_x + b^\top`, (m, 4 n_a), the transpose of the
book's :math:`W_a^\top a + W_x^\top x + b`. The outputs are transposed views of
these arrays, in the book's layout, made read-only because the caches share
their memory.

Precision: everything is computed, and returned, in the dtype of ``x``
(float32 in, float32 out; integer input becomes float64); ``a0``, ``c0`` and
the parameters are cast to it. (The reference instead computes in the widest
dtype among its inputs.)
"""
import numpy as np

from .loss import softmax_cross_entropy_backward
from .lstm import PARAM_NAMES, _check_params, init_params
from .validation import as_float_array, check_shape

__all__ = ["ORDER", "init_params", "lstm_backward", "lstm_forward", "stack_gate_weights"]

#: The order of the four blocks in the stacked weights: the three sigmoid
#: gates first (one contiguous block for the 1/2 scaling), and the blocks that
#: back-propagate from the cell state (f, u, c) last, next to each other.
ORDER = ("o", "f", "u", "c")
_O, _F, _U, _C = range(4)


def stack_gate_weights(params, dtype=np.float64):
    r"""The four gates' weights side by side: one matrix for a, one for x, one bias row.

    .. math::
        W_a = [W_{oa}\ W_{fa}\ W_{ua}\ W_{ca}],\quad
        W_x = [W_{ox}\ W_{fx}\ W_{ux}\ W_{cx}],\quad
        b^\top = [b_o^\top\ b_f^\top\ b_u^\top\ b_c^\top]

    so that :math:`W_a^\top a + W_x^\top x + b` stacks the four pre-activations
    :math:`z_o, z_f, z_u, z_c` of eq.1, 3, 5, 7 into one vector of size 4 n_a.

    Defined in: book/part4/making_it_fast.ipynb

    Parameters
    ----------
    params : dict, as from :func:`init_params` (already checked)
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


def _checked_inputs(x, a0, params, c0):
    """The reference's checks, in its order; then everything in x's dtype."""
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
    t = 1, ..., T_x), computed with stacked gates and whole-sequence matrix
    products; see the module's docstring.

    Parameters
    ----------
    x : ndarray (n_x, m, T_x)
    a0 : ndarray (n_a, m)
    params : dict, as from :func:`init_params`
    c0 : ndarray (n_a, m), optional
        Initial cell state; zeros when omitted.

    Returns
    -------
    a : ndarray (n_a, m, T_x)
    y_hat : ndarray (n_y, m, T_x)
    c : ndarray (n_a, m, T_x)
        Read-only views in x's dtype (they share memory with ``caches``).
    caches : dict
        For :func:`lstm_backward`.

    Raises
    ------
    ValueError
        On a wrong dimensionality or shape, or a missing parameter, before
        any arithmetic (the reference's messages).
    """
    x, a0, p, c0 = _checked_inputs(x, a0, params, c0)
    n_x, m, T_x = x.shape
    n_a, n_y = a0.shape[0], p["W_ya"].shape[1]
    dt = x.dtype
    W_a, W_x, b = stack_gate_weights(p, dt)
    W_ya = p["W_ya"].astype(dt, copy=False)
    b_y = p["b_y"].T.astype(dt)
    # the sigmoid blocks are computed as tanh(z / 2): scale their weights by 1/2
    half = np.ones(4 * n_a, dt)
    half[: 3 * n_a] = 0.5
    W_a_half, W_x_half, b_half = W_a * half, W_x * half, b * half

    # time-major, one example per row: X[t] is x<t+1> transposed, (m, n_x)
    X = np.ascontiguousarray(x.transpose(2, 1, 0))
    G = np.matmul(X.reshape(T_x * m, n_x), W_x_half).reshape(T_x, m, 4 * n_a)
    G += b_half
    H = np.empty((T_x + 1, m, n_a), dt)  # H[t] = a<t> transposed; H[0] = a0
    C = np.empty((T_x + 1, m, n_a), dt)
    TC = np.empty((T_x, m, n_a), dt)  # tanh(c<t+1>)
    H[0] = a0.T
    C[0] = 0.0 if c0 is None else c0.T
    tmp = np.empty((m, 4 * n_a), dt)
    n = n_a
    for t in range(T_x):
        g = G[t]
        np.matmul(H[t], W_a_half, out=tmp)
        g += tmp
        np.tanh(g, out=g)
        sig = g[:, : 3 * n]
        sig *= 0.5
        sig += 0.5
        np.multiply(g[:, n : 2 * n], C[t], out=C[t + 1])  # f * c_prev
        np.multiply(g[:, 2 * n : 3 * n], g[:, 3 * n :], out=tmp[:, :n])  # u * c_tilde
        C[t + 1] += tmp[:, :n]
        np.tanh(C[t + 1], out=TC[t])
        np.multiply(g[:, :n], TC[t], out=H[t + 1])  # o * tanh(c)

    P = np.matmul(H[1:].reshape(T_x * m, n_a), W_ya)  # logits, (T_x m, n_y)
    P += b_y
    with np.errstate(over="ignore"):
        P -= P.max(axis=1, keepdims=True)
    np.exp(P, out=P)
    P /= P.sum(axis=1, keepdims=True)

    caches = {
        "fast": True, "X": X, "H": H, "C": C, "G": G, "TC": TC, "P": P,
        "W_a": W_a, "W_x": W_x, "W_ya": W_ya, "params": p,
    }
    a = _read_only(H[1:].transpose(2, 1, 0))
    c = _read_only(C[1:].transpose(2, 1, 0))
    y_hat = _read_only(P.reshape(T_x, m, n_y).transpose(2, 1, 0))
    return a, y_hat, c, caches


def _checked_labels(caches, y):
    """The reference's checks of caches and labels (same messages, same order)."""
    if not isinstance(caches, dict) or "steps" in caches or "fast" not in caches:
        ref = isinstance(caches, dict) and "steps" in caches
        what = "lstm_src.lstm's caches" if ref else type(caches).__name__
        raise ValueError(f"caches must be the dict returned by lstm_forward; got {what}")
    T_x, m = caches["TC"].shape[:2]
    n_y = caches["W_ya"].shape[1]
    y = check_shape("y", as_float_array("y", y), (n_y, m, T_x), ("n_y", "m", "T_x"))
    sums = np.sum(y, axis=0)
    ok = np.isclose(sums, 1.0)
    if not ok.all():  # the reference meets the last bad step first: let it say why
        t = np.nonzero(~ok.all(axis=0))[0][-1]
        P = caches["P"].reshape(T_x, m, n_y)
        softmax_cross_entropy_backward(P[t].T, y[:, :, t])
    return y


def lstm_backward(y, caches):
    r"""Gradients of the sequence's cross-entropy J (BPTT), as :func:`lstm_src.lstm.lstm_backward`.

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
    X, H, C, G, TC, P = k["X"], k["H"], k["C"], k["G"], k["TC"], k["P"]
    T_x, m, n_a = TC.shape
    n_x, n_y, dt = X.shape[2], P.shape[1], P.dtype
    n = n_a

    # output layer, all steps at once: dZ_y = (Y_hat - Y) / m
    dZy = np.empty_like(P)
    np.subtract(P.reshape(T_x, m, n_y), y.transpose(2, 1, 0), out=dZy.reshape(T_x, m, n_y))
    dZy /= m
    Hs = H[1:].reshape(T_x * m, n_a)
    dW_ya = Hs.T @ dZy
    db_y = dZy.sum(axis=0)[:, None]
    dH = np.matmul(dZy, k["W_ya"].T).reshape(T_x, m, n_a)  # the part of dJ/da<t> from y_hat<t>

    # local derivatives of every step at once, (T_x, m, 4 n_a):
    # block o: tanh(c) o(1-o); f: c_prev f(1-f); u: c~ u(1-u); c: u (1 - c~^2)
    K = np.empty_like(G)
    K[:, :, : 3 * n] = G[:, :, : 3 * n]
    K[:, :, : 3 * n] *= 1.0 - G[:, :, : 3 * n]
    K[:, :, :n] *= TC
    K[:, :, n : 2 * n] *= C[:-1]
    K[:, :, 2 * n : 3 * n] *= G[:, :, 3 * n :]
    np.square(G[:, :, 3 * n :], out=K[:, :, 3 * n :])
    np.subtract(1.0, K[:, :, 3 * n :], out=K[:, :, 3 * n :])
    K[:, :, 3 * n :] *= G[:, :, 2 * n : 3 * n]
    # dc<t> gets dJ/da<t> o (1 - tanh^2 c)
    DTC = np.square(TC)
    np.subtract(1.0, DTC, out=DTC)
    DTC *= G[:, :, :n]

    W_aT = np.ascontiguousarray(k["W_a"].T)
    dG = np.empty_like(G)
    dh_next = np.zeros((m, n_a), dt)
    dc = np.zeros((m, n_a), dt)
    tmp = np.empty((m, n_a), dt)
    for t in reversed(range(T_x)):
        dh = dH[t]
        dh += dh_next
        np.multiply(dh, DTC[t], out=tmp)
        dc += tmp
        dg = dG[t]
        np.multiply(dh, K[t, :, :n], out=dg[:, :n])
        np.multiply(
            dc[:, None, :],
            K[t, :, n:].reshape(m, 3, n),
            out=dg[:, n:].reshape(m, 3, n),
        )
        dc *= G[t, :, n : 2 * n]  # dJ/dc<t-1> = dc o f
        np.matmul(dg, W_aT, out=dh_next)

    dG2 = dG.reshape(T_x * m, 4 * n_a)
    dW_a = H[:-1].reshape(T_x * m, n_a).T @ dG2
    dW_x = X.reshape(T_x * m, n_x).T @ dG2
    db = dG2.sum(axis=0)
    dX = np.matmul(dG2, k["W_x"].T).reshape(T_x, m, n_x)

    grads = {}
    for i, g in enumerate(ORDER):
        cols = slice(i * n, (i + 1) * n)
        grads[f"dW_{g}a"] = np.ascontiguousarray(dW_a[:, cols])
        grads[f"dW_{g}x"] = np.ascontiguousarray(dW_x[:, cols])
        grads[f"db_{g}"] = db[cols, None].copy()
    grads["dW_ya"], grads["db_y"] = dW_ya, db_y
    grads["dx"] = dX.transpose(2, 1, 0)
    grads["da0"] = dh_next.T
    return {name: grads[name] for name in ["d" + p for p in PARAM_NAMES] + ["dx", "da0"]}
