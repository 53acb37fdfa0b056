"""The Colab setup cell (tools/colab_cell.py): every chapter notebook has exactly one,
as its first code cell, hidden in the HTML and matching _config.yml's repository; and
on a stand-in Colab without lstm_src it installs lstm_src from the repository and the
chapter runs."""
import importlib.util
import json
import os
import pathlib
import shutil
import subprocess
import sys
import sysconfig
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("colab_cell", ROOT / "tools" / "colab_cell.py")
colab_cell = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(colab_cell)

CHAPTERS = colab_cell.chapter_notebooks()


def test_there_are_chapter_notebooks():
    """The tool finds the chapter notebooks the table of contents lists."""
    assert len(CHAPTERS) >= 10, CHAPTERS


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: str(p.relative_to(ROOT)))
def test_chapter_has_current_colab_cell(path):
    """The chapter's first code cell is its one Colab cell, hidden, for _config.yml's repository."""
    why = colab_cell.stale(path)
    assert why is None, f"{path.relative_to(ROOT)} {why}: run `python tools/colab_cell.py`"
    nb = json.loads(path.read_text())
    cell = next(c for c in nb["cells"] if c["cell_type"] == "code")
    url, branch = colab_cell.repository()
    assert f"git+{url}@{branch}" in "".join(cell["source"])
    assert "remove-cell" in cell["metadata"]["tags"]


def _fake_book(tmp_path, url):
    """A book root in tmp_path: the real config files with another repository url."""
    root = tmp_path / "book_root"
    (root / "book" / "part1").mkdir(parents=True)
    for name in ("_toc.yml", "requirements.txt"):
        shutil.copy(ROOT / name, root / name)
    config = (ROOT / "_config.yml").read_text()
    old_url, _ = colab_cell.repository()
    (root / "_config.yml").write_text(config.replace(old_url, url))
    src = ROOT / "book" / "part1" / "dot_product.ipynb"
    nb = json.loads(src.read_text())
    nb["cells"] = [c for c in nb["cells"] if not colab_cell.is_colab_cell(c)]
    (root / "book" / "part1" / "dot_product.ipynb").write_text(colab_cell.dumps(nb))
    return root, root / "book" / "part1" / "dot_product.ipynb"


def test_tool_inserts_updates_and_is_idempotent(tmp_path):
    """The tool inserts one cell, rewrites it for a new url, and a second run changes nothing."""
    root, nb_path = _fake_book(tmp_path, "https://github.com/someone/fork")
    assert colab_cell.main(["--check", "--root", str(root)]) == 1
    assert colab_cell.main(["--root", str(root)]) == 0
    text = nb_path.read_text()
    assert "git+https://github.com/someone/fork@main" in text
    assert colab_cell.main(["--check", "--root", str(root)]) == 0
    assert colab_cell.main(["--root", str(root)]) == 0
    assert nb_path.read_text() == text, "a second run changed the notebook"
    config = root / "_config.yml"
    config.write_text(config.read_text().replace("someone/fork", "other/fork2"))
    assert colab_cell.main(["--check", "--root", str(root)]) == 1
    colab_cell.main(["--root", str(root)])
    nb = json.loads(nb_path.read_text())
    ours = [c for c in nb["cells"] if colab_cell.is_colab_cell(c)]
    assert len(ours) == 1 and "other/fork2@main" in "".join(ours[0]["source"])
    first_code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    assert first_code is ours[0] or first_code == ours[0]


def _git(*args, cwd):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd,
                   check=True, capture_output=True)


RUNNER = """
import sys, nbformat, nbclient
sys.path.insert(0, sys.argv[3])
import kernel_wait
kernel_wait.install()
path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
nb.cells.append(nbformat.v4.new_code_cell(
    "import lstm_src, sys\\nprint('LSTM_SRC', lstm_src.__file__, sys.executable)"))
# Now and then (in one run in three to eight here, after a cell with widgets) the client's
# asyncio poller misses the wake-up for a reply that has arrived; tools/kernel_wait.py
# (the book build's fix) waits in half-second slices, so that costs at most half a second.
# Each cell's timeout is one it cannot need, even on a machine busy with other work:
# 300 s for the Colab cell's pip install, 60 s for the chapter's own cells (each takes
# well under 1 s when the machine is idle).
def timeout_of(cell):
    return 300 if "google.colab" in cell.source else 60
nbclient.NotebookClient(nb, timeout_func=timeout_of, kernel_name="python3",
                        resources={"metadata": {"path": sys.argv[2]}}).execute()
print(nb.cells[-1].outputs[0]["text"])
"""


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_chapter_runs_on_a_stand_in_colab(tmp_path):
    """Without lstm_src, on a stand-in Colab, the cell installs it from the repository and the
    chapter runs."""
    start = time.perf_counter()
    url, branch = colab_cell.repository()
    # The repository, as Colab would clone it: the package and its build files, on `branch`.
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, repo / name)
    shutil.copytree(ROOT / "lstm_src", repo / "lstm_src",
                    ignore=shutil.ignore_patterns("__pycache__"))
    _git("init", "-q", "-b", branch, cwd=repo)
    _git("add", ".", cwd=repo)
    _git("commit", "-q", "-m", "snapshot", cwd=repo)
    # A fresh environment without lstm_src, that sees this one's other packages
    # (numpy, matplotlib, ipywidgets, the kernel, pip) through a .pth line; .pth
    # files of that folder (the editable lstm_src) are not read from there.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          check=True, capture_output=True, text=True).stdout.strip()
    ours = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    pathlib.Path(site, "_parent_env.pth").write_text("\n".join(sorted(ours)) + "\n")
    # A stand-in google.colab, imported at start-up as Colab's kernel does.
    stub = tmp_path / "stub"
    (stub / "google" / "colab").mkdir(parents=True)
    (stub / "google" / "colab" / "__init__.py").write_text('"""Stand-in for Colab."""\n')
    (stub / "sitecustomize.py").write_text("import google.colab  # noqa: F401\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON", "GIT_"))}
    env.update({
        "PYTHONPATH": str(stub),
        # pip clones the repository's address; git fetches it from the local copy.
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"url.{repo}.insteadOf", "GIT_CONFIG_VALUE_0": url,
        # Nothing from a package index: everything else must already be there, and
        # the build uses this environment's setuptools (pip reads "0" here as
        # --no-build-isolation).
        "PIP_NO_INDEX": "1", "PIP_NO_BUILD_ISOLATION": "0",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    })
    probe = subprocess.run([python, "-c", "import google.colab, lstm_src"], env=env, check=False,
                           capture_output=True, text=True, cwd=tmp_path)
    assert "No module named 'lstm_src'" in probe.stderr, probe.stderr
    # The chapter, with its Colab cell as the tool writes it.
    chapter = tmp_path / "book" / "part1"
    chapter.mkdir(parents=True)
    src = ROOT / "book" / "part1" / "dot_product.ipynb"
    nb = colab_cell.with_colab_cell(json.loads(src.read_text()))
    (chapter / src.name).write_text(colab_cell.dumps(nb))
    run = subprocess.run([python, "-c", RUNNER, str(chapter / src.name), str(chapter),
                          str(ROOT / "tools")],
                         env=env, check=False, capture_output=True, text=True, cwd=chapter,
                         timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    where = run.stdout.strip().splitlines()[-1]
    assert where.startswith(f"LSTM_SRC {venv}"), where    # installed into the fresh environment
    assert str(python) in where or str(venv) in where.split()[-1], where
    print(f"stand-in Colab run: {time.perf_counter() - start:.1f} s")
