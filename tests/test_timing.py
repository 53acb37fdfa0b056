"""lstm_src.timing: the speed-ups *Making it fast* prints hold on a busy machine.

The one timed test of the suite (the issue asks for it; benchmarks stay in
benchmarks/): it compares ratios, never absolute times, and takes ~10 s."""
import subprocess
import sys
import time

import numpy as np
import pytest

from lstm_src import fast, lstm, timing
from lstm_src.gradcheck import random_problem
from lstm_src.loss import cross_entropy


def chapter_speedups():
    """Three of the chapter's comparisons, at its sizes: four gate products
    against one stacked product, the reference against the fast gradients,
    fresh against recycled memory at the benchmark's sizes."""
    params, x, a0, y = random_problem(lstm, 16, 32, 8, 8, 30, seed=0)
    rng = np.random.default_rng(0)
    W, b = fast.stack_gate_weights(params)
    W_a, a_prev = W[:32], rng.normal(size=(32, 8))
    gate_weights = [params[f"W_{g}a"] for g in "fuoc"]
    t = timing.compare({"four": lambda: [w.T @ a_prev for w in gate_weights],
                        "one": lambda: W_a.T @ a_prev})
    out = {"stacked product": t["four"] / t["one"]}

    def gradients(module):
        _, y_hat, _, caches = module.lstm_forward(x, a0, params)
        return cross_entropy(y_hat, y), module.lstm_backward(y, caches)

    t = timing.compare({"lstm": lambda: gradients(lstm),
                        "fast": lambda: gradients(fast)})
    out["fast over lstm"] = t["lstm"] / t["fast"]

    big = random_problem(lstm, 64, 128, 32, 32, 50, seed=0)

    def big_step():
        _, _, _, caches = fast.lstm_forward(big[1], big[2], big[0])
        return fast.lstm_backward(big[3], caches)

    keep = fast.POOL.keep

    def fresh_step():
        fast.POOL.keep = 0
        try:
            return big_step()
        finally:
            fast.POOL.keep = keep

    t = timing.compare({"fresh": fresh_step, "recycled": big_step}, repeats=7)
    out["recycled memory"] = t["fresh"] / t["recycled"]
    return out


def _with_both_cores_busy(f):
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                for _ in range(2)]
    try:
        time.sleep(0.5)
        return f()
    finally:
        for p in spinners:
            p.kill()
            p.wait()


def test_speedups_hold_with_both_cores_busy():
    """Two processes spinning on both cores change no printed speed-up by more
    than 25 %.

    The "idle" measurement is itself taken on whatever else the machine runs
    (CI: two busy loops and the other test worker), and the smallest product
    compared takes microseconds: one pair of measurements in five strayed by
    30 % there. So up to three pairs are taken and one within 25 % passes. A
    timing method that depends on the load moves far more on a quiet machine
    (with wall-clock times and two threads the reference/fast ratio went from
    3.9x to 13.8x); beside other busy work the test can tell less."""
    tries = []
    for _ in range(3):
        idle = chapter_speedups()
        busy = _with_both_cores_busy(chapter_speedups)
        off = {k: busy[k] / idle[k] for k in idle}
        tries.append((idle, busy))
        if all(0.75 <= r <= 1.25 for r in off.values()):
            return
    raise AssertionError(f"a speed-up moved by more than 25 % in 3 tries: {tries}")


def test_compare_returns_the_minimum_per_call():
    """A function that sleeps costs no processor time; one that works does."""
    a = np.ones((200, 200))
    t = timing.compare({"matmul": lambda: a @ a, "noop": lambda: None},
                       repeats=3)
    assert list(t) == ["matmul", "noop"]
    assert 0 < t["noop"] < t["matmul"]


@pytest.mark.parametrize("kwargs, message", [
    ({"funcs": {}}, "funcs must be a non-empty dict"),
    ({"funcs": [print]}, "funcs must be a non-empty dict"),
    ({"funcs": {"x": 3}}, "funcs['x'] must be a function; got int"),
    ({"funcs": {"x": print}, "repeats": 0}, "repeats must be an integer >= 1"),
    ({"funcs": {"x": print}, "block": 0}, "block must be a number of seconds"),
])
def test_bad_input_is_one_line_error(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        timing.compare(**kwargs)


def test_machine_names_cores_and_numpy():
    line = timing.machine()
    assert "cores" in line and f"numpy {np.__version__}" in line and "\n" not in line
