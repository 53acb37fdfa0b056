"""Sandboxed grading (exercises/grade.py, exercises/grading/): a battery of cheating notebooks.

The notebooks are generated here from the committed student notebooks and the
masters' solutions, then graded together by ONE grade.py call (--jobs 2), so
the battery costs one sandbox per notebook and nothing more.
"""

import hashlib
import importlib.util
import json
import pathlib
import subprocess
import sys
import zipfile

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
EX = ROOT / "exercises"
_spec = importlib.util.spec_from_file_location("exercises_build_g", EX / "build.py")
build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build)
STEMS = [p.stem for p in build.masters()]
LIMITS = ["--call-timeout", "2", "--cell-timeout", "3", "--timeout", "60"]
pytestmark = pytest.mark.needs_system("bwrap")


def solutions(stem):
    """[(function name, solution source)] of a master, in question order."""
    nb = nbformat.read(EX / "masters" / f"{stem}.ipynb", as_version=4)
    out, inside = [], False
    for c in nb.cells:
        if c.cell_type == "raw" and c.source.strip() in ("# BEGIN SOLUTION", "# END SOLUTION"):
            inside = c.source.strip() == "# BEGIN SOLUTION"
        elif inside:
            src = "\n".join(
                line
                for line in c.source.splitlines()
                if line.strip() not in ("# BEGIN SOLUTION", "# END SOLUTION")
            )
            out.append((src.split("def ", 1)[1].split("(", 1)[0], src))
    return out


def notebook(stem, solved=True, answers=None, extra_cell=None):
    """The committed student notebook, answered with the solutions (or blank), some answers
    replaced by ``answers`` {function: code}, and ``extra_cell`` inserted after the setup cell."""
    nb = nbformat.read(EX / stem / f"{stem}.ipynb", as_version=4)
    cells = [c for c in nb.cells if "otter_answer_cell" in c.metadata.get("tags", [])]
    for cell, (name, src) in zip(cells, solutions(stem), strict=True):
        if answers and name in answers:
            cell.source = answers[name]
        elif solved:
            cell.source = src
    if extra_cell:
        first_answer = nb.cells.index(cells[0])
        nb.cells.insert(first_answer, nbformat.v4.new_code_cell(extra_cell))
    return nb


PATCH_FEEDBACK = """
import sys, lstm_src.feedback as fb
for mod in [m for n, m in list(sys.modules.items()) if n.startswith('lstm_src.feedback')]:
    for n in dir(mod):
        if n.startswith('check_') or n in ('_call', '_fail', '_diagnose'):
            setattr(mod, n, lambda *a, **k: None)
"""

FORGE_OTTER = """
import otter.test_files.abstract_test as at
from otter.test_files import ExceptionTestFile
at.TestFile.score = property(lambda self: self.possible)
ExceptionTestFile.run = lambda self, env: None
import otter.run.run_autograder as rr
rr.main = lambda *a, **k: None
"""

PATCH_NUMPY = """
import numpy as np, numpy.testing
np.allclose = lambda *a, **k: True
np.isclose = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
"""

DISK_WRITE = """
import os, glob, lstm_src
here = os.path.dirname(lstm_src.__file__)
for path in glob.glob(os.path.join(here, '**', '*.py'), recursive=True):
    try:
        with open(path, 'a') as f:
            f.write('\\nimport builtins as _b\\n_e = _b.exec\\n'
                    'def _x(code, ns=None, *a):\\n'
                    '    _e(code, ns, *a)\\n'
                    '    if isinstance(ns, dict) and "dot_gradient" in ns:\\n'
                    '        ns["dot_gradient"] = lambda a, b: (b.T.copy(), b.copy())\\n'
                    '_b.exec = _x\\n')
    except OSError:
        pass
"""

LEAK_TESTS = """
import glob, os, lstm_src
_found = []
_up = os.path.join(os.path.dirname(lstm_src.__file__), '..')
for pattern in ['/autograder/source/tests/*.py', 'tests/*.py', _up + '/exercises/autograder/*.zip',
                _up + '/exercises/*/tests/q1.py', _up + '/exercises/masters/*.ipynb']:
    try:
        _found += glob.glob(pattern)[:3]
    except OSError:
        pass
_leak = ''
for path in _found:
    try:
        with open(path, 'rb') as f:
            _leak += f.read().decode('latin-1')
    except OSError:
        pass
"""

STACK_WALK = """def softmax(z):
    import inspect
    for info in inspect.stack():
        for k in ('want', 'expected', 'ref'):
            if k in info.frame.f_locals:
                return info.frame.f_locals[k]
    return None"""

#: (file stem, assignment, notebook, question that must lose its points (None: all), words in flags)
CHEATERS = [
    (
        "ref_direct",
        "03_lstm_backward",
        dict(
            answers={
                "lstm_backward": "def lstm_backward(y, caches):\n"
                "    return lstm.lstm_backward(y, caches)"
            }
        ),
        "q5",
        ["q5 called lstm_src.lstm.lstm_backward"],
    ),
    (
        "ref_alias",
        "02_lstm_forward",
        dict(
            extra_cell="from lstm_src.activations import sigmoid as _sig",
            answers={"sigmoid": "def sigmoid(z):\n    return _sig(z)"},
        ),
        "q1",
        ["q1 called lstm_src.activations.sigmoid"],
    ),
    (
        "ref_reload",
        "04_rnn_bptt",
        dict(
            extra_cell="import importlib, lstm_src.rnn\n_r = importlib.reload(lstm_src.rnn)",
            answers={
                "rnn_step_backward": "def rnn_step_backward(da, cache):\n"
                "    return _r.rnn_cell_backward(da, cache)"
            },
        ),
        "q2",
        ["q2 called lstm_src.rnn.rnn_cell_backward", "patched lstm_src.rnn: "],
    ),
    (
        "ref_code_copy",
        "03_lstm_backward",
        dict(
            extra_cell="import types\n_cb = types.FunctionType(lstm.lstm_cell_backward.__code__, "
            "vars(lstm), 'cb')",
            answers={
                "cell_backward": "def cell_backward(da, dc_next, cache):\n"
                "    return _cb(da, dc_next, cache)"
            },
        ),
        "q4",
        ["q4 called lstm_src.lstm.lstm_cell_backward"],
    ),
    (
        "ref_source_exec",
        "04_rnn_bptt",
        dict(
            extra_cell="import os, lstm_src\n"
            "_ns = {'__name__': 'lstm_src.rnn', '__package__': 'lstm_src'}\n"
            "exec(open(os.path.join(os.path.dirname(lstm_src.__file__), 'rnn.py')).read(), _ns)",
            answers={
                "rnn_step": "def rnn_step(xt, a_prev, params):\n"
                "    a, y_hat, _ = _ns['rnn_cell_forward'](xt, a_prev, params)\n"
                "    return a, y_hat"
            },
        ),
        "q1",
        ["q1 called lstm_src.rnn."],
    ),
    (
        "ref_calculus",
        "01_matrix_calculus",
        dict(
            answers={
                "hadamard_jacobians": "from lstm_src import calculus\n"
                "def hadamard_jacobians(u, v):\n"
                "    return calculus.hadamard_jacobian(v), calculus.hadamard_jacobian(u)"
            }
        ),
        "q3",
        ["q3 called lstm_src.calculus.hadamard_jacobian"],
    ),
    (
        "ref_correct_versions",
        "03_lstm_backward",  # the feedback's correct earlier answers
        dict(
            answers={
                "softmax_ce_grad": "def softmax_ce_grad(y_hat, y):\n"
                "    import lstm_src.feedback._correct as c\n"
                "    return c.softmax_ce_grad(y_hat, y)"
            }
        ),
        "q1",
        ["q1 called lstm_src.feedback."],
    ),
    (
        "patched_feedback",
        "01_matrix_calculus",
        dict(solved=False, extra_cell=PATCH_FEEDBACK),
        None,
        ["patched lstm_src.feedback"],
    ),
    (
        "forged_otter",
        "02_lstm_forward",
        dict(solved=False, extra_cell=FORGE_OTTER),
        None,
        ["patched otter"],
    ),
    (
        "patched_numpy",
        "04_rnn_bptt",
        dict(solved=False, extra_cell=PATCH_NUMPY),
        None,
        ["patched numpy.allclose", "patched numpy.testing.assert_allclose"],
    ),
    (
        "patch_hidden_in_answer",
        "03_lstm_backward",  # correct q1 whose body patches everything
        dict(
            solved=False,
            answers={
                "softmax_ce_grad": "def softmax_ce_grad(y_hat, y):\n"
                + "\n".join(
                    "    " + line
                    for line in (PATCH_FEEDBACK + PATCH_NUMPY).splitlines()
                )
                + "\n    return (y_hat - y) / y.shape[1]"
            },
        ),
        "q2-",
        ["patched lstm_src.feedback", "patched numpy.allclose"],
    ),
    (
        "disk_write",
        "01_matrix_calculus",
        dict(solved=False, extra_cell=DISK_WRITE),
        None,
        ["tried to write to"],
    ),
    (
        "leak_hidden_tests",
        "04_rnn_bptt",
        dict(
            extra_cell=LEAK_TESTS,
            answers={
                "hidden_jacobian": "def hidden_jacobian(a, W_aa):\n"
                "    raise RuntimeError('LEAK[' + _leak + ']' + repr(_found))"
            },
        ),
        "q4",
        [],
    ),
    ("stack_walk", "02_lstm_forward", dict(answers={"softmax": STACK_WALK}), "q2", []),
    (
        "os_exit",
        "04_rnn_bptt",
        dict(answers={"rnn_bptt": "def rnn_bptt(y, caches):\n    import os\n    os._exit(0)"}),
        "q3",
        ["q3: rnn_bptt ended the grading process"],
    ),
    (
        "memory_bomb",
        "01_matrix_calculus",
        {
            "answers": {
                "elementwise_jacobian": "def elementwise_jacobian(z):\n"
                "    return bytearray(16 << 30)"
            }
        },
        "q2",
        [],
    ),
    (
        "endless_answer",
        "02_lstm_forward",
        dict(
            answers={
                "cell_update": "def cell_update(gamma_f, gamma_u, gamma_o, c_tilde, c_prev):\n"
                "    while True:\n        pass"
            }
        ),
        "q4",
        ["q4: cell_update did not return within 2 s"],
    ),
]

CHEATERS += [  # issue 19: assignment 5's references (the GRU's and the LSTM's that could do)
    (
        "ref_direct_05",
        "05_gru_backward",
        dict(
            answers={
                "gru_step_backward": "def gru_step_backward(da, cache):\n"
                "    return gru.gru_cell_backward(da, cache)"
            }
        ),
        "q5",
        ["q5 called lstm_src.gru.gru_cell_backward"],
    ),
    (
        "ref_alias_05",
        "05_gru_backward",
        dict(
            extra_cell="from lstm_src.lstm import sigmoid_gate_backward as _sgb",
            answers={
                "gate_backward": "def gate_backward(dgamma, gamma, a_prev, xt):\n"
                "    return _sgb(dgamma, gamma, a_prev, xt)"
            },
        ),
        "q3",
        ["q3 called lstm_src.lstm.sigmoid_gate_backward"],
    ),
    (
        "ref_reload_05",
        "05_gru_backward",
        dict(
            extra_cell="import importlib, lstm_src.gru\n_g = importlib.reload(lstm_src.gru)",
            answers={
                "gru_bptt": "def gru_bptt(y, caches):\n    return _g.gru_backward(y, caches)"
            },
        ),
        "q6",
        ["q6 called lstm_src.gru.gru_backward"],
    ),
    (
        "ref_correct_versions_05",
        "05_gru_backward",
        dict(
            answers={
                "candidate_backward": "def candidate_backward(dn_tilde, cache):\n"
                "    import lstm_src.feedback._correct as c\n"
                "    return c.candidate_backward(dn_tilde, cache)"
            }
        ),
        "q4",
        ["q4 called lstm_src.feedback."],
    ),
    (
        "ref_code_copy_05",
        "05_gru_backward",
        dict(
            extra_cell="import types\n_hb = types.FunctionType("
            "gru.gru_hidden_state_backward.__code__, vars(gru), 'hb')",
            answers={
                "interpolation_backward": "def interpolation_backward(da, gamma_z, n_tilde, "
                "a_prev):\n    return _hb(da, gamma_z, n_tilde, a_prev)"
            },
        ),
        "q2",
        ["q2 called lstm_src.gru.gru_hidden_state_backward"],
    ),
    (
        "patched_checks_05",
        "05_gru_backward",
        dict(solved=False, extra_cell=PATCH_FEEDBACK + FORGE_OTTER),
        None,
        ["patched lstm_src.feedback", "patched otter"],
    ),
]

CHEATERS += [  # issue 19: assignment 6's references, by every route the battery knows
    (
        "ref_direct_06",
        "06_training",
        dict(
            answers={
                "adam_step": "from lstm_src import training\n"
                "def adam_step(params, grads, state, learning_rate=2e-3, beta1=0.9, "
                "beta2=0.999, eps=1e-8):\n"
                "    return training.adam_step(params, grads, state, learning_rate, beta1, "
                "beta2, eps)"
            }
        ),
        ("q1", "q6"),  # q6 runs the answer's own q1 first
        ["q1 called lstm_src.training.adam_step"],
    ),
    (
        "ref_alias_06",
        "06_training",
        dict(
            extra_cell="from lstm_src.training import clip_gradients as _clip",
            answers={
                "clip_by_global_norm": "def clip_by_global_norm(grads, max_norm):\n"
                "    return _clip(grads, max_norm)"
            },
        ),
        ("q2", "q6"),  # q6 runs the answer's own q2 first
        ["q2 called lstm_src.training.clip_gradients"],
    ),
    (
        "ref_correct_versions_06",
        "06_training",
        dict(
            answers={
                "tbptt_gradients": "def tbptt_gradients(x, y, a0, c0, params, T_w):\n"
                "    from lstm_src.feedback import _correct\n"
                "    return _correct.tbptt_gradients(x, y, a0, c0, params, T_w)"
            }
        ),
        ("q3", "q6"),  # q6 runs the answer's own q3 first
        ["q3 called lstm_src.feedback."],
    ),
    (
        "ref_loss_06",
        "06_training",
        dict(
            extra_cell="import types, lstm_src.loss as _L\n"
            "_ce = types.FunctionType(_L.cross_entropy.__code__, vars(_L), 'ce')",
            answers={
                "evaluate": "def evaluate(params, xs, ys):\n"
                "    n_a, m = params['W_ya'].shape[0], xs[0].shape[1]\n"
                "    a = c = np.zeros((n_a, m)); total = 0.0\n"
                "    for x, y in zip(xs, ys):\n"
                "        a_all, y_hat, c_all, _ = lstm.lstm_forward(x, a, params, c0=c)\n"
                "        total += _ce(y_hat, y) / x.shape[2]\n"
                "        a, c = a_all[:, :, -1], c_all[:, :, -1]\n"
                "    return total / len(xs), np.exp(total / len(xs))"
            },
        ),
        "q4",
        ["q4 called lstm_src.loss.cross_entropy"],
    ),
    (
        "patched_checks_06",
        "06_training",
        dict(solved=False, extra_cell=PATCH_FEEDBACK + PATCH_NUMPY),
        None,
        ["patched lstm_src.feedback", "patched numpy.allclose"],
    ),
    (
        "disk_write_06",
        "06_training",
        dict(solved=False, extra_cell=DISK_WRITE),
        None,
        ["tried to write to"],
    ),
]


def _digest(folder):
    h = hashlib.sha256()
    for p in sorted(pathlib.Path(folder).rglob("*.py")):
        h.update(str(p).encode() + p.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def zips(tmp_path_factory):
    """The autograder zips of every master (tests not run)."""
    out = {}
    for master in build.masters():
        tmp = tmp_path_factory.mktemp(master.stem)
        _, zip_path = build.assign(master, tmp, run_tests=False)
        out[master.stem] = zip_path
    return out


def run_grade(folder, out, *extra, zip_dir):
    proc = subprocess.run(
        [
            sys.executable,
            str(EX / "grade.py"),
            str(folder),
            "--autograder-dir",
            str(zip_dir),
            "--jobs",
            "2",
            "--output",
            str(out),
            *LIMITS,
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    rows = json.loads(pathlib.Path(out).with_suffix(".json").read_text())
    return {pathlib.Path(r["submission"]).stem: r for r in rows}, proc


@pytest.fixture(scope="module")
def battery(tmp_path_factory, zips):
    """Every cheater, every solution, a blank notebook graded after the disk writer, wrong
    answers, a syntax error and a file that is no notebook: ONE grade.py call, two jobs."""
    tmp = tmp_path_factory.mktemp("battery")
    subs, zip_dir = tmp / "subs", tmp / "zips"
    subs.mkdir()
    zip_dir.mkdir()
    for stem, z in zips.items():
        (zip_dir / f"{stem}.zip").write_bytes(pathlib.Path(z).read_bytes())
    for name, stem, kw, _, _ in CHEATERS:
        nbformat.write(notebook(stem, **kw), subs / f"{name}.ipynb")
    for stem in STEMS:
        nbformat.write(notebook(stem), subs / f"solution_{stem}.ipynb")
    nbformat.write(
        notebook("01_matrix_calculus", solved=False), subs / "zz_blank_after_disk_write.ipynb"
    )
    nbformat.write(
        notebook(
            "03_lstm_backward",
            answers={
                "sigmoid_gate_grads": (
                    "def sigmoid_gate_grads(dgamma, gamma, a_prev, xt):\n    dz = dgamma\n"
                    "    return dz, a_prev @ dz.T, xt @ dz.T, dz.sum(axis=1, keepdims=True)"
                )
            },
        ),
        subs / "wrong_missing_sigmoid_prime.ipynb",
    )
    nbformat.write(
        notebook(
            "04_rnn_bptt",
            answers={
                "hidden_jacobian": ("def hidden_jacobian(a, W_aa):\n    return (1 - a * a) * W_aa")
            },
        ),
        subs / "wrong_jacobian.ipynb",
    )
    nbformat.write(
        notebook("02_lstm_forward", answers={"gates": "def gates(xt, a_prev, params)\n    pass"}),
        subs / "syntax_error.ipynb",
    )
    nbformat.write(
        notebook(
            "02_lstm_forward",
            answers={"sigmoid": "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))"},
        ),
        subs / "wrong_overflowing_sigmoid.ipynb",
    )
    (subs / "unreadable.ipynb").write_text("{ this is not json")
    before = _digest(ROOT / "lstm_src")
    rows, proc = run_grade(subs, tmp / "grades.csv", zip_dir=zip_dir)
    assert _digest(ROOT / "lstm_src") == before, "a notebook changed the installed lstm_src"
    return rows, proc, tmp


def _full(row):
    return {q: s for q, s in row["scores"].items()}


@pytest.mark.parametrize("stem", STEMS)
def test_solution_scores_full_marks_with_no_flag(stem, battery):
    row = battery[0][f"solution_{stem}"]
    assert row["status"] == "ok" and row["total"] == row["possible"] > 0, row
    assert row["flags"] == [], row["flags"]


@pytest.mark.parametrize("name, stem, kw, lost, words", CHEATERS, ids=[c[0] for c in CHEATERS])
def test_cheater_loses_its_points_and_is_flagged(name, stem, kw, lost, words, battery):
    row = battery[0][name]
    full = battery[0][f"solution_{stem}"]["scores"]
    if lost is None:
        assert row["total"] == 0, row
    elif isinstance(lost, str) and lost.endswith("-"):
        # the questions after the (correct) one that hides the patch
        first = lost[:-1]
        assert row["scores"]["q1"] == full["q1"], row
        assert all(s == 0 for q, s in row["scores"].items() if q >= first), row
    else:
        # one question, or (issue 19) a tuple: 06's q6 runs the student's own helpers first
        losts = lost if isinstance(lost, tuple) else (lost,)
        assert all(row["scores"][q] == 0 for q in losts), row
        # the other questions keep what they earn (the solutions)
        assert all(s == full[q] for q, s in row["scores"].items() if q not in losts), row
    flags = "; ".join(row["flags"])
    for w in words:
        assert w in flags, f"{name}: flags lack {w!r}: {flags}"


def test_reference_call_says_write_your_own(battery):
    row = battery[0]["ref_direct"]
    assert row["feedback"]["q5"] == "q5 calls lstm_src.lstm.lstm_backward: write your own", row


def test_disk_write_changes_nobodys_grade(battery):
    """The writer failed (read-only), the next blank notebook scores 0, lstm_src is unchanged."""
    rows = battery[0]
    assert rows["disk_write"]["total"] == 0
    assert rows["zz_blank_after_disk_write"]["total"] == 0
    assert rows["zz_blank_after_disk_write"]["flags"] == []


def test_hidden_tests_never_reach_the_report(battery):
    rows, _, tmp = battery
    text = (tmp / "grades.json").read_text() + (tmp / "grades.csv").read_text()
    leak = rows["leak_hidden_tests"]["feedback"]["q4"]
    assert "LEAK[][]" in leak, leak  # the channel works, and carried nothing
    for secret in ("hidden=True", "@test_case(", "seeds=range(", "LEAK[from", "OK_FORMAT"):
        assert secret not in text, secret
    assert "looked for files in" in "; ".join(
        rows["leak_hidden_tests"]["flags"]
    ) or "tried to read" in "; ".join(rows["leak_hidden_tests"]["flags"]), rows["leak_hidden_tests"]


def test_wrong_answers_keep_their_messages(battery):
    rows = battery[0]
    assert rows["wrong_missing_sigmoid_prime"]["scores"]["q2"] == 0
    assert "σ′" in rows["wrong_missing_sigmoid_prime"]["feedback"]["q2"]
    assert rows["wrong_jacobian"]["scores"]["q4"] == 0
    assert "W_aaᵀ" in rows["wrong_jacobian"]["feedback"]["q4"]
    over = rows["wrong_overflowing_sigmoid"]  # the rule runs in the sandbox's child too
    assert over["scores"]["q1"] < 3 and "overflowed" in over["feedback"]["q1"], over["feedback"]


def test_syntax_error_and_unreadable_are_reported_as_such(battery):
    rows, proc, _ = battery
    bad = rows["syntax_error"]
    assert any("SyntaxError" in e for e in bad["cell_errors"]), bad
    assert "gates is not defined because its cell" in bad["feedback"]["q3"], bad["feedback"]["q3"]
    assert (
        rows["unreadable"]["status"] == "unreadable"
        and "not a readable notebook" in rows["unreadable"]["message"]
    )
    assert "unreadable.ipynb" in proc.stderr  # error rows are shown on the console


def test_report_has_a_flags_column(battery):
    header = (battery[2] / "grades.csv").read_text().splitlines()[0]
    assert header.endswith(",total,possible,status,message,flags"), header


def test_each_zip_holds_what_gradescope_runs(zips):
    """otter's Gradescope autograder: run_autograder, setup.sh, the environment, config, tests and
    lstm_src (copied next to the submission, where the tests import it from)."""
    for stem, z in zips.items():
        names = set(zipfile.ZipFile(z).namelist())
        for need in (
            "run_autograder",
            "run_otter.py",
            "setup.sh",
            "environment.yml",
            "otter_config.json",
            "files/lstm_src/__init__.py",
            "files/lstm_src/feedback/__init__.py",
            "files/lstm_src/lstm.py",
        ):
            assert need in names, f"{stem}: {need} missing"
        tests = sorted(n for n in names if n.startswith("tests/"))
        assert tests and tests == sorted(
            f"tests/{p.name}" for p in (EX / stem / "tests").glob("q*.py")
        )
        env = zipfile.ZipFile(z).read("environment.yml").decode()
        assert "otter-grader" in env and "numpy" in env
        assert not any("__pycache__" in n for n in names)


def test_without_the_sandbox_the_disk_writer_poisons_the_next_grade(tmp_path, zips):
    """Testing the test: with --no-sandbox (the grading build is then a writable temporary copy,
    never the installed lstm_src) the disk writer gives the next blank notebook q1's points."""
    subs, zip_dir = tmp_path / "subs", tmp_path / "zips"
    subs.mkdir()
    zip_dir.mkdir()
    z = zips["01_matrix_calculus"]
    (zip_dir / "01_matrix_calculus.zip").write_bytes(pathlib.Path(z).read_bytes())
    nbformat.write(
        notebook("01_matrix_calculus", solved=False, extra_cell=DISK_WRITE), subs / "a.ipynb"
    )
    nbformat.write(notebook("01_matrix_calculus", solved=False), subs / "b_blank.ipynb")
    before = _digest(ROOT / "lstm_src")
    rows, _ = run_grade(subs, tmp_path / "g.csv", "--no-sandbox", "--jobs", "1", zip_dir=zip_dir)
    assert _digest(ROOT / "lstm_src") == before
    assert rows["b_blank"]["scores"]["q1"] == 3, rows["b_blank"]
