"""The machinery every assignment's checks share.

Calling a student's function safely (:func:`_call`), unpacking its result,
comparing arrays and dicts of gradients with a reference and saying how they
differ (:func:`check_array`, :func:`check_grads`), and random problems whose
sizes n_x, n_a, n_y, m all differ, so that a missing transpose cannot hide.
"""

import contextlib
import copy
import functools
import inspect
import re
import signal
import threading
import warnings

import numpy as np

from .. import lstm, rnn
from ..gradcheck import random_problem, rel_error
from ..loss import softmax_cross_entropy_backward

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


def random_sizes(seed):
    """Sizes of one random problem: n_x, n_a, n_y, m all different, T_x in 2..4."""
    rng = np.random.default_rng(seed)
    n_x, n_a, n_y, m = (int(v) for v in rng.permutation([2, 3, 4, 5, 6])[:4])
    return {"n_x": n_x, "n_a": n_a, "n_y": n_y, "m": m, "T_x": int(rng.integers(2, 5))}


def _problem(module, seed, **override):
    """Random parameters (non-zero biases), x (n_x, m, T_x), a0 (n_a, m) and one-hot y."""
    return random_problem(module, **{**random_sizes(seed), **override}, seed=1000 + seed)


#: Seconds one call of a student's function may take (an infinite loop costs its own question only).
CALL_TIMEOUT = 10.0

#: The question each student function answers, for messages ("q3: gates did not return ...").
QUESTION_OF = {}

#: The parameter names each prompt gives a student function, for messages about its inputs
#: when its own signature cannot be read (the grader's proxies).
PARAMETERS = {}


class _CallTimedOut(BaseException):
    """Raised by the alarm inside a student's function (a BaseException: ``except Exception`` in
    the student's code cannot swallow it)."""


def is_proxy(fn):
    """True for the grader's proxy callables (objects with a ``with_correct`` method): the student's
    function runs in another process, which enforces the time limit and the floating-point rules."""
    return callable(getattr(fn, "with_correct", None))


@contextlib.contextmanager
def _time_limit(seconds):
    """Raise :class:`_CallTimedOut` in the block after ``seconds``.

    Only in the main thread, on Unix, and when no other timer runs.

    Leaves an outer timer (e.g. a grader's own) alone; restores the previous SIGALRM handler.
    """
    usable = (
        seconds
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getitimer(signal.ITIMER_REAL)[0] == 0
    )
    if not usable:
        yield
        return

    def on_alarm(signum, frame):
        raise _CallTimedOut

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def with_correct(fn, correct):
    """``fn`` made to call the correct versions of the student's earlier answers.

    ``correct`` maps names in the student's namespace (e.g. ``"cell_forward"``) to correct
    functions (from :mod:`._correct`). For a plain function, each call of the result puts them
    into ``fn.__globals__`` for the duration of the call and restores what was there afterwards,
    even when the call fails; a proxy of the grader gets ``fn.with_correct(correct)``. So a slip
    in an earlier question costs points once, on that question, not again on every later one.
    """
    if not correct or fn is None or not callable(fn):
        return fn
    if is_proxy(fn):
        return fn.with_correct(dict(correct))
    namespace = getattr(fn, "__globals__", None)
    if not isinstance(namespace, dict):
        return fn
    absent = object()

    @functools.wraps(fn)
    def patched(*args, **kwargs):
        saved = {name: namespace.get(name, absent) for name in correct}
        namespace.update(correct)
        try:
            return fn(*args, **kwargs)
        finally:
            for name, value in saved.items():
                if value is absent:
                    namespace.pop(name, None)
                else:
                    namespace[name] = value

    return patched


def _copy(arg):
    """A deep copy of an argument (functions are passed as they are)."""
    if callable(arg):
        return arg
    try:
        return copy.deepcopy(arg)
    except Exception:  # noqa: BLE001  (anything that cannot be copied is passed as it is)
        return arg


def _changed(before, after):
    """Where ``after`` differs from ``before``, or None.

    "" for the whole thing, "['c']" for a key of a dict, "[0]" for an item of a list.
    """
    if isinstance(before, np.ndarray):
        same = (
            isinstance(after, np.ndarray)
            and after.shape == before.shape
            and np.array_equal(after, before, equal_nan=True)
        )
        return None if same else ""
    if isinstance(before, dict):
        if not isinstance(after, dict) or set(after) != set(before):
            return ""
        for key in before:
            where = _changed(before[key], after[key])
            if where is not None:
                return f"[{key!r}]{where}"
        return None
    if isinstance(before, (list, tuple)):
        if not isinstance(after, (list, tuple)) or len(after) != len(before):
            return ""
        for i, (b, a) in enumerate(zip(before, after)):
            where = _changed(b, a)
            if where is not None:
                return f"[{i}]{where}"
    return None


def _arg_names(fn, name, count):
    """The names of ``fn``'s first ``count`` parameters: its own, else the prompt's."""
    try:
        names = [
            p.name
            for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        names = []
    if len(names) < count:
        names = list(PARAMETERS.get(name, ()))
    return [names[i] if i < len(names) else f"argument {i + 1}" for i in range(count)]


def _call(fn, name, *args, strict=False, mutation_hint=None):
    """Call the student's function; a missing definition, an exception, None, a time-out or a
    changed input become feedback.

    The function gets copies of the arguments, so changing them in place cannot change the
    reference's inputs; a changed copy fails with a message naming the input (``mutation_hint``
    replaces the default advice). Each call may take :data:`CALL_TIMEOUT` seconds. With
    ``strict``, an overflow or division by zero inside it is an error too.
    """
    label = f"{QUESTION_OF[name]}: {name}" if name in QUESTION_OF else name
    if fn is None or not callable(fn):
        _fail(f"{name} is not defined: run the cell that defines it.")
    proxy = is_proxy(fn)
    copies = [_copy(a) for a in args]
    run = fn.strict if strict and proxy and callable(getattr(fn, "strict", None)) else fn
    try:
        with _time_limit(None if proxy else CALL_TIMEOUT), warnings.catch_warnings():
            warnings.simplefilter("error" if strict else "ignore", RuntimeWarning)
            errors = {"over": "raise", "invalid": "raise", "divide": "raise"} if strict else {}
            with np.errstate(**errors):
                out = run(*copies)
    except (_CallTimedOut, TimeoutError) as exc:
        limit = re.search(r"within ([0-9.]+) s", str(exc))  # a proxy's own limit, when it says
        seconds = limit.group(1) if limit else f"{CALL_TIMEOUT:g}"
        _fail(f"{label} did not return within {seconds} s (an infinite loop?)")
    except (FloatingPointError, RuntimeWarning) as exc:
        _fail(
            f"{name} overflowed ({exc}) for large inputs: keep every exponent <= 0 "
            "(exp(-|z|) for σ; subtract each column's maximum before exp for softmax)."
        )
    except Exception as exc:  # noqa: BLE001  (whatever the student's code raises is feedback)
        _fail(f"{name} raised {type(exc).__name__}: {exc}")
    after = getattr(fn, "last_args", None) if proxy else copies
    if after is not None:
        for arg_name, before, now in zip(_arg_names(fn, name, len(args)), args, after):
            where = _changed(before, now)
            if where is not None:
                hint = mutation_hint or (
                    f"`new = {arg_name}` does not copy, so an in-place *=, += or [...] = on it "
                    f"changes the caller's {arg_name}; use new = {arg_name} * ..., not in-place *="
                )
                _fail(f"{name} modified its input {arg_name}{where} ({hint})")
    if out is None:
        _fail(f"{name} returned None: finish the function (replace the ... with your code).")
    return out


def _unpack(out, name, names):
    """Check that ``out`` is a tuple of len(names) things."""
    if not isinstance(out, (tuple, list)) or len(out) != len(names):
        _fail(
            f"{name} should return {len(names)} values ({', '.join(names)}); "
            f"got {type(out).__name__}"
            + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else "")
        )
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
        hints = "; ".join(f"for {g}: {GATE_HINTS[g]}" for g in bad if g in GATE_HINTS)
        _fail(
            f"{names} {'is' if len(wrong) == 1 else 'are'} off{right}{where}: {hints}. Details: "
            f"{details}"
        )
    hints = "; ".join(INPUT_HINTS[k] for k in wrong if k in INPUT_HINTS) or (
        "check how the gradient is passed back to the inputs"
    )
    _fail(
        f"{', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} off while every weight "
        f"gradient is right{where}: {hints}. Details: {details}"
    )


def _ref_step(params, x, a0, c0=None):
    c0 = np.zeros_like(a0) if c0 is None else c0
    return lstm.lstm_cell_forward(x[:, :, 0], a0, c0, params)


def check_grads_ok(got, want, tol=TOL):
    """True when every gradient in ``want`` is matched by ``got`` (no message)."""
    return all(not _diagnose(k, got.get(k), want[k], tol) for k in want)


def _bptt_with(module, y, caches, order, carry=("a", "c")):
    """Back-propagation through time visiting the steps in ``order`` and passing back to the step
    before only what ``carry`` names: the reference with one of the usual loop slips in it."""
    steps, p = caches["steps"], caches["params"]
    n_a, m = steps[0]["a"].shape
    grads = {"d" + name: np.zeros_like(value) for name, value in p.items()}
    grads["dx"] = np.zeros((steps[0]["x"].shape[0], m, len(steps)))
    da_next, dc_next = np.zeros((n_a, m)), np.zeros((n_a, m))
    for t in order:
        k = steps[t]
        dz_y = softmax_cross_entropy_backward(k["y_hat"], y[:, :, t])
        grads["dW_ya"] += k["a"] @ dz_y.T
        grads["db_y"] += np.sum(dz_y, axis=1, keepdims=True)
        da = p["W_ya"] @ dz_y + (da_next if "a" in carry else 0.0)
        if module is lstm:
            step = lstm.lstm_cell_backward(da, dc_next if "c" in carry else 0.0 * dc_next, k)
            dc_next = step["dc_prev"]
        else:
            step = rnn.rnn_cell_backward(da, k)
        for name, value in step.items():
            if name.startswith(("dW_", "db_")):
                grads[name] += value
        grads["dx"][:, :, t] = step["dx"]
        da_next = step["da_prev"]
    grads["da0"] = da_next
    return grads


def _loop_slips(module, T):
    """(visiting order, what is carried back, message) for the usual slips of a loop over time."""
    back = list(reversed(range(T)))
    slips = [
        (
            back[1:],
            ("a", "c"),
            (
                f"your loop over time never visits the last step (time index T_x − 1 = {T - 1}): "
                "dx[:, :, -1] stays zero and that step's gradients are missing; "
                "reversed(range(T_x)) "
                "starts at T_x − 1"
            ),
        ),
        (
            back[:-1],
            ("a", "c"),
            (
                "your loop over time never visits the first step (time index 0): dx[:, :, 0] "
                "stays zero, "
                "the weight gradients miss its term, and da0 must be the da_prev of step index 0; "
                "reversed(range(T_x)) ends at 0"
            ),
        ),
        (
            list(range(T)),
            ("a", "c"),
            (
                "your loop runs forward in time (t = 0, 1, …): back-propagation goes from the "
                "last step "
                "to the first, reversed(range(T_x)), so that step t can add what step t+1 sends "
                "back"
            ),
        ),
        (
            back,
            ("c",),
            (
                "your gradients are right for a single time step but off over several: ∂J/∂a⟨t⟩ "
                "misses the part that step t+1 sends back: at each step "
                "da = W_ya dz_y + (da_prev of the step after), not W_ya dz_y alone (the t+1 "
                "component)"
            ),
        ),
    ]
    if module is lstm:
        slips.append(
            (
                back,
                ("a",),
                (
                    "your gradients are right for a single time step but off over several: "
                    "∂J/∂c⟨t⟩ misses the part that step t+1 sends back: pass the dc_prev of the "
                    "step after as this step's dc_next (zeros only at the last step)"
                ),
            )
        )
    return slips


def _check_sequence_grads(fn, name, module, forward, backward, seeds, T_x):
    for seed in seeds:
        params, x, a0, y = _problem(module, seed, **({"T_x": T_x} if T_x else {}))
        caches = forward(x, a0, params)[-1]
        want = backward(y, caches)
        got = _call(fn, name, y, caches)
        comparable = isinstance(got, dict) and all(k in got for k in want)
        if comparable and not check_grads_ok(got, want) and x.shape[2] > 1:
            for order, carry, message in _loop_slips(module, x.shape[2]):
                if check_grads_ok(got, _bptt_with(module, y, caches, order, carry)):
                    _fail(message)
            if np.shape(got["dx"]) == want["dx"].shape:
                report = step_report("dx", got["dx"], want["dx"])
                if report:
                    _fail(report)
            p1, x1, a1, y1 = _problem(module, seed, T_x=1)
            caches1 = forward(x1, a1, p1)[-1]
            got1 = _call(fn, name, y1, caches1)
            if isinstance(got1, dict) and check_grads_ok(got1, backward(y1, caches1)):
                late = _diagnose(
                    "dx at the last step", np.asarray(got["dx"])[:, :, -1], want["dx"][:, :, -1]
                )
                _fail(
                    "your gradients are right for a single time step but off over several"
                    + (" (dx is right at the last step and off before it)" if not late else "")
                    + ": the t+1 component is missing or wrong — ∂J/∂a⟨t⟩ (and ∂J/∂c⟨t⟩ for "
                    "the LSTM) also receives what step t+1 sends back (da_prev, dc_prev of the "
                    "step after), and each weight gradient sums over all steps"
                )
        check_grads(got, want, context=f"whole sequence, T_x = {x.shape[2]}", m=y.shape[1])
