"""grade.py against submissions that attack the grading itself, graded beside
honest ones.

Ten attacks (exercises/README.md, "Guarantees"), each a notebook, graded in ONE
grade.py run with --jobs 2 beside honest controls whose marks are first taken
alone (--jobs 1). Bounded for a shared CI machine: the fork bomb runs under
--processes 40, the memory hogs under
--memory 256 (MiB), the time limits are short. While the run goes, every row printed on the
console is checked: no process of that submission (found by the label grade.py
gives its sandbox, in the command line or the environment) is left.
"""

import csv
import importlib.util
import json
import os
import pathlib
import subprocess
import sys
import time

import nbformat
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from test_grading import EX, build, notebook  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "grade_hostile", EX / "grade.py"
)
grade = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(grade)
from grading import limits  # noqa: E402  (grade.py put exercises/ on sys.path)

LIMITS = ["--call-timeout", "2", "--cell-timeout", "3", "--timeout", "40"]
pytestmark = pytest.mark.needs_system("bwrap")
BOUNDS = ["--processes", "40", "--memory", "256"]
CHECKER_MIB = 400  # the checker's peak resident memory, any submission

CONTROLS = {  # honest notebooks: their marks alone must be their marks beside the attacks
    "ctl_solution_01": ("01_matrix_calculus", {}),
    "ctl_solution_02": ("02_lstm_forward", {}),
    "ctl_solution_03": ("03_lstm_backward", {}),
    "ctl_solution_04": ("04_rnn_bptt", {}),
    "ctl_wrong_04": (
        "04_rnn_bptt",
        dict(
            answers={
                "hidden_jacobian": "def hidden_jacobian(a, W_aa):\n    return W_aa"
            }
        ),
    ),
}

CALLBACK_BLOCK = """def gates(xt, a_prev, params):
    import signal, time, numpy as np, wire
    signal.signal(signal.SIGALRM, signal.SIG_IGN)
    tree, blobs = wire.encode(([np.zeros(10**6)], {}))
    wire.write_frame(4, {"op": "callback", "id": 0, "value": tree}, blobs)
    time.sleep(1000)  # never reads the 8 MB answer"""

FORK_BOMB = """import os, time
for _ in range(100000):
    try:
        if os.fork() == 0:
            while True:
                try:
                    os.fork()
                except OSError:
                    time.sleep(0.001)
    except OSError:
        break"""

DAEMON_AND_STUCK = """import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        _hold = bytearray(50 << 20)
        while True:
            time.sleep(1)
    os._exit(0)
while True:  # swallows the cell's alarm
    try:
        time.sleep(10)
    except BaseException:
        pass"""

FAKE_READY = """import json, os, struct
_head = json.dumps({"op": "ready", "errors": [], "names": {}, "flags": [], "hits": [],
                    "blobs": [["<f8", [8 << 20]]] * 40}).encode()
os.write(4, b"LSG1" + struct.pack(">I", len(_head)) + _head)
_mib = bytes(1 << 20)
for _ in range(40):
    os.write(4, struct.pack(">Q", 64 << 20))
    for _ in range(64):
        os.write(4, _mib)"""

EXPENSIVE_CALLBACK = """def gradient_check(forward, backward, x, a0, y, params, name, h=1e-5):
    import signal, numpy as np
    signal.signal(signal.SIGALRM, signal.SIG_IGN)
    from lstm_src import lstm
    n_x, n_a, n_y, m, T = 40, 150, 10, 20, 40
    p = lstm.init_params(n_x, n_a, n_y)
    caches = forward(np.ones((n_x, m, T)), np.zeros((n_a, m)), p)[-1]
    yy = np.zeros((n_y, m, T))
    yy[0] = 1.0
    try:
        backward(np.zeros((n_y, 3000, 60)), {"steps": [], "params": {"W": np.zeros((3000, 3000))}})
    except Exception:
        pass
    while True:  # each call-back costs the checker; the call's time is the bound
        backward(yy, caches)"""

MEMORY_HOG = """import os, time
try:
    with open("/dev/shm/hog", "wb") as f:
        for _ in range(40):
            f.write(bytes(16 << 20))
except OSError:
    pass
for _ in range(4):  # 4 x 100 MiB in 4 processes: more than --memory together
    if os.fork() == 0:
        _hold = bytearray(100 << 20)
        for i in range(0, len(_hold), 4096):
            _hold[i] = 1
        time.sleep(600)
time.sleep(1)
_fd = os.memfd_create("hog")  # not counted by the address-space limit
for _ in range(8):
    os.write(_fd, bytes(16 << 20))"""

NUMERIC_CELL = '''def cell_backward(da, dc_next, cache):
    """Central differences around lstm_cell_forward (allowed in 03)."""
    import numpy as np
    from lstm_src import lstm
    p = {k: np.array(v, dtype=float) for k, v in cache["params"].items()}
    s = {k: np.array(cache[k], dtype=float) for k in ("x", "a_prev", "c_prev")}
    def J():
        a, c, _, _ = lstm.lstm_cell_forward(s["x"], s["a_prev"], s["c_prev"], p)
        return np.sum(da * a) + np.sum(dc_next * c)
    out = {}
    for store, names in ((p, [k for k in p if k not in ("W_ya", "b_y")]),
                         (s, ["x", "a_prev", "c_prev"])):
        for k in names:
            W, g = store[k], np.zeros_like(store[k])
            for i in np.ndindex(W.shape):
                old = W[i]
                W[i] = old + 1e-6
                jp = J()
                W[i] = old - 1e-6
                jm = J()
                W[i] = old
                g[i] = (jp - jm) / 2e-6
            out["d" + k] = g
    return out'''

NUMERIC_SEQUENCE = '''def lstm_backward(y, caches):
    """Central differences around lstm_forward (allowed in 03)."""
    import numpy as np
    from lstm_src import lstm
    from lstm_src.loss import cross_entropy
    steps = caches["steps"]
    p = {k: np.array(v, dtype=float) for k, v in caches["params"].items()}
    s = {"x": np.stack([st["x"] for st in steps], axis=2),
         "a0": np.array(steps[0]["a_prev"], dtype=float)}
    c0 = np.array(steps[0]["c_prev"], dtype=float)
    def J():
        return cross_entropy(lstm.lstm_forward(s["x"], s["a0"], p, c0)[1], y)
    out = {}
    for store in (p, s):
        for k in store:
            W, g = store[k], np.zeros_like(store[k])
            for i in np.ndindex(W.shape):
                old = W[i]
                W[i] = old + 1e-6
                jp = J()
                W[i] = old - 1e-6
                jm = J()
                W[i] = old
                g[i] = (jp - jm) / 2e-6
            out["d" + k] = g
    return out'''

TORCH_CELL = '''def cell_backward(da, dc_next, cache):
    """torch autograd through one step."""
    import numpy as np
    import torch
    t = {k: torch.tensor(np.asarray(v), requires_grad=True)
         for k, v in {**cache["params"], "x": cache["x"], "a_prev": cache["a_prev"],
                      "c_prev": cache["c_prev"]}.items()}
    def z(g):
        return t[f"W_{g}a"].T @ t["a_prev"] + t[f"W_{g}x"].T @ t["x"] + t[f"b_{g}"]
    gf, gu, go = (torch.sigmoid(z(g)) for g in "fuo")
    c = gu * torch.tanh(z("c")) + gf * t["c_prev"]
    a = torch.tanh(c) * go
    (torch.sum(torch.tensor(da) * a) + torch.sum(torch.tensor(dc_next) * c)).backward()
    return {("d" + k): v.grad.numpy() for k, v in t.items() if v.grad is not None}'''

CENTRAL = '''
    def central(J, store, names):
        """Central differences of J() in each entry of store[k]."""
        out = {}
        for k in names:
            W, g = store[k], np.zeros_like(store[k])
            for i in np.ndindex(W.shape):
                old = W[i]
                W[i] = old + 1e-6
                jp = J()
                W[i] = old - 1e-6
                jm = J()
                W[i] = old
                g[i] = (jp - jm) / 2e-6
            out[k] = g
        return out
'''

NUMERIC_GRU_CANDIDATE = '''def candidate_backward(dn_tilde, cache):
    """Central differences around the student's own candidate (05)."""
    import numpy as np
    p = {k: np.array(cache["params"][k], dtype=float)
         for k in ("W_nx", "b_n", "W_na", "b_na")}
    s = {k: np.array(cache[k], dtype=float)
         for k in ("x", "a_prev", "gamma_r")}
    s["off"] = np.zeros_like(s["gamma_r"])
    def J():
        h_n = p["W_na"].T @ s["a_prev"] + p["b_na"]
        z = p["W_nx"].T @ s["x"] + p["b_n"] + s["off"] + s["gamma_r"] * h_n
        return np.sum(dn_tilde * np.tanh(z))
''' + CENTRAL + '''
    g = central(J, p, list(p))
    g.update(central(J, s, ["off", "gamma_r", "a_prev"]))
    return {"dz_n": g["off"], "dgamma_r": g["gamma_r"], "dW_nx": g["W_nx"],
            "db_n": g["b_n"], "dW_na": g["W_na"], "db_na": g["b_na"],
            "da_prev_n": g["a_prev"]}'''

NUMERIC_GRU_STEP = '''def gru_step_backward(da, cache):
    """Central differences around gru_cell_forward (allowed in 05)."""
    import numpy as np
    from lstm_src import gru
    p = {k: np.array(v, dtype=float) for k, v in cache["params"].items()}
    s = {k: np.array(cache[k], dtype=float) for k in ("x", "a_prev")}
    def J():
        return np.sum(da * gru.gru_cell_forward(s["x"], s["a_prev"], p)[0])
''' + CENTRAL + '''
    g = central(J, p, [k for k in p if k not in ("W_ya", "b_y")])
    g.update(central(J, s, list(s)))
    return {("d" + k): v for k, v in g.items()}'''

NUMERIC_GRU_BPTT = '''def gru_bptt(y, caches):
    """Central differences around gru_forward (allowed in 05)."""
    import numpy as np
    from lstm_src import gru
    from lstm_src.loss import cross_entropy
    steps = caches["steps"]
    p = {k: np.array(v, dtype=float) for k, v in caches["params"].items()}
    s = {"x": np.stack([st["x"] for st in steps], axis=2),
         "a0": np.array(steps[0]["a_prev"], dtype=float)}
    def J():
        return cross_entropy(gru.gru_forward(s["x"], s["a0"], p)[1], y)
''' + CENTRAL + '''
    g = central(J, p, list(p))
    g.update(central(J, s, list(s)))
    return {("d" + k): v for k, v in g.items()}'''

TORCH_GRU_STEP = '''def gru_step_backward(da, cache):
    """torch autograd through one GRU step."""
    import numpy as np
    import torch
    t = {k: torch.tensor(np.asarray(v), requires_grad=True)
         for k, v in {**cache["params"], "x": cache["x"],
                      "a_prev": cache["a_prev"]}.items()}
    def z(g):
        return (t[f"W_{g}a"].T @ t["a_prev"] + t[f"W_{g}x"].T @ t["x"]
                + t[f"b_{g}"])
    r, u = torch.sigmoid(z("r")), torch.sigmoid(z("z"))
    h_n = t["W_na"].T @ t["a_prev"] + t["b_na"]
    n = torch.tanh(t["W_nx"].T @ t["x"] + t["b_n"] + r * h_n)
    a = (1 - u) * n + u * t["a_prev"]
    torch.sum(torch.tensor(da) * a).backward()
    return {("d" + k): v.grad.numpy() for k, v in t.items()
            if v.grad is not None}'''

TORCH_GRU_BPTT = '''def gru_bptt(y, caches):
    """torch autograd through the whole sequence."""
    import numpy as np
    import torch
    steps = caches["steps"]
    t = {k: torch.tensor(np.asarray(v), requires_grad=True)
         for k, v in caches["params"].items()}
    t["x"] = torch.tensor(np.stack([s["x"] for s in steps], axis=2),
                          requires_grad=True)
    t["a0"] = torch.tensor(np.asarray(steps[0]["a_prev"]), requires_grad=True)
    def z(g, a, x):
        return t[f"W_{g}a"].T @ a + t[f"W_{g}x"].T @ x + t[f"b_{g}"]
    a, J = t["a0"], 0.0
    for s in range(len(steps)):
        x = t["x"][:, :, s]
        r, u = torch.sigmoid(z("r", a, x)), torch.sigmoid(z("z", a, x))
        n = torch.tanh(t["W_nx"].T @ x + t["b_n"]
                       + r * (t["W_na"].T @ a + t["b_na"]))
        a = (1 - u) * n + u * a
        logp = torch.log_softmax(t["W_ya"].T @ a + t["b_y"], dim=0)
        J = J - torch.sum(torch.tensor(y[:, :, s]) * logp) / y.shape[1]
    J.backward()
    return {("d" + k): v.grad.numpy() for k, v in t.items()}'''

ERRSTATE_SIGMOID = """def sigmoid(z):
    with np.errstate(all="ignore"):
        return 1 / (1 + np.exp(-z))"""

COMPLEX_SOFTMAX = """def softmax(z):
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True) + 1e3j"""

STRING_UPDATE = """def cell_update(gamma_f, gamma_u, gamma_o, c_tilde, c_prev):
    c = gamma_u * c_tilde + gamma_f * c_prev
    return np.array(c.astype(str)), np.array((np.tanh(c) * gamma_o).astype(str))"""

FORGE_REPORT = """import __main__
__main__.FLAGS.append('=HYPERLINK("http://grades.invalid","open me")')
__main__.FLAGS.append('x\\nalice_solution.ipynb: 18/18 ok')
__main__.FLAGS.append('@SUM(1+1)\\r-2+3')"""

IGNORES_ALARM = """import signal
signal.signal(signal.SIGALRM, signal.SIG_IGN)
while True:
    pass"""


def _attacks(fork_bomb):
    """{file stem: (assignment, notebook kwargs)}: the ten attacks (2 and
    10 as several)."""
    out = {
        "a01_callback_never_read": (
            "02_lstm_forward",
            dict(answers={"gates": CALLBACK_BLOCK}),
        ),
        "a04_daemon_and_stuck_cell": (
            "04_rnn_bptt",
            dict(extra_cell=DAEMON_AND_STUCK),
        ),
        "a05_fake_ready_frame": (
            "01_matrix_calculus",
            dict(extra_cell=FAKE_READY),
        ),
        "a05_expensive_callbacks": (
            "03_lstm_backward",
            dict(answers={"gradient_check": EXPENSIVE_CALLBACK}),
        ),
        "a06_shm_and_memfd": (
            "01_matrix_calculus",
            dict(solved=False, extra_cell=MEMORY_HOG),
        ),
        "a07_numeric_backward": (
            "03_lstm_backward",
            dict(
                answers={
                    "cell_backward": NUMERIC_CELL,
                    "lstm_backward": NUMERIC_SEQUENCE,
                }
            ),
        ),
        "a07_torch_backward": (
            "03_lstm_backward",
            dict(answers={"cell_backward": TORCH_CELL}),
        ),
        "a07_numeric_gru": (
            "05_gru_backward",
            dict(
                answers={
                    "candidate_backward": NUMERIC_GRU_CANDIDATE,
                    "gru_step_backward": NUMERIC_GRU_STEP,
                    "gru_bptt": NUMERIC_GRU_BPTT,
                }
            ),
        ),
        "a07_torch_gru": (
            "05_gru_backward",
            dict(answers={"gru_step_backward": TORCH_GRU_STEP}),
        ),
        "a08_errstate_sigmoid": (
            "02_lstm_forward",
            dict(answers={"sigmoid": ERRSTATE_SIGMOID}),
        ),
        "a08_complex_and_text": (
            "02_lstm_forward",
            dict(
                answers={
                    "softmax": COMPLEX_SOFTMAX,
                    "cell_update": STRING_UPDATE,
                }
            ),
        ),
        "a09_forged_report": (
            "01_matrix_calculus",
            dict(extra_cell=FORGE_REPORT),
        ),
        "=a09_formula_name": ("04_rnn_bptt", {}),
        "a10_big_literal": (
            "02_lstm_forward",
            dict(extra_cell='_x = "' + "a" * (9 << 20) + '"'),
        ),
        "a10_ignores_alarm": (
            "03_lstm_backward",
            dict(extra_cell=IGNORES_ALARM),
        ),
    }
    if fork_bomb:
        out["a03_fork_bomb"] = (
            "01_matrix_calculus",
            dict(solved=False, extra_cell=FORK_BOMB),
        )
    return out


def _malformed(folder):
    """Attack 2: three notebooks the reader must refuse alone."""
    nb = notebook("01_matrix_calculus")
    nb.metadata["otter"] = {"assignment_name": ["01_matrix_calculus"]}
    nbformat.write(nb, folder / "a02_name_is_a_list.ipynb")
    nb = json.loads(nbformat.writes(notebook("02_lstm_forward")))
    next(c for c in nb["cells"] if c["cell_type"] == "code")["source"] = [1, 2]
    (folder / "a02_source_of_ints.ipynb").write_text(json.dumps(nb))
    (folder / "a02_nested_200000.ipynb").write_text(
        '{"cells": ' + "[" * 200_000 + "]" * 200_000 + "}"
    )


def _tagged(tag):
    """Pids of live processes whose command line or environment carry
    ``tag``."""
    found, needle = [], tag.encode()
    for d in pathlib.Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) == os.getpid():
            continue
        try:
            if (
                needle in (d / "cmdline").read_bytes()
                or needle in (d / "environ").read_bytes()
            ):
                if (d / "stat").read_text().split(") ")[1][:1] != "Z":
                    found.append(int(d.name))
        except OSError:
            pass
    return found


def _grade(folder, out, zip_dir, *extra):
    """Run grade.py; while it runs, check after each row that its sandbox
    left nothing."""
    tags = {grade.sandbox_tag(p): p.stem for p in folder.glob("*.ipynb")}
    by_path = {str(p): grade.sandbox_tag(p) for p in folder.glob("*.ipynb")}
    cmd = [
        sys.executable,
        str(EX / "grade.py"),
        str(folder),
        "--autograder-dir",
        str(zip_dir),
    ]
    cmd += ["--output", str(out), *LIMITS, *BOUNDS, *extra]
    start = time.monotonic()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    lines, left = [], {}
    for line in proc.stdout:
        lines.append(line)
        for path, tag in by_path.items():
            if line.startswith(grade.one_line(path) + ": "):
                pids = _tagged(tag)
                if pids:
                    left[tags[tag]] = pids
    err = proc.stderr.read()
    rc = proc.wait(timeout=300)
    took = time.monotonic() - start
    rows = json.loads(pathlib.Path(out).with_suffix(".json").read_text())
    return (
        {pathlib.Path(r["submission"]).stem: r for r in rows},
        lines,
        err,
        rc,
        left,
        took,
    )


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    zip_dir, solo, subs = tmp / "zips", tmp / "solo", tmp / "subs"
    for d in (zip_dir, solo, subs):
        d.mkdir()
    for master in build.masters():
        _, z = build.assign(
            master, tmp_path_factory.mktemp(master.stem), run_tests=False
        )
        (zip_dir / f"{master.stem}.zip").write_bytes(
            pathlib.Path(z).read_bytes()
        )
    for name, (stem, kw) in CONTROLS.items():
        for folder in (solo, subs):
            nbformat.write(notebook(stem, **kw), folder / f"{name}.ipynb")
    group = limits.Group(256 << 20, 40)
    contained = group.active  # the fork bomb runs under a pids cgroup only
    group.remove()
    for name, (stem, kw) in _attacks(contained).items():
        nbformat.write(notebook(stem, **kw), subs / f"{name}.ipynb")
    _malformed(subs)
    alone = _grade(solo, tmp / "solo.csv", zip_dir, "--jobs", "1")
    assert alone[3] == 0, alone[2]
    together = _grade(subs, tmp / "grades.csv", zip_dir, "--jobs", "2")
    return alone[0], together, tmp, contained


def test_every_submission_has_a_row_and_the_run_completes(hostile):
    _, (rows, lines, err, rc, _, took), tmp, contained = hostile
    assert rc == 0, err[-3000:]
    expected = {p.stem for p in (tmp / "subs").glob("*.ipynb")}
    assert set(rows) == expected
    # the bound grade.py states: rows of 2 jobs, each at most --timeout +
    # MARGIN
    assert took < len(rows) / 2 * (40 + grade.MARGIN) + 60
    print(f"\nhostile battery: {len(rows)} submissions in {took:.1f} s")


def test_honest_controls_score_exactly_their_solo_marks(hostile):
    solo, (rows, *_), _, _ = hostile
    for name in CONTROLS:
        assert rows[name]["scores"] == solo[name]["scores"], (
            name,
            rows[name]["feedback"],
        )
        assert rows[name]["flags"] == [] and rows[name]["status"] == "ok", (
            rows[name]
        )
    assert (
        solo["ctl_solution_03"]["total"]
        == solo["ctl_solution_03"]["possible"]
        > 0
    )


def test_nothing_of_a_submission_outlives_its_row(hostile):
    _, (rows, lines, _, _, left, _), _, _ = hostile
    assert left == {}, left
    for stem in rows:
        assert not _tagged(grade.sandbox_tag(stem)), stem


def test_the_checker_memory_stays_bounded(hostile):
    _, (rows, *_), _, _ = hostile
    peaks = {
        k: r.get("checker_peak_mib")
        for k, r in rows.items()
        if "checker_peak_mib" in r
    }
    assert peaks and max(peaks.values()) < CHECKER_MIB, peaks
    assert rows["a05_fake_ready_frame"]["total"] == 0
    assert "could not be run" in rows["a05_fake_ready_frame"]["message"]


def test_1_a_call_back_never_read_costs_its_question_only(hostile):
    rows = hostile[1][0]
    row, solo = (
        rows["a01_callback_never_read"],
        hostile[0]["ctl_solution_02"]["scores"],
    )
    assert (
        row["scores"]["q3"] == 0
        and "did not return within 2 s" in row["feedback"]["q3"]
    )
    assert {q: s for q, s in row["scores"].items() if q != "q3"} == {
        q: s for q, s in solo.items() if q != "q3"
    }


def test_2_malformed_notebooks_get_a_row_each(hostile):
    rows, _, err, *_ = hostile[1]
    for name in (
        "a02_name_is_a_list",
        "a02_source_of_ints",
        "a02_nested_200000",
    ):
        assert rows[name]["message"].startswith("could not be graded: "), rows[
            name
        ]
        assert rows[name]["total"] == 0
        assert name in err  # also said on the console
    assert "nested too deeply" in rows["a02_nested_200000"]["message"]
    assert "source is a list" in rows["a02_source_of_ints"]["message"]
    assert "assignment_name is a list" in rows["a02_name_is_a_list"]["message"]


def test_3_a_fork_bomb_is_contained(hostile):
    rows, contained = hostile[1][0], hostile[3]
    if not contained:
        pytest.skip("no cgroups here: the fork bomb is not run")
    assert "a03_fork_bomb" in rows and rows["a03_fork_bomb"]["total"] == 0


def test_4_and_10_a_cell_that_ignores_its_alarm_is_stopped_and_later_cells_run(
    hostile,
):
    rows, solo = hostile[1][0], hostile[0]
    for name, control in (
        ("a04_daemon_and_stuck_cell", "ctl_solution_04"),
        ("a10_ignores_alarm", "ctl_solution_03"),
    ):
        row = rows[name]
        assert row["scores"] == solo[control]["scores"], (name, row)
        assert any("stopped from outside" in e for e in row["cell_errors"]), (
            row["cell_errors"]
        )


def test_5_expensive_call_backs_stop_at_the_call_limit(hostile):
    row = hostile[1][0]["a05_expensive_callbacks"]
    assert (
        row["scores"]["q6"] == 0
        and "did not return within 2 s" in row["feedback"]["q6"]
    )
    assert row["seconds"] < 30, row["seconds"]


def test_6_shared_memory_and_memfds_count_against_the_limit(hostile):
    row = hostile[1][0]["a06_shm_and_memfd"]
    assert row["total"] == 0
    if grade.limits_mod.seccomp_program():  # memfd_create refused
        assert any(
            "memfd" in e or "Operation not permitted" in e
            for e in row["cell_errors"]
        ), row["cell_errors"]
    if "cgroups" in row.get("limits", ""):
        assert row["sandbox_peak_mib"] <= 256 + 8, row
        assert any("ran out of memory" in f for f in row["flags"]), row


def _points(stem):
    """{question: its points} from a master's '# BEGIN QUESTION' cells."""
    import yaml

    nb = nbformat.read(EX / "masters" / f"{stem}.ipynb", as_version=4)
    out = {}
    for c in nb.cells:
        if c.cell_type == "raw" and c.source.startswith("# BEGIN QUESTION"):
            conf = yaml.safe_load(c.source)
            pts = conf.get("points", 1)
            out[conf["name"]] = sum(pts) if isinstance(pts, list) else pts
    return out


#: (attack, assignment, the questions it loses, what the message says).
DERIVE_ATTACKS = [
    ("a07_numeric_backward", "03_lstm_backward", ("q4", "q5"), ""),
    ("a07_torch_backward", "03_lstm_backward", ("q4",), "imported torch"),
    ("a07_numeric_gru", "05_gru_backward", ("q4", "q5", "q6"),
     "runs the forward pass again"),
    ("a07_torch_gru", "05_gru_backward", ("q5",), "imported torch"),
]


@pytest.mark.parametrize(
    "name, stem, questions, why", DERIVE_ATTACKS,
    ids=[a[0] for a in DERIVE_ATTACKS],
)
def test_7_numerical_and_automatic_differentiation_score_zero_naming_the_rule(
    hostile, name, stem, questions, why
):
    row = hostile[1][0][name]
    for q in questions:
        assert row["scores"][q] == 0, row
        said = row["feedback"][q]
        assert f"{q}: rule 'derive'" in said and why in said, said
    kept = {q: p for q, p in _points(stem).items() if q not in questions}
    assert {q: row["scores"][q] for q in kept} == kept, row


def test_7_the_gru_probes_alone_tell_derived_from_differentiated():
    """The 05 probes in this process, where torch imports: the master's
    answers pass them; central differences and torch autograd do not, and
    the message says they gave the forward pass's gradients."""
    import numpy as np
    from grading import derive, policy
    from test_grading import solutions

    honest = {"np": np}
    for _, src in solutions("05_gru_backward"):
        exec(src, honest)
    kinds = policy.DERIVE["05_gru_backward"]
    assert set(kinds) == {"candidate_backward", "gru_step_backward",
                          "gru_bptt"}
    for name, kind in kinds.items():
        assert derive.check(honest[name], kind, "q", name) is None, name
    cheats = [NUMERIC_GRU_CANDIDATE, NUMERIC_GRU_STEP, NUMERIC_GRU_BPTT]
    try:
        import torch  # noqa: F401
    except ImportError:
        pass
    else:
        cheats += [TORCH_GRU_STEP, TORCH_GRU_BPTT]
    for src in cheats:
        ns = {"np": np}
        exec(src, ns)
        name = src.split("def ", 1)[1].split("(", 1)[0]
        said = derive.check(ns[name], kinds[name], "q", name)
        assert said and "q: rule 'derive'" in said, (name, said)
        assert "the forward pass its parameters give" in said, said


def test_8_checks_the_answer_cannot_switch_off(hostile):
    rows = hostile[1][0]
    row = rows["a08_errstate_sigmoid"]
    assert (
        row["scores"]["q1"] < 3 and "switched off" in row["feedback"]["q1"]
    ), row["feedback"]
    row = rows["a08_complex_and_text"]
    assert row["scores"]["q2"] == 0 and "complex" in row["feedback"]["q2"], (
        row["feedback"]
    )
    assert row["scores"]["q4"] == 0 and "<U" in row["feedback"]["q4"], row[
        "feedback"
    ]


def test_9_the_report_cannot_be_forged(hostile):
    (rows, lines, *_), tmp = hostile[1], hostile[2]
    with open(tmp / "grades.csv", newline="", encoding="utf-8") as f:
        table = list(csv.reader(f))
    assert len(table) == len(rows) + 1
    for cells in table:
        for cell in cells:
            assert cell[:1] not in ("=", "+", "-", "@") and "\n" not in cell, (
                cell
            )
    flags = table[
        [r[0] for r in table].index(
            str(tmp / "subs" / "a09_forged_report.ipynb")
        )
    ]
    assert (
        "'=HYPERLINK" in flags[-1] and "x alice_solution.ipynb" in flags[-1]
    ), flags[-1]
    assert (
        rows["=a09_formula_name"]["total"]
        == rows["=a09_formula_name"]["possible"]
    )
    assert not any(line.startswith("alice_solution") for line in lines)
    assert (
        len(lines) == len(rows) - 3 + 2
    )  # a line per graded row, the limits, the summary
    assert all("\r" not in line for line in lines)
    assert any(
        "FLAGS (seen in the submission's process)" in line for line in lines
    )


def test_10_a_large_literal_in_an_honest_notebook_is_graded(hostile):
    rows, solo = hostile[1][0], hostile[0]
    assert (
        rows["a10_big_literal"]["scores"] == solo["ctl_solution_02"]["scores"]
    )


def test_nothing_gradable_exits_2_with_one_line(tmp_path):
    (tmp_path / "x.ipynb").write_text("{ not json")
    proc = subprocess.run(
        [
            sys.executable,
            str(EX / "grade.py"),
            str(tmp_path / "x.ipynb"),
            "--output",
            str(tmp_path / "g.csv"),
            "--autograder-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc
    assert proc.stderr.count("\n") == 1, proc.stderr  # one line
    assert "nothing to grade" in proc.stderr and "x.ipynb" in proc.stderr
    assert "not a readable notebook" in proc.stderr
    (tmp_path / "x.ipynb").unlink()
    proc = subprocess.run(
        [
            sys.executable,
            str(EX / "grade.py"),
            str(tmp_path),
            "--autograder-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc
    assert "no .ipynb file in" in proc.stderr
    assert (tmp_path / "g.csv").read_text().count(
        "\n"
    ) == 2  # the row is still written


@pytest.mark.parametrize(
    "behaviour, status, words",
    [
        ("hang", "timeout", "ran past its limit of 1 s and was stopped"),
        ("crash", "error", "the checker stopped (exit 3)"),
        ("memory", "error", "MemoryError"),
    ],
)
def test_a_checker_that_hangs_crashes_or_bloats_still_gives_a_row(
    tmp_path, monkeypatch, behaviour, status, words
):
    """grade.py's outside supervision of its checkers (without a sandbox:
    no student code runs here; the checker itself is made to misbehave)."""

    def grade_cells(*args):
        if behaviour == "hang":
            time.sleep(60)
        if behaviour == "crash":
            os._exit(3)
        return {"huge": bytearray(limits.CHECKER_ADDRESS_SPACE)}

    path = tmp_path / "n.ipynb"
    nbformat.write(notebook("01_matrix_calculus"), path)
    monkeypatch.setattr(grade.checker, "grade_cells", grade_cells)
    monkeypatch.setattr(grade, "MARGIN", 0.5)
    row, done = {"submission": str(path)}, []
    start = time.monotonic()
    grade.run_checkers(
        None, [(row, (str(path), "01", [], {}))], 1, 0.5, done.append
    )
    assert (
        done == [row] and row["status"] == status and words in row["message"]
    ), row
    assert time.monotonic() - start < 20
