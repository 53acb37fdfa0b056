r"""Deep, bidirectional and padded LSTMs, composed from the layer functions.

Nothing here differentiates a gate: every step goes through
:func:`lstm_src.lstm.lstm_layer_forward` and
:func:`lstm_src.lstm.lstm_layer_backward`. What is new is how layers meet:

- **stacked**: layer k reads layer k-1's outputs, so layer k's ``dx`` is the
  gradient arriving at layer k-1's outputs, its ``da``;
- **bidirectional**: a second layer reads each sequence backwards in time;
  the two outputs are stacked, :math:`[a_\rightarrow; a_\leftarrow]`
  (2 n_a, m, T_x), and the gradient splits the same way;
- **padded**: sequences of different lengths share one batch; a padded step
  neither changes the state nor receives a gradient, and the state returned
  is that of each example's last real step (PyTorch's
  ``pack_padded_sequence``). The reversed layer reverses each example's
  real steps only.

Parameters are ``layers[k][d]``, a dict of gate parameters
(``W_fa, ..., b_c``) for layer k and direction d (0 forward, 1 reversed).
Initial and final states are stacked as PyTorch stacks them, index
``k * D + d``, each in the book's (n_a, m): ``(L D, n_a, m)``.
"""
import numpy as np

from .lstm import (
    PARAM_NAMES,
    init_params,
    lstm_layer_backward,
    lstm_layer_forward,
    param_shapes,
)
from .validation import (
    as_float_array,
    check_mask,
    check_params,
    check_shape,
    lengths_to_mask,
)

__all__ = ["init_stack", "reverse_padded", "stack_forward", "stack_backward",
           "lengths_to_mask"]

_GATE_NAMES = PARAM_NAMES[:-2]


def init_stack(n_x, n_a, num_layers=2, bidirectional=True, seed=0):
    """Random gate parameters for a stack of LSTM layers.

    Parameters
    ----------
    n_x, n_a : int
    num_layers : int
    bidirectional : bool
    seed : int

    Returns
    -------
    list of lists of dict
        ``layers[k][d]``; layer 0 reads n_x inputs, the others D n_a.
    """
    if not isinstance(num_layers, int) or num_layers < 1:
        raise ValueError(f"num_layers must be a positive integer; "
                         f"got {num_layers!r}")
    D = 2 if bidirectional else 1
    layers = []
    for k in range(num_layers):
        n_in = n_x if k == 0 else D * n_a
        layers.append([
            {name: v for name, v in init_params(
                n_in, n_a, 1, seed=seed + 10 * k + d).items()
             if name in _GATE_NAMES}
            for d in range(D)])
    return layers


def reverse_padded(x, mask):
    r"""Each example's real steps in reverse order; padding stays last.

    Example i of length :math:`L_i` becomes
    :math:`x^{\langle L_i\rangle}, \dots, x^{\langle 1\rangle}, 0, \dots`;
    applying it twice gives x back (on the real steps).

    Defined in: book/part5/deep_bidirectional_padded.ipynb

    Parameters
    ----------
    x : ndarray (n, m, T_x)
    mask : ndarray (m, T_x) of bool, or None (no padding: a plain flip)

    Returns
    -------
    ndarray (n, m, T_x)
    """
    if mask is None:
        return x[:, :, ::-1]
    T_x = x.shape[2]
    lengths = mask.sum(axis=1)
    t = np.arange(T_x)[None, :]
    src = np.where(t < lengths[:, None], lengths[:, None] - 1 - t, t)
    out = np.take_along_axis(x, src[None, :, :], axis=2)
    return out * mask


def _checked(x, layers, lengths, mask, a0, c0):
    """Every check of :func:`stack_forward`, before any arithmetic."""
    x = check_shape("x", as_float_array("x", x), (None, None, None),
                    ("n_x", "m", "T_x"))
    n_in, m, T_x = x.shape
    if not isinstance(layers, (list, tuple)) or not layers:
        raise ValueError("layers must be a non-empty list of layers (each a "
                         f"list of 1 or 2 directions); got {layers!r:.60}")
    D = None
    checked, sizes = [], []
    for k, directions in enumerate(layers):
        if not isinstance(directions, (list, tuple)) or not directions:
            raise ValueError(f"layers[{k}] must be a list of 1 or 2 "
                             "directions' parameters; got "
                             f"{type(directions).__name__}")
        if D is None:
            D = len(directions)
        if len(directions) not in (1, 2):
            raise ValueError(f"layers[{k}] must hold 1 or 2 directions; "
                             f"got {len(directions)}")
        if len(directions) != D:
            raise ValueError("every layer must have as many directions as "
                             f"layer 0: expected {D}, got {len(directions)}"
                             f" in layer {k}")
        row, out = [], 0
        for d, p in enumerate(directions):
            n_a = _hidden_size(p, k, d)
            shapes = param_shapes(n_in, n_a, None)
            try:
                row.append(check_params(
                    p, {g: shapes[g] for g in _GATE_NAMES}))
            except ValueError as exc:
                where = f"layer {k}, direction {d}"
                if k:
                    where += (f" (reads layer {k - 1}'s outputs, "
                              f"n_x = {n_in})")
                raise ValueError(f"{where}: {exc}") from None
            out += n_a
            sizes.append(n_a)
        checked.append(row)
        n_in = out
    if len(set(sizes)) != 1:
        raise ValueError("every layer and direction must have the same n_a; "
                         f"got {sizes}")
    n_a = sizes[0]
    if lengths is not None and mask is not None:
        raise ValueError("give lengths or mask, not both; got both")
    if lengths is not None:
        mask = lengths_to_mask(lengths, m, T_x)
    elif mask is not None:
        mask = check_mask(mask, m, T_x)
    states = []
    for name, s in (("a0", a0), ("c0", c0)):
        if s is None:
            s = np.zeros((len(layers) * D, n_a, m), x.dtype)
        states.append(check_shape(name, as_float_array(name, s),
                                  (len(layers) * D, n_a, m),
                                  ("L D", "n_a", "m")))
    return x, checked, mask, states[0], states[1]


def _hidden_size(p, k, d):
    W = p.get("W_fa") if isinstance(p, dict) else None
    if W is None or np.ndim(W) != 2:
        raise ValueError(f"layer {k}, direction {d}: params must be a dict "
                         "with W_fa (n_a, n_a); got "
                         f"{type(p).__name__ if W is None else np.shape(W)}")
    return np.shape(W)[0]


def stack_forward(x, layers, lengths=None, mask=None, a0=None, c0=None):
    """A stack of (bidirectional) LSTM layers over a (padded) batch.

    Defined in: book/part5/deep_bidirectional_padded.ipynb

    Parameters
    ----------
    x : ndarray (n_x, m, T_x)
    layers : list of lists of dict
        ``layers[k][d]``, as from :func:`init_stack`.
    lengths : sequence of int (m,), optional
        Each example's number of real steps, 1 ... T_x.
    mask : ndarray (m, T_x) of 0/1, optional
        Instead of ``lengths``: 1 on real steps, each row ones then zeros.
    a0, c0 : ndarray (L D, n_a, m), optional
        Initial states of every layer and direction (zeros).

    Returns
    -------
    out : ndarray (D n_a, m, T_x)
        The top layer's outputs, directions stacked; 0 at padded steps.
    a_n, c_n : ndarray (L D, n_a, m)
        The state after each example's last real step (for the reversed
        direction: after its first step, the last it reads).
    caches : dict
        For :func:`stack_backward`.

    Raises
    ------
    ValueError
        Before any arithmetic, on a wrong shape of x, a layer, lengths, mask,
        a0 or c0, lengths out of 1 ... T_x, a mask that is not 0/1 or not a
        prefix, layers with different numbers of directions or sizes that do
        not chain.
    """
    x, layers, mask, a0, c0 = _checked(x, layers, lengths, mask, a0, c0)
    D = len(layers[0])
    inp, caches, a_n, c_n = x, [], [], []
    for k, directions in enumerate(layers):
        outs, row = [], []
        for d, p in enumerate(directions):
            i = k * D + d
            seq = inp if d == 0 else reverse_padded(inp, mask)
            a, _, cache = lstm_layer_forward(seq, a0[i], p, c0[i], mask)
            outs.append(a if d == 0 else reverse_padded(a, mask))
            a_n.append(cache["a_last"])
            c_n.append(cache["c_last"])
            row.append(cache)
        caches.append(row)
        inp = np.concatenate(outs, axis=0)  # [forward; reversed]
    info = {"layers": caches, "mask": mask, "D": D,
            "out_shape": inp.shape}
    return inp, np.stack(a_n), np.stack(c_n), info


def stack_backward(dout, caches, da_n=None, dc_n=None):
    """Back-propagate :func:`stack_forward` from the gradient at its outputs
    (and, optionally, at its final states).

    From the top layer down, each direction's share of the gradient goes
    through :func:`lstm_src.lstm.lstm_layer_backward` (reversed in time for
    the reversed direction); the directions' ``dx`` add up to the gradient at
    the layer below's outputs.

    Defined in: book/part5/deep_bidirectional_padded.ipynb

    Parameters
    ----------
    dout : ndarray (D n_a, m, T_x)
    caches : dict
        From :func:`stack_forward`.
    da_n, dc_n : ndarray (L D, n_a, m), optional
        Gradients at the final states.

    Returns
    -------
    dict
        ``"layers"``: ``grads[k][d]`` with ``"d" + name`` for every gate
        parameter; ``"dx"`` (n_x, m, T_x); ``"da0"``, ``"dc0"``
        (L D, n_a, m).
    """
    if not isinstance(caches, dict) or "layers" not in caches:
        raise ValueError(
            "caches must be the dict returned by stack_forward;"
            f" got {type(caches).__name__}")
    rows, mask, D = caches["layers"], caches["mask"], caches["D"]
    _, m, T_x = caches["out_shape"]
    n_a = rows[0][0]["steps"][0]["a"].shape[0]
    dout = check_shape("dout", as_float_array("dout", dout),
                       caches["out_shape"], ("D n_a", "m", "T_x"))
    LD = len(rows) * D
    finals = []
    for name, g in (("da_n", da_n), ("dc_n", dc_n)):
        finals.append(None if g is None
                      else check_shape(name, as_float_array(name, g),
                                       (LD, n_a, m), ("L D", "n_a", "m")))
    da_n, dc_n = finals

    grads = [None] * len(rows)
    da0, dc0 = np.zeros((LD, n_a, m)), np.zeros((LD, n_a, m))
    for k in reversed(range(len(rows))):
        dx, grads[k] = 0.0, []
        for d, cache in enumerate(rows[k]):
            i = k * D + d
            da = dout[d * n_a:(d + 1) * n_a]
            if d:
                da = reverse_padded(da, mask)
            g = lstm_layer_backward(
                da, cache, dc=None if dc_n is None else dc_n[i],
                da_last=None if da_n is None else da_n[i])
            dx = dx + (g["dx"] if d == 0
                       else reverse_padded(g["dx"], mask))
            da0[i], dc0[i] = g["da0"], g["dc0"]
            grads[k].append({"d" + n: g["d" + n] for n in _GATE_NAMES})
        dout = dx  # layer k's dx is layer k-1's da
    return {"layers": grads, "dx": dout, "da0": da0, "dc0": dc0}
