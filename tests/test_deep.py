"""Deep, bidirectional and padded LSTMs (lstm_src.deep): finite
differences, padding semantics, bad input."""
import numpy as np
import pytest

from lstm_src import deep, lstm
from lstm_src.gradcheck import numerical_gradient, rel_error


def _problem(seed, num_layers=2, bidirectional=True, m=3, T_x=4):
    rng = np.random.default_rng(seed)
    layers = deep.init_stack(2, 3, num_layers, bidirectional, seed=seed)
    x = rng.normal(size=(2, m, T_x))
    D = 2 if bidirectional else 1
    w = rng.normal(size=(D * 3, m, T_x))
    v = rng.normal(size=(num_layers * D, 3, m))
    return layers, x, w, v


@pytest.mark.parametrize("bidirectional", [True, False])
def test_stack_backward_matches_finite_differences(bidirectional):
    layers, x, w, v = _problem(41, bidirectional=bidirectional)
    lengths = [4, 1, 2]

    def J(x_, layers_):
        out, a_n, c_n, _ = deep.stack_forward(x_, layers_, lengths=lengths)
        return np.sum(w * out) + np.sum(v * a_n) + np.sum(v * c_n)

    caches = deep.stack_forward(x, layers, lengths=lengths)[-1]
    g = deep.stack_backward(w, caches, da_n=v, dc_n=v)
    assert rel_error(g["dx"], numerical_gradient(lambda z: J(z, layers), x)) \
        < 1e-9
    for k, d, name in [(0, 0, "W_fx"), (1, -1, "W_ca"), (0, -1, "b_u")]:
        arr = layers[k][d][name]
        num = numerical_gradient(lambda z: J(x, _replace(layers, k, d, name, z)),
                                 arr)
        assert rel_error(g["layers"][k][d]["d" + name], num) < 1e-9


def _replace(layers, k, d, name, value):
    new = [[dict(p) for p in row] for row in layers]
    new[k][d][name] = value
    return new


def test_padding_keeps_the_state_and_passes_no_gradient():
    layers, x, w, _ = _problem(42, num_layers=1, bidirectional=False)
    out, a_n, c_n, caches = deep.stack_forward(x, layers, lengths=[4, 2, 1])
    # the state after the last real step is the one returned
    short = deep.stack_forward(x[:, 1:2, :2], layers)[:3]
    assert np.allclose(a_n[:, :, 1], short[1][:, :, 0], rtol=0, atol=1e-15)
    assert not out[:, 1, 2:].any() and not out[:, 2, 1:].any()
    # changing a padded input changes nothing
    x2 = x.copy()
    x2[:, 2, 1:] = 100.0
    out2, a_n2, _, _ = deep.stack_forward(x2, layers, lengths=[4, 2, 1])
    assert np.array_equal(out, out2) and np.array_equal(a_n, a_n2)
    g = deep.stack_backward(w, caches)
    assert not g["dx"][:, 2, 1:].any()


def test_one_layer_one_direction_is_the_layer():
    layers, x, w, _ = _problem(43, num_layers=1, bidirectional=False)
    out, a_n, c_n, caches = deep.stack_forward(x, layers)
    a, c, _ = lstm.lstm_layer_forward(x, np.zeros((3, 3)), layers[0][0])
    assert np.array_equal(out, a) and np.array_equal(a_n[0], a[:, :, -1])


def test_reverse_padded_reverses_real_steps_only():
    x = np.arange(8.0).reshape(1, 2, 4)
    mask = deep.lengths_to_mask([4, 2], 2, 4)
    r = deep.reverse_padded(x, mask)
    assert r[0].tolist() == [[3, 2, 1, 0], [5, 4, 0, 0]]
    assert np.array_equal(deep.reverse_padded(r, mask), x * mask)


def _raises(match, **kw):
    layers, x, _, _ = _problem(44)
    args = {"x": x, "layers": layers, **kw}
    with pytest.raises(ValueError, match=match):
        deep.stack_forward(**args)


def test_bad_lengths_and_masks():
    _raises(r"lengths must have shape \(m,\) = \(3,\); got shape \(2,\)",
            lengths=[4, 4])
    _raises(r"lengths must be in 1 \.\.\. T_x = 1 \.\.\. 4; got 0 at "
            r"example 1", lengths=[4, 0, 2])
    _raises(r"lengths must be in 1 \.\.\. T_x = 1 \.\.\. 4; got 5",
            lengths=[4, 5, 2])
    _raises(r"lengths must be integers", lengths=[4, 2.5, 1])
    _raises(r"mask must have shape \(m, T_x\) = \(3, 4\); got shape "
            r"\(3, 3\)", mask=np.ones((3, 3)))
    bad = np.ones((3, 4))
    bad[1, 2] = 0.5
    _raises(r"mask must hold only 0 and 1; got 0\.5 at example 1, step 2",
            mask=bad)
    gap = np.ones((3, 4))
    gap[2, 1] = 0
    _raises(r"mask must be a prefix of ones .* example 2, steps 1 and 2",
            mask=gap)
    empty = np.ones((3, 4))
    empty[0] = 0
    _raises(r"mask must have a real first step", mask=empty)
    _raises(r"give lengths or mask, not both", lengths=[1, 1, 1],
            mask=np.ones((3, 4)))


def test_bad_layers():
    layers, x, _, _ = _problem(45)
    _raises(r"every layer must have as many directions as layer 0: "
            r"expected 2, got 1 in layer 1", layers=[layers[0], layers[1][:1]])
    _raises(r"layers\[0\] must hold 1 or 2 directions; got 3",
            layers=[layers[0] + layers[0][:1]])
    one_way = deep.init_stack(2, 3, 2, False)
    _raises(r"layer 1, direction 0 \(reads layer 0's outputs, n_x = 6\): "
            r"W_fx must have shape \(n_x, n_a\) = \(6, 3\); got shape "
            r"\(3, 3\)", layers=[layers[0], [one_way[1][0], one_way[1][0]]])
    wide = deep.init_stack(2, 5, 1, True)
    _raises(r"every layer and direction must have the same n_a; got "
            r"\[3, 3, 5, 5\]", layers=[layers[0], [
                {k: v for k, v in lstm.init_params(6, 5, 1).items()
                 if k in wide[0][0]}] * 2])
    _raises(r"a0 must have shape \(L D, n_a, m\) = \(4, 3, 3\)",
            a0=np.zeros((2, 3, 3)))


def test_bad_input_computes_nothing(monkeypatch):
    layers, x, _, _ = _problem(46)
    calls = []
    monkeypatch.setattr(deep, "lstm_layer_forward",
                        lambda *a, **k: calls.append(1))
    with pytest.raises(ValueError):
        deep.stack_forward(x, layers, lengths=[4, 9, 1])
    assert calls == []


def test_stack_backward_bad_input():
    layers, x, w, _ = _problem(47)
    caches = deep.stack_forward(x, layers)[-1]
    with pytest.raises(ValueError, match=r"dout must have shape"):
        deep.stack_backward(w[:3], caches)
    with pytest.raises(ValueError, match=r"dc_n must have shape"):
        deep.stack_backward(w, caches, dc_n=np.zeros((2, 3, 3)))
