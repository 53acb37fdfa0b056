"""Grade student submissions on this machine: otter run, one submission at a time, with a time limit.

    python exercises/grade.py SUBMISSION_OR_FOLDER [...] [--timeout 300] [--output grades.csv]

A submission is a student's ``.ipynb`` (a folder is searched recursively for
them). For each one this script

1. resets the notebook's kernel to ``python3`` in a temporary copy (a student's
   own kernel name, e.g. from Binder or a conda env, would otherwise make
   ``otter run`` fail with "No such kernel");
2. finds the autograder zip of its assignment from the notebook's metadata
   (``exercises/autograder/NN_name.zip``, built by ``exercises/build.py``; built
   now if missing), or uses ``--autograder``;
3. runs ``otter run`` in a subprocess and kills it, with its kernel, after
   ``--timeout`` seconds: an infinite loop scores 0 with a message instead of
   hanging the grading;
4. writes one row per submission, with every question's score, to
   ``--output`` (CSV) and the same name with ``.json`` (scores plus the
   feedback of every question).
"""
import argparse
import csv
import importlib.util
import json
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import zipfile

HERE = pathlib.Path(__file__).resolve().parent
AUTOGRADER_DIR = HERE / "autograder"


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


def questions_of_zip(zip_path):
    """{question name: points possible} from the zip's test files."""
    from otter.test_files import ExceptionTestFile

    out = {}
    with zipfile.ZipFile(zip_path) as z, tempfile.TemporaryDirectory() as tmp:
        for name in sorted(n for n in z.namelist() if n.startswith("tests/") and n.endswith(".py")):
            path = z.extract(name, tmp)
            tf = ExceptionTestFile.from_file(path)
            out[tf.name] = tf.possible
    return out


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


def reset_kernel(nb):
    """Point the notebook at the standard python3 kernel, whatever the student's machine called it."""
    nb.setdefault("metadata", {})["kernelspec"] = {
        "name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def _descendants(pid):
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    except FileNotFoundError:  # no pgrep: the process group kill below still applies
        return []
    kids = [int(p) for p in out.split()]
    return kids + [d for k in kids for d in _descendants(k)]


def _kill_tree(proc):
    """Kill otter run and everything it started (the kernel runs in a session of its own)."""
    for pid in [proc.pid] + _descendants(proc.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.communicate()


def grade_one(path, zip_path, questions, timeout):
    """Grade one notebook; return a dict row (scores, total, status, message, feedback)."""
    row = {"submission": str(path), "scores": {q: 0 for q in questions}, "feedback": {},
           "possible": sum(questions.values()), "status": "ok", "message": ""}
    try:
        nb = reset_kernel(json.loads(pathlib.Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        return {**row, "status": "error", "message": f"not a readable notebook: {exc}"}
    with tempfile.TemporaryDirectory() as tmp:
        sub = pathlib.Path(tmp) / pathlib.Path(path).name
        sub.write_text(json.dumps(nb), encoding="utf-8")
        out_dir = pathlib.Path(tmp) / "out"
        out_dir.mkdir()
        cmd = [sys.executable, "-m", "otter", "run", "--no-logo", "-a", str(zip_path),
               "-o", str(out_dir), str(sub)]
        proc = subprocess.Popen(cmd, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, start_new_session=True)
        try:
            log, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_tree(proc)
            return {**row, "status": "timeout",
                    "message": f"did not finish within {timeout} s (an infinite loop, or very slow code?): "
                               "scored 0"}
        results = out_dir / "results.json"
        if proc.returncode != 0 or not results.is_file():
            last = log.strip().splitlines()[-1] if log.strip() else "no output"
            return {**row, "status": "error", "message": f"otter run failed: {last}"}
        for test in json.loads(results.read_text())["tests"]:
            if test.get("name") in questions:
                row["scores"][test["name"]] = test.get("score", 0)
                row["feedback"][test["name"]] = test.get("output", "")
    return row


def write_results(rows, questions, csv_path):
    """One CSV row per submission (question scores, total) and the same plus feedback as JSON."""
    csv_path = pathlib.Path(csv_path)
    for row in rows:
        row["total"] = sum(row["scores"].values())
    with open(csv_path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["submission", "assignment"] + questions + ["total", "possible", "status", "message"])
        for r in rows:
            w.writerow([r["submission"], r["assignment"]] + [r["scores"].get(q, "") for q in questions]
                       + [r["total"], r["possible"], r["status"], r["message"]])
    csv_path.with_suffix(".json").write_text(json.dumps(rows, indent=1, ensure_ascii=False), encoding="utf-8")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", help="submission notebooks or folders of them")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per submission (default 300)")
    parser.add_argument("--output", default="grades.csv", help="CSV file (default grades.csv); "
                        "the JSON goes next to it")
    parser.add_argument("--autograder", help="an autograder zip to use for every submission "
                        "(e.g. built from a private copy of the masters)")
    parser.add_argument("--autograder-dir", default=str(AUTOGRADER_DIR),
                        help="folder of autograder zips, matched to submissions by assignment name")
    args = parser.parse_args(argv)

    zips = ({assignment_of_zip(args.autograder): pathlib.Path(args.autograder)} if args.autograder
            else autograders(args.autograder_dir))
    rows, all_questions = [], []
    for path in find_submissions(args.paths):
        try:
            name = json.loads(path.read_text(encoding="utf-8"))["metadata"]["otter"]["assignment_name"]
        except (OSError, ValueError, KeyError, TypeError):
            name = None
        zip_path = zips.get(name) or (next(iter(zips.values())) if len(zips) == 1 else None)
        if zip_path is None:
            rows.append({"submission": str(path), "assignment": name, "scores": {}, "feedback": {},
                         "possible": 0, "status": "error",
                         "message": f"no autograder for assignment {name!r}; have {', '.join(map(str, zips))}"})
            continue
        questions = questions_of_zip(zip_path)
        all_questions += [q for q in questions if q not in all_questions]
        row = grade_one(path, zip_path, questions, args.timeout)
        row["assignment"] = assignment_of_zip(zip_path)
        rows.append(row)
        print(f"{path}: {sum(row['scores'].values())}/{row['possible']} {row['status']} {row['message']}")
    write_results(rows, all_questions, args.output)
    print(f"wrote {args.output} and {pathlib.Path(args.output).with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
