"""Shared helpers for the tests: random models and data in the book's layout."""
import numpy as np
import pytest
from hypothesis import settings

from lstm_src import lstm, rnn

# The same examples on every run, so CI never fails on a draw a developer never saw;
# HYPOTHESIS_PROFILE=explore draws new ones.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("explore", deadline=None)
settings.load_profile(__import__("os").environ.get("HYPOTHESIS_PROFILE", "ci"))


def random_problem(module, n_x, n_a, n_y, m, T_x, seed=0):
    """Parameters (biases non-zero), inputs x (n_x, m, T_x), a0 (n_a, m), one-hot y (n_y, m, T_x)."""
    rng = np.random.default_rng(seed)
    params = module.init_params(n_x, n_a, n_y, seed=seed)
    for name in params:
        if name.startswith("b_"):
            params[name] = rng.normal(0.0, 0.5, params[name].shape)
    x = rng.normal(size=(n_x, m, T_x))
    a0 = rng.normal(0.0, 0.5, size=(n_a, m))
    y = np.eye(n_y)[:, rng.integers(0, n_y, size=(m, T_x))]
    return params, x, a0, y


@pytest.fixture
def lstm_problem():
    return random_problem(lstm, 3, 4, 3, 2, 3, seed=7)


@pytest.fixture
def rnn_problem():
    return random_problem(rnn, 3, 4, 3, 2, 3, seed=7)
