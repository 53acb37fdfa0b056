"""The book's own rules: every notebook is in the table of contents, stored
without outputs (so no stale output can be shown), seeded, and imports
lstm_src as an installed package."""
import json
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
BOOK_NOTEBOOKS = sorted(p for p in (ROOT / "book").rglob("*.ipynb")
                        if ".ipynb_checkpoints" not in p.parts)


def toc_files():
    text = (ROOT / "_toc.yml").read_text()
    return set(re.findall(r"^\s*-?\s*(?:file|root):\s*(\S+)", text, flags=re.M))


def test_there_are_notebooks():
    assert BOOK_NOTEBOOKS, "book/ holds no notebook"


def test_toc_entries_exist():
    for entry in toc_files():
        candidates = [ROOT / (entry + ext) for ext in ("", ".md", ".ipynb")]
        assert any(c.is_file() for c in candidates), f"_toc.yml lists {entry}, which does not exist"


@pytest.mark.parametrize("path", BOOK_NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_rules(path):
    rel = path.relative_to(ROOT).with_suffix("").as_posix()
    assert rel in toc_files(), f"{rel} is not in _toc.yml, so no reader finds it"
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    for cell in code:
        src = "".join(cell["source"])
        assert not cell.get("outputs"), (
            f"{rel}: stored outputs; clear them (the build runs every notebook)")
        assert cell.get("execution_count") is None, f"{rel}: stored execution counts"
        assert not re.search(r"sys\.path|os\.chdir", src), (
            f"{rel}: edits sys.path or changes directory")
        assert not re.search(r"default_rng\(\s*\)"
                             r"|np\.random\.(rand|randn|normal|uniform|randint)\(", src), (
            f"{rel}: unseeded random numbers; use np.random.default_rng(seed)")
    assert any("lstm_src" in "".join(c["source"]) for c in code), f"{rel}: does not use lstm_src"
