r"""Text for a character model: the corpus, its vocabulary, and windows for truncated BPTT.

The default corpus is the Python standard library's own source, read from the
running interpreter's files (no download): the modules of :data:`STDLIB_MODULES`,
in that order. The list is fixed, so a run is reproducible on one Python
version; the stdlib's sources change between versions (3.10, 3.11, ...), so
the exact characters, and every number a run prints, depend on the version.
Any UTF-8 file can be used instead (:func:`read_text`).

Layout (the course's notation): a window of inputs is one-hot,
``x`` of shape (n_x, m, T_x) with n_x the vocabulary size, m the batch and
T_x the window length; its labels ``y`` are the same characters one step later.

Defined in the chapter "Training on real text" (book/part4/training_on_text.ipynb).
numpy only.
"""
import os
import re
import sysconfig
import textwrap

import numpy as np

__all__ = [
    "STDLIB_MODULES",
    "stdlib_corpus",
    "read_text",
    "build_vocab",
    "encode",
    "decode",
    "split_train_val",
    "batchify",
    "one_hot",
    "window",
    "for_display",
]

#: The standard-library modules of the default corpus, in the order they are
#: concatenated (paths relative to ``sysconfig.get_paths()["stdlib"]``). All are
#: pure Python and present in every CPython from 3.10 on. On CPython 3.11 they make
#: about 660,000 characters, all ASCII (96 distinct characters).
STDLIB_MODULES = (
    "textwrap.py", "string.py", "abc.py", "bisect.py", "colorsys.py", "copy.py", "fnmatch.py",
    "glob.py", "operator.py", "queue.py", "reprlib.py", "sched.py", "numbers.py", "types.py",
    "weakref.py", "contextlib.py", "random.py", "calendar.py", "csv.py", "pprint.py",
    "tokenize.py", "json/__init__.py", "json/decoder.py", "json/encoder.py", "dataclasses.py",
    "difflib.py", "enum.py", "argparse.py",
)


def read_text(path):
    """Read a whole UTF-8 text file, refusing what a character model cannot learn from.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    str

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path`` (or it is a directory).
    ValueError
        If the file is not valid UTF-8 (the message gives the byte offset), or is empty.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        what = "a directory" if os.path.isdir(path) else "nothing"
        raise FileNotFoundError(f"expected a UTF-8 text file at {path!r}; found {what} there")
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path!r} must be UTF-8 text; byte {exc.start} is {raw[exc.start]:#04x}, "
                         f"which is not valid UTF-8 ({exc.reason})") from None
    if not text:
        raise ValueError(f"{path!r} is empty; a character model needs some text to learn from")
    return text


def stdlib_corpus(modules=STDLIB_MODULES):
    """The default corpus: the source of the standard-library ``modules``, concatenated in order.

    Files are found under ``sysconfig.get_paths()["stdlib"]`` of the running
    interpreter and joined with one blank line between them.

    Parameters
    ----------
    modules : sequence of str
        Paths relative to the stdlib folder, e.g. ``"json/decoder.py"``.

    Returns
    -------
    str

    Raises
    ------
    FileNotFoundError
        If a module's file is missing (e.g. an interpreter installed without its sources).
    """
    root = sysconfig.get_paths()["stdlib"]
    return "\n\n".join(read_text(os.path.join(root, name)) for name in modules)


def build_vocab(text):
    """The characters of ``text``, sorted and without repeats: the model's classes.

    Returns
    -------
    str
        ``vocab[i]`` is the character of class i; n_x = n_y = ``len(vocab)``.
    """
    if not isinstance(text, str) or not text:
        got = "an empty string" if isinstance(text, str) else type(text).__name__
        raise ValueError(f"text must be a non-empty str; got {got}")
    return "".join(sorted(set(text)))


def encode(text, vocab):
    """Each character of ``text`` as its index in ``vocab``: an int64 array of length ``len(text)``.

    Raises
    ------
    ValueError
        If ``text`` holds a character that is not in ``vocab`` (the message names it).
    """
    index = {ch: i for i, ch in enumerate(vocab)}
    missing = set(text) - index.keys()
    if missing:
        shown = ", ".join(repr(ch) for ch in sorted(missing)[:5])
        raise ValueError(f"every character must be in the vocabulary of {len(vocab)} characters; "
                         f"got {len(missing)} that are not: {shown}")
    return np.fromiter((index[ch] for ch in text), dtype=np.int64, count=len(text))


def decode(ids, vocab):
    """The text that the indices ``ids`` (any sequence of ints) stand for in ``vocab``."""
    return "".join(vocab[int(i)] for i in np.ravel(ids))


def split_train_val(ids, val_fraction=0.1):
    """Split a text's indices into a training part (the start) and a validation part (the end).

    The split is by position, not at random: the validation text is a stretch
    the model never trains on, as later text would be.

    Parameters
    ----------
    ids : ndarray (N,)
    val_fraction : float
        In [0, 1): the share of the text kept for validation.

    Returns
    -------
    train, val : ndarray
        ``ids[:N - n_val]`` and ``ids[N - n_val:]`` with ``n_val = int(N * val_fraction)``.
    """
    if isinstance(val_fraction, bool) or not isinstance(val_fraction, (int, float, np.floating)) \
            or not 0 <= val_fraction < 1:
        raise ValueError(f"val_fraction must be a number in [0, 1); got {val_fraction!r}")
    n_val = int(len(ids) * val_fraction)
    return ids[:len(ids) - n_val], ids[len(ids) - n_val:]


def batchify(ids, batch, seq_len):
    r"""Lay a long text out as consecutive windows, each column continuing across windows.

    Defined in: book/part4/training_on_text.ipynb

    The text (minus its last character, which is only ever a label) is cut into
    ``batch`` equal rows, row j holding characters
    :math:`[jL, (j+1)L)` with :math:`L = \lfloor (N-1)/\text{batch} \rfloor`;
    window k takes columns :math:`[k\,T, (k+1)\,T)` of every row, with T = ``seq_len``.
    So example j of window k+1 starts exactly where example j of window k
    stopped, and the state (a, c) that window k ends with is the right state to
    start window k+1 from. Labels are the same layout shifted by one character.

    Parameters
    ----------
    ids : ndarray (N,) of int
        The encoded text.
    batch : int
        m, the number of rows (examples per window), >= 1.
    seq_len : int
        T_x, the window length, >= 1.

    Returns
    -------
    inputs, targets : ndarray (n_windows, batch, seq_len) of int
        ``targets[k, j, t]`` is the character after ``inputs[k, j, t]``;
        ``inputs[k + 1, j, 0]`` follows ``inputs[k, j, -1]`` in the text.
        ``n_windows = L // seq_len``; the few characters left over are not used.

    Raises
    ------
    ValueError
        If the text is shorter than one window, ``batch * seq_len + 1`` characters.
    """
    for name, v in (("batch", batch), ("seq_len", seq_len)):
        if (isinstance(v, bool) or not isinstance(v, (int, np.integer))
                or v < 1):
            raise ValueError(f"{name} must be a positive integer; "
                             f"got {v!r}")
    ids = np.asarray(ids)
    need = batch * seq_len + 1
    if ids.ndim != 1 or len(ids) < need:
        raise ValueError("the text must hold at least one training "
                         f"window, batch * seq_len + 1 = {batch} * "
                         f"{seq_len} + 1 = {need} characters; "
                         f"got {ids.size}")
    row_len = (len(ids) - 1) // batch
    n_windows = row_len // seq_len
    used = n_windows * seq_len
    rows_in = ids[:batch * row_len].reshape(batch, row_len)[:, :used]
    rows_out = ids[1:batch * row_len + 1].reshape(batch, row_len)
    rows_out = rows_out[:, :used]

    def windows(rows):
        shaped = rows.reshape(batch, n_windows, seq_len)
        return shaped.transpose(1, 0, 2).copy()

    return windows(rows_in), windows(rows_out)


def one_hot(ids, n, dtype=np.float64):
    """One-hot columns in the course's layout: ``ids`` (m, T_x) -> ndarray (n, m, T_x).

    ``out[i, j, t] = 1`` where ``ids[j, t] == i``, else 0.
    """
    ids = np.asarray(ids)
    out = np.zeros((n,) + ids.shape, dtype)
    np.put_along_axis(out, ids[None], 1, axis=0)
    return out


def window(inputs, targets, k, n, dtype=np.float64):
    """Window ``k`` of :func:`batchify`'s output as one-hot ``(x, y)``, each (n, m, T_x)."""
    return one_hot(inputs[k], n, dtype), one_hot(targets[k], n, dtype)


def for_display(text, width=72, max_run=8):
    """Generated text made readable on a page of ``width`` columns.

    Leading blank lines are dropped, a run of more than ``max_run`` spaces
    is written ``[N spaces]`` (a model sampled at a low temperature can
    emit hundreds), and lines longer than ``width`` are
    wrapped, their continuations indented by four spaces (and without the
    spaces at their ends). Every other character is shown as generated.

    Parameters
    ----------
    text : str
    width : int
        Columns of the page (>= 20).
    max_run : int
        Longest run of spaces shown as it is (>= 1).

    Returns
    -------
    str
    """
    if not isinstance(text, str):
        raise ValueError(f"text must be a str; got {type(text).__name__}")
    for name, v, low in (("width", width, 20), ("max_run", max_run, 1)):
        if (isinstance(v, bool) or not isinstance(v, (int, np.integer))
                or v < low):
            raise ValueError(f"{name} must be an integer >= {low}; "
                             f"got {v!r}")
    def run(m):
        at_start = m.start() == 0 or m.string[m.start() - 1] == "\n"
        return ("" if at_start else " ") + f"[{len(m.group(0))} spaces] "

    text = re.sub(r" {%d,}" % (max_run + 1), run, text.lstrip("\n"))
    lines = []
    for line in text.split("\n"):
        lines += textwrap.wrap(line, width, subsequent_indent="    ",
                               break_on_hyphens=False, expand_tabs=False,
                               replace_whitespace=False) or [""]
    return "\n".join(lines)
