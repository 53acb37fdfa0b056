"""Read a built book as a reader would, offline: every page in headless Chromium
with the network off, plus a check of every link in the HTML files.

For each page it reports, in words a reader would use:

* an equation left as raw TeX (no MathJax output in a ``.math`` element, or a
  ``\\(``, ``\\[``, ``$$`` or ``\\begin{`` left in the page's text outside code),
  and a TeX error MathJax drew in red;
* an image that did not load (``naturalWidth`` 0);
* a JavaScript error, or anything else the console logs as SEVERE (a script or
  font that failed to load: with the network off, that is anything the page
  fetches from outside);
* a script, stylesheet, image or frame that the page loads from outside the
  book (only links a reader clicks may leave it: launch buttons, repository,
  references);
* an internal link whose file does not exist, or whose ``#anchor`` is not an
  ``id`` in that file;
* with the rules named in ``STRICT_CHECKS`` (``tests/pagerules.py``): code
  wider than its box at 1280 px, an equation or table cut off at 400 px, math
  smaller than the text, an image without meaningful alt text, a serious or
  critical axe-core violation, TeX or reST markup shown as text (code
  included), headings out of order.

Used by ``tests/test_browser.py``; also a command for a quick look::

    python tests/pagecheck.py _build/html            # the pages _toc.yml builds
    python tests/pagecheck.py _build/html book/part2/forward.html
    python tests/pagecheck.py --all _build/html   # every rule, whatever STRICT_CHECKS says
"""
import html.parser
import os
import pathlib
import posixpath
import shutil
import sys
import time
import urllib.parse
from typing import ClassVar

import pagerules
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]

# The rules of tests/pagerules.py a page fails on. All of them once the pages
# meet them; until then, PAGECHECK_STRICT=none (or a comma-separated list of
# rule names) in the environment narrows them.
STRICT_CHECKS = pagerules.RULES
_env = os.environ.get("PAGECHECK_STRICT")
if _env is not None:
    STRICT_CHECKS = tuple(r for r in _env.split(",") if r in pagerules.RULES)

# Text that means an equation was not typeset.
RAW_TEX = ("\\(", "\\[", "$$", "\\begin{")

# Runs in the page once it has loaded: waits for MathJax's first typesetting and
# for every image, then reports what a reader would see.
PAGE_SCRIPT = r"""
const done = arguments[arguments.length - 1];
const timeout = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
(async () => {
  const out = {};
  if (document.readyState !== "complete") {
    await Promise.race([new Promise((r) => window.addEventListener("load", r, {once: true})),
                        timeout(30000)]);
  }
  if (!document.body) {
    throw new Error(`no document.body (readyState ${document.readyState}) after 30 s`);
  }
  out.mathjax = Boolean(window.MathJax && MathJax.startup && MathJax.startup.promise);
  if (out.mathjax) {
    await Promise.race([MathJax.startup.promise.catch(() => null), timeout(15000)]);
  }
  const images = Array.from(document.images);
  for (const img of images) { if (img.loading === "lazy") img.loading = "eager"; }
  await Promise.race([Promise.all(images.map((img) => img.complete ? null : new Promise((r) => {
    img.addEventListener("load", r); img.addEventListener("error", r);
  }))), timeout(10000)]);
  out.badImages = images.filter((img) => !(img.complete && img.naturalWidth > 0))
    .map((img) => img.getAttribute("src"));
  const maths = Array.from(document.querySelectorAll("span.math, div.math"));
  out.mathCount = maths.length;
  out.untypeset = maths.filter((m) => !m.querySelector("mjx-container"))
    .map((m) => m.textContent.trim().slice(0, 80));
  out.typeset = document.querySelectorAll("mjx-container").length;
  out.texErrors = Array.from(document.querySelectorAll("mjx-merror"))
    .map((e) => (e.getAttribute("data-mjx-error") || e.textContent).slice(0, 80));
  const body = document.body.cloneNode(true);
  body.querySelectorAll("pre, code, script, style, textarea, mjx-container")
    .forEach((e) => e.remove());
  out.text = body.textContent;
  return out;
})().then(done, (err) => done({scriptError: String(err)}));
"""


def toc_pages(root=ROOT):
    """The HTML files the table of contents builds, relative to the build's root."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    entries = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                entries.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(toc.get("parts", []))
    walk(toc.get("chapters", []))
    return [posixpath.splitext(e)[0] + ".html" for e in entries]


class _PageParser(html.parser.HTMLParser):
    """The ids, the links and the loaded resources of one HTML file."""

    RESOURCES: ClassVar[dict] = {"script": "src", "img": "src", "iframe": "src", "source": "src",
                 "video": "src", "audio": "src", "embed": "src", "object": "data"}

    def __init__(self):
        super().__init__()
        self.ids, self.links, self.resources = set(), [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name" if tag == "a" else None):
            if key and attrs.get(key):
                self.ids.add(attrs[key])
        if tag == "a" and attrs.get("href") is not None:
            self.links.append(attrs["href"])
        if tag in self.RESOURCES and attrs.get(self.RESOURCES[tag]):
            self.resources.append(attrs[self.RESOURCES[tag]])
        if tag == "link" and attrs.get("href") and set((attrs.get("rel") or "").split()) & {
                "stylesheet", "preload", "icon", "modulepreload", "manifest"}:
            self.resources.append(attrs["href"])


class LinkChecker:
    """Checks links and resources of HTML files under one root (ids cached)."""

    def __init__(self, html_root):
        self.root = pathlib.Path(html_root).resolve()
        self._parsed = {}

    def parse(self, path):
        if path not in self._parsed:
            parser = _PageParser()
            parser.feed(path.read_text(encoding="utf-8", errors="replace"))
            self._parsed[path] = parser
        return self._parsed[path]

    def check(self, rel):
        """Problems with the links and resources of the page ``rel``."""
        page = self.root / rel
        parsed = self.parse(page)
        problems = []
        for url in parsed.resources:
            if _is_external(url):
                problems.append(f"loads {url} from outside the book (it must ship with it)")
            elif not url.startswith("data:"):
                target = self._target(page, url)
                if target is not None and not target.is_file():
                    problems.append(f"loads {url}, which is not in the build")
        for href in parsed.links:
            problem = self._check_link(page, href)
            if problem:
                problems.append(problem)
        return problems

    def _target(self, page, url):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme or parts.netloc:
            return None
        path = urllib.parse.unquote(parts.path)
        if not path:
            return page
        target = (page.parent / path).resolve()
        if path.endswith("/") or target.is_dir():
            target = target / "index.html"
        return target

    def _check_link(self, page, href):
        if _is_external(href) or href.split(":", 1)[0] in ("mailto", "javascript", "tel", "data"):
            return None
        target = self._target(page, href)
        if target is None:
            return None
        if not target.is_relative_to(self.root):
            return f"link {href!r} leaves the book's folder"
        if not target.is_file():
            return f"link {href!r}: {target.relative_to(self.root)} does not exist"
        fragment = urllib.parse.unquote(urllib.parse.urlsplit(href).fragment)
        if fragment and target.suffix == ".html" and fragment not in self.parse(target).ids:
            return (f"link {href!r}: no anchor #{fragment} in "
                    f"{target.relative_to(self.root).as_posix()}")
        return None


def _is_external(url):
    return url.startswith(("http://", "https://", "//"))


def find_browser():
    """Paths of Chromium and chromedriver, or None for each that is missing."""
    chromium = shutil.which(os.environ.get("CHROMIUM") or "chromium") or shutil.which(
        "chromium-browser")
    driver = shutil.which(os.environ.get("CHROMEDRIVER") or "chromedriver")
    return chromium, driver


def start_browser(page_load_strategy="normal", offline=True):
    """Headless Chromium (one for all pages) that can reach nothing off this machine.

    ``page_load_strategy`` "none" makes ``get`` return at once, while the page
    is still loading; ``offline=False`` lets it reach a server on this machine
    (the test of ``wait_until_loaded`` uses both).
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver = find_browser()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    options.page_load_strategy = page_load_strategy
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-extensions", "--window-size=1280,2000"):
        options.add_argument(arg)
    if offline:
        # The network is off: no name resolves, and anything else goes to a
        # proxy that is not there.
        options.add_argument("--host-resolver-rules=MAP * ~NOTFOUND")
        options.add_argument("--proxy-server=http://127.0.0.1:9")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    browser.set_script_timeout(60)
    browser.set_page_load_timeout(60)
    # ... and the DevTools network emulation says so too.
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": offline, "latency": 0, "downloadThroughput": -1,
        "uploadThroughput": -1})
    return browser


def wait_until_loaded(browser, uri, timeout=60):
    """None once the browser shows ``uri`` fully loaded, else what it waited for.

    ``browser.get`` can return before the new document exists or while it is
    still being parsed (on a busy machine, or with a page load strategy other
    than "normal"); the checks then ran on a page without a body. So wait until
    the window shows ``uri``, its ``document.readyState`` is "complete" and it
    has a body.
    """
    want = urllib.parse.unquote(uri)
    deadline = time.monotonic() + timeout
    seen = None
    while True:
        try:
            seen = browser.execute_script(
                "return [location.href, document.readyState, Boolean(document.body)];")
        except Exception as err:                    # a navigation in progress
            seen = [None, f"unavailable ({type(err).__name__})", False]
        if seen and urllib.parse.unquote(seen[0] or "") == want and (
                seen[1] == "complete" and seen[2]):
            return None
        if (seen[0] or "").startswith("chrome-error:"):
            return f"the browser could not open {want} (it shows its error page)"
        if time.monotonic() > deadline:
            href, state, body = seen
            return (f"the page did not finish loading in {timeout} s: waited for "
                    f"{want} with document.readyState 'complete' and a body; last seen "
                    f"{urllib.parse.unquote(href or '?')}, readyState {state!r}, "
                    f"{'a' if body else 'no'} body")
        time.sleep(0.05)


def check_in_browser(browser, page, timeout=60, rules=None):
    """Problems a reader sees on ``page`` (a path, or an http URL) once it has loaded.

    ``rules``: the names of ``tests/pagerules.py`` to apply (default
    ``STRICT_CHECKS``).
    """
    browser.get_log("browser")                      # forget the previous page's messages
    uri = str(page)
    if not uri.startswith(("http://", "https://")):
        uri = pathlib.Path(page).resolve().as_uri()
    browser.get(uri)
    not_loaded = wait_until_loaded(browser, uri, timeout)
    if not_loaded:
        return [not_loaded]
    seen = browser.execute_async_script(PAGE_SCRIPT)
    problems = []
    if "scriptError" in seen:
        problems.append(f"the check could not run in the page: {seen['scriptError']}")
        seen = {}
    for src in seen.get("badImages", []):
        problems.append(f"image {src!r} did not load")
    if seen.get("mathCount") and not seen.get("mathjax"):
        problems.append(f"{seen['mathCount']} equations but no MathJax on the page")
    for tex in seen.get("untypeset", []):
        problems.append(f"equation not typeset: {tex!r}")
    for err in seen.get("texErrors", []):
        problems.append(f"MathJax shows a TeX error: {err!r}")
    text = seen.get("text", "")
    for raw in RAW_TEX:
        at = text.find(raw)
        if at >= 0:
            context = " ".join(text[max(0, at - 40):at + 60].split())
            problems.append(f"raw TeX {raw!r} in the page's text: ...{context}...")
    for entry in browser.get_log("browser"):
        if entry.get("level") == "SEVERE":
            problems.append(f"console error: {entry.get('message')}")
    rules = STRICT_CHECKS if rules is None else rules
    if rules and "scriptError" not in seen:
        problems += pagerules.check_rules(browser, rules)
    return problems


def check_book(html_root, pages=None, browser=None, rules=None):
    """``{page: [problems]}`` for ``pages`` (default: the toc's) of the build at ``html_root``."""
    html_root = pathlib.Path(html_root)
    pages = pages or toc_pages()
    links = LinkChecker(html_root)
    own = browser is None
    browser = browser or start_browser()
    try:
        report = {}
        for rel in pages:
            path = html_root / rel
            if not path.is_file():
                report[rel] = [f"{rel} was not built"]
                continue
            report[rel] = links.check(rel) + check_in_browser(browser, path, rules=rules)
        return report
    finally:
        if own:
            browser.quit()


def main(argv):
    if not argv:
        print(__doc__)
        return 2
    rules = None
    if argv[0] == "--all":
        rules, argv = pagerules.RULES, argv[1:]
    start = time.perf_counter()
    report = check_book(argv[0], argv[1:] or None, rules=rules)
    bad = 0
    counts = {}
    for page, problems in report.items():
        for problem in problems:
            print(f"{page}: {problem}")
            if problem.startswith("["):
                name = problem[1:problem.index("]")]
                counts[name] = counts.get(name, 0) + 1
        bad += bool(problems)
    print(f"{len(report)} pages checked in {time.perf_counter() - start:.1f} s; "
          f"{bad} with problems")
    for what in ("equation", "table"):
        counts_ = [seen[what] for seen in pagerules.SCROLLING.values()]
        if sum(counts_):
            print(f"  (allowed: {sum(counts_)} {what}s scroll sideways in their own box at "
                  f"{pagerules.PHONE} px, on {sum(map(bool, counts_))} pages)")
    for name, count in sorted(counts.items()):
        pages = sum(any(p.startswith(f"[{name}]") for p in ps) for ps in report.values())
        print(f"  {name}: {count} on {pages} pages")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
