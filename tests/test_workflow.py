"""The publishing workflow (.github/workflows/book.yml) is a valid GitHub Actions
workflow that builds the book with warnings as errors on every push and pull
request and deploys it to Pages only from main; Binder's Python (binder/runtime.txt) is
the one CI tests."""
import pathlib
import re
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"


def load():
    text = WORKFLOW.read_text()
    # YAML 1.1 reads the key `on` as True.
    return text, {("on" if k is True else k): v for k, v in yaml.safe_load(text).items()}


def test_workflow_matches_the_github_workflow_schema():
    """book.yml validates against the GitHub workflow schema that check-jsonschema ships."""
    pytest.importorskip("check_jsonschema")
    run = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                          "vendor.github-workflows", str(WORKFLOW)],
                         check=False, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.skipif(shutil.which("actionlint") is None, reason="actionlint is not installed")
def test_actionlint_finds_nothing():
    """actionlint (when installed) reports no problem in book.yml."""
    run = subprocess.run(["actionlint", "-shellcheck=", "-pyflakes=", str(WORKFLOW)],
                         check=False, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_builds_everywhere_and_deploys_only_from_main():
    """Every push and pull request builds with -W; only main uploads and deploys to Pages."""
    _, flow = load()
    assert {"push", "pull_request"} <= set(flow["on"])
    assert "branches" not in (flow["on"]["push"] or {}), "the build must run on every push"
    build, deploy = flow["jobs"]["build"], flow["jobs"]["deploy"]
    runs = [s.get("run", "") for s in build["steps"]]
    assert any("jupyter-book build . -W -n --keep-going" in r for r in runs)
    assert any("-r requirements.txt" in r for r in runs)
    # the PDF is printed after the build, into the folder Pages publishes
    build_at = next(i for i, r in enumerate(runs) if "jupyter-book build" in r)
    pdf_at = next(i for i, r in enumerate(runs) if "tools/book_pdf.py _build/html" in r)
    upload_at = next(i for i, s in enumerate(build["steps"])
                     if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert build_at < pdf_at < upload_at
    main_only = "github.event_name != 'pull_request' && github.ref == 'refs/heads/main'"
    uses = {s.get("uses", "").split("@")[0]: s for s in build["steps"]}
    for action in ("actions/configure-pages", "actions/upload-pages-artifact"):
        assert uses[action].get("if") == main_only, action
    assert uses["actions/upload-pages-artifact"]["with"]["path"] == "_build/html"
    assert deploy["if"] == main_only and deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["steps"][-1]["uses"].startswith("actions/deploy-pages@")
    assert flow.get("permissions") == {"contents": "read"}


def test_binder_python_is_the_one_ci_tests():
    """binder/runtime.txt pins Binder to the Python the workflow and the README's commands use."""
    runtime = (ROOT / "binder" / "runtime.txt").read_text().strip()
    match = re.fullmatch(r"python-(3\.\d+)", runtime)
    assert match, f"runtime.txt should read python-3.X, not {runtime!r}"
    version = match.group(1)
    _, flow = load()
    setup = next(s for s in flow["jobs"]["build"]["steps"]
                 if s.get("uses", "").startswith("actions/setup-python@"))
    assert str(setup["with"]["python-version"]) == version
    assert f"python{version} -m venv" in (ROOT / "README.md").read_text()
