"""Checks of assignment 2, the LSTM forward pass (``exercises/02_lstm_forward``)."""

import numpy as np

from .. import activations, lstm
from ..gradcheck import rel_error
from ._calling import PARAMETERS, QUESTION_OF, _call, _unpack, with_correct
from ._correct import earlier
from ._problems import _problem, _ref_step, random_sizes
from ._reports import TOL, _diagnose, _fail, _steps, check_array, step_report

ASSIGNMENT = "02_lstm_forward"
QUESTION_OF.update(
    sigmoid="q1",
    softmax="q2",
    gates="q3",
    cell_update="q4",
    cell_forward="q5",
    sequence_forward="q6",
)
PARAMETERS.update(
    sigmoid=("z",),
    softmax=("z",),
    gates=("xt", "a_prev", "params"),
    cell_update=("gamma_f", "gamma_u", "gamma_o", "c_tilde", "c_prev"),
    cell_forward=("xt", "a_prev", "c_prev", "params"),
    sequence_forward=("x", "a0", "params"),
)


def _fair(fn, name):
    """The student's function, calling correct versions of the earlier answers it may use."""
    return with_correct(fn, earlier(ASSIGNMENT, name))


def check_sigmoid(fn, seeds=(0, 1), extreme=False):
    """``fn(z)`` element-wise on any shape; with ``extreme``, logits of ±1000 without overflow."""
    for seed in seeds:
        s = random_sizes(seed)
        rng = np.random.default_rng(seed)
        for shape in ((s["n_a"], s["m"]), (s["n_x"],), (2, s["n_y"], s["m"])):
            z = 3.0 * rng.normal(size=shape)
            check_array(
                f"sigmoid(z) for z of shape {z.shape}",
                _call(fn, "sigmoid", z),
                activations.sigmoid(z),
            )
    if extreme:
        z = np.array([-1000.0])
        check_array(
            "sigmoid(np.array([-1000.0]))", _call(fn, "sigmoid", z, strict=True), np.zeros(1)
        )
        z = np.array([[-1000.0, -30.0, 0.0, 30.0, 1000.0]])
        check_array(
            "sigmoid of [-1000, -30, 0, 30, 1000]",
            _call(fn, "sigmoid", z, strict=True),
            activations.sigmoid(z),
        )


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
        if (
            got.shape == want.shape
            and np.all(np.isfinite(got))
            and rel_error(got, activations.softmax(z, 1)) <= TOL
        ):
            _fail(
                "your softmax normalises each row; each column is one example and must sum to 1 "
                "(axis=0)"
            )
        if got.shape == want.shape and not np.all(np.isfinite(got)):
            _fail(
                "softmax gave nan or inf for large logits: subtract each column's maximum "
                "before exp"
            )
        check_array(f"softmax(z) for z of shape {z.shape}", got, want)


_GATE_NAMES = ("gamma_f", "gamma_u", "gamma_o", "c_tilde")
_LETTER = {"gamma_f": "f", "gamma_u": "u", "gamma_o": "o", "c_tilde": "c"}
_GATE_EQ = {
    "gamma_f": "Γ_f = σ(W_faᵀa + W_fxᵀx + b_f) (eq.1–2)",
    "gamma_u": "Γ_u (eq.3–4)",
    "gamma_o": "Γ_o (eq.5–6)",
    "c_tilde": "c̃ = tanh(W_caᵀa + W_cxᵀx + b_c) (eq.7–8)",
}


def _gates_with_square_untransposed(xt, a_prev, params):
    """The gates computed with W_ga a⟨t−1⟩ instead of W_gaᵀ a⟨t−1⟩: a slip shapes cannot show."""

    def z(g):
        return params[f"W_{g}a"] @ a_prev + params[f"W_{g}x"].T @ xt + params[f"b_{g}"]

    return (
        activations.sigmoid(z("f")),
        activations.sigmoid(z("u")),
        activations.sigmoid(z("o")),
        np.tanh(z("c")),
    )


def check_gates(fn, seeds=(0, 1)):
    """``fn(xt, a_prev, params) -> (gamma_f, gamma_u, gamma_o, c_tilde)``, eq.1–8."""
    fn = _fair(fn, "gates")
    for seed in seeds:
        params, x, a0, _ = _problem(lstm, seed)
        cache = _ref_step(params, x, a0)[3]
        got = _unpack(_call(fn, "gates", x[:, :, 0], a0, params), "gates", _GATE_NAMES)
        want = [cache[k] for k in _GATE_NAMES]
        wrong = [i for i in range(4) if _diagnose(_GATE_NAMES[i], got[i], want[i])]
        for i in wrong:
            for j in range(4):
                if (
                    j != i
                    and np.shape(got[i]) == want[j].shape
                    and rel_error(got[i], want[j]) <= TOL
                ):
                    g = _LETTER[_GATE_NAMES[i]]
                    _fail(
                        f"your {_GATE_NAMES[i]} equals the right {_GATE_NAMES[j]}: two gates are "
                        f"swapped; {_GATE_NAMES[i]} uses the parameters W_{g}a, W_{g}x, b_{g}"
                    )
        slipped = _gates_with_square_untransposed(x[:, :, 0], a0, params)
        untransposed = [
            i
            for i in wrong
            if np.shape(got[i]) == want[i].shape and rel_error(got[i], slipped[i]) <= TOL
        ]
        if untransposed:
            names = ", ".join(_GATE_NAMES[i] for i in untransposed)
            weights = ", ".join(f"W_{_LETTER[_GATE_NAMES[i]]}a" for i in untransposed)
            _fail(
                f"{names} {'uses' if len(untransposed) == 1 else 'use'} W_a a⟨t−1⟩ where eq.1–8 "
                f"need W_aᵀ a⟨t−1⟩ (z = W_aᵀa⟨t−1⟩ + W_xᵀx⟨t⟩ + b): transpose {weights} "
                "(they are square, so the shapes cannot catch it)"
            )
        if 3 in wrong and np.shape(got[3]) == want[3].shape:
            z_c = np.arctanh(np.clip(want[3], -1 + 1e-15, 1 - 1e-15))
            if rel_error(got[3], activations.sigmoid(z_c)) <= TOL:
                _fail(
                    "c_tilde uses σ; the candidate uses tanh (eq.8), so its values lie in (−1, 1)"
                )
        if wrong:
            _fail(
                "; ".join(
                    _diagnose(_GATE_NAMES[i], got[i], want[i])
                    + f": revisit {_GATE_EQ[_GATE_NAMES[i]]}"
                    for i in wrong
                )
            )


def check_cell_update(fn, seeds=(0, 1)):
    """``fn(gamma_f, gamma_u, gamma_o, c_tilde, c_prev) -> (c, a)``, eq.9–10."""
    for seed in seeds:
        s = random_sizes(seed)
        rng = np.random.default_rng(seed)
        g_f, g_u, g_o = (activations.sigmoid(rng.normal(size=(s["n_a"], s["m"]))) for _ in range(3))
        c_tilde, c_prev = np.tanh(rng.normal(size=(2, s["n_a"], s["m"])))
        c, a = _unpack(
            _call(fn, "cell_update", g_f, g_u, g_o, c_tilde, c_prev), "cell_update", ("c", "a")
        )
        want_c = lstm.cell_state(g_f, c_prev, g_u, c_tilde)
        if np.shape(c) == want_c.shape and rel_error(c, g_f * c_tilde + g_u * c_prev) <= TOL:
            _fail(
                "c: Γ_f and Γ_u are swapped; the forget gate scales the old cell state c⟨t−1⟩ and "
                "the update gate scales the candidate c̃ (eq.9)"
            )
        check_array("c (eq.9: c = Γ_u∘c̃ + Γ_f∘c⟨t−1⟩)", c, want_c)
        want_a = lstm.hidden_state(want_c, g_o)
        if np.shape(a) == want_a.shape and rel_error(a, want_c * g_o) <= TOL:
            _fail("a = c∘Γ_o is missing the tanh: a⟨t⟩ = tanh(c⟨t⟩)∘Γ_o (eq.10)")
        check_array("a (eq.10: a = tanh(c)∘Γ_o)", a, want_a)


def check_cell_forward(fn, seeds=(0, 1)):
    """``fn(xt, a_prev, c_prev, params) -> (a, c, y_hat)``, eq.1–12 for one step."""
    fn = _fair(fn, "cell_forward")
    for seed in seeds:
        params, x, a0, _ = _problem(lstm, seed)
        c0 = 0.5 * np.tanh(a0[::-1])
        a, c, y_hat, _ = _ref_step(params, x, a0, c0)
        got = _unpack(
            _call(fn, "cell_forward", x[:, :, 0], a0, c0, params),
            "cell_forward",
            ("a", "c", "y_hat"),
        )
        check_array("c⟨t⟩ (eq.9)", got[1], c)
        check_array("a⟨t⟩ (eq.10)", got[0], a)
        check_array("ŷ⟨t⟩ = softmax(W_yaᵀa⟨t⟩ + b_y) (eq.11–12)", got[2], y_hat)


def check_sequence_forward(fn, seeds=(0, 1), T_x=None):
    """``fn(x, a0, params) -> (a, y_hat, c)``, each with time as the last axis."""
    fn = _fair(fn, "sequence_forward")
    labels = ("a", "y_hat", "c")
    for seed in seeds:
        params, x, a0, _ = _problem(lstm, seed, **({"T_x": T_x} if T_x else {}))
        want = lstm.lstm_forward(x, a0, params)[:3]
        got = _unpack(_call(fn, "sequence_forward", x, a0, params), "sequence_forward", labels)
        wrong = [i for i in range(3) if _diagnose(labels[i], got[i], want[i])]
        if not wrong:
            continue
        shaped = [i for i in wrong if np.shape(got[i]) == want[i].shape]
        if shaped and all(i in shaped for i in wrong):
            with_a0 = lstm.lstm_forward(x, a0, params, c0=a0)[:3]
            if all(not _diagnose(labels[i], got[i], with_a0[i]) for i in range(3)):
                _fail(
                    "your sequence starts from c⟨0⟩ = a0; the initial cell state is "
                    "c⟨0⟩ = 0 (np.zeros_like(a0)), only the hidden state starts at a0"
                )
        for i in shaped:
            report = step_report(labels[i], got[i], want[i])
            if report:
                _fail(report)
        for i in shaped:
            label, g, w = labels[i], np.asarray(got[i]), want[i]
            steps = [t for t in range(w.shape[2]) if _diagnose(label, g[:, :, t], w[:, :, t])]
            if steps[0] > 0:
                _fail(
                    f"{label} is right at step 1 but off from step {steps[0] + 1} on: check what "
                    "carries over between steps: pass a⟨t⟩ and c⟨t⟩ on to the next step, and "
                    "check the term Γ_f∘c⟨t−1⟩ of eq.9 (it is zero at step 1, where c⟨0⟩ = 0)"
                )
            _fail(
                f"{label} is off at {_steps(steps)}: revisit the cell (eq.1–12) and the initial "
                "c⟨0⟩ = 0"
            )
        w = want[wrong[0]]
        _fail(
            _diagnose(labels[wrong[0]], got[wrong[0]], w)
            + f" (shape (n, m, T_x) with n = {w.shape[0]}, m = {w.shape[1]}, T_x = {w.shape[2]})"
        )
