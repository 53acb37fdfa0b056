"""Per-submission limits: what one submission's processes may use, enforced
from outside them.

Two layers:

* **cgroups** (when this process may create them: as root, with the cgroup
  v1 controllers, or a cgroup v2 hierarchy whose root delegates memory and
  pids). Each submission's sandbox runs in its own control
  groups: ``memory`` (everything its processes hold: heap, ``/tmp`` and
  ``/dev/shm`` files, memfds), ``pids`` (processes and threads together),
  ``cpu`` (at most one core). The checker kills every process of the
  groups when the submission's grading ends and waits until they are
  empty. Measured on Debian 12 (kernel 6.x, cgroup v1 hierarchy, root): a
  memfd or a ``/dev/shm`` file is charged to the group and stopped at its
  limit; the address-space limit alone does not count a memfd at all.
* **rlimits**, always (the only layer without cgroups): the address space
  of each process (:data:`ADDRESS_SPACE`), file size (:data:`FILE_SIZE`,
  which also caps one memfd), open files, no core dumps; processes are
  capped by ``RLIMIT_NPROC``, which the sandbox's user namespace counts
  per sandbox (set inside it by student.py; not for root), and the
  bubblewrap PID namespace's processes all die with it.
"""

import os
import pathlib
import signal
import time

ADDRESS_SPACE = 4 << 30  # bytes of address space per student process
FILE_SIZE = 256 << 20  # bytes per file the student writes (one memfd included)
OPEN_FILES = 256
CHECKER_ADDRESS_SPACE = 3 << 30  # the checker process of one submission
ROOT = pathlib.Path("/sys/fs/cgroup")


def set_student_rlimits():
    """In the student process before exec (preexec_fn): the per-process
    limits."""
    import resource

    for res, value in (
        (resource.RLIMIT_AS, ADDRESS_SPACE),
        (resource.RLIMIT_FSIZE, FILE_SIZE),
        (resource.RLIMIT_NOFILE, OPEN_FILES),
        (resource.RLIMIT_CORE, 0),
    ):
        try:
            resource.setrlimit(res, (value, value))
        except (ValueError, OSError):
            pass


def _own_v1_path(controller):
    try:
        lines = pathlib.Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, ctrls, path = line.split(":", 2)
        if controller in ctrls.split(","):
            return ROOT / controller / path.lstrip("/")
    return None


def _write(path, value):
    pathlib.Path(path).write_text(str(value))


class Group:
    """One submission's control groups (memory, pids, cpu), or nothing
    where unavailable."""

    _counter = 0

    def __init__(self, memory, processes):
        Group._counter += 1
        self.name = f"grading-{os.getpid()}-{Group._counter}"
        self.dirs, self.kind = [], "rlimits only"
        self.memory, self.processes = memory, processes
        if os.environ.get("GRADING_CGROUPS") == "0":  # to try the fallback
            return
        try:
            self._make_v1()
        except OSError:
            self.remove()
            self.dirs = []
        if not self.dirs:
            try:
                self._make_v2()
            except OSError:
                self.remove()
                self.dirs = []
        if not self.dirs:
            self.kind = "rlimits only"

    def _make_v2(self):
        """A cgroup v2 group below the root (where grade.py runs as root on a
        unified hierarchy whose root delegates memory and pids)."""
        top = ROOT
        wanted = set(
            (top / "cgroup.subtree_control").read_text().split()
        )  # OSError when there is no unified hierarchy at /sys/fs/cgroup
        if not {"memory", "pids"} <= wanted or not os.access(top, os.W_OK):
            return
        d = top / self.name
        d.mkdir()
        self.dirs.append(d)
        _write(d / "memory.max", self.memory)
        _write(d / "pids.max", self.processes)
        for name, value in (("memory.swap.max", 0), ("cpu.max", "100000")):
            try:
                _write(d / name, value)
            except OSError:
                pass
        self.kind = "cgroups (v2): memory, pids" + (
            ", cpu" if "cpu" in wanted else ""
        )

    def _make_v1(self):
        wanted = {
            "memory": [
                ("memory.limit_in_bytes", self.memory),
                ("memory.swappiness", 0),
            ],
            "pids": [("pids.max", self.processes)],
            "cpu": [
                ("cpu.cfs_period_us", 100000),
                ("cpu.cfs_quota_us", 100000),
            ],
        }
        for ctrl, settings in wanted.items():
            base = _own_v1_path(ctrl)
            if (
                base is None
                or not base.is_dir()
                or not os.access(base, os.W_OK)
            ):
                if ctrl == "cpu":
                    continue  # optional: the time limits bound CPU too
                raise OSError(f"no writable {ctrl} cgroup")
            d = base / self.name
            d.mkdir()
            self.dirs.append(d)
            for name, value in settings:
                try:
                    _write(d / name, value)
                except OSError:
                    if name == settings[0][0] and ctrl != "cpu":
                        raise
        self.kind = "cgroups: memory, pids" + (
            ", cpu" if len(self.dirs) > 2 else ""
        )

    @property
    def active(self):
        return bool(self.dirs)

    def enter(self):
        """Move the calling process into the groups (called in
        preexec_fn, before exec)."""
        for d in self.dirs:
            _write(d / "cgroup.procs", os.getpid())

    def pids(self):
        found = set()
        for d in self.dirs:
            try:
                found |= {
                    int(p) for p in (d / "cgroup.procs").read_text().split()
                }
            except (OSError, ValueError):
                pass
        return found

    def kill_all(self, timeout=10.0):
        """SIGKILL every process in the groups; True once they are all gone."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            pids = self.pids()
            if not pids:
                return True
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.02)
        return not self.pids()

    def peak_memory(self):
        for d in self.dirs:
            if (d / "memory.peak").exists():
                try:
                    return int((d / "memory.peak").read_text())
                except (OSError, ValueError):
                    return None
            if (d / "memory.max_usage_in_bytes").exists():
                try:
                    return int((d / "memory.max_usage_in_bytes").read_text())
                except (OSError, ValueError):
                    return None
        return None

    def oom_killed(self):
        for d in self.dirs:
            if (d / "memory.events").exists():
                try:
                    text = (d / "memory.events").read_text()
                except OSError:
                    return False
                for line in text.splitlines():
                    if line.startswith("oom_kill ") and int(line.split()[1]):
                        return True
            if (d / "memory.oom_control").exists():
                try:
                    text = (d / "memory.oom_control").read_text()
                except OSError:
                    return False
                for line in text.splitlines():
                    if (
                        line.startswith("oom_kill ")
                        and int(line.split()[1]) > 0
                    ):
                        return True
        return False

    def remove(self):
        """Kill what is left and remove the groups."""
        if self.dirs:
            self.kill_all()
        for d in self.dirs:
            for _ in range(50):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)
        self.dirs = []


def cleanup(pid):
    """Kill and remove the groups a checker process ``pid`` left (it was
    killed itself)."""
    for d in ROOT.glob(f"grading-{pid}-*"):  # cgroup v2
        g = Group.__new__(Group)
        g.dirs, g.kind = [d], "leftover"
        g.remove()
    for ctrl in ("memory", "pids", "cpu"):
        base = _own_v1_path(ctrl)
        if base is None or not base.is_dir():
            continue
        for d in base.glob(f"grading-{pid}-*"):
            g = Group.__new__(Group)
            g.dirs, g.kind = [d], "leftover"
            g.remove()


def seccomp_program():
    """A classic-BPF seccomp program (bubblewrap's ``--seccomp`` format) that
    refuses memfd_create with EPERM, or None on an unknown architecture. A
    memfd escapes the address-space limit; refused, it cannot hold memory
    outside the limits whether or not cgroups are there."""
    import platform
    import struct

    arch, nr = {
        "x86_64": (0xC000003E, 319),
        "aarch64": (0xC00000B7, 279),
    }.get(platform.machine(), (None, None))
    if arch is None:
        return None
    ld, jeq, ret = 0x20, 0x15, 0x06
    errno_eperm, allow = 0x00050000 | 1, 0x7FFF0000
    prog = [
        (ld, 0, 0, 4),  # the architecture
        (jeq, 0, 4, arch),  # another one: allow
        (ld, 0, 0, 0),  # the system call's number
        (jeq, 1, 0, nr),  # memfd_create: refuse
        (jeq, 0, 1, nr | 0x40000000),  # memfd_create (x32 ABI): refuse
        (ret, 0, 0, errno_eperm),
        (ret, 0, 0, allow),
    ]
    return b"".join(struct.pack("HBBI", *ins) for ins in prog)
