"""pytest's set-up for the whole suite (tests/ and the notebooks in book/) on every core.

pyproject.toml runs the suite with pytest-xdist, ``-n auto --dist loadfile``: each test file
and each notebook runs whole on one worker (a notebook's cells share one kernel). The two
workers start some twenty-five nbval kernels between them; over TCP, two kernels started at
the same moment can be handed the same free port, and one of them then never answers. So
nbval's kernels use Unix sockets, in a folder of their worker's own.
"""
import itertools
import os
import tempfile

import nbval.kernel
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
