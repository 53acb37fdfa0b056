"""The built book read offline in headless Chromium: every page the table of
contents builds typesets its equations, loads its images, logs no JavaScript
error, loads nothing from outside and has no broken link or #anchor
(checks in tests/pagecheck.py).

The pages come from a build: BOOK_HTML (default _build/html, if it is there).
Without a build, or without chromium and chromedriver, these tests are skipped
and say why; with REQUIRE_BROWSER=1 (as .ci/run sets, after building the book)
they fail instead of skipping.
"""
import functools
import http.server
import os
import pathlib
import threading
import time
from typing import ClassVar

import pagecheck
import pagerules
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
REQUIRED = os.environ.get("REQUIRE_BROWSER") == "1"
HTML = pathlib.Path(os.environ.get("BOOK_HTML") or ROOT / "_build" / "html")
if not HTML.is_absolute():
    HTML = ROOT / HTML
PAGES = pagecheck.toc_pages()
BUILD_HINT = ("build the book first: `jupyter-book build . -W -n --keep-going` "
              "(or set BOOK_HTML to a build)")


def _cannot_run(need_build):
    """Why the browser tests cannot run here, or None if they can."""
    chromium, driver = pagecheck.find_browser()
    if not (chromium and driver):
        return ("needs Debian's chromium and chromium-driver "
                "(`apt-get install chromium chromium-driver`; .ci/run installs them)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "needs selenium (`pip install -r requirements-test.txt`)"
    if need_build and not (HTML / "index.html").is_file():
        return f"no built book at {HTML}: {BUILD_HINT}"
    return None


def _skip_or_fail(need_build):
    reason = _cannot_run(need_build)
    if reason and REQUIRED:
        pytest.fail(f"REQUIRE_BROWSER=1 but the browser test cannot run: {reason}")
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    _skip_or_fail(need_build=False)
    driver = pagecheck.start_browser()
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def links():
    _skip_or_fail(need_build=True)
    return pagecheck.LinkChecker(HTML)


@pytest.mark.parametrize("page", PAGES)
def test_page_reads_offline(page, links, browser):
    """The page typesets its math, loads its images, logs no error and has no broken link."""
    path = HTML / page
    assert path.is_file(), f"{page} is in _toc.yml but not in {HTML}: {BUILD_HINT}"
    problems = links.check(page) + pagecheck.check_in_browser(browser, path)
    assert not problems, f"{page}:\n  " + "\n  ".join(problems)


def test_exercise_pages_offer_binder_but_not_colab(links):
    """A graded exercise needs otter and its tests folder, which Binder has
    and Colab has not: its page's launch menu offers Binder only; a
    chapter's offers both."""
    exercise_pages = [p for p in PAGES if p.startswith("exercises/")]
    assert exercise_pages
    for page in exercise_pages:
        text = (HTML / page).read_text()
        assert "mybinder.org/v2/gh/" in text, page
        assert "colab.research.google.com" not in text, page
    chapter = (HTML / "book/part1/dot_product.html").read_text()
    assert "mybinder.org/v2/gh/" in chapter
    assert "colab.research.google.com" in chapter


def test_one_search_button_and_the_launch_buttons(browser):
    """At 1280 px a chapter shows one search button (no header bar with a second)
    and keeps its launch and repository buttons; a favicon is declared."""
    _skip_or_fail(need_build=True)
    path = HTML / "book/part2/forward.html"
    assert not pagecheck.check_in_browser(browser, path, rules=())
    seen = browser.execute_script(
        "const shown = (e) => { const r = e.getBoundingClientRect();"
        "  return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden'; };"
        "return {search: Array.from(document.querySelectorAll('.search-button-field'))"
        "          .filter(shown).length,"
        "        header: Array.from(document.querySelectorAll('.bd-header')).filter(shown).length,"
        "        binder: Boolean(document.querySelector('a[href*=\"mybinder.org/v2/gh/\"]')),"
        "        repo: Boolean(document.querySelector('a[href^=\"https://github.com/\"]')),"
        "        icon: Boolean(document.querySelector('link[rel~=icon]'))};")
    assert seen == {"search": 1, "header": 0, "binder": True, "repo": True, "icon": True}, seen


#: Smallest scale of a figure on a phone: the diagrams' labels are at least
#: 12 pt (tests/test_diagrams.py), 16 px at full size; 0.68 of that is 11 px.
PHONE_FIGURE_SCALE = 0.68


def test_figures_are_legible_on_a_phone(browser):
    """At 400 px every figure of a page with diagrams and plots is drawn at
    0.68 of its full size or more (labels of 11 px and more), in a box of its
    own that scrolls sideways with the fade of a scrolling box, and its
    caption stays as wide as the column."""
    _skip_or_fail(need_build=True)
    pages = ["book/part2/forward.html", "book/part3/rnn_bptt.html",
             "book/part5/gru.html", "book/part4/training_on_text.html"]
    browser.set_window_size(400, 2000)
    try:
        for page in pages:
            assert not pagecheck.check_in_browser(browser, HTML / page, rules=())
            figures = browser.execute_script("""
              return Array.from(document.querySelectorAll("figure img")).map((img) => {
                const box = img.parentElement, cap = box.parentElement.querySelector("figcaption");
                return {src: img.getAttribute("src"), scale: img.getBoundingClientRect().width /
                          img.naturalWidth, box: box.className,
                        scrolls: box.scrollWidth > box.clientWidth + 1,
                        caption: cap ? cap.getBoundingClientRect().width : 0,
                        column: box.parentElement.getBoundingClientRect().width};
              });""")
            assert figures, f"{page}: no figure"
            for fig in figures:
                assert fig["scale"] >= PHONE_FIGURE_SCALE, (page, fig)
                assert "course-figure" in fig["box"], (page, fig)
                if fig["scrolls"]:
                    assert "course-scrolls" in fig["box"], (page, fig)
                assert 0 < fig["caption"] <= fig["column"] + 1, (page, fig)
    finally:
        browser.set_window_size(1280, 2000)


FAULTY_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<script src="https://cdn.example.org/lib.js"></script></head><body>
<p>An inline equation left as TeX: <span class="math">\\(\\delta\\Gamma_o\\)</span>.</p>
<img src="figures/missing.png" alt="a figure that is not there">
<img src="figures/ok.svg" alt="a figure that is there">
<a href="other.html#equation-lstm-eq13">a bad eq link</a>
<a href="other.html#equation-lstm-eq1">a good eq link</a>
<a href="gone.html">a page that is not there</a>
<a href="https://example.org/">a link out (allowed)</a>
<script>undefined_function();</script>
</body></html>"""
OTHER_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
<div class="eq" id="equation-lstm-eq1">no equation script on this page either</div>
</body></html>"""
CLEAN_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
<p>Prose, <code>$$ in code is fine</code>, <img src="figures/ok.svg" alt="a black bar">
<a href="other.html#equation-lstm-eq1">a good link</a> <a href="#top" id="top">top</a></p>
</body></html>"""
SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10">'
       '<rect width="20" height="10"/></svg>')


def test_checker_catches_planted_faults(tmp_path, browser):
    """Raw TeX, a missing image, a JS error, a CDN script and broken links are each reported."""
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "ok.svg").write_text(SVG)
    (tmp_path / "index.html").write_text(FAULTY_PAGE)
    (tmp_path / "other.html").write_text(OTHER_PAGE)
    (tmp_path / "clean.html").write_text(CLEAN_PAGE)
    report = pagecheck.check_book(tmp_path, ["index.html", "clean.html"], browser=browser,
                                  rules=())
    found = "\n".join(report["index.html"])
    for expected in ("loads https://cdn.example.org/lib.js from outside",
                     "equation not typeset: '\\\\(\\\\delta\\\\Gamma_o\\\\)'",
                     "raw TeX '\\\\(' in the page's text",
                     "image 'figures/missing.png' did not load",
                     "no anchor #equation-lstm-eq13 in other.html",
                     "link 'gone.html': gone.html does not exist",
                     "undefined_function is not defined"):
        assert expected in found, f"not reported: {expected}\nreport:\n{found}"
    assert len(report["index.html"]) >= 7
    assert not any("ok.svg" in p or "lstm-eq1'" in p or "example.org/'" in p
                   for p in report["index.html"]), found
    assert report["clean.html"] == [], report["clean.html"]


HEAD = ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<style>body {{ font-size: 16px; margin: 8px; }} main {{ width: 360px; }}'
        ' mjx-container[display="true"] {{ display: block; }}'
        ' mjx-math {{ display: inline-block; }}</style></head><body><main>')
RULES_FAULTY = HEAD.format("faults") + """
<h1>Planted faults</h1><h3>a heading two levels down</h3>
<p>Body text at 16 px.</p>
<pre style="overflow: auto">x = some_function(with_arguments, that_make, the_line,
    far_too_long, for_its_box, and_this_one_is_far_far_too_long_for_a_360_px_box)</pre>
<div class="eq" id="cut-eq"><mjx-container display="true"><mjx-math
  style="width: 900px">W</mjx-math></mjx-container></div>
<div class="eq" id="small-eq"><mjx-container display="true" style="font-size: 12px"><mjx-math
  style="width: 50px">x</mjx-math></mjx-container></div>
<table><tr><td style="min-width: 800px">a table with a cut column</td></tr></table>
<div style="overflow: hidden"><p>A solution calls
<code style="white-space: nowrap">lstm.hidden_state_backward(from_prediction, from_next_step)</code>
.</p></div>
<img src="figures/ok.svg"> <img src="figures/ok.svg" alt="figures/ok.svg">
<img src="figures/lstm_cell.svg" alt="lstm_cell">
<p><a href="#x" id="x" style="color: #176de8; background: #ecf3ff">a low-contrast link</a></p>
<pre>def f(x):
    r\"\"\"Returns :math:`\\frac{a}{b}`.\"\"\"</pre>
<p>Ng's note writes $\\langle t\\rangle $ as text.</p>
</main></body></html>"""
RULES_CLEAN = HEAD.format("clean") + """
<h1>A clean page</h1><h2>a section</h2>
<p>Body text at 16 px with <code>r"\\n"</code> in code.</p>
<pre>label=r"$\\sum_k a_k$"</pre>
<pre style="overflow: auto">x = short()</pre>
<div class="eq" id="fits"><mjx-container display="true"><mjx-math
  style="width: 200px">x</mjx-math></mjx-container></div>
<div class="eq" id="scrolls" tabindex="0" style="overflow-x: auto"><mjx-container
  display="true"><mjx-math
  style="width: 900px">W</mjx-math></mjx-container></div>
<img src="figures/ok.svg" alt="a black bar, twice as wide as high">
</main></body></html>"""


def test_rules_catch_planted_faults(tmp_path, browser):
    """Each rule of issue 16 reports its planted fault, and a page that keeps
    the rules (an equation that scrolls in its own box included) passes."""
    (tmp_path / "figures").mkdir()
    for name in ("ok.svg", "lstm_cell.svg"):
        (tmp_path / "figures" / name).write_text(SVG)
    (tmp_path / "faults.html").write_text(RULES_FAULTY)
    (tmp_path / "clean.html").write_text(RULES_CLEAN)
    report = pagecheck.check_book(tmp_path, ["faults.html", "clean.html"], browser=browser,
                                  rules=pagerules.RULES)
    found = "\n".join(report["faults.html"])
    for expected in ("[wide-code] a code/output block is",
                     "'far_too_long, for_its_box, and_this_one",
                     "[cut-equation] at 400 px, equation runs",
                     "'cut-eq'",
                     "[cut-equation] at 400 px, table runs",
                     "inline code runs",
                     "'lstm.hidden_state_backward(from_prediction",
                     "[math-size] 1 display equations as small as 12.0 px, smaller than the "
                     "16.0 px text",
                     "[alt-text] image 'figures/ok.svg': no alt text",
                     "alt text is a file path or name ('figures/ok.svg')",
                     "alt text is a file path or name ('lstm_cell')",
                     "[axe] serious color-contrast",
                     "[axe] critical image-alt",
                     "[raw-tex] markup ':math:`'",
                     "[raw-tex] markup '$\\\\l'",
                     "[heading-order] h3 'a heading two levels down' follows an h1"):
        assert expected in found, f"not reported: {expected}\nreport:\n{found}"
    assert "small-eq" not in found.split("[cut-equation]", 1)[-1].split("\n")[0]
    assert report["clean.html"] == [], report["clean.html"]


def test_strict_checks_are_on():
    """The rules are on for the book's pages unless PAGECHECK_STRICT narrows them."""
    if os.environ.get("PAGECHECK_STRICT") is None:
        assert set(pagecheck.STRICT_CHECKS) == set(pagerules.RULES)
    assert pagerules.axe_script_path() is not None, "pip install -r requirements-test.txt"


# A static self-check question (tools/selfcheck.py, the {selfcheck} directive):
# the reader picks an answer on the page, offline, without a kernel, and is told
# right or wrong. The selectors are the directive's documented HTML; the first
# question of the page is clicked, a wrong answer and then the right one.
QUIZ = {"page": "book/part2/forward.html", "source": "book/part2/forward.ipynb",
        "question": "div.selfcheck",
        "wrong": 'button.selfcheck-option[data-correct="false"]',
        "right": 'button.selfcheck-option[data-correct="true"]',
        "feedback": ".selfcheck-result", "says_wrong": "Not quite.", "says_right": "Right."}


def test_self_check_quiz_answers(browser):
    """A wrong answer, then the right one, on one question of the book: each gets
    its verdict, and the question says which it was."""
    if "{selfcheck}" not in (ROOT / QUIZ["source"]).read_text(encoding="utf-8"):
        pytest.skip(f"{QUIZ['source']} has no {{selfcheck}} question yet")
    from selenium.webdriver.common.by import By

    path = HTML / QUIZ["page"]
    assert path.is_file(), f"{QUIZ['page']} is not in {HTML}: {BUILD_HINT}"
    assert not pagecheck.check_in_browser(browser, path, rules=())
    question = browser.find_element(By.CSS_SELECTOR, QUIZ["question"])
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", question)
    for choice, verdict, state in (("wrong", "says_wrong", "wrong"),
                                   ("right", "says_right", "right")):
        button = question.find_element(By.CSS_SELECTOR, QUIZ[choice])
        button.click()
        feedback = question.find_element(By.CSS_SELECTOR, QUIZ["feedback"])
        deadline = time.monotonic() + 5
        while QUIZ[verdict] not in feedback.text and time.monotonic() < deadline:
            time.sleep(0.05)
        assert feedback.text.startswith(QUIZ[verdict]), (choice, feedback.text)
        assert len(feedback.text) > len(QUIZ[verdict]) + 10, "no explanation"
        assert question.get_attribute("data-state") == state
        assert button.get_attribute("aria-pressed") == "true"


class _SlowPage(http.server.BaseHTTPRequestHandler):
    """Sends a page's head at once and its body 1.5 s later, as a slow
    connection or a busy machine would."""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(b'<!DOCTYPE html><html><head><meta charset="utf-8">'
                         b"<title>slow</title></head>")
        self.wfile.flush()
        time.sleep(1.5)
        self.wfile.write(b"<body><p>Sent last: \\(x\\) left as TeX.</p></body></html>")

    def log_message(self, *args):
        pass


def test_pages_are_checked_only_once_loaded():
    """The race CI hit on a busy machine, made certain: ``get`` returns while the
    page is still loading (page load strategy "none", a body that arrives 1.5 s
    after the head), yet the check waits for the whole page and finds what is
    in its body; a page that never comes is reported with what was awaited."""
    _skip_or_fail(need_build=False)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SlowPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/slow.html"
    eager = pagecheck.start_browser(page_load_strategy="none", offline=False)
    try:
        eager.get(url)
        state = eager.execute_script(
            "return [location.href, document.readyState, Boolean(document.body)];")
        assert not (state[0] == url and state[1] == "complete" and state[2]), (
            f"the race was not reproduced: {state}")
        problems = pagecheck.check_in_browser(eager, url)
        assert any("raw TeX '\\\\('" in p for p in problems), problems
        assert not any("could not run" in p or "did not finish" in p
                       for p in problems), problems
        gave_up = pagecheck.wait_until_loaded(eager, url + "?never", timeout=1)
        assert "did not finish loading in 1 s" in gave_up, gave_up
        assert "slow.html?never" in gave_up, gave_up
    finally:
        eager.quit()
        server.shutdown()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    """Serves the build, remembering every path that was not there."""

    missing: ClassVar[list] = []

    def send_error(self, code, message=None, explain=None):
        self.missing.append((code, self.path))
        super().send_error(code, message, explain)

    def log_message(self, *args):
        pass


def test_search_excerpts_show_math_as_text():
    """Served over HTTP as on GitHub Pages: the search page's excerpts show an
    equation as text (Γ, W_fa), never as TeX; nothing the pages ask for is
    missing (the favicon included)."""
    _skip_or_fail(need_build=True)
    from selenium.webdriver.common.by import By

    handler = functools.partial(_Quiet, directory=str(HTML))
    _Quiet.missing.clear()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    served = pagecheck.start_browser(offline=False)
    try:
        served.get(base + "book/part3/output_gate.html")
        assert pagecheck.wait_until_loaded(served, base + "book/part3/output_gate.html") is None
        served.get(base + "search.html?q=gate")
        deadline, excerpts = time.monotonic() + 30, []
        while time.monotonic() < deadline and len(excerpts) < 3:
            time.sleep(0.2)
            excerpts = [e.text for e in served.find_elements(By.CSS_SELECTOR, "p.context")]
        assert len(excerpts) >= 3, f"no search results with excerpts: {excerpts}"
        # the text every excerpt is cut from: a whole chapter's, math and all
        whole = served.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch('book/part3/output_gate.html').then((r) => r.text())"
            ".then((html) => done(Search.htmlToText(html)), (e) => done(String(e)));")
        # (TeX inside shown code is the raw-tex rule's business, not search's)
        for text in excerpts + [whole]:
            for raw in ("\\(", "\\[", "$$"):
                at = text.find(raw)
                assert at < 0, f"{raw!r} in a search excerpt: ...{text[max(0, at - 80):at + 80]}"
        assert "Γ" in whole and "W" in whole, whole[:300]
        assert not _Quiet.missing, f"the pages asked for what is not there: {_Quiet.missing}"
    finally:
        served.quit()
        server.shutdown()

