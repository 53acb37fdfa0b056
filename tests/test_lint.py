"""Hygiene: the code passes the project's ruff configuration ([tool.ruff] in pyproject.toml)."""
import pathlib
import subprocess
import sys

import pytest

pytest.importorskip("ruff", reason="ruff is in requirements-test.txt; CI installs it")

ROOT = pathlib.Path(__file__).resolve().parents[1]


def ruff(*args):
    return subprocess.run([sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_ruff_uses_the_project_configuration():
    """`ruff check .` from the repository root reads pyproject.toml, not a user-wide config."""
    proc = ruff("check", "--show-settings", ".")
    assert proc.returncode == 0, proc.stderr
    assert f'Settings path: "{ROOT / "pyproject.toml"}"' in proc.stdout
    assert "linter.line_length = 100" in proc.stdout


def test_code_passes_ruff():
    """The code passes the project's ruff configuration."""
    proc = ruff("check", "--no-cache", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr
