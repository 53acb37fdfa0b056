"""lstm_src.convert: round trips, each layout computing the same LSTM, bad input,
and (only when torch happens to be installed) torch.nn.LSTM reproducing lstm_src."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_src import convert, lstm
from lstm_src.activations import sigmoid, softmax
from lstm_src.gradcheck import random_problem

sizes = st.integers(min_value=1, max_value=5)


def assert_same_params(p, q):
    assert sorted(p) == sorted(q)
    for k in p:
        assert q[k].shape == p[k].shape, k
        assert np.array_equal(q[k], p[k]), k


@settings(max_examples=25, deadline=None)
@given(n_x=sizes, n_a=sizes, n_y=sizes, seed=st.integers(0, 2**16))
def test_round_trips(n_x, n_a, n_y, seed):
    params = random_problem(lstm, n_x, n_a, n_y, 1, 1, seed=seed)[0]
    assert_same_params(params, convert.from_torch_lstm(*convert.to_torch_lstm(params)))
    assert_same_params(params, convert.from_ng(convert.to_ng(params), n_x))
    assert_same_params(params, convert.from_cs231n(convert.to_cs231n(params)))
    assert_same_params(params, convert.from_keras(convert.to_keras(params)))


def test_torch_shapes_and_the_bias_sum():
    params = random_problem(lstm, 3, 4, 2, 1, 1)[0]
    state, linear = convert.to_torch_lstm(params)
    assert state["weight_ih_l0"].shape == (16, 3) and state["weight_hh_l0"].shape == (16, 4)
    assert state["bias_ih_l0"].shape == state["bias_hh_l0"].shape == (16,)
    assert linear["weight"].shape == (2, 4) and linear["bias"].shape == (2,)
    # rows 4..7 are the forget gate, transposed
    assert np.array_equal(state["weight_ih_l0"][4:8], params["W_fx"].T)
    # torch adds its two biases: moving part of one into the other changes nothing
    state["bias_hh_l0"] = state["bias_hh_l0"] + 1.5
    state["bias_ih_l0"] = state["bias_ih_l0"] - 1.5
    back = convert.from_torch_lstm(state, linear)
    for g in lstm.GATES:
        assert np.allclose(back[f"b_{g}"], params[f"b_{g}"], rtol=0, atol=1e-14)


@settings(max_examples=10, deadline=None)
@given(n=sizes, m=sizes, T=sizes)
def test_sequence_layouts(n, m, T):
    arr = np.arange(n * m * T, dtype=float).reshape(n, m, T)
    tm, bm = convert.to_time_major(arr), convert.to_batch_major(arr)
    assert tm.shape == (T, m, n) and bm.shape == (m, T, n)
    assert tm[T - 1, m - 1, 0] == arr[0, m - 1, T - 1] == bm[m - 1, T - 1, 0]
    assert np.array_equal(convert.from_time_major(tm), arr)
    assert np.array_equal(convert.from_batch_major(bm), arr)


# ---- each layout, used the way its text uses it, computes lstm_src's step


def _step_from_blocks(blocks, order, c_prev):
    """c and a from the four pre-activation blocks, whatever the order."""
    z = dict(zip(order, blocks))
    c = sigmoid(z["f"]) * c_prev + sigmoid(z["u"]) * np.tanh(z["c"])
    return c, sigmoid(z["o"]) * np.tanh(c)


@pytest.fixture
def one_step():
    params, x, a0, _ = random_problem(lstm, 3, 4, 2, 5, 1, seed=3)
    c_prev = np.random.default_rng(3).normal(size=a0.shape)
    a, c, y_hat, _ = lstm.lstm_cell_forward(x[:, :, 0], a0, c_prev, params)
    return params, x[:, :, 0], a0, c_prev, a, c, y_hat


def test_ng_layout_computes_the_same_step(one_step):
    params, xt, a_prev, c_prev, a, c, y_hat = one_step
    ng = convert.to_ng(params)
    concat = np.concatenate([a_prev, xt])            # [a; x], a on top
    blocks = [ng[f"W{n}"] @ concat + ng[f"b{n}"] for n in "icfo"]
    c_ng, a_ng = _step_from_blocks(blocks, "ucfo", c_prev)
    assert np.allclose(c_ng, c) and np.allclose(a_ng, a)
    assert np.allclose(softmax(ng["Wy"] @ a_ng + ng["by"]), y_hat)


@pytest.mark.parametrize("to, keys, order", [
    (convert.to_cs231n, ("Wx", "Wh", "b", "W_vocab", "b_vocab"), "ufoc"),
    (convert.to_keras, ("kernel", "recurrent_kernel", "bias", "dense_kernel", "dense_bias"),
     "ufco"),
])
def test_batch_major_layouts_compute_the_same_step(one_step, to, keys, order):
    params, xt, a_prev, c_prev, a, c, y_hat = one_step
    Wx, Wh, b, W, bias = (to(params)[k] for k in keys)
    A = xt.T @ Wx + a_prev.T @ Wh + b                 # (m, 4 n_a), examples are rows
    c_lib, a_lib = _step_from_blocks(np.split(A, 4, axis=1), order, c_prev.T)
    assert np.allclose(c_lib, c.T) and np.allclose(a_lib, a.T)
    assert np.allclose(softmax(a_lib @ W + bias, axis=1), y_hat.T)


# ---- bad input


def test_bad_book_params():
    params = random_problem(lstm, 3, 4, 2, 1, 1)[0]
    del params["b_c"]
    with pytest.raises(ValueError, match="params is missing b_c"):
        convert.to_torch_lstm(params)
    params = random_problem(lstm, 3, 4, 2, 1, 1)[0]
    params["W_ua"] = np.zeros((3, 4))
    with pytest.raises(ValueError,
                       match=r"W_ua must have shape \(n_a, n_a\) = \(4, 4\); got shape \(3, 4\)"):
        convert.to_cs231n(params)
    with pytest.raises(ValueError, match="params must be a dict"):
        convert.to_keras([1, 2])


def test_bad_torch_state():
    state, linear = convert.to_torch_lstm(random_problem(lstm, 3, 4, 2, 1, 1)[0])
    with pytest.raises(ValueError, match="weight_ih_l0 must have 4\\*n_a rows"):
        convert.from_torch_lstm({**state, "weight_ih_l0": state["weight_ih_l0"][:15]}, linear)
    with pytest.raises(ValueError, match=(r"weight_hh_l0 must have shape \(4n_a, n_a\) = "
                                          r"\(16, 4\); got shape \(16, 3\)")):
        convert.from_torch_lstm({**state, "weight_hh_l0": state["weight_hh_l0"][:, :3]}, linear)
    with pytest.raises(ValueError, match="lstm_state is missing bias_hh_l0"):
        convert.from_torch_lstm({k: v for k, v in state.items() if k != "bias_hh_l0"}, linear)
    with pytest.raises(ValueError, match=(r"weight must have shape \(n_y, n_a\) = \(n_y, 4\); "
                                          r"got shape \(2, 5\)")):
        convert.from_torch_lstm(state, {**linear, "weight": np.zeros((2, 5))})


def test_bad_ng_cs231n_keras_and_sequences():
    params = random_problem(lstm, 3, 4, 2, 1, 1)[0]
    with pytest.raises(ValueError, match=(r"Wf must have shape \(n_a, n_a\+n_x\) = \(4, 6\) "
                                          r"for n_x = 2; got shape \(4, 7\)")):
        convert.from_ng(convert.to_ng(params), 2)
    with pytest.raises(ValueError, match="n_x must be a positive integer"):
        convert.from_ng(convert.to_ng(params), 0)
    cs = convert.to_cs231n(params)
    with pytest.raises(ValueError, match=(r"b must be a 1-D array of shape \(4n_a,\) = \(16,\); "
                                          r"got a 2-D array of shape \(16, 1\)")):
        convert.from_cs231n({**cs, "b": cs["b"][:, None]})
    k = convert.to_keras(params)
    with pytest.raises(ValueError, match="kernel must have 4\\*n_a columns"):
        convert.from_keras({**k, "kernel": k["kernel"][:, :6]})
    with pytest.raises(ValueError,
                       match=r"arr must be a 3-D array of shape \(n, m, T_x\); got a 2-D array"):
        convert.to_time_major(np.zeros((2, 3)))


# ---- torch.nn.LSTM with converted weights reproduces lstm_src (only if torch is installed)


def test_torch_reproduces_lstm_src():
    torch = pytest.importorskip("torch")
    n_x, n_a, n_y, m, T_x = 3, 4, 5, 2, 6
    params, x, a0, y = random_problem(lstm, n_x, n_a, n_y, m, T_x, seed=11)
    a, y_hat, c, caches = lstm.lstm_forward(x, a0, params)
    grads = lstm.lstm_backward(y, caches)

    state, linear = convert.to_torch_lstm(params)
    rnn = torch.nn.LSTM(n_x, n_a, dtype=torch.float64)
    out = torch.nn.Linear(n_a, n_y, dtype=torch.float64)
    rnn.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    out.load_state_dict({k: torch.from_numpy(v) for k, v in linear.items()})

    xt = torch.tensor(convert.to_time_major(x), requires_grad=True)       # (T_x, m, n_x)
    h0 = torch.tensor(a0.T[None].copy(), requires_grad=True)              # (1, m, n_a)
    h, cell, hs, cs = h0, torch.zeros(1, m, n_a, dtype=torch.float64), [], []
    for t in range(T_x):                 # one step at a time, to see the cell state of every step
        o, (h, cell) = rnn(xt[t:t + 1], (h, cell))
        hs.append(o[0])
        cs.append(cell[0])
    log_p = torch.log_softmax(out(torch.stack(hs)), dim=-1)               # (T_x, m, n_y)
    loss = -(torch.from_numpy(convert.to_time_major(y)) * log_p).sum() / m
    loss.backward()

    def from_torch(v):
        return convert.from_time_major(v.detach().numpy())

    assert np.allclose(from_torch(torch.stack(hs)), a, rtol=0, atol=1e-12)
    assert np.allclose(from_torch(torch.stack(cs)), c, rtol=0, atol=1e-12)
    assert np.allclose(from_torch(log_p.exp()), y_hat, rtol=0, atol=1e-12)

    ours, ours_linear = convert.to_torch_lstm({k: grads["d" + k] for k in lstm.PARAM_NAMES})
    g = {k: v.grad.numpy() for k, v in rnn.named_parameters()}
    for key in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0"):
        assert np.allclose(g[key], ours[key], rtol=0, atol=1e-12), key
    # both biases get db
    assert np.allclose(g["bias_hh_l0"], ours["bias_ih_l0"], rtol=0, atol=1e-12)
    assert np.allclose(out.weight.grad.numpy(), ours_linear["weight"], rtol=0, atol=1e-12)
    assert np.allclose(out.bias.grad.numpy(), ours_linear["bias"], rtol=0, atol=1e-12)
    assert np.allclose(from_torch(xt.grad), grads["dx"], rtol=0, atol=1e-12)
    assert np.allclose(h0.grad[0].numpy().T, grads["da0"], rtol=0, atol=1e-12)
