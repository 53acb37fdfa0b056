"""The code the book shows and the API reference behind it (tools/shown_code.py,
book/api.md): shown code without docstrings, every module in the reference."""
import pathlib
import re
import sys

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


def built(page):
    path = HTML / page
    if not path.is_file():
        pytest.skip("no _build/html: build the book first")
    return path.read_text()


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
