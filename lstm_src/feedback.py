r"""Diagnostic feedback for the graded exercises in ``exercises/``.

Every ``check_*`` function runs a student's function on several random
shapes (the sizes n_x, n_a, n_y and m all differ, so a missing transpose
cannot hide), compares the result with this package's reference, and raises
:class:`AssertionError` with a message that says *what* is wrong: which
output, expected versus received shape, which gradients are off and which
gate or equation to revisit, and the usual slips it recognises (a transpose,
a factor m, a sign, two gates swapped, the t+1 component dropped). The otter
test files of the exercises call these functions, so they stay one line long.

``seeds`` chooses the random problems: public tests use a couple, hidden
tests more, plus edge cases (m = 1, T_x = 1, extreme logits).
"""
import warnings

import numpy as np

from . import activations, lstm, rnn
from .gradcheck import random_problem, rel_error
from .loss import softmax_cross_entropy_backward

__all__ = [
    "random_sizes", "check_array", "check_grads",
    "check_dot_gradient", "check_elementwise_jacobian", "check_hadamard_jacobians",
    "check_linear_map_gradients", "check_finite_difference_jacobian",
    "check_sigmoid", "check_softmax", "check_gates", "check_cell_update", "check_cell_forward",
    "check_sequence_forward",
    "check_softmax_ce_grad", "check_sigmoid_gate_grads", "check_candidate_grads",
    "check_cell_backward", "check_lstm_backward", "check_gradient_check",
    "check_rnn_step", "check_rnn_step_backward", "check_rnn_bptt", "check_hidden_jacobian",
]

TOL = 1e-6

#: What to revisit when one block of gradients is off (book notation, equations of Part II).
GATE_HINTS = {
    "f": "revisit ∂Γ_f/∂z_f = Γ_f∘(1−Γ_f) (eq.2) and ∂c⟨t⟩/∂Γ_f = c⟨t−1⟩ (eq.9)",
    "u": "revisit ∂Γ_u/∂z_u = Γ_u∘(1−Γ_u) (eq.4) and ∂c⟨t⟩/∂Γ_u = c̃⟨t⟩ (eq.9)",
    "o": "revisit ∂Γ_o/∂z_o = Γ_o∘(1−Γ_o) (eq.6) and ∂a⟨t⟩/∂Γ_o = tanh(c⟨t⟩) (eq.10)",
    "c": "revisit ∂c̃/∂z_c = 1 − c̃∘c̃ (eq.8) and ∂c⟨t⟩/∂c̃ = Γ_u (eq.9)",
    "a": "revisit ∂a⟨t⟩/∂z = 1 − a⟨t⟩∘a⟨t⟩ (the tanh) and the trace trick ∇_W J = input · δzᵀ",
    "y": "revisit the output layer: ∂J/∂z_y = (ŷ − y)/m (eq.11–12)",
}


def _fail(message):
    raise AssertionError(message)


def random_sizes(seed):
    """Sizes of one random problem: n_x, n_a, n_y, m all different, T_x in 2..4."""
    rng = np.random.default_rng(seed)
    n_x, n_a, n_y, m = (int(v) for v in rng.permutation([2, 3, 4, 5, 6])[:4])
    return dict(n_x=n_x, n_a=n_a, n_y=n_y, m=m, T_x=int(rng.integers(2, 5)))


def _problem(module, seed, **override):
    """Random parameters (non-zero biases), x (n_x, m, T_x), a0 (n_a, m) and one-hot y."""
    return random_problem(module, **{**random_sizes(seed), **override}, seed=1000 + seed)


def _call(fn, name, *args, strict=False):
    """Call the student's function; a missing definition, an exception or None become feedback.

    With ``strict``, an overflow or division by zero inside it is an error too.
    """
    if fn is None or not callable(fn):
        _fail(f"{name} is not defined: run the cell that defines it.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error" if strict else "ignore", RuntimeWarning)
            with np.errstate(**({"over": "raise", "invalid": "raise", "divide": "raise"} if strict else {})):
                out = fn(*args)
    except (FloatingPointError, RuntimeWarning) as exc:
        _fail(f"{name} overflowed ({exc}) for large inputs: keep every exponent <= 0 "
              "(exp(-|z|) for σ; subtract each column's maximum before exp for softmax).")
    except Exception as exc:
        _fail(f"{name} raised {type(exc).__name__}: {exc}")
    if out is None:
        _fail(f"{name} returned None: finish the function (replace the ... with your code).")
    return out


def _unpack(out, name, names):
    """Check that ``out`` is a tuple of len(names) things."""
    if not isinstance(out, (tuple, list)) or len(out) != len(names):
        _fail(f"{name} should return {len(names)} values ({', '.join(names)}); "
              f"got {type(out).__name__}" + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else ""))
    return out


def _diagnose(label, got, want, tol=TOL, m=None):
    """None if ``got`` matches ``want``, else a sentence saying how it differs."""
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return f"{label} should be a numeric array; got {type(got).__name__}"
    if got.shape != want.shape:
        msg = f"{label}: expected shape {want.shape}, got {got.shape}"
        if want.ndim == 2 and got.shape == want.shape[::-1]:
            msg += " (the transpose's shape: check which factor of the product is transposed)"
        elif want.ndim == 2 and want.shape[1] == 1 and got.ndim == 2 and got.shape[0] == want.shape[0]:
            msg += " (a bias gradient sums δz over the batch: np.sum(..., axis=1, keepdims=True))"
        return msg
    if not np.all(np.isfinite(got)):
        return f"{label} contains nan or inf"
    err = rel_error(got, want)
    if err <= tol:
        return None
    if want.ndim == 2 and want.shape[0] == want.shape[1] and rel_error(got, want.T) <= tol:
        return f"{label} is the transpose of the right answer: check which factor is transposed"
    denom = float(np.sum(want * want))
    if denom > 0:
        k = float(np.sum(got * want)) / denom
        if abs(k) > 1e-8 and rel_error(got, k * want) <= tol:
            if m is not None and abs(k - m) < 1e-6 * m:
                return (f"{label} is m = {m} times the right answer: J averages over the batch, "
                        "so divide by m instead of summing")
            if m is not None and abs(k - 1.0 / m) < 1e-6:
                return f"{label} is 1/m = 1/{m} of the right answer: you divided by m twice"
            return f"{label} is {k:.4g} times the right answer (a missing or extra factor or sign)"
    return f"{label} is off (relative error {err:.2g})"


def check_array(label, got, want, tol=TOL, m=None):
    """Raise AssertionError with a diagnostic unless ``got`` matches ``want``."""
    msg = _diagnose(label, got, want, tol, m)
    if msg:
        _fail(msg)


def _gate_of(key):
    """'dW_fa' -> 'f', 'db_u' -> 'u', 'dW_ya' -> 'y', 'dW_aa' -> 'a'; None for dx, da_prev, ..."""
    if key.startswith("dW_") or key.startswith("db_"):
        return key[3]
    return None


def check_grads(got, want, context="", m=None, tol=TOL):
    """Compare a dict of gradients with the reference and explain which are off.

    Names the wrong gradients grouped by gate, the gates that are right, and
    what to revisit; recognises two gates swapped and a missing σ′ in every
    sigmoid gate.
    """
    if not isinstance(got, dict):
        _fail(f"expected a dict of gradients with keys {', '.join(want)}; got {type(got).__name__}")
    missing = [k for k in want if k not in got]
    if missing:
        _fail(f"the gradients dict is missing {', '.join(missing)}")
    problems = {k: _diagnose(k, got[k], want[k], tol, m) for k in want}
    wrong = [k for k, v in problems.items() if v]
    if not wrong:
        return
    where = f" ({context})" if context else ""
    if m is not None and all("m = " in problems[k] for k in wrong) and len(wrong) > 2:
        _fail(f"every gradient is m = {m} times the right one{where}: J averages over the batch, so "
              "∂J/∂z_y = (ŷ − y)/m; summing over the batch instead of averaging multiplies everything by m")
    shape_msgs = [problems[k] for k in wrong if "shape" in problems[k]]
    if shape_msgs:
        _fail("; ".join(shape_msgs) + where)
    gates = list(dict.fromkeys(g for g in map(_gate_of, want) if g))
    bad = [g for g in gates if any(_gate_of(k) == g for k in wrong)]
    good = [g for g in gates if g not in bad]
    # two gates swapped: each one's gradient equals the other's reference
    for i, g in enumerate(bad):
        for h in bad[i + 1:]:
            kg, kh = f"dW_{g}a", f"dW_{h}a"
            if kg in got and kh in got and np.shape(got[kg]) == want[kh].shape \
                    and rel_error(got[kg], want[kh]) <= tol and rel_error(got[kh], want[kg]) <= tol:
                _fail(f"your gradients of gates {g} and {h} are swapped{where}: dW_{g}a equals the right "
                      f"dW_{h}a and the other way round; check which gate value (Γ_{g} or Γ_{h}) each "
                      "backward step uses")
    details = "; ".join(problems[k] for k in wrong)
    if set(bad) >= {"f", "u", "o"} and "c" in good:
        _fail(f"the gradients of all three sigmoid gates (f, u, o) are off while the candidate's are "
              f"right{where}: check the σ′ factor ∂Γ/∂z = Γ∘(1−Γ) (eq.2, 4, 6). Details: {details}")
    if bad:
        names = ", ".join(k for k in wrong if _gate_of(k) in bad)
        right = f" while the {', '.join(good)} gradients are right" if good else ""
        hints = "; ".join(f"for {g}: {GATE_HINTS[g]}" for g in bad if g in GATE_HINTS)
        _fail(f"{names} {'is' if len(wrong) == 1 else 'are'} off{right}{where}: {hints}. Details: {details}")
    _fail(f"{', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} off while every weight gradient is right"
          f"{where}: check how the gradient is passed back to the inputs (W δz summed over the blocks). "
          f"Details: {details}")


# ------------------------------------------------------ 1. matrix calculus


def _columns(seed, size, count):
    """``count`` random columns of length random_sizes(seed)[size] + 1."""
    n = random_sizes(seed)[size] + 1
    return n, list(np.random.default_rng(seed).normal(size=(count, n, 1)))


def check_dot_gradient(fn, seeds=(0, 1)):
    """``fn(a, b) -> (jac, grad)`` for s = aᵀb: jac = ∂s/∂a (1, n) a row, grad = ∇_a s (n, 1)."""
    for seed in seeds:
        n, (a, b) = _columns(seed, "n_a", 2)
        jac, grad = _unpack(_call(fn, "dot_gradient", a, b), "dot_gradient", ("jac", "grad"))
        if np.shape(jac) == (n, 1):
            _fail(f"jac: expected shape (1, {n}), got {np.shape(jac)}: the Jacobian of a scalar with "
                  "respect to a column is a row (numerator layout); the gradient is its transpose")
        for label, got, want in (("jac = ∂s/∂a", jac, b.T), ("grad = ∇_a s", grad, b)):
            if np.shape(got) == want.shape and rel_error(got, a.reshape(want.shape)) <= TOL:
                _fail(f"{label} equals a: differentiating aᵀb = Σ a_i b_i by a_i leaves b_i")
            check_array(label, got, want)


def check_elementwise_jacobian(fn, seeds=(0, 1)):
    """``fn(z) -> J`` (n, n), the Jacobian of h = σ(z) for a column z: diag(σ(z)(1 − σ(z)))."""
    for seed in seeds:
        n, (z,) = _columns(seed, "n_x", 1)
        z = 2.0 * z
        s = activations.sigmoid(z).ravel()
        got = _call(fn, "elementwise_jacobian", z)
        if np.shape(got) in ((n, 1), (n,)):
            _fail(f"expected shape ({n}, {n}), got {np.shape(got)}: the Jacobian of a function of a vector "
                  "of size n is n × n; an element-wise function's Jacobian is diag(σ′(z))")
        got = np.asarray(got, dtype=float)
        if got.shape == (n, n) and np.max(np.abs(got - np.diag(np.diag(got)))) > TOL:
            _fail("the entries off the diagonal should be 0: h_i = σ(z_i) depends on z_i only")
        if got.shape == (n, n) and rel_error(got, np.diag(s)) <= TOL:
            _fail("your diagonal holds σ(z): the derivative is σ′(z) = σ(z)(1 − σ(z))")
        check_array("the Jacobian ∂σ(z)/∂z", got, np.diag(s * (1 - s)))


def check_hadamard_jacobians(fn, seeds=(0, 1)):
    """``fn(u, v) -> (J_u, J_v)``: the Jacobians of u∘v, diag(v) and diag(u)."""
    for seed in seeds:
        n, (u, v) = _columns(seed, "m", 2)
        J_u, J_v = _unpack(_call(fn, "hadamard_jacobians", u, v), "hadamard_jacobians", ("J_u", "J_v"))
        if np.shape(J_u) == (n, n) and rel_error(J_u, np.diag(u.ravel())) <= TOL:
            _fail("J_u = diag(u) is swapped: u∘v changes with u_i at the rate v_i, so ∂(u∘v)/∂u = diag(v)")
        check_array("J_u = ∂(u∘v)/∂u", J_u, np.diag(v.ravel()))
        check_array("J_v = ∂(u∘v)/∂v", J_v, np.diag(u.ravel()))


def check_linear_map_gradients(fn, seeds=(0, 1)):
    """``fn(dz, W, a) -> (dW, da)`` for z = Wᵀa: dW = a dzᵀ (n, k), da = W dz (n, m)."""
    for seed in seeds:
        s = random_sizes(seed)
        rng = np.random.default_rng(seed)
        n, k, m = s["n_x"], s["n_a"], s["m"]
        W, a, dz = rng.normal(size=(n, k)), rng.normal(size=(n, m)), rng.normal(size=(k, m))
        dW, da = _unpack(_call(fn, "linear_map_gradients", dz, W, a), "linear_map_gradients", ("dW", "da"))
        check_array("dW (z = Wᵀa, so dW = a · dzᵀ)", dW, a @ dz.T)
        check_array("da (da = W · dz)", da, W @ dz)


def _fd_cases(seed):
    rng = np.random.default_rng(seed)
    s = random_sizes(seed)
    A = rng.normal(size=(s["n_x"], s["n_a"]))
    x = rng.normal(size=(s["n_x"], 1))
    d = 1.0 - np.tanh(A.T @ x).ravel() ** 2
    yield "f(x) = tanh(Aᵀx)", (lambda v: np.tanh(A.T @ v)), x, d[:, None] * A.T
    w = rng.normal(size=(s["n_y"], 1))
    yield "f(x) = exp(x) ∘ w", (lambda v: np.exp(v) * w), w.copy(), np.diag((np.exp(w) * w).ravel())


def check_finite_difference_jacobian(fn, seeds=(0, 1)):
    """``fn(f, x, h=1e-5) -> J``, centred differences in numerator layout (len f, len x)."""
    for seed in seeds:
        for label, f, x, want in _fd_cases(seed):
            x0 = x.copy()
            got = _call(fn, "finite_difference_jacobian", f, x)
            if not np.array_equal(x, x0):
                _fail("finite_difference_jacobian changed x: perturb a copy, or put each entry back")
            got_arr = np.asarray(got, dtype=float)
            if got_arr.shape == want.shape[::-1] and want.shape[0] != want.shape[1]:
                _fail(f"for {label}: expected shape {want.shape}, got {got_arr.shape}: numerator layout puts "
                      "∂f_i/∂x_j in row i, column j (len f rows)")
            if got_arr.shape == want.shape and 1e-7 < rel_error(got_arr, want) < 1e-3:
                _fail(f"for {label}: close but off by {rel_error(got_arr, want):.1g} — about h: a one-sided "
                      "difference; use the centred (f(x + h e_j) − f(x − h e_j)) / 2h")
            check_array(f"the Jacobian of {label}", got, want, tol=1e-7)


# ------------------------------------------------------ 2. LSTM forward


def check_sigmoid(fn, seeds=(0, 1), extreme=False):
    """``fn(z)`` element-wise on any shape; with ``extreme``, logits of ±1000 without overflow."""
    for seed in seeds:
        s = random_sizes(seed)
        z = 3.0 * np.random.default_rng(seed).normal(size=(s["n_a"], s["m"]))
        check_array(f"sigmoid(z) for z of shape {z.shape}", _call(fn, "sigmoid", z), activations.sigmoid(z))
    if extreme:
        z = np.array([[-1000.0, -30.0, 0.0, 30.0, 1000.0]])
        check_array("sigmoid of [-1000, -30, 0, 30, 1000]", _call(fn, "sigmoid", z, strict=True),
                    activations.sigmoid(z))


def check_softmax(fn, seeds=(0, 1), extreme=False):
    """``fn(z)`` column-wise (axis 0); with ``extreme``, logits of 1000 stay finite."""
    cases = []
    for seed in seeds:
        s = random_sizes(seed)
        cases.append(np.random.default_rng(seed).normal(size=(s["n_y"], s["m"])))
    if extreme:
        cases.append(np.array([[1000.0, -1000.0, 0.0], [999.0, -1001.0, 1.0], [0.0, 0.0, 2.0]]))
    for z in cases:
        got = np.asarray(_call(fn, "softmax", z, strict=extreme), dtype=float)
        want = activations.softmax(z, axis=0)
        if got.shape == want.shape and np.all(np.isfinite(got)) and rel_error(got, activations.softmax(z, 1)) <= TOL:
            _fail("your softmax normalises each row; each column is one example and must sum to 1 (axis=0)")
        if got.shape == want.shape and not np.all(np.isfinite(got)):
            _fail("softmax gave nan or inf for large logits: subtract each column's maximum before exp")
        check_array(f"softmax(z) for z of shape {z.shape}", got, want)


_GATE_NAMES = ("gamma_f", "gamma_u", "gamma_o", "c_tilde")
_GATE_EQ = {"gamma_f": "Γ_f = σ(W_faᵀa + W_fxᵀx + b_f) (eq.1–2)", "gamma_u": "Γ_u (eq.3–4)",
            "gamma_o": "Γ_o (eq.5–6)", "c_tilde": "c̃ = tanh(W_caᵀa + W_cxᵀx + b_c) (eq.7–8)"}


def _ref_step(params, x, a0, c0=None):
    c0 = np.zeros_like(a0) if c0 is None else c0
    return lstm.lstm_cell_forward(x[:, :, 0], a0, c0, params)


def check_gates(fn, seeds=(0, 1)):
    """``fn(xt, a_prev, params) -> (gamma_f, gamma_u, gamma_o, c_tilde)``, eq.1–8."""
    for seed in seeds:
        params, x, a0, _ = _problem(lstm, seed)
        cache = _ref_step(params, x, a0)[3]
        got = _unpack(_call(fn, "gates", x[:, :, 0], a0, params), "gates", _GATE_NAMES)
        want = [cache[k] for k in _GATE_NAMES]
        wrong = [i for i in range(4) if _diagnose(_GATE_NAMES[i], got[i], want[i])]
        for i in wrong:
            for j in range(4):
                if j != i and np.shape(got[i]) == want[j].shape and rel_error(got[i], want[j]) <= TOL:
                    _fail(f"your {_GATE_NAMES[i]} equals the right {_GATE_NAMES[j]}: two gates are swapped; "
                          f"{_GATE_NAMES[i]} uses the parameters W_{_GATE_NAMES[i][-1]}a, W_{_GATE_NAMES[i][-1]}x, "
                          f"b_{_GATE_NAMES[i][-1]}")
        if 3 in wrong and np.shape(got[3]) == want[3].shape:
            z_c = np.arctanh(np.clip(want[3], -1 + 1e-15, 1 - 1e-15))
            if rel_error(got[3], activations.sigmoid(z_c)) <= TOL:
                _fail("c_tilde uses σ; the candidate uses tanh (eq.8), so its values lie in (−1, 1)")
        for i in wrong:
            _fail(_diagnose(_GATE_NAMES[i], got[i], want[i]) + f": revisit {_GATE_EQ[_GATE_NAMES[i]]}")


def check_cell_update(fn, seeds=(0, 1)):
    """``fn(gamma_f, gamma_u, gamma_o, c_tilde, c_prev) -> (c, a)``, eq.9–10."""
    for seed in seeds:
        s = random_sizes(seed)
        rng = np.random.default_rng(seed)
        g_f, g_u, g_o = (activations.sigmoid(rng.normal(size=(s["n_a"], s["m"]))) for _ in range(3))
        c_tilde, c_prev = np.tanh(rng.normal(size=(2, s["n_a"], s["m"])))
        c, a = _unpack(_call(fn, "cell_update", g_f, g_u, g_o, c_tilde, c_prev), "cell_update", ("c", "a"))
        want_c = lstm.cell_state(g_f, c_prev, g_u, c_tilde)
        if np.shape(c) == want_c.shape and rel_error(c, g_f * c_tilde + g_u * c_prev) <= TOL:
            _fail("c: Γ_f and Γ_u are swapped; the forget gate scales the old cell state c⟨t−1⟩ and the "
                  "update gate scales the candidate c̃ (eq.9)")
        check_array("c (eq.9: c = Γ_u∘c̃ + Γ_f∘c⟨t−1⟩)", c, want_c)
        want_a = lstm.hidden_state(want_c, g_o)
        if np.shape(a) == want_a.shape and rel_error(a, want_c * g_o) <= TOL:
            _fail("a = c∘Γ_o is missing the tanh: a⟨t⟩ = tanh(c⟨t⟩)∘Γ_o (eq.10)")
        check_array("a (eq.10: a = tanh(c)∘Γ_o)", a, want_a)


def check_cell_forward(fn, seeds=(0, 1)):
    """``fn(xt, a_prev, c_prev, params) -> (a, c, y_hat)``, eq.1–12 for one step."""
    for seed in seeds:
        params, x, a0, _ = _problem(lstm, seed)
        c0 = 0.5 * np.tanh(a0[::-1])
        a, c, y_hat, _ = _ref_step(params, x, a0, c0)
        got = _unpack(_call(fn, "cell_forward", x[:, :, 0], a0, c0, params), "cell_forward", ("a", "c", "y_hat"))
        check_array("c⟨t⟩ (eq.9)", got[1], c)
        check_array("a⟨t⟩ (eq.10)", got[0], a)
        check_array("ŷ⟨t⟩ = softmax(W_yaᵀa⟨t⟩ + b_y) (eq.11–12)", got[2], y_hat)


def check_sequence_forward(fn, seeds=(0, 1), T_x=None):
    """``fn(x, a0, params) -> (a, y_hat, c)``, each with time as the last axis."""
    for seed in seeds:
        params, x, a0, _ = _problem(lstm, seed, **({"T_x": T_x} if T_x else {}))
        want = lstm.lstm_forward(x, a0, params)[:3]
        got = _unpack(_call(fn, "sequence_forward", x, a0, params), "sequence_forward", ("a", "y_hat", "c"))
        for label, g, w in zip(("a", "y_hat", "c"), got, want):
            msg = _diagnose(label, g, w)
            if msg and np.shape(g) == w.shape:
                steps = [t + 1 for t in range(w.shape[2]) if _diagnose(label, np.asarray(g)[:, :, t], w[:, :, t])]
                if steps[0] > 1:
                    _fail(f"{label} is right at step 1 but off from step {steps[0]} on: check what carries "
                          "over between steps: pass a⟨t⟩ and c⟨t⟩ on to the next step, and check the term "
                          "Γ_f∘c⟨t−1⟩ of eq.9 (it is zero at step 1, where c⟨0⟩ = 0)")
                _fail(f"{label} is off at steps {steps}: revisit the cell (eq.1–12) and the initial c⟨0⟩ = 0")
            if msg:
                _fail(msg + f" (shape (n, m, T_x) with n = {w.shape[0]}, m = {w.shape[1]}, T_x = {w.shape[2]})")


# ------------------------------------------------------ 3. LSTM backward


def check_softmax_ce_grad(fn, seeds=(0, 1)):
    """``fn(y_hat, y) -> dz_y`` = (ŷ − y)/m, the gradient of J at the logits."""
    for seed in seeds:
        params, x, a0, y = _problem(lstm, seed)
        y_hat = lstm.lstm_forward(x, a0, params)[1][:, :, 0]
        got = _call(fn, "softmax_ce_grad", y_hat, y[:, :, 0])
        check_array("dz_y = ∂J/∂z_y", got, softmax_cross_entropy_backward(y_hat, y[:, :, 0]), m=y.shape[1])


def _gate_setup(seed):
    params, x, a0, y = _problem(lstm, seed)
    cache = _ref_step(params, x, a0)[3]
    dgamma = np.random.default_rng(seed).normal(size=a0.shape)
    return cache, dgamma


def _check_block_grads(fn, name, reference, value_key, deriv_hint, seeds):
    """Shared by the sigmoid-gate and candidate questions: fn returns (dz, dW_a, dW_x, db)."""
    names = ("dz", "dW_a", "dW_x", "db")
    for seed in seeds:
        k, dgamma = _gate_setup(seed)
        want = reference(dgamma, k[value_key], k["a_prev"], k["x"])
        got = _unpack(_call(fn, name, dgamma, k[value_key], k["a_prev"], k["x"]), name, names)
        if np.shape(got[0]) == want[0].shape and rel_error(got[0], dgamma) <= TOL:
            _fail(f"dz equals the incoming gradient: the derivative factor is missing, {deriv_hint}")
        for n, g, w in zip(names, got, want):
            check_array(n, g, w)


def check_sigmoid_gate_grads(fn, seeds=(0, 1)):
    """``fn(dgamma, gamma, a_prev, xt) -> (dz, dW_a, dW_x, db)`` for Γ = σ(W_aᵀa + W_xᵀx + b)."""
    _check_block_grads(fn, "sigmoid_gate_grads", lstm.sigmoid_gate_backward, "gamma_f",
                       "σ′: ∂Γ/∂z = Γ∘(1−Γ) (eq.2)", seeds)


def check_candidate_grads(fn, seeds=(0, 1)):
    """``fn(dc_tilde, c_tilde, a_prev, xt) -> (dz_c, dW_ca, dW_cx, db_c)`` for c̃ = tanh(z_c)."""
    _check_block_grads(fn, "candidate_grads", lstm.candidate_backward, "c_tilde",
                       "tanh′: ∂c̃/∂z_c = 1 − c̃∘c̃ (eq.8)", seeds)


def check_cell_backward(fn, seeds=(0, 1)):
    """``fn(da, dc_next, cache) -> grads`` for one step, as :func:`lstm_src.lstm.lstm_cell_backward`."""
    for seed in seeds:
        params, x, a0, _ = _problem(lstm, seed)
        cache = _ref_step(params, x, a0, 0.5 * np.tanh(a0[::-1]))[3]
        rng = np.random.default_rng(seed)
        da, dc_next = rng.normal(size=(2,) + a0.shape)
        want = lstm.lstm_cell_backward(da, dc_next, cache)
        got = _call(fn, "cell_backward", da, dc_next, cache)
        if isinstance(got, dict) and all(k in got for k in want) and not check_grads_ok(got, want) \
                and check_grads_ok(got, lstm.lstm_cell_backward(da, np.zeros_like(dc_next), cache)):
            _fail("your gradients are those of dc_next = 0: you dropped the t+1 component of ∂J/∂c⟨t⟩; "
                  "add dc_next to the part that comes through a⟨t⟩ = tanh(c⟨t⟩)∘Γ_o")
        check_grads(got, want, context="one cell, eq.10 back to eq.1")


def check_grads_ok(got, want, tol=TOL):
    """True when every gradient in ``want`` is matched by ``got`` (no message)."""
    return all(not _diagnose(k, got.get(k), want[k], tol) for k in want)


def _check_sequence_grads(fn, name, module, forward, backward, seeds, T_x):
    for seed in seeds:
        params, x, a0, y = _problem(module, seed, **({"T_x": T_x} if T_x else {}))
        caches = forward(x, a0, params)[-1]
        want = backward(y, caches)
        got = _call(fn, name, y, caches)
        if isinstance(got, dict) and all(k in got for k in want) and not check_grads_ok(got, want):
            p1, x1, a1, y1 = _problem(module, seed, T_x=1)
            caches1 = forward(x1, a1, p1)[-1]
            got1 = _call(fn, name, y1, caches1)
            if isinstance(got1, dict) and check_grads_ok(got1, backward(y1, caches1)):
                late = _diagnose("dx at the last step", np.asarray(got["dx"])[:, :, -1], want["dx"][:, :, -1])
                _fail("your gradients are right for a single time step but off over several"
                      + (" (dx is right at the last step and off before it)" if not late else "")
                      + ": the t+1 component is missing or wrong — ∂J/∂a⟨t⟩ (and ∂J/∂c⟨t⟩ for the LSTM) "
                      "also receives what step t+1 sends back (da_prev, dc_prev of the step after), and "
                      "each weight gradient sums over all steps")
        check_grads(got, want, context=f"whole sequence, T_x = {x.shape[2]}", m=y.shape[1])


def check_lstm_backward(fn, seeds=(0, 1), T_x=None):
    """``fn(y, caches) -> grads`` as :func:`lstm_src.lstm.lstm_backward`."""
    _check_sequence_grads(fn, "lstm_backward", lstm, lstm.lstm_forward, lstm.lstm_backward, seeds, T_x)


def check_gradient_check(fn, seeds=(0,)):
    """``fn(forward, backward, x, a0, y, params, name) -> float``, the relative error of d<name>."""
    def broken(y, caches):
        grads = lstm.lstm_backward(y, caches)
        grads["dW_ox"] = 1.1 * grads["dW_ox"]
        return grads

    for seed in seeds:
        params, x, a0, y = _problem(lstm, seed, T_x=2)
        saved = {k: v.copy() for k, v in params.items()}
        for name in ("W_ox", "b_f"):
            err = _call(fn, "gradient_check", lstm.lstm_forward, lstm.lstm_backward, x, a0, y, params, name)
            if any(not np.array_equal(params[k], saved[k]) for k in params):
                _fail("gradient_check changed params: put each perturbed entry back after evaluating J")
            if not np.isscalar(err) and np.size(err) != 1:
                _fail(f"gradient_check should return one number (a relative error); got shape {np.shape(err)}")
            if not float(err) < 1e-6:
                _fail(f"gradient_check returned {float(err):.3g} for the correct lstm_backward and d{name}: "
                      "J must be cross_entropy(y_hat, y) of lstm_forward, and the difference centred, "
                      "(J(θ + h) − J(θ − h)) / 2h")
        err = _call(fn, "gradient_check", lstm.lstm_forward, broken, x, a0, y, params, "W_ox")
        if not float(err) > 1e-3:
            _fail(f"gradient_check returned {float(err):.3g} for a backward pass whose dW_ox is 10% too "
                  "large: it should compare backward's dW_ox with the numerical gradient")
        rp, rx, ra, ry = _problem(rnn, seed, T_x=2)
        err = _call(fn, "gradient_check", rnn.rnn_forward, rnn.rnn_backward, rx, ra, ry, rp, "W_aa")
        if not float(err) < 1e-6:
            _fail(f"gradient_check returned {float(err):.3g} for the correct rnn_backward: use only "
                  "forward(...)[1] (y_hat) and backward(y, forward(...)[-1])")


# ------------------------------------------------------ 4. RNN through time


def check_rnn_step(fn, seeds=(0, 1)):
    """``fn(xt, a_prev, params) -> (a, y_hat)``."""
    for seed in seeds:
        params, x, a0, _ = _problem(rnn, seed)
        a, y_hat, _ = rnn.rnn_cell_forward(x[:, :, 0], a0, params)
        got = _unpack(_call(fn, "rnn_step", x[:, :, 0], a0, params), "rnn_step", ("a", "y_hat"))
        check_array("a⟨t⟩ = tanh(W_aaᵀa⟨t−1⟩ + W_axᵀx⟨t⟩ + b_a)", got[0], a)
        check_array("ŷ⟨t⟩ = softmax(W_yaᵀa⟨t⟩ + b_y)", got[1], y_hat)


def check_rnn_step_backward(fn, seeds=(0, 1)):
    """``fn(da, cache) -> grads`` as :func:`lstm_src.rnn.rnn_cell_backward`."""
    for seed in seeds:
        params, x, a0, _ = _problem(rnn, seed)
        cache = rnn.rnn_cell_forward(x[:, :, 0], a0, params)[2]
        da = np.random.default_rng(seed).normal(size=a0.shape)
        want = rnn.rnn_cell_backward(da, cache)
        got = _call(fn, "rnn_step_backward", da, cache)
        if isinstance(got, dict) and "dW_aa" in got and np.shape(got["dW_aa"]) == want["dW_aa"].shape \
                and rel_error(got["dW_aa"], cache["a_prev"] @ da.T) <= TOL:
            _fail("dW_aa = a⟨t−1⟩ daᵀ is missing the tanh′ factor: δz = da ∘ (1 − a⟨t⟩∘a⟨t⟩)")
        check_grads(got, want, context="one RNN step")


def check_rnn_bptt(fn, seeds=(0, 1), T_x=None):
    """``fn(y, caches) -> grads`` as :func:`lstm_src.rnn.rnn_backward`."""
    _check_sequence_grads(fn, "rnn_bptt", rnn, rnn.rnn_forward, rnn.rnn_backward, seeds, T_x)


def check_hidden_jacobian(fn, seeds=(0, 1)):
    """``fn(a, W_aa) -> J`` = ∂a⟨t⟩/∂a⟨t−1⟩ = diag(1 − a∘a) W_aaᵀ for one example (a of shape (n_a, 1))."""
    for seed in seeds:
        params, x, a0, _ = _problem(rnn, seed, m=1)
        a = rnn.rnn_cell_forward(x[:, :, 0], a0, params)[0]
        W = params["W_aa"]
        want = (1 - a * a) * W.T
        got = _call(fn, "hidden_jacobian", a, W)
        if np.shape(got) == want.shape and rel_error(got, (1 - a * a) * W) <= TOL:
            _fail("you used W_aa where the Jacobian needs W_aaᵀ: z = W_aaᵀa⟨t−1⟩ + ..., so ∂z/∂a⟨t−1⟩ = W_aaᵀ")
        if np.shape(got) == want.shape and rel_error(got, W.T) <= TOL:
            _fail("the tanh′ factor is missing: ∂a⟨t⟩/∂a⟨t−1⟩ = diag(1 − a⟨t⟩∘a⟨t⟩) W_aaᵀ")
        check_array("∂a⟨t⟩/∂a⟨t−1⟩", got, want)
