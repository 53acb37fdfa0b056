"""The code the book shows and the API reference behind it (tools/shown_code.py,
book/api.md): shown code without docstrings, every module in the reference."""
import ast
import pathlib
import re
import subprocess
import sys
import textwrap

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
sys.path.insert(0, str(ROOT / "tools"))
import shown_code  # noqa: E402  (the Sphinx extension is a file in tools/)

SAMPLE = '''def f(x):
    """Docstring.

    .. math:: y = x
    """

    def inner(y):
        """Inner docstring."""
        return y

    return inner(x)  # """ in a comment stays
'''


def test_strip_docstrings_drops_every_docstring_and_keeps_the_code():
    """The object's docstring, a nested function's, and the blank line after go."""
    out = shown_code.strip_docstrings(SAMPLE)
    assert out == ('def f(x):\n    def inner(y):\n        return y\n\n'
                   '    return inner(x)  # """ in a comment stays\n')


def test_strip_docstrings_of_a_class_and_its_methods():
    code = ('class Pool:\n    """A pool."""\n\n    def get(self):\n'
            '        r"""Get :math:`x`."""\n        return 1\n')
    assert shown_code.strip_docstrings(code) == \
        'class Pool:\n    def get(self):\n        return 1\n'


def test_a_function_that_is_only_a_docstring_keeps_it():
    """Removing the only statement would leave code that does not parse."""
    code = 'def f():\n    """Only this."""\n'
    assert shown_code.strip_docstrings(code) == code


def test_module_name():
    assert shown_code.module_name("/x/y/lstm_src/lstm.py") == "lstm_src.lstm"
    assert shown_code.module_name("/x/lstm_src/feedback/_calling.py") == \
        "lstm_src.feedback._calling"
    assert shown_code.module_name("/x/tools/colab_cell.py") is None


def test_every_module_has_a_section_in_the_api_reference():
    """A new module of lstm_src (say gru.py) needs one automodule in book/api.md."""
    api = (ROOT / "book" / "api.md").read_text()
    listed = set(re.findall(r"automodule:: (lstm_src\.\w+)", api))
    modules = {f"lstm_src.{p.stem}" for p in (ROOT / "lstm_src").glob("*.py")
               if not p.stem.startswith("_")} | {"lstm_src.feedback"}
    assert modules <= listed, f"not in book/api.md: {sorted(modules - listed)}"


def shown_snippets():
    """{"lstm.py:lstm_backward": the code a chapter shows}, docstrings dropped."""
    sys.path.insert(0, str(ROOT / "tests"))
    from test_docs import literalincludes

    snippets = {}
    for module, name in literalincludes():
        text = (ROOT / "lstm_src" / module).read_text()
        scope = ast.parse(text)
        for part in name.split("."):
            scope = next(n for n in ast.iter_child_nodes(scope)
                         if getattr(n, "name", None) == part)
        first = min([scope.lineno] + [d.lineno for d in scope.decorator_list])
        code = "\n".join(text.splitlines()[first - 1:scope.end_lineno]) + "\n"
        snippets[f"{module}:{name}"] = textwrap.dedent(shown_code.strip_docstrings(code))
    return snippets


# The code column of a page at 1280 px: a literalinclude block is 672 px wide,
# 640 px inside its padding, 75 characters of 14 px monospace (8.43 px each); a
# notebook cell's input is 654 px, 73 characters (the contents bar on the right
# takes the rest of the page). Shown code stays within 74 and cells within 73.
COLUMNS = 74
CELL_COLUMNS = 73


def long_lines(code):
    """ruff's E501 at COLUMNS on code: the lines it reports, as text."""
    pytest.importorskip("ruff", reason="ruff is in requirements-test.txt")
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated",
         "--select", "E501", "--line-length", str(COLUMNS), "--output-format", "concise",
         "--stdin-filename", "shown.py", "-"],
        input=code, capture_output=True, text=True, timeout=60)
    assert proc.returncode in (0, 1), proc.stderr
    return [line for line in proc.stdout.splitlines() if "E501" in line]


def test_ruff_finds_a_long_line():
    assert len(long_lines("x = 1\ny = '" + "a" * 72 + "'\n")) == 1
    assert not long_lines("x = 1\n")


def test_shown_code_fits_the_column():
    """Every function or class a chapter shows is within COLUMNS (ruff E501), so the
    page's code column never scrolls at 1280 px."""
    snippets = shown_snippets()
    assert len(snippets) > 30
    too_long = {key: long_lines(code) for key, code in snippets.items()}
    assert not {k: v for k, v in too_long.items() if v}


def built(page):
    path = HTML / page
    if not path.is_file():
        pytest.skip("no _build/html: build the book first")
    return path.read_text()


def test_chapter_code_cells_fit_the_column():
    """Every code cell a chapter shows is within CELL_COLUMNS."""
    import json

    long = []
    for path in sorted((ROOT / "book").rglob("*.ipynb")):
        for i, cell in enumerate(json.loads(path.read_text())["cells"]):
            if cell["cell_type"] != "code" or "remove-cell" in cell["metadata"].get("tags", []):
                continue
            long += [f"{path.name} cell {i}: {line}" for line in
                     "".join(cell["source"]).splitlines() if len(line) > CELL_COLUMNS]
    assert not long


def test_built_pages_show_no_docstring_in_code():
    """No highlighted Python block on a chapter page contains a docstring's quotes."""
    pages = sorted((HTML / "book").rglob("*.html")) if HTML.is_dir() else []
    if not pages:
        pytest.skip("no _build/html: build the book first")
    shown = [p for p in pages if 'class="shown-code-api' in p.read_text()]
    assert len(shown) > 10
    for page in shown:
        for block in re.findall(r'<div class="highlight-python notranslate">(.*?)</pre>',
                                page.read_text(), flags=re.S):
            text = re.sub(r"<[^>]+>", "", block)
            assert "&quot;&quot;&quot;" not in text and ".. math::" not in text, page.name


def test_every_public_name_is_in_the_api_reference():
    """Every name in a module's __all__ has an entry (an anchor) in the reference."""
    import importlib

    html = built("book/api.html")
    missing = []
    for module in re.findall(r"automodule:: (lstm_src\.\w+)",
                             (ROOT / "book" / "api.md").read_text()):
        mod = importlib.import_module(module)
        for name in getattr(mod, "__all__", []):
            if f'id="{module}.{name}"' not in html:
                missing.append(f"{module}.{name}")
    assert not missing
