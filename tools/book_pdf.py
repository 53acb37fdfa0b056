"""The whole book as one PDF, printed from the built HTML by headless Chromium.

    python tools/book_pdf.py [_build/html]

Opens every page of ``_toc.yml`` in order (network off), waits until MathJax
has typeset it and its figures have loaded, opens the exercises' solutions,
prints it (Chrome DevTools ``Page.printToPDF``, A4, with the print styles of
``book/_static/course.css``) and joins the pages with pypdf. The outline has
the toc's parts, each page's title under its part, and the page's own
headings under that. Written to ``<build>/lstm-backprop-course.pdf``, where the
introduction's download link points, so it is read offline like the rest.

Needs Chromium and chromedriver (Debian's ``chromium``, ``chromium-driver``;
``CHROMIUM`` and ``CHROMEDRIVER`` name others) and ``requirements-pdf.txt``.
A bad build folder or a missing browser is a one-line error and exit 2.
"""
import base64
import io
import pathlib
import sys
import time

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
PDF_NAME = "lstm-backprop-course.pdf"
sys.path.insert(0, str(ROOT / "tests"))     # the browser set-up the browser test uses

import pagecheck  # noqa: E402

# What the page needs before it is printed: typeset math and loaded figures
# (pagecheck's own wait), solutions opened, links to other pages of the book
# made plain text (in a PDF they would point at this machine's files), and
# each figure drawn as one group (an unseen opacity of 0.999): one form
# XObject per figure, which tests/test_pdf.py counts.
PREPARE = r"""
for (const img of document.querySelectorAll("article img")) img.style.opacity = "0.999";
document.querySelectorAll(".toggle-hidden").forEach((e) => e.classList.remove("toggle-hidden"));
document.querySelectorAll("button.toggle-button").forEach((b) => b.remove());
for (const a of document.querySelectorAll("a[href]")) {
  if (a.protocol === "file:" && a.pathname !== location.pathname) a.removeAttribute("href");
}
const text = (h) => {
  const c = h.cloneNode(true);
  c.querySelectorAll(".headerlink").forEach((e) => e.remove());
  c.querySelectorAll("mjx-container").forEach((m) => {
    const mml = m.querySelector("mjx-assistive-mml");
    m.replaceWith(mml ? mml.textContent : "");
  });
  return c.textContent.replace(/\s+/g, " ").trim();
};
const article = document.querySelector("article.bd-article") || document.body;
const h1 = article.querySelector("h1");
return {title: h1 ? text(h1) : document.title,
        headings: Array.from(article.querySelectorAll("h2, h3")).map(text)};
"""

PRINT = {
    "printBackground": True,
    "paperWidth": 8.27, "paperHeight": 11.69,          # A4, in inches
    "marginTop": 0.4, "marginBottom": 0.55, "marginLeft": 0.4, "marginRight": 0.4,
    "displayHeaderFooter": True,
    "headerTemplate": "<span></span>",
    "footerTemplate": ('<div style="font-size:8px;width:100%;text-align:center;color:#555">'
                       '<span class="title"></span> · <span class="pageNumber"></span>'
                       '</div>'),
    "generateDocumentOutline": True,
    "preferCSSPageSize": False,
}


def toc_parts(root=ROOT):
    """``[(part caption or None, [page.html, ...]), ...]`` in the toc's order."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    html = [p for p in pagecheck.toc_pages(root)]
    parts, at = [(None, [html[0]])], 1
    for part in toc.get("parts", []):
        count = len(part.get("chapters", []))
        parts.append((part.get("caption"), html[at:at + count]))
        at += count
    return parts


def print_page(browser, path, timeout=60):
    """``(page, pdf bytes)`` of one built page, printed as the book prints it;
    ``page`` has its ``title`` and the text of its ``headings`` (h2, h3)."""
    uri = pathlib.Path(path).resolve().as_uri()
    browser.get(uri)
    not_loaded = pagecheck.wait_until_loaded(browser, uri, timeout)
    if not_loaded:
        raise RuntimeError(not_loaded)
    seen = browser.execute_async_script(pagecheck.PAGE_SCRIPT)
    if "scriptError" in seen:
        raise RuntimeError(f"{path}: {seen['scriptError']}")
    if seen.get("badImages") or seen.get("untypeset"):
        raise RuntimeError(f"{path}: not printed, a figure did not load or an equation "
                           f"was not typeset: {(seen['badImages'] + seen['untypeset'])[:3]}")
    page = browser.execute_script(PREPARE)
    data = browser.execute_cdp_cmd("Page.printToPDF", PRINT)["data"]
    return page, base64.b64decode(data)


def _flat(items):
    """Chromium's outline of a page, flat: ``[(item, depth), ...]``."""
    out = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                out.append((item, depth))

    walk(items, 0)
    return out


def add_outline(writer, reader, page, offset, parent):
    """The page's title under ``parent`` and its sections under the title.

    Chromium's outline has the right pages and nesting but garbled titles
    (text of a heading's math dropped, a linked heading's text twice), so the
    titles come from the page's headings when the two lists match one for one.
    """
    chapter = writer.add_outline_item(page["title"], offset, parent=parent)
    flat = [(item, depth) for item, depth in _flat(reader.outline)[1:]
            if str(item.title).strip() != "Contents"]
    titles = page["headings"] if len(page["headings"]) == len(flat) else [
        str(item.title) for item, _ in flat]
    stack = {0: chapter}
    for (item, depth), title in zip(flat, titles):
        number = reader.get_destination_page_number(item)
        if number is None or number < 0:
            continue
        holder = stack.get(depth - 1, chapter) if depth > 1 else chapter
        stack[depth] = writer.add_outline_item(title, offset + number, parent=holder)
    return chapter


def build_pdf(html_root, out=None, browser=None, log=print):
    """Print every toc page of the build at ``html_root`` into one PDF; its path."""
    from pypdf import PdfReader, PdfWriter

    html_root = pathlib.Path(html_root)
    out = pathlib.Path(out or html_root / PDF_NAME)
    parts = toc_parts()
    missing = [p for _, pages in parts for p in pages if not (html_root / p).is_file()]
    if missing:
        raise FileNotFoundError(f"{html_root} lacks {', '.join(missing[:3])}"
                                f"{' ...' if len(missing) > 3 else ''}: build the book first")
    own = browser is None
    browser = browser or pagecheck.start_browser()
    writer = PdfWriter()
    try:
        for caption, pages in parts:
            part_item = None
            for rel in pages:
                page, data = print_page(browser, html_root / rel)
                reader = PdfReader(io.BytesIO(data))
                offset = len(writer.pages)
                writer.append(reader, import_outline=False)
                if caption and part_item is None:
                    part_item = writer.add_outline_item(caption, offset)
                add_outline(writer, reader, page, offset, part_item)
                log(f"  {rel}: {len(reader.pages)} pages")
    finally:
        if own:
            browser.quit()
    writer.add_metadata({"/Title": _book_title(), "/Author": _book_author()})
    writer.page_mode = "/UseOutlines"
    tmp = out.with_suffix(".pdf.part")
    with open(tmp, "wb") as f:
        writer.write(f)
    tmp.replace(out)                # nothing half-written under the real name
    return out


def _config():
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def _book_title():
    return str(_config().get("title", "LSTM back-propagation"))


def _book_author():
    return str(_config().get("author", ""))


def main(argv):
    if len(argv) > 1 or (argv and argv[0].startswith("-")):
        print("usage: python tools/book_pdf.py [BUILD_HTML_DIR]  (default _build/html)",
              file=sys.stderr)
        return 2
    html_root = pathlib.Path(argv[0] if argv else ROOT / "_build" / "html")
    if not (html_root / "index.html").is_file():
        print(f"error: expected a built book (index.html) in {html_root}, found none: "
              "run `jupyter-book build . -W -n --keep-going` first", file=sys.stderr)
        return 2
    chromium, driver = pagecheck.find_browser()
    if not (chromium and driver):
        print("error: expected chromium and chromedriver on PATH (or CHROMIUM, CHROMEDRIVER), "
              f"found chromium={chromium}, chromedriver={driver}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    try:
        out = build_pdf(html_root)
    except (FileNotFoundError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    from pypdf import PdfReader

    pages = len(PdfReader(out).pages)
    print(f"wrote {out} ({pages} pages, {out.stat().st_size / 1e6:.1f} MB) "
          f"in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
