"""Grade student submissions on this machine, each in a sandbox, several at once.

    python exercises/grade.py SUBMISSION_OR_FOLDER [...] [--jobs N] [--timeout 300]
        [--call-timeout 10] [--cell-timeout 60] [--memory 2048] [--processes 64]
        [--output grades.csv]

A submission is a student's ``.ipynb`` (a folder is searched recursively for
them). Each is matched to the autograder zip of its assignment (from the
notebook's metadata; ``exercises/autograder/NN_name.zip``, built by
``exercises/build.py`` when missing, or ``--autograder``) and graded by two
processes (see exercises/README.md, "How grading is protected"):

* the notebook's code cells run in a bubblewrap sandbox: read-only system, no
  project folder, no autograder, no network, a throw-away tmpfs, and an
  lstm_src whose functions that compute what the assignment asks are tripwires;
* the autograder's otter test files run in a clean process here, calling the
  student's functions through a pipe, one forked child per question, with a
  time limit per call (``--call-timeout``) and per cell (``--cell-timeout``),
  and ``--timeout`` seconds for the whole submission.

Each submission has its own checker process, killed from outside at
``--timeout`` + 20 s, and its own limits (grading/limits.py: cgroups for
memory, processes and CPU where they can be made, rlimits always); nothing it
started outlives its row. Exit status 2 when nothing could be graded.

It writes one row per submission to ``--output`` (CSV: every question's score,
total, possible, status, message, flags) and the same name with ``.json``
(plus each question's feedback, the cells that failed and the flags: what the
grading saw, e.g. "q5 called lstm_src.lstm.lstm_backward", "patched
lstm_src.feedback.check_array", "tried to write to /…").
"""

import argparse
import csv
import gc
import hashlib
import importlib.util
import json
import os
import pathlib
import re
import select
import signal
import sys
import tempfile
import time
import zipfile

HERE = pathlib.Path(__file__).resolve().parent
AUTOGRADER_DIR = HERE / "autograder"
if str(HERE) not in sys.path:  # grading/ lives next to this script
    sys.path.insert(0, str(HERE))

from grading import checker, policy, sandbox  # noqa: E402
from grading import limits as limits_mod  # noqa: E402


def find_submissions(paths):
    """Every .ipynb under ``paths`` (files are taken as they are), sorted."""
    found = []
    for p in map(pathlib.Path, paths):
        if p.is_dir():
            found += sorted(q for q in p.rglob("*.ipynb") if ".ipynb_checkpoints" not in q.parts)
        elif p.is_file():
            found.append(p)
        else:
            raise FileNotFoundError(f"no such file or folder: {p}")
    return found


def assignment_of_zip(zip_path):
    """The assignment name an autograder zip grades (from its otter_config.json)."""
    with zipfile.ZipFile(zip_path) as z:
        return json.loads(z.read("otter_config.json")).get("assignment_name")


def stem_of(zip_path, assignment):
    """The assignment's stem (``03_lstm_backward``), which chooses the forbidden functions."""
    stem = pathlib.Path(zip_path).stem
    if stem in policy.FORBIDDEN:
        return stem
    number = re.search(r"(\d\d)", str(assignment) or "")
    for known in policy.FORBIDDEN:
        if number and known.startswith(number.group(1) + "_"):
            return known
    return stem


def autograders(zip_dir=AUTOGRADER_DIR):
    """{assignment name: zip path}; builds the zips from the masters when there are none."""
    zips = sorted(pathlib.Path(zip_dir).glob("*.zip"))
    if not zips and pathlib.Path(zip_dir) == AUTOGRADER_DIR:
        print("no autograder zips yet: building them from exercises/masters/ ...", file=sys.stderr)
        spec = importlib.util.spec_from_file_location("exercises_build", HERE / "build.py")
        build = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(build)
        build.build(run_tests=False)
        zips = sorted(AUTOGRADER_DIR.glob("*.zip"))
    return {assignment_of_zip(z): z for z in zips}


MAX_NOTEBOOK = 512 << 20  # bytes of a notebook file (saved outputs included)


def read_notebook(path):
    """(assignment name or None, [code cell sources]); ValueError with a one-line reason when
    the file is not a notebook this grader can run (never another exception)."""
    try:
        size = os.path.getsize(path)
        if size > MAX_NOTEBOOK:
            raise ValueError(f"{size >> 20} MiB; the limit is {MAX_NOTEBOOK >> 20} MiB")
        nb = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError, MemoryError) as exc:
        what = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:120]
        raise ValueError(f"not a readable notebook ({type(exc).__name__}: {what})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError("not a readable notebook (no list of cells)")
    cells = []
    for i, c in enumerate(nb["cells"], 1):
        if isinstance(c, dict) and c.get("cell_type") == "code":
            src = c.get("source", "")
            if isinstance(src, list) and all(isinstance(s, str) for s in src):
                src = "".join(src)
            if not isinstance(src, str):
                raise ValueError(
                    f"not a readable notebook (cell {i}'s source is a {type(src).__name__}, "
                    "not text or a list of text)"
                )
            cells.append(src)
    code = sum(len(s.encode("utf-8", "replace")) for s in cells)
    if code > sandbox.MAX_CODE:
        raise ValueError(
            f"its code cells hold {code / 2**20:.0f} MiB; the limit is "
            f"{sandbox.MAX_CODE >> 20} MiB of code"
        )
    meta = nb.get("metadata")
    otter_meta = meta.get("otter") if isinstance(meta, dict) else None
    name = otter_meta.get("assignment_name") if isinstance(otter_meta, dict) else None
    if name is not None and not isinstance(name, str):
        raise ValueError(
            f"not a gradable notebook (metadata.otter.assignment_name is a "
            f"{type(name).__name__}, not text)"
        )
    return name, cells


def sandbox_tag(path):
    """The label of a submission's sandbox processes (their command line and environment)."""
    return "grading-" + hashlib.sha1(str(path).encode("utf-8", "replace")).hexdigest()[:12]


# ------------------------------------------------------------------ one checker per submission

MARGIN = 20.0  # seconds a checker may run beyond --timeout before it is killed from outside


def _grade_task(setup, task):
    path, stem, tests, limits = task
    start = time.monotonic()
    try:
        _, cells = read_notebook(path)
        result = checker.grade_cells(setup, stem, cells, tests, limits, sandbox_tag(path))
    except Exception as exc:  # noqa: BLE001 - one broken submission must not stop the class
        result = _failed("error", f"{type(exc).__name__}: {str(exc)[:200]}")
    result["seconds"] = round(time.monotonic() - start, 2)
    return result


def _failed(status, reason):
    return {
        "scores": {},
        "possible": 0,
        "feedback": {},
        "flags": [],
        "cell_errors": [],
        "status": status,
        "message": f"could not be graded: {reason}",
    }


def _child(setup, task, fd):
    """In the forked checker process: grade, send the result as JSON on ``fd``, exit."""
    import resource

    code = 0
    try:
        os.setpgid(0, 0)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (limits_mod.CHECKER_ADDRESS_SPACE, hard))
        result = _grade_task(setup, task)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        result["checker_peak_mib"] = round(peak / 1024)
        text = json.dumps(result, ensure_ascii=False, default=str)
        view = memoryview(text.encode())
        while view:
            view = view[os.write(fd, view) :]
    except BaseException:  # noqa: BLE001 - the parent writes the row
        code = 1
    finally:
        os._exit(code)


def run_checkers(setup, tasks, jobs, timeout, on_row):
    """Grade ``tasks`` [(row, task)] in at most ``jobs`` forked checker processes at once.

    Each checker gets ``timeout`` + MARGIN seconds, enforced from here: past it, it is killed
    with everything it started, and its row says so. ``on_row(row)`` runs when a row is done."""
    pending, running = list(tasks), {}
    gc.freeze()  # the checkers' garbage collector leaves the shared pages unwritten (no copy)
    while pending or running:
        while pending and len(running) < jobs:
            row, task = pending.pop(0)
            r, w = os.pipe()
            try:
                pid = os.fork()
            except OSError as exc:  # the machine itself is out of processes
                os.close(r)
                os.close(w)
                row.update(_failed("error", f"no checker process ({exc})"))
                on_row(row)
                continue
            if pid == 0:
                os.close(r)
                _child(setup, task, w)
            os.close(w)
            os.set_blocking(r, False)
            running[r] = (pid, row, [], time.monotonic() + timeout + MARGIN)
        wait = max(0.0, min(d for _, _, _, d in running.values()) - time.monotonic())
        readable, _, _ = select.select(list(running), [], [], min(wait, 1.0))
        now = time.monotonic()
        for r in list(running):
            pid, row, chunks, deadline = running[r]
            done = False
            if r in readable:
                try:
                    chunk = os.read(r, 1 << 20)
                except BlockingIOError:
                    chunk = None
                if chunk:
                    chunks.append(chunk)
                elif chunk == b"":
                    done = True
            if not done and now < deadline:
                continue
            if not done:  # past its limit: stop it and everything it started
                try:
                    os.killpg(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            _, status = os.waitpid(pid, 0)
            limits_mod.cleanup(pid)
            os.close(r)
            del running[r]
            try:
                result = json.loads(b"".join(chunks)) if done else None
            except ValueError:
                result = None
            if result is None and not done:
                result = _failed(
                    "timeout",
                    f"grading ran past its limit of {timeout + MARGIN:g} s and was stopped",
                )
            elif result is None:
                how = (
                    f"signal {os.WTERMSIG(status)}"
                    if os.WIFSIGNALED(status)
                    else f"exit {os.WEXITSTATUS(status)}"
                )
                result = _failed("error", f"the checker stopped ({how})")
            row.update(result)
            on_row(row)


# ------------------------------------------------------------------ the report


def one_line(text, limit=300):
    """Text from a submission as one printable line (control characters and line breaks shown
    as spaces), at most ``limit`` characters."""
    text = re.sub(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]", "", str(text))
    text = re.sub(r"[\s\u2028\u2029\x85]+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def csv_cell(value):
    """A CSV cell a spreadsheet shows as text: one line, and a leading = + - @ (a formula)
    escaped with an apostrophe. Numbers stay numbers."""
    if value is None or isinstance(value, (int, float)):
        return value
    text = one_line(value, 2000)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def write_results(rows, questions, csv_path):
    """One CSV row per submission (scores, total, flags); the same plus feedback as JSON."""
    csv_path = pathlib.Path(csv_path)
    for row in rows:
        row["total"] = sum(row["scores"].values())
    with open(csv_path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(
            ["submission", "assignment"]
            + questions
            + ["total", "possible", "status", "message", "flags"]
        )
        for r in rows:
            w.writerow(
                [csv_cell(r["submission"]), csv_cell(r["assignment"])]
                + [r["scores"].get(q, "") for q in questions]
                + [
                    r["total"],
                    r["possible"],
                    csv_cell(r["status"]),
                    csv_cell(r["message"]),
                    csv_cell("; ".join(r["flags"])),
                ]
            )
    csv_path.with_suffix(".json").write_text(
        json.dumps(rows, indent=1, ensure_ascii=False), encoding="utf-8"
    )


def _console(row):
    """One line per submission; what came from the submission's process is marked as such."""
    line = (
        f"{one_line(row['submission'])}: {sum(row['scores'].values())}/{row['possible']} "
        f"{row['status']}"
    )
    if row["message"]:
        line += f" {one_line(row['message'])}"
    if row.get("cell_errors"):
        line += " | cell errors (from the submission): " + "; ".join(
            one_line(e, 120) for e in row["cell_errors"][:3]
        )
    if row["flags"]:
        line += " | FLAGS (seen in the submission's process): " + "; ".join(
            one_line(f, 120) for f in row["flags"][:6]
        )
    return line


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", help="submission notebooks or folders of them")
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="submissions graded at once (default: the number of cores)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=300,
        help="seconds per submission, all questions together (default 300)",
    )
    parser.add_argument(
        "--call-timeout",
        type=float,
        default=10,
        help="seconds one call of a student's function may take (default 10)",
    )
    parser.add_argument(
        "--cell-timeout",
        type=float,
        default=60,
        help="seconds one notebook cell may run (default 60)",
    )
    parser.add_argument(
        "--memory",
        type=float,
        default=2048,
        help="MiB of memory for all of one submission's processes, shared memory and "
        "temporary files included (default 2048; needs cgroups, see exercises/README.md)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=64,
        help="processes and threads one submission may have (default 64)",
    )
    parser.add_argument(
        "--output",
        default="grades.csv",
        help="CSV file (default grades.csv); the JSON goes next to it",
    )
    parser.add_argument(
        "--autograder",
        help="an autograder zip to use for every submission "
        "(e.g. built from a private copy of the masters)",
    )
    parser.add_argument(
        "--autograder-dir",
        default=str(AUTOGRADER_DIR),
        help="folder of autograder zips, matched to submissions by assignment name",
    )
    parser.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run notebooks without bubblewrap: UNSAFE (a notebook can change "
        "files, read the autograder); only where bubblewrap cannot run",
    )
    args = parser.parse_args(argv)
    for option, value, least in (
        ("--jobs", args.jobs, 1),
        ("--timeout", args.timeout, 1),
        ("--call-timeout", args.call_timeout, 0.1),
        ("--cell-timeout", args.cell_timeout, 0.1),
        ("--memory", args.memory, 64),
        ("--processes", args.processes, 4),
    ):
        if not value >= least:
            print(f"grade.py: {option} must be at least {least:g}; got {value:g}", file=sys.stderr)
            return 2

    if not args.no_sandbox and not checker.has_bwrap():
        print(
            "bubblewrap (bwrap) is missing or cannot create a sandbox here: install it "
            "(Debian/Ubuntu: apt-get install bubblewrap), or pass --no-sandbox to grade "
            "UNSAFELY",
            file=sys.stderr,
        )
        return 2
    try:
        found = find_submissions(args.paths)
    except FileNotFoundError as exc:
        print(f"grade.py: {exc}", file=sys.stderr)
        return 2
    try:
        zips = (
            {assignment_of_zip(args.autograder): pathlib.Path(args.autograder)}
            if args.autograder
            else autograders(args.autograder_dir)
        )
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        print(
            f"grade.py: --autograder {args.autograder or args.autograder_dir}: expected "
            f"otter autograder zips; got {type(exc).__name__}: {one_line(exc, 120)}",
            file=sys.stderr,
        )
        return 2
    limits = {
        "timeout": args.timeout,
        "call_timeout": args.call_timeout,
        "cell_timeout": args.cell_timeout,
    }
    rows, tasks, all_questions, tests_of = [], [], [], {}
    for path in found:
        row = {
            "submission": str(path),
            "assignment": None,
            "scores": {},
            "feedback": {},
            "possible": 0,
            "status": "error",
            "message": "",
            "flags": [],
            "cell_errors": [],
        }
        rows.append(row)
        try:
            name, _ = read_notebook(path)
        except ValueError as exc:
            row.update(status="unreadable", message=f"could not be graded: {exc}")
            continue
        zip_path = zips.get(name) or (next(iter(zips.values())) if len(zips) == 1 else None)
        if zip_path is None:
            row["message"] = (
                f"could not be graded: no autograder for assignment {one_line(name, 80)!r}; "
                f"have {', '.join(map(str, zips)) or 'none'}"
            )
            continue
        try:
            if zip_path not in tests_of:
                tests_of[zip_path] = checker.load_tests(zip_path)
            row["assignment"] = assignment_of_zip(zip_path)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            row["message"] = f"could not be graded: autograder {zip_path}: {one_line(exc, 120)}"
            continue
        tests = tests_of[zip_path]
        all_questions += [q for q, _ in tests if q not in all_questions]
        tasks.append((row, (str(path), stem_of(zip_path, row["assignment"]), tests, limits)))

    import otter.test_files  # noqa: F401

    import lstm_src.feedback  # noqa: F401  (imported once, before the workers fork)

    start = time.monotonic()
    jobs = max(1, min(args.jobs, len(tasks) or 1))
    with tempfile.TemporaryDirectory(prefix="grading-") as work:
        setup = checker.Setup(work, sandbox=not args.no_sandbox)
        setup.memory, setup.processes = int(args.memory * 2**20), args.processes
        for stem in {t[1] for _, t in tasks}:
            setup.build(stem)  # once, before the checkers fork
        checker.warm_up(tests_of.values())  # what every checker would import or parse again
        if tasks:
            kind = limits_mod.Group(setup.memory, setup.processes)
            print(f"limits per submission: {kind.kind}", flush=True)
            kind.remove()
        run_checkers(
            setup,
            tasks,
            jobs,
            args.timeout,
            lambda row: print(_console(row), flush=True),
        )
    if rows:
        write_results(rows, all_questions, args.output)
    took = time.monotonic() - start
    if not tasks:  # one line: why nothing was graded
        if rows:
            why = f"{one_line(rows[0]['submission'], 80)}: {one_line(rows[0]['message'], 160)}"
            more = "; …" if len(rows) > 1 else ""
            what = (
                f"none of the {len(rows)} file(s) could be graded ({why}{more}); "
                f"rows written to {args.output}"
            )
        else:
            what = f"no .ipynb file in {' '.join(args.paths)}"
        print(f"grade.py: nothing to grade: {what}", file=sys.stderr)
        return 2
    for row in rows:
        if row["status"] in ("unreadable", "error") and not row["scores"]:
            print(_console(row), file=sys.stderr, flush=True)
    print(
        f"graded {len(tasks)} submissions in {took:.1f} s with {jobs} jobs; "
        f"wrote {args.output} and {pathlib.Path(args.output).with_suffix('.json')}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
