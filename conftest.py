"""pytest's set-up for the whole suite (tests/ and the notebooks in book/) on every core.

pyproject.toml runs the suite with pytest-xdist, ``-n auto --dist loadfile``: each test file
and each notebook runs whole on one worker (a notebook's cells share one kernel). Two
workers must not start Jupyter kernels over TCP at the same moment, or both can be handed
the same free port and one kernel never answers; so nbval's kernels use Unix sockets in a
folder of their worker's own, and the tests whose subprocesses start kernels over TCP take
turns, across workers, through a lock file.
"""
import fcntl
import itertools
import os
import tempfile

import nbval.kernel
import pytest
from jupyter_client.manager import KernelManager

_IPC_DIR = tempfile.TemporaryDirectory(prefix="nbval-kernels-")
_IPC_COUNT = itertools.count()


class _KernelManagerOverIPC(KernelManager):
    """The KernelManager nbval starts its kernels with, its sockets in _IPC_DIR."""

    def __init__(self, **kwargs):
        kwargs.setdefault("transport", "ipc")
        kwargs.setdefault("ip", os.path.join(_IPC_DIR.name, f"kernel{next(_IPC_COUNT)}"))
        super().__init__(**kwargs)


nbval.kernel.KernelManager = _KernelManagerOverIPC

#: Test files whose subprocesses start Jupyter kernels over TCP: a chapter run by nbclient
#: (test_colab.py) and grade.py --no-sandbox (test_grading.py; the sandboxed grader's kernels
#: have a network of their own).
SUBPROCESS_KERNELS = {"test_colab.py", "test_grading.py"}
_LOCK = os.path.join(tempfile.gettempdir(), "lstm-course-subprocess-kernels.lock")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Set-up, test and tear-down of a SUBPROCESS_KERNELS test hold the lock across workers."""
    if item.path.name not in SUBPROCESS_KERNELS:
        return (yield)
    with open(_LOCK, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        return (yield)
