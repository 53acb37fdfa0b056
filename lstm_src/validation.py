"""Input checks shared by every public function of :mod:`lstm_src`.

Every check runs before any arithmetic and raises :class:`ValueError` with a
message that says what was expected and what came, for example::

    ValueError: x must be a 3-D array of shape (n_x, m, T_x) = (3, m, T_x); got shape (3, 4)
"""
import numpy as np

__all__ = ["as_float_array", "check_shape", "check_params", "check_caches",
           "check_mask", "lengths_to_mask"]


def as_float_array(name, value):
    """Return ``value`` as a floating-point ndarray, or raise ValueError.

    Integer and boolean arrays are converted to float64; float arrays keep
    their dtype. Anything numpy cannot read as a real array is refused.
    """
    try:
        arr = np.asarray(value)
    except Exception as exc:  # pragma: no cover - numpy raises many kinds
        raise ValueError(f"{name} must be a numeric array; got {type(value).__name__}") from exc
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"{name} must be a numeric array; got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise ValueError(f"{name} must be real; got dtype {arr.dtype}")
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    return arr


def _fmt(spec):
    return "(" + ", ".join(str(s) for s in spec) + (",)" if len(spec) == 1 else ")")


def check_shape(name, arr, spec, labels):
    """Check that ``arr`` has ``len(spec)`` axes and the sizes ``spec`` asks for.

    Parameters
    ----------
    name : str
        How the message names the array, e.g. ``"x"``.
    arr : ndarray
    spec : tuple of (int or None)
        The expected size of each axis; ``None`` means any size >= 1.
    labels : tuple of str
        The symbolic name of each axis, e.g. ``("n_x", "m", "T_x")``.

    Returns
    -------
    ndarray
        ``arr`` itself, so a check can be written inline.
    """
    symbolic = _fmt(labels)
    concrete = _fmt([s if s is not None else lab for s, lab in zip(spec, labels)])
    expected = symbolic if symbolic == concrete else f"{symbolic} = {concrete}"
    if arr.ndim != len(spec):
        raise ValueError(
            f"{name} must be a {len(spec)}-D array of shape {expected}; "
            f"got a {arr.ndim}-D array of shape {arr.shape}"
        )
    for size, want in zip(arr.shape, spec):
        if size == 0 or (want is not None and size != want):
            raise ValueError(f"{name} must have shape {expected}; got shape {arr.shape}")
    return arr


def check_params(params, shapes):
    """Check a parameter dict against ``shapes`` and return float copies.

    Parameters
    ----------
    params : dict
        Name -> array.
    shapes : dict
        Name -> (spec, labels), as taken by :func:`check_shape`.

    Returns
    -------
    dict
        The same names, each as a float ndarray (no copy when already float).
    """
    if not isinstance(params, dict):
        raise ValueError(f"params must be a dict of arrays; got {type(params).__name__}")
    missing = [k for k in shapes if k not in params]
    if missing:
        raise ValueError(
            f"params is missing {', '.join(missing)}; expected keys {', '.join(shapes)}, "
            f"got {', '.join(sorted(params)) or 'none'}"
        )
    out = {}
    for key, (spec, labels) in shapes.items():
        out[key] = check_shape(key, as_float_array(key, params[key]), spec, labels)
    return out


def check_caches(caches, y, producer):
    """Check the caches of a sequence's forward pass and the labels that go with them.

    Parameters
    ----------
    caches : dict
        ``{"steps": [...], "params": {...}}`` as returned by ``producer``.
    y : array (n_y, m, T_x)
        Labels; n_y, m and T_x must match the forward pass.
    producer : str
        The forward function's name, for the message.

    Returns
    -------
    steps : list of dict
    params : dict
    y : ndarray (n_y, m, T_x), float
    """
    if not isinstance(caches, dict) or "steps" not in caches or "params" not in caches:
        raise ValueError(f"caches must be the dict returned by {producer}; "
                         f"got {type(caches).__name__}")
    steps = caches["steps"]
    n_y, m = steps[0]["y_hat"].shape
    y = check_shape("y", as_float_array("y", y), (n_y, m, len(steps)), ("n_y", "m", "T_x"))
    return steps, caches["params"], y


def check_mask(mask, m, T_x):
    """Check a padding mask (m, T_x): 0/1 entries, each row ones then zeros.

    Returns
    -------
    ndarray (m, T_x) of bool
    """
    mask = check_shape("mask", as_float_array("mask", mask), (m, T_x),
                       ("m", "T_x"))
    bad = (mask != 0) & (mask != 1)
    if bad.any():
        i, t = np.argwhere(bad)[0]
        raise ValueError(f"mask must hold only 0 and 1; got {mask[i, t]:g} "
                         f"at example {i}, step {t}")
    mask = mask.astype(bool)
    if not mask[:, 0].all():
        i = int(np.argmin(mask[:, 0]))
        raise ValueError("mask must have a real first step (length >= 1) "
                         f"for every example; got 0 at example {i}, step 0")
    gaps = mask[:, 1:] & ~mask[:, :-1]
    if gaps.any():
        i, t = np.argwhere(gaps)[0]
        raise ValueError("mask must be a prefix of ones (1 ... 1 0 ... 0) "
                         f"in every row; got 0 then 1 at example {i}, "
                         f"steps {t} and {t + 1}")
    return mask


def lengths_to_mask(lengths, m, T_x):
    """The padding mask (m, T_x) of a batch of sequences of given lengths.

    Parameters
    ----------
    lengths : sequence of int (m,)
        Each in 1 ... T_x.
    m, T_x : int

    Returns
    -------
    ndarray (m, T_x) of bool
        ``mask[i, t]`` is True for t < lengths[i].
    """
    arr = np.asarray(lengths)
    if arr.shape != (m,):
        raise ValueError(f"lengths must have shape (m,) = ({m},); "
                         f"got shape {arr.shape}")
    if not (np.issubdtype(arr.dtype, np.integer)
            or (np.issubdtype(arr.dtype, np.floating)
                and np.all(arr == np.round(arr)))):
        raise ValueError(f"lengths must be integers; got {arr.tolist()}")
    arr = arr.astype(np.int64)
    out = (arr < 1) | (arr > T_x)
    if out.any():
        i = int(np.argmax(out))
        raise ValueError(f"lengths must be in 1 ... T_x = 1 ... {T_x}; "
                         f"got {arr[i]} at example {i}")
    return np.arange(T_x)[None, :] < arr[:, None]
