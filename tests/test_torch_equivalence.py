"""The GRU and the deep, bidirectional, padded LSTM against PyTorch in
float64: same weights (through lstm_src.convert) -> same outputs, loss and
every gradient, <= 1e-9 relative."""
import numpy as np
import pytest

from lstm_src import convert, deep, gru
from lstm_src.gradcheck import random_problem, rel_error
from lstm_src.loss import cross_entropy

torch = pytest.importorskip("torch")
TOL = 1e-9


def _t(arr, grad=False):
    return torch.tensor(np.ascontiguousarray(arr), dtype=torch.float64,
                        requires_grad=grad)


@pytest.mark.parametrize("shape", [(3, 5, 4, 2, 6), (1, 1, 2, 1, 1),
                                   (4, 3, 3, 5, 3)])
def test_gru_matches_torch(shape):
    params, x, a0, y = random_problem(gru, *shape, seed=21)
    a, y_hat, caches = gru.gru_forward(x, a0, params)
    J = cross_entropy(y_hat, y)
    grads = gru.gru_backward(y, caches)

    gru_state, lin_state = convert.to_torch_gru(params)
    net = torch.nn.GRU(shape[0], shape[1]).double()
    lin = torch.nn.Linear(shape[1], shape[2]).double()
    net.load_state_dict({k: _t(v) for k, v in gru_state.items()})
    lin.load_state_dict({k: _t(v) for k, v in lin_state.items()})
    xt = _t(convert.to_time_major(x), grad=True)
    h0 = _t(a0.T[None], grad=True)
    out, _ = net(xt, h0)
    logits = lin(out)  # (T_x, m, n_y)
    labels = torch.tensor(y.argmax(axis=0).T)  # (T_x, m)
    Jt = torch.nn.functional.cross_entropy(
        logits.reshape(-1, shape[2]), labels.reshape(-1),
        reduction="sum") / shape[3]
    Jt.backward()

    assert rel_error(a, convert.from_time_major(out.detach().numpy())) < TOL
    assert abs(J - Jt.item()) <= TOL * abs(J)
    torch_grads = convert.from_torch_gru(
        {k: v.grad.numpy() for k, v in net.named_parameters()},
        {k: v.grad.numpy() for k, v in lin.named_parameters()})
    # torch's r and z biases are two copies of one sum: each gets the
    # gradient, and from_torch_gru adds them
    for g in ("r", "z"):
        torch_grads[f"b_{g}"] = torch_grads[f"b_{g}"] / 2
    errors = {k: rel_error(grads["d" + k], v) for k, v in torch_grads.items()}
    errors["dx"] = rel_error(grads["dx"],
                             convert.from_time_major(xt.grad.numpy()))
    errors["da0"] = rel_error(grads["da0"], h0.grad.numpy()[0].T)
    assert max(errors.values()) <= TOL, errors


def test_gru_conversion_round_trip():
    params = random_problem(gru, 3, 4, 2, 1, 1, seed=22)[0]
    back = convert.from_torch_gru(*convert.to_torch_gru(params))
    assert list(back) == list(params)
    for k in params:
        assert np.array_equal(back[k], params[k]), k


def _stack_problem(seed, n_x=3, n_a=4, m=4, T_x=6, num_layers=2,
                   bidirectional=True):
    rng = np.random.default_rng(seed)
    layers = deep.init_stack(n_x, n_a, num_layers, bidirectional, seed=seed)
    for row in layers:
        for p in row:
            for k in p:
                if k.startswith("b_"):
                    p[k] = rng.normal(0.0, 0.5, p[k].shape)
    D = 2 if bidirectional else 1
    LD = num_layers * D
    x = rng.normal(size=(n_x, m, T_x))
    a0 = rng.normal(0.0, 0.5, (LD, n_a, m))
    c0 = rng.normal(0.0, 0.5, (LD, n_a, m))
    w = rng.normal(size=(D * n_a, m, T_x))
    v, u = rng.normal(size=(LD, n_a, m)), rng.normal(size=(LD, n_a, m))
    return layers, x, a0, c0, (w, v, u)


@pytest.mark.parametrize("lengths", [[6, 2, 3, 1], [6, 6, 6, 6], None],
                         ids=["ragged", "full", "unpacked"])
def test_deep_bidirectional_padded_lstm_matches_torch(lengths):
    """J = sum(w * out) + sum(v * a_n) + sum(u * c_n) in both."""
    layers, x, a0, c0, (w, v, u) = _stack_problem(31)
    out, a_n, c_n, caches = deep.stack_forward(x, layers, lengths=lengths,
                                               a0=a0, c0=c0)
    J = np.sum(w * out) + np.sum(v * a_n) + np.sum(u * c_n)
    grads = deep.stack_backward(w, caches, da_n=v, dc_n=u)

    net = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True).double()
    net.load_state_dict({k: _t(s) for k, s in
                         convert.to_torch_lstm_stack(layers).items()})
    xt = _t(convert.to_time_major(x), grad=True)
    h0 = _t(a0.transpose(0, 2, 1), grad=True)
    k0 = _t(c0.transpose(0, 2, 1), grad=True)
    inp = xt
    if lengths is not None:
        inp = torch.nn.utils.rnn.pack_padded_sequence(
            xt, torch.tensor(lengths), enforce_sorted=False)
    o, (hn, cn) = net(inp, (h0, k0))
    if lengths is not None:
        o, _ = torch.nn.utils.rnn.pad_packed_sequence(o, total_length=6)
    Jt = ((_t(convert.to_time_major(w)) * o).sum()
          + (_t(v.transpose(0, 2, 1)) * hn).sum()
          + (_t(u.transpose(0, 2, 1)) * cn).sum())
    Jt.backward()

    errors = {
        "out": rel_error(out, convert.from_time_major(o.detach().numpy())),
        "a_n": rel_error(a_n, hn.detach().numpy().transpose(0, 2, 1)),
        "c_n": rel_error(c_n, cn.detach().numpy().transpose(0, 2, 1)),
        "J": abs(J - Jt.item()) / abs(J),
        "dx": rel_error(grads["dx"], convert.from_time_major(
            xt.grad.numpy())),
        "da0": rel_error(grads["da0"], h0.grad.numpy().transpose(0, 2, 1)),
        "dc0": rel_error(grads["dc0"], k0.grad.numpy().transpose(0, 2, 1)),
    }
    torch_grads = {k: p.grad.numpy() for k, p in net.named_parameters()}
    mine = convert.to_torch_lstm_stack(
        [[{n[1:]: g for n, g in d.items()} for d in row]
         for row in grads["layers"]])
    for k, g in mine.items():
        if k.startswith("bias_hh"):  # the book has one bias: bias_ih's
            continue
        errors[k] = rel_error(g, torch_grads[k])
    assert max(errors.values()) <= TOL, errors
    if lengths is not None and lengths[3] == 1:
        # a padded step receives no gradient
        assert not grads["dx"][:, 3, 1:].any()
