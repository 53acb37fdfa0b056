"""The graded exercises (exercises/): masters, student notebooks, feedback, grading, the HTML.

Most checks run otter's own test files in-process against namespaces built from
the masters' solutions (and from realistic wrong answers); a few run the real
thing: one otter run per grading command call, one Jupyter Book build.
"""
import contextlib
import html
import importlib.util
import io
import pathlib
import re
import shutil
import subprocess
import sys
import zipfile

import nbformat
import numpy as np
import pytest
from otter.test_files import ExceptionTestFile

from lstm_src import feedback, lstm

ROOT = pathlib.Path(__file__).resolve().parents[1]
EX = ROOT / "exercises"
# exercises/build.py, loaded under its own name (a package called "build" may be installed too)
_spec = importlib.util.spec_from_file_location("exercises_build", EX / "build.py")
build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build)

STEMS = [p.stem for p in build.masters()]


def master_parts(stem):
    """(setup code, [(function name, solution source without markers)]) from a master."""
    nb = nbformat.read(EX / "masters" / f"{stem}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    setup, sols, inside = code[0].source, [], False
    for c in nb.cells:
        if c.cell_type == "raw" and c.source.strip() in ("# BEGIN SOLUTION", "# END SOLUTION"):
            inside = c.source.strip() == "# BEGIN SOLUTION"
        elif inside:
            src = "\n".join(line for line in c.source.splitlines()
                            if line.strip() not in ("# BEGIN SOLUTION", "# END SOLUTION"))
            sols.append((re.match(r"def (\w+)", src).group(1), src))
    return setup, sols


def namespace(stem, **wrong):
    """Run the master's setup and solutions; ``wrong`` replaces some functions by other code."""
    setup, sols = master_parts(stem)
    ns = {"__name__": "__main__"}
    for src in [setup] + [wrong.get(name, src) for name, src in sols]:
        exec(compile(src, stem, "exec"), ns)
    return ns


_ASSIGNED = {}


def assign_all(tmp_path_factory):
    """otter assign (without running tests) of every master, once per session
    (tests/test_feedback.py uses it too):
    {stem: (student dir, autograder tests dir, autograder zip)}."""
    if not _ASSIGNED:
        for master in build.masters():
            tmp = tmp_path_factory.mktemp(master.stem)
            student, zip_path = build.assign(master, tmp, run_tests=False)
            with zipfile.ZipFile(zip_path) as z:
                z.extractall(tmp / "ag")
            _ASSIGNED[master.stem] = (student, tmp / "ag" / "tests", zip_path)
    return _ASSIGNED


@pytest.fixture(scope="session")
def assigned(tmp_path_factory):
    """otter assign (without running tests) of every master:
    {stem: (student dir, autograder tests dir)}."""
    return assign_all(tmp_path_factory)


def grade(tests_dir, ns, only=None):
    """{question: (score, possible, feedback text)} from otter's test files (hidden ones included);
    ``only`` names the questions to run (default: all)."""
    out = {}
    for path in sorted(tests_dir.glob("q*.py")):
        if only is not None and path.stem not in only:
            continue
        tf = ExceptionTestFile.from_file(str(path))
        tf.run(ns)
        out[tf.name] = (tf.score, tf.possible, "\n".join(r.message for r in tf.test_case_results))
    return out


def grade_public(stem, ns, assigned):
    """Like :func:`grade`, with the public tests only (those of the student's notebook)."""
    return grade(assigned[stem][0] / "tests", ns)


# ------------------------------------------------------------------ generation


@pytest.mark.parametrize("stem", STEMS)
def test_committed_student_notebook_matches_master(stem, assigned):
    student = assigned[stem][0]
    assert build._same_tree(student, EX / stem), (
        f"exercises/{stem}/ is out of date with exercises/masters/{stem}.ipynb: "
        f"run python exercises/build.py {stem}")


def test_assignments_have_4_to_8_questions_with_public_and_hidden_tests(assigned):
    for stem, (student, ag_tests, _) in assigned.items():
        public = sorted(p.name for p in (student / "tests").glob("q*.py"))
        assert 4 <= len(public) <= 8, stem
        assert public == sorted(p.name for p in ag_tests.glob("q*.py"))
        for name in public:
            text = (ag_tests / name).read_text()
            assert "hidden=True" in text and "hidden=False" in text, f"{stem}/{name}"
            assert "hidden=True" not in (student / "tests" / name).read_text()
            # every test case asserts through lstm_src.feedback on random problems:
            # no stored outputs
            assert (text.count("from lstm_src.feedback import check_")
                    == text.count("@test_case(")), f"{stem}/{name}"


# ------------------------------------------------------------------ scores


@pytest.mark.parametrize("stem", STEMS)
def test_master_scores_full_marks(stem, assigned):
    results = grade(assigned[stem][1], namespace(stem))
    for q, (score, possible, text) in results.items():
        assert score == possible > 0, f"{stem} {q}: {score}/{possible}\n{text}"


@pytest.mark.parametrize("stem", STEMS)
def test_blank_student_notebook_runs_and_scores_zero(stem, assigned, tmp_path, monkeypatch):
    """Execute every cell of the committed student notebook (grader.check cells included)."""
    shutil.copytree(EX / stem, tmp_path / stem)
    monkeypatch.chdir(tmp_path / stem)
    nb = nbformat.read(f"{stem}.ipynb", as_version=4)
    ns = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in nb.cells:
            if cell.cell_type == "code":
                exec(compile(cell.source, f"{stem} cell {cell.id}", "exec"), ns)
    assert ns["grader"].check("q1").grade == 0
    results = grade(assigned[stem][1], ns)
    assert all(score == 0 for score, _, _ in results.values()), results
    assert all("returned None: finish the function" in text for _, _, text in results.values())


@pytest.mark.parametrize("stem", STEMS)
def test_solved_notebook_for_instructors_scores_full_marks(stem, assigned, tmp_path,
                                                          monkeypatch):
    """build.py --solutions: the solved notebook runs as a student's would
    (every cell, grader.check included) and scores full marks, hidden tests
    included; no hidden test is in it or in its tests folder."""
    student = assigned[stem][0]
    master = EX / "masters" / f"{stem}.ipynb"
    solved = build.write_solved(master, student.parent.parent, tmp_path / stem)
    assert solved == tmp_path / stem / f"{stem}.ipynb"
    assert sorted(p.name for p in (tmp_path / stem / "tests").glob("q*.py")) == sorted(
        p.name for p in (student / "tests").glob("q*.py"))
    monkeypatch.chdir(tmp_path / stem)
    nb = nbformat.read(solved.name, as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert "# HIDDEN" not in text and "hidden=True" not in "".join(
        p.read_text() for p in (tmp_path / stem / "tests").glob("q*.py"))
    ns = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in nb.cells:
            if cell.cell_type == "code":
                exec(compile(cell.source, f"{stem} cell {cell.id}", "exec"), ns)
    checks = re.findall(r'grader\.check\("(q\d+)"\)', text)
    assert checks, "no grader.check cell"
    for q in checks:           # in the notebook's namespace, as its own cells run it
        with contextlib.redirect_stdout(io.StringIO()):
            exec(f"_result = grader.check({q!r})", ns)
        assert ns["_result"].grade == 1, f"{q}: {ns['_result']}"
    results = grade(assigned[stem][1], ns)
    for q, (score, possible, feedback_text) in results.items():
        assert score == possible > 0, f"{stem} {q}: {score}/{possible}\n{feedback_text}"


# ------------------------------------------------------------------ wrong answers

def slip(stem, name, *replacements):
    """The master's solution of ``name`` with each (old, new) replacement made once:
    a realistic slip."""
    src = dict(master_parts(stem)[1])[name]
    for old, new in replacements:
        assert src.count(old) >= 1, f"{old!r} not in the solution of {name}"
        src = src.replace(old, new)
    return src


WRONG = [
    # (assignment, question, function, wrong code, words the feedback must contain)
    ("01_matrix_calculus", "q4", "linear_map_gradients",
     "def linear_map_gradients(dz, W, a):\n    return dz @ a.T, W @ dz",
     ["expected shape", "transpose"]),
    ("01_matrix_calculus", "q1", "dot_gradient", "def dot_gradient(a, b):\n    return b, b",
     ["is a row (numerator layout)"]),
    ("01_matrix_calculus", "q2", "elementwise_jacobian",
     "def elementwise_jacobian(z):\n    return np.diag((1 / (1 + np.exp(-z))).ravel())",
     ["σ′(z) = σ(z)(1 − σ(z))"]),
    ("01_matrix_calculus", "q3", "hadamard_jacobians",
     "def hadamard_jacobians(u, v):\n    return np.diag(u.ravel()), np.diag(v.ravel())",
     ["swapped"]),
    ("01_matrix_calculus", "q5", "finite_difference_jacobian",
     "def finite_difference_jacobian(f, x, h=1e-5):\n"
     "    x = np.array(x, dtype=float); f0 = np.ravel(f(x)); J = np.zeros((f0.size, x.size))\n"
     "    for j in range(x.size):\n"
     "        e = np.zeros_like(x); e.flat[j] = h; J[:, j] = (np.ravel(f(x + e)) - f0) / h\n"
     "    return J", ["centred"]),
    ("02_lstm_forward", "q3", "gates",
     "def gates(xt, a_prev, params):\n"
     "    z = lambda g: params[f'W_{g}a'].T @ a_prev + params[f'W_{g}x'].T @ xt"
     " + params[f'b_{g}']\n"
     "    return sigmoid(z('u')), sigmoid(z('f')), sigmoid(z('o')), np.tanh(z('c'))",
     ["gamma_f equals the right gamma_u", "two gates are swapped"]),
    ("02_lstm_forward", "q3", "gates",
     "def gates(xt, a_prev, params):\n"
     "    z = lambda g: params[f'W_{g}a'] @ a_prev + params[f'W_{g}x'].T @ xt + params[f'b_{g}']\n"
     "    return sigmoid(z('f')), sigmoid(z('u')), sigmoid(z('o')), np.tanh(z('c'))",
     ["gamma_f, gamma_u, gamma_o, c_tilde use W_a a⟨t−1⟩ where eq.1–8 need W_aᵀ",
      "transpose W_fa, W_ua, W_oa, W_ca"]),
    ("02_lstm_forward", "q4", "cell_update",
     "def cell_update(gamma_f, gamma_u, gamma_o, c_tilde, c_prev):\n"
     "    c = gamma_u * c_tilde + gamma_f * c_prev\n    return c, c * gamma_o",
     ["missing the tanh", "eq.10"]),
    ("02_lstm_forward", "q4", "cell_update",
     "def cell_update(gamma_f, gamma_u, gamma_o, c_tilde, c_prev):\n"
     "    c = gamma_f * c_tilde + gamma_u * c_prev\n    return c, np.tanh(c) * gamma_o",
     ["swapped", "eq.9"]),
    ("02_lstm_forward", "q2", "softmax",
     "def softmax(z):\n    e = np.exp(z - z.max(axis=1, keepdims=True))\n"
     "    return e / e.sum(axis=1, keepdims=True)",
     ["must sum to 1 (axis=0)"]),
    ("02_lstm_forward", "q6", "sequence_forward",
     "def sequence_forward(x, a0, params):\n"
     "    outs = [cell_forward(x[:, :, t], a0, np.zeros_like(a0), params)"
     " for t in range(x.shape[2])]\n"
     "    return tuple(np.stack([o[i] for o in outs], axis=-1) for i in (0, 2, 1))",
     ["right at step 1 but off from step 2"]),
    ("03_lstm_backward", "q1", "softmax_ce_grad",
     "def softmax_ce_grad(y_hat, y):\n    return y_hat - y",
     ["times the right answer", "averages over the batch"]),
    ("03_lstm_backward", "q2", "sigmoid_gate_grads",  # missing σ′
     "def sigmoid_gate_grads(dgamma, gamma, a_prev, xt):\n"
     "    dz = dgamma\n    return dz, a_prev @ dz.T, xt @ dz.T, dz.sum(axis=1, keepdims=True)",
     ["σ′", "Γ∘(1−Γ)"]),
    ("03_lstm_backward", "q4", "cell_backward",  # σ′ left out of the cell's own sigmoid gates
     "def cell_backward(da, dc_next, cache):\n    k, p = cache, cache['params']\n"
     "    dc = dc_next + da * k['gamma_o'] * (1 - np.tanh(k['c']) ** 2)\n"
     "    dg = {'f': dc * k['c_prev'], 'u': dc * k['c_tilde'], 'o': da * np.tanh(k['c'])}\n"
     "    g, da_prev, dx = {}, 0, 0\n"
     "    for n in 'fuo':\n        dz = dg[n]\n"
     "        g['dW_' + n + 'a'], g['dW_' + n + 'x'] = k['a_prev'] @ dz.T, k['x'] @ dz.T\n"
     "        g['db_' + n] = dz.sum(axis=1, keepdims=True)\n"
     "        da_prev, dx = da_prev + p['W_' + n + 'a'] @ dz, dx + p['W_' + n + 'x'] @ dz\n"
     "    dz, g['dW_ca'], g['dW_cx'], g['db_c'] = candidate_grads(dc * k['gamma_u'], k['c_tilde'],"
     " k['a_prev'], k['x'])\n"
     "    g['da_prev'], g['dx'] = da_prev + p['W_ca'] @ dz, dx + p['W_cx'] @ dz\n"
     "    g['dc_prev'] = dc * k['gamma_f']\n    return g",
     ["all three sigmoid gates (f, u, o) are off while the candidate's are right", "σ′"]),
    ("03_lstm_backward", "q2", "sigmoid_gate_grads",  # missing transpose
     "def sigmoid_gate_grads(dgamma, gamma, a_prev, xt):\n"
     "    dz = dgamma * gamma * (1 - gamma)\n"
     "    return dz, dz @ a_prev.T, dz @ xt.T, dz.sum(axis=1, keepdims=True)",
     ["dW_a is the transpose of the right answer"]),
    ("03_lstm_backward", "q4", "cell_backward",  # one gate wrong: names it and what to revisit
     "_right = cell_backward\n"
     "def cell_backward(da, dc_next, cache):\n"
     "    k = dict(cache); k['c_prev'] = cache['c']\n    g = _right(da, dc_next, k)\n"
     "    g['dc_prev'] = _right(da, dc_next, cache)['dc_prev']\n    return g",
     ["dW_fa, dW_fx, db_f are off while the u, o, c gradients are right", "revisit ∂Γ_f/∂z_f"]),
    ("03_lstm_backward", "q4", "cell_backward",  # two gates swapped
     "_right = cell_backward\n"
     "def cell_backward(da, dc_next, cache):\n    g = _right(da, dc_next, cache)\n"
     "    return {k.replace('_f', '_X').replace('_u', '_f').replace('_X', '_u'): v"
     " for k, v in g.items()}",
     ["gates f and u are swapped"]),
    ("03_lstm_backward", "q4", "cell_backward",  # the t+1 component of dc dropped
     "_right = cell_backward\n"
     "def cell_backward(da, dc_next, cache):\n    return _right(da, 0 * dc_next, cache)",
     ["dropped the t+1 component"]),
    ("03_lstm_backward", "q5", "lstm_backward",  # the t+1 component of da dropped
     "def lstm_backward(y, caches):\n    steps, p = caches['steps'], caches['params']\n"
     "    g = {'d' + n: np.zeros_like(v) for n, v in p.items()}\n"
     "    g['dx'] = np.zeros((steps[0]['x'].shape[0],) + y.shape[1:]);"
     " dc_next = 0 * steps[0]['a']\n"
     "    for t in reversed(range(len(steps))):\n"
     "        k = steps[t]; dz_y = softmax_ce_grad(k['y_hat'], y[:, :, t])\n"
     "        g['dW_ya'] += k['a'] @ dz_y.T; g['db_y'] += dz_y.sum(axis=1, keepdims=True)\n"
     "        s = cell_backward(p['W_ya'] @ dz_y, dc_next, k)\n"
     "        for n in s:\n            if n[:3] in ('dW_', 'db_'): g[n] += s[n]\n"
     "        g['dx'][:, :, t] = s['dx']; dc_next = s['dc_prev']; g['da0'] = s['da_prev']\n"
     "    return g",
     ["right for a single time step but off over several", "t+1 component"]),
    ("03_lstm_backward", "q6", "gradient_check",
     "def gradient_check(forward, backward, x, a0, y, params, name, h=1e-5):\n"
     "    return 0.0", ["for a backward pass whose dW_ox is off in one entry"]),
    ("04_rnn_bptt", "q2", "rnn_step_backward",
     "def rnn_step_backward(da, cache):\n    p = cache['params']; dz = da\n"
     "    return {'dW_aa': cache['a_prev'] @ dz.T, 'dW_ax': cache['x'] @ dz.T,"
     " 'db_a': dz.sum(axis=1, keepdims=True),"
     " 'da_prev': p['W_aa'] @ dz, 'dx': p['W_ax'] @ dz}", ["missing the tanh′ factor"]),
    ("04_rnn_bptt", "q3", "rnn_bptt",  # summing over the batch instead of averaging
     "_right = rnn_bptt\n"
     "def rnn_bptt(y, caches):\n"
     "    return {k: v * y.shape[1] for k, v in _right(y, caches).items()}",
     ["every gradient is m = ", "averages over the batch"]),
    ("04_rnn_bptt", "q3", "rnn_bptt",  # the t+1 component forgotten
     "def rnn_bptt(y, caches):\n    steps, p = caches['steps'], caches['params']; m = y.shape[1]\n"
     "    g = {'d' + n: np.zeros_like(v) for n, v in p.items()}\n"
     "    g['dx'] = np.zeros((steps[0]['x'].shape[0], m, len(steps)))\n"
     "    for t in reversed(range(len(steps))):\n"
     "        k = steps[t]; dz_y = (k['y_hat'] - y[:, :, t]) / m\n"
     "        g['dW_ya'] += k['a'] @ dz_y.T; g['db_y'] += dz_y.sum(axis=1, keepdims=True)\n"
     "        s = rnn_step_backward(p['W_ya'] @ dz_y, k)\n"
     "        for n in ('dW_aa', 'dW_ax', 'db_a'): g[n] += s[n]\n"
     "        g['dx'][:, :, t] = s['dx']; g['da0'] = s['da_prev']\n    return g",
     ["right for a single time step but off over several", "t+1 component"]),
    ("04_rnn_bptt", "q4", "hidden_jacobian",
     "def hidden_jacobian(a, W_aa):\n    return (1 - a * a) * W_aa", ["W_aaᵀ"]),
    # ---- issue 11 item 8: the master's solution with one realistic slip, and the words it must get
    ("03_lstm_backward", "q3", "candidate_grads",  # tanh′ written as 1 − tanh
     slip("03_lstm_backward", "candidate_grads", ("(1.0 - c_tilde ** 2)", "(1.0 - c_tilde)")),
     ["tanh′ = 1 − tanh², not 1 − tanh", "dz_c = dc_tilde∘(1 − c̃∘c̃)"]),
    ("03_lstm_backward", "q4", "cell_backward",  # ... in the cell, through a = tanh(c)∘Γ_o
     slip("03_lstm_backward", "cell_backward", ("(1.0 - tanh_c ** 2)", "(1.0 - tanh_c)")),
     ["tanh′ = 1 − tanh², not 1 − tanh", "(eq.10)"]),
    ("04_rnn_bptt", "q2", "rnn_step_backward",  # ... in the RNN step
     slip("04_rnn_bptt", "rnn_step_backward", ('(1.0 - cache["a"] ** 2)', '(1.0 - cache["a"])')),
     ["tanh′ = 1 − tanh², not 1 − tanh", "δz = da∘(1 − a⟨t⟩∘a⟨t⟩)"]),
    ("03_lstm_backward", "q4", "cell_backward",  # dc_prev forgets Γ_f
     slip("03_lstm_backward", "cell_backward", ('= dc * k["gamma_f"]', "= dc")),
     ["dc_prev is missing the factor Γ_f", "∂c⟨t⟩/∂c⟨t−1⟩ = Γ_f (eq.9)"]),
    ("03_lstm_backward", "q4", "cell_backward",  # dc_prev through the wrong gate: still eq.9
     slip("03_lstm_backward", "cell_backward", ('= dc * k["gamma_f"]', '= dc * k["gamma_u"]')),
     ["dc_prev is off while every weight gradient is right", "∂c⟨t⟩/∂c⟨t−1⟩ = Γ_f (eq.9)"]),
    ("03_lstm_backward", "q4", "cell_backward",  # da_prev through W_aᵀ instead of W_a
     slip("03_lstm_backward", "cell_backward", ('p[f"W_{g}a"] @ dz', 'p[f"W_{g}a"].T @ dz'),
          ('p["W_ca"] @ dz', 'p["W_ca"].T @ dz')),
     ["da_prev uses W_gaᵀ δz_g", "(no transpose)"]),
    ("02_lstm_forward", "q6", "sequence_forward",  # the loop misses the last step
     slip("02_lstm_forward", "sequence_forward", ("range(T_x)", "range(T_x - 1)")),
     ["is zero at step", "misses the last step", "range(T_x)"]),
    ("02_lstm_forward", "q6", "sequence_forward",  # ... or the first one
     slip("02_lstm_forward", "sequence_forward", ("range(T_x)", "range(1, T_x)")),
     ["is zero at step 1 (time index 0)", "misses the first step"]),
    ("02_lstm_forward", "q6", "sequence_forward",  # the initial cell state taken from a0
     slip("02_lstm_forward", "sequence_forward", ("a0, np.zeros((n_a, m))", "a0, a0")),
     ["starts from c⟨0⟩ = a0", "c⟨0⟩ = 0"]),
    ("03_lstm_backward", "q5", "lstm_backward",  # the loop over time misses the last step
     slip("03_lstm_backward", "lstm_backward", ("range(len(steps))", "range(len(steps) - 1)")),
     ["never visits the last step"]),
    ("03_lstm_backward", "q5", "lstm_backward",  # ... or the first one
     slip("03_lstm_backward", "lstm_backward", ("range(len(steps))", "range(1, len(steps))")),
     ["never visits the first step (time index 0)"]),
    ("04_rnn_bptt", "q3", "rnn_bptt",  # the loop runs forward in time
     slip("04_rnn_bptt", "rnn_bptt", ("reversed(range(len(steps)))", "range(len(steps))")),
     ["your loop runs forward in time", "reversed(range(T_x))"]),
    ("04_rnn_bptt", "q3", "rnn_bptt",  # dx stored one step off
     slip("04_rnn_bptt", "rnn_bptt", ('grads["dx"][:, :, t]', 'grads["dx"][:, :, t - 1]')),
     ["dx is shifted one step earlier"]),
    ("03_lstm_backward", "q2", "sigmoid_gate_grads",  # right values, but the input changed in place
     slip("03_lstm_backward", "sigmoid_gate_grads",
          ("dz = dgamma * gamma * (1.0 - gamma)", "dz = dgamma\n    dz *= gamma * (1.0 - gamma)")),
     ["sigmoid_gate_grads modified its input dgamma", "use new = dgamma * ..., not in-place *="]),
    ("02_lstm_forward", "q3", "gates",  # only the forget gate's W_fa left untransposed
     slip("02_lstm_forward", "gates",
          ('params[f"W_{g}a"].T @ a_prev',
           '(params["W_fa"] if g == "f" else params[f"W_{g}a"].T) @ a_prev')),
     ["gamma_f uses W_a a⟨t−1⟩", "transpose W_fa ("]),
    ("04_rnn_bptt", "q1", "rnn_step",  # W_aa left untransposed
     slip("04_rnn_bptt", "rnn_step", ('params["W_aa"].T @ a_prev', 'params["W_aa"] @ a_prev')),
     ["a uses W_aa a⟨t−1⟩ where it needs W_aaᵀ"]),
    ("04_rnn_bptt", "q4", "hidden_jacobian",  # tanh′ written as 1 − tanh
     slip("04_rnn_bptt", "hidden_jacobian", ("(1.0 - a * a)", "(1.0 - a)")),
     ["tanh′ = 1 − tanh², not 1 − tanh"]),
    ("04_rnn_bptt", "q2", "rnn_step_backward",  # da_prev through W_aaᵀ
     slip("04_rnn_bptt", "rnn_step_backward", ('p["W_aa"] @ dz', 'p["W_aa"].T @ dz')),
     ["da_prev uses W_aaᵀ δz", "(no transpose)"]),
    ("03_lstm_backward", "q2", "sigmoid_gate_grads",  # σ′ applied to Γ once more
     slip("03_lstm_backward", "sigmoid_gate_grads",
          ("dz = dgamma * gamma * (1.0 - gamma)",
           "s = 1 / (1 + np.exp(-gamma))\n    dz = dgamma * s * (1.0 - s)")),
     ["applies σ′ to Γ itself", "Γ∘(1−Γ)"]),
    ("03_lstm_backward", "q3", "candidate_grads",  # tanh applied to c̃ once more
     slip("03_lstm_backward", "candidate_grads",
          ("(1.0 - c_tilde ** 2)", "(1.0 - np.tanh(c_tilde) ** 2)")),
     ["applies tanh′ to c̃ itself"]),
    ("03_lstm_backward", "q5", "lstm_backward",  # dc_prev never passed back
     slip("03_lstm_backward", "lstm_backward",
          ('da_next, dc_next = step["da_prev"], step["dc_prev"]', 'da_next = step["da_prev"]')),
     ["∂J/∂c⟨t⟩ misses the part that step t+1 sends back", "dc_prev of the step after"]),
]


def _s5(name, *replacements):
    return slip("05_gru_backward", name, *replacements)


WRONG += [  # issue 19, assignment 5: the slips of the GRU's backward pass
    ("05_gru_backward", "q1", "output_grads",  # summed over the batch
     _s5("output_grads", ("dz = (y_hat - y) / y.shape[1]", "dz = y_hat - y")),
     ["m = ", "times the right answer", "averages over the batch"]),
    ("05_gru_backward", "q1", "output_grads",  # dW_ya transposed
     _s5("output_grads", ("a @ dz.T", "dz @ a.T")), ["expected shape", "transpose"]),
    ("05_gru_backward", "q2", "interpolation_backward",  # (1 − z) and z swapped
     _s5("interpolation_backward", ("da * (1.0 - gamma_z), da * gamma_z",
                                    "da * gamma_z, da * (1.0 - gamma_z)")),
     ["(1 − Γ_z) and Γ_z are swapped", "the GRU chapter, eq. gru-a"]),
    ("05_gru_backward", "q2", "interpolation_backward",  # ∂a/∂Γ_z with the wrong sign
     _s5("interpolation_backward", ("da * (a_prev - n_tilde)", "da * (n_tilde - a_prev)")),
     ["dgamma_z has the wrong sign", "a⟨t−1⟩ − ñ⟨t⟩"]),
    ("05_gru_backward", "q2", "interpolation_backward",  # the direct path of a⟨t−1⟩ dropped
     _s5("interpolation_backward", ("da * (1.0 - gamma_z), da * gamma_z",
                                    "da * (1.0 - gamma_z), 0 * da")),
     ["the path of a⟨t−1⟩ through the interpolation is forgotten"]),
    ("05_gru_backward", "q3", "gate_backward",  # σ′ written from the pre-activation
     _s5("gate_backward", ("dz = dgamma * gamma * (1.0 - gamma)",
                           "s = 1 / (1 + np.exp(-gamma))\n    dz = dgamma * s * (1 - s)")),
     ["σ′ is written from the pre-activation", "Γ∘(1−Γ)"]),
    ("05_gru_backward", "q3", "gate_backward",  # σ′ missing
     _s5("gate_backward", ("dz = dgamma * gamma * (1.0 - gamma)", "dz = dgamma")),
     ["the derivative factor is missing"]),
    ("05_gru_backward", "q3", "gate_backward",  # a missing transpose
     _s5("gate_backward", ("a_prev @ dz.T, xt @ dz.T", "dz @ a_prev.T, dz @ xt.T")),
     ["transpose"]),
    ("05_gru_backward", "q3", "gate_backward",  # the input changed in place
     _s5("gate_backward", ("dz = dgamma * gamma * (1.0 - gamma)",
                           "dz = dgamma\n    dz *= gamma * (1.0 - gamma)")),
     ["gate_backward modified its input dgamma"]),
    ("05_gru_backward", "q4", "candidate_backward",  # Cho's form instead of PyTorch's
     "def candidate_backward(dn_tilde, cache):\n    p = cache['params']\n"
     "    dz_n = dn_tilde * (1 - cache['n_tilde'] ** 2)\n    d_ra = p['W_na'] @ dz_n\n"
     "    return {'dz_n': dz_n, 'dgamma_r': d_ra * cache['a_prev'],\n"
     "            'dW_nx': cache['x'] @ dz_n.T, 'db_n': dz_n.sum(axis=1, keepdims=True),\n"
     "            'dW_na': (cache['gamma_r'] * cache['a_prev']) @ dz_n.T,\n"
     "            'db_na': dz_n.sum(axis=1, keepdims=True),\n"
     "            'da_prev_n': d_ra * cache['gamma_r']}",
     ["the reset gate is applied to the wrong factor", "Cho et al.'s candidate",
      "the GRU chapter, eq. gru-n"]),
    ("05_gru_backward", "q4", "candidate_backward",  # tanh′ = 1 − tanh
     _s5("candidate_backward", ('(1.0 - cache["n_tilde"] ** 2)', '(1.0 - cache["n_tilde"])')),
     ["tanh′ = 1 − tanh², not 1 − tanh"]),
    ("05_gru_backward", "q4", "candidate_backward",  # tanh′ of ñ itself
     _s5("candidate_backward", ('(1.0 - cache["n_tilde"] ** 2)',
                                '(1.0 - np.tanh(cache["n_tilde"]) ** 2)')),
     ["tanh′ is taken of ñ itself"]),
    ("05_gru_backward", "q4", "candidate_backward",  # Γ_r left out of δh_n
     _s5("candidate_backward", ('dh_n = dz_n * cache["gamma_r"]', "dh_n = dz_n")),
     ["misses the reset gate"]),
    ("05_gru_backward", "q4", "candidate_backward",  # db_na from δz_n
     _s5("candidate_backward", ('"db_na": np.sum(dh_n', '"db_na": np.sum(dz_n')),
     ["db_na sums δz_n"]),
    ("05_gru_backward", "q4", "candidate_backward",  # W_naᵀ
     _s5("candidate_backward", ('cache["params"]["W_na"] @ dh_n',
                                'cache["params"]["W_na"].T @ dh_n')),
     ["da_prev_n uses W_naᵀ", "(no transpose)"]),
    ("05_gru_backward", "q5", "gru_step_backward",  # the interpolation's path of a⟨t−1⟩
     _s5("gru_step_backward", ('da_prev = da_prev + n["da_prev_n"]', 'da_prev = n["da_prev_n"]')),
     ["the path of a⟨t−1⟩ through the interpolation is forgotten"]),
    ("05_gru_backward", "q5", "gru_step_backward",  # W_·aᵀ everywhere
     _s5("gru_step_backward",
         ('da_prev = da_prev + p["W_" + gate + "a"] @ dz',
          'da_prev = da_prev + p["W_" + gate + "a"].T @ dz'),
         ('da_prev = da_prev + n["da_prev_n"]',
          'da_prev = da_prev + p["W_na"].T @ (n["dz_n"] * cache["gamma_r"])')),
     ["da_prev uses W_gaᵀ δz", "(no transpose)"]),
    ("05_gru_backward", "q5", "gru_step_backward",  # the candidate's path dropped
     _s5("gru_step_backward", ('da_prev = da_prev + n["da_prev_n"]', "da_prev = da_prev")),
     ["da_prev misses the candidate's path"]),
    ("05_gru_backward", "q5", "gru_step_backward",  # the gates' gradients exchanged
     _s5("gru_step_backward", ('(("r", n["dgamma_r"]), ("z", dgamma_z))',
                               '(("r", dgamma_z), ("z", n["dgamma_r"]))')),
     ["the two gates' incoming gradients are swapped"]),
    ("05_gru_backward", "q5", "gru_step_backward",  # (1 − z) and z swapped, written inline
     "def gru_step_backward(da, cache):\n    k, p = cache, cache['params']\n"
     "    dgz = da * (k['a_prev'] - k['n_tilde'])\n"
     "    dz_n = da * k['gamma_z'] * (1 - k['n_tilde'] ** 2)\n    dh = dz_n * k['gamma_r']\n"
     "    g = {'dW_nx': k['x'] @ dz_n.T, 'db_n': dz_n.sum(axis=1, keepdims=True),\n"
     "         'dW_na': k['a_prev'] @ dh.T, 'db_na': dh.sum(axis=1, keepdims=True)}\n"
     "    da_prev = da * (1 - k['gamma_z']) + p['W_na'] @ dh\n    dx = p['W_nx'] @ dz_n\n"
     "    for gt, dgm in (('r', dz_n * k['h_n']), ('z', dgz)):\n"
     "        gm = k['gamma_' + gt]\n        dz = dgm * gm * (1 - gm)\n"
     "        g['dW_' + gt + 'a'], g['dW_' + gt + 'x'] = k['a_prev'] @ dz.T, k['x'] @ dz.T\n"
     "        g['db_' + gt] = dz.sum(axis=1, keepdims=True)\n"
     "        da_prev = da_prev + p['W_' + gt + 'a'] @ dz\n"
     "        dx = dx + p['W_' + gt + 'x'] @ dz\n"
     "    g['da_prev'], g['dx'] = da_prev, dx\n    return g",
     ["(1 − Γ_z) and Γ_z are swapped"]),
    ("05_gru_backward", "q6", "gru_bptt",  # off by one: the last step never visited
     _s5("gru_bptt", ("range(len(steps))", "range(len(steps) - 1)")),
     ["never visits the last step"]),
    ("05_gru_backward", "q6", "gru_bptt",  # ... or the first
     _s5("gru_bptt", ("range(len(steps))", "range(1, len(steps))")),
     ["never visits the first step (time index 0)"]),
    ("05_gru_backward", "q6", "gru_bptt",  # the t+1 component dropped
     _s5("gru_bptt", ("step = gru_step_backward(da + da_next, k)",
                      "step = gru_step_backward(da, k)")),
     ["right for a single time step but off over several", "t+1 component"]),
    ("05_gru_backward", "q6", "gru_bptt",  # forward in time
     _s5("gru_bptt", ("reversed(range(len(steps)))", "range(len(steps))")),
     ["your loop runs forward in time"]),
    ("05_gru_backward", "q6", "gru_bptt",  # dx stored one step off
     _s5("gru_bptt", ('grads["dx"][:, :, t]', 'grads["dx"][:, :, t - 1]')),
     ["dx is shifted one step"]),
    ("05_gru_backward", "q6", "gru_bptt",  # summed over the batch
     "_right = gru_bptt\n"
     "def gru_bptt(y, caches):\n"
     "    return {k: v * y.shape[1] for k, v in _right(y, caches).items()}",
     ["every gradient is m = ", "averages over the batch"]),
]


def _s6(name, *replacements):
    return slip("06_training", name, *replacements)


WRONG += [  # issue 19, assignment 6: the slips of training, and the words each must get
    ("06_training", "q1", "adam_step",  # no bias correction
     _s6("adam_step", ("m_hat = m / (1 - beta1 ** t)", "m_hat = m"),
         ("v_hat = v / (1 - beta2 ** t)", "v_hat = v")),
     ["the bias correction is missing", "text-adam-correction"]),
    ("06_training", "q1", "adam_step",  # t starting at 0
     _s6("adam_step", ('t = state["t"] + 1\n', 't = state["t"]\n'), ('"t": t}', '"t": t + 1}')),
     ["uses the step count before this step", "1 − β⁰ = 0"]),
    ("06_training", "q1", "adam_step",  # ε inside the square root
     _s6("adam_step", ("(np.sqrt(v_hat) + eps)", "np.sqrt(v_hat + eps)")),
     ["ε is inside the square root", "text-adam-update"]),
    ("06_training", "q1", "adam_step",  # β instead of βᵗ
     _s6("adam_step", ("1 - beta1 ** t", "1 - beta1"), ("1 - beta2 ** t", "1 - beta2")),
     ["divides by 1 − β₁ and 1 − β₂"]),
    ("06_training", "q1", "adam_step",  # v of g, not of g⊙g
     _s6("adam_step", ("(1 - beta2) * g * g", "(1 - beta2) * g")),
     ["running mean of the gradient's square"]),
    ("06_training", "q1", "adam_step",  # m̂ stored in the state
     _s6("adam_step", ("new_m[name], new_v[name] = m, v", "new_m[name], new_v[name] = m_hat, v")),
     ["holds the bias-corrected m̂"]),
    ("06_training", "q1", "adam_step",  # the caller's state changed in place
     _s6("adam_step", ('m = beta1 * state["m"][name] + (1 - beta1) * g',
                       'm = state["m"][name]; m *= beta1; m += (1 - beta1) * g')),
     ["adam_step modified its input state['m']", "return new dicts"]),
    ("06_training", "q2", "clip_by_global_norm",  # each array clipped on its own
     "def clip_by_global_norm(grads, max_norm):\n    out = {}\n"
     "    for k, g in grads.items():\n        out[k] = g * min(1.0, max_norm / np.linalg.norm(g))\n"
     "    return out, float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))",
     ["each array is clipped on its own", "changes the direction"]),
    ("06_training", "q2", "clip_by_global_norm",  # scaled up as well as down
     _s6("clip_by_global_norm", ("min(1.0, max_norm / norm)", "max_norm / norm")),
     ["clipping only shrinks"]),
    ("06_training", "q2", "clip_by_global_norm",  # the sum of the arrays' norms
     _s6("clip_by_global_norm", ("np.sqrt(sum(np.sum(g * g) for g in grads.values()))",
                                 "sum(np.linalg.norm(g) for g in grads.values())")),
     ["the sum of the arrays' norms"]),
    ("06_training", "q2", "clip_by_global_norm",  # the norm after clipping returned
     _s6("clip_by_global_norm", ("}, norm", "}, norm * scale")),
     ["the norm after clipping"]),
    ("06_training", "q3", "tbptt_gradients",  # the state reset to zero between windows
     _s6("tbptt_gradients",
         ("a, c = a_all[:, :, -1], c_all[:, :, -1]", "a, c = 0 * a0, 0 * c0")),
     ["the state is reset to zero at every window", "text-tbptt"]),
    ("06_training", "q3", "tbptt_gradients",  # the gradient not cut: caches of every window kept
     "def tbptt_gradients(x, y, a0, c0, params, T_w):\n    out = []\n"
     "    for s in range(0, x.shape[2], T_w):\n"
     "        a, _, c, caches = lstm.lstm_forward(x[:, :, :s + T_w], a0, params, c0=c0)\n"
     "        out.append(lstm.lstm_backward(y[:, :, :s + T_w], caches))\n"
     "    return out, a[:, :, -1], c[:, :, -1]",
     ["window 2's gradient reaches back into the window before it"]),
    ("06_training", "q3", "tbptt_gradients",  # c never carried
     _s6("tbptt_gradients", ("a, c = a_all[:, :, -1], c_all[:, :, -1]", "a = a_all[:, :, -1]")),
     ["only a is carried to the next window"]),
    ("06_training", "q3", "tbptt_gradients",  # the state after the window's first step
     _s6("tbptt_gradients",
         ("a, c = a_all[:, :, -1], c_all[:, :, -1]", "a, c = a_all[:, :, 0], c_all[:, :, 0]")),
     ["the state after the window's FIRST step"]),
    ("06_training", "q4", "evaluate",  # no state carried in validation
     _s6("evaluate", ("a, c = a_all[:, :, -1], c_all[:, :, -1]", "pass")),
     ["every window starts from zero state"]),
    ("06_training", "q4", "evaluate",  # perplexity from the summed loss
     _s6("evaluate", ("return loss, np.exp(loss)", "return loss, np.exp(total)")),
     ["perplexity is exp of the loss summed", "text-perplexity-def"]),
    ("06_training", "q4", "evaluate",  # loss per window, not per character
     _s6("evaluate", ("/ m / x.shape[2]", "/ m")),
     ["per window, not per character"]),
    ("06_training", "q4", "evaluate",  # log base 2
     _s6("evaluate", ("np.log(y_hat)", "np.log2(y_hat)")), ["in bits"]),
    ("06_training", "q5", "sample_indices",  # temperature applied after the softmax
     _s6("sample_indices", ("s = z / temperature\n    p = np.exp(s - np.max(s))",
                            "p = np.exp(z - np.max(z))\n    p = p / p.sum() / temperature")),
     ["the temperature has no effect", "BEFORE the softmax"]),
    ("06_training", "q5", "sample_indices",  # logits multiplied by τ
     _s6("sample_indices", ("s = z / temperature", "s = z * temperature")),
     ["multiplied by the temperature"]),
    ("06_training", "q5", "sample_indices",  # the global generator
     _s6("sample_indices", ("rng = np.random.default_rng(seed)", "rng = np.random")),
     ["two calls with the same seed drew different indices"]),
    ("06_training", "q5", "sample_indices",  # uniform draws
     _s6("sample_indices", ("size=n, p=p / p.sum()", "size=n")), ["drawn uniformly"]),
    ("06_training", "q5", "sample_indices",  # no max subtracted: τ → 0 overflows
     _s6("sample_indices", ("p = np.exp(s - np.max(s))", "p = np.exp(s)")),
     ["overflowed at temperature", "exp(s − max(s))"]),
    ("06_training", "q6", "train_char_model",  # Adam's state not kept
     _s6("train_char_model", ("params, state = adam_step(params, grads, state, lr)",
                              "params, _ = adam_step(params, grads, state, lr)")),
     ["Adam starts afresh at every step"]),
    ("06_training", "q6", "train_char_model",  # zero state for every window
     _s6("train_char_model", ("(grads,), a, c = tbptt_gradients(x, y, a, c, params, T_w)",
                              "(grads,), _, _ = tbptt_gradients(x, y, 0 * a, 0 * c, params, T_w)")),
     ["every window starts from zero state"]),
    ("06_training", "q6", "train_char_model",  # dx and da0 clipped with the parameters
     _s6("train_char_model",
         ('grads = {"d" + k: grads["d" + k] for k in params}\n        ', "")),
     ["the clipped norm includes dx and da0"]),
    ("06_training", "q6", "train_char_model",  # the new parameters thrown away
     _s6("train_char_model", ("params, state = adam_step(params, grads, state, lr)",
                              "adam_step(params, grads, state, lr)")),
     ["training never changed them"]),
    ("06_training", "q6", "train_char_model",  # labels = inputs: it does not learn the text
     _s6("train_char_model", ("ids[j * L + 1:(j + 1) * L + 1]", "ids[j * L:(j + 1) * L]")),
     ["a working loop gets below 1"]),
]


@pytest.mark.parametrize("stem, q, fn, code, words", WRONG,
                         ids=[f"{w[0][:2]}-{w[1]}-{i}" for i, w in enumerate(WRONG)])
def test_wrong_answer_loses_points_with_the_right_diagnostic(stem, q, fn, code, words, assigned):
    ns = namespace(stem)
    exec(compile(code, "wrong", "exec"), ns)
    score, possible, text = grade(assigned[stem][1], ns, only={q})[q]
    assert score < possible, f"{stem} {q}: a wrong {fn} kept full marks"
    for w in words:
        assert w in text, f"{stem} {q}: feedback lacks {w!r}:\n{text}"


def test_hidden_tests_go_beyond_public_ones(assigned):
    """A softmax_ce_grad right only for the public tests' batch sizes (2, 4) fails a hidden test."""
    ns = namespace("03_lstm_backward")
    exec("def softmax_ce_grad(y_hat, y):\n    return (y_hat - y) / min(y.shape[1], 4)", ns)
    assert grade_public("03_lstm_backward", ns, assigned)["q1"][0] == 1
    score, possible, text = grade(assigned["03_lstm_backward"][1], ns)["q1"]
    assert 0 < score < possible and "times the right answer" in text, text


def test_feedback_says_expected_and_received_shape():
    with pytest.raises(AssertionError,
                       match=r"dW: expected shape \(3, 4\), got \(4, 3\).*transpose"):
        feedback.check_array("dW", np.zeros((4, 3)), np.ones((3, 4)))
    with pytest.raises(AssertionError,
                       match=(r"db: expected shape \(4, 1\), got \(4, 5\)"
                              r".*sums δz over the batch")):
        feedback.check_array("db", np.zeros((4, 5)), np.ones((4, 1)))
    feedback.check_array("same", np.ones((2, 2)), np.ones((2, 2)))


def test_gradient_feedback_names_the_gate_and_what_to_revisit():
    """The issue's example: only the forget gate's gradients are off."""
    rng = np.random.default_rng(0)
    want = {f"d{n}": rng.normal(size=(2, 3)) for n in lstm.PARAM_NAMES[:-2]}
    got = {**want, "dW_fa": 2 * want["dW_fa"], "db_f": want["db_f"] + 1}
    with pytest.raises(AssertionError) as err:
        feedback.check_grads(got, want)
    msg = str(err.value)
    assert msg.startswith("dW_fa, db_f are off while the u, o, c gradients are right")
    assert "revisit ∂Γ_f/∂z_f" in msg and "eq.2" in msg


# ------------------------------------------------------------------ the book


def test_toc_lists_student_notebooks_not_masters():
    toc = (ROOT / "_toc.yml").read_text()
    assert 'caption: "Graded exercises"' in toc
    for stem in STEMS:
        assert f"file: exercises/{stem}/{stem}" in toc
    assert "masters" not in toc


def _text_of(page):
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))


def test_built_html_has_no_solution_and_no_hidden_test(tmp_path):
    """Build the exercise pages with the book's _config.yml: no outputs, solutions or hidden
    tests in them."""
    toc = tmp_path / "_toc.yml"
    toc.write_text("format: jb-book\nroot: exercises/{0}/{0}\nchapters:\n".format(STEMS[0])
                   + "".join(f"  - file: exercises/{s}/{s}\n" for s in STEMS[1:]))
    jb = pathlib.Path(sys.executable).with_name("jupyter-book")
    proc = subprocess.run([str(jb), "build", str(ROOT), "--toc", str(toc),
                           "--path-output", str(tmp_path), "-W", "-n", "--keep-going"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for stem in STEMS:
        page = tmp_path / "_build" / "html" / "exercises" / stem / f"{stem}.html"
        raw, text = page.read_text(encoding="utf-8"), _text_of(page)
        assert 'class="cell_output' not in raw, f"{stem}: the page was executed"
        assert "mybinder.org/v2/gh/" in raw and f"exercises/{stem}/{stem}.ipynb" in raw, (
            f"{stem}: no Binder button")
        setup, sols = master_parts(stem)
        for name, src in sols:
            assert f"def {name}(" in text  # the prompt is there, so the search below can see code
            body = [line.strip() for line in src.splitlines()[1:]
                    if len(line.strip()) > 12 and '"""' not in line]
            leaked = [line for line in body if line in text]
            assert not leaked, f"{stem}: solution lines in the HTML: {leaked}"
        for marker in ("BEGIN SOLUTION", "# HIDDEN", "_hidden(", "hidden=True", "seeds=range(2,"):
            assert marker not in text, f"{stem}: {marker!r} in the HTML"
