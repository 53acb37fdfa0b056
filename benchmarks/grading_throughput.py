"""How many submissions a minute exercises/grade.py grades: 100 mixed notebooks, --jobs N.

    python benchmarks/grading_throughput.py [--jobs 2] [--count 100]

The notebooks are every assignment's solution and blank notebook, wrong answers and the
cheaters of tests/test_grading.py, repeated to ``--count``; the autograder zips
are built from the masters in a temporary folder. Prints the wall time and the
rate; exercises/README.md quotes the figure.
"""

import argparse
import importlib.util
import itertools
import pathlib
import subprocess
import sys
import tempfile
import time

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("test_grading", ROOT / "tests" / "test_grading.py")
tg = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tg)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--count", type=int, default=100)
    args = parser.parse_args()
    kinds = [(f"solution_{s}", s, {}) for s in tg.STEMS]
    kinds += [(f"blank_{s}", s, {"solved": False}) for s in tg.STEMS]
    kinds += [(name, stem, kw) for name, stem, kw, _, _ in tg.CHEATERS]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        (tmp / "zips").mkdir()
        (tmp / "subs").mkdir()
        for master in tg.build.masters():
            _, z = tg.build.assign(master, tmp / master.stem, run_tests=False)
            (tmp / "zips" / f"{master.stem}.zip").write_bytes(pathlib.Path(z).read_bytes())
        for i, (name, stem, kw) in zip(range(args.count), itertools.cycle(kinds)):
            nbformat.write(tg.notebook(stem, **kw), tmp / "subs" / f"{i:03d}_{name}.ipynb")
        start = time.monotonic()
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "exercises" / "grade.py"),
                str(tmp / "subs"),
                "--autograder-dir",
                str(tmp / "zips"),
                "--jobs",
                str(args.jobs),
                "--call-timeout",
                "2",
                "--output",
                str(tmp / "grades.csv"),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        took = time.monotonic() - start
    print(
        f"{args.count} submissions, --jobs {args.jobs}: {took:.1f} s, "
        f"{60 * args.count / took:.1f} a minute"
    )


if __name__ == "__main__":
    main()
