"""Timings that hold on a busy machine: side by side, best of many repeats.

A time measured once says as much about what else the machine was doing as
about the code. Two rules make a printed speed-up trustworthy:

- **The minimum of repeated runs** (as the documentation of Python's
  ``timeit`` advises): other work can only make a run slower, never faster,
  so the fastest run is the one least disturbed; a mean or a median moves
  with the load.
- **Side by side**: the functions compared take turns, round after round, so
  a busy moment falls on all of them alike, and their ratio is taken from
  the same rounds.

And one choice of clock: the processor time of the timing thread
(``time.thread_time``), which counts the work done, the operating system's
included (a page fault is), and not the time spent waiting while another
program holds the core. On an idle machine the two clocks agree for
one-threaded work.

:func:`compare` does both; :func:`machine` says where the numbers were
measured. Used by the chapter *Making it fast*. The matrix library runs on
one thread while :func:`compare` times (with ``threadpoolctl``, when it is
installed): a second thread waiting for a core that another program holds
can make a product many times slower, and the comparison is about the code,
not about how the cores are shared.
"""
import contextlib
import os
import platform
import time

import numpy as np

__all__ = ["blas_threads", "compare", "machine"]


def _block(f, number, clock):
    t0 = clock()
    for _ in range(number):
        f()
    return clock() - t0


def blas_threads(n):
    """Limit the matrix library to n threads inside the block, if we can."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=n, user_api="blas")


def compare(funcs, repeats=15, block=2e-3, threads=1, clock=time.thread_time):
    """Best time per call of each function, timed in turns.

    Each function is called once first (to warm up, and to choose how many
    calls make a block of about ``block`` seconds). Then, ``repeats`` times
    over, every function runs one block, in an order that rotates from round
    to round. A function's time is its fastest block divided by the calls in
    it.

    Parameters
    ----------
    funcs : dict
        name -> function of no arguments, at least one.
    repeats : int
        Rounds of blocks (>= 1).
    block : float
        Seconds a timed block should last (> 0); short blocks are the ones a
        busy machine leaves alone.
    threads : int or None
        Threads the matrix library (BLAS) may use while timing; ``None``
        leaves it as it is. Needs ``threadpoolctl``; without it, as ``None``.
    clock : function
        The clock read before and after each block: processor time of this
        thread by default, ``time.perf_counter`` for wall-clock time (use it
        when the library computes on other threads).

    Returns
    -------
    dict
        name -> seconds per call, in the order of ``funcs``.

    Raises
    ------
    ValueError
        If ``funcs`` is empty or not a dict of callables, or ``repeats`` or
        ``block`` is not positive.
    """
    if not isinstance(funcs, dict) or not funcs:
        raise ValueError("funcs must be a non-empty dict name -> function; "
                         f"got {type(funcs).__name__} {funcs!r:.60}")
    for name, f in funcs.items():
        if not callable(f):
            raise ValueError(f"funcs[{name!r}] must be a function; "
                             f"got {type(f).__name__}")
    if isinstance(repeats, bool) or not isinstance(repeats, int) \
            or repeats < 1:
        raise ValueError(f"repeats must be an integer >= 1; got {repeats!r}")
    if not block > 0:
        raise ValueError(f"block must be a number of seconds > 0; "
                         f"got {block!r}")
    names = list(funcs)
    number = {}
    best = dict.fromkeys(names, float("inf"))
    with blas_threads(threads) if threads else contextlib.nullcontext():
        for name in names:
            first = _block(funcs[name], 1, clock)
            number[name] = max(1, int(block / max(first, 1e-9)))
        for r in range(repeats):
            k = r % len(names)
            for name in names[k:] + names[:k]:
                t = _block(funcs[name], number[name], clock) / number[name]
                best[name] = min(best[name], t)
    return best


def _cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine():
    """One line naming the machine a timing was taken on.

    Returns
    -------
    str
        Processor, cores this process may use, operating system, Python and
        numpy versions, e.g. ``"AMD EPYC 7B13, 2 cores, Linux, Python
        3.11.2, numpy 2.4.6"``.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count()
    return (f"{_cpu_name()}, {cores} cores, {platform.system()}, "
            f"Python {platform.python_version()}, numpy {np.__version__}")
