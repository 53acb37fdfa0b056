r"""A character-level language model: truncated BPTT with Adam, evaluation, sampling, checkpoints.

The model is the course's LSTM, n_x = n_y = the vocabulary size: at every step
it reads one character (one-hot) and predicts the next. A *run* is a plain
dict holding everything training changes (parameters, Adam's moments, the step,
the position in the text, the carried states a and c, the sampling generator,
the loss history) plus its configuration; :func:`save_checkpoint` writes all of
it with ``np.savez``, so a run resumed from a checkpoint continues exactly as an
uninterrupted one would.

The LSTM implementation is chosen in one place, :data:`DEFAULT_MODEL`; a run
records the one it was made with. numpy only (the command line, with its
progress bar, is :mod:`lstm_src.train`).

Defined in the chapter "Training on real text" (book/part4/training_on_text.ipynb).
"""
import hashlib
import importlib
import json
import os
import tempfile
import zipfile

import numpy as np

from .activations import softmax
from .loss import cross_entropy
from .text import batchify, build_vocab, encode, one_hot, split_train_val, window
from .training import adam_init, adam_step, clip_gradients

__all__ = [
    "DEFAULT_MODEL",
    "MODELS",
    "model_module",
    "new_run",
    "prepare_data",
    "train_step",
    "train",
    "evaluate",
    "perplexity",
    "check_sampling",
    "sample",
    "save_checkpoint",
    "load_checkpoint",
]

#: The LSTM implementations training can use; both have the same contract.
MODELS = ("lstm", "fast")

#: The implementation new runs use (``lstm_src.<name>``): the one place it is chosen.
DEFAULT_MODEL = "fast"

_CONFIG_KEYS = ("hidden", "seq_len", "batch", "lr", "clip", "seed", "val_fraction", "model")


def model_module(name):
    """The module ``lstm_src.<name>`` for ``name`` in :data:`MODELS`."""
    if name not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}; got {name!r}")
    return importlib.import_module(f"lstm_src.{name}")


def _fingerprint(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def new_run(text, hidden=128, seq_len=50, batch=32, lr=2e-3, clip=5.0, seed=0,
            val_fraction=0.1, model=DEFAULT_MODEL, text_name=None):
    """A fresh run on ``text``: the vocabulary, initial parameters, zero state, step 0.

    Parameters
    ----------
    text : str
        The whole corpus (training and validation parts).
    hidden : int
        n_a.
    seq_len, batch : int
        T_x and m of every training window.
    lr, clip : float
        Adam's learning rate and the largest global gradient norm.
    seed : int
        Seeds the initial parameters and the sampling generator.
    val_fraction : float
        Share of the text, at its end, kept for validation.
    model : str
        ``"lstm"`` or ``"fast"`` (see :data:`DEFAULT_MODEL`).
    text_name : str or None
        Where the text came from (a path; ``None`` for the stdlib corpus), kept
        in the configuration so a resumed run can read it again.

    Returns
    -------
    dict
        The run: ``config``, ``vocab``, ``params``, ``adam``, ``step``,
        ``window``, ``a``, ``c``, ``rng``, ``train_loss`` (per character, one per
        step), ``val_loss`` (list of (step, loss)).
    """
    model_module(model)
    config = dict(hidden=hidden, seq_len=seq_len, batch=batch, lr=float(lr), clip=float(clip),
                  seed=seed, val_fraction=float(val_fraction), model=model, text_name=text_name,
                  text_sha256=_fingerprint(text))
    vocab = build_vocab(text)
    prepare_data(text, {"config": config, "vocab": vocab})   # every size error now, not at step 1
    params = model_module(model).init_params(len(vocab), hidden, len(vocab), seed=seed)
    return {
        "config": config, "vocab": vocab, "params": params, "adam": adam_init(params),
        "step": 0, "window": 0, "a": np.zeros((hidden, batch)), "c": np.zeros((hidden, batch)),
        "rng": np.random.default_rng(seed), "train_loss": [], "val_loss": [],
    }


def prepare_data(text, run):
    """The training and validation windows of ``text`` for ``run`` (:func:`lstm_src.text.batchify`).

    Returns
    -------
    dict
        ``train``: (inputs, targets), each (n_windows, batch, seq_len);
        ``val``: the same for the validation part (at most ``batch`` rows, so
        a short validation text still gives a window), or ``None`` when
        ``val_fraction`` is 0.

    Raises
    ------
    ValueError
        If ``text`` is not the text the run was made with, or a part of it is
        shorter than one window.
    """
    cfg = run["config"]
    if _fingerprint(text) != cfg["text_sha256"]:
        raise ValueError("the text differs from the one this run was trained on (its SHA-256 "
                         "fingerprint changed): give the same file, on the same Python version "
                         "for the stdlib corpus")
    train_ids, val_ids = split_train_val(encode(text, run["vocab"]), cfg["val_fraction"])
    T = cfg["seq_len"]
    data = {"train": batchify(train_ids, cfg["batch"], T), "val": None}
    if cfg["val_fraction"] > 0:
        if len(val_ids) < T + 1:
            raise ValueError(f"the validation part must hold one window of seq_len + 1 = {T + 1} "
                             f"characters; got {len(val_ids)} (val_fraction "
                             f"{cfg['val_fraction']} of {len(text)}): give more text or a "
                             "larger val_fraction")
        data["val"] = batchify(val_ids, min(cfg["batch"], (len(val_ids) - 1) // T), T)
    return data


def train_step(run, data):
    """One step of truncated BPTT on the next window; updates ``run`` in place.

    Defined in: book/part4/training_on_text.ipynb

    The window starts from the state (a, c) the previous window ended with, so
    the model sees the text as one long sequence; but the gradient stops at the
    window's first step (``lstm_backward`` does not pass ``da0`` on), so each
    step back-propagates through ``seq_len`` steps only. After the last window
    the text starts again from zero state.

    Returns
    -------
    float
        The window's loss per character, J / T_x (J sums over time).
    """
    cfg, n = run["config"], len(run["vocab"])
    model = model_module(cfg["model"])
    inputs, targets = data["train"]
    x, y = window(inputs, targets, run["window"], n)
    a, y_hat, c, caches = model.lstm_forward(x, run["a"], run["params"], c0=run["c"])
    loss = float(cross_entropy(y_hat, y)) / cfg["seq_len"]
    grads = model.lstm_backward(y, caches)
    grads, _ = clip_gradients({"d" + k: grads["d" + k] for k in run["params"]}, cfg["clip"])
    run["params"], run["adam"] = adam_step(run["params"], grads, run["adam"], cfg["lr"])
    run["a"], run["c"] = a[:, :, -1].copy(), c[:, :, -1].copy()     # carried, as values only
    run["window"] += 1
    if run["window"] == len(inputs):                                  # end of the text
        run["window"] = 0
        run["a"], run["c"] = np.zeros_like(run["a"]), np.zeros_like(run["c"])
    run["step"] += 1
    run["train_loss"].append(loss)
    return loss


def evaluate(run, data, max_windows=None, carry_state=True):
    """Mean cross-entropy per character (nats) on the validation windows.

    The windows are read in order from zero state, carrying (a, c) from one
    to the next as in training; nothing in ``run`` changes.

    Parameters
    ----------
    max_windows : int or None
        Read at most this many windows (a cheaper estimate); all when ``None``.
    carry_state : bool
        ``False`` starts every window from zero state instead, as if the
        model had never seen the text before it.

    Returns
    -------
    float
        :math:`\\frac{1}{K}\\sum_k J_k / T_x` over the K windows read.
    """
    if data["val"] is None:
        raise ValueError("this run keeps no validation text (val_fraction = 0)")
    cfg, n = run["config"], len(run["vocab"])
    model = model_module(cfg["model"])
    inputs, targets = data["val"]
    K = len(inputs) if max_windows is None else max(1, min(len(inputs), max_windows))
    a = c = np.zeros((cfg["hidden"], inputs.shape[1]))
    total = 0.0
    for k in range(K):
        x, y = window(inputs, targets, k, n)
        a_all, y_hat, c_all, _ = model.lstm_forward(x, a, run["params"], c0=c)
        total += float(cross_entropy(y_hat, y)) / cfg["seq_len"]
        if carry_state:
            a, c = a_all[:, :, -1], c_all[:, :, -1]
    return total / K


def perplexity(loss_per_char):
    r"""Perplexity, :math:`e^{\text{loss}}`, of a mean cross-entropy per character in nats.

    A model that spreads its probability evenly over k characters has
    perplexity k; uniform guessing over the vocabulary gives its size.
    """
    return float(np.exp(loss_per_char))


def train(run, data, steps, eval_every=0, eval_windows=None, on_step=None):
    """Run ``steps`` steps of :func:`train_step`, evaluating every ``eval_every`` steps.

    Parameters
    ----------
    on_step : callable or None
        Called as ``on_step(run, loss)`` after every step (the command line
        draws its progress bar with it).

    Returns
    -------
    dict
        ``run``, updated.
    """
    for _ in range(steps):
        loss = train_step(run, data)
        if eval_every and run["step"] % eval_every == 0 and data["val"] is not None:
            run["val_loss"].append((run["step"], evaluate(run, data, eval_windows)))
        if on_step is not None:
            on_step(run, loss)
    return run


def check_sampling(vocab, n_chars, temperature, prime):
    """Raise ValueError unless :func:`sample` can take these options.

    ``n_chars`` an integer >= 0, ``temperature`` a finite number > 0,
    ``prime`` a non-empty str of characters in ``vocab``.
    """
    if isinstance(temperature, bool) or not isinstance(
            temperature, (int, float, np.floating)) \
            or not np.isfinite(temperature) or temperature <= 0:
        raise ValueError("temperature must be a finite number > 0; "
                         f"got {temperature!r}")
    if isinstance(n_chars, bool) or not isinstance(
            n_chars, (int, np.integer)) or n_chars < 0:
        raise ValueError(f"n_chars must be an integer >= 0; got {n_chars!r}")
    if not isinstance(prime, str) or not prime:
        raise ValueError("prime must be a non-empty str (at least one "
                         f"character to start from); got {prime!r}")
    unknown = sorted(set(prime) - set(vocab))
    if unknown:
        shown = ", ".join(repr(ch) for ch in unknown[:5])
        raise ValueError("prime must use only characters in the model's "
                         f"vocabulary of {len(vocab)}; got {len(unknown)} "
                         f"that are not: {shown}")


def sample(run, n_chars, temperature=1.0, prime="\n", rng=None):
    r"""Generate ``n_chars`` characters, one at a time, each drawn from the model's prediction.

    Defined in: book/part4/training_on_text.ipynb

    The ``prime`` text is fed first, from zero state; then each step draws a
    character from :math:`\mathrm{softmax}(z_y / \tau)`, with
    :math:`z_y = W_{ya}^\top a + b_y` the output layer's logits and
    :math:`\tau` the temperature, and feeds it back in. :math:`\tau = 1`
    samples the model's own distribution; smaller :math:`\tau` sharpens it
    (towards always taking the most likely character), larger flattens it.

    Parameters
    ----------
    run : dict
        A run (only ``params``, ``vocab`` and ``config["model"]`` are read).
    n_chars : int
        How many characters to generate, >= 0.
    temperature : float
        :math:`\tau > 0`.
    prime : str
        Text to start from, non-empty, every character in the vocabulary.
    rng : numpy.random.Generator or None
        The generator to draw with; ``run["rng"]`` when ``None`` (it advances).

    Returns
    -------
    str
        The generated characters (without the prime).
    """
    check_sampling(run["vocab"], n_chars, temperature, prime)
    vocab, p = run["vocab"], run["params"]
    model = model_module(run["config"]["model"])
    rng = run["rng"] if rng is None else rng
    n, n_a = len(vocab), p["W_ya"].shape[0]
    x = one_hot(encode(prime, vocab)[None, :], n)
    a_all, _, c_all, _ = model.lstm_forward(x, np.zeros((n_a, 1)), p, c0=np.zeros((n_a, 1)))
    a, c = a_all[:, :, -1], c_all[:, :, -1]
    out = []
    for _ in range(n_chars):
        probs = softmax((p["W_ya"].T @ a + p["b_y"])[:, 0] / temperature)
        cdf = np.cumsum(probs)
        i = min(int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right")), n - 1)
        out.append(vocab[i])
        a_all, _, c_all, _ = model.lstm_forward(one_hot([[i]], n), a, p, c0=c)
        a, c = a_all[:, :, -1], c_all[:, :, -1]
    return "".join(out)


# ------------------------------------------------------------------ checkpoints


def save_checkpoint(path, run):
    """Write everything of ``run`` to ``path`` with ``np.savez``, atomically (temp file, rename).

    The file holds the configuration and the vocabulary (as JSON and a string),
    ``params/<name>``, ``adam_m/<name>``, ``adam_v/<name>``, ``adam_t``,
    ``step``, ``window``, the carried ``a`` and ``c``, the sampling generator's
    state (JSON) and the loss history. No pickles: it loads with
    ``allow_pickle=False``.
    """
    arrays = {
        "config": np.array(json.dumps(run["config"])), "vocab": np.array(run["vocab"]),
        "adam_t": np.array(run["adam"]["t"]), "step": np.array(run["step"]),
        "window": np.array(run["window"]), "a": run["a"], "c": run["c"],
        "rng": np.array(json.dumps(run["rng"].bit_generator.state)),
        "train_loss": np.array(run["train_loss"], dtype=np.float64),
        "val_loss": np.array(run["val_loss"], dtype=np.float64).reshape(-1, 2),
    }
    for name in run["params"]:
        arrays["params/" + name] = run["params"][name]
        arrays["adam_m/" + name] = run["adam"]["m"][name]
        arrays["adam_v/" + name] = run["adam"]["v"][name]
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".npz.tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def load_checkpoint(path):
    """The run :func:`save_checkpoint` wrote to ``path``, ready to train or sample.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        If the file is not such a checkpoint.
    """
    if not os.path.isfile(path):
        what = "a directory" if os.path.isdir(path) else "no file"
        raise FileNotFoundError(f"expected a checkpoint (.npz) at {path!r}; "
                                f"found {what} there")
    not_ours = (f"{os.fspath(path)!r} is not a checkpoint written by "
                "save_checkpoint (python -m lstm_src.train)")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{not_ours}: it is not an .npz archive")
    try:
        with np.load(path, allow_pickle=False) as f:
            z = {k: f[k] for k in f.files}
    except Exception as exc:
        raise ValueError(f"{not_ours}: an archive numpy cannot read "
                         f"({type(exc).__name__})") from None
    missing = {"config", "vocab", "adam_t", "step", "window", "a", "c",
               "rng"} - z.keys()
    if missing:
        raise ValueError(f"{not_ours}; it lacks {', '.join(sorted(missing))}")
    try:
        return _run_from_arrays(z)
    except Exception as exc:
        raise ValueError(f"{not_ours}: its contents do not fit together "
                         f"({type(exc).__name__}: {exc})") from None


def _run_from_arrays(z):
    names = [k.split("/", 1)[1] for k in z if k.startswith("params/")]
    rng = np.random.default_rng()
    rng.bit_generator.state = json.loads(str(z["rng"]))
    return {
        "config": json.loads(str(z["config"])), "vocab": str(z["vocab"]),
        "params": {k: z["params/" + k] for k in names},
        "adam": {"m": {k: z["adam_m/" + k] for k in names},
                 "v": {k: z["adam_v/" + k] for k in names}, "t": int(z["adam_t"])},
        "step": int(z["step"]), "window": int(z["window"]), "a": z["a"], "c": z["c"],
        "rng": rng, "train_loss": z["train_loss"].tolist(),
        "val_loss": [(int(s), float(v)) for s, v in z["val_loss"]],
    }
