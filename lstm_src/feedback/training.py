"""Checks of assignment 6, training a character model (``exercises/06_training``).

The equations are those of the chapter "Training on real text" (Part IV):
Adam's moments, their bias correction and the update (text-adam-moments,
text-adam-correction, text-adam-update), truncated back-propagation through
time (text-tbptt), perplexity (text-perplexity-def) and sampling with a
temperature; clipping by the global norm is the chapter "Back-propagation
through time in a vanilla RNN" (bptt-clip).
"""

import functools

import numpy as np

from .. import lstm
from ..gradcheck import rel_error
from ..training import adam_step, clip_gradients
from ._calling import PARAMETERS, QUESTION_OF, _call, _unpack, with_correct
from ._correct import earlier
from ._problems import _problem
from ._reports import TOL, _diagnose, _fail, check_array, check_grads

ASSIGNMENT = "06_training"
QUESTION_OF.update(
    adam_step="q1",
    clip_by_global_norm="q2",
    tbptt_gradients="q3",
    evaluate="q4",
    sample_indices="q5",
    train_char_model="q6",
)
PARAMETERS.update(
    adam_step=("params", "grads", "state", "lr", "beta1", "beta2", "eps"),
    clip_by_global_norm=("grads", "max_norm"),
    tbptt_gradients=("x", "y", "a0", "c0", "params", "T_w"),
    evaluate=("params", "xs", "ys"),
    sample_indices=("z", "temperature", "n", "seed"),
    train_char_model=("text", "steps", "hidden", "T_w", "batch", "lr", "clip", "seed"),
)

TEXT = 'the chapter "Training on real text"'


# ------------------------------------------------------------------ q1: Adam


def _adam_problem(seed, scale):
    """Three parameters of different shapes, their gradients (of size ``scale``) and a state
    after 0, 2 or 5 earlier steps (t = 0 is a fresh state; 2 and 5 tell β₁ᵗ⁻¹ from β₁)."""
    rng = np.random.default_rng(seed)
    shapes = {"W": (3, 4), "b": (4, 1), "V": (2, 5)}
    params = {k: rng.normal(size=s) for k, s in shapes.items()}
    grads = {"d" + k: scale * rng.normal(size=s) for k, s in shapes.items()}
    t = (0, 2, 5)[seed % 3]
    state = {
        "m": {k: (scale * 0.1 * rng.normal(size=s) if t else np.zeros(s))
              for k, s in shapes.items()},
        "v": {k: (scale**2 * 0.01 * rng.random(size=s) if t else np.zeros(s))
              for k, s in shapes.items()},
        "t": t,
    }
    return params, grads, state


def _adam_with(params, grads, state, lr, b1, b2, eps, slip):
    """:func:`lstm_src.training.adam_step` with one of the usual slips in it."""
    t = state["t"] + 1
    t_c = state["t"] if slip == "t0" else t
    out = {}
    for name, theta in params.items():
        g = grads["d" + name]
        m = b1 * state["m"][name] + (1 - b1) * g
        v = b2 * state["v"][name] + (1 - b2) * (g if slip == "v_of_g" else g * g)
        if slip == "no_correction":
            m_hat, v_hat = m, v
        elif slip == "beta_not_power":
            m_hat, v_hat = m / (1 - b1), v / (1 - b2)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                m_hat, v_hat = m / (1 - b1**t_c), v / (1 - b2**t_c)
        with np.errstate(invalid="ignore", divide="ignore"):
            if slip == "eps_inside":
                out[name] = theta - lr * m_hat / np.sqrt(v_hat + eps)
            else:
                out[name] = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    return out


ADAM_SLIPS = {
    "v_of_g": "v is the running mean of the gradient's square: v ← β₂ v + (1 − β₂) g⊙g, "
    f"not of g (text-adam-moments in {TEXT})",
    "no_correction": "the bias correction is missing: m and v start at 0, so in the first steps "
    "they are too small; divide them by 1 − β₁ᵗ and 1 − β₂ᵗ, m̂ = m / (1 − β₁ᵗ), "
    f"v̂ = v / (1 − β₂ᵗ) (text-adam-correction in {TEXT})",
    "t0": "the bias correction uses the step count before this step: t starts at 1 for the "
    "first step (t ← t + 1 first, then m̂ = m / (1 − β₁ᵗ)); with t = 0 the first step divides "
    f"by 1 − β⁰ = 0 (text-adam-correction in {TEXT})",
    "beta_not_power": "the bias correction divides by 1 − β₁ and 1 − β₂: it is 1 − β₁ᵗ and "
    f"1 − β₂ᵗ, β to the power of the step count t (text-adam-correction in {TEXT})",
    "eps_inside": "ε is inside the square root: the update is η m̂ / (√v̂ + ε), ε added to √v̂, "
    f"not √(v̂ + ε) (text-adam-update in {TEXT}); the two differ where v̂ is small",
}


def _same(got, want):
    """True when ``got`` has ``want``'s shape, its nan and inf where ``want`` has them, and
    matches it elsewhere (a slip's result may hold nan: √ of a negative v, a division by 0)."""
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False
    if got.shape != want.shape:
        return False
    finite = np.isfinite(want)
    if not np.array_equal(np.isfinite(got), finite):
        return False
    return not finite.any() or rel_error(got[finite], want[finite]) <= TOL


def check_adam_step(fn, seeds=(0, 1, 2)):
    """``fn(params, grads, state, lr, beta1, beta2, eps) -> (new_params, new_state)``
    as :func:`lstm_src.training.adam_step`; a fresh state (t = 0) and later ones, large and small
    gradients (where ε matters)."""
    hint = (
        "return new dicts: m = beta1 * state['m'][name] + ... makes a new array, "
        "state['m'][name] *= beta1 changes the caller's state"
    )
    for seed in seeds:
        for scale, lr, eps in ((1.0, 0.01, 1e-8), (1e-4, 0.01, 1e-8), (0.3, 0.05, 1e-3)):
            params, grads, state = _adam_problem(seed, scale)
            b1, b2 = 0.9, 0.999
            want_p, want_s = adam_step(params, grads, state, lr, b1, b2, eps)
            got = _unpack(
                _call(fn, "adam_step", params, grads, state, lr, b1, b2, eps,
                      mutation_hint=hint),
                "adam_step",
                ("new_params", "new_state"),
            )
            new_p, new_s = got
            if not isinstance(new_p, dict) or set(new_p) != set(params):
                _fail(
                    "adam_step's new_params should be a dict with the keys of params "
                    f"({', '.join(params)}); got "
                    + (", ".join(map(str, new_p)) if isinstance(new_p, dict)
                       else type(new_p).__name__)
                )
            wrong = [k for k in params if _diagnose(k, new_p[k], want_p[k])]
            if wrong:
                for slip, message in ADAM_SLIPS.items():
                    alt = _adam_with(params, grads, state, lr, b1, b2, eps, slip)
                    if all(_same(new_p[k], alt[k]) for k in params):
                        _fail(message)
            for k in params:
                check_array(
                    f"new_params[{k!r}] = θ − η m̂ / (√v̂ + ε) (t = {state['t']} before the step)",
                    new_p[k], want_p[k],
                )
            if not isinstance(new_s, dict) or not {"m", "v", "t"} <= set(new_s):
                _fail("adam_step's new_state should be a dict with keys m, v and t (like state); "
                      f"got {type(new_s).__name__}")
            try:
                t_new = int(new_s["t"])
            except (TypeError, ValueError):
                t_new = None
            if t_new != state["t"] + 1:
                _fail(
                    f"new_state['t'] should be the step count after this step, "
                    f"{state['t'] + 1} (state['t'] + 1); got {new_s['t']!r}: the next step "
                    "needs it for its bias correction"
                )
            for which, label in (("m", "m = β₁ m + (1 − β₁) g"),
                                 ("v", "v = β₂ v + (1 − β₂) g⊙g")):
                if not isinstance(new_s[which], dict) or set(new_s[which]) != set(params):
                    _fail(f"new_state[{which!r}] should be a dict with the keys of params")
                hat = new_s[which]
                b, tt = (b1, state["t"] + 1) if which == "m" else (b2, state["t"] + 1)
                if all(_same(hat[k], want_s[which][k] / (1 - b**tt)) for k in params):
                    _fail(f"new_state[{which!r}] holds the bias-corrected {which}̂: store {which} "
                          f"itself, {label}; the correction is recomputed at every step from "
                          f"{which} and t (text-adam-correction in {TEXT})")
                for k in params:
                    check_array(f"new_state[{which!r}][{k!r}], {label} (text-adam-moments; "
                                "store m and v, not m̂ and v̂)",
                                new_s[which][k], want_s[which][k])


# ------------------------------------------------------------------ q2: clipping


def _clip_problem(seed):
    rng = np.random.default_rng(seed)
    return {"dW_a": rng.normal(size=(3, 4)), "dW_x": 0.3 * rng.normal(size=(2, 4)),
            "db": 0.1 * rng.normal(size=(4, 1))}


PER_ARRAY = (
    "each array is clipped on its own (by its own norm): clip by the global norm "
    "‖g‖ = √(Σ over every array of Σ g²), all arrays together, and scale every array by the same "
    "factor min(1, max_norm/‖g‖) (bptt-clip). Per-array clipping changes the direction of the "
    "whole gradient (the arrays are shrunk by different factors), and lets the total norm reach "
    "√(number of arrays) · max_norm"
)


def check_clip_by_global_norm(fn, seeds=(0, 1)):
    """``fn(grads, max_norm) -> (clipped, norm)`` as :func:`lstm_src.training.clip_gradients`."""
    hint = "return new arrays: g * scale, not g *= scale, which changes the caller's gradients"
    for seed in seeds:
        grads = _clip_problem(seed)
        norm = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))
        sizes = {k: float(np.linalg.norm(g)) for k, g in grads.items()}
        # above the norm; between the largest array's norm and the global one; above both
        for max_norm in (0.5 * min(sizes.values()), 0.5 * (max(sizes.values()) + norm),
                         2.0 * norm):
            want, _ = clip_gradients(grads, max_norm)
            got = _unpack(_call(fn, "clip_by_global_norm", grads, max_norm, mutation_hint=hint),
                          "clip_by_global_norm", ("clipped", "norm"))
            clipped, got_norm = got
            if not isinstance(clipped, dict) or set(clipped) != set(grads):
                _fail("clip_by_global_norm's clipped should be a dict with the keys of grads; got "
                      + type(clipped).__name__)
            if np.size(got_norm) != 1:
                _fail(f"norm should be one number, the global norm; got shape {np.shape(got_norm)}")
            ok = all(not _diagnose(k, clipped[k], want[k]) for k in grads)
            if not ok and all(np.shape(clipped[k]) == grads[k].shape for k in grads):
                per_array = {k: g * min(1.0, max_norm / sizes[k]) for k, g in grads.items()}
                if all(rel_error(clipped[k], per_array[k]) <= TOL for k in grads):
                    _fail(PER_ARRAY + f" (max_norm = {max_norm:.3g}, global norm {norm:.3g})")
                always = {k: g * max_norm / norm for k, g in grads.items()}
                if max_norm > norm and all(rel_error(clipped[k], always[k]) <= TOL for k in grads):
                    _fail(
                        f"the gradients were scaled up to max_norm = {max_norm:.3g} although their "
                        f"global norm, {norm:.3g}, is below it: clipping only shrinks, the factor "
                        "is min(1, max_norm/‖g‖) (bptt-clip)"
                    )
                summed = sum(sizes.values())
                by_sum = {k: g * min(1.0, max_norm / summed) for k, g in grads.items()}
                if all(rel_error(clipped[k], by_sum[k]) <= TOL for k in grads):
                    _fail(
                        "the norm you clip by is the sum of the arrays' norms; the global norm "
                        "is the norm of all the entries together, ‖g‖ = √(Σ_arrays Σ g²), "
                        "as if the arrays were flattened into one vector (bptt-clip)"
                    )
            for k in grads:
                check_array(
                    f"clipped[{k!r}] for max_norm = {max_norm:.3g} (global norm {norm:.3g}); "
                    "g · min(1, max_norm/‖g‖) (bptt-clip)",
                    clipped[k], want[k],
                )
            if abs(float(np.ravel(got_norm)[0]) - norm) > 1e-9 * norm:
                after = float(np.sqrt(sum(np.sum(g * g) for g in want.values())))
                extra = (" (that is the norm after clipping; return the one before)"
                         if abs(float(np.ravel(got_norm)[0]) - after) <= 1e-9 * norm else "")
                _fail(f"norm should be the global norm before clipping, {norm:.6g}; got "
                      f"{float(np.ravel(got_norm)[0]):.6g}{extra}")


# ------------------------------------------------------------------ q3: truncated BPTT


PARAM_KEYS = tuple("d" + k for k in lstm.PARAM_NAMES)


def _tbptt_problem(seed, windows=3, T_w=None):
    rng = np.random.default_rng(seed)
    T_w = T_w or int(rng.integers(2, 4))
    params, x, a0, y = _problem(lstm, seed, T_x=windows * T_w)
    c0 = 0.5 * np.tanh(np.random.default_rng(seed + 50).normal(size=a0.shape))
    return params, x, y, a0, c0, T_w


def _windows(T, T_w):
    return [range(s, min(s + T_w, T)) for s in range(0, T, T_w)]


def _reference_tbptt(x, y, a0, c0, params, T_w, carry="values"):
    """Each window's parameter gradients and the final state; ``carry`` "values" (right),
    "zeros" (state reset), "a" or "c" (only one carried), "first" (the window's first step)."""
    a, c, out = a0, c0, []
    for w in _windows(x.shape[2], T_w):
        s = slice(w.start, w.stop)
        a_all, _, c_all, caches = lstm.lstm_forward(x[:, :, s], a, params, c0=c)
        g = lstm.lstm_backward(y[:, :, s], caches)
        out.append({k: g[k] for k in PARAM_KEYS})
        i = 0 if carry == "first" else -1
        a = np.zeros_like(a0) if carry in ("zeros", "c") else a_all[:, :, i]
        c = np.zeros_like(c0) if carry in ("zeros", "a") else c_all[:, :, i]
        if carry == "keep_c0":
            c = c0
        elif carry == "keep_a0":
            a = a0
    return out, a, c


def _reaching_back(x, y, a0, c0, params, T_w, back, summed=False):
    """Window gradients that are NOT cut at the window start: window k's loss (or, ``summed``,
    the loss of windows 0..k) back-propagated through the ``back`` windows before it too."""
    windows = _windows(x.shape[2], T_w)
    _, _, _, caches = lstm.lstm_forward(x, a0, params, c0=c0)
    steps, out = caches["steps"], []
    for k, w in enumerate(windows):
        first = windows[max(0, k - back)].start
        grads = {key: np.zeros_like(params[key[1:]]) for key in PARAM_KEYS}
        da_next = dc_next = np.zeros_like(a0)
        for t in reversed(range(first, w.stop)):
            st = steps[t]
            counts = t >= w.start or summed
            dz_y = (st["y_hat"] - y[:, :, t]) / y.shape[1] if counts else 0 * st["y_hat"]
            grads["dW_ya"] += st["a"] @ dz_y.T
            grads["db_y"] += np.sum(dz_y, axis=1, keepdims=True)
            g = lstm.lstm_cell_backward(params["W_ya"] @ dz_y + da_next, dc_next, st)
            for key in PARAM_KEYS:
                if key in g:
                    grads[key] += g[key]
            da_next, dc_next = g["da_prev"], g["dc_prev"]
        out.append(grads)
    return out


def _grads_match(got, want):
    return all(isinstance(g, dict) and all(
        k in g and np.shape(g[k]) == w[k].shape and rel_error(g[k], w[k]) <= TOL for k in w)
        for g, w in zip(got, want))


CUT = ("window {k}'s gradient reaches back into the window before it: truncated BPTT cuts the "
       "gradient at the window's first step, so each window's gradient comes from that window's "
       "steps only (lstm_backward of the window; its da0 is dropped, text-tbptt in " + TEXT + ")")


def check_tbptt_gradients(fn, seeds=(0, 1)):
    """``fn(x, y, a0, c0, params, T_w) -> (grads_per_window, a_last, c_last)``: windows of T_w
    steps, each started from the state the previous one ended with (as values), each
    back-propagated through its own steps only."""
    names = ("grads_per_window", "a_last", "c_last")
    for seed in seeds:
        params, x, y, a0, c0, T_w = _tbptt_problem(seed)
        K = x.shape[2] // T_w
        want, a_last, c_last = _reference_tbptt(x, y, a0, c0, params, T_w)
        got = _unpack(_call(fn, "tbptt_gradients", x, y, a0, c0, params, T_w),
                      "tbptt_gradients", names)
        per = got[0]
        if not isinstance(per, (list, tuple)) or len(per) != K:
            _fail(f"grads_per_window should be a list of one gradient dict per window: "
                  f"T_x = {x.shape[2]} and T_w = {T_w} make {K} windows; got "
                  + (f"{len(per)}" if isinstance(per, (list, tuple)) else type(per).__name__))
        for k, g in enumerate(per):
            if not isinstance(g, dict) or any(key not in g for key in PARAM_KEYS):
                _fail(f"grads_per_window[{k}] should be the gradient dict of window {k + 1} "
                      f"(keys {', '.join(PARAM_KEYS)}, as lstm_backward returns)")
        if not _grads_match(per[:1], want[:1]):
            check_grads({k: per[0][k] for k in PARAM_KEYS}, want[0],
                        context=f"window 1 of {K}, from a0 and c0", m=x.shape[1])
        if not _grads_match(per, want):
            for carry, message in (
                ("zeros", "the state is reset to zero at every window: window k + 1 must start "
                          "from the a and c window k ended with (a0, c0 = its last step's a, c), "
                          "so the model reads the text as one sequence; only the gradient is "
                          f"cut there (text-tbptt in {TEXT})"),
                ("a", "only a is carried to the next window, c starts from zero: the LSTM's "
                      "state is the pair (a, c), carry both (as c0 of lstm_forward)"),
                ("c", "only c is carried to the next window, a starts from zero: the LSTM's "
                      "state is the pair (a, c), carry both (a as a0 of lstm_forward)"),
                ("keep_c0", "only a is carried to the next window; c stays c0: the LSTM's state "
                            "is the pair (a, c), carry both (c = the last step's c, as c0 of "
                            "lstm_forward)"),
                ("keep_a0", "only c is carried to the next window; a stays a0: the LSTM's state "
                            "is the pair (a, c), carry both (a = the last step's a)"),
                ("first", "the next window starts from the state after the window's FIRST step "
                          "(a[:, :, 0]); it must start from the state after its last step, "
                          "a[:, :, -1] and c[:, :, -1]"),
            ):
                if _grads_match(per, _reference_tbptt(x, y, a0, c0, params, T_w, carry)[0]):
                    _fail(message)
            for back in range(1, K):
                for summed in (False, True):
                    alt = _reaching_back(x, y, a0, c0, params, T_w, back, summed)
                    if _grads_match(per, alt):
                        extra = (" (and it is the gradient of the loss of every window so far, "
                                 "not of this window's loss)") if summed else ""
                        _fail(CUT.format(k=2) + extra)
            # the student's own function, on the second window alone, from the carried state:
            # if truncated, its gradient is the same as in the two-window call
            w1 = _unpack(_call(fn, "tbptt_gradients", x[:, :, :T_w], y[:, :, :T_w], a0, c0,
                               params, T_w), "tbptt_gradients", names)
            a1, c1 = (np.asarray(v, dtype=float) for v in w1[1:])
            two = slice(0, 2 * T_w)
            sub = _unpack(_call(fn, "tbptt_gradients", x[:, :, two], y[:, :, two], a0, c0,
                                params, T_w), "tbptt_gradients", names)[0]
            alone = _unpack(_call(fn, "tbptt_gradients", x[:, :, T_w:2 * T_w],
                                  y[:, :, T_w:2 * T_w], a1, c1, params, T_w),
                            "tbptt_gradients", names)[0]
            if (isinstance(sub, (list, tuple)) and len(sub) == 2
                    and isinstance(alone, (list, tuple)) and len(alone) == 1
                    and not _grads_match(sub[1:2], alone[:1])):
                _fail(CUT.format(k=2) + ": your gradient of window 2 differs from the one your "
                      "function gives for window 2 alone, started from the state it returns "
                      "after window 1")
            for k in range(1, K):
                check_grads({key: per[k][key] for key in PARAM_KEYS}, want[k],
                            context=f"window {k + 1} of {K}, started from the state window {k} "
                            "ended with", m=x.shape[1])
        check_array("a_last, the state after the last window's last step", got[1], a_last)
        check_array("c_last, the cell state after the last window's last step", got[2], c_last)


# ------------------------------------------------------------------ q4: validation loss


def _eval_problem(seed, K=3):
    rng = np.random.default_rng(seed)
    T_w = int(rng.integers(2, 5))
    params, x, _, y = _problem(lstm, seed, T_x=K * T_w)
    xs = [x[:, :, k * T_w:(k + 1) * T_w] for k in range(K)]
    ys = [y[:, :, k * T_w:(k + 1) * T_w] for k in range(K)]
    return params, xs, ys


def _eval_with(params, xs, ys, carry=True):
    """(list of each window's J_k, T_x, m) of the windows read from zero state."""
    n_a, m = params["W_ya"].shape[0], xs[0].shape[1]
    a = c = np.zeros((n_a, m))
    Js = []
    for x, y in zip(xs, ys):
        a_all, y_hat, c_all, _ = lstm.lstm_forward(x, a, params, c0=c)
        Js.append(float(-np.sum(y * np.log(y_hat)) / m))
        if carry:
            a, c = a_all[:, :, -1], c_all[:, :, -1]
    return Js, xs[0].shape[2], m


def check_evaluate(fn, seeds=(0, 1)):
    """``fn(params, xs, ys) -> (loss, perplexity)``: the mean over the K windows of J_k / T_x
    (J_k summed over time, averaged over the batch), the windows read from zero state with the
    state carried; perplexity = exp(loss)."""
    for seed in seeds:
        params, xs, ys = _eval_problem(seed)
        Js, T, m = _eval_with(params, xs, ys)
        K = len(Js)
        loss = sum(Js) / K / T
        got = _unpack(_call(fn, "evaluate", params, xs, ys), "evaluate", ("loss", "perplexity"))
        try:
            g_loss, g_pp = (float(np.ravel(v)[0]) if np.size(v) == 1 else None for v in got)
        except (TypeError, ValueError):
            g_loss = g_pp = None
        if g_loss is None or g_pp is None:
            _fail("evaluate should return two numbers, (loss, perplexity); got "
                  + ", ".join(type(v).__name__ for v in got))

        def near(a, b):
            return abs(a - b) <= 1e-7 * max(1.0, abs(b))

        if not near(g_loss, loss):
            Js0, _, _ = _eval_with(params, xs, ys, carry=False)
            for value, message in (
                (sum(Js0) / K / T, "every window starts from zero state: carry (a, c) from one "
                 "window to the next, as in training, starting from zeros at the first window "
                 f"only (the validation loss of {TEXT})"),
                (sum(Js) / K, "the loss is per window, not per character: divide each window's "
                 f"J by T_x = {T} (J sums over its T_x steps; text-perplexity-def in {TEXT})"),
                (sum(Js) / T, f"the loss is summed over the K = {K} windows: average it, "
                 f"(1/K) Σ_k J_k / T_x (text-perplexity-def in {TEXT})"),
                (sum(Js), f"the loss is J summed over the windows, not the mean per character: "
                 f"(1/K) Σ_k J_k / T_x (text-perplexity-def in {TEXT})"),
                (sum(Js) / K / T * m, f"the loss sums over the batch: J averages over the m = {m} "
                 "examples (divide by m)"),
                (sum(Js) / K / T / np.log(2), "the loss is in bits (log base 2): the course's "
                 "loss uses the natural log (nats), and the perplexity is e^loss"),
            ):
                if near(g_loss, value):
                    _fail(message)
            _fail(f"loss should be {loss:.6g} (the mean of J_k / T_x over the windows); got "
                  f"{g_loss:.6g}")
        pp = float(np.exp(loss))
        if not abs(g_pp - pp) <= 1e-7 * pp:
            for value, message in (
                (np.exp(sum(Js)), "the perplexity is exp of the summed loss; it is exp of the "
                 "MEAN loss per character, PP = exp((1/K) Σ_k J_k / T_x): the number of equally "
                 f"likely characters the model chooses among (text-perplexity-def in {TEXT})"),
                (np.exp(sum(Js) / K), "the perplexity is exp of the loss per window; it is exp "
                 "of the mean loss per character, PP = exp((1/K) Σ_k J_k / T_x) "
                 f"(text-perplexity-def in {TEXT})"),
                (np.exp(sum(Js) / T), "the perplexity is exp of the loss summed over the "
                 "windows; it is exp of the mean, PP = exp((1/K) Σ_k J_k / T_x) "
                 f"(text-perplexity-def in {TEXT})"),
                (2.0 ** loss, "the perplexity is 2^loss, but the loss is in nats: PP = e^loss"),
                (1.0 / loss if loss else np.inf, "the perplexity is e^loss, not 1/loss"),
            ):
                if abs(g_pp - value) <= 1e-7 * max(1.0, abs(value)):
                    _fail(message)
            _fail(f"perplexity should be e^loss = {pp:.6g}; got {g_pp:.6g}")


# ------------------------------------------------------------------ q5: sampling


def _softmax(s):
    e = np.exp(s - np.max(s))
    return e / np.sum(e)


def _chi2(counts, p):
    """Pearson's statistic of ``counts`` against probabilities ``p`` (cells with p > 0)."""
    n = counts.sum()
    keep = p > 0
    if np.any(counts[~keep]):
        return np.inf
    e = n * p[keep]
    return float(np.sum((counts[keep] - e) ** 2 / e))


def _chi2_limit(df, z=4.75):
    """The (1 − 1e-6) quantile of χ² with ``df`` degrees of freedom (Wilson–Hilferty)."""
    return df * (1 - 2 / (9 * df) + z * np.sqrt(2 / (9 * df))) ** 3


def _draws(fn, z, temperature, n, seed, strict=False):
    try:
        out = _call(fn, "sample_indices", z, temperature, n, seed, strict=strict)
    except AssertionError as exc:
        if "overflowed" not in str(exc):
            raise
        _fail(f"sample_indices overflowed at temperature τ = {temperature:g} (largest logit "
              f"{np.max(z):.3g}): s = z / τ is huge there, so subtract its largest entry "
              "before exp, exp(s − max(s)); then τ → 0 gives the argmax every time")
    arr = np.asarray(out)
    if arr.shape != (n,):
        _fail(f"sample_indices should return {n} indices, shape ({n},); got shape {arr.shape}")
    if arr.dtype.kind not in "iu" and not (
        arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr))
    ):
        _fail(f"sample_indices should return integer indices; got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if arr.min() < 0 or arr.max() >= len(z):
        _fail(f"the indices should be in 0..{len(z) - 1} (one per entry of z); got "
              f"{arr.min()}..{arr.max()}")
    return arr


def check_sample_indices(fn, seeds=(0,), n=4000):
    """``fn(z, temperature, n, seed) -> n indices`` drawn from softmax(z / temperature) with
    ``np.random.default_rng(seed)``: the frequencies are tested with Pearson's χ² (fixed seeds,
    so the verdict does not change between runs); temperature → 0 gives the argmax every time."""
    for seed in seeds:
        rng = np.random.default_rng(seed)
        n_y = int(rng.integers(5, 8))
        z = np.sort(rng.normal(scale=1.2, size=n_y))[rng.permutation(n_y)]
        z[np.argmax(z)] += 0.3  # one clear maximum
        again = [_draws(fn, z, 1.0, n, 123) for _ in range(2)]
        if not np.array_equal(*again):
            _fail("two calls with the same seed drew different indices: draw with "
                  "rng = np.random.default_rng(seed) (not np.random.choice or np.random.rand, "
                  "the global generator), so a sample can be repeated")
        for tau in (1.0, 0.5, 2.0):
            counts = np.bincount(_draws(fn, z, tau, n, 1000 + seed), minlength=n_y)
            p = _softmax(z / tau)
            stat = _chi2(counts, p)
            if stat <= _chi2_limit(n_y - 1):
                continue
            freq = ", ".join(f"{c / n:.3f}" for c in counts)
            want = ", ".join(f"{v:.3f}" for v in p)
            alts = [
                (_softmax(z), "the temperature has no effect: it divides the logits BEFORE the "
                 "softmax, softmax(z / τ); dividing the probabilities by τ after the softmax "
                 "cancels when they are normalised (sampling with a temperature in " + TEXT + ")"),
                (_softmax(z * tau), "the logits are multiplied by the temperature: divide them, "
                 "softmax(z / τ), so that τ < 1 sharpens the distribution and τ > 1 flattens it"),
                (np.full(n_y, 1.0 / n_y), "the indices are drawn uniformly: draw them with the "
                 "probabilities softmax(z / τ) (rng.choice(n, p=...) or the inverse of the "
                 "cumulative sum)"),
                (_softmax(z / tau) ** 2 / np.sum(_softmax(z / tau) ** 2), None),
            ]
            for q, message in alts:
                if message and _chi2(counts, q) <= _chi2_limit(n_y - 1):
                    _fail(message + f" (τ = {tau:g}: your frequencies {freq}; softmax(z/τ) is "
                          f"{want})")
            _fail(f"the frequencies of {n} draws at τ = {tau:g} are not those of softmax(z / τ): "
                  f"got {freq}, expected about {want} (Pearson's χ² = {stat:.1f}, "
                  f"more than {_chi2_limit(n_y - 1):.1f})")
        best = int(np.argmax(z))
        for tau in (1e-3, 1e-12):
            draws = _draws(fn, z, tau, 200, seed, strict=True)
            if not np.all(draws == best):
                _fail(f"at temperature τ = {tau:g} every draw should be the argmax of z, index "
                      f"{best}; got {np.bincount(draws, minlength=n_y).tolist()} (counts per "
                      "index): as τ → 0, softmax(z / τ) puts all its mass on the largest logit")
        big = z + 1000.0
        counts = np.bincount(_draws(fn, big, 1.0, n, 7, strict=True), minlength=n_y)
        if _chi2(counts, _softmax(big)) > _chi2_limit(n_y - 1):
            _fail("for logits near 1000 the draws are not those of softmax(z / τ): subtract the "
                  "largest logit before exp")


# ------------------------------------------------------------------ q6: a model that learns

#: The tiny corpus the notebook ships (its public test trains on it) and another one for the
#: hidden test: 16 and 15 distinct characters, a few hundred in all (60 steps: a fraction of a
#: second in the notebook, about a second when graded).
CORPORA = {
    "public": ("the cat sat on the mat.\nthe dog sat on the log.\n"
               "the cat saw the dog.\nthe dog saw the cat.\n") * 3,
    "hidden": ("a red hen ran. a big pig hid.\nthe hen and the pig ran and hid.\n"
               "a pig ran; a hen hid.\n") * 3,
}


def _loss_per_char(params, text, vocab):
    """The model's loss per character on ``text`` read as one sequence from zero state."""
    ids = np.array([vocab.index(ch) for ch in text])
    eye = np.eye(len(vocab))
    x, y = eye[:, ids[None, :-1]], eye[:, ids[None, 1:]]
    zeros = np.zeros((params["W_ya"].shape[0], 1))
    y_hat = lstm.lstm_forward(x, zeros, params, c0=zeros)[1]
    return float(-np.sum(y * np.log(np.maximum(y_hat, 1e-300)))) / x.shape[2]


@functools.lru_cache(maxsize=32)
def _reference_training(text, steps, hidden, T_w, batch, lr, clip, seed, slip=None):
    """The parameters the question's procedure ends with; ``slip`` puts one usual slip in it.

    Cached (the same few runs serve every submission a grading worker sees): read-only."""
    from . import _correct

    vocab = "".join(sorted(set(text)))
    n = len(vocab)
    ids = np.array([vocab.index(ch) for ch in text])
    L = (len(ids) - 1) // batch
    rows_x = np.stack([ids[j * L:(j + 1) * L] for j in range(batch)])
    rows_y = np.stack([ids[j * L + 1:(j + 1) * L + 1] for j in range(batch)])
    eye = np.eye(n)
    params = lstm.init_params(n, hidden, n, seed=seed)

    def fresh():
        zeros = {k: np.zeros_like(v) for k, v in params.items()}
        return {"m": zeros, "v": {k: z.copy() for k, z in zeros.items()}, "t": 0}

    state = fresh()
    a = c = np.zeros((hidden, batch))
    for step in range(steps):
        w = step % (L // T_w)
        if w == 0 and slip != "no_wrap_reset" or slip == "zero_state":
            a = c = np.zeros((hidden, batch))
        cols = slice(w * T_w, (w + 1) * T_w)
        (g,), a, c = _correct.tbptt_gradients(eye[:, rows_x[:, cols]], eye[:, rows_y[:, cols]],
                                              a, c, params, T_w)
        if slip == "clip_all":
            g, _ = _correct.clip_by_global_norm(g, clip)
        grads = {"d" + k: g["d" + k] for k in params}
        if slip not in ("no_clip", "clip_all"):
            grads, _ = _correct.clip_by_global_norm(grads, clip)
        params, new_state = _correct.adam_step(params, grads, state, lr)
        state = fresh() if slip == "adam_reset" else new_state
    return params


TRAINING_SLIPS = {
    "zero_state": "every window starts from zero state: carry (a, c) from the window before "
    "(reset to zeros only when the windows start again from the first)",
    "adam_reset": "Adam starts afresh at every step: keep the state adam_step returns "
    "(params, state = adam_step(params, grads, state, lr)), so m, v and t carry on",
    "no_clip": "the gradients are not clipped: clip the parameters' gradients by their global "
    "norm at clip before each Adam step (your clip_by_global_norm)",
    "clip_all": "the clipped norm includes dx and da0: clip only the parameters' gradients "
    "({'d' + k: grads['d' + k] for k in params}); dx and da0 are not parameters, and their "
    "size would change the factor",
    "no_wrap_reset": "the state is carried from the last window to the first when the windows "
    "start again: the first window's text does not continue the last one's, so it starts "
    "from zeros",
}


def check_train_char_model(fn, corpus="public", steps=60, limit=1.0, exact=False):
    """``fn(text, steps, hidden, T_w, batch, lr, clip, seed) -> (params, vocab)`` trains an LSTM on
    ``text`` with adam_step, clip_by_global_norm and tbptt_gradients; the trained model's loss per
    character on the text must fall below ``limit`` nats (from ln(vocabulary size), about 2.8,
    untrained). With ``exact``, the parameters must also be those of the procedure the question
    states (which names the step that differs).

    The student's own helpers are tried first (in the grader they run where the answer runs, so
    the usual case is fast); only when that fails is the run repeated with correct versions of
    questions 1–3 (each of their calls then crosses to the checker), so that a slip there costs
    its own question, not this one too."""
    try:
        _check_training(fn, corpus, steps, limit, exact)
    except AssertionError:
        _check_training(with_correct(fn, earlier(ASSIGNMENT, "train_char_model")), corpus,
                        steps, limit, exact)


def _check_training(fn, corpus, steps, limit, exact):
    text = CORPORA[corpus]
    vocab = "".join(sorted(set(text)))
    hidden, T_w, batch, lr, clip, seed = 16, 8, 4, 0.05, 1.0, 0
    got = _unpack(_call(fn, "train_char_model", text, steps, hidden, T_w, batch, lr, clip,
                        seed),
                  "train_char_model", ("params", "vocab"))
    params, got_vocab = got
    if not isinstance(got_vocab, str) or got_vocab != vocab:
        _fail(f"vocab should be the sorted distinct characters of the text, "
              f"''.join(sorted(set(text))) = {vocab!r}; got {got_vocab!r:.80}")
    start = lstm.init_params(len(vocab), hidden, len(vocab), seed=seed)
    if not isinstance(params, dict) or set(params) != set(start):
        _fail(f"params should be the dict of the LSTM's parameters ({', '.join(start)}); got "
              + (", ".join(map(str, params)) if isinstance(params, dict)
                 else type(params).__name__))
    for k, v in start.items():
        if np.shape(params[k]) != v.shape:
            _fail(f"params[{k!r}] should keep its shape {v.shape}; got {np.shape(params[k])}")
    if all(np.array_equal(params[k], v) for k, v in start.items()):
        _fail("the parameters are those of lstm.init_params(n, hidden, n, seed=seed): training "
              "never changed them; keep what adam_step returns, params, state = adam_step(...)")
    if not all(np.all(np.isfinite(params[k])) for k in start):
        _fail("the trained parameters hold nan or inf: the training diverged (clip the gradients "
              "before the Adam step)")
    before = _loss_per_char(start, text, vocab)
    after = _loss_per_char(params, text, vocab)
    if not after < limit:
        _fail(f"after {steps} steps the loss per character on the text is {after:.3g} nats "
              f"(untrained {before:.3g}); a working loop gets below {limit:g}: each step takes "
              "the next window (wrapping round at the end, with zero state there), carries "
              "(a, c) from the window before, clips the window's gradient and takes one Adam "
              "step with the state Adam returned")
    if exact:
        args = (text, steps, hidden, T_w, batch, lr, clip, seed)
        want = _reference_training(*args)

        def same(p):
            return all(rel_error(params[k], p[k]) <= 1e-6 for k in p)

        if not same(want):
            for slip, message in TRAINING_SLIPS.items():
                if same(_reference_training(*args, slip=slip)):
                    _fail(f"{message} (your model learns, loss {after:.3g}, but not by the "
                          "procedure the question states)")
            wrong = [k for k in want if rel_error(params[k], want[k]) > 1e-6]
            _fail(f"your model learns (loss {after:.3g}) but its parameters after {steps} steps "
                  f"differ from those of the procedure the question states ({', '.join(wrong)} "
                  "are off): check the rows and windows, the zero state at the first window, "
                  "the clipping and the Adam state")


__all__ = [
    "CORPORA",
    "check_train_char_model",
    "check_adam_step",
    "check_clip_by_global_norm",
    "check_evaluate",
    "check_sample_indices",
    "check_tbptt_gradients",
]
