"""Calling a student's function safely.

:func:`_call` gives the function copies of its inputs, a time limit and, when
asked, strict floating-point rules, and turns a missing definition, an
exception, ``None``, a time-out or a changed input into feedback;
:func:`with_correct` lets a later question's function call the correct
versions of the student's earlier answers.
"""

import contextlib
import copy
import functools
import inspect
import re
import signal
import threading
import warnings

import numpy as np

from ._reports import _fail

#: Seconds one call of a student's function may take (an infinite loop costs its own question only).
CALL_TIMEOUT = 10.0

#: The question each student function answers, for messages ("q3: gates did not return ...").
QUESTION_OF = {}

#: The parameter names each prompt gives a student function, for messages about its inputs
#: when its own signature cannot be read (the grader's proxies).
PARAMETERS = {}


class _CallTimedOut(BaseException):
    """Raised by the alarm inside a student's function (a BaseException: ``except Exception`` in
    the student's code cannot swallow it)."""


def is_proxy(fn):
    """True for the grader's proxy callables (objects with a ``with_correct`` method): the student's
    function runs in another process, which enforces the time limit and the floating-point rules."""
    return callable(getattr(fn, "with_correct", None))


@contextlib.contextmanager
def _time_limit(seconds):
    """Raise :class:`_CallTimedOut` in the block after ``seconds``.

    Only in the main thread, on Unix, and when no other timer runs.

    Leaves an outer timer (e.g. a grader's own) alone; restores the previous SIGALRM handler.
    """
    usable = (
        seconds
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getitimer(signal.ITIMER_REAL)[0] == 0
    )
    if not usable:
        yield
        return

    def on_alarm(signum, frame):
        raise _CallTimedOut

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def with_correct(fn, correct):
    """``fn`` made to call the correct versions of the student's earlier answers.

    ``correct`` maps names in the student's namespace (e.g. ``"cell_forward"``) to correct
    functions (from :mod:`._correct`). For a plain function, each call of the result puts them
    into ``fn.__globals__`` for the duration of the call and restores what was there afterwards,
    even when the call fails; a proxy of the grader gets ``fn.with_correct(correct)``. So a slip
    in an earlier question costs points once, on that question, not again on every later one.
    """
    if not correct or fn is None or not callable(fn):
        return fn
    if is_proxy(fn):
        return fn.with_correct(dict(correct))
    namespace = getattr(fn, "__globals__", None)
    if not isinstance(namespace, dict):
        return fn
    absent = object()

    @functools.wraps(fn)
    def patched(*args, **kwargs):
        saved = {name: namespace.get(name, absent) for name in correct}
        namespace.update(correct)
        try:
            return fn(*args, **kwargs)
        finally:
            for name, value in saved.items():
                if value is absent:
                    namespace.pop(name, None)
                else:
                    namespace[name] = value

    return patched


def _copy(arg):
    """A deep copy of an argument (functions are passed as they are)."""
    if callable(arg):
        return arg
    try:
        return copy.deepcopy(arg)
    except Exception:  # noqa: BLE001  (anything that cannot be copied is passed as it is)
        return arg


def _changed(before, after):
    """Where ``after`` differs from ``before``, or None.

    "" for the whole thing, "['c']" for a key of a dict, "[0]" for an item of a list.
    """
    if isinstance(before, np.ndarray):
        same = (
            isinstance(after, np.ndarray)
            and after.shape == before.shape
            and np.array_equal(after, before, equal_nan=True)
        )
        return None if same else ""
    if isinstance(before, dict):
        if not isinstance(after, dict) or set(after) != set(before):
            return ""
        for key in before:
            where = _changed(before[key], after[key])
            if where is not None:
                return f"[{key!r}]{where}"
        return None
    if isinstance(before, (list, tuple)):
        if not isinstance(after, (list, tuple)) or len(after) != len(before):
            return ""
        for i, (b, a) in enumerate(zip(before, after)):
            where = _changed(b, a)
            if where is not None:
                return f"[{i}]{where}"
    return None


def _arg_names(fn, name, count):
    """The names of ``fn``'s first ``count`` parameters: its own, else the prompt's."""
    try:
        names = [
            p.name
            for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        names = []
    if len(names) < count:
        names = list(PARAMETERS.get(name, ()))
    return [names[i] if i < len(names) else f"argument {i + 1}" for i in range(count)]


def _call(fn, name, *args, strict=False, mutation_hint=None):
    """Call the student's function; a missing definition, an exception, None, a time-out or a
    changed input become feedback.

    The function gets copies of the arguments, so changing them in place cannot change the
    reference's inputs; a changed copy fails with a message naming the input (``mutation_hint``
    replaces the default advice). Each call may take :data:`CALL_TIMEOUT` seconds. With
    ``strict``, an overflow or division by zero inside it is an error too.
    """
    label = f"{QUESTION_OF[name]}: {name}" if name in QUESTION_OF else name
    if fn is None or not callable(fn):
        _fail(f"{name} is not defined: run the cell that defines it.")
    proxy = is_proxy(fn)
    copies = [_copy(a) for a in args]
    run = fn.strict if strict and proxy and callable(getattr(fn, "strict", None)) else fn
    try:
        with _time_limit(None if proxy else CALL_TIMEOUT), warnings.catch_warnings():
            warnings.simplefilter("error" if strict else "ignore", RuntimeWarning)
            errors = {"over": "raise", "invalid": "raise", "divide": "raise"} if strict else {}
            with np.errstate(**errors):
                out = run(*copies)
    except (_CallTimedOut, TimeoutError) as exc:
        limit = re.search(r"within ([0-9.]+) s", str(exc))  # a proxy's own limit, when it says
        seconds = limit.group(1) if limit else f"{CALL_TIMEOUT:g}"
        _fail(f"{label} did not return within {seconds} s (an infinite loop?)")
    except (FloatingPointError, RuntimeWarning) as exc:
        _fail(
            f"{name} overflowed ({exc}) for large inputs: keep every exponent <= 0 "
            "(exp(-|z|) for σ; subtract each column's maximum before exp for softmax)."
        )
    except Exception as exc:  # noqa: BLE001  (whatever the student's code raises is feedback)
        _fail(f"{name} raised {type(exc).__name__}: {exc}")
    after = getattr(fn, "last_args", None) if proxy else copies
    if after is not None:
        for arg_name, before, now in zip(_arg_names(fn, name, len(args)), args, after):
            where = _changed(before, now)
            if where is not None:
                hint = mutation_hint or (
                    f"`new = {arg_name}` does not copy, so an in-place *=, += or [...] = on it "
                    f"changes the caller's {arg_name}; use new = {arg_name} * ..., not in-place *="
                )
                _fail(f"{name} modified its input {arg_name}{where} ({hint})")
    if out is None:
        _fail(f"{name} returned None: finish the function (replace the ... with your code).")
    return out


def _unpack(out, name, names):
    """Check that ``out`` is a tuple of len(names) things."""
    if not isinstance(out, (tuple, list)) or len(out) != len(names):
        _fail(
            f"{name} should return {len(names)} values ({', '.join(names)}); "
            f"got {type(out).__name__}"
            + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else "")
        )
    return out
