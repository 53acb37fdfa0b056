"""Sphinx extension: self-check questions that work on the static page.

Loaded from ``_config.yml`` (``sphinx: local_extensions: {selfcheck: tools}``).
A chapter ends with a few questions on its own pitfalls; the reader picks an
answer and is told at once whether it is right, with a one-line explanation.
No kernel, no network: the page carries plain HTML buttons and one small
script (``selfcheck_static/selfcheck.js``, served from the book's
``_static``). In a Markdown cell::

    ```{selfcheck}
    What does `lstm_backward` return for $\\mathbf{W}_{fa}$?

    - [ ] Its Jacobian, one row per output.

      The Jacobian of a scalar is one row; the course stores the gradient.
    - [x] The gradient, an array of the shape of $\\mathbf{W}_{fa}$.

      Every gradient has the shape of what it differentiates.
    ```

Each list item is an answer: ``[x]`` marks the right one(s), ``[ ]`` the
others; the paragraph under it is the explanation shown when it is chosen.

HTML (stable, for readers' tools and the browser test): ``div.selfcheck``
holds the question and one ``button.selfcheck-option`` per answer
(``data-correct="true"`` or ``"false"``); a click writes "Right. ..." or "Not
quite. ..." with the explanation into ``.selfcheck-result`` (a polite live
region), sets ``aria-pressed`` on the chosen button and ``data-state`` =
``right`` / ``wrong`` on the ``div.selfcheck``. Other builders (LaTeX, text)
show the question, the answers and the explanations as plain paragraphs.
"""
import pathlib
import re
from html import escape

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

STATIC = pathlib.Path(__file__).resolve().parent / "selfcheck_static"


class selfcheck(nodes.container):
    """One question: its text, its answers, a result line."""


class selfcheck_option(nodes.paragraph):
    """One answer, a button in HTML."""


class selfcheck_explanation(nodes.paragraph):
    """What the reader is told on choosing an answer; hidden in HTML."""


class selfcheck_result(nodes.paragraph):
    """Where the HTML page writes the verdict."""


class SelfCheck(SphinxDirective):
    has_content = True
    option_spec = {}

    def run(self):
        body = nodes.container()
        self.state.nested_parse(self.content, self.content_offset, body)
        lists = [n for n in body.children if isinstance(n, nodes.bullet_list)]
        if len(lists) != 1 or body.children[-1] is not lists[0]:
            raise self.error("selfcheck: the question, then one list of answers, last")
        question = body.children[:-1]
        if not question:
            raise self.error("selfcheck: a question comes before the answers")
        serial = self.env.new_serialno("selfcheck")
        qid = f"selfcheck-{serial}"
        node = selfcheck(classes=["selfcheck"], ids=[qid])
        node["question_id"] = f"{qid}-q"
        head = nodes.container(classes=["selfcheck-question"], ids=[f"{qid}-q"])
        head += question
        node += head
        answers, n_right = [], 0
        for k, item in enumerate(lists[0].children):
            paras = [p for p in item.children if isinstance(p, nodes.paragraph)]
            if not paras or not paras[0].children or \
                    not isinstance(paras[0].children[0], nodes.Text):
                raise self.error("selfcheck: each answer starts with [x] or [ ]")
            first = paras[0].children[0].astext()
            mark, rest = first[:4], first[4:]
            if mark not in ("[x] ", "[ ] "):
                raise self.error(f"selfcheck: answer {k + 1} must start with "
                                 f"'[x] ' or '[ ] '; got {first[:10]!r}")
            right = mark == "[x] "
            n_right += right
            if len(paras) != 2:
                raise self.error(f"selfcheck: answer {k + 1} needs one explanation "
                                 f"paragraph under it; got {len(paras) - 1}")
            option = selfcheck_option(classes=["selfcheck-choice"])
            option["correct"] = right
            option += nodes.Text(rest)
            option += paras[0].children[1:]
            verdict = "Right. " if right else "Not quite. "
            explanation = selfcheck_explanation(classes=["selfcheck-explanation"])
            explanation += nodes.strong(verdict, verdict)
            explanation += paras[1].children
            answers.append((option, explanation))
        if n_right < 1 or len(answers) < 2:
            raise self.error("selfcheck: at least two answers, at least one marked [x]")
        for option, explanation in answers:
            node += option
            node += explanation
        node += selfcheck_result(classes=["selfcheck-result"])
        return [node]


def visit_selfcheck(self, node):
    self.body.append(f'<div class="selfcheck" id="{node["ids"][0]}" role="group" '
                     f'aria-labelledby="{node["question_id"]}">')


def depart_selfcheck(self, node):
    self.body.append("</div>\n")


# TeX read aloud: the few macros the answers use, then any other command's
# name dropped and braces removed ("\\frac{1}{m}" -> "1/m", "\\hat{y}" -> "y hat").
_SPOKEN = [(r"\\delta\b\s*", " delta "),  # before the letters it would swallow
           (r"\\(?:mathbf|mathrm|boldsymbol|text|operatorname)\{([^{}]*)\}", r"\1"),
           (r"\\frac\{([^{}]*)\}\{([^{}]*)\}", r"\1/\2"),
           (r"\\hat\{([^{}]*)\}", r"\1 hat"), (r"\\tilde\{([^{}]*)\}", r"\1 tilde"),
           (r"\\langle\s*", "<"), (r"\\rangle", ">"), (r"\\Gamma", "Gamma"),
           (r"\\sigma", "sigma"), (r"\\partial", "d"), (r"\\circ|\\odot", " times "),
           (r"\\top", " transposed"), (r"\\cdot", " times "), (r"\\[a-zA-Z]+", ""),
           (r"[{}]", ""), (r"\s+", " ")]


def spoken(node):
    """The text of ``node`` with its math as words, for a name screen readers
    can say (MathJax's glyphs are not text to them)."""
    parts = []
    for child in node.children:
        text = child.astext()
        if isinstance(child, nodes.math):
            for pattern, repl in _SPOKEN:
                text = re.sub(pattern, repl, text)
        parts.append(text)
    return " ".join("".join(parts).split())


def visit_option(self, node):
    right = "true" if node["correct"] else "false"
    # An answer that is all math has no text a screen reader can name the
    # button by (axe: button-name): name it by the math in words. An answer
    # with words keeps its visible text as its name.
    words = "".join(c.astext() for c in node.children
                    if not isinstance(c, nodes.math)).strip()
    label = "" if words else f' aria-label="{escape(spoken(node))}"'
    self.body.append('<p class="selfcheck-choice"><button type="button" '
                     f'class="selfcheck-option" data-correct="{right}" '
                     f'aria-pressed="false"{label}>')


def depart_option(self, node):
    self.body.append("</button></p>\n")


def visit_explanation(self, node):
    self.body.append('<p class="selfcheck-explanation" hidden>')


def depart_explanation(self, node):
    self.body.append("</p>\n")


def visit_result(self, node):
    self.body.append('<p class="selfcheck-result" role="status" aria-live="polite">')


def depart_result(self, node):
    self.body.append("</p>\n")


def add_static_path(app, config):
    config.html_static_path.append(str(STATIC))


def setup(app):
    app.add_node(selfcheck, html=(visit_selfcheck, depart_selfcheck))
    app.add_node(selfcheck_option, html=(visit_option, depart_option))
    app.add_node(selfcheck_explanation, html=(visit_explanation, depart_explanation))
    app.add_node(selfcheck_result, html=(visit_result, depart_result))
    app.add_directive("selfcheck", SelfCheck)
    app.connect("config-inited", add_static_path)
    app.add_js_file("selfcheck.js", loading_method="defer")
    app.add_css_file("selfcheck.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
