"""lstm_src.feedback's machinery: the package's names, fair marks, time limits, changed inputs.

The messages for wrong answers are tested in tests/test_exercises.py (WRONG), through otter's own
test files; here are the properties that make a grade fair.
"""

import inspect
import pathlib
import signal
import time

import numpy as np
import pytest
from otter.test_files import ExceptionTestFile

from lstm_src import feedback

try:  # tests/ is on sys.path under pytest's default import mode: the same module, one otter assign
    import test_exercises as ex
except ImportError:  # other import modes: load it by path (then it assigns once more)
    import importlib.util

    _spec = importlib.util.spec_from_file_location(
        "test_exercises", pathlib.Path(__file__).with_name("test_exercises.py")
    )
    ex = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(ex)
from lstm_src import gradcheck, lstm, rnn
from lstm_src.feedback import _calling, _correct, _reports

OLD_NAMES = [  # the public names of lstm_src/feedback.py before it became a package
    "TOL",
    "GATE_HINTS",
    "random_sizes",
    "check_array",
    "check_grads",
    "check_grads_ok",
    "check_dot_gradient",
    "check_elementwise_jacobian",
    "check_hadamard_jacobians",
    "check_linear_map_gradients",
    "check_finite_difference_jacobian",
    "check_sigmoid",
    "check_softmax",
    "check_gates",
    "check_cell_update",
    "check_cell_forward",
    "check_sequence_forward",
    "check_softmax_ce_grad",
    "check_sigmoid_gate_grads",
    "check_candidate_grads",
    "check_cell_backward",
    "check_lstm_backward",
    "check_gradient_check",
    "check_rnn_step",
    "check_rnn_step_backward",
    "check_rnn_bptt",
    "check_hidden_jacobian",
]


@pytest.fixture(scope="session")
def tests_dirs(tmp_path_factory):
    """{stem: (public tests dir, every test's dir)} from otter assign of each master."""
    return {
        stem: (student / "tests", ag)
        for stem, (student, ag, _) in ex.assign_all(tmp_path_factory).items()
    }


def run(tests_dir, ns, only):
    """{question: (score, possible, text)} for the questions in ``only``."""
    out = {}
    for q in only:
        tf = ExceptionTestFile.from_file(str(tests_dir / f"{q}.py"))
        tf.run(ns)
        out[q] = (tf.score, tf.possible, "\n".join(r.message for r in tf.test_case_results))
    return out


# ------------------------------------------------------------------ the package


def test_package_keeps_every_public_name_and_has_one_module_per_assignment():
    """`from lstm_src.feedback import X` works for every name the single module had."""
    for name in OLD_NAMES:
        assert callable(getattr(feedback, name)) or name in ("TOL", "GATE_HINTS"), name
    modules = {p.stem for p in pathlib.Path(feedback.__file__).parent.glob("*.py")}
    assert {"_calling", "_reports", "_problems", "matrix_calculus", "lstm_forward",
            "lstm_backward", "rnn_bptt"} <= modules
    assert feedback.check_gates.__module__ == "lstm_src.feedback.lstm_forward"


def test_correct_versions_stand_alone_and_match_the_references():
    """Each function of _correct compiles from its own source with only numpy and is right."""
    fresh = {}
    for name in {n for names in _correct.EARLIER.values() for deps in names.values() for n in deps}:
        ns = {"np": np}
        exec(compile(inspect.getsource(getattr(_correct, name)), name, "exec"), ns)
        fresh[name] = ns[name]
    params, x, a0, y = gradcheck.random_problem(lstm, 3, 4, 5, 2, 2, seed=0)
    c0 = np.tanh(a0[::-1])
    a, c, y_hat, k = lstm.lstm_cell_forward(x[:, :, 0], a0, c0, params)
    for got, want in [
        (fresh["cell_forward"](x[:, :, 0], a0, c0, params), (a, c, y_hat)),
        (
            fresh["gates"](x[:, :, 0], a0, params),
            tuple(k[n] for n in ("gamma_f", "gamma_u", "gamma_o", "c_tilde")),
        ),
        (fresh["cell_update"](k["gamma_f"], k["gamma_u"], k["gamma_o"], k["c_tilde"], c0), (c, a)),
        (fresh["softmax_ce_grad"](y_hat, y[:, :, 0]), ((y_hat - y[:, :, 0]) / 2,)),
    ]:
        for g, w in zip(got if isinstance(got, tuple) else (got,), want):
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)
    da, dc = np.random.default_rng(0).normal(size=(2,) + a0.shape)
    want = lstm.lstm_cell_backward(da, dc, k)
    got = fresh["cell_backward"](da, dc, k)
    assert set(got) == set(want) and all(np.allclose(got[n], want[n], atol=1e-13) for n in want)
    rp, rx, ra, _ = gradcheck.random_problem(rnn, 3, 4, 5, 2, 2, seed=0)
    _, r_y, r_k = rnn.rnn_cell_forward(rx[:, :, 0], ra, rp)
    np.testing.assert_allclose(fresh["rnn_step"](rx[:, :, 0], ra, rp)[1], r_y, rtol=1e-12)
    want = rnn.rnn_cell_backward(da[:4], r_k)
    got = fresh["rnn_step_backward"](da[:4], r_k)
    assert all(np.allclose(got[n], want[n], atol=1e-13) for n in want)
    np.testing.assert_array_equal(
        fresh["sigmoid"](np.array([-1000.0, 0.0, 1000.0])), [0.0, 0.5, 1.0]
    )


def test_correct_versions_of_05_and_06_match_the_references():
    """The GRU steps and the training helpers later questions get are the references' results."""
    from lstm_src import gru, training

    params, x, a0, y = gradcheck.random_problem(gru, 3, 4, 5, 2, 3, seed=1)
    _, _, caches = gru.gru_forward(x, a0, params)
    k = caches["steps"][1]
    da = np.random.default_rng(1).normal(size=a0.shape)
    want = gru.gru_cell_backward(da, k)
    got = _correct.gru_step_backward(da, k)
    assert set(got) == set(want) and all(np.allclose(got[n], want[n], atol=1e-13) for n in want)
    dgz, dn, direct = _correct.interpolation_backward(da, k["gamma_z"], k["n_tilde"], k["a_prev"])
    for g, w in zip((dgz, dn, direct), gru.gru_hidden_state_backward(
            da, k["gamma_z"], k["n_tilde"], k["a_prev"])):
        np.testing.assert_allclose(g, w, rtol=1e-12)
    cand = _correct.candidate_backward(dn, k)
    for g, w in zip((cand["dz_n"], cand["dgamma_r"]), gru.reset_candidate_backward(
            dn, k["n_tilde"], k["gamma_r"], k["h_n"])):
        np.testing.assert_allclose(g, w, rtol=1e-12)
    lp, lx, la, ly = gradcheck.random_problem(lstm, 3, 4, 5, 2, 4, seed=2)
    c0 = 0.3 * la
    per, a_last, c_last = _correct.tbptt_gradients(lx, ly, la, c0, lp, 2)
    a_all, _, c_all, first = lstm.lstm_forward(lx[:, :, :2], la, lp, c0=c0)
    second = lstm.lstm_forward(lx[:, :, 2:], a_all[:, :, -1], lp, c0=c_all[:, :, -1])
    for g, (cache, yy) in zip(per, ((first, ly[:, :, :2]), (second[-1], ly[:, :, 2:]))):
        w = lstm.lstm_backward(yy, cache)
        assert all(np.allclose(g[n], w[n], atol=1e-13) for n in w)
    np.testing.assert_allclose(a_last, second[0][:, :, -1], rtol=1e-12)
    np.testing.assert_allclose(c_last, second[2][:, :, -1], rtol=1e-12)
    grads = {"d" + n: np.random.default_rng(3).normal(size=v.shape) for n, v in lp.items()}
    state = training.adam_init(lp)
    for _ in range(2):
        (wp, ws), (gp, gs) = (training.adam_step(lp, grads, state, 0.01),
                              _correct.adam_step(lp, grads, state, 0.01))
        assert gs["t"] == ws["t"] and all(np.allclose(gp[n], wp[n], atol=1e-14) for n in lp)
        lp, state = wp, ws
    clipped, norm = _correct.clip_by_global_norm(grads, 1.0)
    want, want_norm = training.clip_gradients(grads, 1.0)
    assert norm == pytest.approx(want_norm) and all(np.allclose(clipped[n], want[n]) for n in want)


def test_correct_versions_carry_the_students_names():
    """Every name a later question gets the correct version of is a function the master asks for."""
    for stem, later in _correct.EARLIER.items():
        asked = [name for name, _ in ex.master_parts(stem)[1]]
        for name, deps in later.items():
            assert name in asked and set(deps) <= set(asked[: asked.index(name)]), (stem, name)


# ------------------------------------------------------------------ with_correct


def test_with_correct_swaps_names_for_the_call_only_and_restores_them_after_an_error():
    """The student's namespace gets its own functions back, even when the call raises."""
    ns = {}
    exec(
        "def helper(v):\n    return -v\n"
        "def answer(v):\n    if v < 0:\n        raise ValueError('no')\n"
        "    return helper(v) + missing(v)",
        ns,
    )
    wrong_helper = ns["helper"]
    fair = feedback._calling.with_correct(
        ns["answer"], {"helper": lambda v: v, "missing": lambda v: 0}
    )
    assert fair(2) == 2 and ns["helper"] is wrong_helper and "missing" not in ns
    with pytest.raises(ValueError):
        fair(-1)
    assert ns["helper"] is wrong_helper and "missing" not in ns
    assert list(inspect.signature(fair).parameters) == ["v"]  # messages can still name the inputs


class FakeProxy:
    """What the grader's proxies promise: with_correct, strict, last_args, TimeoutError."""

    def __init__(self, fn, log):
        self.fn, self.log, self.last_args = fn, log, None

    def with_correct(self, correct):
        self.log.append(("with_correct", sorted(correct)))
        return self

    def _run(self, args):
        self.log.append(("timer", signal.getitimer(signal.ITIMER_REAL)[0]))
        out = self.fn(*args)
        self.last_args = args
        return out

    def __call__(self, *args):
        return self._run(args)

    def strict(self, *args):
        self.log.append(("strict",))
        return self._run(args)


def test_proxies_get_the_correct_names_strict_calls_and_no_alarm():
    """A proxy is asked for with_correct and strict; no signal timer runs around its calls."""
    log = []
    proxy = FakeProxy(lambda xt, a_prev, params: _correct.gates(xt, a_prev, params), log)
    feedback.check_gates(proxy, seeds=(0,))
    assert log[0] == ("with_correct", ["sigmoid"]) and ("timer", 0.0) in log
    log.clear()
    feedback.check_sigmoid(FakeProxy(_correct.sigmoid, log), seeds=(0,), extreme=True)
    assert ("strict",) in log


def test_a_proxy_that_times_out_or_changes_its_inputs_gets_the_message():
    """TimeoutError from a proxy and a changed last_args become the same feedback as in-kernel."""

    class Slow(FakeProxy):
        def _run(self, args):
            raise TimeoutError("gates did not return within 7 s")

    with pytest.raises(
        AssertionError, match=r"^q3: gates did not return within 7 s \(an infinite loop\?\)"
    ):
        feedback.check_gates(Slow(None, []), seeds=(0,))

    class Mutating(FakeProxy):
        def _run(self, args):
            out = _correct.sigmoid_gate_grads(*args)
            self.last_args = (2 * args[0],) + args[1:]
            return out

    with pytest.raises(AssertionError, match="modified its input dgamma"):
        feedback.check_sigmoid_gate_grads(Mutating(None, []), seeds=(0,))


# ------------------------------------------------------------------ time limit


def test_an_infinite_loop_costs_only_its_own_question(tests_dirs, monkeypatch):
    """gates loops (for 3 s: a stand-in for forever): q3 scores 0 with a time-out message after
    the per-call limit; q5 and q6, which call gates, still score full marks."""
    monkeypatch.setattr(_calling, "CALL_TIMEOUT", 0.2)
    loop = (
        "def gates(xt, a_prev, params):\n    import time\n    end = time.perf_counter() + 3\n"
        "    while time.perf_counter() < end:\n        pass"
    )
    ns = ex.namespace("02_lstm_forward", gates=loop)
    start = time.perf_counter()
    results = run(tests_dirs["02_lstm_forward"][1], ns, ["q3", "q5", "q6"])
    assert time.perf_counter() - start < 2.5
    score, _, text = results["q3"]
    assert score == 0 and "q3: gates did not return within 0.2 s (an infinite loop?)" in text, text
    assert results["q5"][0] == results["q5"][1] > 0 and results["q6"][0] == results["q6"][1] > 0


def test_the_time_limit_restores_the_alarm_and_leaves_an_outer_timer_alone():
    """After a call the old SIGALRM handler is back; a timer set by someone else keeps running."""
    before = signal.getsignal(signal.SIGALRM)
    _calling._call(lambda: 1, "f")
    assert (
        signal.getsignal(signal.SIGALRM) is before and signal.getitimer(signal.ITIMER_REAL)[0] == 0
    )
    previous = signal.signal(signal.SIGALRM, lambda *a: None)
    try:
        signal.setitimer(signal.ITIMER_REAL, 30)
        _calling._call(lambda: 1, "f")
        assert 25 < signal.getitimer(signal.ITIMER_REAL)[0] <= 30
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# ------------------------------------------------------------------ fair marks

FAIR = [
    # (assignment, the question with the slip, its wrong code, later questions that keep full marks)
    ("02_lstm_forward", "q1", "def sigmoid(z):\n    return np.tanh(z)", ["q3", "q5", "q6"]),
    (
        "02_lstm_forward",
        "q3",
        ex.slip(
            "02_lstm_forward", "gates", ('z("f")), sigmoid(z("u"))', 'z("u")), sigmoid(z("f"))')
        ),
        ["q5", "q6"],
    ),
    (
        "02_lstm_forward",
        "q5",
        ex.slip("02_lstm_forward", "cell_forward", ("return a, c,", "return c, a,")),
        ["q6"],
    ),
    (
        "03_lstm_backward",
        "q2",
        ex.slip("03_lstm_backward", "sigmoid_gate_grads", (" * gamma * (1.0 - gamma)", "")),
        ["q4", "q5"],
    ),
    (
        "03_lstm_backward",
        "q4",
        ex.slip("03_lstm_backward", "cell_backward", ('= dc * k["gamma_f"]', "= dc")),
        ["q5"],
    ),
    (
        "04_rnn_bptt",
        "q2",
        ex.slip(
            "04_rnn_bptt", "rnn_step_backward", ('(1.0 - cache["a"] ** 2)', '(1.0 - cache["a"])')
        ),
        ["q3"],
    ),
    (  # issue 19: a slip in a GRU step costs its question, not the step and the loop too
        "05_gru_backward",
        "q4",
        ex.slip("05_gru_backward", "candidate_backward",
                ('dh_n = dz_n * cache["gamma_r"]', "dh_n = dz_n")),
        ["q5", "q6"],
    ),
    (
        "05_gru_backward",
        "q2",
        ex.slip("05_gru_backward", "interpolation_backward",
                ("da * (1.0 - gamma_z), da * gamma_z", "da * gamma_z, da * (1.0 - gamma_z)")),
        ["q5", "q6"],
    ),
    (  # issue 19: a wrong Adam step, clipping or truncation costs q1, q2, q3, not q6 too
        "06_training",
        "q1",
        ex.slip("06_training", "adam_step", ("(np.sqrt(v_hat) + eps)", "np.sqrt(v_hat + eps)")),
        ["q6"],
    ),
    (
        "06_training",
        "q3",
        ex.slip("06_training", "tbptt_gradients",
                ("a, c = a_all[:, :, -1], c_all[:, :, -1]", "a, c = 0 * a0, 0 * c0")),
        ["q6"],
    ),
]


@pytest.mark.parametrize("stem, q, code, later", FAIR, ids=[f"{f[0][:2]}-{f[1]}" for f in FAIR])
def test_a_slip_costs_points_once_on_its_own_question(stem, q, code, later, tests_dirs):
    ns = ex.namespace(stem)
    exec(compile(code, "wrong", "exec"), ns)
    results = run(tests_dirs[stem][1], ns, [q] + later)
    assert results[q][0] < results[q][1], f"{stem} {q} kept full marks"
    for p in later:
        assert results[p][0] == results[p][1] > 0, (
            f"{stem} {p} lost points for {q}'s slip:\n{results[p][2]}"
        )


# ------------------------------------------------------------------ the prompts' rules are public

RULES = [
    # (assignment, question, code breaking a rule the prompt states, words of the public feedback)
    ("02_lstm_forward", "q1", "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))", ["overflowed"]),
    (
        "02_lstm_forward",
        "q2",
        "def softmax(z):\n    e = np.exp(z)\n    return e / e.sum(axis=0, keepdims=True)",
        ["overflowed", "subtract each column's maximum"],
    ),
    (
        "02_lstm_forward",
        "q1",
        "def sigmoid(z):\n    e = np.exp(-np.abs(z))\n"
        "    return np.where(z >= 0, 1 / (1 + e), e / (1 + e)).reshape(z.shape[0], -1)",
        ["shape"],
    ),
    (
        "04_rnn_bptt",
        "q1",
        ex.slip("04_rnn_bptt", "rnn_step", ("z - z.max(axis=0, keepdims=True)", "z")),
        ["overflowed", "subtract each column's maximum"],
    ),
    (
        "03_lstm_backward",
        "q6",
        ex.slip(
            "03_lstm_backward",
            "gradient_check",
            (
                "np.max(np.abs(g - n)) / max(1e-12, np.max(np.abs(g) + np.abs(n)))",
                "np.linalg.norm(g - n) / (np.linalg.norm(g) + np.linalg.norm(n))",
            ),
        ),
        ["max_j |g_j − n_j| / max(1e−12, max_j (|g_j| + |n_j|))"],
    ),
    (
        "03_lstm_backward",
        "q6",
        ex.slip("03_lstm_backward", "gradient_check", ("        W[idx] = old\n", "")),
        ["modified its input params", "put each perturbed entry of params[name] back"],
    ),
    (
        "01_matrix_calculus",
        "q5",
        ex.slip(
            "01_matrix_calculus",
            "finite_difference_jacobian",
            ("x = np.array(x, dtype=float)", "x = np.asarray(x, dtype=float)"),
            ("        flat[j] = old\n", ""),
        ),
        ["modified its input x", "perturb a copy of x"],
    ),
]


@pytest.mark.parametrize(
    "stem, q, code, words", RULES, ids=[f"{r[0][:2]}-{r[1]}-{i}" for i, r in enumerate(RULES)]
)
def test_every_rule_a_prompt_states_is_checked_by_its_public_test(stem, q, code, words, tests_dirs):
    ns = ex.namespace(stem)
    exec(compile(code, "wrong", "exec"), ns)
    score, possible, text = run(tests_dirs[stem][0], ns, [q])[q]
    assert score < possible, f"{stem} {q}: the public test passed a rule-breaking answer"
    for w in words:
        assert w in text, f"{stem} {q}: public feedback lacks {w!r}:\n{text}"


# ------------------------------------------------------------------ steps


def test_step_report_names_missing_and_shifted_steps():
    """Zeros at the last step, and a sequence shifted by one step, are named as such."""
    want = np.random.default_rng(0).normal(size=(3, 2, 4))
    missing = want.copy()
    missing[:, :, -1] = 0
    assert "zero at step 4 (time index 3)" in _reports.step_report("a", missing, want)
    assert "shifted one step later" in _reports.step_report("a", np.roll(want, 1, axis=2), want)
    assert "shifted one step earlier" in _reports.step_report("a", np.roll(want, -1, axis=2), want)
    assert _reports.step_report("a", want + 1, want) is None


# ------------------------------------------------------------------ under the sandboxed grader


@pytest.mark.needs_system("bwrap")
def test_grade_py_enforces_the_overflow_rule_and_fair_marks(tmp_path):
    """Graded by exercises/grade.py (the sandboxed grader, whose functions are proxies), an
    overflowing sigmoid loses q1 with the overflow message; q3, q5, q6, which call it, do not."""
    import json
    import subprocess
    import sys

    import nbformat

    stem = "02_lstm_forward"
    nb = nbformat.read(ex.EX / stem / f"{stem}.ipynb", as_version=4)
    answers = [c for c in nb.cells if "otter_answer_cell" in c.metadata.get("tags", [])]
    for cell, (_, src) in zip(answers, ex.master_parts(stem)[1], strict=True):
        cell.source = src
    answers[0].source = "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))"
    nbformat.write(nb, tmp_path / "overflow.ipynb")
    proc = subprocess.run(
        [sys.executable, str(ex.EX / "grade.py"), str(tmp_path / "overflow.ipynb"),
         "--output", str(tmp_path / "g.csv")],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (row,) = json.loads((tmp_path / "g.json").read_text())
    assert row["scores"]["q1"] == 0 and "sigmoid overflowed" in row["feedback"]["q1"], row
    assert all(row["scores"][q] == 3 for q in ("q3", "q5", "q6")), row
