"""Shared helpers for the tests: random models and data in the book's layout."""
import os

import pytest
from hypothesis import settings

from lstm_src import lstm, rnn
from lstm_src.gradcheck import random_problem

# The same examples on every run, so CI never fails on a draw a developer never saw;
# HYPOTHESIS_PROFILE=explore draws new ones.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

@pytest.fixture
def lstm_problem():
    return random_problem(lstm, 3, 4, 3, 2, 3, seed=7)


@pytest.fixture
def rnn_problem():
    return random_problem(rnn, 3, 4, 3, 2, 3, seed=7)
