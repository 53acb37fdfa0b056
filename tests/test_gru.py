"""The GRU of lstm_src.gru: gradients against finite differences (both
forms), the layer boundary, float32, bad input."""
import functools

import numpy as np
import pytest

from lstm_src import gru, lstm
from lstm_src.gradcheck import check_model_gradients, random_problem, rel_error

TOL = 1e-7
SHAPES = [(3, 5, 4, 2, 4), (1, 1, 2, 1, 1), (2, 3, 2, 3, 1), (4, 1, 2, 1, 6)]


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("form", gru.FORMS)
def test_gru_backward_matches_finite_differences(form, shape):
    params, x, a0, y = random_problem(gru, *shape, seed=1)
    forward = functools.partial(gru.gru_forward, form=form)
    errors = check_model_gradients(forward, gru.gru_backward, x, a0, y, params)
    assert set(errors) == {"d" + k for k in params} | {"dx", "da0"}
    bad = {k: v for k, v in errors.items() if not v <= TOL}
    assert not bad, f"{form} {shape}: relative errors above {TOL}: {bad}"


def test_the_two_forms_differ():
    params, x, a0, _ = random_problem(gru, 3, 4, 2, 2, 3, seed=2)
    a_t = gru.gru_forward(x, a0, params)[0]
    a_c = gru.gru_forward(x, a0, params, form="cho")[0]
    assert rel_error(a_t, a_c) > 1e-3


def test_forms_agree_when_the_reset_gate_is_open():
    """With the reset gate at 1 (huge b_r) both candidates are the same."""
    params, x, a0, _ = random_problem(gru, 3, 4, 2, 2, 3, seed=3)
    params["b_r"] = np.full_like(params["b_r"], 50.0)
    a_t = gru.gru_forward(x, a0, params)[0]
    a_c = gru.gru_forward(x, a0, params, form="cho")[0]
    assert rel_error(a_t, a_c) < 1e-15


def test_layer_backward_is_the_chain_rule_from_da():
    """J = sum(w * a) for random w: gru_layer_backward(w) against finite
    differences of J."""
    rng = np.random.default_rng(4)
    params, x, a0, _ = random_problem(gru, 2, 3, 2, 2, 3, seed=4)
    w = rng.normal(size=(3, 2, 3))
    grads = gru.gru_layer_backward(w, gru.gru_forward(x, a0, params)[-1])
    assert "dW_ya" not in grads and "db_y" not in grads
    h = 1e-6
    for name in ("W_na", "b_na", "W_zx"):
        num = np.zeros_like(params[name])
        for idx in np.ndindex(num.shape):
            old = params[name][idx]
            vals = []
            for s in (h, -h):
                params[name][idx] = old + s
                vals.append(np.sum(w * gru.gru_forward(x, a0, params)[0]))
            params[name][idx] = old
            num[idx] = (vals[0] - vals[1]) / (2 * h)
        assert rel_error(grads["d" + name], num) < 1e-8, name


def test_float32_is_kept():
    params, x, a0, y = random_problem(gru, 3, 4, 2, 2, 3, seed=5)
    p32 = {k: v.astype(np.float32) for k, v in params.items()}
    a, y_hat, caches = gru.gru_forward(x.astype(np.float32),
                                       a0.astype(np.float32), p32)
    assert a.dtype == y_hat.dtype == np.float32
    grads = gru.gru_backward(y, caches)
    assert all(v.dtype == np.float32 for v in grads.values())
    ref = gru.gru_backward(y, gru.gru_forward(x, a0, params)[-1])
    assert rel_error(grads["dW_na"], ref["dW_na"]) < 1e-5


def test_cell_forward_is_one_step_of_the_sequence():
    params, x, a0, _ = random_problem(gru, 3, 4, 2, 2, 1, seed=6)
    a, y_hat, _ = gru.gru_cell_forward(x[:, :, 0], a0, params)
    a_seq, y_seq, _ = gru.gru_forward(x, a0, params)
    assert np.array_equal(a, a_seq[:, :, 0])
    assert np.array_equal(y_hat, y_seq[:, :, 0])


def _lstm_message(call):
    with pytest.raises(ValueError) as exc:
        call()
    return str(exc.value)


def test_bad_input_has_the_lstms_messages():
    params, x, a0, y = random_problem(gru, 3, 4, 2, 2, 3, seed=7)
    lp = lstm.init_params(3, 4, 2)
    cases = [(x[:, :, 0], a0), (x, a0[:, :1]), (x[:2], a0)]
    for xx, aa in cases:
        want = _lstm_message(lambda: lstm.lstm_forward(xx, aa, lp))
        want = want.replace("W_fx", "W_rx")  # the first W_*x checked
        with pytest.raises(ValueError) as exc:
            gru.gru_forward(xx, aa, params)
        assert str(exc.value) == want
    with pytest.raises(ValueError, match="params is missing b_na"):
        gru.gru_forward(x, a0, {k: v for k, v in params.items()
                                if k != "b_na"})
    with pytest.raises(ValueError, match="form must be one of torch, cho"):
        gru.gru_forward(x, a0, params, form="keras")
    caches = gru.gru_forward(x, a0, params)[-1]
    with pytest.raises(ValueError, match=r"y must have shape"):
        gru.gru_backward(y[:, :, :2], caches)
    with pytest.raises(ValueError, match=r"da must have shape"):
        gru.gru_layer_backward(np.zeros((4, 2, 2)), caches)
    with pytest.raises(ValueError, match="n_a must be a positive integer"):
        gru.init_params(3, 0, 2)
