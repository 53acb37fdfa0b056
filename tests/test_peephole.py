"""The peephole LSTM (lstm_src.peephole): finite differences, the LSTM as
its special case, bad input."""
import numpy as np
import pytest

from lstm_src import lstm, peephole
from lstm_src.gradcheck import check_model_gradients, random_problem

TOL = 1e-7


@pytest.mark.parametrize("shape", [(3, 5, 4, 2, 4), (1, 1, 2, 1, 1),
                                   (2, 3, 2, 3, 5)],
                         ids=lambda s: "x".join(map(str, s)))
def test_peephole_backward_matches_finite_differences(shape):
    params, x, a0, y = random_problem(peephole, *shape, seed=51)
    errors = check_model_gradients(peephole.peephole_forward,
                                   peephole.peephole_backward, x, a0, y,
                                   params)
    assert {"dw_fc", "dw_uc", "dw_oc", "dx", "da0"} <= set(errors)
    bad = {k: v for k, v in errors.items() if not v <= TOL}
    assert not bad, bad


def test_zero_peepholes_are_the_lstm():
    params, x, a0, y = random_problem(peephole, 3, 4, 2, 2, 3, seed=52)
    for k in peephole.PEEPHOLES:
        params[k] = np.zeros_like(params[k])
    c0 = np.random.default_rng(52).normal(size=a0.shape)
    a, y_hat, c, caches = peephole.peephole_forward(x, a0, params, c0)
    plain = {k: v for k, v in params.items() if k not in peephole.PEEPHOLES}
    ref = lstm.lstm_forward(x, a0, plain, c0)
    assert np.array_equal(a, ref[0]) and np.array_equal(c, ref[2])
    g, g_ref = peephole.peephole_backward(y, caches), \
        lstm.lstm_backward(y, ref[-1])
    for k, v in g_ref.items():
        assert np.array_equal(g[k], v), k


def test_peepholes_change_the_gates():
    params, x, a0, _ = random_problem(peephole, 3, 4, 2, 2, 3, seed=53)
    plain = {k: v for k, v in params.items() if k not in peephole.PEEPHOLES}
    assert not np.allclose(peephole.peephole_forward(x, a0, params)[0],
                           lstm.lstm_forward(x, a0, plain)[0])


def test_cell_forward_is_one_step():
    params, x, a0, _ = random_problem(peephole, 3, 4, 2, 2, 1, seed=54)
    c0 = np.random.default_rng(54).normal(size=a0.shape)
    a, c, y_hat, _ = peephole.peephole_cell_forward(x[:, :, 0], a0, c0,
                                                    params)
    ref = peephole.peephole_forward(x, a0, params, c0)
    assert np.array_equal(a, ref[0][:, :, 0])
    assert np.array_equal(c, ref[2][:, :, 0])


def test_bad_input():
    params, x, a0, y = random_problem(peephole, 3, 4, 2, 2, 3, seed=55)
    with pytest.raises(ValueError, match="params is missing w_oc"):
        peephole.peephole_forward(x, a0, {k: v for k, v in params.items()
                                          if k != "w_oc"})
    bad = dict(params, w_fc=np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"w_fc must have shape \(n_a, 1\) "
                       r"= \(4, 1\); got shape \(4, 2\)"):
        peephole.peephole_forward(x, a0, bad)
    with pytest.raises(ValueError, match=r"c_prev must have shape"):
        peephole.peephole_cell_forward(x[:, :, 0], a0, a0[:2], params)
    plain_caches = lstm.lstm_forward(
        x, a0, {k: v for k, v in params.items()
                if k not in peephole.PEEPHOLES})[-1]
    with pytest.raises(ValueError, match="caches must be the dict returned "
                       "by peephole_forward"):
        peephole.peephole_backward(y, plain_caches)
