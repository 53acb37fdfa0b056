r"""The same LSTM in other layouts: PyTorch, Andrew Ng's course, CS231n, Keras.

Every text computes eq.1–eq.12 of the book (no peepholes), but stores the
parameters differently: transposed or not, the four blocks stacked into one
matrix in some order, one bias or two. These functions move parameters
between the book's dict (see :func:`lstm_src.lstm.init_params`) and each
layout, and sequences between the book's (n, m, T_x) and the libraries'
time-major (T_x, m, n) or batch-major (m, T_x, n) arrays. numpy only: the
PyTorch layout is a dict of numpy arrays named like ``torch.nn.LSTM``'s
``state_dict()`` keys.

============  ==========================  ===============  ========================
layout        stacked weights             block order      output layer
============  ==========================  ===============  ========================
PyTorch       weight_ih_l0 (4n_a, n_x),   i, f, g, o       Linear weight (n_y, n_a),
              weight_hh_l0 (4n_a, n_a),                    bias (n_y,)
              bias_ih_l0, bias_hh_l0
              (4n_a,) each
Ng            Wf, Wi, Wc, Wo (n_a, n_a+n_x)  one per gate  Wy (n_y, n_a), by (n_y, 1)
              on [a; x]; bf ... (n_a, 1)
CS231n        Wx (n_x, 4n_a),             i, f, o, g       W_vocab (n_a, n_y),
              Wh (n_a, 4n_a), b (4n_a,)                    b_vocab (n_y,)
Keras         kernel (n_x, 4n_a),         i, f, c, o       Dense kernel (n_a, n_y),
              recurrent_kernel (n_a, 4n_a),                bias (n_y,)
              bias (4n_a,)
============  ==========================  ===============  ========================

The libraries' input gate i is the book's update gate u, and their g (or c)
is the book's candidate :math:`\tilde c`. Defined in the chapter "The same
LSTM in other books and libraries".
"""
import numpy as np

from . import gru as _gru
from .lstm import GATES, param_shapes
from .validation import as_float_array, check_params, check_shape

__all__ = [
    "TORCH_ORDER", "CS231N_ORDER", "KERAS_ORDER",
    "to_torch_lstm", "from_torch_lstm",
    "to_ng", "from_ng",
    "to_cs231n", "from_cs231n",
    "to_keras", "from_keras",
    "to_time_major", "from_time_major", "to_batch_major", "from_batch_major",
    "to_torch_gru", "from_torch_gru",
    "to_torch_lstm_stack", "from_torch_lstm_stack",
]

#: The book's gate letters in the order each library stacks its four blocks.
TORCH_ORDER = ("u", "f", "c", "o")   # torch: i, f, g, o
CS231N_ORDER = ("u", "f", "o", "c")  # CS231n: i, f, o, g
KERAS_ORDER = ("u", "f", "c", "o")   # Keras: i, f, c, o

#: Ng's letter for each of the book's gates (his update gate is "i").
NG_NAMES = {"f": "f", "u": "i", "c": "c", "o": "o"}


def _book_params(params):
    """Check a book parameter dict (sizes read from W_fx and W_ya); return float arrays."""
    loose = check_params(params, param_shapes(None, None, None))
    n_x, n_a = loose["W_fx"].shape
    return check_params(params, param_shapes(n_x, n_a, loose["W_ya"].shape[1]))


def _stack_columns(p, order):
    """(W_x, W_a, b) with the four blocks side by side: (n_x, 4n_a), (n_a, 4n_a), (4n_a,).

    Defined in: book/part2/other_conventions.ipynb
    """
    W_x = np.concatenate([p[f"W_{g}x"] for g in order], axis=1)
    W_a = np.concatenate([p[f"W_{g}a"] for g in order], axis=1)
    b = np.concatenate([p[f"b_{g}"][:, 0] for g in order])
    return W_x, W_a, b


def _split_columns(W_x, W_a, b, order, names):
    """Inverse of :func:`_stack_columns`, after checking the three shapes."""
    nx_name, na_name, b_name = names
    W_x = check_shape(nx_name, as_float_array(nx_name, W_x), (None, None), ("n_x", "4n_a"))
    if W_x.shape[1] % 4:
        raise ValueError(f"{nx_name} must have 4*n_a columns (four stacked blocks); "
                         f"got shape {W_x.shape}")
    n_a = W_x.shape[1] // 4
    W_a = check_shape(na_name, as_float_array(na_name, W_a), (n_a, 4 * n_a), ("n_a", "4n_a"))
    b = check_shape(b_name, as_float_array(b_name, b), (4 * n_a,), ("4n_a",))
    params = {}
    for k, g in enumerate(order):
        block = slice(k * n_a, (k + 1) * n_a)
        params[f"W_{g}a"] = W_a[:, block].copy()
        params[f"W_{g}x"] = W_x[:, block].copy()
        params[f"b_{g}"] = b[block].reshape(n_a, 1).copy()
    return params, n_a


def _output_layer(W, b, n_a, names, transposed):
    """W_ya (n_a, n_y) and b_y (n_y, 1) from a library's output weight and 1-D bias."""
    w_name, b_name = names
    W = as_float_array(w_name, W)
    if transposed:  # stored (n_y, n_a)
        W = check_shape(w_name, W, (None, n_a), ("n_y", "n_a")).T
    else:           # stored (n_a, n_y)
        W = check_shape(w_name, W, (n_a, None), ("n_a", "n_y"))
    b = check_shape(b_name, as_float_array(b_name, b), (W.shape[1],), ("n_y",))
    return W.copy(), b.reshape(-1, 1).copy()


def _get(d, keys, what):
    if not isinstance(d, dict):
        raise ValueError(f"{what} must be a dict of arrays; got {type(d).__name__}")
    missing = [k for k in keys if k not in d]
    if missing:
        raise ValueError(f"{what} is missing {', '.join(missing)}; "
                         f"expected keys {', '.join(keys)}, "
                         f"got {', '.join(sorted(d)) or 'none'}")
    return [d[k] for k in keys]


# ------------------------------------------------------------------ PyTorch

_TORCH_LSTM_KEYS = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
_TORCH_LINEAR_KEYS = ("weight", "bias")


def to_torch_lstm(params):
    r"""The book's parameters in ``torch.nn.LSTM`` + ``torch.nn.Linear`` layout.

    PyTorch writes :math:`i = \sigma(W_{ii}x + b_{ii} + W_{hi}h + b_{hi})`
    with the weight on the left, so each of its blocks is the transpose of
    the book's: ``weight_ih_l0`` stacks :math:`W_{ux}^\top, W_{fx}^\top,
    W_{cx}^\top, W_{ox}^\top` by rows (order i, f, g, o), ``weight_hh_l0``
    the same for the :math:`W_{*a}`. PyTorch has two biases that always
    appear as a sum; the book's bias goes to ``bias_ih_l0`` and
    ``bias_hh_l0`` is zero.

    Defined in: book/part2/other_conventions.ipynb

    Parameters
    ----------
    params : dict, as from :func:`lstm_src.lstm.init_params`

    Returns
    -------
    lstm_state : dict
        ``weight_ih_l0`` (4n_a, n_x), ``weight_hh_l0`` (4n_a, n_a),
        ``bias_ih_l0`` (4n_a,), ``bias_hh_l0`` (4n_a,): numpy arrays that
        ``torch.nn.LSTM(n_x, n_a).load_state_dict`` takes (after
        ``torch.from_numpy``).
    linear_state : dict
        ``weight`` (n_y, n_a) = :math:`W_{ya}^\top` and ``bias`` (n_y,), for
        ``torch.nn.Linear(n_a, n_y)``.
    """
    p = _book_params(params)
    W_x, W_a, b = _stack_columns(p, TORCH_ORDER)
    lstm_state = {
        "weight_ih_l0": W_x.T.copy(),
        "weight_hh_l0": W_a.T.copy(),
        "bias_ih_l0": b,
        "bias_hh_l0": np.zeros_like(b),
    }
    return lstm_state, {"weight": p["W_ya"].T.copy(), "bias": p["b_y"][:, 0].copy()}


def from_torch_lstm(lstm_state, linear_state):
    """The book's parameters from a one-layer ``torch.nn.LSTM`` and a ``torch.nn.Linear``.

    Inverse of :func:`to_torch_lstm`; the book's bias is
    ``bias_ih_l0 + bias_hh_l0`` (only the sum matters to the LSTM).

    Parameters
    ----------
    lstm_state : dict
        ``weight_ih_l0`` (4n_a, n_x), ``weight_hh_l0`` (4n_a, n_a),
        ``bias_ih_l0`` (4n_a,), ``bias_hh_l0`` (4n_a,), as numpy arrays
        (e.g. ``{k: v.numpy() for k, v in lstm.state_dict().items()}``).
    linear_state : dict
        ``weight`` (n_y, n_a), ``bias`` (n_y,).

    Returns
    -------
    dict
        The book's ``W_fa, W_fx, b_f, ..., W_ya, b_y``.
    """
    w_ih, w_hh, b_ih, b_hh = _get(lstm_state, _TORCH_LSTM_KEYS, "lstm_state")
    W, bias = _get(linear_state, _TORCH_LINEAR_KEYS, "linear_state")
    w_ih = check_shape("weight_ih_l0", as_float_array("weight_ih_l0", w_ih), (None, None),
                       ("4n_a", "n_x"))
    if w_ih.shape[0] % 4:
        raise ValueError(f"weight_ih_l0 must have 4*n_a rows (four stacked blocks); "
                         f"got shape {w_ih.shape}")
    n_a = w_ih.shape[0] // 4
    w_hh = check_shape("weight_hh_l0", as_float_array("weight_hh_l0", w_hh), (4 * n_a, n_a),
                       ("4n_a", "n_a"))
    b_ih = check_shape("bias_ih_l0", as_float_array("bias_ih_l0", b_ih), (4 * n_a,), ("4n_a",))
    b_hh = check_shape("bias_hh_l0", as_float_array("bias_hh_l0", b_hh), (4 * n_a,), ("4n_a",))
    params, n_a = _split_columns(w_ih.T, w_hh.T, b_ih + b_hh, TORCH_ORDER,
                                 ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0"))
    params["W_ya"], params["b_y"] = _output_layer(W, bias, n_a, ("weight", "bias"), transposed=True)
    return params


# ----------------------------------------------------------------- Ng's course

def to_ng(params):
    r"""The book's parameters in the layout of Andrew Ng's Sequence Models course.

    Ng stacks the two inputs, :math:`[a^{\langle t-1\rangle}; x^{\langle t\rangle}]`
    (a on top), and writes :math:`\Gamma_f = \sigma(W_f [a; x] + b_f)`, so
    :math:`W_f = [W_{fa}^\top \;\; W_{fx}^\top]`, of shape (n_a, n_a + n_x).
    His update gate is called ``i``.

    Returns
    -------
    dict
        ``Wf, bf, Wi, bi, Wc, bc, Wo, bo`` (W (n_a, n_a+n_x), b (n_a, 1)),
        ``Wy`` (n_y, n_a) = :math:`W_{ya}^\top`, ``by`` (n_y, 1).

    Defined in: book/part2/other_conventions.ipynb
    """
    p = _book_params(params)
    out = {}
    for g in GATES:
        out[f"W{NG_NAMES[g]}"] = np.concatenate([p[f"W_{g}a"].T, p[f"W_{g}x"].T], axis=1)
        out[f"b{NG_NAMES[g]}"] = p[f"b_{g}"].copy()
    out["Wy"], out["by"] = p["W_ya"].T.copy(), p["b_y"].copy()
    return out


def from_ng(ng, n_x):
    """Inverse of :func:`to_ng`.

    Parameters
    ----------
    ng : dict
        ``Wf, bf, Wi, bi, Wc, bc, Wo, bo, Wy, by``.
    n_x : int
        Input size: where the [a; x] columns split (n_a is read from ``Wf``).

    Returns
    -------
    dict
        The book's ``W_fa, W_fx, b_f, ..., W_ya, b_y``.
    """
    keys = [f"{w}{NG_NAMES[g]}" for g in GATES for w in "Wb"] + ["Wy", "by"]
    _get(ng, keys, "ng")
    if not isinstance(n_x, (int, np.integer)) or isinstance(n_x, bool) or n_x < 1:
        raise ValueError(f"n_x must be a positive integer; got {n_x!r}")
    Wf = check_shape("Wf", as_float_array("Wf", ng["Wf"]), (None, None), ("n_a", "n_a+n_x"))
    n_a = Wf.shape[1] - n_x
    if n_a != Wf.shape[0]:
        raise ValueError(f"Wf must have shape (n_a, n_a+n_x) = "
                         f"({Wf.shape[0]}, {Wf.shape[0] + n_x}) "
                         f"for n_x = {n_x}; got shape {Wf.shape}")
    params = {}
    for g in GATES:
        name = NG_NAMES[g]
        W = check_shape(f"W{name}", as_float_array(f"W{name}", ng[f"W{name}"]),
                        (n_a, n_a + n_x), ("n_a", "n_a+n_x"))
        params[f"W_{g}a"] = W[:, :n_a].T.copy()
        params[f"W_{g}x"] = W[:, n_a:].T.copy()
        params[f"b_{g}"] = check_shape(f"b{name}", as_float_array(f"b{name}", ng[f"b{name}"]),
                                       (n_a, 1), ("n_a", "1")).copy()
    Wy = check_shape("Wy", as_float_array("Wy", ng["Wy"]), (None, n_a), ("n_y", "n_a"))
    params["W_ya"] = Wy.T.copy()
    params["b_y"] = check_shape("by", as_float_array("by", ng["by"]),
                                (Wy.shape[0], 1), ("n_y", "1")).copy()
    return params


# ---------------------------------------------------------- CS231n and Keras

def to_cs231n(params):
    r"""The book's parameters in CS231n's layout (assignment 3, ``lstm_step_forward``).

    CS231n is batch-major, :math:`A = x W_x + h W_h + b` with x of shape
    (N, D) = (m, n_x), so its blocks are the book's matrices untransposed,
    side by side in the order i, f, o, g.

    Returns
    -------
    dict
        ``Wx`` (n_x, 4n_a), ``Wh`` (n_a, 4n_a), ``b`` (4n_a,),
        ``W_vocab`` (n_a, n_y) = :math:`W_{ya}`, ``b_vocab`` (n_y,).
    """
    p = _book_params(params)
    Wx, Wh, b = _stack_columns(p, CS231N_ORDER)
    return {"Wx": Wx, "Wh": Wh, "b": b,
            "W_vocab": p["W_ya"].copy(), "b_vocab": p["b_y"][:, 0].copy()}


def from_cs231n(cs):
    """Inverse of :func:`to_cs231n`: ``Wx, Wh, b, W_vocab, b_vocab`` -> the book's dict."""
    Wx, Wh, b, W, bias = _get(cs, ("Wx", "Wh", "b", "W_vocab", "b_vocab"), "cs")
    params, n_a = _split_columns(Wx, Wh, b, CS231N_ORDER, ("Wx", "Wh", "b"))
    params["W_ya"], params["b_y"] = _output_layer(W, bias, n_a, ("W_vocab", "b_vocab"),
                                                  transposed=False)
    return params


def to_keras(params):
    r"""The book's parameters in Keras's layout (``keras.layers.LSTM`` + ``Dense``).

    Like CS231n (inputs are rows, blocks side by side) but in the order
    i, f, c, o.

    Returns
    -------
    dict
        ``kernel`` (n_x, 4n_a), ``recurrent_kernel`` (n_a, 4n_a), ``bias``
        (4n_a,), ``dense_kernel`` (n_a, n_y) = :math:`W_{ya}`, ``dense_bias`` (n_y,).
    """
    p = _book_params(params)
    kernel, recurrent, b = _stack_columns(p, KERAS_ORDER)
    return {"kernel": kernel, "recurrent_kernel": recurrent, "bias": b,
            "dense_kernel": p["W_ya"].copy(), "dense_bias": p["b_y"][:, 0].copy()}


def from_keras(k):
    """Inverse of :func:`to_keras`."""
    keys = ("kernel", "recurrent_kernel", "bias", "dense_kernel", "dense_bias")
    kernel, recurrent, b, W, bias = _get(k, keys, "keras")
    params, n_a = _split_columns(kernel, recurrent, b, KERAS_ORDER, keys[:3])
    params["W_ya"], params["b_y"] = _output_layer(W, bias, n_a, keys[3:], transposed=False)
    return params


# --------------------------------------------------------------- sequences

def _sequence(name, arr):
    return check_shape(name, as_float_array(name, arr), (None, None, None), ("n", "m", "T_x"))


def to_time_major(arr):
    """A book sequence (n, m, T_x) as PyTorch's default (T_x, m, n).

    Works for x (n = n_x), a or c (n = n_a), y_hat (n = n_y).
    """
    return np.ascontiguousarray(_sequence("arr", arr).transpose(2, 1, 0))


def from_time_major(arr):
    """A time-major sequence (T_x, m, n) as the book's (n, m, T_x)."""
    arr = check_shape("arr", as_float_array("arr", arr), (None, None, None), ("T_x", "m", "n"))
    return np.ascontiguousarray(arr.transpose(2, 1, 0))


def to_batch_major(arr):
    """A book sequence (n, m, T_x) as batch-major (m, T_x, n).

    The layout of CS231n, Keras, and torch's ``batch_first=True``.
    """
    return np.ascontiguousarray(_sequence("arr", arr).transpose(1, 2, 0))


def from_batch_major(arr):
    """A batch-major sequence (m, T_x, n) as the book's (n, m, T_x)."""
    arr = check_shape("arr", as_float_array("arr", arr), (None, None, None), ("m", "T_x", "n"))
    return np.ascontiguousarray(arr.transpose(2, 0, 1))


# ------------------------------------- PyTorch: GRU and stacked LSTM layers

#: The book's GRU blocks in torch.nn.GRU's order (r, z, n).
TORCH_GRU_ORDER = ("r", "z", "n")


def to_torch_gru(params):
    r"""The book's GRU (:mod:`lstm_src.gru`) in ``torch.nn.GRU`` +
    ``torch.nn.Linear`` layout.

    ``weight_ih_l0`` stacks :math:`W_{rx}^\top, W_{zx}^\top, W_{nx}^\top` by
    rows, ``weight_hh_l0`` the :math:`W_{*a}^\top`; ``bias_ih_l0`` is
    :math:`[b_r; b_z; b_n]` and ``bias_hh_l0`` is :math:`[0; 0; b_{na}]`
    (PyTorch adds the r and z biases, but :math:`b_{na}` sits inside the
    reset gate's product).

    Parameters
    ----------
    params : dict, as from :func:`lstm_src.gru.init_params`

    Returns
    -------
    gru_state : dict
        ``weight_ih_l0`` (3n_a, n_x), ``weight_hh_l0`` (3n_a, n_a),
        ``bias_ih_l0``, ``bias_hh_l0`` (3n_a,), numpy arrays.
    linear_state : dict
        ``weight`` (n_y, n_a), ``bias`` (n_y,).
    """
    shapes = _gru.param_shapes
    loose = check_params(params, shapes(None, None, None))
    n_x, n_a = loose["W_rx"].shape
    p = check_params(params, shapes(n_x, n_a, loose["W_ya"].shape[1]))
    zero = np.zeros(n_a)
    state = {
        "weight_ih_l0": np.concatenate(
            [p[f"W_{g}x"].T for g in TORCH_GRU_ORDER]),
        "weight_hh_l0": np.concatenate(
            [p[f"W_{g}a"].T for g in TORCH_GRU_ORDER]),
        "bias_ih_l0": np.concatenate(
            [p[f"b_{g}"][:, 0] for g in TORCH_GRU_ORDER]),
        "bias_hh_l0": np.concatenate([zero, zero, p["b_na"][:, 0]]),
    }
    return state, {"weight": p["W_ya"].T.copy(),
                   "bias": p["b_y"][:, 0].copy()}


def from_torch_gru(gru_state, linear_state):
    """The book's GRU parameters from ``torch.nn.GRU`` + ``torch.nn.Linear``.

    Inverse of :func:`to_torch_gru`: :math:`b_r` and :math:`b_z` are the sums
    of PyTorch's two biases, :math:`b_n` is ``bias_ih``'s and
    :math:`b_{na}` ``bias_hh``'s third block.

    Parameters
    ----------
    gru_state : dict
        ``weight_ih_l0`` (3n_a, n_x), ``weight_hh_l0`` (3n_a, n_a),
        ``bias_ih_l0``, ``bias_hh_l0`` (3n_a,).
    linear_state : dict
        ``weight`` (n_y, n_a), ``bias`` (n_y,).

    Returns
    -------
    dict
        ``W_ra, W_rx, b_r, W_za, W_zx, b_z, W_na, W_nx, b_n, b_na, W_ya,
        b_y``.
    """
    w_ih, w_hh, b_ih, b_hh = _get(gru_state, _TORCH_LSTM_KEYS, "gru_state")
    W, bias = _get(linear_state, _TORCH_LINEAR_KEYS, "linear_state")
    w_ih = check_shape("weight_ih_l0", as_float_array("weight_ih_l0", w_ih),
                       (None, None), ("3n_a", "n_x"))
    if w_ih.shape[0] % 3:
        raise ValueError("weight_ih_l0 must have 3*n_a rows (three stacked "
                         f"blocks); got shape {w_ih.shape}")
    n_a = w_ih.shape[0] // 3
    w_hh = check_shape("weight_hh_l0", as_float_array("weight_hh_l0", w_hh),
                       (3 * n_a, n_a), ("3n_a", "n_a"))
    b_ih = check_shape("bias_ih_l0", as_float_array("bias_ih_l0", b_ih),
                       (3 * n_a,), ("3n_a",))
    b_hh = check_shape("bias_hh_l0", as_float_array("bias_hh_l0", b_hh),
                       (3 * n_a,), ("3n_a",))
    params = {}
    for k, g in enumerate(TORCH_GRU_ORDER):
        block = slice(k * n_a, (k + 1) * n_a)
        params[f"W_{g}a"] = w_hh[block].T.copy()
        params[f"W_{g}x"] = w_ih[block].T.copy()
        b = b_ih[block] if g == "n" else b_ih[block] + b_hh[block]
        params[f"b_{g}"] = b.reshape(n_a, 1).copy()
    params["b_na"] = b_hh[2 * n_a:].reshape(n_a, 1).copy()
    params["W_ya"], params["b_y"] = _output_layer(
        W, bias, n_a, ("weight", "bias"), transposed=True)
    return {name: params[name] for name in _gru.PARAM_NAMES}


def _torch_suffix(layer, direction):
    return f"_l{layer}" + ("_reverse" if direction else "")


def to_torch_lstm_stack(layers):
    """Stacked, possibly bidirectional LSTM layers in
    ``torch.nn.LSTM(num_layers=L, bidirectional=...)`` layout.

    Parameters
    ----------
    layers : list of lists of dict
        ``layers[k][d]``: the gate parameters (``W_fa, ..., b_c``) of layer
        k, direction d (0 forward, 1 reversed), as
        :func:`lstm_src.deep.init_stack` makes them.

    Returns
    -------
    dict
        ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``,
        ``bias_hh_l{k}``, with the suffix ``_reverse`` for direction 1:
        numpy arrays for ``load_state_dict`` (after ``torch.from_numpy``).
    """
    state = {}
    for k, directions in enumerate(layers):
        for d, p in enumerate(directions):
            W_x, W_a, b = _stack_columns(p, TORCH_ORDER)
            s = _torch_suffix(k, d)
            state["weight_ih" + s] = W_x.T.copy()
            state["weight_hh" + s] = W_a.T.copy()
            state["bias_ih" + s] = b
            state["bias_hh" + s] = np.zeros_like(b)
    return state


def from_torch_lstm_stack(state, num_layers, bidirectional):
    """The book's stacked layers from a ``torch.nn.LSTM`` state dict.

    Inverse of :func:`to_torch_lstm_stack` (each bias the sum of PyTorch's
    two).

    Parameters
    ----------
    state : dict
        ``{k: v.numpy() for k, v in lstm.state_dict().items()}``.
    num_layers : int
    bidirectional : bool

    Returns
    -------
    list of lists of dict
        ``layers[k][d]`` with the gate parameters ``W_fa, ..., b_c``.
    """
    layers = []
    for k in range(num_layers):
        directions = []
        for d in range(2 if bidirectional else 1):
            s = _torch_suffix(k, d)
            keys = tuple(n + s for n in ("weight_ih", "weight_hh", "bias_ih",
                                         "bias_hh"))
            w_ih, w_hh, b_ih, b_hh = _get(state, keys, "state")
            b_ih = as_float_array(keys[2], b_ih)
            b_hh = check_shape(keys[3], as_float_array(keys[3], b_hh),
                               b_ih.shape, ("4n_a",))
            p, _ = _split_columns(np.asarray(w_ih).T, np.asarray(w_hh).T,
                                  b_ih + b_hh, TORCH_ORDER, keys[:3])
            directions.append(p)
        layers.append(directions)
    return layers
