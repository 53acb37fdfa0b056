"""The book's PDF (tools/book_pdf.py) and its print layout.

The PDF comes from a build: BOOK_HTML (default _build/html) holds
lstm-backprop-course.pdf once `python tools/book_pdf.py` has run (.ci/run runs
it after the book build). Without it, or without chromium, these tests skip and
say why; with REQUIRE_BROWSER=1 they fail instead.
"""
import html.parser
import io
import pathlib
import re
import sys
import unicodedata

import pagecheck
import pytest
from test_browser import HTML, PAGES, REQUIRED, _skip_or_fail

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tools"))
import book_pdf  # noqa: E402

PDF = HTML / book_pdf.PDF_NAME
HINT = "run `python tools/book_pdf.py` after the book build"


class _Figures(html.parser.HTMLParser):
    """The page's title (its h1) and how many images its article shows (not the
    launch buttons' logos in the bar above it)."""

    def __init__(self):
        super().__init__()
        self.title, self.images, self._in_h1, self._in_main = "", 0, False, False

    def handle_starttag(self, tag, attrs):
        if tag == "article":
            self._in_main = True
        elif tag == "h1" and self._in_main and not self.title:
            self._in_h1 = True
        elif tag == "img" and self._in_main:
            self.images += 1
        elif tag == "a" and self._in_h1 and ("class", "headerlink") in attrs:
            self._in_h1 = False

    def handle_endtag(self, tag):
        if tag == "h1":
            self._in_h1 = False
        elif tag == "article":
            self._in_main = False

    def handle_data(self, data):
        if self._in_h1:
            self.title += data


def _pages():
    found = {}
    for rel in PAGES:
        parser = _Figures()
        parser.feed((HTML / rel).read_text(encoding="utf-8"))
        found[rel] = (" ".join(parser.title.split()), parser.images)
    return found


def _squash(text):
    """Text without spaces, breaks or hyphenation, lower case, ligatures (ﬁ)
    undone: titles wrap in a PDF."""
    return re.sub(r"[\s\-‐]+", "", unicodedata.normalize("NFKC", text)).lower()


@pytest.fixture(scope="module")
def pdf():
    _skip_or_fail(need_build=True)
    if not PDF.is_file():
        message = f"no {PDF.name} in {HTML}: {HINT}"
        if REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    from pypdf import PdfReader

    return PdfReader(PDF)


def _image_count(reader):
    """Figures in the PDF: bitmaps, and the groups tools/book_pdf.py has Chromium
    draw each figure in (an SVG figure is drawn as paths, not as a bitmap), at
    least 150 units a side (smaller forms are icons and shadows)."""
    count = 0
    for page in reader.pages:
        xobjects = (page.get("/Resources") or {}).get("/XObject") or {}
        for ref in xobjects.values():
            xobject = ref.get_object()
            kind = xobject.get("/Subtype")
            box = [float(v) for v in xobject.get("/BBox", [0, 0, 0, 0])]
            if kind == "/Image" or (kind == "/Form" and "/Group" in xobject and min(
                    box[2] - box[0], box[3] - box[1]) >= 150):
                count += 1
    return count


def test_pdf_has_every_chapter_in_order(pdf):
    """Every page of the toc, by its title, in the toc's order; a clickable outline."""
    pages = _pages()
    assert len(PAGES) <= len(pdf.pages) <= 40 * len(PAGES), len(pdf.pages)
    text = _squash("\n".join(page.extract_text() or "" for page in pdf.pages))
    at = 0
    for rel, (title, _) in pages.items():
        found = text.find(_squash(title), at)
        assert found >= 0, f"{rel}: its title {title!r} is not in the PDF after the one before"
        at = found
    outline = [item.title for item in pdf.outline if not isinstance(item, list)]
    for caption, _ in book_pdf.toc_parts()[1:]:
        assert caption in outline, f"part {caption!r} is not in the PDF's outline: {outline}"
    assert pdf.page_mode == "/UseOutlines"


def test_pdf_has_no_raw_tex_and_every_figure(pdf):
    """No TeX left as text (math is typeset); at least as many images as the HTML figures."""
    text = "\n".join(page.extract_text() or "" for page in pdf.pages)
    # \( \[ $$: an equation MathJax did not typeset. \begin{ and reST math are
    # also what a shown docstring prints (the raw-tex rule of the browser test).
    raws = ["\\(", "\\[", "$$"]
    if "raw-tex" in pagecheck.STRICT_CHECKS:
        raws += ["\\begin{", ":math:`", ".. math::"]
    for raw in raws:
        at = text.find(raw)
        assert at < 0, f"raw TeX {raw!r} in the PDF: ...{text[max(0, at - 60):at + 80]}..."
    figures = sum(images for _, images in _pages().values())
    assert figures > 0
    assert _image_count(pdf) >= figures, (_image_count(pdf), figures)


def test_summary_sheet_prints_on_two_pages(browser):
    """The summary sheet, printed alone: 2 pages, its own title first, no contents
    block, no code toggles."""
    _skip_or_fail(need_build=True)
    from pypdf import PdfReader

    page, data = book_pdf.print_page(browser, HTML / "book/part3/summary.html")
    title = page["title"]
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) <= 2, f"{len(reader.pages)} pages"
    assert _squash(text).startswith(_squash(title)[:20]), text[:200]
    assert "Show code cell" not in text and "Contents" not in text[:400], text[:400]


@pytest.fixture(scope="module")
def browser():
    _skip_or_fail(need_build=False)
    driver = pagecheck.start_browser()
    yield driver
    driver.quit()


def test_cli_errors_are_one_line(tmp_path, capsys):
    """No build, or a stray option: one line saying what was expected, exit 2."""
    assert book_pdf.main([str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "expected a built book (index.html)" in err and "\n" not in err
    assert book_pdf.main(["--bogus"]) == 2
    assert not list(tmp_path.iterdir())


def test_a_page_with_a_missing_figure_is_not_printed(tmp_path, browser):
    """A figure that does not load stops the PDF with a one-line error, exit 2."""
    _skip_or_fail(need_build=False)
    (tmp_path / "index.html").write_text(
        '<!DOCTYPE html><html><body><h1>t</h1><img src="gone.svg" alt="x"></body></html>')
    with pytest.raises(RuntimeError, match="a figure did not load.*gone.svg"):
        book_pdf.print_page(browser, tmp_path / "index.html")

