"""The grading build of lstm_src: the same package with an assignment's forbidden functions stubbed.

:func:`make_build` copies the installed lstm_src into a new folder and, by an
AST transformation of each module, replaces the body of every function that
:mod:`grading.policy` forbids for the assignment by a tripwire: a call records
``lstm_src.<module>.<function>`` in ``lstm_src._tripwire.HITS`` and raises
:class:`lstm_src._tripwire.ReferenceUnavailable`. Names, signatures and
docstrings stay, so imports and ``help()`` work; the computation is gone from
the code objects and from the source on disk alike, so no route (alias,
reload, copied code object, reading the file) reaches it. The sandbox mounts
this folder, read-only, where the real lstm_src is installed.
"""

import ast
import fnmatch
import pathlib
import shutil

TRIPWIRE = '''"""Tripwires of the grading build: forbidden functions record the call and raise."""
HITS = []


class ReferenceUnavailable(Exception):
    """A forbidden lstm_src function was called from an answer."""


def trip(name):
    HITS.append(name)
    raise ReferenceUnavailable(f"{name} is not available while grading this assignment: "
                               "write your own")
'''


def _stub_body(node, qualname):
    body = []
    first = node.body[0] if node.body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(getattr(first, "value", None), ast.Constant)
        and isinstance(first.value.value, str)
    ):
        body.append(first)
    body += ast.parse(f"import lstm_src._tripwire as _tw\n_tw.trip({qualname!r})").body
    return body


class _Stubber(ast.NodeTransformer):
    def __init__(self, module, patterns):
        self.module, self.patterns, self.stack, self.stubbed = module, patterns, [], []

    def _forbidden(self, name):
        dotted = f"{self.module}.{name}"
        return any(fnmatch.fnmatchcase(dotted, p) for p in self.patterns)

    def visit_ClassDef(self, node):
        self.stack.append(node.name)
        self.generic_visit(node)
        self.stack.pop()
        return node

    def _visit_function(self, node):
        if self.stack and self.stack[-1] is None:  # nested function: its parent decides
            return node
        name = ".".join(s for s in self.stack + [node.name] if s)
        if self._forbidden(name) or (self.stack and self._forbidden(self.stack[0])):
            qual = f"lstm_src.{self.module}.{name}"
            node.body = _stub_body(node, qual)
            self.stubbed.append(qual)
            return node
        self.stack.append(None)
        self.generic_visit(node)
        self.stack.pop()
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = _visit_function


def transform_source(source, module, patterns):
    """(new source, [stubbed qualified names]) of one lstm_src module (e.g. ``"lstm"``)."""
    tree = ast.parse(source)
    stubber = _Stubber(module, patterns)
    tree = ast.fix_missing_locations(stubber.visit(tree))
    return ast.unparse(tree) + "\n", stubber.stubbed


def make_build(package_dir, out_dir, patterns):
    """Write the grading build of the package at ``package_dir`` to ``out_dir``/lstm_src.

    Returns (build folder, [stubbed qualified names]).
    """
    package_dir, out = pathlib.Path(package_dir), pathlib.Path(out_dir) / "lstm_src"
    if out.exists():
        shutil.rmtree(out)
    stubbed = []
    for src in sorted(package_dir.rglob("*.py")):
        rel = src.relative_to(package_dir)
        if "__pycache__" in rel.parts:
            continue
        module = ".".join(rel.with_suffix("").parts)
        if module.endswith(".__init__"):
            module = module[: -len(".__init__")]
        text, names = transform_source(src.read_text(encoding="utf-8"), module, patterns)
        # a package's __init__ counts as the package (feedback/__init__.py is "feedback")
        stubbed += names
        dest = out / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text, encoding="utf-8")
    (out / "_tripwire.py").write_text(TRIPWIRE, encoding="utf-8")
    return out, stubbed
