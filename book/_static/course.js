/* The course's own script (_config.yml: html_js_files).

   1. An equation or table wider than its box (on a phone) scrolls inside it:
      mark the box (course.css fades it out on the side where more of it is,
      until it is scrolled to its end) and let the keyboard reach it
      (tabindex 0), as the theme does for code.
   2. A figure's image sits in a box of its own (.course-figure), so that on
      a phone, where course.css keeps figures legible by keeping them wide,
      the image scrolls in it as 1. says and the caption stays put.
   3. Search results: an excerpt shows an equation as plain text (W_fa, Γ_f),
      not as its TeX source (\(\mathbf{W}_{fa}\)). Sphinx's searchtools cuts
      the excerpt from the page's HTML, where MathJax has not run. */
(() => {
  const atEnd = (box) => box.classList.toggle(
    "course-at-end", box.scrollLeft + box.clientWidth >= box.scrollWidth - 1);
  document.addEventListener("scroll", (event) => {
    const box = event.target;
    if (box.classList && box.classList.contains("course-scrolls")) atEnd(box);
  }, true);
  const wrapFigures = () => {
    document.querySelectorAll("figure > img").forEach((img) => {
      const box = document.createElement("div");
      box.className = "course-figure";
      img.replaceWith(box);
      box.appendChild(img);
    });
  };
  const markScrolling = () => {
    const boxes = "div.math > mjx-container, .pst-scrollable-table-container, .course-figure";
    document.querySelectorAll(boxes).forEach((box) => {
      const scrolls = box.scrollWidth > box.clientWidth + 1;
      box.classList.toggle("course-scrolls", scrolls);
      if (scrolls) box.tabIndex = 0;
      atEnd(box);
    });
  };
  const afterMath = () => {
    wrapFigures();
    const startup = window.MathJax && MathJax.startup && MathJax.startup.promise;
    (startup ? startup.then(markScrolling, markScrolling) : Promise.resolve().then(markScrolling));
  };
  if (document.readyState === "complete") afterMath();
  else window.addEventListener("load", afterMath);
  window.addEventListener("resize", markScrolling);

  const SYMBOLS = {
    Gamma: "Γ", sigma: "σ", delta: "δ", partial: "∂", langle: "⟨", rangle: "⟩",
    odot: "⊙", circ: "∘", top: "ᵀ", cdot: "·", alpha: "α", beta: "β", eta: "η",
    lambda: "λ", sum: "∑", times: "×", to: "→", leq: "≤", geq: "≥", ldots: "…",
    dots: "…", cdots: "…", in: "∈", approx: "≈", ne: "≠", prime: "′", infty: "∞",
    mathbb: "", tanh: "tanh", log: "log", exp: "exp", diag: "diag",
  };
  const plainMath = (tex) => tex.trim()
    .replace(/\\(?:begin|end)\{[^}]*\}/g, "").replace(/\\\\/g, " ")
    .replace(/\\[()[\]]/g, "").replace(/\$+/g, "").replace(/&/g, "")
    .replace(/\\(?:mathbf|mathrm|boldsymbol|bm|operatorname|text|hat|tilde|bar|left|right|big|Big)\b\s*/g, "")
    .replace(/\\([A-Za-z]+)/g, (all, name) => (name in SYMBOLS ? SYMBOLS[name] : ""))
    .replace(/\\[,;:! ]/g, " ").replace(/[{}]/g, "").replace(/\s+/g, " ").trim();
  const patchSearch = () => {
    if (typeof Search === "undefined" || !Search.htmlToText || Search.coursePlainMath) return;
    const htmlToText = Search.htmlToText;
    Search.htmlToText = (html, anchor) => {
      const page = new DOMParser().parseFromString(html, "text/html");
      page.querySelectorAll(".math").forEach((m) => { m.textContent = plainMath(m.textContent); });
      return htmlToText(page.documentElement.outerHTML, anchor);
    };
    Search.coursePlainMath = true;
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", patchSearch);
  else patchSearch();
})();
