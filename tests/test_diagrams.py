"""The LSTM block diagram: it draws, it highlights the right paths, it refuses bad names."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from lstm_src import diagrams  # noqa: E402

RED = (0.7529411764705882, 0.2235294117647059, 0.16862745098039217, 1.0)


def red_lines(ax):
    return [line for line in ax.lines if matplotlib.colors.to_rgba(line.get_color()) == RED]


@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_draws_every_edge(direction):
    ax = diagrams.draw_lstm_cell(direction=direction)
    assert len(ax.lines) == len(diagrams._EDGES)
    assert not red_lines(ax)
    plt.close(ax.figure)


def test_highlight_follows_paths_through_operations():
    # c<t-1> reaches c<t> through the forget product and the sum: 3 edges
    assert diagrams._highlighted_ops({"c_prev", "c"}) == {"mul_f", "add_c"}
    ax = diagrams.draw_lstm_cell(highlight=("c_prev", "c"))
    assert len(red_lines(ax)) == 3
    plt.close(ax.figure)
    # x feeds every gate through the stacking point
    assert diagrams._highlighted_ops({"x", "gamma_o"}) == {"stack"}
    assert diagrams._highlighted_ops({"gamma_f"}) == set()


def test_bad_arguments():
    with pytest.raises(ValueError, match="highlight takes names from x, a_prev, .*; got gamma_i"):
        diagrams.draw_lstm_cell(highlight=("gamma_i",))
    with pytest.raises(ValueError, match="direction must be 'forward' or 'backward'; got 'up'"):
        diagrams.draw_lstm_cell(direction="up")


def test_gru_figure_draws_and_highlights():
    ax = diagrams.draw_gru_cell()
    assert len(ax.lines) == len(diagrams._GRU_EDGES) and not red_lines(ax)
    plt.close(ax.figure)
    # a<t-1> reaches the candidate through the stack and through W_na, r
    assert diagrams._highlighted_ops(
        {"a_prev", "n_tilde"}, diagrams._GRU_LAYOUT, diagrams._GRU_EDGES,
        diagrams.GRU_NODES) == {"stack", "h_n", "mul_r"}
    with pytest.raises(ValueError, match="highlight takes names from x, "
                       "a_prev, gamma_r, .*; got c"):
        diagrams.draw_gru_cell(highlight=("c",))
