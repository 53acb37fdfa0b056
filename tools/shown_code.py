"""Sphinx extension: the code a chapter shows, and the API reference behind it.

Loaded from ``_config.yml`` (``sphinx: local_extensions: {shown_code: tools}``).

* ``literalinclude`` with ``:pyobject:`` shows the object's code **without its
  docstrings** (the object's own and those of anything defined in it): the
  page's prose is the explanation, and a numpydoc docstring shown as code is
  raw reST (``.. math::``) on the page. ``:keep-docstring:`` keeps them. Under
  the code, a one-line link leads to the object's entry in the API reference
  (``book/api.md``), where the docstring is rendered.
* In the API reference, a docstring's ``Defined in: book/partN/chapter.ipynb``
  line (``tests/test_docs.py`` checks it names a chapter that shows the object)
  becomes a link back to that chapter.
"""
import ast
import pathlib
import re
import textwrap

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx import addnodes
from sphinx.directives.code import LiteralInclude

DEFINED_IN = re.compile(r"^(\s*)Defined in: book/(\S+)\.(?:ipynb|md)\s*$")


def docstring_lines(code):
    """The 0-based line numbers of every docstring in code (a def or class).

    A blank line right after a removed docstring goes with it, so the body
    starts on the next line."""
    tree = ast.parse(textwrap.dedent(code))
    lines = code.splitlines()
    drop = set()
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        first = node.body[0] if node.body else None
        if (len(node.body) > 1 and isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)):
            span = range(first.lineno - 1, first.end_lineno)
            drop.update(span)
            after = first.end_lineno
            if after < len(lines) and not lines[after].strip():
                drop.add(after)
    return drop


def strip_docstrings(code):
    """code without the docstrings of the objects it defines."""
    drop = docstring_lines(code)
    kept = [line for i, line in enumerate(code.splitlines()) if i not in drop]
    return "\n".join(kept) + ("\n" if code.endswith("\n") else "")


def module_name(filename):
    """'lstm_src.lstm' for .../lstm_src/lstm.py; None outside lstm_src."""
    parts = pathlib.Path(filename).with_suffix("").parts
    if "lstm_src" not in parts:
        return None
    return ".".join(parts[len(parts) - 1 - parts[::-1].index("lstm_src"):])


class ShownCode(LiteralInclude):
    """literalinclude that drops docstrings of a :pyobject: and links to its API entry."""

    option_spec = dict(LiteralInclude.option_spec, **{"keep-docstring": directives.flag})

    def run(self):
        result = super().run()
        name = self.options.get("pyobject")
        if not name or "keep-docstring" in self.options:
            return result
        for block in result[0].findall(nodes.literal_block):
            code = strip_docstrings(block.astext())
            block.rawsource = code
            block[:] = [nodes.Text(code)]
        _, filename = self.env.relfn2path(self.arguments[0])
        module = module_name(filename)
        if module is None or any(p.startswith("_") for p in name.split(".")):
            return result
        target = f"{module}.{name}"
        ref = addnodes.pending_xref(
            "", nodes.literal(target, target, classes=["xref", "py", "py-obj"]),
            refdomain="py", reftype="obj", reftarget=target, refexplicit=True,
            refwarn=True, refdoc=self.env.docname)
        link = nodes.paragraph("", "", nodes.Text("Documented in the API reference: "), ref,
                               classes=["shown-code-api"])
        return result + [link]


def link_defined_in(app, what, name, obj, options, lines):
    """Defined in: book/part3/x.ipynb -> a link to that chapter."""
    for i, line in enumerate(lines):
        m = DEFINED_IN.match(line)
        if m:
            lines[i] = f"{m.group(1)}Shown and derived in: :doc:`/book/{m.group(2)}`"


def setup(app):
    app.add_directive("literalinclude", ShownCode, override=True)
    app.connect("autodoc-process-docstring", link_defined_in)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
