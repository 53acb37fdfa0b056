"""The environments the README's commands make: the test environment holds
PyTorch's CPU build (no CUDA packages), and Binder's sequence of installs
leaves ``lstm_src`` editable."""
import importlib.metadata
import os
import pathlib
import shutil
import subprocess
import sys
import sysconfig

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_the_test_environment_has_no_cuda_packages():
    """requirements-test.txt gets PyTorch's CPU build: no nvidia-* or triton
    distribution (several GB with a CUDA build), and torch knows no CUDA."""
    names = sorted({(d.metadata["Name"] or "").lower()
                    for d in importlib.metadata.distributions()})
    cuda = [n for n in names if n.startswith("nvidia-") or n == "triton"]
    assert not cuda, f"CUDA packages in the test environment: {cuda}"
    torch = pytest.importorskip("torch")
    assert torch.version.cuda is None, torch.__version__


def test_requirements_ask_for_the_cpu_wheels():
    """The CPU wheels' page is where pip looks for torch, pinned exactly."""
    lines = (ROOT / "requirements-test.txt").read_text().splitlines()
    assert "--find-links https://download.pytorch.org/whl/cpu/torch/" in lines
    assert any(line.startswith("torch==") for line in lines)


def test_binder_installs_lstm_src_editable(tmp_path):
    """repo2docker reads binder/ when it exists, and then never runs `pip
    install .` (repo2docker's Python build pack, `_is_python_package`), which
    would replace the editable install. Its one install, `pip install -r
    binder/requirements.txt` from the repository's root, run here in a fresh
    environment on a copy of the repository, leaves lstm_src editable: an
    edit to the copy shows on the next import."""
    assert (ROOT / "binder" / "requirements.txt").is_file()
    assert (ROOT / "binder" / "runtime.txt").is_file()
    assert not (ROOT / "runtime.txt").exists(), "repo2docker ignores it now"
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("pyproject.toml", "README.md", "requirements.txt"):
        shutil.copy(ROOT / name, repo / name)
    for name in ("lstm_src", "binder"):
        shutil.copytree(ROOT / name, repo / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    # A fresh environment that sees this one's packages (so nothing is
    # downloaded) through a .pth line; its own lstm_src comes from the install.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)],
                   check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True, capture_output=True, text=True).stdout.strip()
    ours = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    pathlib.Path(site, "_parent_env.pth").write_text("\n".join(sorted(ours)))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PIP_", "PYTHON"))}
    env.update({"PIP_NO_INDEX": "1", "PIP_NO_BUILD_ISOLATION": "0",
                "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    done = subprocess.run(
        [python, "-m", "pip", "install", "-r", "binder/requirements.txt"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    probe = [python, "-c",
             "import lstm_src; print(lstm_src.__file__); "
             "print(getattr(lstm_src, 'EDITED', 'no'))"]
    where = subprocess.run(probe, cwd=tmp_path, env=env, check=True,
                           capture_output=True, text=True).stdout.split()
    assert where == [str(repo / "lstm_src" / "__init__.py"), "no"], where
    with open(repo / "lstm_src" / "__init__.py", "a") as f:
        f.write("\nEDITED = 'yes'\n")
    where = subprocess.run(probe, cwd=tmp_path, env=env, check=True,
                           capture_output=True, text=True).stdout.split()
    assert where[1] == "yes", where
