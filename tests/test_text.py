"""lstm_src.text: the corpus, the vocabulary, and the window layout of truncated BPTT."""
import os
import sysconfig

import numpy as np
import pytest

from lstm_src import text


def test_stdlib_corpus_is_the_listed_modules_in_order():
    """The default corpus is the listed stdlib files, read in order, and the same on every call."""
    corpus = text.stdlib_corpus()
    root = sysconfig.get_paths()["stdlib"]
    first = text.read_text(os.path.join(root, text.STDLIB_MODULES[0]))
    last = text.read_text(os.path.join(root, text.STDLIB_MODULES[-1]))
    assert corpus.startswith(first) and corpus.endswith(last)
    assert len(corpus) > 100_000 and corpus == text.stdlib_corpus()


def test_read_text_refuses_a_missing_file(tmp_path):
    """A missing file or a directory raises FileNotFoundError naming the path."""
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        text.read_text(tmp_path / "nope.txt")
    with pytest.raises(FileNotFoundError, match="directory"):
        text.read_text(tmp_path)


def test_read_text_refuses_empty_and_non_utf8_files(tmp_path):
    """An empty file and a non-UTF-8 file each raise a ValueError that says so."""
    (tmp_path / "empty.txt").write_bytes(b"")
    with pytest.raises(ValueError, match="empty"):
        text.read_text(tmp_path / "empty.txt")
    (tmp_path / "latin1.txt").write_bytes("caf\u00e9 au lait".encode("latin-1"))
    with pytest.raises(ValueError, match=r"UTF-8.*byte 3 is 0xe9"):
        text.read_text(tmp_path / "latin1.txt")


def test_read_text_reads_utf8(tmp_path):
    """A UTF-8 file with non-ASCII characters comes back unchanged."""
    (tmp_path / "t.txt").write_text("na\u00efve \u03bb\n", encoding="utf-8")
    assert text.read_text(tmp_path / "t.txt") == "na\u00efve \u03bb\n"


def test_vocab_is_sorted_and_encode_decode_round_trip():
    """The vocabulary is the sorted distinct characters; decode(encode(s)) == s."""
    s = "hello, world\n"
    vocab = text.build_vocab(s)
    assert vocab == "".join(sorted(set(s))) and len(vocab) == len(set(s))
    ids = text.encode(s, vocab)
    assert ids.dtype == np.int64 and text.decode(ids, vocab) == s
    with pytest.raises(ValueError, match=r"1 that are not: 'z'"):
        text.encode("zero", vocab)
    with pytest.raises(ValueError, match="non-empty str"):
        text.build_vocab("")


def test_split_keeps_the_end_for_validation():
    """The validation part is the last val_fraction of the text, the training part the rest."""
    ids = np.arange(100)
    train, val = text.split_train_val(ids, 0.1)
    assert np.array_equal(train, np.arange(90)) and np.array_equal(val, np.arange(90, 100))
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        text.split_train_val(ids, 1.0)


def test_batchify_rows_continue_across_windows():
    """Row j of window k+1 starts where row j of window k stopped; targets are inputs moved by 1."""
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 50, size=1000)
    batch, seq_len = 4, 7
    inputs, targets = text.batchify(ids, batch, seq_len)
    row_len = (len(ids) - 1) // batch
    assert inputs.shape == targets.shape == (row_len // seq_len, batch, seq_len)
    for j in range(batch):
        row = np.concatenate(list(inputs[:, j, :]))     # window 0, 1, 2, ... of example j
        start = j * row_len
        np.testing.assert_array_equal(row, ids[start:start + row.size])
        np.testing.assert_array_equal(np.concatenate(list(targets[:, j, :])),
                                      ids[start + 1:start + 1 + row.size])


def test_batchify_needs_one_window():
    """A text of batch * seq_len + 1 characters gives one window; one character fewer is refused."""
    inputs, targets = text.batchify(np.arange(3 * 5 + 1), 3, 5)
    assert inputs.shape == (1, 3, 5)
    np.testing.assert_array_equal(targets[0], inputs[0] + 1)
    with pytest.raises(ValueError, match=r"seq_len \+ 1 = 3 \* 5 \+ 1 = 16 characters; got 15"):
        text.batchify(np.arange(15), 3, 5)
    with pytest.raises(ValueError, match="seq_len must be a positive integer"):
        text.batchify(np.arange(100), 3, 0)


def test_one_hot_layout():
    """one_hot puts a 1 at [id, example, step] in an (n, m, T_x) array, and 0 elsewhere."""
    ids = np.array([[0, 2, 1], [3, 3, 0]])
    x = text.one_hot(ids, 4)
    assert x.shape == (4, 2, 3) and x.sum() == ids.size
    assert np.array_equal(x.argmax(axis=0), ids)


def test_for_display_strips_compresses_and_wraps():
    """A low-temperature sample: 170 leading spaces, a long run inside, a long line."""
    sample = "\n\n" + " " * 170 + "self.x = y" + " " * 84 + "z\n    def f():\n" + "w" * 100
    shown = text.for_display(sample, width=72, max_run=8)
    assert shown.splitlines() == ["[170 spaces] self.x = y [84 spaces] z", "    def f():",
                                  "w" * 72, "    " + "w" * 28]
    assert text.for_display(" " * 300) == "[300 spaces]"
    assert all(len(line) <= 72 for line in shown.splitlines())
    assert text.for_display("a  b\tc", max_run=8) == "a  b\tc"   # short runs, tabs kept


@pytest.mark.parametrize("kwargs, message", [
    ({"text": 3}, "text must be a str; got int"),
    ({"text": "a", "width": 10}, "width must be an integer >= 20; got 10"),
    ({"text": "a", "max_run": 0}, "max_run must be an integer >= 1; got 0"),
])
def test_for_display_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        text.for_display(**kwargs)
