"""Forward + backward of lstm_src.lstm, lstm_src.fast and torch.nn.LSTM, timed in one process.

Each timed call is a whole training step's gradient work: the LSTM over the
sequence, the softmax / cross-entropy output layer at every step, the loss J
(summed over time, averaged over the batch) and every gradient. The
implementations take turns, so that a busy moment on a shared machine hits
them alike: a turn is a pause, one untimed call, then BLOCK timed calls back
to back, as in a training loop. The pause matters. After a matrix product,
numpy's OpenBLAS keeps its worker thread spinning on a core for about 0.1 s
(OPENBLAS_THREAD_TIMEOUT, 2**28 cycles by default), waiting for the next
one; a PyTorch call made straight after a numpy call loses that core and, at
these sizes, takes up to twice its time. Taking turns call by call
(--block 0: no pause, one timed call a turn) shows that distortion. The
table gives medians over all timed calls, and their ratios.

    python benchmarks/bench_lstm.py                 # the issue's shapes, 2 threads
    python benchmarks/bench_lstm.py --repeats 15 --threads 1 --no-scaling

Needs torch (requirements-test.txt). Not a test: pytest does not collect it.
"""
import argparse
import os
import platform
import time


def _parse():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7,
                    help="turns of each implementation (default 7)")
    ap.add_argument("--block", type=int, default=3,
                    help="timed calls a turn, after a pause and one untimed call (default 3);"
                         " 0: one timed call a turn, no pause, no untimed call")
    ap.add_argument("--threads", type=int, default=2, help="BLAS and torch threads (default 2)")
    ap.add_argument("--shape", type=int, nargs=5, default=[64, 128, 32, 32, 50],
                    metavar=("N_X", "N_A", "N_Y", "M", "T_X"), help="default 64 128 32 32 50")
    ap.add_argument("--no-scaling", action="store_true",
                    help="skip the tables of fast/torch against T_x and n_a")
    return ap.parse_args()


ARGS = _parse()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)  # before numpy loads its BLAS

import numpy as np
import torch

from lstm_src import fast, loss, lstm
from lstm_src.gradcheck import random_problem

#: Seconds of rest before a turn: longer than OpenBLAS's default spin (about 0.1 s).
PAUSE = 0.25


def numpy_step(module, x, a0, params, y):
    """J and every gradient with one of the numpy implementations."""
    _, y_hat, _, caches = module.lstm_forward(x, a0, params)
    return loss.cross_entropy(y_hat, y), module.lstm_backward(y, caches)


def torch_step(shape, dtype):
    """A closure: J and every gradient with torch.nn.LSTM + Linear + cross_entropy."""
    n_x, n_a, n_y, m, T_x = shape
    gen = torch.Generator().manual_seed(0)
    rnn = torch.nn.LSTM(n_x, n_a, dtype=dtype)
    out = torch.nn.Linear(n_a, n_y, dtype=dtype)
    x = torch.randn(T_x, m, n_x, generator=gen, dtype=dtype, requires_grad=True)
    h0 = (0.5 * torch.randn(1, m, n_a, generator=gen, dtype=dtype)).requires_grad_()
    c0 = torch.zeros(1, m, n_a, dtype=dtype)
    labels = torch.randint(0, n_y, (T_x * m,), generator=gen)

    def step():
        rnn.zero_grad(set_to_none=True)
        out.zero_grad(set_to_none=True)
        x.grad = h0.grad = None
        hs, _ = rnn(x, (h0, c0))
        logits = out(hs).reshape(T_x * m, n_y)
        J = torch.nn.functional.cross_entropy(logits, labels, reduction="sum") / m
        J.backward()
        return J

    return step


def medians(shape, np_dtype, repeats, with_reference=True):
    """Median seconds of each implementation's timed calls, taking turns."""
    params, x, a0, y = random_problem(lstm, *shape, seed=0)
    params = {k: v.astype(np_dtype) for k, v in params.items()}
    x, a0, y = x.astype(np_dtype), a0.astype(np_dtype), y.astype(np_dtype)
    runs = {"fast": lambda: numpy_step(fast, x, a0, params, y),
            "torch": torch_step(shape, getattr(torch, np.dtype(np_dtype).name))}
    if with_reference:
        runs["lstm"] = lambda: numpy_step(lstm, x, a0, params, y)
    times = {k: [] for k in runs}
    for f in runs.values():  # warm up
        f()
    for _ in range(repeats):
        for name, f in runs.items():
            if ARGS.block:
                time.sleep(PAUSE)  # the other library's idle threads go to sleep
                f()  # this one's wake up
            for _ in range(max(1, ARGS.block)):
                t0 = time.perf_counter()
                f()
                times[name].append(time.perf_counter() - t0)
    return {k: float(np.median(v)) for k, v in times.items()}


def machine():
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    blas = "unknown BLAS"
    try:
        cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = f"{cfg.get('name')} {cfg.get('version')}"
    except Exception:  # noqa: BLE001 - older numpy has no mode="dicts"
        blas = "BLAS: see numpy.show_config()"
    return (f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, "
            f"numpy {np.__version__} ({blas}), torch {torch.__version__}; "
            f"{ARGS.threads} thread(s), {ARGS.repeats} turns of "
            + (f"{ARGS.block} timed calls" if ARGS.block else "1 timed call, no pause"))


def main():
    torch.set_num_threads(ARGS.threads)
    shape = tuple(ARGS.shape)
    print(machine())
    print("n_x, n_a, n_y, m, T_x =", shape, "; forward + backward + loss, median ms\n")
    print("| dtype | lstm_src.lstm | lstm_src.fast | torch | fast/torch | lstm/fast |")
    print("|---|---:|---:|---:|---:|---:|")
    for dt in (np.float32, np.float64):
        r = medians(shape, dt, ARGS.repeats)
        print(f"| {np.dtype(dt).name} | {r['lstm'] * 1e3:.1f} | {r['fast'] * 1e3:.1f} | "
              f"{r['torch'] * 1e3:.1f} | {r['fast'] / r['torch']:.2f} | "
              f"{r['lstm'] / r['fast']:.1f} |")
    if ARGS.no_scaling:
        return
    n_x, n_a, n_y, m, T_x = shape
    reps = max(3, ARGS.repeats // 2)
    for label, values, make in (
        ("T_x", (10, 25, 50, 100, 200), lambda v: (n_x, n_a, n_y, m, v)),
        ("n_a", (32, 64, 128, 256, 512), lambda v: (n_x, v, n_y, m, T_x)),
    ):
        print(f"\nfast/torch as {label} grows (others as above; {reps} turns)\n")
        print(f"| {label} | float32 | float64 |")
        print("|---:|---:|---:|")
        for v in values:
            ratio = []
            for dt in (np.float32, np.float64):
                r = medians(make(v), dt, reps, with_reference=False)
                ratio.append(r["fast"] / r["torch"])
            print(f"| {v} | {ratio[0]:.2f} | {ratio[1]:.2f} |")


if __name__ == "__main__":
    main()
