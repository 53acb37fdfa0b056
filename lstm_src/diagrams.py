r"""Block diagrams of one LSTM step: the data flow forward, the gradient flow backward.

Two figures the derivation the book follows (Vardhan, 2022) describes in words:
the forward data flow of an LSTM block and the backward gradient flow.
:func:`draw_lstm_cell` draws both, and can highlight the path a chapter
derives. Used by the chapters "Forward propagation" (Part II) and every
chapter of Part III.

matplotlib is imported inside the function, so the rest of ``lstm_src``
needs numpy alone.
"""

__all__ = ["BOOK_STYLE", "NODES", "GRU_NODES", "draw_lstm_cell",
           "draw_gru_cell", "use_book_style"]

#: Quantities a caller may highlight, in the book's names.
NODES = ("x", "a_prev", "c_prev", "gamma_f", "gamma_u", "c_tilde", "gamma_o", "c", "a", "y_hat")

# Where each node sits, what it shows, and how it is drawn.
#   value: a quantity entering or leaving the step (plain label)
#   gate:  an activation box (sigma or tanh) whose output is a named quantity
#   op:    an operation with no name of its own (a circle, or a box)
_LAYOUT = {
    "c_prev": ("value", (0.0, 6.0), r"$\mathbf{c}^{\langle t-1\rangle}$"),
    "a_prev": ("value", (0.0, 1.0), r"$\mathbf{a}^{\langle t-1\rangle}$"),
    "x": ("value", (1.5, -0.55), r"$\mathbf{x}^{\langle t\rangle}$"),
    "stack": ("op", (1.5, 1.0), ""),
    "gamma_f": ("gate", (3.0, 3.0), r"$\sigma$"),
    "gamma_u": ("gate", (4.6, 3.0), r"$\sigma$"),
    "c_tilde": ("gate", (6.2, 3.0), r"$\tanh$"),
    "gamma_o": ("gate", (7.8, 3.0), r"$\sigma$"),
    "mul_f": ("op", (3.0, 6.0), r"$\circ$"),
    "mul_u": ("op", (5.4, 4.6), r"$\circ$"),
    "add_c": ("op", (5.4, 6.0), r"$+$"),
    "tanh_c": ("box", (9.2, 5.0), r"$\tanh$"),
    "mul_o": ("op", (9.2, 3.6), r"$\circ$"),
    "softmax": ("box", (10.4, 7.0), "softmax"),
    "c": ("value", (11.6, 6.0), r"$\mathbf{c}^{\langle t\rangle}$"),
    "a": ("value", (11.6, 1.0), r"$\mathbf{a}^{\langle t\rangle}$"),
    "y_hat": ("value", (10.4, 8.0), r"$\hat{\mathbf{y}}^{\langle t\rangle}$"),
}

# The name written beside a gate's output.
_GATE_LABELS = {
    "gamma_f": r"$\Gamma_f$", "gamma_u": r"$\Gamma_u$",
    "c_tilde": r"$\tilde{\mathbf{c}}$", "gamma_o": r"$\Gamma_o$",
}

# Edges in the forward direction, each with the points its line passes through.
_EDGES = [
    ("a_prev", "stack", [(0.55, 1.0), (1.5, 1.0)]),
    ("x", "stack", [(1.5, -0.3), (1.5, 1.0)]),
    ("stack", "gamma_f", [(1.5, 1.0), (3.0, 1.0), (3.0, 2.65)]),
    ("stack", "gamma_u", [(1.5, 1.0), (4.6, 1.0), (4.6, 2.65)]),
    ("stack", "c_tilde", [(1.5, 1.0), (6.2, 1.0), (6.2, 2.65)]),
    ("stack", "gamma_o", [(1.5, 1.0), (7.8, 1.0), (7.8, 2.65)]),
    ("c_prev", "mul_f", [(0.55, 6.0), (2.75, 6.0)]),
    ("gamma_f", "mul_f", [(3.0, 3.35), (3.0, 5.75)]),
    ("gamma_u", "mul_u", [(4.6, 3.35), (4.6, 4.6), (5.15, 4.6)]),
    ("c_tilde", "mul_u", [(6.2, 3.35), (6.2, 4.6), (5.65, 4.6)]),
    ("mul_f", "add_c", [(3.25, 6.0), (5.15, 6.0)]),
    ("mul_u", "add_c", [(5.4, 4.85), (5.4, 5.75)]),
    ("add_c", "c", [(5.65, 6.0), (11.1, 6.0)]),
    ("c", "tanh_c", [(9.2, 6.0), (9.2, 5.3)]),
    ("tanh_c", "mul_o", [(9.2, 4.7), (9.2, 3.85)]),
    ("gamma_o", "mul_o", [(7.8, 3.35), (7.8, 3.6), (8.95, 3.6)]),
    ("mul_o", "a", [(9.45, 3.6), (10.4, 3.6), (10.4, 1.0), (11.1, 1.0)]),
    ("a", "softmax", [(10.4, 3.6), (10.4, 6.7)]),
    ("softmax", "y_hat", [(10.4, 7.3), (10.4, 7.7)]),
]

# Width of a box by its text (others 0.8).
_BOX_WIDTHS = {"softmax": 1.1,
               r"$\mathbf{W}_{na}^\top\!\cdot+\mathbf{b}_{na}$": 1.7}  # GRU

# Where one quantity feeds several places: in the backward pass the gradients
# arriving there are added (eqs. hc-da, hc-dc and prev-da of Part III).
_FAN_OUT = [(1.5, 1.0), (9.2, 6.0), (10.4, 3.6)]


def _highlighted_ops(named, layout=None, edges=None, nodes=NODES):
    """Unnamed operations that lie on a path between two highlighted quantities."""
    layout = _LAYOUT if layout is None else layout
    edges = _EDGES if edges is None else edges
    ops = [n for n in layout if n not in nodes]
    succ = {n: [d for s, d, _ in edges if s == n] for n in layout}
    pred = {n: [s for s, d, _ in edges if d == n] for n in layout}

    def spread(start, step):
        seen, todo = set(), [d for n in start for d in step[n] if d in ops]
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo.extend(d for d in step[n] if d in ops)
        return seen

    return spread(named, succ) & spread(named, pred)


#: matplotlib settings for the book's figures: fonts large enough to read when a
#: figure is shrunk to a phone's width, text drawn as paths (no font to fetch).
BOOK_STYLE = {
    "font.size": 13, "axes.titlesize": 13, "axes.labelsize": 13, "figure.titlesize": 14,
    "xtick.labelsize": 11.5, "ytick.labelsize": 11.5, "legend.fontsize": 11,
    "svg.fonttype": "path",
}


def _draw_graph(ax, layout, edges, hot, direction, labels, halos=()):
    """Draw a block diagram's edges and nodes (the LSTM's, the GRU's).

    ``labels`` maps a gate to (dx, dy, alignment, text) of the name written
    beside it; an edge in ``halos`` crosses another line and gets a white
    halo to show the gap.
    """
    from matplotlib import patheffects
    from matplotlib.patches import Circle, FancyBboxPatch

    red, grey = "#c0392b", "#555555"
    for src, dst, points in edges:
        on = src in hot and dst in hot
        pts = points if direction == "forward" else points[::-1]
        color, width = (red, 2.8) if on else (grey, 1.4)
        xs, ys = zip(*pts)
        # e.g. the LSTM's a -> softmax crosses the c line without meeting it
        halo = None
        if (src, dst) in halos:
            halo = [patheffects.withStroke(linewidth=width + 5,
                                           foreground="white")]
        ax.plot(xs[:-1], ys[:-1], color=color, lw=width,
                solid_capstyle="butt", zorder=1.5 + on, path_effects=halo)
        ax.annotate("", xy=pts[-1], xytext=pts[-2], zorder=1 + on,
                    arrowprops=dict(arrowstyle="-|>", color=color, lw=width,
                                    shrinkA=0, shrinkB=0, mutation_scale=14))

    for name, (kind, (x, y), text) in layout.items():
        on = name in hot
        edge = red if on else "black"
        face = "#fadbd8" if on else "white"
        if kind == "value":
            ax.text(x, y, text, ha="center", va="center", fontsize=15,
                    zorder=4, color=red if on else "black",
                    bbox=dict(boxstyle="round,pad=0.25", fc=face,
                              ec=edge if on else "none"))
        elif kind in ("gate", "box"):
            w = 0.9 if kind == "gate" else _BOX_WIDTHS.get(text, 0.8)
            ax.add_patch(FancyBboxPatch(
                (x - w / 2, y - 0.3), w, 0.6, boxstyle="round,pad=0.05",
                fc="#fef9e7" if not on else face, ec=edge, lw=1.5, zorder=3))
            ax.text(x, y, text, ha="center", va="center",
                    fontsize=13 if kind == "gate" else 11, zorder=4)
            if name in labels:
                dx, dy, ha, label = labels[name]
                ax.text(x + dx, y + dy, label, ha=ha, va="center", fontsize=13,
                        color=red if on else "black", zorder=4)
        elif name == "stack":
            ax.add_patch(Circle((x, y), 0.07, color=red if on else grey,
                                zorder=3))
        else:
            ax.add_patch(Circle((x, y), 0.25, fc=face, ec=edge, lw=1.5,
                                zorder=3))
            ax.text(x, y - (0.03 if "circ" in text else 0), text,
                    ha="center", va="center", fontsize=15, zorder=4)


def use_book_style():
    """Make the book's figures readable on any screen: larger fonts, SVG output.

    Updates ``matplotlib.rcParams`` with :data:`BOOK_STYLE` and, in an IPython
    kernel, switches the inline backend to SVG, so that a figure scales to the
    page's width without blurring. Outside IPython only the fonts change.

    Returns
    -------
    None
    """
    import matplotlib

    matplotlib.rcParams.update(BOOK_STYLE)
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:
        return
    if get_ipython() is not None:
        set_matplotlib_formats("svg")


def draw_lstm_cell(ax=None, direction="forward", highlight=(), title=None):
    r"""Draw one LSTM step (eq.1–eq.12) as a block diagram.

    Parameters
    ----------
    ax : matplotlib Axes, optional
        Where to draw; a new 10 x 6.5 inch figure when not given.
    direction : {"forward", "backward"}
        ``"forward"``: arrows follow the data (eq.1-eq.12).
        ``"backward"``: arrows follow the gradients, from the outputs back to
        the inputs, and a small "+" marks each place where gradients from
        several uses of one quantity are added (Part III).
    highlight : iterable of str
        Names from :data:`NODES`. Those quantities, and every arrow on a path
        between two of them, are drawn in red.
    title : str, optional
        Defaults to a description of the direction.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        For an unknown direction or name.
    """
    if direction not in ("forward", "backward"):
        raise ValueError(f"direction must be 'forward' or 'backward'; got {direction!r}")
    highlight = set(highlight)
    unknown = sorted(highlight - set(NODES))
    if unknown:
        raise ValueError(f"highlight takes names from {', '.join(NODES)}; got {', '.join(unknown)}")

    import matplotlib.pyplot as plt
    from matplotlib.patches import Circle

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 5.85))
    hot = highlight | _highlighted_ops(highlight)
    grey = "#555555"

    _draw_graph(ax, _LAYOUT, _EDGES, hot, direction,
                {k: (0.12, 0.62, "left", v) for k, v in _GATE_LABELS.items()},
                halos={("a", "softmax")})

    if direction == "backward":
        for x, y in _FAN_OUT:
            ax.add_patch(Circle((x, y), 0.16, fc="white", ec="#1f618d", lw=1.5, zorder=5))
            ax.text(x, y, "+", ha="center", va="center", fontsize=11, color="#1f618d", zorder=6)

    note = "to step t+1" if direction == "forward" else "from step t+1"
    ax.text(11.6, 6.45, note, ha="center", fontsize=9, color=grey)
    ax.text(11.6, 0.55, note, ha="center", fontsize=9, color=grey)
    if title is None:
        title = ("One LSTM step: data flow (forward pass)" if direction == "forward"
                 else "One LSTM step: gradient flow (backward pass)")
    ax.set_title(title, fontsize=13)
    ax.set_xlim(-0.8, 12.4)
    ax.set_ylim(-1.0, 8.5)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


# ------------------------------------------------------------------- GRU

#: Quantities of the GRU's figure a caller may highlight.
GRU_NODES = ("x", "a_prev", "gamma_r", "gamma_z", "n_tilde", "a", "y_hat")

# The candidate's recurrent term W_na^T a + b_na, as its box shows it.
_H_N = r"$\mathbf{W}_{na}^\top\!\cdot+\mathbf{b}_{na}$"

_GRU_LAYOUT = {
    "a_prev": ("value", (0.0, 6.0), r"$\mathbf{a}^{\langle t-1\rangle}$"),
    "x": ("value", (1.5, -0.55), r"$\mathbf{x}^{\langle t\rangle}$"),
    "stack": ("op", (1.5, 1.0), ""),
    "gamma_r": ("gate", (3.0, 3.0), r"$\sigma$"),
    "h_n": ("box", (4.8, 4.8), _H_N),
    "mul_r": ("op", (4.8, 3.6), r"$\circ$"),
    "n_tilde": ("gate", (6.4, 3.0), r"$\tanh$"),
    "gamma_z": ("gate", (8.0, 4.2), r"$\sigma$"),
    "one_minus": ("box", (9.6, 4.2), r"$1-$"),
    "mul_z": ("op", (8.0, 6.0), r"$\circ$"),
    "mul_n": ("op", (9.6, 3.0), r"$\circ$"),
    "add_a": ("op", (10.4, 6.0), r"$+$"),
    "softmax": ("box", (11.1, 7.2), "softmax"),
    "a": ("value", (12.0, 6.0), r"$\mathbf{a}^{\langle t\rangle}$"),
    "y_hat": ("value", (11.1, 8.2), r"$\hat{\mathbf{y}}^{\langle t\rangle}$"),
}

_GRU_LABELS = {
    "gamma_r": (-0.55, 0.5, "right", r"$\Gamma_r$"),
    "gamma_z": (-0.55, 0.5, "right", r"$\Gamma_z$"),
    "n_tilde": (0.55, -0.45, "left", r"$\tilde{\mathbf{n}}$"),
}

_GRU_EDGES = [
    ("a_prev", "stack", [(0.55, 6.0), (0.8, 6.0), (0.8, 1.0), (1.5, 1.0)]),
    ("x", "stack", [(1.5, -0.3), (1.5, 1.0)]),
    ("stack", "gamma_r", [(1.5, 1.0), (3.0, 1.0), (3.0, 2.65)]),
    ("stack", "n_tilde", [(1.5, 1.0), (6.4, 1.0), (6.4, 2.65)]),
    ("stack", "gamma_z", [(1.5, 1.0), (8.0, 1.0), (8.0, 3.85)]),
    ("a_prev", "h_n", [(0.55, 6.0), (4.8, 6.0), (4.8, 5.1)]),
    ("h_n", "mul_r", [(4.8, 4.5), (4.8, 3.85)]),
    ("gamma_r", "mul_r", [(3.0, 3.35), (3.0, 3.6), (4.55, 3.6)]),
    ("mul_r", "n_tilde", [(5.05, 3.6), (6.4, 3.6), (6.4, 3.35)]),
    ("n_tilde", "mul_n", [(6.85, 3.0), (9.35, 3.0)]),
    ("a_prev", "mul_z", [(0.55, 6.0), (7.75, 6.0)]),
    ("gamma_z", "mul_z", [(8.0, 4.55), (8.0, 5.75)]),
    ("gamma_z", "one_minus", [(8.45, 4.2), (9.2, 4.2)]),
    ("one_minus", "mul_n", [(9.6, 3.9), (9.6, 3.25)]),
    ("mul_n", "add_a", [(9.85, 3.0), (10.4, 3.0), (10.4, 5.75)]),
    ("mul_z", "add_a", [(8.25, 6.0), (10.15, 6.0)]),
    ("add_a", "a", [(10.65, 6.0), (11.55, 6.0)]),
    ("a", "softmax", [(11.1, 6.0), (11.1, 6.9)]),
    ("softmax", "y_hat", [(11.1, 7.5), (11.1, 7.9)]),
]


def draw_gru_cell(ax=None, highlight=(), title=None):
    r"""Draw one GRU step (PyTorch's form, :mod:`lstm_src.gru`) as a block
    diagram, data flowing forward.

    The candidate reads x from the stacked input; a<t-1> reaches it only
    through :math:`W_{na}^\top a + b_{na}`, scaled by the reset gate.

    Parameters
    ----------
    ax : matplotlib Axes, optional
    highlight : iterable of str
        Names from :data:`GRU_NODES`, drawn in red with the paths between
        them.
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    highlight = set(highlight)
    unknown = sorted(highlight - set(GRU_NODES))
    if unknown:
        raise ValueError(f"highlight takes names from {', '.join(GRU_NODES)}; "
                         f"got {', '.join(unknown)}")
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 5.85))
    hot = highlight | _highlighted_ops(highlight, _GRU_LAYOUT, _GRU_EDGES,
                                       GRU_NODES)
    _draw_graph(ax, _GRU_LAYOUT, _GRU_EDGES, hot, "forward",
                _GRU_LABELS,
                halos={("n_tilde", "mul_n")})
    ax.text(12.0, 5.55, "to step t+1", ha="center", fontsize=9,
            color="#555555")
    ax.set_title(title or "One GRU step: data flow (forward pass)",
                 fontsize=13)
    ax.set_xlim(-0.8, 12.8)
    ax.set_ylim(-1.0, 8.7)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax
