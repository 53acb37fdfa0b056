"""Correct answers to the questions that later questions build on, under the students' names.

When a later question's function calls the student's earlier one (``cell_forward`` calls
``gates``; ``lstm_backward`` calls ``cell_backward``), its checks run it with these in place of
the student's earlier answers (:func:`lstm_src.feedback._calling.with_correct`), so one slip costs
points once, on the question where it is made.

Each function here is self-contained: it uses only ``np`` and its arguments (no other function of
this module, nothing else of ``lstm_src``), so that its source alone can be compiled in the
process where a student's notebook runs. One exception: 06's ``tbptt_gradients`` imports the
LSTM the assignment gives (``lstm_src.lstm``) inside its body. Calling these from an answer
scores nothing, like any other reference.
"""

import numpy as np

# ------------------------------------------------------------------ 02_lstm_forward


def sigmoid(z):
    """σ(z) entry by entry, never exponentiating a positive number."""
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def softmax(z):
    """Softmax of each column of z (n_y, m)."""
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)


def gates(xt, a_prev, params):
    """(Γ_f, Γ_u, Γ_o, c̃), eq.1–8."""

    def z(g):
        return params[f"W_{g}a"].T @ a_prev + params[f"W_{g}x"].T @ xt + params[f"b_{g}"]

    def sig(v):
        e = np.exp(-np.abs(v))
        return np.where(v >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

    return sig(z("f")), sig(z("u")), sig(z("o")), np.tanh(z("c"))


def cell_update(gamma_f, gamma_u, gamma_o, c_tilde, c_prev):
    """(c, a), eq.9–10."""
    c = gamma_u * c_tilde + gamma_f * c_prev
    return c, np.tanh(c) * gamma_o


def cell_forward(xt, a_prev, c_prev, params):
    """(a, c, ŷ) of one LSTM step, eq.1–12."""

    def z(g):
        return params[f"W_{g}a"].T @ a_prev + params[f"W_{g}x"].T @ xt + params[f"b_{g}"]

    def sig(v):
        e = np.exp(-np.abs(v))
        return np.where(v >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

    c = sig(z("u")) * np.tanh(z("c")) + sig(z("f")) * c_prev
    a = np.tanh(c) * sig(z("o"))
    z_y = params["W_ya"].T @ a + params["b_y"]
    e = np.exp(z_y - np.max(z_y, axis=0, keepdims=True))
    return a, c, e / np.sum(e, axis=0, keepdims=True)


# ------------------------------------------------------------------ 03_lstm_backward


def softmax_ce_grad(y_hat, y):
    """∂J/∂z_y = (ŷ − y)/m for one step."""
    return (y_hat - y) / y.shape[1]


def sigmoid_gate_grads(dgamma, gamma, a_prev, xt):
    """(dz, dW_a, dW_x, db) back through Γ = σ(z)."""
    dz = dgamma * gamma * (1.0 - gamma)
    return dz, a_prev @ dz.T, xt @ dz.T, np.sum(dz, axis=1, keepdims=True)


def candidate_grads(dc_tilde, c_tilde, a_prev, xt):
    """(dz_c, dW_ca, dW_cx, db_c) back through c̃ = tanh(z_c)."""
    dz = dc_tilde * (1.0 - c_tilde * c_tilde)
    return dz, a_prev @ dz.T, xt @ dz.T, np.sum(dz, axis=1, keepdims=True)


def cell_backward(da, dc_next, cache):
    """The gradients of one LSTM step, eq.10 back to eq.1, as a dict."""
    k, p = cache, cache["params"]
    tanh_c = np.tanh(k["c"])
    dc = dc_next + da * k["gamma_o"] * (1.0 - tanh_c * tanh_c)
    dz = {
        "f": dc * k["c_prev"] * k["gamma_f"] * (1.0 - k["gamma_f"]),
        "u": dc * k["c_tilde"] * k["gamma_u"] * (1.0 - k["gamma_u"]),
        "o": da * tanh_c * k["gamma_o"] * (1.0 - k["gamma_o"]),
        "c": dc * k["gamma_u"] * (1.0 - k["c_tilde"] * k["c_tilde"]),
    }
    grads = {"da_prev": 0.0, "dx": 0.0}
    for g in "fuoc":
        grads[f"dW_{g}a"] = k["a_prev"] @ dz[g].T
        grads[f"dW_{g}x"] = k["x"] @ dz[g].T
        grads[f"db_{g}"] = np.sum(dz[g], axis=1, keepdims=True)
        grads["da_prev"] = grads["da_prev"] + p[f"W_{g}a"] @ dz[g]
        grads["dx"] = grads["dx"] + p[f"W_{g}x"] @ dz[g]
    grads["dc_prev"] = dc * k["gamma_f"]
    return grads


# ------------------------------------------------------------------ 04_rnn_bptt


def rnn_step(xt, a_prev, params):
    """(a, ŷ) of one RNN step."""
    a = np.tanh(params["W_aa"].T @ a_prev + params["W_ax"].T @ xt + params["b_a"])
    z = params["W_ya"].T @ a + params["b_y"]
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    return a, e / np.sum(e, axis=0, keepdims=True)


def rnn_step_backward(da, cache):
    """The gradients of one RNN step from the total gradient at a⟨t⟩."""
    p = cache["params"]
    dz = da * (1.0 - cache["a"] ** 2)
    return {
        "dW_aa": cache["a_prev"] @ dz.T,
        "dW_ax": cache["x"] @ dz.T,
        "db_a": np.sum(dz, axis=1, keepdims=True),
        "da_prev": p["W_aa"] @ dz,
        "dx": p["W_ax"] @ dz,
    }


# ------------------------------------------------------------------ 05_gru_backward


def output_grads(y_hat, y, a, W_ya):
    """(dW_ya, db_y, da) of one step's output layer, δz_y = (ŷ − y)/m."""
    dz = (y_hat - y) / y.shape[1]
    return a @ dz.T, np.sum(dz, axis=1, keepdims=True), W_ya @ dz


def interpolation_backward(da, gamma_z, n_tilde, a_prev):
    """(dgamma_z, dn_tilde, da_prev_direct) back through a = (1 − Γ_z)∘ñ + Γ_z∘a_prev."""
    return da * (a_prev - n_tilde), da * (1.0 - gamma_z), da * gamma_z


def gate_backward(dgamma, gamma, a_prev, xt):
    """(dz, dW_a, dW_x, db) back through Γ = σ(W_aᵀa_prev + W_xᵀx + b)."""
    dz = dgamma * gamma * (1.0 - gamma)
    return dz, a_prev @ dz.T, xt @ dz.T, np.sum(dz, axis=1, keepdims=True)


def candidate_backward(dn_tilde, cache):
    """Back through ñ = tanh(W_nxᵀx + b_n + Γ_r∘(W_naᵀa_prev + b_na)), as a dict."""
    dz_n = dn_tilde * (1.0 - cache["n_tilde"] ** 2)
    dh_n = dz_n * cache["gamma_r"]
    return {
        "dz_n": dz_n,
        "dgamma_r": dz_n * cache["h_n"],
        "dW_nx": cache["x"] @ dz_n.T,
        "db_n": np.sum(dz_n, axis=1, keepdims=True),
        "dW_na": cache["a_prev"] @ dh_n.T,
        "db_na": np.sum(dh_n, axis=1, keepdims=True),
        "da_prev_n": cache["params"]["W_na"] @ dh_n,
    }


def gru_step_backward(da, cache):
    """The gradients of one GRU step (PyTorch's form), as a dict."""
    k, p = cache, cache["params"]
    dgamma_z = da * (k["a_prev"] - k["n_tilde"])
    dz_n = da * (1.0 - k["gamma_z"]) * (1.0 - k["n_tilde"] ** 2)
    dh_n = dz_n * k["gamma_r"]
    g = {
        "dW_nx": k["x"] @ dz_n.T,
        "db_n": np.sum(dz_n, axis=1, keepdims=True),
        "dW_na": k["a_prev"] @ dh_n.T,
        "db_na": np.sum(dh_n, axis=1, keepdims=True),
    }
    da_prev = da * k["gamma_z"] + p["W_na"] @ dh_n
    dx = p["W_nx"] @ dz_n
    for gate, dgamma in (("r", dz_n * k["h_n"]), ("z", dgamma_z)):
        gamma = k[f"gamma_{gate}"]
        dz = dgamma * gamma * (1.0 - gamma)
        g[f"dW_{gate}a"], g[f"dW_{gate}x"] = k["a_prev"] @ dz.T, k["x"] @ dz.T
        g[f"db_{gate}"] = np.sum(dz, axis=1, keepdims=True)
        da_prev = da_prev + p[f"W_{gate}a"] @ dz
        dx = dx + p[f"W_{gate}x"] @ dz
    g["da_prev"], g["dx"] = da_prev, dx
    return g


# ------------------------------------------------------------------ 06_training


def adam_step(params, grads, state, lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam step with bias correction: (new_params, new_state)."""
    t = state["t"] + 1
    new_params, new_m, new_v = {}, {}, {}
    for name, theta in params.items():
        g = grads["d" + name]
        m = beta1 * state["m"][name] + (1 - beta1) * g
        v = beta2 * state["v"][name] + (1 - beta2) * g * g
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        new_params[name] = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        new_m[name], new_v[name] = m, v
    return new_params, {"m": new_m, "v": new_v, "t": t}


def clip_by_global_norm(grads, max_norm):
    """Every gradient times min(1, max_norm/‖g‖): (clipped, norm before)."""
    norm = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))
    scale = min(1.0, max_norm / norm) if norm > 0 else 1.0
    return {name: g * scale for name, g in grads.items()}, norm


def tbptt_gradients(x, y, a0, c0, params, T_w):
    """Truncated BPTT over windows of T_w steps: (grads_per_window, a_last, c_last)."""
    from lstm_src import lstm  # the given LSTM (this runs where the checks run)

    a, c, out = a0, c0, []
    for s in range(0, x.shape[2], T_w):
        a_all, _, c_all, caches = lstm.lstm_forward(x[:, :, s : s + T_w], a, params, c0=c)
        out.append(lstm.lstm_backward(y[:, :, s : s + T_w], caches))
        a, c = a_all[:, :, -1], c_all[:, :, -1]
    return out, a, c


#: For each assignment, the question whose function each later question may call.
EARLIER = {
    "02_lstm_forward": {
        "gates": ("sigmoid",),
        "cell_forward": ("sigmoid", "softmax", "gates", "cell_update"),
        "sequence_forward": ("sigmoid", "softmax", "gates", "cell_update", "cell_forward"),
    },
    "03_lstm_backward": {
        "cell_backward": ("softmax_ce_grad", "sigmoid_gate_grads", "candidate_grads"),
        "lstm_backward": (
            "softmax_ce_grad",
            "sigmoid_gate_grads",
            "candidate_grads",
            "cell_backward",
        ),
    },
    "04_rnn_bptt": {
        "rnn_step_backward": ("rnn_step",),
        "rnn_bptt": ("rnn_step", "rnn_step_backward"),
    },
    "05_gru_backward": {
        "gru_step_backward": ("interpolation_backward", "gate_backward", "candidate_backward"),
        "gru_bptt": (
            "output_grads",
            "interpolation_backward",
            "gate_backward",
            "candidate_backward",
            "gru_step_backward",
        ),
    },
    "06_training": {
        "train_char_model": ("adam_step", "clip_by_global_norm", "tbptt_gradients"),
    },
}


def earlier(assignment, name):
    """{earlier name: its correct function} for the question whose function is ``name``."""
    return {n: globals()[n] for n in EARLIER.get(assignment, {}).get(name, ())}
