"""What a reader of the book sees: no source-document "seed", helpers that say
which chapter shows them, citations that resolve, cross-page equation links
that name their page."""
import ast
import json
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
SRC = ROOT / "lstm_src"
HTML = ROOT / "_build" / "html"
# lstm_src/feedback.py is the graders' module, not shown in the book (another team owns it).
SHOWN_SOURCES = sorted(p for p in SRC.glob("*.py") if p.name != "feedback.py")


def toc_pages():
    """Every source file the table of contents builds (notebooks and Markdown)."""
    text = (ROOT / "_toc.yml").read_text()
    pages = []
    for entry in re.findall(r"^\s*-?\s*(?:file|root):\s*(\S+)", text, flags=re.MULTILINE):
        for ext in (".ipynb", ".md"):
            if (ROOT / (entry + ext)).is_file():
                pages.append(ROOT / (entry + ext))
    return pages


def page_text(path, markdown_only=False):
    """A page's text: Markdown as is; a notebook's cells and cell metadata (captions)."""
    if path.suffix == ".md":
        return path.read_text()
    cells = json.loads(path.read_text())["cells"]
    parts = []
    for cell in cells:
        if markdown_only and cell["cell_type"] != "markdown":
            continue
        parts.append("".join(cell["source"]))
        if not markdown_only:
            parts.append(json.dumps(cell.get("metadata", {}), ensure_ascii=False))
    return "\n\n".join(parts)


def rel(path):
    return path.relative_to(ROOT).as_posix()


# ------------------------------------------------------- (a) no source-document "seed"

# The course's source documents were numbered drafts ("seed 001"); readers see
# citations instead. A random seed (default_rng(seed), seed=0, "seed 5") stays legal.
SOURCE_SEED = re.compile(
    r"""\bseeds?\s*[(\[#]?\s*0\d\d\b            # seed 001, seeds (000)-(003)
      | \bseed['\u2019]s\b                       # the seed's form
      | \bseed[ -](?:texts?|documents?|derivations?|drafts?|papers?|sources?|stor(?:y|ies))\b
      | \bthe\s+seeds?\s+(?:writes?|says|opens|gives|prints|uses|derives|describes|follows)\b
      | \bseeds?\s+\d{3}\b                       # seed 002 without leading zero checks
    """,
    re.IGNORECASE | re.VERBOSE,
)


def source_seeds(text):
    """Every source-document "seed" in text (random seeds are not matched)."""
    return [m.group(0) for m in SOURCE_SEED.finditer(text)]


def test_seed_detector_catches_planted_and_spares_random_seeds():
    """The detector finds source-document seeds and leaves random seeds alone."""
    planted = ["(seed 001, §3.5)", "In seed 002's story", "Seed texts often write",
               "The seed writes tr(J)", "seeds 000-003", "the seed's form", "Seed derivations that"]
    legal = ["rng = np.random.default_rng(seed)", "init_params(3, 4, 2, seed=1)",
             "for seed 5 the gradient explodes", "thick: seed 0; thin: seeds 1-4",
             "Seeds both the parameters and the data.", "depends on the random seed",
             "def f(seed):", "seeds=range(2, 8)"]
    assert all(source_seeds(s) for s in planted), [s for s in planted if not source_seeds(s)]
    assert not any(source_seeds(s) for s in legal), [s for s in legal if source_seeds(s)]


@pytest.mark.parametrize("path", toc_pages() + SHOWN_SOURCES + [ROOT / "references.bib"],
                         ids=rel)
def test_no_source_document_seed_in_sources(path):
    """No page the book builds, and no lstm_src file it shows, says "seed 001" and the like."""
    text = page_text(path) if path.suffix in (".md", ".ipynb") else path.read_text()
    assert not source_seeds(text), f"{rel(path)}: {source_seeds(text)}; cite the source instead"


def test_no_source_document_seed_in_built_pages():
    """No built HTML page says "seed 001" and the like (skipped before a build)."""
    pages = sorted(HTML.rglob("*.html")) if HTML.is_dir() else []
    if not pages:
        pytest.skip("no _build/html: build the book first")
    found = {rel(p): source_seeds(re.sub(r"<[^>]+>", " ", p.read_text(errors="replace")))
             for p in pages if "_static" not in p.parts}
    assert not {k: v for k, v in found.items() if v}


# ------------------------------------------------------- (b) "Defined in:" lines

INCLUDE = re.compile(r"```\{literalinclude\}\s*(\S+)\s*\n(?::[\w-]+:.*\n)*?:pyobject:\s*(\w+)")


def literalincludes():
    """{(module file name, function name): [chapters that show it with :pyobject:]}."""
    shown = {}
    for page in toc_pages():
        for path, name in INCLUDE.findall(page_text(page, markdown_only=True)):
            target = (page.parent / path).resolve()
            assert target.is_file(), f"{rel(page)} includes {path}, which does not exist"
            shown.setdefault((target.name, name), []).append(rel(page))
    return shown


def docstrings(path):
    """{function name: docstring} for every function of a module, nested ones included."""
    tree = ast.parse(path.read_text())
    return {node.name: ast.get_docstring(node) or "" for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def test_the_book_shows_functions():
    """The chapters literalinclude lstm_src functions (so the next test checks something)."""
    assert len(literalincludes()) > 30


@pytest.mark.parametrize("key", sorted(literalincludes()), ids=lambda k: f"{k[0]}:{k[1]}")
def test_every_shown_function_names_its_chapter(key):
    """A function a chapter shows carries one 'Defined in:' line naming a chapter that shows it."""
    module, name = key
    doc = docstrings(SRC / module).get(name)
    assert doc is not None, f"{module} has no function {name}"
    lines = re.findall(r"^Defined in: (\S+)\s*$", doc, flags=re.MULTILINE)
    assert len(lines) == 1, f"{module}:{name} needs exactly one 'Defined in: book/...' line"
    shown_in = literalincludes()[key]
    assert lines[0] in shown_in, f"{module}:{name} says {lines[0]}, but only {shown_in} show it"


def test_no_defined_in_line_points_nowhere():
    """Every 'Defined in:' line in lstm_src names a chapter that really shows that function."""
    shown = literalincludes()
    stale = []
    for path in SHOWN_SOURCES:
        for name, doc in docstrings(path).items():
            for chapter in re.findall(r"^Defined in: (\S+)\s*$", doc, flags=re.MULTILINE):
                if chapter not in shown.get((path.name, name), []):
                    stale.append(f"{path.name}:{name} -> {chapter}")
    assert not stale


# ------------------------------------------------------- (c) citations

CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")


def bib_keys():
    return set(re.findall(r"^@\w+\s*\{\s*([^,\s]+)\s*,", (ROOT / "references.bib").read_text(),
                          flags=re.MULTILINE))


def test_citation_detector_reads_keys():
    """Citation roles are parsed, several keys in one role included."""
    text = "as {cite:t}`vardhan2022` and {cite:p}`olah2015, karpathy2015` and {cite}`x`"
    assert [k.strip() for m in CITE.findall(text) for k in m.split(",")] == \
        ["vardhan2022", "olah2015", "karpathy2015", "x"]


def test_every_citation_key_is_in_the_bibliography():
    """Every key a page cites exists in references.bib."""
    keys = bib_keys()
    missing = {}
    for page in toc_pages():
        for group in CITE.findall(page_text(page)):
            for key in (k.strip() for k in group.split(",")):
                if key not in keys:
                    missing.setdefault(rel(page), []).append(key)
    assert not missing


def test_the_book_cites_its_sources():
    """The derivation, the LSTM's authors, the forget gate and the matrix calculus are cited."""
    cited = {k.strip() for page in toc_pages() for g in CITE.findall(page_text(page))
             for k in g.split(",")}
    needed = {"vardhan2022", "parr2018", "hochreiter1997", "gers2000", "greff2017", "ng2018"}
    assert needed <= cited, f"never cited: {sorted(needed - cited)}"


# ------------------------------------------------------- (d) cross-page equation links

EQ_LABEL = re.compile(r"^\$\$ \(([\w-]+)\)\s*$", re.MULTILINE)
EQ_REF = re.compile(r"\{eq\}`([\w-]+)`")


def equation_pages():
    """{equation label: the page that numbers it}."""
    return {label: page for page in toc_pages()
            for label in EQ_LABEL.findall(page_text(page, markdown_only=True))}


def page_title(page):
    return re.search(r"^# (.+)$", page_text(page, markdown_only=True),
                     flags=re.MULTILINE).group(1).strip()


def names_page(text, page):
    """Does text name page: a {doc} link to it, or its title in italics?"""
    doc = re.compile(r"\{doc\}`(?:[^`<]*<)?([^`>]+)>?`")
    if any(pathlib.PurePosixPath(d).name == page.stem for d in doc.findall(text)):
        return True
    return f"*{page_title(page)}*" in text


def unclear_cross_page_refs(page, labels, text=None):
    """References to another page's equation whose page the nearby text does not name.

    On a page with numbered equations of its own, the target page must be named
    in the same paragraph, at most 200 characters before the reference, or right
    after it in the same sentence ("(9) of *Forward propagation*"); on a page
    without, anywhere in the same section before it."""
    text = page_text(page, markdown_only=True) if text is None else text
    has_own = bool(EQ_LABEL.search(text))
    bad = []
    for m in EQ_REF.finditer(text):
        target = labels.get(m.group(1))
        if target is None or target == page:
            continue
        before = text[:m.start()]
        if has_own:
            window = re.split(r"\n\s*\n", before)[-1][-200:]
        else:
            window = re.split(r"^#+ ", before, flags=re.MULTILINE)[-1]
        after = re.split(r"\.\s|\n\s*\n", text[m.end():m.end() + 120])[0]
        named_after = re.match(r"(?:[^.]{0,80}?)\b(?:of|in)\s+(\{doc\}`[^`]+`|\*[^*]+\*)", after)
        if names_page(window, target) or (named_after and names_page(named_after.group(1), target)):
            continue
        line = text.count("\n", 0, m.start()) + 1
        bad.append(f"{m.group(1)} (markdown line {line}) -> {rel(target)}")
    return bad


def test_cross_page_detector_flags_a_bare_number():
    """A bare link to another page's equation is flagged; one that names the page is not."""
    labels = equation_pages()
    forward = next(p for p in toc_pages() if p.stem == "forward")
    page = ROOT / "book" / "part3" / "output_gate.ipynb"
    own = "$$\nx\n$$ (own)\n\n"
    cases = {"The cell update {eq}`lstm-eq9` matters.": 1,
             f"The cell update, *{page_title(forward)}* {{eq}}`lstm-eq9`, matters.": 0,
             "In {doc}`../part2/forward`, {eq}`lstm-eq9` matters.": 0,
             "Equation {eq}`lstm-eq9` of {doc}`../part2/forward` matters.": 0,
             "In {doc}`output_layer`, {eq}`lstm-eq9` matters.": 1,
             "In {doc}`../part2/forward`.\n\nLater {eq}`lstm-eq9` matters.": 1}
    for text, expect in cases.items():
        assert len(unclear_cross_page_refs(page, labels, own + text)) == expect, text


@pytest.mark.parametrize("page", toc_pages(), ids=rel)
def test_cross_page_equation_links_name_their_page(page):
    """A link to another page's equation says which page, so "(9)" is never mistaken for ours."""
    assert not unclear_cross_page_refs(page, equation_pages())
