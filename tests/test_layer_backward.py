"""The layer boundary: lstm_layer_backward (reference and fast) from an
upstream gradient da, and lstm_backward = output layer + layer, bit for bit
what it was before the split (the functions as they were are kept below)."""
import numpy as np
import pytest

from lstm_src import fast, lstm
from lstm_src.gradcheck import numerical_gradient, random_problem, rel_error
from lstm_src.layers import output_layer_backward
from lstm_src.loss import softmax_cross_entropy_backward

SHAPES = [(3, 5, 4, 2, 4), (1, 1, 2, 1, 1), (7, 16, 9, 5, 12)]


def old_lstm_backward(y, caches):
    """lstm_src.lstm.lstm_backward before the layer boundary (commit
    a51480f), on the step functions it called."""
    steps, p, y = lstm.check_caches(caches, y, "lstm_forward")
    (n_x, m), n_a, T_x = (steps[0]["x"].shape, steps[0]["a"].shape[0],
                          len(steps))
    grads = {"d" + name: np.zeros_like(p[name]) for name in lstm.PARAM_NAMES}
    dtype = steps[0]["a"].dtype
    grads["dx"] = np.zeros((n_x, m, T_x), dtype)
    da_next = np.zeros((n_a, m), dtype)
    dc_next = np.zeros((n_a, m), dtype)
    for t in reversed(range(T_x)):
        k = steps[t]
        dz_y = softmax_cross_entropy_backward(k["y_hat"], y[:, :, t])
        dW_ya, db_y, da_from_y = output_layer_backward(dz_y, k["a"],
                                                       p["W_ya"])
        grads["dW_ya"] += dW_ya
        grads["db_y"] += db_y
        da = lstm.hidden_state_grad(da_from_y, da_next)
        step = lstm.lstm_cell_backward(da, dc_next, k)
        for name in lstm.PARAM_NAMES[:-2]:
            grads["d" + name] += step["d" + name]
        grads["dx"][:, :, t] = step["dx"]
        da_next, dc_next = step["da_prev"], step["dc_prev"]
    grads["da0"] = da_next
    return grads


def old_fast_lstm_backward(y, caches):
    """lstm_src.fast.lstm_backward before the layer boundary (a51480f)."""
    y = fast._checked_labels(caches, y)
    k = caches
    W, S, G, C, TC, Y = k["W"], k["S"], k["G"], k["C"], k["TC"], k["Y"]
    (T_x, n, m), n_y, dt = TC.shape, Y.shape[0], TC.dtype
    dY, dA, dZ, dZ_cols = fast.POOL.arrays(
        [(n_y, T_x, m), (n, T_x, m), (T_x, 4 * n, m), (4 * n, T_x, m)], dt)
    np.subtract(Y, y.transpose(0, 2, 1), out=dY)
    dY /= m
    dY_cols, A = dY.reshape(n_y, T_x * m), S[:n, 1:].reshape(n, T_x * m)
    dW_ya = A @ dY_cols.T
    db_y = dY_cols.sum(axis=1, keepdims=True)
    np.matmul(k["W_ya"], dY_cols, out=dA.reshape(n, T_x * m))
    da, work = np.empty((n, m), dt), np.empty((n, m), dt)
    dc, da_next = np.zeros((n, m), dt), np.zeros((n, m), dt)
    W_a = W[:n]
    for t in reversed(range(T_x)):
        np.add(dA[:, t], da_next, out=da)
        fast.gates_backward(da, dc, G[t], TC[t], C[t], dZ[t], work)
        np.matmul(W_a, dZ[t], out=da_next)
    np.copyto(dZ_cols, dZ.transpose(1, 0, 2))
    dW, db = fast.sequence_weight_grads(S[:, :T_x], dZ_cols)
    dX = np.matmul(W[n:], dZ_cols.reshape(4 * n, T_x * m))
    grads = {}
    for i, g in enumerate(fast.ORDER):
        block = slice(i * n, (i + 1) * n)
        grads[f"dW_{g}a"] = np.ascontiguousarray(dW[:n, block])
        grads[f"dW_{g}x"] = np.ascontiguousarray(dW[n:, block])
        grads[f"db_{g}"] = db[block].copy()
    grads["dW_ya"], grads["db_y"] = dW_ya, db_y
    grads["dx"] = dX.reshape(-1, T_x, m).transpose(0, 2, 1)
    grads["da0"] = da_next
    names = ["d" + p for p in lstm.PARAM_NAMES] + ["dx", "da0"]
    return {name: grads[name] for name in names}


def _cases():
    for i, shape in enumerate(SHAPES):
        for dt in ("float64", "float32", "mixed"):
            for with_c0 in (False, True):
                yield i, shape, dt, with_c0


def _problem(i, shape, dt, with_c0):
    params, x, a0, y = random_problem(lstm, *shape, seed=i)
    c0 = np.random.default_rng(i).normal(size=a0.shape) if with_c0 else None
    if dt == "float32":
        params = {k: v.astype(np.float32) for k, v in params.items()}
        x, a0 = x.astype(np.float32), a0.astype(np.float32)
        c0 = None if c0 is None else c0.astype(np.float32)
    elif dt == "mixed":  # float32 model, float64 labels and c0
        params = {k: v.astype(np.float32) for k, v in params.items()}
        x, a0 = x.astype(np.float32), a0.astype(np.float32)
    return params, x, a0, y, c0


def _same_bits(new, old):
    assert list(new) == list(old)
    for k in new:
        assert new[k].dtype == old[k].dtype, k
        assert np.array_equal(new[k], old[k]), k


@pytest.mark.parametrize("case", list(_cases()), ids=str)
def test_lstm_backward_is_bit_for_bit_what_it_was(case):
    params, x, a0, y, c0 = _problem(*case)
    caches = lstm.lstm_forward(x, a0, params, c0)[-1]
    _same_bits(lstm.lstm_backward(y, caches), old_lstm_backward(y, caches))


@pytest.mark.parametrize("case", list(_cases()), ids=str)
def test_fast_lstm_backward_is_bit_for_bit_what_it_was(case):
    params, x, a0, y, c0 = _problem(*case)
    caches = fast.lstm_forward(x, a0, params, c0)[-1]
    old = {k: np.array(v) for k, v in old_fast_lstm_backward(y, caches).items()}
    _same_bits(fast.lstm_backward(y, caches), old)


def _loss(x, a0, c0, params, w, v):
    """J = sum(w * a) + sum(v * c<T_x>): the layer alone, any upstream."""
    a, c, _ = lstm.lstm_layer_forward(x, a0, params, c0)
    return np.sum(w * a) + np.sum(v * c[:, :, -1])


@pytest.mark.parametrize("module", [lstm, fast], ids=["lstm", "fast"])
def test_layer_backward_matches_finite_differences(module):
    rng = np.random.default_rng(11)
    params, x, a0, _ = random_problem(lstm, 2, 3, 2, 2, 4, seed=11)
    c0 = rng.normal(size=a0.shape)
    w, v = rng.normal(size=(3, 2, 4)), rng.normal(size=(3, 2))
    caches = module.lstm_forward(x, a0, params, c0)[-1]
    grads = module.lstm_layer_backward(w, caches, dc=v)
    assert "dW_ya" not in grads
    inputs = {**{k: params[k] for k in lstm.PARAM_NAMES[:-2]},
              "x": x, "a0": a0, "c0": c0}
    for name, arr in inputs.items():
        def f(value, name=name):
            args = {**inputs, name: value}
            p = {k: args[k] for k in lstm.PARAM_NAMES[:-2]}
            return _loss(args["x"], args["a0"], args["c0"], p, w, v)
        err = rel_error(grads["d" + name], numerical_gradient(f, arr))
        assert err < 1e-9, (name, err)


def test_fast_and_reference_layer_backward_agree():
    rng = np.random.default_rng(12)
    params, x, a0, _ = random_problem(lstm, 4, 6, 3, 3, 5, seed=12)
    da, dc = rng.normal(size=(6, 3, 5)), rng.normal(size=(6, 3))
    ref = lstm.lstm_layer_backward(da, lstm.lstm_forward(x, a0, params)[-1], dc)
    got = fast.lstm_layer_backward(da, fast.lstm_forward(x, a0, params)[-1], dc)
    assert set(got) == set(ref) and "dc0" not in got
    assert max(rel_error(got[k], ref[k]) for k in ref) < 1e-13


def test_layer_backward_bad_input():
    params, x, a0, _ = random_problem(lstm, 2, 3, 2, 2, 4, seed=13)
    for module in (lstm, fast):
        caches = module.lstm_forward(x, a0, params)[-1]
        with pytest.raises(ValueError, match=r"da must have shape \(n_a, m, "
                           r"T_x\) = \(3, 2, 4\); got shape \(3, 2, 3\)"):
            module.lstm_layer_backward(np.zeros((3, 2, 3)), caches)
        with pytest.raises(ValueError, match=r"dc must have shape"):
            module.lstm_layer_backward(np.zeros((3, 2, 4)), caches,
                                       dc=np.zeros((2, 2)))
        with pytest.raises(ValueError, match="caches must be the dict"):
            module.lstm_layer_backward(np.zeros((3, 2, 4)), [1])
