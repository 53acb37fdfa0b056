"""The student side of grading: runs INSIDE the sandbox, untrusted by design.

Started by :mod:`grading.checker` as ``python -I student.py`` under bubblewrap,
with file descriptor 3 (commands in) and 4 (answers out). It executes the
notebook's code cells once (``import otter`` gives a do-nothing stand-in, so
``grader.check`` and any patch of otter do nothing), reports what it saw, then
forks one child per question; the child serves the checker's calls of the
student's functions until told to stop. Nothing here decides a score: the
checker treats every answer from this process as data (see wire.py), and what
this process reports about patches and file access are advisory flags.
"""

import builtins
import contextlib
import os
import signal
import sys
import types
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wire  # noqa: E402

IN, OUT = 3, 4
FLAGS = []
SNAPSHOT = {}
SCRATCH = os.environ.get("GRADING_SCRATCH", "/tmp")
PREFIXES = tuple({os.path.realpath(p).lower() + os.sep for p in (sys.prefix, sys.base_prefix)})
#: Folders a write must never reach even when they lie below SCRATCH's name (a project checked
#: out under /tmp): the Python installation and, once imported, lstm_src's own folder.
PROTECTED = list(PREFIXES)
WATCHED = ("numpy", "numpy.testing", "numpy.linalg", "builtins", "math")


def flag(text):
    if text not in FLAGS and len(FLAGS) < 50:
        FLAGS.append(text)


# ---------------------------------------------------------------- otter stand-in


class _Anything:
    """Accepts any attribute, call or assignment; assignments are flagged as patches of otter."""

    def __init__(self, path):
        object.__setattr__(self, "_path", path)

    def __getattr__(self, name):
        return _Anything(f"{self._path}.{name}")

    def __setattr__(self, name, value):
        flag(f"patched {self._path}.{name}")

    def __call__(self, *args, **kwargs):
        return _Anything(f"{self._path}()")

    def __iter__(self):
        return iter(())

    def __bool__(self):
        return False

    def __repr__(self):
        return "<otter is not used while grading>"


class _OtterModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Anything(f"{self.__name__}.{name}")

    def __setattr__(self, name, value):
        if not name.startswith("__"):
            flag(f"patched {self.__name__}.{name}")
        super().__setattr__(name, value)


#: Automatic (and symbolic) differentiation libraries: their folders are hidden in the sandbox
#: (an empty tmpfs over each); this finder says why an import fails and records the attempt.
AUTODIFF = ("torch", "functorch", "jax", "jaxlib", "autograd", "tensorflow", "sympy")


class _AutodiffFinder:
    """``import torch`` (jax, autograd, tensorflow, sympy ...) fails with the rule's name."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        top = name.partition(".")[0]
        if top in AUTODIFF:
            flag(f"tried to import {top} (rule 'derive': no automatic differentiation)")
            raise ImportError(
                f"{top} is not available while grading: rule 'derive': backward passes are "
                "derived by hand, not by automatic or numerical differentiation"
            )
        return None


class _OtterFinder:
    """Makes ``import otter`` and ``import otter.anything`` give stand-ins."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name == "otter" or name.startswith("otter."):
            import importlib.machinery

            return importlib.machinery.ModuleSpec(name, _OtterFinder, is_package=True)
        return None

    @staticmethod
    def create_module(spec):
        mod = _OtterModule(spec.name)
        mod.__path__ = []
        return mod

    @staticmethod
    def exec_module(module):
        pass


# ---------------------------------------------------------------- what the notebook did


def _snapshot():
    snap = {}
    for name, mod in list(sys.modules.items()):
        if mod is not None and (
            name in WATCHED or name == "lstm_src" or name.startswith("lstm_src.")
        ):
            snap[name] = {k: id(v) for k, v in vars(mod).items()}
    return snap


def _patches(before):
    for name, attrs in before.items():
        mod = sys.modules.get(name)
        if mod is None:
            continue
        changed = [
            k
            for k, v in list(vars(mod).items())
            if not (k.startswith("__") and k.endswith("__") or isinstance(v, types.ModuleType))
            and attrs.get(k) != id(v)
        ]
        if len(changed) > 5:  # many names at once (a loop of setattr, importlib.reload)
            flag(f"patched {name}: {', '.join(changed[:4])} and {len(changed) - 4} more")
        else:
            for k in changed:
                flag(f"patched {name}.{k}")
        for k in attrs:
            if k not in vars(mod):
                flag(f"deleted {name}.{k}")


def _is_write(mode):
    return isinstance(mode, str) and any(c in mode for c in "wax+")


def _suspicious(path):
    p = str(path).lower()
    if p.startswith(PREFIXES):  # the Python installation's own files (numpy's tests, ...)
        return False
    return any(
        w in p for w in ("autograder", "masters", "/tests", "hidden", "grades")
    ) or p.endswith(".zip")


def _in_scratch(path):
    """True for a path in the throw-away scratch space and not in a protected folder."""
    real = os.path.realpath(os.path.abspath(path))
    scratch = os.path.realpath(SCRATCH).rstrip(os.sep)
    if real != scratch and not real.startswith(scratch + os.sep):
        return False
    return not (real.lower() + os.sep).startswith(tuple(PROTECTED))


def _audit(event, args):
    try:
        if event == "open" and args:
            path, mode = args[0], args[1] if len(args) > 1 else "r"
            if isinstance(path, int):
                return
            path = os.fsdecode(path)
            if _is_write(mode) or (
                isinstance(args[2] if len(args) > 2 else 0, int)
                and (args[2] if len(args) > 2 else 0) & (os.O_WRONLY | os.O_RDWR)
            ):
                if not _in_scratch(path):
                    flag(f"tried to write to {path}")
            elif _suspicious(path):
                flag(f"tried to read {path}")
        elif event in (
            "os.remove",
            "os.rename",
            "os.rmdir",
            "os.mkdir",
            "os.chmod",
            "os.truncate",
            "shutil.rmtree",
            "shutil.copyfile",
            "shutil.move",
        ):
            path = os.fsdecode(args[0]) if args and isinstance(args[0], (str, bytes)) else "?"
            if not _in_scratch(path):
                flag(f"tried to change {path} ({event})")
        elif event in ("os.listdir", "os.scandir", "glob.glob") and args:
            if _suspicious(os.fsdecode(args[0]) if isinstance(args[0], (str, bytes)) else ""):
                flag(f"looked for files in {args[0]}")
        elif event in ("socket.connect", "subprocess.Popen", "os.system", "os.exec"):
            flag(f"tried {event}")
    except Exception:  # noqa: BLE001 - an audit hook must never raise into the student's code
        pass


# ---------------------------------------------------------------- running the cells


def _clean(source):
    """IPython syntax that plain Python does not know: magics and shell escapes become pass."""
    out = []
    for line in source.splitlines():
        s = line.lstrip()
        out.append(line[: len(line) - len(s)] + "pass" if s.startswith(("%", "!")) else line)
    return "\n".join(out)


class CellTimeout(BaseException):
    pass


def _on_alarm(signum, frame):
    raise CellTimeout()


def run_cells(cells, ns, cell_timeout, skip=()):
    errors = []
    signal.signal(signal.SIGALRM, _on_alarm)
    for i, src in enumerate(cells):
        if i + 1 in skip:  # stopped from outside on an earlier run: its time is spent
            continue
        _send({"op": "cell", "i": i + 1})  # the checker times each cell from outside
        try:
            code = compile(_clean(src), f"<cell {i + 1}>", "exec")
        except SyntaxError as exc:
            errors.append(
                {"cell": i + 1, "type": "SyntaxError", "message": f"{exc.msg} (line {exc.lineno})"}
            )
            continue
        try:
            signal.setitimer(signal.ITIMER_REAL, cell_timeout)
            exec(code, ns)
        except CellTimeout:
            errors.append(
                {
                    "cell": i + 1,
                    "type": "Timeout",
                    "message": f"the cell ran longer than {cell_timeout:g} s and was stopped",
                }
            )
        except BaseException as exc:  # noqa: BLE001 - SystemExit in a cell too
            errors.append({"cell": i + 1, "type": type(exc).__name__, "message": str(exc)[:300]})
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    return errors


# ---------------------------------------------------------------- serving calls


def _send(header, value=None, callbacks=None):
    tree, blobs = wire.encode(value, callbacks)
    wire.write_frame(OUT, dict(header, value=tree), blobs)


def _callback_stub(token, label):
    def call_back(*args, **kwargs):
        _send({"op": "callback", "id": token}, (list(args), kwargs))
        header, blobs = wire.read_frame(IN)
        if header.get("op") == "result":
            return wire.decode(header["value"], blobs)
        exc_type = getattr(builtins, str(header.get("type")), None)
        if not (isinstance(exc_type, type) and issubclass(exc_type, Exception)):
            exc_type = RuntimeError
        raise exc_type(header.get("message", "error in the grader's function"))

    call_back.__name__ = call_back.__qualname__ = label
    return call_back


def _argument(i, ref):
    """A function argument: this process's own lstm_src function when the checker says it is
    one that is real here (saves a round trip per call), else a call back to the checker."""
    if ref and ref.startswith("lstm_src."):
        import importlib

        module, _, name = ref.rpartition(".")
        try:
            return getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            pass
    return _callback_stub(i, f"arg{i}")


def _timeout(signum, frame):
    _send({"op": "timeout"})
    os._exit(0)


_STRICT_DODGES = []


def _dodge(name):
    def refuse(*args, **kwargs):
        _STRICT_DODGES.append(name)
        raise RuntimeWarning(
            f"{name} called during the overflow check: floating-point checks cannot be "
            "switched off inside an answer"
        )

    return refuse


@contextlib.contextmanager
def _strict(on):
    """Overflow, invalid operations and division by zero raise inside the block, when ``on``;
    the answer cannot switch that off: np.errstate, np.seterr and warnings filters raise."""
    if not on:
        yield
        return
    import numpy as np

    swaps = [
        (np, "errstate"),
        (np, "seterr"),
        (np, "seterrcall"),
        (warnings, "filterwarnings"),
        (warnings, "simplefilter"),
    ]
    saved = [(mod, n, getattr(mod, n)) for mod, n in swaps]
    del _STRICT_DODGES[:]
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error", RuntimeWarning)
        for mod, n, _ in saved:
            setattr(mod, n, _dodge(f"{mod.__name__}.{n}"))
        try:
            yield
        finally:
            for mod, n, fn in saved:
                setattr(mod, n, fn)


def serve(ns, q):
    """One question's child: answer the checker's calls until it says stop."""
    from lstm_src import _tripwire

    signal.signal(signal.SIGALRM, _timeout)
    _send({"op": "forked", "q": q})
    while True:
        header, blobs = wire.read_frame(IN)
        if header.get("op") != "call":
            os._exit(0)
        name, limit = header["name"], float(header["limit"])
        args, kwargs = wire.decode(header["value"], blobs, _argument)
        fn = ns.get(name)
        g = getattr(fn, "__globals__", ns)
        injected = {n: _callback_stub(i, n) for n, i in header.get("inject", {}).items()}
        saved = {n: g[n] for n in injected if n in g}
        del _tripwire.HITS[:]
        try:
            g.update(injected)
            signal.setitimer(signal.ITIMER_REAL, limit)
            try:
                with _strict(header.get("strict") is True):
                    out = fn(*args, **kwargs)
                if _STRICT_DODGES:
                    raise RuntimeWarning(
                        f"{_STRICT_DODGES[0]} called during the overflow check: "
                        "floating-point checks cannot be switched off inside an answer"
                    )
                reply = {"op": "return"}
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        except BaseException as exc:  # noqa: BLE001 - SystemExit from an answer too
            out, reply = (
                None,
                {"op": "raise", "type": type(exc).__name__, "message": str(exc)[:500]},
            )
        finally:
            for n in injected:
                if n in saved:
                    g[n] = saved[n]
                else:
                    g.pop(n, None)
        _patches(SNAPSHOT)
        reply.update(hits=list(dict.fromkeys(map(str, _tripwire.HITS)))[:10], flags=FLAGS[:50])
        _send(reply, (out, list(args)))


def _limit_processes(n):
    """RLIMIT_NPROC inside the sandbox's user namespace counts this sandbox's processes and
    threads only (Linux >= 5.14), so a fork bomb stops at ``n`` without touching its
    neighbours (the cgroup's pids.max does the same from outside, where it can be made)."""
    import resource

    if isinstance(n, int) and n > 0:
        try:
            resource.setrlimit(resource.RLIMIT_NPROC, (n, n))
        except (ValueError, OSError):
            pass


def main():
    sys.dont_write_bytecode = True  # no __pycache__ writes of our own to flag
    if os.environ.get("GRADING_PATH"):  # without the sandbox: the grading build comes first
        sys.path.insert(0, os.environ["GRADING_PATH"])
    scratch = SCRATCH
    os.makedirs(scratch, exist_ok=True)
    os.chdir(scratch)
    import lstm_src._tripwire  # noqa: F401
    import numpy  # noqa: F401
    import numpy.testing  # noqa: F401

    import lstm_src

    PROTECTED.append(os.path.realpath(os.path.dirname(lstm_src.__file__)).lower() + os.sep)
    sys.meta_path.insert(0, _OtterFinder)
    sys.meta_path.insert(0, _AutodiffFinder)
    header, _ = wire.read_frame(IN, max_bytes=1 << 31, max_header=1 << 31)  # the checker's
    cells, cell_timeout = header["cells"], float(header["cell_timeout"])
    _limit_processes(header.get("processes"))
    SNAPSHOT.update(_snapshot())
    sys.addaudithook(_audit)
    ns = {"__name__": "__main__", "__builtins__": builtins}
    errors = run_cells(cells, ns, cell_timeout, set(header.get("skip", [])))
    _patches(SNAPSHOT)
    names = {
        str(k)[:100]: ("function" if callable(v) else type(v).__name__[:40])
        for k, v in list(ns.items())[:5000]
        if not str(k).startswith("__")
    }
    hits = list(dict.fromkeys(lstm_src._tripwire.HITS))[:10]
    _send({"op": "ready", "errors": errors, "names": names, "flags": FLAGS, "hits": hits})
    while True:
        header, _ = wire.read_frame(IN)
        if header.get("op") != "fork":
            os._exit(0)
        pid = os.fork()
        if pid == 0:
            try:
                serve(ns, header["q"])
            finally:
                os._exit(0)
        _, status = os.waitpid(pid, 0)
        _send({"op": "child_exit", "status": status})


if __name__ == "__main__":
    main()
