"""The machinery every assignment's checks share.

Calling a student's function safely (:func:`_call`), unpacking its result,
comparing arrays and dicts of gradients with a reference and saying how they
differ (:func:`check_array`, :func:`check_grads`), and random problems whose
sizes n_x, n_a, n_y, m all differ, so that a missing transpose cannot hide.
"""
import warnings

import numpy as np

from .. import lstm
from ..gradcheck import random_problem, rel_error

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



def _ref_step(params, x, a0, c0=None):
    c0 = np.zeros_like(a0) if c0 is None else c0
    return lstm.lstm_cell_forward(x[:, :, 0], a0, c0, params)



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


