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
"""
from docutils import nodes

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


def setup(app):
    app.connect("doctree-read", drop_unused_widget_state)
    # After every other handler has added its scripts (myst-nb adds the page's own
    # at the default priority 500).
    app.connect("html-page-context", drop_duplicate_inline_scripts, priority=900)
    # After sphinx-book-theme's launch buttons (priority 501).
    app.connect("html-page-context", binder_only_on_exercise_pages, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
