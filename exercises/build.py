"""Generate the student notebooks and autograder zips from the masters (otter assign).

    python exercises/build.py                 # every master in exercises/masters/
    python exercises/build.py 02_lstm_forward # only some
    python exercises/build.py --check         # exit 1 if a committed student notebook is stale
    python exercises/build.py --no-run-tests  # skip otter's own run of the tests on the solutions
    python exercises/build.py --solutions     # also solved notebooks for instructors

For each master ``exercises/masters/NN_name.ipynb`` this runs ``otter assign``
in a temporary directory, then

* copies the student notebook (otter's init cell moved under the title) and
  its public tests to ``exercises/NN_name/``
  (committed: Binder users open them from there; ``grader.check`` reads
  ``tests/``), with the cell ids made deterministic so that a rebuild of an
  unchanged master changes nothing;
* copies the autograder zip (solutions and hidden tests; NOT committed) to
  ``exercises/autograder/NN_name.zip``, for ``exercises/grade.py`` and for
  Gradescope: otter's own format, plus ``files/lstm_src/`` (otter copies
  ``files/`` next to the submission, where the tests import lstm_src.feedback
  from) and numpy in its ``environment.yml``.

With ``--solutions [DIR]`` it also writes, for instructors, each assignment's
notebook with its solutions filled in and its public tests, ready to run:
``DIR/NN_name/NN_name.ipynb`` (default ``exercises/solutions/``, NOT
committed: the repository is public).

Unless ``--no-run-tests`` is given, otter assign also executes the solutions
notebook and fails when it does not pass every test.
"""
import argparse
import contextlib
import filecmp
import io
import pathlib
import shutil
import sys
import tempfile
import zipfile

import nbformat

HERE = pathlib.Path(__file__).resolve().parent
MASTERS = HERE / "masters"
AUTOGRADER = HERE / "autograder"
SOLUTIONS = HERE / "solutions"
PACKAGE = HERE.parent / "lstm_src"
#: What the Gradescope image installs besides otter (numpy as in requirements.txt).
EXTRA_PIP = ["numpy>=1.26,<3"]


def masters(names=()):
    """The master notebooks, all of them or those whose stem is in ``names``."""
    found = sorted(MASTERS.glob("[0-9][0-9]_*.ipynb"))
    if names:
        unknown = set(names) - {p.stem for p in found}
        if unknown:
            raise SystemExit(f"no master called {', '.join(sorted(unknown))} in {MASTERS}; "
                             f"have {', '.join(p.stem for p in found)}")
        found = [p for p in found if p.stem in names]
    return found


def assign(master, out_dir, run_tests=True, quiet=True):
    """Run otter assign on ``master``; return (student dir, autograder zip) inside ``out_dir``."""
    from otter.assign import main as otter_assign

    dist = pathlib.Path(out_dir) / "dist"
    # otter resolves the result path relative to the master; give it an absolute one.
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink) if quiet else contextlib.nullcontext():
        otter_assign(str(master), str(dist), no_pdfs=True, no_run_tests=not run_tests)
    student = dist / "student"
    (zip_path,) = (dist / "autograder").glob("*.zip")
    add_package(zip_path)
    _tidy(student / master.name, f"{master.stem[:2]}-s")
    return student, zip_path


def _tidy(nb_path, id_prefix):
    """Otter's init cell under the title, and cell ids that do not change."""
    nb = nbformat.read(nb_path, as_version=4)
    # otter puts its init cell first; under the title it reads better (and the page keeps its title)
    if nb.cells[0].source.startswith("# Initialize Otter") and nb.cells[1].cell_type == "markdown":
        nb.cells[0], nb.cells[1] = nb.cells[1], nb.cells[0]
    for i, cell in enumerate(nb.cells):
        cell.id = f"{id_prefix}{i:02d}"
    nbformat.write(nb, nb_path)


def write_solved(master, out_dir, target):
    """The notebook otter assign solved (in ``out_dir``, after :func:`assign`)
    with the public tests, as the folder ``target``: what a student hands in
    for full marks."""
    student = pathlib.Path(out_dir) / "dist" / "student"
    solved = pathlib.Path(out_dir) / "dist" / "autograder" / master.name
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(student / "tests", target / "tests",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(solved, target / master.name)
    _tidy(target / master.name, f"{master.stem[:2]}-k")
    return target / master.name


def add_package(zip_path, package=PACKAGE):
    """Make the zip a complete Gradescope autograder: lstm_src under files/, numpy in the env."""
    import yaml

    with zipfile.ZipFile(zip_path) as z:
        entries = {n: z.read(n) for n in z.namelist()}
    env = yaml.safe_load(entries["environment.yml"])
    for dep in env["dependencies"]:
        if isinstance(dep, dict) and "pip" in dep:
            dep["pip"] += [r for r in EXTRA_PIP if r not in dep["pip"]]
    entries["environment.yml"] = yaml.safe_dump(env, sort_keys=False).encode()
    for src in sorted(package.rglob("*.py")):
        if "__pycache__" not in src.parts:
            entries[f"files/lstm_src/{src.relative_to(package).as_posix()}"] = src.read_bytes()
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)


def _same_tree(a, b):
    cmp = filecmp.dircmp(a, b)
    if cmp.left_only or cmp.right_only or cmp.diff_files or cmp.funny_files:
        return False
    same, diff, err = filecmp.cmpfiles(a, b, cmp.common_files, shallow=False)
    return not diff and not err and all(_same_tree(a / d, b / d) for d in cmp.common_dirs)


def build(names=(), run_tests=True, check=False, quiet=True, solutions=None):
    """Build (or, with ``check``, compare) the student versions; return the stale ones.

    With ``solutions`` (a folder), also write each solved notebook there
    (:func:`write_solved`)."""
    stale = []
    for master in masters(names):
        target = HERE / master.stem
        with tempfile.TemporaryDirectory() as tmp:
            student, zip_path = assign(master, tmp, run_tests=run_tests, quiet=quiet)
            if solutions is not None:
                solved = write_solved(master, tmp, pathlib.Path(solutions) / master.stem)
                print(f"{master.stem}: solved notebook {solved}")
            for junk in student.rglob("__pycache__"):
                shutil.rmtree(junk)
            if check:
                if not target.is_dir() or not _same_tree(student, target):
                    stale.append(master.stem)
                continue
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(student, target)
            AUTOGRADER.mkdir(exist_ok=True)
            shutil.copy(zip_path, AUTOGRADER / f"{master.stem}.zip")
            print(f"{master.stem}: {target.relative_to(HERE.parent)}/ and "
                  f"{(AUTOGRADER / (master.stem + '.zip')).relative_to(HERE.parent)}")
    return stale


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*",
                        help="master stems, e.g. 02_lstm_forward (default: all)")
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if a committed student notebook differs "
                             "from its master")
    parser.add_argument("--no-run-tests", action="store_true",
                        help="do not run the tests on the solutions while assigning")
    parser.add_argument("--solutions", nargs="?", const=SOLUTIONS, metavar="DIR",
                        help="also write solved notebooks, for instructors, to DIR "
                             "(default exercises/solutions/; not committed)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show otter's output")
    args = parser.parse_args(argv)
    stale = build(args.names, run_tests=not (args.no_run_tests or args.check), check=args.check,
                  quiet=not args.verbose, solutions=args.solutions)
    if stale:
        print("out of date with their masters: " + ", ".join(stale)
              + "\nrun: python exercises/build.py " + " ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
