"""The checker side of grading: pristine, runs the autograder's tests against a sandboxed notebook.

One submission is graded by two processes. The STUDENT process
(:mod:`grading.student`) runs the notebook's cells inside bubblewrap: the
whole file system read-only and mostly absent (no project folder, no
autograder, no other submission), a fresh tmpfs as its only writable space,
no network, and the grading build of lstm_src (:mod:`grading.sandbox_build`)
mounted where the real one is installed. The CHECKER (this module, in
grade.py's own worker) loads the assignment's otter test files from the
autograder zip and runs them with :class:`StudentFunction` proxies in place of
the student's functions; the checks in lstm_src.feedback run here, on data,
untouched by anything the notebook did. A proxy call sends the arguments over
a pipe (wire.py: JSON and ``.npy`` only) to a child of the student process
forked for the question, with a time limit, and decodes the result.
"""

import builtins
import keyword
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile

from . import policy, sandbox_build, wire

HERE = pathlib.Path(__file__).resolve().parent
GRACE = 2.0  # seconds the checker waits beyond a limit the sandbox should enforce itself
MEMORY_LIMIT = 4 << 30  # bytes of address space for the student process


class ReferenceCalled(Exception):
    """The student's function called a forbidden lstm_src function."""


class SandboxError(Exception):
    """The student process stopped answering, crashed or broke the protocol."""


def sanitize(text, limit=500):
    """Printable text of at most ``limit`` characters (student text is never trusted raw)."""
    text = re.sub(r"[^\S\n]+", " ", re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", str(text)))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _exception_class(name):
    """An exception class carrying the student's exception's name (builtin if it is one)."""
    exc = getattr(builtins, name, None)
    if isinstance(exc, type) and issubclass(exc, Exception):
        return exc
    name = name if name.isidentifier() and not keyword.iskeyword(name) else "Exception"
    return type(name[:40], (Exception,), {})


def has_bwrap():
    """Whether bubblewrap can make a sandbox on this machine."""
    if not shutil.which("bwrap"):
        return False
    try:
        proc = subprocess.run(
            ["bwrap", "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "true"],
            capture_output=True,
            timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


# ------------------------------------------------------------------ what a run needs once


class Setup:
    """Everything grade.py prepares once: the runner files and one lstm_src build per assignment."""

    def __init__(self, work_dir, sandbox=True):
        import lstm_src

        self.work = pathlib.Path(work_dir)
        self.package = pathlib.Path(lstm_src.__file__).resolve().parent
        self.runner = self.work / "runner"
        self.runner.mkdir(parents=True, exist_ok=True)
        for name in ("student.py", "wire.py"):
            shutil.copy(HERE / name, self.runner / name)
        self.builds, self.stubbed = {}, {}
        self.sandbox = sandbox

    def build(self, stem):
        """The grading build folder of lstm_src for assignment ``stem`` (made on first use)."""
        if stem not in self.builds:
            out, stubbed = sandbox_build.make_build(
                self.package, self.work / "builds" / stem, policy.forbidden(stem)
            )
            self.builds[stem], self.stubbed[stem] = out, set(stubbed)
        return self.builds[stem]

    def local_name(self, stem):
        """fn -> its lstm_src name when the grading build of ``stem`` has it real, else None."""
        stubbed = self.stubbed.get(stem, set())

        def local(fn):
            module, name = getattr(fn, "__module__", None), getattr(fn, "__qualname__", "")
            if not isinstance(module, str) or not module.startswith("lstm_src.") or "<" in name:
                return None
            ref = f"{module}.{name}"
            import importlib

            try:
                if getattr(importlib.import_module(module), name, None) is not fn:
                    return None
            except ImportError:
                return None
            return None if ref in stubbed or module.startswith("lstm_src.feedback") else ref

        return local


def _bwrap_command(setup, stem):
    """The bubblewrap command line of a student process for assignment ``stem``."""
    cmd = [
        "bwrap",
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--size",
        str(256 << 20),
        "--tmpfs",
        "/tmp",
    ]
    for top in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            cmd += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            cmd += ["--ro-bind", top, top]
    roots = {os.path.realpath(p) for p in (sys.base_prefix, sys.prefix, sys.exec_prefix)}
    project = str(setup.package.parent)
    for (
        entry
    ) in sys.path:  # site-packages outside the prefixes (e.g. --user installs), nothing else
        real = os.path.realpath(entry) if entry else ""
        if os.path.isdir(real) and ("site-packages" in real or "dist-packages" in real):
            roots.add(real)
    for r in sorted(roots):
        inside = r == project or r.startswith(project + os.sep) or project.startswith(r + os.sep)
        if (
            inside
            and "site-packages" not in r
            and "dist-packages" not in r
            and r not in (os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix))
        ):
            continue  # never the project folder: it holds the masters and the autograder zips
        if not r.startswith(("/usr", "/bin", "/lib")) and os.path.isdir(r):
            cmd += ["--ro-bind", r, r]
        if project.startswith(r + os.sep):  # a bound folder holds the project: hide the project
            cmd += ["--tmpfs", project]
    exe = os.path.realpath(sys.executable)
    cmd += [
        "--ro-bind",
        str(setup.build(stem)),
        str(setup.package),  # the build hides the real one
        "--ro-bind",
        str(setup.runner),
        "/grading",
        "--chdir",
        "/tmp",
        "--clearenv",
        "--setenv",
        "HOME",
        "/tmp",
        "--setenv",
        "GRADING_SCRATCH",
        "/tmp",
        "--setenv",
        "OPENBLAS_NUM_THREADS",
        "1",
        "--setenv",
        "OMP_NUM_THREADS",
        "1",
        "--setenv",
        "MKL_NUM_THREADS",
        "1",
        "--setenv",
        "PATH",
        "/usr/bin:/bin",
    ]
    return cmd + [
        sys.executable if os.path.exists(sys.executable) else exe,
        "-I",
        "/grading/student.py",
    ]


def _plain_command(setup, stem, scratch):
    """Without bubblewrap (``--no-sandbox``, or testing the tests): a plain subprocess."""
    return [sys.executable, "-I", str(setup.runner / "student.py")], {
        "GRADING_SCRATCH": scratch,
        "GRADING_PATH": str(setup.build(stem).parent),
        "HOME": scratch,
        "OPENBLAS_NUM_THREADS": "1",
        "PATH": "/usr/bin:/bin",
    }


# ------------------------------------------------------------------ one student process


class Sandbox:
    """A running student process: cells executed, ready to fork a child per question."""

    def __init__(self, setup, stem, cells, cell_timeout, deadline):
        self.flags, self.dead, self.child = [], None, False
        r_in, self.w_in = os.pipe()  # checker -> student (fd 3 there)
        self.r_out, w_out = os.pipe()  # student -> checker (fd 4 there)
        self.scratch = None

        def wire_fds():
            import resource

            limit = MEMORY_LIMIT
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))  # a memory bomb fails alone
            os.dup2(r_in, 3)
            os.dup2(w_out, 4)
            for fd in (3, 4):
                os.set_inheritable(fd, True)

        if setup.sandbox:
            cmd, env = _bwrap_command(setup, stem), None
        else:
            self.scratch = tempfile.mkdtemp(prefix="student-")
            cmd, env = _plain_command(setup, stem, self.scratch)
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=wire_fds,
            pass_fds=(3, 4),
            env=env,
            start_new_session=True,
        )
        os.close(r_in)
        os.close(w_out)
        wire.write_frame(self.w_in, {"cells": cells, "cell_timeout": cell_timeout})
        header, _ = wire.read_frame(self.r_out, deadline)
        if header.get("op") != "ready":
            raise wire.ProtocolError("no ready message")
        self.ready = header

    def kill(self, reason=None):
        if self.dead is None:
            self.dead = reason or "the student process was stopped"
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        for fd in (self.w_in, self.r_out):
            try:
                os.close(fd)
            except OSError:
                pass
        self.w_in = self.r_out = -1
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None

    def begin(self, q, deadline):
        wire.write_frame(self.w_in, {"op": "fork", "q": q})
        header, _ = wire.read_frame(self.r_out, deadline)
        if header.get("op") != "forked":
            raise wire.ProtocolError("no child")
        self.child = True

    def end(self, deadline):
        if self.dead is None and self.child:
            wire.write_frame(self.w_in, {"op": "end"})
            header, _ = wire.read_frame(self.r_out, deadline)
            if header.get("op") != "child_exit":
                raise wire.ProtocolError("child did not exit")
        self.child = False


class StudentFunction:
    """A proxy for a function the notebook defined: calls run in the question's sandboxed child."""

    def __init__(self, grader, name, correct=None):
        self.grader, self.name, self.correct = grader, name, dict(correct or {})
        self.last_args = None
        self.__name__ = name

    def with_correct(self, correct):
        """The same function, run with the names in ``correct`` bound to the checker's versions."""
        return StudentFunction(self.grader, self.name, {**self.correct, **correct})

    def __call__(self, *args, **kwargs):
        out, after = self.grader.call(self.name, args, kwargs, self.correct)
        self.last_args = tuple(after) if isinstance(after, list) else None
        return out

    def strict(self, *args):
        """The same call, with an overflow or a division by zero in the student's code an error
        (FloatingPointError or RuntimeWarning, raised here): lstm_src.feedback's overflow checks."""
        out, after = self.grader.call(self.name, args, {}, self.correct, strict=True)
        self.last_args = tuple(after) if isinstance(after, list) else None
        return out

    def __repr__(self):
        return f"<student function {self.name}>"


class Grader:
    """Grades one notebook (cells) against one autograder's test files."""

    def __init__(self, setup, stem, cells, limits):
        self.setup, self.stem, self.cells, self.limits = setup, stem, cells, limits
        self.deadline = time.monotonic() + limits["timeout"]
        self.flags, self.sandbox, self.q, self.q_hits, self.timed_out = [], None, None, [], set()

    def flag(self, text):
        text = sanitize(text, 200)
        if text not in self.flags:
            self.flags.append(text)

    def _start(self):
        budget = min(
            self.deadline,
            time.monotonic() + self.limits["cell_timeout"] * (len(self.cells) + 1) + 10,
        )
        sb = Sandbox(self.setup, self.stem, self.cells, self.limits["cell_timeout"], budget)
        for f in sb.ready.get("flags", []):
            self.flag(f)
        for h in sb.ready.get("hits", []):
            self.flag(f"a cell called {h}")
        return sb

    def start(self):
        self.sandbox = self._start()
        return self.sandbox.ready

    def _abnormal(self, reason):
        self.flag(f"{self.q}: {reason}")
        if self.sandbox is not None:
            self.sandbox.kill(reason)

    def begin(self, q):
        self.q, self.q_hits = q, []
        if self.sandbox is None or self.sandbox.dead:
            try:
                self.sandbox = self._start()
            except (wire.ProtocolError, TimeoutError, OSError) as exc:
                self.sandbox = None
                raise SandboxError(f"could not restart the notebook: {exc}") from None
        try:
            self.sandbox.begin(q, time.monotonic() + 30)
        except (wire.ProtocolError, TimeoutError, OSError) as exc:
            self._abnormal(f"the notebook's process broke ({type(exc).__name__})")
            raise SandboxError(str(exc)) from None

    def end(self):
        if self.sandbox is None or self.sandbox.dead:
            return
        try:
            self.sandbox.end(time.monotonic() + 10)
        except (wire.ProtocolError, TimeoutError, OSError):
            self._abnormal("the question's process did not stop when told")

    def close(self):
        if self.sandbox is not None:
            self.sandbox.kill()

    def call(self, name, args, kwargs, correct, strict=False):
        """Run the student's ``name(*args, **kwargs)`` in the question's child: (value, args after).

        With ``strict``, the child runs it with numpy's floating-point errors and RuntimeWarnings
        raised as exceptions."""
        if name in self.timed_out:
            raise TimeoutError(f"{name} did not return within {self.limits['call_timeout']:g} s")
        sb = self.sandbox
        if sb is None or sb.dead:
            raise SandboxError(f"{name} cannot run: {sb.dead if sb else 'no notebook process'}")
        limit = self.limits["call_timeout"]
        callbacks = []
        tree, blobs = wire.encode(
            (list(args), dict(kwargs)), callbacks, self.setup.local_name(self.stem)
        )
        inject = {}
        for n, fn in correct.items():
            callbacks.append(fn)
            inject[n] = len(callbacks) - 1
        try:
            wire.write_frame(
                sb.w_in,
                {
                    "op": "call",
                    "name": name,
                    "limit": limit,
                    "inject": inject,
                    "value": tree,
                    "strict": bool(strict),
                },
                blobs,
            )
            end = min(time.monotonic() + limit + GRACE, self.deadline)
            while True:
                header, blobs = wire.read_frame(sb.r_out, end)
                op = header.get("op")
                if op == "callback":
                    self._callback(sb, callbacks, header, blobs)
                    continue
                break
        except TimeoutError:
            self.timed_out.add(name)
            self._abnormal(f"{name} did not return within {limit:g} s")
            raise TimeoutError(f"{name} did not return within {limit:g} s") from None
        except (wire.ProtocolError, OSError) as exc:
            self._abnormal(f"{name} broke the grading channel ({sanitize(exc, 80)})")
            raise SandboxError(f"{name} broke the grading channel") from None
        if op == "timeout":
            self.timed_out.add(name)
            sb.child = False
            self._abnormal(f"{name} did not return within {limit:g} s")
            raise TimeoutError(f"{name} did not return within {limit:g} s")
        if op == "child_exit":
            sb.child = False
            self._abnormal(f"{name} ended the grading process (os._exit, a crash or a signal)")
            raise SandboxError(f"{name} ended the process that ran it (os._exit or a crash)")
        if op not in ("return", "raise"):
            self._abnormal(f"{name} broke the grading channel")
            raise SandboxError(f"{name} broke the grading channel")
        for f in header.get("flags", [])[:50]:
            if isinstance(f, str):
                self.flag(f)
        hits = [sanitize(h, 100) for h in header.get("hits", [])[:10] if isinstance(h, str)]
        if hits:
            for h in hits:
                self.flag(f"{self.q} called {h}")
                if h not in self.q_hits:
                    self.q_hits.append(h)
            raise ReferenceCalled(f"{self.q} calls {hits[0]}: write your own")
        try:
            value = wire.decode(header.get("value"), blobs)
            out, after = value
        except (wire.ProtocolError, TypeError, ValueError):
            self._abnormal(f"{name} broke the grading channel")
            raise SandboxError(f"{name} broke the grading channel") from None
        if op == "raise":
            raise _exception_class(str(header.get("type", "Exception")))(
                sanitize(header.get("message", ""), 300)
            )
        return out, after

    def _callback(self, sb, callbacks, header, blobs):
        """The student's child called a function the checker gave it (argument, correct version)."""
        try:
            fn = callbacks[int(header["id"])]
            args, kwargs = wire.decode(header.get("value"), blobs)
            kwargs = {str(k): v for k, v in dict(kwargs).items()}
        except (wire.ProtocolError, KeyError, IndexError, TypeError, ValueError):
            raise wire.ProtocolError("bad callback") from None
        try:
            result = fn(*args, **kwargs)
            tree, out_blobs = wire.encode(result)
            wire.write_frame(sb.w_in, {"op": "result", "value": tree}, out_blobs)
        except Exception as exc:  # noqa: BLE001 - the student's child gets the error, as a local call would
            wire.write_frame(
                sb.w_in, {"op": "error", "type": type(exc).__name__, "message": sanitize(exc, 300)}
            )


# ------------------------------------------------------------------ the autograder's tests


def load_tests(zip_path):
    """[(question name, test file source)] from an otter autograder zip, in question order."""
    with zipfile.ZipFile(zip_path) as z:
        names = sorted(
            (n for n in z.namelist() if re.fullmatch(r"tests/[^/]+\.py", n)),
            key=lambda n: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", n)],
        )
        return [(pathlib.Path(n).stem, z.read(n).decode("utf-8")) for n in names]


def _test_file(name, source):
    from otter.test_files import ExceptionTestFile

    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(source)
    try:
        return ExceptionTestFile.from_file(f.name)
    finally:
        os.unlink(f.name)


def _params(tf):
    names = []
    for tc in tf.test_cases:
        names += [p for p in tc.body._get_func_params() if p not in names]
    return names


def grade_cells(setup, stem, cells, tests, limits):
    """Grade a notebook's code cells: dict of scores, possible, feedback, flags, errors, status."""
    from otter.test_files.abstract_test import TestCaseResult

    files = [_test_file(q, src) for q, src in tests]
    result = {
        "scores": {tf.name: 0 for tf in files},
        "possible": sum(tf.possible for tf in files),
        "feedback": {},
        "flags": [],
        "cell_errors": [],
        "status": "ok",
        "message": "",
    }
    grader = Grader(setup, stem, cells, limits)
    try:
        try:
            ready = grader.start()
        except (wire.ProtocolError, TimeoutError, OSError) as exc:
            grader.close()
            timeout = isinstance(exc, TimeoutError)
            result.update(
                status="timeout" if timeout else "error",
                flags=grader.flags,
                message=(
                    "the notebook's cells did not finish in time: scored 0"
                    if timeout
                    else f"the notebook could not be run ({sanitize(exc, 100)}): scored 0"
                ),
            )
            return result
        errors = [e for e in ready.get("errors", []) if isinstance(e, dict)][:50]
        result["cell_errors"] = [
            f"cell {e.get('cell')}: {sanitize(e.get('type'), 40)}: "
            f"{sanitize(e.get('message'), 200)}"
            for e in errors
        ]
        names = {str(k): v for k, v in dict(ready.get("names", {})).items()}
        for tf in files:
            if time.monotonic() > grader.deadline:
                result["status"] = "timeout"
                result["message"] = f"grading stopped after {limits['timeout']:g} s"
                result["feedback"][tf.name] = "not graded: the submission's time ran out"
                continue
            try:
                grader.begin(tf.name)
            except SandboxError as exc:
                result["feedback"][tf.name] = sanitize(exc)
                continue
            env = {}
            for p in _params(tf):
                if names.get(p) == "function":
                    env[p] = StudentFunction(grader, p)
            tcrs, lines = [], []
            for tc in tf.test_cases:
                try:
                    tc.body.call_func(env)
                    passed, msg = True, ""
                except Exception as exc:  # noqa: BLE001 - otter's own rule: any exception fails the case
                    passed, msg = False, sanitize(exc, 1500)
                tcrs.append(TestCaseResult(test_case=tc, message=msg, passed=passed))
                if not passed:
                    kind = "hidden" if tc.hidden else "public"
                    lines.append(f"{kind} test {tc.name}: {msg}")
            grader.end()
            tf.test_case_results = tcrs
            score = tf.score
            text = "\n".join(lines) or "all tests passed"
            if grader.q_hits:
                score = 0
                text = f"{tf.name} calls {grader.q_hits[0]}: write your own"
            missing = [p for p in _params(tf) if p not in env]
            for p in missing:
                bad = (
                    [e for e in errors if f"def {p}(" in cells[int(e.get("cell", 0)) - 1]]
                    if all(
                        isinstance(e.get("cell"), int) and 0 < e["cell"] <= len(cells)
                        for e in errors
                    )
                    else []
                )
                if bad:
                    e = bad[0]
                    text = (
                        f"{p} is not defined because its cell (cell {e['cell']}) failed with "
                        f"{sanitize(e.get('type'), 40)}: {sanitize(e.get('message'), 200)}\n" + text
                    )
            result["scores"][tf.name] = score
            result["feedback"][tf.name] = text
    finally:
        grader.close()
    result["flags"] = grader.flags
    return result
