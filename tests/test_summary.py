"""The summary sheet (book/part3/summary.md): every line names a function
that exists in lstm_src and an equation that the pages its section names
number (where the line was checked)."""
import importlib
import json
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
SUMMARY = ROOT / "book" / "part3" / "summary.md"
MODULES = ["lstm_src." + p.stem for p in (ROOT / "lstm_src").glob("*.py")
           if p.stem not in ("__init__", "train")]


def _labels(page):
    path = (SUMMARY.parent / page).resolve()
    text = "".join("".join(c["source"]) for c in
                   json.loads(path.with_suffix(".ipynb").read_text())["cells"]
                   if c["cell_type"] == "markdown")
    return set(re.findall(r"^\$\$ \(([\w-]+)\)\s*$", text, flags=re.M))


def _sections():
    for section in re.split(r"^## ", SUMMARY.read_text(), flags=re.M)[1:]:
        pages = re.findall(r"\{doc\}`([^`]+)`", section.split("\n|")[0])
        rows = [r for r in section.splitlines()
                if r.startswith("| ") and not r.startswith("| gradient")]
        yield section.splitlines()[0], pages, rows


def test_every_line_names_a_real_function_and_a_checked_equation():
    functions = set()
    for name in MODULES:
        functions |= set(dir(importlib.import_module(name)))
    seen = 0
    for title, pages, rows in _sections():
        labels = set().union(*(_labels(p) for p in pages)) if pages else set()
        for row in rows:
            cells = [c.strip() for c in row.strip("|").split("|")]
            func, eqs = cells[-2], re.findall(r"\{eq\}`([\w-]+)`", cells[-1])
            if func != "—":
                assert func.strip("`") in functions, (title, func)
            for eq in eqs:
                assert eq in labels, f"{title}: {eq} not on {pages}"
            seen += 1
    assert seen > 25


def test_the_gru_has_its_lines():
    titles = [t for t, _, _ in _sections()]
    assert any(t.startswith("The GRU") for t in titles)
    text = SUMMARY.read_text()
    for func in ("gru_hidden_state_backward", "reset_candidate_backward",
                 "gru_previous_state_grads", "cho_candidate_backward"):
        assert f"`{func}`" in text
