r"""Training helpers: gradient clipping, a tiny sequence task, a plain SGD step, Adam.

Defined in the chapters "Back-propagation through time in a vanilla RNN"
(:func:`clip_gradients`), "The whole sequence" (:func:`echo_task`,
:func:`sgd_step`) and "Training on real text" (:func:`adam_init`, :func:`adam_step`).
numpy only; every function checks its input and raises
ValueError saying what it expected and what it got.
"""
import numpy as np

from .validation import as_float_array

__all__ = ["global_norm", "clip_gradients", "echo_task", "sgd_step", "adam_init", "adam_step"]


def _check_grads(grads):
    if not isinstance(grads, dict) or not grads:
        got = "an empty dict" if isinstance(grads, dict) else type(grads).__name__
        raise ValueError(f"grads must be a non-empty dict of name -> array; got {got}")
    return {k: as_float_array(k, v) for k, v in grads.items()}


def global_norm(grads):
    r"""Euclidean norm of all the gradients together, as if flattened into one vector.

    .. math:: \|g\| = \sqrt{\textstyle\sum_{\text{name}} \sum_j g_{\text{name},j}^2}

    Parameters
    ----------
    grads : dict
        Name -> ndarray of any shape, e.g. what :func:`lstm_src.lstm.lstm_backward` returns.

    Returns
    -------
    float
    """
    grads = _check_grads(grads)
    return float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))


def clip_gradients(grads, max_norm):
    r"""Clip gradients by their global norm (Pascanu et al., 2013).

    If the global norm :math:`\|g\|` (:func:`global_norm`) exceeds
    ``max_norm``, every array is multiplied by the same factor
    :math:`\text{max\_norm}/\|g\|`; otherwise nothing changes. The direction of
    the whole gradient is kept; only its length is capped:

    .. math:: g \leftarrow g \cdot \min\!\left(1, \frac{\text{max\_norm}}{\|g\|}\right)

    Defined in: book/part3/rnn_bptt.ipynb

    Parameters
    ----------
    grads : dict
        Name -> ndarray. Not modified.
    max_norm : float
        The largest global norm allowed, > 0 and finite.

    Returns
    -------
    clipped : dict
        New arrays (copies), same names and shapes as ``grads``.
    norm : float
        The global norm *before* clipping.

    Raises
    ------
    ValueError
        If ``grads`` is not a non-empty dict of real arrays, if ``max_norm`` is
        not a positive finite number, or if a gradient holds inf or nan (its
        norm would be meaningless).
    """
    if (isinstance(max_norm, bool)
            or not isinstance(max_norm,
                              (int, float, np.integer, np.floating))
            or not np.isfinite(max_norm) or max_norm <= 0):
        raise ValueError("max_norm must be a positive finite number; "
                         f"got {max_norm!r}")
    grads = _check_grads(grads)
    for name, g in grads.items():
        if not np.all(np.isfinite(g)):
            raise ValueError(f"gradient {name} must be finite to be "
                             "clipped; got inf or nan in it")
    norm = global_norm(grads)
    scale = min(1.0, float(max_norm) / norm) if norm > 0 else 1.0
    return {name: g * scale for name, g in grads.items()}, norm


def echo_task(n_symbols, m, T_x, delay=1, seed=0):
    r"""A tiny sequence task that needs memory: repeat the symbol seen ``delay`` steps ago.

    Each example is a random sequence of symbols drawn uniformly from
    ``n_symbols``, fed one-hot. The label at step t is the input at step
    t - ``delay``; for the first ``delay`` steps, where there is nothing to
    repeat yet, it is symbol 0. A model without memory can do no better than
    chance (loss :math:`\log n_\text{symbols}` per step); a recurrent one can
    learn it exactly.

    Defined in: book/part3/whole_sequence.ipynb

    Parameters
    ----------
    n_symbols : int
        Number of symbols, >= 2; it is both n_x and n_y.
    m : int
        Number of examples, >= 1.
    T_x : int
        Number of steps, > ``delay``.
    delay : int
        How many steps back the label looks, >= 1.
    seed : int
        Seed of ``np.random.default_rng``; the same call gives the same data.

    Returns
    -------
    x : ndarray (n_symbols, m, T_x)
        One-hot inputs.
    y : ndarray (n_symbols, m, T_x)
        One-hot labels: ``y[:, :, t] == x[:, :, t - delay]`` for ``t >= delay``.
    """
    for name, v, low in (("n_symbols", n_symbols, 2), ("m", m, 1),
                         ("T_x", T_x, 1), ("delay", delay, 1)):
        if (isinstance(v, bool) or not isinstance(v, (int, np.integer))
                or v < low):
            raise ValueError(f"{name} must be an integer >= {low}; "
                             f"got {v!r}")
    if T_x <= delay:
        raise ValueError(f"T_x must be larger than delay = {delay}; "
                         f"got T_x = {T_x}")
    rng = np.random.default_rng(seed)
    symbols = rng.integers(0, n_symbols, size=(m, T_x))
    targets = np.zeros_like(symbols)
    targets[:, delay:] = symbols[:, :-delay]
    eye = np.eye(n_symbols)
    return eye[:, symbols], eye[:, targets]


def _check_learning_rate(learning_rate):
    real = (int, float, np.integer, np.floating)
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, real) \
            or not np.isfinite(learning_rate) or learning_rate <= 0:
        raise ValueError(f"learning_rate must be a positive finite number; got {learning_rate!r}")


def _param_grad_pairs(params, grads):
    """Yield (name, value, gradient) for every parameter, checking names and shapes."""
    if not isinstance(params, dict) or not isinstance(grads, dict):
        raise ValueError(f"params and grads must be dicts; got {type(params).__name__} "
                         f"and {type(grads).__name__}")
    for name, value in params.items():
        if "d" + name not in grads:
            raise ValueError(f"grads is missing d{name}; expected d + every name in params, "
                             f"got {', '.join(sorted(grads)) or 'none'}")
        value = as_float_array(name, value)
        g = as_float_array("d" + name, grads["d" + name])
        if g.shape != value.shape:
            raise ValueError(f"d{name} must have the shape of {name}, {value.shape}; got {g.shape}")
        yield name, value, g


def sgd_step(params, grads, learning_rate):
    r"""One step of plain gradient descent:
    :math:`\theta \leftarrow \theta - \eta\,\nabla_\theta J`.

    Defined in: book/part3/whole_sequence.ipynb

    Parameters
    ----------
    params : dict
        Name -> ndarray, e.g. from :func:`lstm_src.lstm.init_params`. Not modified.
    grads : dict
        Must hold ``"d" + name`` for every name in ``params``, of the same
        shape (as :func:`lstm_src.lstm.lstm_backward` returns); other keys
        (``dx``, ``da0``) are ignored.
    learning_rate : float
        :math:`\eta`, > 0 and finite.

    Returns
    -------
    dict
        New parameter arrays, same names and shapes.
    """
    _check_learning_rate(learning_rate)
    return {name: value - learning_rate * g
            for name, value, g in _param_grad_pairs(params, grads)}


def adam_init(params):
    """Adam's state before the first step: zero moments of every parameter's shape, t = 0.

    Parameters
    ----------
    params : dict
        Name -> ndarray.

    Returns
    -------
    dict
        ``{"m": {name: zeros}, "v": {name: zeros}, "t": 0}``.
    """
    if not isinstance(params, dict) or not params:
        raise ValueError(f"params must be a non-empty dict of name -> array; got {params!r:.60}")
    zeros = {name: np.zeros_like(as_float_array(name, v)) for name, v in params.items()}
    return {"m": zeros, "v": {name: z.copy() for name, z in zeros.items()}, "t": 0}


def adam_step(params, grads, state, learning_rate=2e-3, beta1=0.9,
              beta2=0.999, eps=1e-8):
    r"""One step of Adam (Kingma and Ba, 2015), for every parameter :math:`\theta` with gradient g.

    Defined in: book/part4/training_on_text.ipynb

    .. math::

        t &\leftarrow t + 1 \\
        m &\leftarrow \beta_1\, m + (1 - \beta_1)\, g
            &&\text{running mean of the gradient} \\
        v &\leftarrow \beta_2\, v + (1 - \beta_2)\, g \odot g
            &&\text{running mean of its square} \\
        \hat m &= m / (1 - \beta_1^t), \quad \hat v = v / (1 - \beta_2^t)
            &&\text{bias correction (m and v start at 0)} \\
        \theta &\leftarrow \theta - \eta\, \hat m / (\sqrt{\hat v} + \epsilon)

    Each entry gets its own step size: about :math:`\eta` while its gradient
    keeps its sign, less where the gradient is noisy.

    Parameters
    ----------
    params : dict
        Name -> ndarray. Not modified.
    grads : dict
        ``"d" + name`` for every name in ``params``, of the same shape; other
        keys (``dx``, ``da0``) are ignored.
    state : dict
        From :func:`adam_init` or the previous call. Not modified.
    learning_rate : float
        :math:`\eta`, > 0.
    beta1, beta2 : float
        Decay rates of the two moments, in [0, 1).
    eps : float
        Keeps the division finite where :math:`\hat v = 0`; > 0.

    Returns
    -------
    new_params : dict
    new_state : dict
        ``{"m", "v", "t"}`` after the step.
    """
    _check_learning_rate(learning_rate)
    for name, b in (("beta1", beta1), ("beta2", beta2)):
        if not 0 <= b < 1:
            raise ValueError(f"{name} must be in [0, 1); got {b!r}")
    if not eps > 0:
        raise ValueError(f"eps must be > 0; got {eps!r}")
    if not isinstance(state, dict) or not {"m", "v", "t"} <= state.keys():
        raise ValueError("state must be the dict adam_init or adam_step "
                         "returns, with m, v and t; "
                         f"got {type(state).__name__}")
    t = state["t"] + 1
    new_params, new_m, new_v = {}, {}, {}
    for name, theta, g in _param_grad_pairs(params, grads):
        m = beta1 * state["m"][name] + (1 - beta1) * g
        v = beta2 * state["v"][name] + (1 - beta2) * g * g
        m_hat = m / (1 - beta1 ** t)
        v_hat = v / (1 - beta2 ** t)
        step = learning_rate * m_hat / (np.sqrt(v_hat) + eps)
        new_params[name] = theta - step
        new_m[name], new_v[name] = m, v
    return new_params, {"m": new_m, "v": new_v, "t": t}
