"""Write the Colab setup cell into every chapter notebook of the book.

On Colab a chapter notebook arrives alone: no ``lstm_src``, no checkout. So each
chapter notebook (every notebook under ``book/`` that ``_toc.yml`` lists) gets,
as its first code cell, a cell that

* on Colab (``"google.colab" in sys.modules``) pip-installs whatever the notebook
  imports and the kernel lacks: ``lstm_src`` from the repository (the
  ``repository: url`` and ``branch`` of ``_config.yml``, the one place the
  address lives) and the book's requirements (``requirements.txt``'s version
  ranges) for the other packages it imports;
* anywhere else does nothing;
* is tagged ``remove-cell``, so the HTML book never shows it.

The address is written into the cell (on Colab there is only the notebook), so
a fork that changes ``_config.yml`` reruns this tool. It is idempotent: it
replaces the cell it wrote before, and leaves a notebook whose cell is current
byte for byte unchanged. ``tests/test_colab.py`` fails when a cell is missing or
does not match ``_config.yml``.

    python tools/colab_cell.py            # write or update the cell everywhere
    python tools/colab_cell.py --check    # list notebooks whose cell is missing or stale

Graded exercises (``exercises/``) are left alone: otter generates those notebooks.
"""
import argparse
import json
import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
CELL_ID = "colab-setup"
TAG = "remove-cell"
MARKER = "# Colab setup, written by tools/colab_cell.py from _config.yml: rerun it, don't edit."

# The cell as it appears in every chapter (its one long line is the notebooks' text: noqa).
TEMPLATE = '''{marker}
# On Colab, install what this notebook needs; anywhere else, do nothing.
import sys

if "google.colab" in sys.modules:
    import importlib.util
    import subprocess

    _needs = {{
{needs}
    }}
    _missing = [req for module, req in _needs.items() if importlib.util.find_spec(module) is None]
    if _missing:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *_missing], check=True)'''  # noqa: E501


def repository(root=ROOT):
    """``(url, branch)`` of the repository, from ``_config.yml``."""
    config = yaml.safe_load((root / "_config.yml").read_text())
    repo = config.get("repository") or {}
    url = (repo.get("url") or "").rstrip("/")
    if not url.startswith("https://"):
        raise SystemExit(f"_config.yml: repository: url must be an https address, got {url!r}")
    return url, repo.get("branch") or "main"


def requirements(root=ROOT):
    """``{module name: requirement}`` for the book's requirements.txt lines."""
    reqs = {}
    for line in (root / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        match = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)", line)
        if match and not line.startswith("-"):
            reqs[match.group(1).lower().replace("-", "_")] = line
    return reqs


def chapter_notebooks(root=ROOT):
    """The notebooks under book/ that _toc.yml lists, in toc order."""
    entries = re.findall(r"^\s*-?\s*(?:file|root):\s*(\S+)", (root / "_toc.yml").read_text(),
                         flags=re.MULTILINE)
    paths = [root / (e if e.endswith(".ipynb") else e + ".ipynb") for e in entries]
    return [p for p in paths if p.is_file() and p.relative_to(root).parts[0] == "book"]


def imported_modules(nb):
    """Top-level modules the notebook's own code cells import."""
    found = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and not is_colab_cell(cell):
            for name in re.findall(r"^\s*(?:import|from)\s+([A-Za-z_]\w*)",
                                   "".join(cell["source"]), flags=re.MULTILINE):
                if name not in found:
                    found.append(name)
    return found


def cell_source(nb, root=ROOT):
    """The text of the Colab cell for this notebook."""
    url, branch = repository(root)
    reqs = requirements(root)
    needs = {"lstm_src": f"lstm_src @ git+{url}@{branch}"}
    for module in imported_modules(nb):
        if module in reqs and module != "lstm_src":
            needs[module] = reqs[module]
    lines = "\n".join(f"        {json.dumps(module)}: {json.dumps(req)},"
                      for module, req in needs.items())
    return TEMPLATE.format(marker=MARKER, needs=lines)


def is_colab_cell(cell):
    return cell.get("id") == CELL_ID or "".join(cell.get("source", "")).startswith(MARKER)


def make_cell(source):
    lines = source.split("\n")
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": CELL_ID,
        "metadata": {"tags": [TAG]},
        "outputs": [],
        "source": [line + "\n" for line in lines[:-1]] + [lines[-1]],
    }


def with_colab_cell(nb, root=ROOT):
    """A copy of the notebook with exactly one, current Colab cell as its first code cell.

    The cell goes just before the notebook's first code cell (its imports), so on
    Colab the reader meets the chapter's opening text first.
    """
    cells = [c for c in nb["cells"] if not is_colab_cell(c)]
    at = next((i for i, c in enumerate(cells) if c["cell_type"] == "code"), len(cells))
    out = dict(nb)
    out["cells"] = cells[:at] + [make_cell(cell_source({"cells": cells}, root))] + cells[at:]
    return out


def dumps(nb):
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def stale(path, root=ROOT):
    """Why the notebook's Colab cell is wrong, or None if it is current."""
    nb = json.loads(path.read_text())
    ours = [i for i, c in enumerate(nb["cells"]) if is_colab_cell(c)]
    if not ours:
        return "has no Colab setup cell"
    if len(ours) > 1:
        return f"has {len(ours)} Colab setup cells"
    code = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]
    if code[0] != ours[0]:
        return "its Colab setup cell is not its first code cell"
    if dumps(with_colab_cell(nb, root)) != dumps(nb):
        return "its Colab setup cell does not match _config.yml and requirements.txt"
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a notebook's cell is missing or stale")
    parser.add_argument("--root", type=pathlib.Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    notebooks = chapter_notebooks(args.root)
    if args.check:
        bad = [(p, why) for p in notebooks if (why := stale(p, args.root))]
        for path, why in bad:
            print(f"{path.relative_to(args.root)}: {why}")
        if bad:
            print("run: python tools/colab_cell.py")
        return 1 if bad else 0
    for path in notebooks:
        text = path.read_text()
        new = dumps(with_colab_cell(json.loads(text), args.root))
        if new != text:
            path.write_text(new)
            print(f"updated {path.relative_to(args.root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
