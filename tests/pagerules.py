"""The reader's-eye rules of issue 16, measured in a page that has loaded.

``tests/pagecheck.py`` runs these after its own checks; each rule has a name,
and a page fails on a rule only when the name is in ``pagecheck.STRICT_CHECKS``:

``wide-code``
    A code or output block wider than its box at 1280 px (it scrolls
    sideways on a desktop): ``scrollWidth > clientWidth`` of a ``pre`` or an
    output area, with every collapsed cell and solution opened first.
``cut-equation``
    At 400 px, a display equation (``mjx-container[display]``) or a table
    wider than its box with no box around it that scrolls, or inline code
    running out of a box that clips it (a solution's): the reader sees part
    of it and cannot reach the rest.
``math-size``
    Display math set smaller than the body text at 400 px.
``alt-text``
    An image in the page's content without meaningful alt text: none, empty,
    or a file's path or name (what Sphinx writes when a figure has none).
``axe``
    A serious or critical violation found by axe-core (the copy the
    ``selenium-axe-python`` package ships, injected from disk: no network).
``raw-tex``
    TeX or reST math markup left as text anywhere, code included:
    ``:math:``, ``.. math::``, ``$\\...``, or a TeX command like ``\\frac``.
``heading-order``
    A heading more than one level below the one before it (h2 then h4).
"""
import json
import pathlib
import re

RULES = ("wide-code", "cut-equation", "math-size", "alt-text", "axe", "raw-tex",
         "heading-order")

# Phone width of the cut-equation and math-size rules, desktop width of the others.
PHONE, DESKTOP = 400, 1280

# axe-core runs its default rules plus one it marks experimental that a reader
# of a theme's buttons meets (a visible label that is not the accessible name).
AXE_OPTIONS = {"rules": {"label-content-name-mismatch": {"enabled": True}},
               "resultTypes": ["violations"]}
AXE_IMPACTS = ("serious", "critical")

# TeX or reST markup that a reader must never see as text (code included).
RAW_MARKUP = re.compile(r":math:`|\.\. math::")          # reST, in code or text
RAW_TEX = re.compile(                                          # TeX, in text
    r"\$\\[A-Za-z]|\\(?:frac|mathbf|mathrm|partial|odot|Gamma|sigma|langle|rangle|"
    r"tanh|hat|tilde|sum|operatorname|begin|end)\b")
IMAGE_FILE = re.compile(r"\.(png|svg|jpe?g|gif|webp|pdf)$", re.IGNORECASE)

# Opens every collapsed cell and solution, then measures at the window's width.
DESKTOP_SCRIPT = r"""
const main = document.querySelector("main, [role=main]") || document.body;
document.querySelectorAll("details").forEach((d) => { d.open = true; });
document.querySelectorAll(".toggle-hidden").forEach((e) => e.classList.remove("toggle-hidden"));
const out = {wide: [], images: [], headings: []};
const visible = (e) => e.getClientRects().length > 0;
const blocks = Array.from(main.querySelectorAll("pre, div.cell_output div.output"));
for (const b of blocks) {
  if (!visible(b) || b.closest("mjx-container")) continue;
  if (b.tagName !== "PRE" && b.querySelector("pre")) continue;   // its pre is measured
  const over = b.scrollWidth - b.clientWidth;
  if (over > 1) {
    const line = (b.textContent || "").split("\n")
      .reduce((a, l) => (l.length > a.length ? l : a), "").trim();
    out.wide.push({over: over, line: line.slice(0, 70)});
  }
}
for (const img of main.querySelectorAll("img")) {
  out.images.push({src: img.getAttribute("src") || "", alt: img.getAttribute("alt")});
}
out.code = Array.from(main.querySelectorAll("pre, code"))
  .filter((c) => c.tagName === "PRE" || !c.closest("pre")).map((c) => c.textContent);
const clone = main.cloneNode(true);
clone.querySelectorAll("pre, code, script, style, textarea, mjx-container, .math")
  .forEach((e) => e.remove());
out.text = clone.textContent;
for (const h of main.querySelectorAll("h1, h2, h3, h4, h5, h6")) {
  if (!visible(h) && !h.closest("details")) continue;
  out.headings.push([Number(h.tagName[1]), h.textContent.replace("#", "").trim().slice(0, 60)]);
}
return out;
"""

# At phone width: what is wider than its box, and whether some box scrolls it.
PHONE_SCRIPT = r"""
const main = document.querySelector("main, [role=main]") || document.body;
const scrolls = (e, stop) => {
  for (let a = e; a && a !== stop.parentElement; a = a.parentElement) {
    const o = getComputedStyle(a).overflowX;
    if ((o === "auto" || o === "scroll") && a.scrollWidth > a.clientWidth + 1) return true;
  }
  return false;
};
const out = {cut: [], scrolling: {equation: 0, table: 0}, small: []};
const body = main.querySelector("p");
const bodySize = body ? parseFloat(getComputedStyle(body).fontSize) : 16;
const measured = Array.from(main.querySelectorAll("mjx-container[display='true'], table"));
for (const e of measured) {
  if (!e.getClientRects().length) continue;
  const isMath = e.tagName !== "TABLE";
  const content = isMath ? (e.querySelector("mjx-math") || e) : e;
  const box = isMath ? (e.closest("div.math") || e.parentElement) : e.parentElement;
  const right = content.getBoundingClientRect().right;
  const limit = Math.min(box.getBoundingClientRect().right, document.documentElement.clientWidth);
  const wide = content.scrollWidth > box.clientWidth + 1 || right > limit + 1;
  const label = isMath ? (box.id || e.getAttribute("aria-label") || "")
                       : "table: " + (e.textContent || "").trim().slice(0, 50);
  if (wide && scrolls(content, main)) out.scrolling[isMath ? "equation" : "table"] += 1;
  else if (wide) out.cut.push({what: isMath ? "equation" : "table", label: label.slice(0, 60),
                               over: Math.round(right - limit)});
  if (isMath) {
    const size = parseFloat(getComputedStyle(e).fontSize);
    if (size < bodySize - 0.5) out.small.push([label.slice(0, 40), size, bodySize]);
  }
}
for (const c of main.querySelectorAll("code")) {     // inline code in a box that clips
  if (c.closest("pre") || !c.getClientRects().length) continue;
  for (let a = c.parentElement; a && a !== main.parentElement; a = a.parentElement) {
    const o = getComputedStyle(a).overflowX;
    if (o === "visible") continue;
    const over = c.getBoundingClientRect().right - a.getBoundingClientRect().right;
    if (over > 1 && o !== "auto" && o !== "scroll") {
      out.cut.push({what: "inline code", label: c.textContent.slice(0, 60),
                    over: Math.round(over)});
    }
    break;
  }
}
return out;
"""


# How many equations and tables scroll sideways in their own box at phone width
# (allowed), by page URL: {"equation": n, "table": n}, the command line's summary.
SCROLLING = {}


def axe_script_path():
    """axe.min.js as the selenium-axe-python package ships it (None if not installed)."""
    try:
        import selenium_axe_python
    except ImportError:
        return None
    path = pathlib.Path(selenium_axe_python.__file__).parent / "axe-core" / "axe.min.js"
    return path if path.is_file() else None


def meaningless_alt(src, alt):
    """Why ``alt`` says nothing about the image at ``src``, or None if it may."""
    if alt is None or not alt.strip():
        return "no alt text"
    text = alt.strip()
    stem = pathlib.PurePosixPath(src.split("?")[0]).stem
    if "/" in text or "\\" in text or IMAGE_FILE.search(text) or text == stem:
        return f"alt text is a file path or name ({text!r})"
    return None


def _run_axe(browser):
    path = axe_script_path()
    if path is None:
        return ["[axe] axe-core is not installed (pip install -r requirements-test.txt)"]
    if not browser.execute_script("return Boolean(window.axe);"):
        browser.execute_script(path.read_text(encoding="utf-8"))
    result = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        f"axe.run(document, {json.dumps(AXE_OPTIONS)})"
        ".then((r) => done(r.violations), (e) => done({error: String(e)}));")
    if isinstance(result, dict):
        return [f"[axe] axe-core could not run: {result.get('error')}"]
    problems = []
    for v in result:
        if v.get("impact") not in AXE_IMPACTS:
            continue
        where = "; ".join(" ".join(n.get("target", [])) for n in v["nodes"][:3])
        more = f" (+{len(v['nodes']) - 3} more)" if len(v["nodes"]) > 3 else ""
        problems.append(f"[axe] {v['impact']} {v['id']}: {v['help']} "
                        f"({len(v['nodes'])}x: {where}{more})")
    return problems


def check_rules(browser, rules):
    """Problems for the named ``rules`` on the page the browser shows.

    Leaves the page with every collapsed cell opened and the window at
    ``DESKTOP`` width.
    """
    rules = set(rules)
    problems = []
    if "axe" in rules:          # the page as it opens, before cells are expanded
        problems += _run_axe(browser)
    if rules & {"wide-code", "alt-text", "raw-tex", "heading-order"}:
        seen = browser.execute_script(DESKTOP_SCRIPT)
        if "wide-code" in rules:
            for block in seen["wide"]:
                problems.append(f"[wide-code] a code/output block is {block['over']} px wider "
                                f"than its box at {DESKTOP} px: {block['line']!r}")
        if "alt-text" in rules:
            for img in seen["images"]:
                why = meaningless_alt(img["src"], img["alt"])
                if why:
                    problems.append(f"[alt-text] image {img['src']!r}: {why}")
        if "raw-tex" in rules:
            # TeX inside code is code (a matplotlib label); reST markup is not.
            for text, pattern in [(c, RAW_MARKUP) for c in seen["code"]] + [
                    (seen["text"], RAW_MARKUP), (seen["text"], RAW_TEX)]:
                m = pattern.search(text)
                if m:
                    context = " ".join(text[max(0, m.start() - 30):m.end() + 40].split())
                    problems.append(f"[raw-tex] markup {m.group(0)!r} shown as text: "
                                    f"...{context}...")
        if "heading-order" in rules:
            last = None
            for level, title in seen["headings"]:
                if last is not None and level > last + 1:
                    problems.append(f"[heading-order] h{level} {title!r} follows an h{last}")
                last = level
    if rules & {"cut-equation", "math-size"}:
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": PHONE, "height": 1600, "deviceScaleFactor": 1, "mobile": True})
        try:
            browser.execute_async_script(
                "const done = arguments[arguments.length - 1];"
                "requestAnimationFrame(() => requestAnimationFrame(() => done()));")
            seen = browser.execute_script(PHONE_SCRIPT)
        finally:
            browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        if "cut-equation" in rules:
            for cut in seen["cut"]:
                problems.append(f"[cut-equation] at {PHONE} px, {cut['what']} runs "
                                f"{cut['over']} px past its box and nothing scrolls it: "
                                f"{cut['label']!r}")
        if "math-size" in rules and seen["small"]:
            label, size, body = seen["small"][0]
            problems.append(f"[math-size] {len(seen['small'])} display equations as small as "
                            f"{size:.1f} px, smaller than the {body:.1f} px text ({label!r})")
        SCROLLING[browser.current_url] = seen["scrolling"]
    return problems
