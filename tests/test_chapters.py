"""Every chapter says what it gives and checks it: learning objectives at the top,
key takeaways, and 2-4 self-check questions (tools/selfcheck.py) at the end that
work on the static page."""
import json
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
CHAPTERS = sorted((ROOT / "book").glob("part*/*.ipynb"))
SELFCHECK = re.compile(r"```\{selfcheck\}\n(.*?)\n```", re.S)


def markdown(path):
    cells = json.loads(path.read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_chapter_has_objectives_takeaways_and_self_checks(path):
    cells = markdown(path)
    objectives = re.search(r":::\{admonition\} In this chapter you will\n:class: tip\n\n"
                           r"((?:- .+\n)+):::", cells[0])
    assert objectives and 2 <= objectives.group(1).count("\n- ") + 1 <= 4, \
        "the first cell ends with 2-4 learning objectives"
    assert any(re.search(r"^## Key takeaways$", c, re.M) for c in cells)
    assert cells[-1].startswith("## Check yourself")
    questions = SELFCHECK.findall(cells[-1])
    assert 2 <= len(questions) <= 4
    for q in questions:
        answers = re.findall(r"^- \[([x ])\] ", q, re.M)
        assert len(answers) >= 2 and "x" in answers and " " in answers, q[:60]


def test_built_pages_have_working_questions():
    """In the HTML, every chapter's questions are buttons with a right and a wrong answer,
    an explanation each, and the script that answers is shipped with the book."""
    if not (HTML / "book").is_dir():
        pytest.skip("no _build/html: build the book first")
    assert (HTML / "_static" / "selfcheck.js").is_file()
    for path in CHAPTERS:
        page = (HTML / path.relative_to(ROOT)).with_suffix(".html").read_text()
        boxes = page.count('<div class="selfcheck"')
        assert 2 <= boxes <= 4, path.name
        assert page.count('data-correct="true"') >= boxes
        assert page.count('data-correct="false"') >= boxes
        assert page.count('class="selfcheck-explanation" hidden') == \
            page.count('class="selfcheck-option"')
        assert "selfcheck.js" in page


def test_an_all_math_answer_is_named_with_its_deltas():
    """tools/selfcheck.py names a button whose answer is all math by the math in
    words; a delta before a bold letter ("\\delta\\mathbf{a}") stays in the name."""
    import sys

    from docutils import nodes

    sys.path.insert(0, str(ROOT / "tools"))
    import selfcheck

    def name(tex):
        return selfcheck.spoken(nodes.paragraph("", "", nodes.math(tex, tex)))

    assert name(r"\delta\mathbf{a}\circ(\tilde{\mathbf{n}}-\mathbf{a}^{\langle t-1\rangle})") \
        == "delta a times (n tilde-a^<t-1>)"
    assert name(r"(\mathbf{W}_{na}\delta\mathbf{z}_n)\circ\mathbf{a}") == "(W_na delta z_n) times a"
