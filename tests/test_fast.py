"""lstm_src.fast against the reference lstm_src.lstm (and torch.nn.LSTM when installed).

Every output and every gradient must agree with the reference to a relative
error of at most 1e-10 in float64, for any shape (sizes of 1 and one time
step included); float32 stays float32 and agrees to float32 precision; bad
input gets the reference's own ValueError.
"""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_src import fast, lstm
from lstm_src.gradcheck import random_problem, rel_error

TOL64 = 1e-10
TOL32 = 2e-5
OUTPUTS = ("a", "y_hat", "c")
# (n_x, n_a, n_y, m, T_x): ordinary, every size 1, one class, one step, long and thin, wide
SHAPES = [(3, 5, 4, 2, 4), (1, 1, 1, 1, 1), (1, 1, 2, 1, 1), (2, 3, 2, 3, 1), (4, 1, 2, 1, 6),
          (1, 2, 5, 4, 2), (6, 9, 7, 5, 8)]


def _both(params, x, a0, y, c0=None):
    """Outputs and gradients of the reference and of the fast path, as two dicts."""
    out = []
    for module in (lstm, fast):
        a, y_hat, c, caches = module.lstm_forward(x, a0, params, c0=c0)
        grads = module.lstm_backward(y, caches)
        out.append({"a": a, "y_hat": y_hat, "c": c, **grads})
    return out


def _worst(ref, got):
    assert set(ref) == set(got)
    for k in ref:
        assert got[k].shape == ref[k].shape, k
    errors = {k: rel_error(ref[k], got[k]) for k in ref}
    return max(errors.values()), errors


def _c0(shape, seed):
    n_a, m = shape[1], shape[3]
    return np.random.default_rng(seed).normal(0.0, 1.0, (n_a, m))


@pytest.mark.parametrize("with_c0", [False, True], ids=["c0=None", "c0"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_fast_matches_reference(shape, with_c0):
    """Every output and gradient of fast equals the reference's to 1e-10 (float64)."""
    params, x, a0, y = random_problem(lstm, *shape, seed=1)
    c0 = _c0(shape, 2) if with_c0 else None
    ref, got = _both(params, x, a0, y, c0)
    worst, errors = _worst(ref, got)
    assert worst <= TOL64, errors
    expected = {"d" + k for k in lstm.PARAM_NAMES} | {"dx", "da0"} | set(OUTPUTS)
    assert set(got) == expected
    assert all(v.dtype == np.float64 for v in got.values())


@settings(max_examples=30, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 5), st.integers(1, 5), st.integers(1, 5), st.integers(1, 4),
                    st.integers(1, 5)),
    seed=st.integers(0, 2**16),
    with_c0=st.booleans(),
)
def test_fast_matches_reference_for_any_shape(shape, seed, with_c0):
    """For any sizes from 1 up, fast agrees with the reference to 1e-10 (float64)."""
    params, x, a0, y = random_problem(lstm, *shape, seed=seed)
    c0 = _c0(shape, seed + 1) if with_c0 else None
    worst, errors = _worst(*_both(params, x, a0, y, c0))
    assert worst <= TOL64, errors


def test_float32_stays_float32_and_agrees():
    """float32 in gives float32 out everywhere, within float32 precision of the reference."""
    params, x, a0, y = random_problem(lstm, 5, 8, 4, 3, 7, seed=3)
    c0 = _c0((5, 8, 4, 3, 7), 4)
    ref, _ = _both(params, x, a0, y, c0)
    f32 = {k: v.astype(np.float32) for k, v in params.items()}
    a, y_hat, c, caches = fast.lstm_forward(x.astype(np.float32), a0.astype(np.float32), f32,
                                            c0=c0.astype(np.float32))
    got = {"a": a, "y_hat": y_hat, "c": c, **fast.lstm_backward(y.astype(np.float32), caches)}
    assert {k: v.dtype for k, v in got.items()} == {k: np.dtype(np.float32) for k in got}
    worst, errors = _worst(ref, got)
    assert worst <= TOL32, errors


def test_computes_in_the_dtype_of_x():
    """Parameters, a0 and c0 are cast to x's dtype: float64 params with float32 x give float32."""
    params, x, a0, y = random_problem(lstm, 3, 4, 2, 2, 3, seed=5)
    a, y_hat, c, caches = fast.lstm_forward(x.astype(np.float32), a0, params, c0=a0)
    grads = fast.lstm_backward(y, caches)
    assert {a.dtype, y_hat.dtype, c.dtype} | {g.dtype for g in grads.values()} == {np.dtype("f4")}
    f32 = {k: v.astype(np.float32) for k, v in params.items()}
    a, y_hat, c, caches = fast.lstm_forward(x, a0.astype(np.float32), f32)
    grads = fast.lstm_backward(y, caches)
    assert {a.dtype, y_hat.dtype, c.dtype} | {g.dtype for g in grads.values()} == {np.dtype("f8")}


def test_integer_input_becomes_float64():
    """Integer x (as the reference accepts) is computed in float64."""
    params, x, a0, y = random_problem(lstm, 2, 3, 2, 2, 3, seed=6)
    xi = np.round(x * 3).astype(np.int64)
    ref, got = _both(params, xi, a0, y)
    assert got["a"].dtype == np.float64
    assert _worst(ref, got)[0] <= TOL64


def test_c0_none_is_zeros_and_windows_chain():
    """c0=None is c0=0, and two windows carrying (a, c) give the one long run's states and a."""
    params, x, a0, _ = random_problem(lstm, 3, 4, 3, 2, 8, seed=8)
    a, _, c, _ = fast.lstm_forward(x, a0, params)
    a_z, _, c_z, _ = fast.lstm_forward(x, a0, params, c0=np.zeros_like(a0))
    assert np.array_equal(a, a_z) and np.array_equal(c, c_z)
    a1, _, c1, _ = fast.lstm_forward(x[:, :, :5], a0, params)
    a2, _, c2, _ = fast.lstm_forward(x[:, :, 5:], a1[:, :, -1], params, c0=c1[:, :, -1])
    assert np.allclose(np.concatenate([a1, a2], axis=2), a, rtol=0, atol=1e-14)
    assert np.allclose(np.concatenate([c1, c2], axis=2), c, rtol=0, atol=1e-14)


def test_inputs_are_not_modified():
    """Neither pass writes into x, a0, c0, y or the parameters, whatever their layout."""
    for shape in [(1, 1, 1, 1, 1), (3, 4, 2, 2, 3)]:
        params, x, a0, y = random_problem(lstm, *shape, seed=9)
        c0 = _c0(shape, 10)
        before = [v.copy() for v in (x, a0, c0, y, *params.values())]
        fast.lstm_backward(y, fast.lstm_forward(x, a0, params, c0=c0)[-1])
        after = (x, a0, c0, y, *params.values())
        assert all(np.array_equal(b, v) for b, v in zip(before, after))


def test_outputs_are_read_only_and_backward_repeats():
    """a, y_hat and c share memory with the caches, so they refuse writes; backward twice agrees."""
    params, x, a0, y = random_problem(lstm, 2, 3, 2, 2, 3, seed=11)
    a, y_hat, c, caches = fast.lstm_forward(x, a0, params)
    for arr in (a, y_hat, c):
        with pytest.raises(ValueError, match="read-only"):
            arr[0, 0, 0] = 1.0
    g1, g2 = fast.lstm_backward(y, caches), fast.lstm_backward(y, caches)
    assert all(np.array_equal(g1[k], g2[k]) for k in g1)


# ---------------------------------------------------------------- bad input


def _bad_forward_cases():
    params, x, a0, _ = random_problem(lstm, 3, 4, 2, 2, 3, seed=12)
    missing = {k: v for k, v in params.items() if k != "W_ux"}
    return {
        "x 2-D": (x[:, :, 0], a0, params, None),
        "x empty": (x[:, :, :0], a0, params, None),
        "x complex": (x + 1j, a0, params, None),
        "x strings": (np.full((3, 2, 3), "a"), a0, params, None),
        "a0 wrong m": (x, a0[:, :1], params, None),
        "a0 3-D": (x, a0[:, :, None], params, None),
        "params list": (x, a0, list(params.values()), None),
        "params missing": (x, a0, missing, None),
        "W_fx wrong n_x": (x, a0, {**params, "W_fx": params["W_fx"][:2]}, None),
        "W_ca wrong n_a": (x, a0, {**params, "W_ca": params["W_ca"][:, :3]}, None),
        "b_o a row": (x, a0, {**params, "b_o": params["b_o"].T}, None),
        "W_ya 1-D": (x, a0, {**params, "W_ya": params["W_ya"][:, 0]}, None),
        "b_y wrong n_y": (x, a0, {**params, "b_y": params["b_y"][:1]}, None),
        "c0 wrong shape": (x, a0, params, a0[:3]),
        "c0 object": (x, a0, params, np.array([[None]])),
    }


def _message(fn, *args, **kwargs):
    with pytest.raises(ValueError) as info:
        fn(*args, **kwargs)
    return str(info.value)


@pytest.mark.parametrize("case", sorted(_bad_forward_cases()))
def test_bad_forward_input_gets_the_reference_error(case):
    """Each bad forward input raises the reference's ValueError, word for word."""
    x, a0, params, c0 = _bad_forward_cases()[case]
    want = _message(lstm.lstm_forward, x, a0, params, c0=c0)
    assert _message(fast.lstm_forward, x, a0, params, c0=c0) == want


def _bad_labels():
    _, _, _, y = random_problem(lstm, 3, 4, 2, 2, 3, seed=12)
    zero_last, half_first, nan = y.copy(), y.copy(), y.copy()
    zero_last[:, 1, 2] = 0.0
    half_first[:, :, 0] = 0.5
    half_first[:, 0, 1] = 0.0
    nan[0, 0, 1] = np.nan
    return {
        "y 2-D": y[:, :, 0],
        "y wrong T_x": y[:, :, :2],
        "y wrong n_y": np.ones((1, 2, 3)),
        "y strings": np.full(y.shape, "a"),
        "a column summing to 0 at the last step": zero_last,
        "columns not summing to 1 at two steps": half_first,
        "a NaN label": nan,
    }


@pytest.mark.parametrize("case", sorted(_bad_labels()))
def test_bad_labels_get_the_reference_error(case):
    """Each bad label array raises the reference's ValueError in backward, word for word."""
    params, x, a0, _ = random_problem(lstm, 3, 4, 2, 2, 3, seed=12)
    y = _bad_labels()[case]
    want = _message(lstm.lstm_backward, y, lstm.lstm_forward(x, a0, params)[-1])
    assert _message(fast.lstm_backward, y, fast.lstm_forward(x, a0, params)[-1]) == want


@pytest.mark.parametrize("caches", [None, [], {"params": {}}], ids=["None", "list", "no steps"])
def test_bad_caches_get_the_reference_error(caches):
    """Anything but a forward pass's caches gets the reference's ValueError."""
    y = np.ones((1, 1, 1))
    assert _message(fast.lstm_backward, y, caches) == _message(lstm.lstm_backward, y, caches)


def test_caches_of_the_other_implementation_are_refused():
    """The reference's caches given to fast.lstm_backward get a clear ValueError."""
    params, x, a0, y = random_problem(lstm, 2, 3, 2, 1, 2, seed=13)
    with pytest.raises(ValueError, match="caches must be the dict returned by lstm_forward"):
        fast.lstm_backward(y, lstm.lstm_forward(x, a0, params)[-1])


# ------------------------------------------------------------ extreme input


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale", [1e3, 1e6])
def test_extreme_input_is_finite_and_warning_free(dtype, scale):
    """Inputs and weights of 1e3 and 1e6 give finite outputs and gradients, without a warning."""
    params, x, a0, y = random_problem(lstm, 3, 4, 3, 2, 4, seed=14)
    big = {k: (v * scale).astype(dtype) for k, v in params.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a, y_hat, c, caches = fast.lstm_forward((x * scale).astype(dtype), a0.astype(dtype), big)
        grads = fast.lstm_backward(y.astype(dtype), caches)
    for v in (a, y_hat, c, *grads.values()):
        assert np.all(np.isfinite(v)) and v.dtype == dtype
    assert np.allclose(y_hat.sum(axis=0), 1.0)


def test_extreme_input_matches_reference():
    """With saturated gates (inputs of 1e3) fast still agrees with the reference (float64)."""
    params, x, a0, y = random_problem(lstm, 3, 4, 3, 2, 4, seed=15)
    worst, errors = _worst(*_both(params, x * 1e3, a0, y))
    assert worst <= TOL64, errors


# ------------------------------------------------------------------ PyTorch


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_torch_lstm_gives_the_same_loss_and_gradients(dtype):
    """torch.nn.LSTM + Linear + cross_entropy on the converted weights: fast's J and gradients."""
    torch = pytest.importorskip("torch")
    from lstm_src import convert, loss

    n_x, n_a, n_y, m, T_x = 3, 5, 4, 2, 6
    params, x, a0, y = random_problem(lstm, n_x, n_a, n_y, m, T_x, seed=16)
    c0 = _c0((n_x, n_a, n_y, m, T_x), 17)
    npt, tdt = np.dtype(dtype), getattr(torch, dtype)
    tol = TOL64 if dtype == "float64" else TOL32
    params = {k: v.astype(npt) for k, v in params.items()}
    x, a0, c0, y = (v.astype(npt) for v in (x, a0, c0, y))
    a, y_hat, c, caches = fast.lstm_forward(x, a0, params, c0=c0)
    J = loss.cross_entropy(y_hat, y)
    grads = fast.lstm_backward(y, caches)

    state, linear = convert.to_torch_lstm(params)
    rnn = torch.nn.LSTM(n_x, n_a, dtype=tdt)
    out = torch.nn.Linear(n_a, n_y, dtype=tdt)
    rnn.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    out.load_state_dict({k: torch.from_numpy(v) for k, v in linear.items()})
    xt = torch.tensor(convert.to_time_major(x), requires_grad=True)  # (T_x, m, n_x)
    h0 = torch.tensor(a0.T[None].copy(), requires_grad=True)  # (1, m, n_a)
    hs, (_, c_T) = rnn(xt, (h0, torch.tensor(c0.T[None].copy())))
    labels = torch.from_numpy(y.argmax(axis=0).T.copy())  # (T_x, m) class indices
    logits = out(hs)
    J_torch = torch.nn.functional.cross_entropy(
        logits.reshape(T_x * m, n_y), labels.reshape(-1), reduction="sum") / m
    J_torch.backward()

    assert rel_error(J_torch.item(), J) <= tol
    assert rel_error(convert.from_time_major(hs.detach().numpy()), a) <= tol
    assert rel_error(c_T[0].detach().numpy().T, c[:, :, -1]) <= tol
    ours, ours_linear = convert.to_torch_lstm({k: grads["d" + k] for k in lstm.PARAM_NAMES})
    theirs = {k: v.grad.numpy() for k, v in rnn.named_parameters()}
    for key in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0"):
        assert rel_error(theirs[key], ours[key]) <= tol, key
    assert rel_error(theirs["bias_hh_l0"], ours["bias_ih_l0"]) <= tol  # both biases get db
    assert rel_error(out.weight.grad.numpy(), ours_linear["weight"]) <= tol
    assert rel_error(out.bias.grad.numpy(), ours_linear["bias"]) <= tol
    assert rel_error(convert.from_time_major(xt.grad.numpy()), grads["dx"]) <= tol
    assert rel_error(h0.grad[0].numpy().T, grads["da0"]) <= tol
