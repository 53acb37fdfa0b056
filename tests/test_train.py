"""Training on text: Adam, truncated BPTT with carried state, sampling, checkpoints, the CLI."""
import ast
import copy
import json
import math
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

from lstm_src import charmodel, training
from lstm_src.loss import cross_entropy
from lstm_src.text import one_hot


def _available(name):
    try:
        charmodel.model_module(name)
        return True
    except ImportError:
        return False


# Every LSTM implementation training may use (lstm_src.fast once it exists).
MODELS = [m for m in charmodel.MODELS if _available(m)]

TEXT = "def add(a, b):\n    return a + b\n\n" * 40     # 1,320 characters, 17 distinct


def _run(model="lstm", **kw):
    opts = dict(hidden=12, seq_len=8, batch=4, lr=1e-2, clip=5.0, seed=3, model=model)
    run = charmodel.new_run(TEXT, **{**opts, **kw})
    return run, charmodel.prepare_data(TEXT, run)


# ------------------------------------------------------------------------- Adam


def test_adam_matches_a_step_computed_by_hand():
    """Two Adam steps on one number match the equations worked through by hand."""
    params, state = {"w": np.array([1.0])}, training.adam_init({"w": np.array([1.0])})
    params, state = training.adam_step(params, {"dw": np.array([0.5])}, state, learning_rate=0.1)
    # t=1: m = 0.1*0.5 = 0.05, v = 0.001*0.25 = 0.00025, m_hat = 0.5, v_hat = 0.25
    assert state["t"] == 1
    assert params["w"][0] == pytest.approx(1 - 0.1 * 0.5 / (0.5 + 1e-8), abs=1e-15)
    params, state = training.adam_step(params, {"dw": np.array([-1.0])}, state, learning_rate=0.1)
    m = 0.9 * 0.05 + 0.1 * -1.0                       # -0.055
    v = 0.999 * 0.00025 + 0.001 * 1.0                 # 0.00124975
    m_hat, v_hat = m / (1 - 0.9 ** 2), v / (1 - 0.999 ** 2)
    expected = 1 - 0.1 * 0.5 / (0.5 + 1e-8) - 0.1 * m_hat / (math.sqrt(v_hat) + 1e-8)
    assert state["m"]["w"][0] == pytest.approx(m, abs=1e-15)
    assert state["v"]["w"][0] == pytest.approx(v, abs=1e-15)
    assert params["w"][0] == pytest.approx(expected, abs=1e-14)


def test_adam_first_step_moves_each_entry_by_the_learning_rate():
    """With bias correction, Adam's first step is lr * sign(g) for every entry, whatever |g|."""
    rng = np.random.default_rng(0)
    g = rng.choice([-1.0, 1.0], size=(3, 4)) * np.logspace(-2, 3, 12).reshape(3, 4)
    p = {"W": np.zeros((3, 4))}
    new, _ = training.adam_step(p, {"dW": g}, training.adam_init(p), learning_rate=0.01)
    np.testing.assert_allclose(new["W"], -0.01 * np.sign(g), rtol=1e-5)


def test_adam_refuses_bad_input():
    """Adam refuses a missing gradient, a bad learning rate and a bad beta, saying why."""
    p = {"W": np.zeros((2, 2))}
    s = training.adam_init(p)
    with pytest.raises(ValueError, match="missing dW"):
        training.adam_step(p, {"dV": np.zeros((2, 2))}, s)
    with pytest.raises(ValueError, match="learning_rate"):
        training.adam_step(p, {"dW": np.zeros((2, 2))}, s, learning_rate=-1)
    with pytest.raises(ValueError, match=r"beta1 must be in \[0, 1\)"):
        training.adam_step(p, {"dW": np.zeros((2, 2))}, s, beta1=1.0)


# ------------------------------------------------------------------- training


@pytest.mark.parametrize("model", MODELS)
def test_training_lowers_the_loss(model):
    """150 steps on a small repetitive text lower both the training and the validation loss."""
    run, data = _run(model)
    before = charmodel.evaluate(run, data)
    charmodel.train(run, data, 150)
    losses = run["train_loss"]
    assert np.mean(losses[-10:]) < 0.5 * np.mean(losses[:10])
    assert charmodel.evaluate(run, data) < 0.5 * before


def test_each_window_starts_from_the_state_the_last_one_ended_with():
    """Each step's loss is the forward pass from the last window's final (a, c); 0 after a wrap."""
    run, data = _run()
    inputs, targets = data["train"]
    n, K = len(run["vocab"]), len(inputs)
    snapshots = []
    for _ in range(K + 2):                           # past the end of the text: a wrap to window 0
        snapshots.append(copy.deepcopy(run["params"]))
        charmodel.train_step(run, data)
    a = c = np.zeros((12, 4))
    for step, params in enumerate(snapshots):
        k = step % K
        if k == 0:
            a = c = np.zeros((12, 4))
        x, y = one_hot(inputs[k], n), one_hot(targets[k], n)
        a_all, y_hat, c_all, _ = charmodel.model_module("lstm").lstm_forward(x, a, params, c0=c)
        assert run["train_loss"][step] == float(cross_entropy(y_hat, y)) / 8
        a, c = a_all[:, :, -1], c_all[:, :, -1]


def test_uniform_model_has_the_vocabulary_size_as_perplexity():
    """A model whose output layer is zero predicts uniformly: loss log n, perplexity n."""
    run, data = _run()
    run["params"]["W_ya"][:] = 0
    loss = charmodel.evaluate(run, data)
    assert loss == pytest.approx(np.log(len(run["vocab"])), rel=1e-12)
    assert charmodel.perplexity(loss) == pytest.approx(len(run["vocab"]), rel=1e-12)


def test_text_shorter_than_one_window_is_refused():
    """A training text shorter than batch * seq_len + 1 characters raises a clear ValueError."""
    with pytest.raises(ValueError, match=r"batch \* seq_len \+ 1"):
        charmodel.new_run("abc" * 10, seq_len=8, batch=4, val_fraction=0.0)
    with pytest.raises(ValueError, match="validation part must hold one window"):
        charmodel.new_run("abc" * 20, seq_len=8, batch=4, val_fraction=0.05)


# ------------------------------------------------------------------- sampling


def test_sampling_is_reproducible_with_a_seed():
    """The same seed gives the same sample; other seeds give other samples."""
    run, _ = _run()
    first = charmodel.sample(run, 60, rng=np.random.default_rng(1))
    assert len(first) == 60 and set(first) <= set(run["vocab"])
    assert first == charmodel.sample(run, 60, rng=np.random.default_rng(1))
    others = {charmodel.sample(run, 60, rng=np.random.default_rng(s)) for s in range(2, 6)}
    assert first not in others and len(others) == 4


def test_low_temperature_takes_the_most_likely_character():
    """At temperature 1e-6 every seed gives the same (greedy) text; temperature <= 0 is refused."""
    run, data = _run()
    charmodel.train(run, data, 30)
    greedy = {charmodel.sample(run, 40, 1e-6, rng=np.random.default_rng(s)) for s in range(4)}
    assert len(greedy) == 1
    for bad in (0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="temperature must be a finite number > 0"):
            charmodel.sample(run, 5, bad)
    with pytest.raises(ValueError, match="not in the vocabulary|that are not"):
        charmodel.sample(run, 5, prime="XYZ")


# ----------------------------------------------------------------- checkpoints


@pytest.mark.parametrize("model", MODELS)
def test_resume_continues_bit_for_bit(model, tmp_path):
    """2N steps, or N steps, save, load and N more: parameters, losses, samples are identical."""
    kw = dict(eval_every=5, eval_windows=2)
    straight, data = _run(model)
    charmodel.train(straight, data, 15, **kw)
    charmodel.sample(straight, 10)
    charmodel.train(straight, data, 15, **kw)

    first, data = _run(model)
    charmodel.train(first, data, 15, **kw)
    charmodel.sample(first, 10)                 # the generator is saved mid-stream, too
    charmodel.save_checkpoint(tmp_path / "run.npz", first)
    resumed = charmodel.load_checkpoint(tmp_path / "run.npz")
    charmodel.train(resumed, charmodel.prepare_data(TEXT, resumed), 15, **kw)

    assert resumed["step"] == straight["step"] == 30
    assert resumed["train_loss"] == straight["train_loss"]
    assert resumed["val_loss"] == straight["val_loss"]
    for name in straight["params"]:
        assert np.array_equal(resumed["params"][name], straight["params"][name]), name
        assert np.array_equal(resumed["adam"]["m"][name], straight["adam"]["m"][name]), name
        assert np.array_equal(resumed["adam"]["v"][name], straight["adam"]["v"][name]), name
    assert np.array_equal(resumed["a"], straight["a"])
    assert np.array_equal(resumed["c"], straight["c"])
    assert charmodel.sample(resumed, 40) == charmodel.sample(straight, 40)


def test_checkpoint_errors(tmp_path):
    """A missing checkpoint, a foreign .npz and a changed text each raise a clear error."""
    with pytest.raises(FileNotFoundError, match="no file"):
        charmodel.load_checkpoint(tmp_path / "none.npz")
    np.savez(tmp_path / "other.npz", w=np.zeros(3))
    with pytest.raises(ValueError, match="not a checkpoint.*lacks"):
        charmodel.load_checkpoint(tmp_path / "other.npz")
    run, _ = _run()
    charmodel.save_checkpoint(tmp_path / "run.npz", run)
    with pytest.raises(ValueError, match="text differs"):
        charmodel.prepare_data(TEXT + "x", charmodel.load_checkpoint(tmp_path / "run.npz"))


# ------------------------------------------------------------------------ CLI


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "lstm_src.train", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def test_cli_help_reads_well_and_the_package_does_not_import_tqdm(tmp_path):
    """--help exits 0 with examples; importing lstm_src leaves tqdm unimported."""
    out = _cli("--help", cwd=tmp_path)
    assert out.returncode == 0 and "examples:" in out.stdout and "--resume" in out.stdout
    code = "import sys, lstm_src; print('tqdm' in sys.modules)"
    probe = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert probe.stdout.strip() == "False"


def test_cli_trains_resumes_and_samples(tmp_path):
    """The CLI trains, writes a checkpoint, resumes it, samples from it, and refuses bad input."""
    (tmp_path / "t.txt").write_text(TEXT, encoding="utf-8")
    tiny = ["--text", "t.txt", "--hidden", "8", "--batch", "2", "--seq-len", "5", "--sample", "20"]
    out = _cli(*tiny, "--steps", "3", "--checkpoint", "c.npz", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "validation loss per character" in out.stdout and "perplexity" in out.stdout
    assert "chars/s" in out.stderr                        # the progress bar
    out = _cli("--resume", "--steps", "2", "--checkpoint", "c.npz", "--sample", "0", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert charmodel.load_checkpoint(tmp_path / "c.npz")["step"] == 5
    out = _cli("--sample-only", "--checkpoint", "c.npz", "--sample", "30", cwd=tmp_path)
    assert out.returncode == 0 and "sample at step 5" in out.stdout
    out = _cli("--text", "missing.txt", "--steps", "1", cwd=tmp_path)
    assert out.returncode == 2 and "missing.txt" in out.stderr
    out = _cli("--resume", "--hidden", "9", "--checkpoint", "c.npz", cwd=tmp_path)
    assert out.returncode == 2 and "trained with --hidden 8" in out.stderr


TINY = ["--hidden", "8", "--batch", "2", "--seq-len", "5", "--sample", "20",
        "--eval-every", "0"]


@pytest.mark.parametrize("bad, expected", [
    (["--lr", "-1"], "--lr must be a finite number > 0; got -1.0"),
    (["--lr", "nan"], "--lr must be a finite number > 0; got nan"),
    (["--clip", "0"], "--clip must be a finite number > 0; got 0.0"),
    (["--temperature", "inf"], "--temperature must be a finite number > 0"),
    (["--hidden", "0"], "--hidden must be >= 1; got 0"),
    (["--seq-len", "-2"], "--seq-len must be >= 1; got -2"),
    (["--seed", "-3"], "--seed must be >= 0; got -3"),
    (["--eval-windows", "0"], "--eval-windows must be >= 1"),
    (["--threads", "0"], "--threads must be >= 1; got 0"),
    (["--steps", "x"], "argument --steps: invalid int value: 'x'"),
    (["--model", "gpu"], "argument --model: invalid choice: 'gpu'"),
    (["--prime", "\u20ac"], "--prime must use only characters in the model's "
     "vocabulary of 16; got 1 that are not: '\u20ac'"),
    (["--prime", ""], "--prime must hold at least one character"),
    (["--checkpoint", "no/such/folder/c.npz"], "does not exist"),
    (["--checkpoint", "."], "--checkpoint must name a file"),
    (["--text", "missing.txt"], "expected a UTF-8 text file at 'missing.txt'"),
])
def test_cli_refuses_a_bad_option_in_one_line_before_any_work(
        tmp_path, bad, expected):
    """Each bad option: exit 2, one line on stderr naming it, no traceback,
    no progress bar, no checkpoint written."""
    (tmp_path / "t.txt").write_text(TEXT, encoding="utf-8")
    out = _cli("--text", "t.txt", *TINY, "--steps", "2", "--checkpoint",
               "c.npz", *bad, cwd=tmp_path)
    assert out.returncode == 2, (out.returncode, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("python -m lstm_src.train: error: "), lines
    assert expected in lines[0], lines
    assert out.stdout == ""
    assert not (tmp_path / "c.npz").exists()


def test_cli_resumes_from_any_folder_and_finds_a_moved_text(tmp_path):
    """The checkpoint stores the text's absolute path: --resume works from
    another folder; once the text moves, --text names its new place (the same
    text, by its SHA-256), and another text is refused."""
    (tmp_path / "t.txt").write_text(TEXT, encoding="utf-8")
    out = _cli("--text", "t.txt", *TINY, "--steps", "2", "--checkpoint",
               "c.npz", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    (tmp_path / "sub").mkdir()
    sub = tmp_path / "sub"
    out = _cli("--resume", "--steps", "1", "--checkpoint", "../c.npz",
               "--sample", "0", cwd=sub)
    assert out.returncode == 0, out.stderr
    (tmp_path / "t.txt").rename(sub / "moved.txt")
    out = _cli("--resume", "--steps", "1", "--checkpoint", "../c.npz",
               cwd=sub)
    assert out.returncode == 2 and "not there now" in out.stderr, out.stderr
    assert "--text PATH" in out.stderr and "Traceback" not in out.stderr
    (sub / "other.txt").write_text(TEXT + "x", encoding="utf-8")
    out = _cli("--resume", "--steps", "1", "--checkpoint", "../c.npz",
               "--text", "other.txt", cwd=sub)
    assert out.returncode == 2 and "text differs" in out.stderr, out.stderr
    out = _cli("--resume", "--steps", "1", "--checkpoint", "../c.npz",
               "--text", "moved.txt", "--sample", "0", cwd=sub)
    assert out.returncode == 0, out.stderr
    assert charmodel.load_checkpoint(tmp_path / "c.npz")["step"] == 4
    out = _cli("--resume", "--steps", "1", "--checkpoint", "c.npz",
               "--sample", "0", cwd=tmp_path)       # the new place is kept
    assert out.returncode == 0, out.stderr


def test_cli_says_a_file_is_not_a_checkpoint_without_numpy_internals(
        tmp_path):
    """Text, a renamed .npy and an unrelated .npz named as checkpoints: one
    line that says so (no word of pickles), exit 2; the usage block only
    for usage mistakes (never here)."""
    (tmp_path / "text.npz").write_text("hello")
    np.save(tmp_path / "array.npy", np.zeros(3))
    (tmp_path / "array.npy").rename(tmp_path / "array.npz")
    np.savez(tmp_path / "other.npz", w=np.zeros(3))
    for name, expected in (("text.npz", "not an .npz archive"),
                           ("array.npz", "not an .npz archive"),
                           ("other.npz", "it lacks"),
                           ("none.npz", "found no file there")):
        out = _cli("--sample-only", "--checkpoint", name, cwd=tmp_path)
        assert out.returncode == 2, (name, out.stderr)
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], (name, lines)
        assert "pickle" not in out.stderr and "usage" not in out.stderr


def test_every_function_the_chapter_shows_says_where_it_is_defined():
    """Each function 'Training on real text' literalincludes names that chapter in its docstring."""
    chapter = pathlib.Path(__file__).resolve().parents[1] / "book/part4/training_on_text.ipynb"
    cells = json.loads(chapter.read_text())["cells"]
    shown = re.findall(r"literalinclude\}\s+(\S+)\s*\n:pyobject:\s*(\S+)",
                       "".join("".join(c["source"]) for c in cells))
    assert len(shown) >= 4
    for path, name in shown:
        tree = ast.parse((chapter.parent / path).read_text())
        doc = next(ast.get_docstring(n) for n in ast.walk(tree)
                   if isinstance(n, ast.FunctionDef) and n.name == name)
        assert "Defined in: book/part4/training_on_text.ipynb" in doc, name
