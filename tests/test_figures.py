"""Every figure a chapter shows has alt text that says what it shows and a numbered
caption (cell metadata mystnb: figure: {name, caption}, image: {alt})."""
import json
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").rglob("*.ipynb"))


def figure_cells(path):
    """(index, cell) of each code cell whose output is a figure the page shows."""
    for i, cell in enumerate(json.loads(path.read_text())["cells"]):
        source = "".join(cell["source"])
        tags = cell["metadata"].get("tags", [])
        if cell["cell_type"] != "code" or {"remove-output", "remove-cell"} & set(tags):
            continue
        if re.search(r"\bplt\.show\(\)|\.savefig\(", source):
            yield i, cell


def test_the_book_has_figures():
    assert sum(1 for p in CHAPTERS for _ in figure_cells(p)) >= 20


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_figure_has_alt_text_and_a_caption(path):
    missing = []
    for i, cell in figure_cells(path):
        meta = cell["metadata"].get("mystnb", {})
        figure, alt = meta.get("figure", {}), meta.get("image", {}).get("alt", "")
        if not figure.get("name") or len(figure.get("caption", "")) < 20:
            missing.append(f"cell {i}: no figure name/caption")
        if len(alt.split()) < 8 or re.search(r"\.(svg|png)\b|/", alt):
            missing.append(f"cell {i}: alt text must say what the figure shows")
    assert not missing
