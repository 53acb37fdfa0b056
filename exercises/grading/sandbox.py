"""The student process of one submission: its sandbox, its limits, its start and its end.

:class:`Setup` is what grade.py prepares once (the runner files, one grading build of
lstm_src per assignment). :class:`Sandbox` starts ``student.py`` under bubblewrap with the
per-submission limits of :mod:`grading.limits`, sends it the notebook's cells and times every
cell from outside (a cell that ignores the in-process alarm is stopped by killing the
sandbox; the notebook is then run again without that cell), and kills every process of the
submission when it ends.
"""

import fcntl
import importlib.util
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from . import limits, policy, sandbox_build, wire

HERE = pathlib.Path(__file__).resolve().parent
GRACE = 2.0  # seconds the checker waits beyond a limit the sandbox should enforce itself
SHM_SIZE = 64 << 20  # bytes of /dev/shm in the sandbox
TMP_SIZE = 256 << 20  # bytes of /tmp in the sandbox
MAX_CODE = 64 << 20  # bytes of code cells a notebook may have (grade.py refuses more)
READY_BYTES = 16 << 20  # the report after the cells: names, errors, flags (no arrays)


class CellStuck(Exception):
    """A cell ran past its limit and did not stop when told: it was stopped from outside."""

    def __init__(self, cell):
        super().__init__(f"cell {cell}")
        self.cell = cell


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


def autodiff_folders():
    """The installed folders of the automatic-differentiation libraries (policy.AUTODIFF)."""
    found = []
    for name in policy.AUTODIFF:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        for loc in (spec and spec.submodule_search_locations) or []:
            if os.path.isdir(loc):
                found.append(os.path.realpath(loc))
    return sorted(set(found))


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
        self.memory = 2 << 30  # bytes for all of a submission's processes (cgroups)
        self.processes = 64  # processes and threads of a submission

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


def _bwrap_command(setup, stem, tag):
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
        str(SHM_SIZE),
        "--tmpfs",
        "/dev/shm",
        "--size",
        str(TMP_SIZE),
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
    for folder in autodiff_folders():  # hidden: an empty folder over each
        cmd += ["--tmpfs", folder]
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
        "GRADING_TAG",
        tag,
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
        tag,
    ]


def _plain_command(setup, stem, scratch, tag):
    """Without bubblewrap (``--no-sandbox``, or testing the tests): a plain subprocess."""
    return [sys.executable, "-I", str(setup.runner / "student.py"), tag], {
        "GRADING_SCRATCH": scratch,
        "GRADING_PATH": str(setup.build(stem).parent),
        "HOME": scratch,
        "GRADING_TAG": tag,
        "OPENBLAS_NUM_THREADS": "1",
        "PATH": "/usr/bin:/bin",
    }


class Sandbox:
    """A running student process: cells executed, ready to fork a child per question.

    ``group`` (a :class:`limits.Group`) holds the sandbox's processes; ``skip`` are cells not
    to run again (stopped from outside on an earlier start). Raises :class:`CellStuck`,
    TimeoutError, OSError or wire.ProtocolError with every process of the sandbox killed.
    """

    def __init__(self, setup, stem, cells, cell_timeout, deadline, group, tag, skip=()):
        self.flags, self.dead, self.child = [], None, False
        self.group, self.proc, self.scratch = group, None, None
        self.sandboxed = setup.sandbox
        r_in, self.w_in = os.pipe()  # checker -> student (fd 3 there)
        self.r_out, w_out = os.pipe()  # student -> checker (fd 4 there)

        def wire_fds():
            limits.set_student_rlimits()
            if group is not None and group.active:
                group.enter()
            os.dup2(r_in, 3)
            os.dup2(w_out, 4)
            for fd in (3, 4):
                os.set_inheritable(fd, True)

        seccomp = None
        if setup.sandbox:
            cmd, env = _bwrap_command(setup, stem, tag), None
            program = limits.seccomp_program()
            if program:  # bubblewrap reads it from a pipe: memfd_create refused
                r, w = os.pipe()
                os.write(w, program)
                os.close(w)
                seccomp = fcntl.fcntl(r, fcntl.F_DUPFD, 10)
                os.close(r)
                cmd[1:1] = ["--seccomp", str(seccomp)]
        else:
            self.scratch = tempfile.mkdtemp(prefix="student-")
            cmd, env = _plain_command(setup, stem, self.scratch, tag)
        try:
            self.proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                preexec_fn=wire_fds,
                pass_fds=(3, 4) + ((seccomp,) if seccomp is not None else ()),
                env=env,
                start_new_session=True,
            )
        finally:
            if seccomp is not None:
                os.close(seccomp)
            os.close(r_in)
            os.close(w_out)
        for fd in (self.w_in, self.r_out):
            os.set_blocking(fd, False)  # every exchange has a deadline (wire.py)
        try:
            self._run_cells(cells, cell_timeout, deadline, skip)
        except BaseException:
            self.kill("the notebook's cells did not finish")
            raise

    def _run_cells(self, cells, cell_timeout, deadline, skip):
        wire.write_frame(
            self.w_in,
            {
                "cells": cells,
                "cell_timeout": cell_timeout,
                "skip": sorted(skip),
                # RLIMIT_NPROC counts per user namespace only inside bubblewrap's
                "processes": self.group.processes if self.sandboxed and self.group else None,
            },
            deadline=min(deadline, time.monotonic() + 60),
        )
        cell, start_by = None, min(deadline, time.monotonic() + 60)  # imports before cell 1
        while True:
            try:
                header, _ = wire.read_frame(
                    self.r_out, start_by, max_bytes=READY_BYTES, max_header=READY_BYTES
                )
            except TimeoutError:
                if cell is not None and time.monotonic() < deadline:
                    raise CellStuck(cell) from None
                raise
            if header.get("op") == "cell" and isinstance(header.get("i"), int):
                cell = header["i"]
                start_by = min(deadline, time.monotonic() + cell_timeout + GRACE)
                continue
            if header.get("op") != "ready":
                raise wire.ProtocolError("no ready message")
            self.ready = header
            return

    def kill(self, reason=None):
        """Kill every process of the sandbox (its cgroup, else its process group and PID
        namespace) and wait until they are gone."""
        if self.dead is None:
            self.dead = reason or "the student process was stopped"
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.proc.wait()
        if self.group is not None and self.group.active:
            self.group.kill_all()
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
        wire.write_frame(self.w_in, {"op": "fork", "q": q}, deadline=deadline)
        header, _ = wire.read_frame(self.r_out, deadline, max_bytes=1 << 20)
        if header.get("op") != "forked":
            raise wire.ProtocolError("no child")
        self.child = True

    def end(self, deadline):
        if self.dead is None and self.child:
            wire.write_frame(self.w_in, {"op": "end"}, deadline=deadline)
            while True:  # skip a late answer of the question's child
                header, _ = wire.read_frame(self.r_out, deadline)
                if header.get("op") == "child_exit":
                    break
                if header.get("op") not in ("return", "raise", "timeout", "callback"):
                    raise wire.ProtocolError("child did not exit")
        self.child = False
