"""Rule 'derive': a backward-pass answer must be derived, not differentiated
numerically.

What "derive" means, and how the checker tells (:mod:`grading.policy` lists the
questions): a backward function gets the upstream gradient and the cache its
forward pass left, and computes the gradients from them with the chain rule.
Numerical differentiation (central differences around a forward function,
lstm_src's or the student's own) and automatic differentiation (torch, jax,
...) instead run the forward pass again from the cache's inputs and parameters.
The checker asks every such answer, after its tests pass, for the gradients of
a **probe cache**: a real problem whose cached activations (the gates Γ_f, Γ_u,
Γ_o, the candidate c̃; for the RNN the hidden state a; for the GRU Γ_r, Γ_z
and the candidate ñ) are replaced by other valid values, with everything after
them (c, a, ŷ, the next step's a_prev and c_prev) recomputed from the new
values, so the cache is a consistent forward pass except that its gates are
not what its parameters give. (The GRU's recurrent term h_n = W_naᵀa⟨t−1⟩ +
b_na, affine with no activation, stays what the parameters give: an answer
may read it from the cache or recompute it.) The chain rule
applied to the cache gives the reference's gradients for it; anything that
re-runs the forward pass from the parameters gives the gradients of another
point, and the question scores 0 with the rule's message. The probe runs in the
checker and decides on the answer's values alone, so nothing in the student's
process can switch it off, and no number of perturbations or cleverness in
hiding the forward calls changes its outcome. (A backward pass that recomputes
the gates from the parameters instead of reading them from the cache fails it
too: the rule asks for the cache to be used.) The autodiff libraries are also
absent from the sandbox (an import fails with the rule's name).

A new kind of backward question adds a probe here (``@probe("kind")``: seed ->
args, the cache's gradients, the forward pass's gradients) and names it in
``policy.DERIVE``.
"""

import numpy as np

PROBES = {}
RULE = (
    "{q}: rule 'derive': {name} must compute the gradients from the "
    "upstream gradient and the cache with the chain rule; {why}. 0 points "
    "for {q}. (Numerical differentiation and automatic differentiation "
    "with torch, jax, autograd or tensorflow do not count as deriving; "
    "checking your result numerically in a cell of your own is fine.)"
)
PROBE_WHY = (
    "given a cache whose gate values are not the ones its parameters give, "
    "it {what} (it runs the forward pass again instead of using the cache)"
)
IMPORT_WHY = "it imported {lib}, an automatic differentiation library"


def probe(kind):
    def register(fn):
        PROBES[kind] = fn
        return fn

    return register


def _lstm_step(xt, a_prev, c_prev, p, rng):
    from lstm_src import layers, lstm

    n_a, m = a_prev.shape
    gates = {
        g: rng.uniform(0.1, 0.9, (n_a, m))
        for g in ("gamma_f", "gamma_u", "gamma_o")
    }
    c_tilde = rng.uniform(-0.9, 0.9, (n_a, m))
    c = lstm.cell_state(gates["gamma_f"], c_prev, gates["gamma_u"], c_tilde)
    a = lstm.hidden_state(c, gates["gamma_o"])
    y_hat = layers.output_layer_forward(p["W_ya"], p["b_y"], a)
    cache = {
        "x": xt,
        "a_prev": a_prev,
        "c_prev": c_prev,
        **gates,
        "c_tilde": c_tilde,
    }
    cache.update(c=c, a=a, y_hat=y_hat, params=p)
    return a, c, cache


def _rnn_step(xt, a_prev, p, rng):
    from lstm_src import layers

    a = rng.uniform(-0.9, 0.9, a_prev.shape)
    y_hat = layers.output_layer_forward(p["W_ya"], p["b_y"], a)
    return a, {"x": xt, "a_prev": a_prev, "a": a, "y_hat": y_hat, "params": p}


def _gru_step(xt, a_prev, p, rng):
    """A GRU step whose gates and candidate are drawn, not computed; h_n,
    the recurrent term (an affine value, no activation), stays what the
    parameters give, so an answer may read it or recompute it."""
    from lstm_src import gru, layers

    n_a, m = a_prev.shape
    gamma_r, gamma_z = rng.uniform(0.1, 0.9, (2, n_a, m))
    n_tilde = rng.uniform(-0.9, 0.9, (n_a, m))
    a = gru.gru_hidden_state(gamma_z, n_tilde, a_prev)
    y_hat = layers.output_layer_forward(p["W_ya"], p["b_y"], a)
    cache = {
        "x": xt,
        "a_prev": a_prev,
        "gamma_r": gamma_r,
        "gamma_z": gamma_z,
        "n_tilde": n_tilde,
        "h_n": p["W_na"].T @ a_prev + p["b_na"],
    }
    cache.update(a=a, y_hat=y_hat, params=p, form="torch")
    return a, cache


def _problem(module, seed):
    from lstm_src.feedback._problems import _problem as problem

    return problem(module, seed)


@probe("lstm_cell")
def _lstm_cell(seed):
    from lstm_src import lstm

    params, x, a0, _ = _problem(lstm, seed)
    rng = np.random.default_rng(seed)
    c0 = 0.5 * np.tanh(a0[::-1])
    _, _, cache = _lstm_step(x[:, :, 0], a0, c0, params, rng)
    da, dc_next = rng.normal(size=(2,) + a0.shape)
    real = lstm.lstm_cell_forward(x[:, :, 0], a0, c0, params)[3]
    return (
        (da, dc_next, cache),
        lstm.lstm_cell_backward(da, dc_next, cache),
        lstm.lstm_cell_backward(da, dc_next, real),
    )


@probe("lstm_sequence")
def _lstm_sequence(seed):
    from lstm_src import lstm

    params, x, a0, y = _problem(lstm, seed)
    rng = np.random.default_rng(seed)
    a, c, steps = a0, np.zeros_like(a0), []
    for t in range(x.shape[2]):
        a, c, cache = _lstm_step(x[:, :, t], a, c, params, rng)
        steps.append(cache)
    caches = {"steps": steps, "params": params}
    real = lstm.lstm_forward(x, a0, params)[-1]
    return (
        (y, caches),
        lstm.lstm_backward(y, caches),
        lstm.lstm_backward(y, real),
    )


@probe("rnn_cell")
def _rnn_cell(seed):
    from lstm_src import rnn

    params, x, a0, _ = _problem(rnn, seed)
    rng = np.random.default_rng(seed)
    _, cache = _rnn_step(x[:, :, 0], a0, params, rng)
    da = rng.normal(size=a0.shape)
    real = rnn.rnn_cell_forward(x[:, :, 0], a0, params)[2]
    return (
        (da, cache),
        rnn.rnn_cell_backward(da, cache),
        rnn.rnn_cell_backward(da, real),
    )


@probe("rnn_sequence")
def _rnn_sequence(seed):
    from lstm_src import rnn

    params, x, a0, y = _problem(rnn, seed)
    rng = np.random.default_rng(seed)
    a, steps = a0, []
    for t in range(x.shape[2]):
        a, cache = _rnn_step(x[:, :, t], a, params, rng)
        steps.append(cache)
    caches = {"steps": steps, "params": params}
    real = rnn.rnn_forward(x, a0, params)[-1]
    return (y, caches), rnn.rnn_backward(y, caches), rnn.rnn_backward(y, real)


def _gru_first_step(seed):
    """(probe cache, real cache, rng) of a GRU problem's first step."""
    from lstm_src import gru

    params, x, a0, _ = _problem(gru, seed)
    rng = np.random.default_rng(seed)
    _, cache = _gru_step(x[:, :, 0], a0, params, rng)
    return cache, gru.gru_cell_forward(x[:, :, 0], a0, params)[2], rng


@probe("gru_candidate")
def _gru_candidate(seed):
    from lstm_src import gru
    from lstm_src.feedback.gru_backward import _candidate_with

    cache, _, rng = _gru_first_step(seed)
    dn_tilde = rng.normal(size=cache["a"].shape)
    # the forward pass this question re-runs: the candidate, from the
    # cache's x, a_prev, Γ_r and parameters
    n_tilde = gru.candidate(
        cache["x"], cache["a_prev"], cache["gamma_r"], cache["params"]
    )[0]
    return (
        (dn_tilde, cache),
        _candidate_with(dn_tilde, cache),
        _candidate_with(dn_tilde, {**cache, "n_tilde": n_tilde}),
    )


@probe("gru_cell")
def _gru_cell(seed):
    from lstm_src import gru
    from lstm_src.feedback.gru_backward import STEP_KEYS

    cache, real, rng = _gru_first_step(seed)
    da = rng.normal(size=cache["a"].shape)

    def grads(k):
        g = gru.gru_cell_backward(da, k)
        return {key: g[key] for key in STEP_KEYS}

    return (da, cache), grads(cache), grads(real)


@probe("gru_sequence")
def _gru_sequence(seed):
    from lstm_src import gru

    params, x, a0, y = _problem(gru, seed)
    rng = np.random.default_rng(seed)
    a, steps = a0, []
    for t in range(x.shape[2]):
        a, cache = _gru_step(x[:, :, t], a, params, rng)
        steps.append(cache)
    caches = {"steps": steps, "params": params}
    real = gru.gru_forward(x, a0, params)[-1]
    return (y, caches), gru.gru_backward(y, caches), gru.gru_backward(y, real)


def check(fn, kind, q, name, seed=7):
    """None when ``fn`` (a proxy, with the correct earlier answers) derives
    its gradients from the probe cache; else the rule's message. Exceptions
    of the call propagate."""
    from lstm_src.feedback._reports import check_grads_ok

    args, want, forward = PROBES[kind](seed)
    got = fn(*args)
    if (
        isinstance(got, dict)
        and all(k in got for k in want)
        and check_grads_ok(got, want)
    ):
        return None
    if (
        isinstance(got, dict)
        and all(k in got for k in forward)
        and check_grads_ok(got, forward)
    ):
        what = "returned the gradients of the forward pass its parameters give"
    else:
        what = "did not return the chain rule's gradients for that cache"
    return RULE.format(q=q, name=name, why=PROBE_WHY.format(what=what))


def import_message(q, name, flags):
    """The rule's message when ``flags`` say an autodiff library was
    imported, else None."""
    for f in flags:
        if (
            isinstance(f, str)
            and f.startswith("tried to import ")
            and "rule 'derive'" in f
        ):
            lib = f.split()[3]
            return RULE.format(q=q, name=name, why=IMPORT_WHY.format(lib=lib))
    return None
