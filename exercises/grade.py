"""Grade student submissions on this machine, each in a sandbox, several at once.

    python exercises/grade.py SUBMISSION_OR_FOLDER [...] [--jobs N] [--timeout 300]
        [--call-timeout 10] [--cell-timeout 60] [--output grades.csv]

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

It writes one row per submission to ``--output`` (CSV: every question's score,
total, possible, status, message, flags) and the same name with ``.json``
(plus each question's feedback, the cells that failed and the flags: what the
grading saw, e.g. "q5 called lstm_src.lstm.lstm_backward", "patched
lstm_src.feedback.check_array", "tried to write to /…").
"""

import argparse
import csv
import importlib.util
import json
import multiprocessing
import os
import pathlib
import re
import sys
import tempfile
import time
import zipfile

HERE = pathlib.Path(__file__).resolve().parent
AUTOGRADER_DIR = HERE / "autograder"
if str(HERE) not in sys.path:  # grading/ lives next to this script
    sys.path.insert(0, str(HERE))

from grading import checker, policy  # noqa: E402


def find_submissions(paths):
    """Every .ipynb under ``paths`` (files are taken as they are), sorted."""
    found = []
    for p in map(pathlib.Path, paths):
        if p.is_dir():
            found += sorted(q for q in p.rglob("*.ipynb") if ".ipynb_checkpoints" not in q.parts)
        elif p.is_file():
            found.append(p)
        else:
            raise SystemExit(f"no such file or folder: {p}")
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


def read_notebook(path):
    """(assignment name or None, [code cell sources]); ValueError when it is not a notebook."""
    try:
        nb = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(
            f"not a readable notebook ({type(exc).__name__}: {str(exc)[:120]})"
        ) from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError("not a readable notebook (no list of cells)")
    cells = []
    for c in nb["cells"]:
        if isinstance(c, dict) and c.get("cell_type") == "code":
            src = c.get("source", "")
            cells.append("".join(src) if isinstance(src, list) else str(src))
    try:
        name = nb["metadata"]["otter"]["assignment_name"]
    except (KeyError, TypeError):
        name = None
    return name, cells


# ------------------------------------------------------------------ the workers

_SETUP = None


def _init_worker(setup):
    global _SETUP
    _SETUP = setup
    import numpy  # noqa: F401  (imported once per worker, not per submission)
    import otter.test_files  # noqa: F401

    import lstm_src.feedback  # noqa: F401


def _grade_task(task):
    path, stem, tests, limits = task
    start = time.monotonic()
    try:
        _, cells = read_notebook(path)
        result = checker.grade_cells(_SETUP, stem, cells, tests, limits)
    except Exception as exc:  # noqa: BLE001 - one broken submission must not stop the class
        result = {
            "scores": {},
            "possible": 0,
            "feedback": {},
            "flags": [],
            "cell_errors": [],
            "status": "error",
            "message": f"grading failed: {type(exc).__name__}: {exc}",
        }
    result["seconds"] = round(time.monotonic() - start, 2)
    return result


# ------------------------------------------------------------------ the report


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
                [r["submission"], r["assignment"]]
                + [r["scores"].get(q, "") for q in questions]
                + [r["total"], r["possible"], r["status"], r["message"], "; ".join(r["flags"])]
            )
    csv_path.with_suffix(".json").write_text(
        json.dumps(rows, indent=1, ensure_ascii=False), encoding="utf-8"
    )


def _console(row):
    line = f"{row['submission']}: {sum(row['scores'].values())}/{row['possible']} {row['status']}"
    if row["message"]:
        line += f" {row['message']}"
    if row.get("cell_errors"):
        line += " | cells: " + "; ".join(row["cell_errors"][:3])
    if row["flags"]:
        line += " | FLAGS: " + "; ".join(row["flags"][:6])
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

    if not args.no_sandbox and not checker.has_bwrap():
        print(
            "bubblewrap (bwrap) is missing or cannot create a sandbox here: install it "
            "(Debian/Ubuntu: apt-get install bubblewrap), or pass --no-sandbox to grade "
            "UNSAFELY",
            file=sys.stderr,
        )
        return 2
    zips = (
        {assignment_of_zip(args.autograder): pathlib.Path(args.autograder)}
        if args.autograder
        else autograders(args.autograder_dir)
    )
    limits = {
        "timeout": args.timeout,
        "call_timeout": args.call_timeout,
        "cell_timeout": args.cell_timeout,
    }
    rows, tasks, all_questions, tests_of = [], [], [], {}
    for path in find_submissions(args.paths):
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
            row.update(status="unreadable", message=str(exc))
            continue
        zip_path = zips.get(name) or (next(iter(zips.values())) if len(zips) == 1 else None)
        if zip_path is None:
            row["message"] = (
                f"no autograder for assignment {name!r}; have {', '.join(map(str, zips)) or 'none'}"
            )
            continue
        if zip_path not in tests_of:
            tests_of[zip_path] = checker.load_tests(zip_path)
        tests = tests_of[zip_path]
        all_questions += [q for q, _ in tests if q not in all_questions]
        row["assignment"] = assignment_of_zip(zip_path)
        tasks.append((row, (str(path), stem_of(zip_path, row["assignment"]), tests, limits)))

    import otter.test_files  # noqa: F401

    import lstm_src.feedback  # noqa: F401  (imported once, before the workers fork)

    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="grading-") as work:
        setup = checker.Setup(work, sandbox=not args.no_sandbox)
        for stem in {t[1] for _, t in tasks}:
            setup.build(stem)  # once, before the workers fork
        jobs = max(1, min(args.jobs, len(tasks) or 1))
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(jobs, initializer=_init_worker, initargs=(setup,)) as pool:
            for (row, _), result in zip(tasks, pool.imap(_grade_task, [t for _, t in tasks])):
                row.update(result)
                print(_console(row), flush=True)
    for row in rows:
        if row["status"] in ("unreadable", "error") and not row["scores"]:
            print(_console(row), file=sys.stderr, flush=True)
    write_results(rows, all_questions, args.output)
    took = time.monotonic() - start
    print(
        f"graded {len(tasks)} submissions in {took:.1f} s with {jobs if tasks else 0} jobs; "
        f"wrote {args.output} and {pathlib.Path(args.output).with_suffix('.json')}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
