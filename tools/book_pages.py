"""Sphinx extension: pages that work offline and log no JavaScript error.

Loaded from ``_config.yml`` (``sphinx: local_extensions: {book_pages: tools}``).
It fixes two things the stock Jupyter Book 1.x stack puts on the pages:

* **Inline scripts written twice.** Sphinx 7.4 writes an inline ``<script>``
  that an extension adds after the HTML builder has started into every page
  twice (once with ``filename=None``, once with ``filename=''``). For
  sphinx-thebe's ``const THEBE_JS_URL = ...`` the second copy is a
  ``SyntaxError`` ("Identifier 'THEBE_JS_URL' has already been declared") in
  the console of every page. We drop the second copy of any such script.
* **Widget state nobody sees.** When a notebook creates ipywidgets, the
  executed notebook carries the widgets' state, and myst-nb embeds all of it
  (tens of KB) plus require.js and the widget manager from a CDN into the
  page, even when every widget output is removed (cells tagged
  ``remove-output``, as ``CONTRIBUTING.md`` asks for widgets). We keep the
  state and those scripts only on a page that still shows a widget.

And one thing about the launch buttons: a graded exercise needs otter and its
``tests/`` folder, which Binder (the whole repository) has and Colab (one
notebook) has not, so an exercise page offers Binder only.

It keeps one search button, the side bar's: pydata-sphinx-theme puts a
second into a header bar at desktop width unless ``navbar_persistent`` is set,
and a ``html_theme_options`` in ``_config.yml`` would replace the options
Jupyter Book writes (launch buttons, repository), so it is set here.

It also gives the References page what the text's citations promise:

* **Author–year labels.** The text cites "Vardhan (2022)"
  (``bibtex_reference_style: author_year``), so the list labels each work
  [Vardhan 2022], [Parr & Howard 2018], [Greff et al. 2017], sorted by
  author and year (the bibliography style ``course``, set in ``_config.yml``
  as ``bibtex_default_style``), not alphabetic codes like [GSKoutnik+17].
* **Toggles named as they read.** myst-nb names a hidden cell's toggle
  "Toggle hidden content" while it shows "Show code cell source"; a name that
  is not the visible text is what axe-core's label-content-name-mismatch
  reports (serious), so the toggle keeps the name it shows.
* **A list that is a list.** docutils writes the citations as
  ``role="list"`` holding items of the deprecated ``doc-biblioentry`` role,
  which axe-core reports as a list without list items (critical); the items
  become ``listitem``.
"""
from collections import Counter

from docutils import nodes
from pybtex.plugin import register_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _shows_a_widget(doctree):
    """True if some output left in the page is a live widget view."""
    return any(WIDGET_VIEW in node.astext() for node in doctree.findall(nodes.raw))


def drop_unused_widget_state(app, doctree):
    """Forget the ipywidgets state and scripts of a page that shows no widget."""
    js_files = getattr(app.env, "nb_metadata", {}).get(app.env.docname, {}).get("js_files")
    if not js_files or _shows_a_widget(doctree):
        return
    for key in [k for k in js_files if k.startswith("ipywidgets_")]:
        del js_files[key]


def drop_duplicate_inline_scripts(app, pagename, templatename, context, doctree):
    """Keep the first of several identical inline scripts on a page."""
    seen, kept = set(), []
    for script in context.get("script_files", []):
        filename = getattr(script, "filename", script) or ""
        attributes = getattr(script, "attributes", {})
        key = (filename, tuple(sorted(attributes.items())))
        if filename == "" and key in seen:
            continue
        seen.add(key)
        kept.append(script)
    context["script_files"][:] = kept


def binder_only_on_exercise_pages(app, pagename, templatename, context,
                                  doctree):
    """Drop the Colab launch button from the pages of the graded exercises."""
    if not pagename.startswith("exercises/"):
        return
    for group in context.get("header_buttons", []):
        if group.get("label") == "launch-buttons":
            group["buttons"] = [b for b in group.get("buttons", [])
                                if b.get("text") != "Colab"]

class AuthorYearLabels(BaseLabelStyle):
    """[Vardhan 2022], [Parr & Howard 2018], [Greff et al. 2017]; 2015a, 2015b
    when two works would share a label."""

    def format_labels(self, sorted_entries):
        labels = [self.format_label(entry) for entry in sorted_entries]
        total, seen = Counter(labels), Counter()
        for label in labels:
            if total[label] > 1:
                seen[label] += 1
                label += "abcdefghijklmnopqrstuvwxyz"[seen[label] - 1]
            yield label

    @staticmethod
    def format_label(entry):
        persons = entry.persons.get("author") or entry.persons.get("editor") or []
        names = [Text.from_latex(" ".join(p.last_names) or " ".join(p.first_names))
                 .render_as("text").strip("{}") for p in persons]
        others = "others" in names
        names = [n for n in names if n != "others"]
        if len(names) == 2 and not others:
            who = f"{names[0]} & {names[1]}"
        elif len(names) > 2 or others:
            who = f"{names[0]} et al."
        else:
            who = names[0] if names else entry.key
        return f"{who} {entry.fields.get('year', 'n.d.')}"


class AuthorYearStyle(PlainStyle):
    """pybtex's plain style (sorted by author, year, title) with author-year labels."""

    default_label_style = AuthorYearLabels


register_plugin("pybtex.style.formatting", "course", AuthorYearStyle)


def accessible_names(app, pagename, templatename, context, doctree):
    """A citation list's items have the role a list's items need; a hidden
    cell's toggle is named by the text it shows."""
    body = context.get("body")
    if not body:
        return
    body = body.replace('<summary aria-label="Toggle hidden content">', "<summary>")
    if 'class="citation-list"' in body:
        body = body.replace('role="doc-biblioentry"', 'role="listitem"')
    context["body"] = body


def one_search_button(app, config):
    """No header bar with a second search button (the theme's navbar_persistent)."""
    config.html_theme_options.setdefault("navbar_persistent", [])


def setup(app):
    app.connect("config-inited", one_search_button, priority=900)
    app.connect("doctree-read", drop_unused_widget_state)
    # After every other handler has added its scripts (myst-nb adds the page's own
    # at the default priority 500).
    app.connect("html-page-context", drop_duplicate_inline_scripts, priority=900)
    # After sphinx-book-theme's launch buttons (priority 501).
    app.connect("html-page-context", binder_only_on_exercise_pages, priority=600)
    app.connect("html-page-context", accessible_names)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
