r"""The LSTM of :mod:`lstm_src.lstm`, made fast: same contract, same numbers.

Code written for :mod:`lstm_src.lstm` runs with this module unchanged:
:func:`init_params` is the reference's, :func:`lstm_forward` returns
``(a, y_hat, c, caches)`` in the book's layout (column vectors, batch as
columns, time last) and :func:`lstm_backward` returns ``"d" + name`` for every
parameter, ``"dx"`` and ``"da0"``, with the reference's ValueErrors on bad
input. The techniques, each measured in the chapter "Making it fast":

1. the four gates as one stacked weight matrix, one matrix product per step
   (:func:`stack_gate_weights`);
2. the input projections of all time steps before the loop, in one call
   (:func:`input_projections`);
3. one ``np.exp`` pass for all four gates (:func:`gate_activations`) and one
   for :math:`\tanh c` (:func:`tanh_from_exp`), everything written in place
   (``out=``) into buffers made once per call;
4. the output layer, softmax and its gradient for all steps at once
   (:func:`softmax_columns`);
5. the backward step's element-wise work in a few passes over contiguous
   blocks (:func:`gates_backward`), and the weight gradients of all steps in
   one matrix product each (:func:`sequence_weight_grads`);
6. memory recycled between calls (:class:`lstm_src.recycle.BufferPool`), so
   that a call does not pay the operating system for fresh pages.

Inside, every step's arrays are in the book's orientation, one column per
example, and each is one contiguous block: ``G[t]`` (4 n_a, m) holds the
stacked gates :math:`[\Gamma_o; \Gamma_f; \Gamma_u; \tilde c]` of step t+1,
``C[t]`` and ``TC[t]`` (n_a, m) hold :math:`c^{\langle t\rangle}` and
:math:`\tanh c^{\langle t+1\rangle}`. Arrays that feed one product for the
whole sequence are (rows, T_x, m), so that their columns, step after step,
form one matrix (rows, T_x m). The outputs ``a``, ``y_hat`` and ``c`` are
transposed views of these arrays, in the book's layout (n, m, T_x), and
read-only because the caches share their memory.

Precision: everything is computed, and returned, in the dtype of ``x``
(float32 in, float32 out; integer input becomes float64, as in the
reference); ``a0``, ``c0`` and the parameters are cast to it. The reference
instead computes in the widest dtype among its inputs.
"""
import numpy as np

from .loss import softmax_cross_entropy_backward
from .lstm import PARAM_NAMES, _checked_inputs, init_params
from .recycle import BufferPool
from .validation import as_float_array, check_shape

__all__ = [
    "ORDER",
    "EXP_SCALE",
    "POOL",
    "gate_activations",
    "gates_backward",
    "init_params",
    "input_projections",
    "lstm_backward",
    "lstm_forward",
    "lstm_layer_backward",
    "sequence_weight_grads",
    "softmax_columns",
    "stack_gate_weights",
    "tanh_from_exp",
]

#: The order of the four blocks in the stacked weights: the three sigmoid
#: gates first, and the three blocks whose gradient starts from the cell
#: state's (f, u, c) last and side by side.
ORDER = ("o", "f", "u", "c")

#: Each block's pre-activation is multiplied by this before the one np.exp
#: pass of :func:`gate_activations`: -z for a sigmoid gate, -2 z for the
#: candidate.
EXP_SCALE = (-1.0, -1.0, -1.0, -2.0)

#: Where the forward and backward passes take their arrays from.
POOL = BufferPool()


def stack_gate_weights(params, dtype=np.float64, out=None):
    r"""The four gates' weights as one matrix acting on [a; x], and one bias.

    .. math::
        W = \begin{bmatrix} W_{oa} & W_{fa} & W_{ua} & W_{ca}\\
                            W_{ox} & W_{fx} & W_{ux} & W_{cx}
            \end{bmatrix},\qquad
        b = [b_o;\ b_f;\ b_u;\ b_c]

    so that one product :math:`W^\top [a; x] + b = W_a^\top a + W_x^\top x + b`
    (with :math:`W_a` the top n_a rows of W and :math:`W_x` the bottom n_x)
    stacks the four pre-activations :math:`z_o, z_f, z_u, z_c` of eq.1, 3, 5, 7
    into one column of size 4 n_a.

    Defined in: book/part4/making_it_fast.ipynb

    Parameters
    ----------
    params : dict, as from :func:`init_params`
    dtype : numpy dtype
    out : tuple (W, b) of ndarrays, optional
        Arrays of the shapes below to write into.

    Returns
    -------
    W : ndarray (n_a + n_x, 4 n_a)
    b : ndarray (4 n_a, 1)
    """
    n_a, n_x = params["W_oa"].shape[0], params["W_ox"].shape[0]
    W, b = out if out is not None else (np.empty((n_a + n_x, 4 * n_a), dtype),
                                        np.empty((4 * n_a, 1), dtype))
    np.concatenate([params[f"W_{g}a"] for g in ORDER], axis=1, out=W[:n_a])
    np.concatenate([params[f"W_{g}x"] for g in ORDER], axis=1, out=W[n_a:])
    np.concatenate([params[f"b_{g}"] for g in ORDER], axis=0, out=b)
    return W, b


def input_projections(X, W_x_T, b, out):
    r"""The input's share of every step's pre-activations, before the loop.

    The term :math:`W_x^\top x^{\langle t\rangle} + b` of eq.1, 3, 5, 7
    does not depend on the recurrence, so it is computed for every step in
    one call (numpy's ``matmul`` of a stack of matrices, whose loop over the
    steps runs in C):

    .. math::
        Z_x^{\langle t\rangle} = W_x^\top x^{\langle t\rangle} + b,
        \qquad t = 1, \dots, T_x

    Defined in: book/part4/making_it_fast.ipynb

    Parameters
    ----------
    X : ndarray (n_x, T_x, m)
        ``X[:, t]`` is :math:`x^{\langle t+1\rangle}`.
    W_x_T : ndarray (4 n_a, n_x)
        :math:`W_x^\top`.
    b : ndarray (4 n_a, 1)
    out : ndarray (T_x, 4 n_a, m)
        Overwritten with :math:`Z_x`, step by step: ``out[t]`` is step t+1's.
    """
    np.matmul(W_x_T, X.transpose(1, 0, 2), out=out)
    out += b


def gate_activations(z):
    r"""All four gates of one step from one ``np.exp`` pass, in place.

    ``z`` holds the stacked pre-activations scaled by :data:`EXP_SCALE`,
    :math:`[-z_o; -z_f; -z_u; -2 z_c]`. Then

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
    z : ndarray (4 n_a, m)
        Overwritten with :math:`[\Gamma_o; \Gamma_f; \Gamma_u; \tilde c]`.
    """
    np.exp(z, out=z)
    z += 1.0
    np.divide(1.0, z, out=z)
    c_tilde = z[3 * (z.shape[0] // 4) :]
    c_tilde *= 2.0
    c_tilde -= 1.0


def tanh_from_exp(c, out):
    r"""tanh of the cell state from one ``np.exp`` pass (quicker than np.tanh).

    .. math:: \tanh c = \frac{2}{1 + e^{-2c}} - 1

    Where :math:`e^{-2c}` overflows (c very negative) the result is
    :math:`2/\infty - 1 = -1`, the exact limit; the caller silences that
    overflow.

    Defined in: book/part4/making_it_fast.ipynb

    Parameters
    ----------
    c : ndarray (n_a, m)
    out : ndarray (n_a, m)
        Overwritten with :math:`\tanh c`; must not be ``c``.
    """
    np.multiply(c, -2.0, out=out)
    np.exp(out, out=out)
    out += 1.0
    np.divide(2.0, out, out=out)
    out -= 1.0


def softmax_columns(Z):
    r"""Softmax of every column of Z in place: eq.12 for all steps at once.

    .. math::
        \hat Y_{k,j} = e^{Z_{k,j} - M_j}
                      \Big/ \textstyle\sum_i e^{Z_{i,j} - M_j},
        \qquad M_j = \max_i Z_{i,j}

    Defined in: book/part4/making_it_fast.ipynb

    Parameters
    ----------
    Z : ndarray (n_y, N)
        Logits :math:`W_{ya}^\top A + b_y`, one column per example and step;
        overwritten with :math:`\hat Y`.
    """
    # an overflow only when a column spans more than the float range:
    with np.errstate(over="ignore"):
        Z -= Z.max(axis=0)
    np.exp(Z, out=Z)
    Z /= Z.sum(axis=0)


def _read_only(arr):
    arr.flags.writeable = False
    return arr


def lstm_forward(x, a0, params, c0=None):
    r"""Run the LSTM over a whole sequence, from a0 and c0 (zeros by default).

    The same function as :func:`lstm_src.lstm.lstm_forward` (eq.1–eq.12 at
    t = 1, ..., T_x), computed with stacked gates, the input projections of all
    steps before the loop, recycled buffers and in-place element-wise work: one
    step is one matrix product and fourteen element-wise passes.

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
    (n_x, m, T_x), n, dt = x.shape, a0.shape[0], x.dtype
    W_ya = p["W_ya"].astype(dt, copy=False)
    b_y = p["b_y"].astype(dt, copy=False)
    n_y, K = W_ya.shape[1], n + n_x

    W, b, W_T_scaled, S, G, C, TC, Y = POOL.arrays(
        [(K, 4 * n), (4 * n, 1), (4 * n, K), (K, T_x + 1, m), (T_x, 4 * n, m),
         (T_x + 1, n, m), (T_x, n, m), (n_y, T_x, m)], dt)
    stack_gate_weights(p, out=(W, b))
    scale = np.repeat(np.asarray(EXP_SCALE, dt), n)[:, None]  # for exp
    np.multiply(W.T, scale, out=W_T_scaled)
    # S[:, t] = [a<t>; x<t+1>]: H[:, t] = a<t>, X[:, t] = x<t+1>
    H, X = S[:n], S[n:, :T_x]
    np.copyto(X, x.transpose(0, 2, 1))
    input_projections(X, W_T_scaled[:, n:], b * scale, out=G)
    H[:, 0] = a0
    C[0] = 0.0 if c0 is None else c0  # C[t] = c<t>
    tmp = np.empty((4 * n, m), dt)
    u_c_tilde = tmp[:n]
    with np.errstate(over="ignore"):  # exp(-z) = inf exactly where a gate is 0
        for t in range(T_x):
            g = G[t]
            np.matmul(W_T_scaled[:, :n], H[:, t], out=tmp)
            g += tmp  # the stacked pre-activations, scaled
            gate_activations(g)  # eq.2, 4, 6, 8
            o, f, u = g[:n], g[n : 2 * n], g[2 * n : 3 * n]
            c_tilde = g[3 * n :]
            np.multiply(f, C[t], out=C[t + 1])  # eq.9
            np.multiply(u, c_tilde, out=u_c_tilde)
            C[t + 1] += u_c_tilde
            tanh_from_exp(C[t + 1], out=TC[t])  # eq.10
            np.multiply(o, TC[t], out=H[:, t + 1])

    A = H[:, 1:].reshape(n, T_x * m)  # a<1> ... a<T_x> side by side
    np.matmul(W_ya.T, A, out=Y.reshape(n_y, T_x * m))  # eq.11, all steps
    Y += b_y[:, :, None]
    softmax_columns(Y.reshape(n_y, T_x * m))  # eq.12
    caches = {"fast": True, "W": W, "S": S, "G": G, "C": C, "TC": TC, "Y": Y,
              "W_ya": W_ya, "c0": c0 is not None}
    a = _read_only(H[:, 1:].transpose(0, 2, 1))
    c = _read_only(C[1:].transpose(1, 2, 0))
    y_hat = _read_only(Y.transpose(0, 2, 1))
    return a, y_hat, c, caches


def _checked_labels(caches, y):
    """The reference's checks of caches and labels, its messages, its order."""
    if not isinstance(caches, dict) or "fast" not in caches:
        ref = isinstance(caches, dict) and "steps" in caches
        what = "lstm_src.lstm's caches" if ref else type(caches).__name__
        raise ValueError("caches must be the dict returned by lstm_forward; "
                         f"got {what}")
    n_y, T_x, m = caches["Y"].shape
    y = check_shape("y", as_float_array("y", y), (n_y, m, T_x),
                    ("n_y", "m", "T_x"))
    ok = np.isclose(np.sum(y, axis=0), 1.0)
    # the reference meets the last bad step first: let it say what is wrong
    if not ok.all():
        t = np.nonzero(~ok.all(axis=0))[0][-1]
        softmax_cross_entropy_backward(caches["Y"][:, t], y[:, :, t])
    return y


def gates_backward(da, dc, gates, tanh_c, c_prev, dz, work):
    r"""One step back through the element-wise work: the gates' δz, δc at t-1.

    With :math:`\delta a` and :math:`\delta c` the total gradients at
    :math:`a^{\langle t\rangle}` and :math:`c^{\langle t\rangle}` (the latter
    before this step's share through eq.10 is added), eq.10, eq.9 and the
    gates' derivatives give

    .. math::
        \delta c \mathrel{+}= \delta a\circ\Gamma_o\circ(1-\tanh^2 c),\qquad
        \delta z_o = \delta a\circ\tanh c\circ\Gamma_o(1-\Gamma_o),

    .. math::
        \delta z_f = \delta c\circ c^{\langle t-1\rangle}
                     \circ\Gamma_f(1-\Gamma_f),\quad
        \delta z_u = \delta c\circ\tilde c\circ\Gamma_u(1-\Gamma_u),\quad
        \delta z_c = \delta c\circ\Gamma_u\circ(1-\tilde c^2)

    and then :math:`\delta c \leftarrow \delta c\circ\Gamma_f`, the gradient at
    :math:`c^{\langle t-1\rangle}` (eq.9).

    Defined in: book/part4/making_it_fast.ipynb

    Parameters
    ----------
    da : ndarray (n_a, m)
    dc : ndarray (n_a, m)
        Updated in place: on return, :math:`\delta c^{\langle t-1\rangle}`.
    gates : ndarray (4 n_a, m)
        :math:`[\Gamma_o; \Gamma_f; \Gamma_u; \tilde c]` of this step.
    tanh_c, c_prev : ndarray (n_a, m)
    dz : ndarray (4 n_a, m)
        Overwritten with
        :math:`[\delta z_o; \delta z_f; \delta z_u; \delta z_c]`.
    work : ndarray (n_a, m)
        Scratch space.
    """
    n = da.shape[0]
    o, f, u = gates[:n], gates[n : 2 * n], gates[2 * n : 3 * n]
    c_tilde = gates[3 * n :]
    np.multiply(tanh_c, tanh_c, out=work)
    np.subtract(1.0, work, out=work)
    work *= o
    work *= da
    dc += work  # eq.10 adds its share
    sig = dz[: 3 * n]
    np.subtract(1.0, gates[: 3 * n], out=sig)
    sig *= gates[: 3 * n]  # Gamma (1 - Gamma), three gates at once
    dz[:n] *= tanh_c
    dz[:n] *= da
    dz[n : 2 * n] *= c_prev
    dz[2 * n : 3 * n] *= c_tilde
    dz_c = dz[3 * n :]
    np.multiply(c_tilde, c_tilde, out=dz_c)
    np.subtract(1.0, dz_c, out=dz_c)
    dz_c *= u
    dz_fuc = dz[n:].reshape(3, n, -1)
    dz_fuc *= dc  # f, u and c all start from dc
    dc *= f  # eq.9: the gradient at c<t-1>


def sequence_weight_grads(S, dZ):
    r"""The weight gradients of all time steps in one matrix product.

    The reference adds
    :math:`\nabla_{W_a}J = \sum_t a^{\langle t-1\rangle}\,
    \delta z^{\langle t\rangle\top}` and
    :math:`\nabla_{W_x}J = \sum_t x^{\langle t\rangle}\,
    \delta z^{\langle t\rangle\top}` one step at a time. For the stacked
    :math:`W` of :func:`stack_gate_weights` the two are one sum,
    :math:`\nabla_W J = \sum_t s^{\langle t\rangle}
    \delta z^{\langle t\rangle\top}` with
    :math:`s^{\langle t\rangle} = [a^{\langle t-1\rangle};
    x^{\langle t\rangle}]`.
    With the steps' columns side by side, :math:`S` (n_a + n_x, T_x m) and
    :math:`\delta Z` (4 n_a, T_x m),

    .. math::
        \nabla_W J = S\,\delta Z^\top,\qquad \nabla_b J = \delta Z\,\mathbf 1

    a sum over t and over the batch is one inner dimension of length T_x m.

    Defined in: book/part4/making_it_fast.ipynb

    Parameters
    ----------
    S : ndarray (n_a + n_x, T_x, m)
        ``S[:, t]`` is :math:`[a^{\langle t\rangle}; x^{\langle t+1\rangle}]`.
    dZ : ndarray (4 n_a, T_x, m)
        ``dZ[:, t]`` is :math:`\delta z^{\langle t+1\rangle}`.

    Returns
    -------
    dW : ndarray (n_a + n_x, 4 n_a)
        :math:`[\nabla_{W_a}J; \nabla_{W_x}J]`.
    db : ndarray (4 n_a, 1)
    """
    cols = dZ.shape[1] * dZ.shape[2]
    dZ = dZ.reshape(-1, cols)
    return S.reshape(-1, cols) @ dZ.T, dZ.sum(axis=1, keepdims=True)


def lstm_backward(y, caches):
    r"""Gradients of the sequence's cross-entropy J (BPTT), as the reference's.

    The same function as :func:`lstm_src.lstm.lstm_backward`.

    The output layer's gradient for all steps at once, then one pass from
    t = T_x down to 1 that carries :math:`\delta a` and :math:`\delta c` (one
    matrix product and :func:`gates_backward` a step), then the weight
    gradients of all steps in one product each (:func:`sequence_weight_grads`).

    Defined in: book/part4/making_it_fast.ipynb

    Parameters
    ----------
    y : ndarray (n_y, m, T_x)
        Labels whose every column sums to 1 (one-hot).
    caches : dict
        What :func:`lstm_forward` returned.

    Returns
    -------
    dict
        ``"d" + name`` for every parameter name, with the parameter's shape,
        ``"dx"`` (n_x, m, T_x) and ``"da0"`` (n_a, m), in x's dtype.
    """
    y = _checked_labels(caches, y)
    k = caches
    S, Y = k["S"], k["Y"]
    (T_x, n, m), n_y, dt = k["TC"].shape, Y.shape[0], k["TC"].dtype

    dY, dA, dZ, dZ_cols = POOL.arrays(
        [(n_y, T_x, m), (n, T_x, m), (T_x, 4 * n, m), (4 * n, T_x, m)], dt)
    # the output layer, all steps at once: dZ_y = (Y_hat - Y) / m
    np.subtract(Y, y.transpose(0, 2, 1), out=dY)
    dY /= m
    dY_cols, A = dY.reshape(n_y, T_x * m), S[:n, 1:].reshape(n, T_x * m)
    dW_ya = A @ dY_cols.T
    db_y = dY_cols.sum(axis=1, keepdims=True)
    # y_hat<t>'s share of dJ/da<t>:
    np.matmul(k["W_ya"], dY_cols, out=dA.reshape(n, T_x * m))
    grads = _layer_backward(dA, k, None, dZ, dZ_cols)
    grads["dW_ya"], grads["db_y"] = dW_ya, db_y
    names = ["d" + p for p in PARAM_NAMES] + ["dx", "da0"]
    return {name: grads[name] for name in names}


def _layer_backward(dA, k, dc_last, dZ, dZ_cols):
    """The layer's backward from dA (n_a, T_x, m), on checked arrays, into
    the buffers dZ (T_x, 4 n_a, m) and dZ_cols (4 n_a, T_x, m)."""
    W, S, G, C, TC = k["W"], k["S"], k["G"], k["C"], k["TC"]
    (T_x, n, m), dt = TC.shape, TC.dtype
    da, work = np.empty((n, m), dt), np.empty((n, m), dt)
    dc, da_next = np.zeros((n, m), dt), np.zeros((n, m), dt)
    if dc_last is not None:
        dc[...] = dc_last
    W_a = W[:n]
    for t in reversed(range(T_x)):
        np.add(dA[:, t], da_next, out=da)  # total dJ/da<t>
        gates_backward(da, dc, G[t], TC[t], C[t], dZ[t], work)
        # dJ/da<t-1> = W_a delta z, all four gates in one product:
        np.matmul(W_a, dZ[t], out=da_next)

    np.copyto(dZ_cols, dZ.transpose(1, 0, 2))  # the steps' dz side by side
    dW, db = sequence_weight_grads(S[:, :T_x], dZ_cols)
    dX = np.matmul(W[n:], dZ_cols.reshape(4 * n, T_x * m))  # W_x dz, all t
    grads = {}
    for i, g in enumerate(ORDER):
        block = slice(i * n, (i + 1) * n)
        grads[f"dW_{g}a"] = np.ascontiguousarray(dW[:n, block])
        grads[f"dW_{g}x"] = np.ascontiguousarray(dW[n:, block])
        grads[f"db_{g}"] = db[block].copy()
    grads["dx"] = dX.reshape(-1, T_x, m).transpose(0, 2, 1)
    grads["da0"] = da_next
    if k.get("c0"):
        grads["dc0"] = dc
    return grads


def lstm_layer_backward(da, caches, dc=None):
    r"""Back-propagate the layer from the gradient at its outputs, as
    :func:`lstm_src.lstm.lstm_layer_backward` (same numbers).

    The loop of :func:`lstm_backward` without the output layer: one pass
    from t = T_x down to 1 that carries :math:`\delta a` and
    :math:`\delta c`, then the weight gradients of all steps in one product
    each.

    Parameters
    ----------
    da : ndarray (n_a, m, T_x)
        The gradient arriving at each :math:`a^{\langle t\rangle}`.
    caches : dict
        What :func:`lstm_forward` returned.
    dc : ndarray (n_a, m), optional
        Gradient at the last cell state (zeros when omitted).

    Returns
    -------
    dict
        ``"d" + name`` for the gate parameters, ``"dx"`` (n_x, m, T_x),
        ``"da0"`` (n_a, m), and ``"dc0"`` when the forward pass had c0; in
        x's dtype.
    """
    if not isinstance(caches, dict) or "fast" not in caches:
        raise ValueError("caches must be the dict returned by lstm_forward; "
                         f"got {type(caches).__name__}")
    (T_x, n, m), dt = caches["TC"].shape, caches["TC"].dtype
    da = check_shape("da", as_float_array("da", da), (n, m, T_x),
                     ("n_a", "m", "T_x"))
    if dc is not None:
        dc = check_shape("dc", as_float_array("dc", dc), (n, m), ("n_a", "m"))
    dA, dZ, dZ_cols = POOL.arrays(
        [(n, T_x, m), (T_x, 4 * n, m), (4 * n, T_x, m)], dt)
    np.copyto(dA, da.transpose(0, 2, 1))
    grads = _layer_backward(dA, caches, dc, dZ, dZ_cols)
    names = ["d" + p for p in PARAM_NAMES[:-2]] + ["dx", "da0", "dc0"]
    return {name: grads[name] for name in names if name in grads}
