"""How an answer differs from the reference, said in the book's terms.

:func:`check_array` and :func:`check_grads` compare a student's arrays and
gradients with the reference's and, when they differ, fail with a message that
names the slip they recognise (a transpose, a factor m, a sign, two gates
swapped, a step shifted in time) and the equation to revisit.
"""

import numpy as np

from ..gradcheck import rel_error

#: The relative error above which an answer is wrong.
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

#: What to revisit when a gradient with respect to an input of a step is off.
INPUT_HINTS = {
    "dc_prev": "dc_prev = ∂J/∂c⟨t−1⟩ = dc⟨t⟩∘Γ_f, because ∂c⟨t⟩/∂c⟨t−1⟩ = Γ_f (eq.9)",
    "da_prev": "a⟨t−1⟩ feeds every block's z = W_aᵀa⟨t−1⟩ + …, so da_prev is the sum over the "
    "blocks of W_a δz (no transpose)",
    "dx": "x⟨t⟩ feeds every block's z = … + W_xᵀx⟨t⟩ + b, so dx is the sum over the blocks of "
    "W_x δz (no transpose)",
    "da0": "da0 is what the first step (time index 0) sends back: its da_prev",
}


def _fail(message):
    raise AssertionError(message)


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
        elif (
            want.ndim == 2
            and want.shape[1] == 1
            and got.ndim == 2
            and got.shape[0] == want.shape[0]
        ):
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
                return (
                    f"{label} is m = {m} times the right answer: J averages over the batch, "
                    "so divide by m instead of summing"
                )
            if m is not None and abs(k - 1.0 / m) < 1e-6:
                return f"{label} is 1/m = 1/{m} of the right answer: you divided by m twice"
            return f"{label} is {k:.4g} times the right answer (a missing or extra factor or sign)"
    return f"{label} is off (relative error {err:.2g})"


def _steps(ts):
    """'step 2 (index 1)' or 'steps 1, 3 (indices 0, 2)': steps count from 1, indices from 0."""
    if len(ts) == 1:
        return f"step {ts[0] + 1} (time index {ts[0]})"
    return (
        f"steps {', '.join(str(t + 1) for t in ts)} (time indices {', '.join(str(t) for t in ts)})"
    )


def step_report(label, got, want, tol=TOL):
    """For a sequence with time as the last axis whose shape is right: a sentence saying which
    steps are missing (left at zero) or shifted by one step, or None when no pattern shows."""
    got = np.asarray(got, dtype=float)
    T = want.shape[-1]

    def same(t, s):
        return not _diagnose(label, got[..., t], want[..., s], tol)

    if T > 1 and not same(T - 1, T - 1) and all(same(t, t - 1) for t in range(1, T)):
        return (
            f"{label} is shifted one step later: at each step t it holds what belongs to step "
            "t − 1; check the time index where you read the inputs (x[:, :, t]) and where you "
            "store the result"
        )
    if T > 1 and not same(0, 0) and all(same(t, t + 1) for t in range(T - 1)):
        return (
            f"{label} is shifted one step earlier: at each step t it holds what belongs to step "
            "t + 1; check the time index where you read the inputs (x[:, :, t]) and where you "
            "store the result"
        )
    zero = [t for t in range(T) if not np.any(got[..., t]) and np.any(want[..., t])]
    if zero:
        which = (
            "the last step"
            if zero == [T - 1]
            else "the first step"
            if zero == [0]
            else "some steps"
        )
        return (
            f"{label} is zero at {_steps(zero)} of T_x = {T}: your loop over time misses "
            f"{which}; range(T_x) visits every index 0, …, T_x − 1"
        )
    return None


def check_array(label, got, want, tol=TOL, m=None):
    """Raise AssertionError with a diagnostic unless ``got`` matches ``want``."""
    msg = _diagnose(label, got, want, tol, m)
    if msg:
        _fail(msg)


def _gate_of(key):
    """'dW_fa' -> 'f', 'db_u' -> 'u', 'dW_ya' -> 'y', 'dW_aa' -> 'a'; None for dx, da_prev, ..."""
    if key.startswith(("dW_", "db_")):
        return key[3]
    return None


def check_grads(got, want, context="", m=None, tol=TOL, hints=None):
    """Compare a dict of gradients with the reference and explain which are off.

    Names the wrong gradients grouped by gate, the gates that are right, and
    what to revisit; recognises two gates swapped and a missing σ′ in every
    sigmoid gate. ``hints`` (gate letters and input names to what to revisit)
    replaces ``GATE_HINTS`` and ``INPUT_HINTS`` for another cell (the GRU's).
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
        _fail(
            f"every gradient is m = {m} times the right one{where}: J averages over the batch, so "
            "∂J/∂z_y = (ŷ − y)/m; summing over the batch instead of averaging multiplies "
            "everything by m"
        )
    shape_msgs = [problems[k] for k in wrong if "shape" in problems[k]]
    if shape_msgs:
        _fail("; ".join(shape_msgs) + where)
    gates = list(dict.fromkeys(g for g in map(_gate_of, want) if g))
    bad = [g for g in gates if any(_gate_of(k) == g for k in wrong)]
    good = [g for g in gates if g not in bad]
    # two gates swapped: each one's gradient equals the other's reference
    for i, g in enumerate(bad):
        for h in bad[i + 1 :]:
            kg, kh = f"dW_{g}a", f"dW_{h}a"
            if (
                kg in got
                and kh in got
                and np.shape(got[kg]) == want[kh].shape
                and rel_error(got[kg], want[kh]) <= tol
                and rel_error(got[kh], want[kg]) <= tol
            ):
                _fail(
                    f"your gradients of gates {g} and {h} are swapped{where}: dW_{g}a equals the "
                    "right "
                    f"dW_{h}a and the other way round; check which gate value (Γ_{g} or Γ_{h}) "
                    "each "
                    "backward step uses"
                )
    details = "; ".join(problems[k] for k in wrong)
    if set(bad) >= {"f", "u", "o"} and "c" in good:
        _fail(
            f"the gradients of all three sigmoid gates (f, u, o) are off while the candidate's are "
            f"right{where}: check the σ′ factor ∂Γ/∂z = Γ∘(1−Γ) (eq.2, 4, 6). Details: {details}"
        )
    if bad:
        names = ", ".join(k for k in wrong if _gate_of(k) in bad)
        right = f" while the {', '.join(good)} gradients are right" if good else ""
        gate_hints = hints or GATE_HINTS
        hints = "; ".join(f"for {g}: {gate_hints[g]}" for g in bad if g in gate_hints)
        _fail(
            f"{names} {'is' if len(wrong) == 1 else 'are'} off{right}{where}: {hints}. Details: "
            f"{details}"
        )
    input_hints = hints or INPUT_HINTS
    hints = "; ".join(input_hints[k] for k in wrong if k in input_hints) or (
        "check how the gradient is passed back to the inputs"
    )
    _fail(
        f"{', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} off while every weight "
        f"gradient is right{where}: {hints}. Details: {details}"
    )


def check_grads_ok(got, want, tol=TOL):
    """True when every gradient in ``want`` is matched by ``got`` (no message)."""
    return all(not _diagnose(k, got.get(k), want[k], tol) for k in want)
