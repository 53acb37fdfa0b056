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
import signal
import tempfile
import time
import zipfile

from . import derive, policy, wire
from . import limits as containment
from .sandbox import GRACE, CellStuck, Sandbox, Setup, has_bwrap  # noqa: F401

CALLBACK_BYTES = 16 << 20  # arguments of one call-back, and its result
REPLY_BYTES = 64 << 20  # one answer of the student's function
MAX_BROKEN_STARTS = 2  # questions in a row whose process broke before the rest is not graded


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

    def __init__(self, setup, stem, cells, limits, tag="student"):
        self.setup, self.stem, self.cells, self.limits = setup, stem, cells, limits
        self.deadline = time.monotonic() + limits["timeout"]
        self.flags, self.sandbox, self.q, self.q_hits, self.timed_out = [], None, None, [], set()
        self.tag, self.stuck, self.q_flags = tag, [], []
        self.deriving = False  # the question's function is under rule 'derive'
        self.group = containment.Group(setup.memory, setup.processes)

    def flag(self, text):
        text = sanitize(text, 200)
        if text not in self.flags:
            self.flags.append(text)

    def _start(self):
        """Start the notebook's process; a cell stuck past its limit (it ignored the alarm) is
        stopped from outside, and the notebook runs again without it."""
        while True:
            budget = min(
                self.deadline,
                time.monotonic() + self.limits["cell_timeout"] * (len(self.cells) + 1) + 10,
            )
            try:
                sb = Sandbox(
                    self.setup,
                    self.stem,
                    self.cells,
                    self.limits["cell_timeout"],
                    budget,
                    self.group,
                    self.tag,
                    skip=self.stuck,
                )
            except CellStuck as exc:
                self.stuck.append(exc.cell)
                continue
            break
        for f in sb.ready.get("flags", [])[:50]:
            if isinstance(f, str):
                self.flag(f)
        for h in sb.ready.get("hits", [])[:10]:
            self.flag(f"a cell called {h}")
        return sb

    def start(self):
        self.sandbox = self._start()
        ready = dict(self.sandbox.ready)
        errors = [e for e in ready.get("errors", []) if isinstance(e, dict)][:50]
        seconds = self.limits["cell_timeout"]
        for cell in self.stuck:
            errors.append(
                {
                    "cell": cell,
                    "type": "Timeout",
                    "message": f"the cell ran longer than {seconds:g} s, ignored the alarm and "
                    "was stopped from outside; the cells after it ran without it",
                }
            )
        ready["errors"] = sorted(
            errors, key=lambda e: e.get("cell", 0) if isinstance(e.get("cell"), int) else 0
        )
        return ready

    def _abnormal(self, reason):
        self.flag(f"{self.q}: {reason}")
        if self.sandbox is not None:
            self.sandbox.kill(reason)

    def begin(self, q):
        self.q, self.q_hits, self.q_flags = q, [], []
        if self.sandbox is None or self.sandbox.dead:
            try:
                self.sandbox = self._start()
            except (wire.ProtocolError, TimeoutError, OSError) as exc:
                self.sandbox = None
                raise SandboxError(f"could not restart the notebook: {exc}") from None
        try:
            self.sandbox.begin(q, min(self.deadline, time.monotonic() + 30))
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
        """Kill every process of the submission and remove its control groups."""
        if getattr(self, "peak", False) is not False:
            return
        if self.sandbox is not None:
            self.sandbox.kill()
        self.peak, self.oom = self.group.peak_memory(), self.group.oom_killed()
        self.group.remove()

    def call(self, name, args, kwargs, correct, strict=False):
        """Run the student's ``name(*args, **kwargs)`` in the question's child: (value, args after).

        With ``strict``, the child runs it with numpy's floating-point errors and RuntimeWarnings
        raised as exceptions. Every write and read has the call's deadline (``call_timeout``
        plus a grace, call-backs included): a child that stops reading or writing is killed."""
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
        end = min(time.monotonic() + limit + GRACE, self.deadline)
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
                deadline=end,
            )
            while True:
                header, blobs = wire.read_frame(sb.r_out, end, max_bytes=REPLY_BYTES)
                op = header.get("op")
                if op == "callback":
                    self._callback(sb, callbacks, header, blobs, end, set(inject.values()))
                    continue
                break
        except TimeoutError:
            self.timed_out.add(name)
            self._abnormal(f"{name} did not return within {limit:g} s")
            raise TimeoutError(f"{name} did not return within {limit:g} s") from None
        except (wire.ProtocolError, OSError) as exc:
            self._abnormal(f"{name} broke the grading channel ({sanitize(exc, 80)})")
            raise SandboxError(f"{name} broke the grading channel ({sanitize(exc, 80)})") from None
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
                self.q_flags.append(f)
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
        text_ok = name in policy.TEXT_ANSWERS.get(self.stem, ())
        bad = _not_real(out, text_ok=text_ok)
        if bad:
            raise TypeError(
                f"{name} returned {bad}: answers must be real floating-point numbers or arrays "
                "(complex numbers and text are not accepted)"
            )
        return out, after

    def _forbidden_name(self, fn):
        """``lstm_src.module.function`` when ``fn`` is one the assignment forbids, else None."""
        module, name = getattr(fn, "__module__", None), getattr(fn, "__qualname__", None)
        if not isinstance(module, str) or not isinstance(name, str):
            return None
        ref = f"{module}.{name}"
        return ref if ref in self.setup.stubbed.get(self.stem, set()) else None

    def _callback(self, sb, callbacks, header, blobs, end, given=()):
        """The student's child called a function the checker gave it (an argument, a correct
        earlier answer). Arguments and result are bounded (:data:`CALLBACK_BYTES`), and the
        call runs in the time the student's call has left (an alarm here stops it)."""
        try:
            index = int(header["id"])
            fn = callbacks[index]
            args, kwargs = wire.decode(header.get("value"), blobs)
            kwargs = {str(k): v for k, v in dict(kwargs).items()}
        except (wire.ProtocolError, KeyError, IndexError, TypeError, ValueError):
            raise wire.ProtocolError("bad callback") from None
        size = sum(b.nbytes for b in blobs)
        ref = None if index in given else self._forbidden_name(fn)  # correct versions: fair
        try:
            if ref and self.deriving:  # a backward answer may not call the reference back
                self.flag(f"{self.q} called {ref}")
                if ref not in self.q_hits:
                    self.q_hits.append(ref)
                raise RuntimeError(f"{ref} is not available while grading: write your own")
            if size > CALLBACK_BYTES:
                raise ValueError(
                    f"the arguments of this call hold {size >> 20} MiB: the grader's functions "
                    f"take at most {CALLBACK_BYTES >> 20} MiB while grading"
                )
            with _alarm(end - time.monotonic()):
                result = fn(*args, **kwargs)
            tree, out_blobs = wire.encode(result)
            if sum(b.nbytes for b in out_blobs) > CALLBACK_BYTES:
                raise ValueError(f"the result is larger than {CALLBACK_BYTES >> 20} MiB")
            wire.write_frame(sb.w_in, {"op": "result", "value": tree}, out_blobs, deadline=end)
        except _Alarm:
            raise TimeoutError("call-back ran out of time") from None
        except TimeoutError:
            raise
        except Exception as exc:  # noqa: BLE001 - the student's child gets the error, as a local call would
            wire.write_frame(
                sb.w_in,
                {"op": "error", "type": type(exc).__name__, "message": sanitize(exc, 300)},
                deadline=end,
            )


class _Alarm(BaseException):
    """The time of a call-back ran out (BaseException: the grader's code must not catch it)."""


class _alarm:
    """Raise :class:`_Alarm` in this (main) thread after ``seconds``."""

    def __init__(self, seconds):
        self.seconds = max(0.001, seconds)

    def __enter__(self):
        def ring(signum, frame):
            raise _Alarm()

        self.old = signal.signal(signal.SIGALRM, ring)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc):
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.old)
        return False


def _not_real(value, depth=0, text_ok=False):
    """A description of the first complex or text value inside ``value``, else None
    (with ``text_ok``, str values are accepted; arrays must still be real numbers)."""
    import numpy as np

    if depth > 20:
        return None
    if isinstance(value, (str, bytes)):
        return None if text_ok and isinstance(value, str) else "text"
    if isinstance(value, complex):
        return "a complex number"
    if isinstance(value, (np.ndarray, np.generic)):
        kind = np.asarray(value).dtype
        return f"an array of {kind}" if kind.kind in "cSUV" else None
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        for v in value[:10000]:
            bad = _not_real(v, depth + 1, text_ok)
            if bad:
                return bad
    return None


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


def warm_up(test_lists):
    """Import and parse, once in grade.py before the checkers fork, what each would redo."""
    from otter.test_files.abstract_test import TestCaseResult  # noqa: F401

    import lstm_src.feedback._correct  # noqa: F401
    import lstm_src.feedback._problems  # noqa: F401
    import lstm_src.feedback._reports  # noqa: F401

    for tests in test_lists:
        for q, src in tests[:1]:
            _test_file(q, src)
    for kind in derive.PROBES.values():
        kind(0)


def _derive_rule(grader, stem, tf, env, score):
    """The rule-'derive' message for question ``tf`` (None when it keeps its score)."""
    from lstm_src.feedback._correct import earlier

    for name, kind in policy.DERIVE.get(stem, {}).items():
        if name not in _params(tf):
            continue
        said = derive.import_message(tf.name, name, grader.q_flags)
        if said:
            return said
        if score <= 0 or name not in env:
            return None
        fn = env[name].with_correct(earlier(stem, name))
        try:
            return derive.check(fn, kind, tf.name, name)
        except (ReferenceCalled, SandboxError, TimeoutError):
            raise
        except Exception as exc:  # noqa: BLE001 - what the answer raised on the probe cache
            return derive.RULE.format(
                q=tf.name,
                name=name,
                why=f"given a probe cache (gates that are not the ones its parameters give) it "
                f"raised {type(exc).__name__}: {sanitize(exc, 200)}",
            )
    return None


def grade_cells(setup, stem, cells, tests, limits, tag="student"):
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
    grader = Grader(setup, stem, cells, limits, tag)
    result["limits"] = grader.group.kind
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
        broken = []  # questions in a row whose process could not even start
        for tf in files:
            if len(broken) >= MAX_BROKEN_STARTS:
                result["feedback"][tf.name] = (
                    f"not graded: the notebook's process broke when starting {broken[0]} and "
                    f"{broken[-1]} (e.g. its own processes took every one it may have)"
                )
                continue
            if time.monotonic() > grader.deadline:
                result["status"] = "timeout"
                result["message"] = f"grading stopped after {limits['timeout']:g} s"
                result["feedback"][tf.name] = "not graded: the submission's time ran out"
                continue
            try:
                grader.begin(tf.name)
            except SandboxError as exc:
                result["feedback"][tf.name] = sanitize(exc)
                broken.append(tf.name)
                continue
            broken = []
            grader.deriving = any(p in policy.DERIVE.get(stem, {}) for p in _params(tf))
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
            tf.test_case_results = tcrs
            score = tf.score
            text = "\n".join(lines) or "all tests passed"
            try:
                rule = _derive_rule(grader, stem, tf, env, score)
            except (ReferenceCalled, SandboxError, TimeoutError) as exc:
                rule = f"{tf.name}: the rule-'derive' check of the answer failed: {sanitize(exc)}"
            if rule:
                score, text = 0, rule
                grader.flag(f"{tf.name}: rule 'derive' broken")
            grader.end()
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
        if grader.peak:
            result["sandbox_peak_mib"] = round(grader.peak / 2**20)
        if grader.oom:
            grader.flag("the notebook's processes ran out of memory and were stopped")
    result["flags"] = grader.flags
    return result
