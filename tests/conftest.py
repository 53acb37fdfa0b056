"""Shared helpers for the tests: random models and data in the book's layout, and
the system tools some tests need (``@pytest.mark.needs_system("bwrap")``)."""
import functools
import os
import shutil
import subprocess

import pytest
from hypothesis import settings

from lstm_src import lstm, rnn
from lstm_src.gradcheck import random_problem

# The same examples on every run, so CI never fails on a draw a developer never saw;
# HYPOTHESIS_PROFILE=explore draws new ones.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Under pytest, nbval runs "Training on real text" with 150 training steps instead of the
# build's 600 (its kernel inherits this environment): every assert of the page still holds,
# in a quarter of the time. `pytest book/part4/training_on_text.ipynb` alone runs it in full.
os.environ.setdefault("TRAIN_ON_TEXT_STEPS", "150")


@pytest.fixture
def lstm_problem():
    return random_problem(lstm, 3, 4, 3, 2, 3, seed=7)


@pytest.fixture
def rnn_problem():
    return random_problem(rnn, 3, 4, 3, 2, 3, seed=7)


# Tools from the system's packages (not pip) that some tests need, how to check
# that each works, and how to get it.
SYSTEM_TOOLS = {
    "bwrap": (["bwrap", "--ro-bind", "/", "/", "--unshare-all",
               "--die-with-parent", "true"],
              "bubblewrap (bwrap), the graders' sandbox: `apt-get install "
              "bubblewrap` (.ci/run installs it)"),
}
STRICT = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@functools.cache
def _missing(tool):
    """Why ``tool`` cannot be used here, or None."""
    probe, how = SYSTEM_TOOLS[tool]
    if not shutil.which(probe[0]):
        return f"needs {how}"
    try:
        done = subprocess.run(probe, capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"needs a working {how}: {exc}"
    if done.returncode:
        return (f"needs a working {how}: `{' '.join(probe)}` failed: "
                f"{done.stderr.decode(errors='replace').strip()[:200]}")
    return None


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "needs_system(tool): skips without the system tool "
        "(fails under CI=true)")


def pytest_runtest_setup(item):
    for mark in item.iter_markers("needs_system"):
        for tool in mark.args:
            reason = _missing(tool)
            if reason and STRICT:
                pytest.fail(f"CI=true but this test cannot run: {reason}")
            if reason:
                pytest.skip(reason)
