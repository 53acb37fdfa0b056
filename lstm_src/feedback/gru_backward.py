"""Checks of assignment 5, the GRU's backward pass (``exercises/05_gru_backward``).

The GRU is :mod:`lstm_src.gru` in PyTorch's form (the chapter "The GRU, derived" of
Part V): Γ_r = σ(W_raᵀa⟨t−1⟩ + W_rxᵀx⟨t⟩ + b_r), Γ_z likewise, the candidate
ñ⟨t⟩ = tanh(W_nxᵀx⟨t⟩ + b_n + Γ_r∘h_n) with h_n = W_naᵀa⟨t−1⟩ + b_na, and the
interpolation a⟨t⟩ = (1 − Γ_z)∘ñ⟨t⟩ + Γ_z∘a⟨t−1⟩. The messages name the
equations in words and by their labels in the chapter (book/part5/gru.ipynb:
gru-r, gru-z, gru-n, gru-a, their backward gru-da, gru-dn, gru-prev), and the
slips students make: (1 − Γ_z) and Γ_z swapped, the path of a⟨t−1⟩ through
the interpolation forgotten, the reset gate applied to the wrong factor (Cho's
form instead of PyTorch's), σ′ or tanh′ taken of the gate's value, a
transpose, the 1/m, a loop through time that is one step off.
"""

import numpy as np

from .. import gru
from ..gradcheck import rel_error
from ..loss import softmax_cross_entropy_backward
from ._calling import PARAMETERS, QUESTION_OF, _call, _unpack, with_correct
from ._correct import earlier
from ._problems import _check_sequence_grads, _problem
from ._reports import GATE_HINTS, TOL, _fail, check_array, check_grads, check_grads_ok

ASSIGNMENT = "05_gru_backward"
QUESTION_OF.update(
    output_grads="q1",
    interpolation_backward="q2",
    gate_backward="q3",
    candidate_backward="q4",
    gru_step_backward="q5",
    gru_bptt="q6",
)
PARAMETERS.update(
    output_grads=("y_hat", "y", "a", "W_ya"),
    interpolation_backward=("da", "gamma_z", "n_tilde", "a_prev"),
    gate_backward=("dgamma", "gamma", "a_prev", "xt"),
    candidate_backward=("dn_tilde", "cache"),
    gru_step_backward=("da", "cache"),
    gru_bptt=("y", "caches"),
)

CHAPTER = "the GRU chapter"
#: The chapter's equations (book/part5/gru.ipynb), as the messages cite them.
EQ_INTERP = f"{CHAPTER}, eq. gru-a and its backward gru-da"
EQ_CAND = f"{CHAPTER}, eq. gru-n and its backward gru-dn"
EQ_GATES = f"{CHAPTER}, eq. gru-r and gru-z"
EQ_PREV = f"{CHAPTER}, eq. gru-prev"
INTERP = "a⟨t⟩ = (1 − Γ_z)∘ñ⟨t⟩ + Γ_z∘a⟨t−1⟩"
CAND = "ñ⟨t⟩ = tanh(W_nxᵀx⟨t⟩ + b_n + Γ_r∘(W_naᵀa⟨t−1⟩ + b_na))"

#: What to revisit when a block of the GRU's gradients is off (check_grads' ``hints``).
GRU_HINTS = {
    "r": "revisit ∂Γ_r/∂z_r = Γ_r∘(1−Γ_r) (gru-r) and the reset gate's "
    f"place in the candidate, {CAND}: ∂ñ/∂Γ_r = (1 − ñ∘ñ)∘h_n with h_n = W_naᵀa⟨t−1⟩ + b_na "
    f"({EQ_CAND})",
    "z": "revisit ∂Γ_z/∂z_z = Γ_z∘(1−Γ_z) (gru-z) and "
    f"∂a⟨t⟩/∂Γ_z = a⟨t−1⟩ − ñ⟨t⟩ (the interpolation {INTERP}, {EQ_INTERP})",
    "n": f"revisit ∂ñ/∂z_n = 1 − ñ∘ñ, ∂a⟨t⟩/∂ñ = 1 − Γ_z (the interpolation) and the recurrent "
    "term inside the reset gate's product: dW_na = a⟨t−1⟩(Γ_r∘δz_n)ᵀ, db_na = Σ Γ_r∘δz_n, "
    f"dW_nx = x δz_nᵀ, db_n = Σ δz_n ({EQ_CAND})",
    "y": GATE_HINTS["y"],
    "da_prev": "a⟨t−1⟩ reaches J four ways: directly through the interpolation (da∘Γ_z), "
    "through both gates (W_ra δz_r + W_za δz_z) and through the candidate's recurrent term "
    f"(W_na (Γ_r∘δz_n)); da_prev is their sum, no transpose ({EQ_PREV})",
    "dx": "x⟨t⟩ feeds both gates and the candidate: dx = W_rx δz_r + W_zx δz_z + W_nx δz_n "
    "(no transpose)",
    "da0": "da0 is what the first step (time index 0) sends back: its da_prev",
}

STEP_KEYS = ("dW_ra", "dW_rx", "db_r", "dW_za", "dW_zx", "db_z",
             "dW_na", "dW_nx", "db_n", "db_na", "da_prev", "dx")


def _fair(fn, name):
    """The student's function, calling correct versions of the earlier answers it may use."""
    return with_correct(fn, earlier(ASSIGNMENT, name))


def _step(seed, m=None):
    """A random GRU step: its cache, and a random gradient at a⟨t⟩."""
    params, x, a0, _ = _problem(gru, seed, **({"m": m} if m else {}))
    cache = gru.gru_cell_forward(x[:, :, 0], a0, params)[2]
    da = np.random.default_rng(seed).normal(size=a0.shape)
    return cache, da


def _sig(v):
    return 1.0 / (1.0 + np.exp(-v))


def _step_with(da, k, slips=()):
    """:func:`lstm_src.gru.gru_cell_backward` (PyTorch's form) with the named ``slips``."""
    p, x, a_prev = k["params"], k["x"], k["a_prev"]
    gz, gr, n, h_n = k["gamma_z"], k["gamma_r"], k["n_tilde"], k["h_n"]
    swap = "swap_z" in slips
    dgz = da * ((n - a_prev) if "sign_z" in slips else (a_prev - n))
    dn = da * (gz if swap else 1.0 - gz)
    da_prev = 0.0 * da if "no_direct" in slips else da * ((1.0 - gz) if swap else gz)
    dz_n = dn * ((1.0 - n) if "tanh_1" in slips
                 else (1.0 - np.tanh(n) ** 2) if "tanh_of_n" in slips else (1.0 - n * n))
    g = {"dW_nx": x @ dz_n.T, "db_n": np.sum(dz_n, axis=1, keepdims=True)}
    if "cho" in slips:
        d_ra = p["W_na"] @ dz_n
        dgr, da_n = d_ra * a_prev, d_ra * gr
        g["dW_na"], g["db_na"] = (gr * a_prev) @ dz_n.T, np.sum(dz_n, axis=1, keepdims=True)
    else:
        dh_n = dz_n if "no_r_in_h" in slips else dz_n * gr
        dgr = dz_n * h_n
        g["dW_na"] = a_prev @ dh_n.T
        g["db_na"] = np.sum(dz_n if "db_na_dz" in slips else dh_n, axis=1, keepdims=True)
        W_na = p["W_na"].T if "W_T" in slips else p["W_na"]
        da_n = W_na @ dh_n
    if "no_candidate_path" not in slips:
        da_prev = da_prev + da_n
    dx = p["W_nx"] @ dz_n
    if "swap_gates" in slips:
        dgr, dgz = dgz, dgr
    for gate, dgamma in (("r", dgr), ("z", dgz)):
        gamma = k[f"gamma_{gate}"]
        if "sigma_of_gamma" in slips:
            dz = dgamma * _sig(gamma) * (1.0 - _sig(gamma))
        elif "no_sigma" in slips:
            dz = dgamma
        else:
            dz = dgamma * gamma * (1.0 - gamma)
        g[f"dW_{gate}a"], g[f"dW_{gate}x"] = a_prev @ dz.T, x @ dz.T
        g[f"db_{gate}"] = np.sum(dz, axis=1, keepdims=True)
        W_a = p[f"W_{gate}a"].T if "W_T" in slips else p[f"W_{gate}a"]
        if "no_gate_paths" not in slips:
            da_prev = da_prev + W_a @ dz
        dx = dx + p[f"W_{gate}x"] @ dz
    g["da_prev"], g["dx"] = da_prev, dx
    return g


SWAP_Z = (
    f"(1 − Γ_z) and Γ_z are swapped: in the interpolation {INTERP} the candidate is weighted by "
    "1 − Γ_z and the old state by Γ_z (PyTorch's z), so ∂a⟨t⟩/∂ñ = 1 − Γ_z and "
    f"∂a⟨t⟩/∂a⟨t−1⟩ (the direct path) = Γ_z ({EQ_INTERP})"
)
SIGN_Z = (
    f"dgamma_z has the wrong sign: {INTERP}, so ∂a⟨t⟩/∂Γ_z = a⟨t−1⟩ − ñ⟨t⟩ (not ñ − a⟨t−1⟩) "
    f"({EQ_INTERP})"
)
NO_DIRECT = (
    "the path of a⟨t−1⟩ through the interpolation is forgotten: a⟨t−1⟩ appears in "
    f"{INTERP} itself, not only inside the gates and the candidate, so da_prev also gets "
    f"da∘Γ_z, summed with the other paths ({EQ_INTERP})"
)
CHO = (
    "the reset gate is applied to the wrong factor: you differentiated Cho et al.'s candidate "
    "tanh(W_nxᵀx + b_n + W_naᵀ(Γ_r∘a⟨t−1⟩) + b_na); this course uses PyTorch's, "
    f"{CAND}, where Γ_r multiplies the whole recurrent term h_n = W_naᵀa⟨t−1⟩ + b_na: "
    "dgamma_r = δz_n∘h_n, dW_na = a⟨t−1⟩(Γ_r∘δz_n)ᵀ, db_na = Σ Γ_r∘δz_n, and the "
    f"candidate's share of da_prev is W_na (Γ_r∘δz_n) ({EQ_CAND}; Cho's form is gru-n-cho)"
)

#: Slips of the candidate's backward step (q4), with the message for each.
CANDIDATE_SLIPS = {
    ("cho",): CHO,
    ("tanh_1",): "tanh′ = 1 − tanh², not 1 − tanh: δz_n = dn_tilde∘(1 − ñ∘ñ) "
    f"({EQ_CAND})",
    ("tanh_of_n",): "tanh′ is taken of ñ itself: ñ is already tanh(z_n), so "
    f"tanh′(z_n) = 1 − ñ∘ñ, not 1 − tanh²(ñ) ({EQ_CAND})",
    ("no_r_in_h",): "the recurrent term's gradient misses the reset gate: h_n enters the "
    f"candidate as Γ_r∘h_n, so δh_n = Γ_r∘δz_n, and dW_na = a⟨t−1⟩ δh_nᵀ, db_na = Σ δh_n, "
    f"da_prev's share W_na δh_n ({EQ_CAND})",
    ("db_na_dz",): "db_na sums δz_n: b_na sits inside the reset gate's product, "
    f"Γ_r∘(W_naᵀa⟨t−1⟩ + b_na), so db_na = Σ Γ_r∘δz_n, unlike db_n = Σ δz_n "
    f"({EQ_CAND})",
    ("W_T",): "da_prev_n uses W_naᵀ: back through h_n = W_naᵀa⟨t−1⟩ + b_na the gradient is "
    "W_na δh_n (no transpose); W_na is square, so the shapes cannot catch it",
}

#: Slips of the whole step (q5), with the message for each.
STEP_SLIPS = {
    ("no_direct",): NO_DIRECT,
    ("swap_z",): SWAP_Z,
    ("sign_z",): SIGN_Z,
    ("cho",): CHO,
    ("no_candidate_path",): "da_prev misses the candidate's path: a⟨t−1⟩ also enters the "
    "candidate through h_n = W_naᵀa⟨t−1⟩ + b_na, which sends back W_na (Γ_r∘δz_n) "
    "(the da_prev_n of candidate_backward)",
    ("no_gate_paths",): "da_prev misses the gates' paths: a⟨t−1⟩ feeds both gates, "
    "z_r = W_raᵀa⟨t−1⟩ + …, z_z = W_zaᵀa⟨t−1⟩ + …, which send back W_ra δz_r + W_za δz_z",
    ("W_T",): "da_prev uses W_gaᵀ δz: back through z = W_gaᵀa⟨t−1⟩ + … the gradient is W_ga δz "
    "(no transpose), for both gates and the candidate; W_ga is square, so the shapes cannot "
    "catch it",
    ("swap_gates",): "the two gates' incoming gradients are swapped: Γ_z receives "
    "da∘(a⟨t−1⟩ − ñ) from the interpolation (dgamma_z) and Γ_r receives δz_n∘h_n from the "
    "candidate (dgamma_r); each goes back through its own gate, with its own Γ and weights",
    ("sigma_of_gamma",): "σ′ is taken of Γ itself: Γ is already σ(z), so σ′(z) = Γ∘(1−Γ), "
    "not σ(Γ)(1−σ(Γ)), for both gates ({EQ_GATES})",
    ("no_sigma",): "the σ′ factor is missing in both gates: δz = dgamma∘Γ∘(1−Γ) "
    f"({EQ_GATES})",
    ("tanh_1",): "tanh′ = 1 − tanh², not 1 − tanh: δz_n = dn_tilde∘(1 − ñ∘ñ) "
    f"({EQ_CAND})",
}


def _matches(got, want):
    return isinstance(got, dict) and check_grads_ok(got, want)


# ------------------------------------------------------------------ q1


def check_output_grads(fn, seeds=(0, 1)):
    """``fn(y_hat, y, a, W_ya) -> (dW_ya, db_y, da)`` for one step: δz_y = (ŷ − y)/m,
    dW_ya = a δz_yᵀ, db_y = Σ δz_y, da = W_ya δz_y (the part of ∂J/∂a⟨t⟩ through ŷ⟨t⟩)."""
    names = ("dW_ya", "db_y", "da")
    for seed in seeds:
        params, x, a0, y = _problem(gru, seed)
        a, y_hat, _ = gru.gru_cell_forward(x[:, :, 0], a0, params)
        y0 = y[:, :, 0]
        dz = softmax_cross_entropy_backward(y_hat, y0)
        want = (a @ dz.T, np.sum(dz, axis=1, keepdims=True), params["W_ya"] @ dz)
        got = _unpack(_call(fn, "output_grads", y_hat, y0, a, params["W_ya"],
                            mutation_hint=None), "output_grads", names)
        labels = ("dW_ya = a⟨t⟩ δz_yᵀ", "db_y = Σ_i δz_y", "da = W_ya δz_y (no transpose)")
        for label, g, w in zip(labels, got, want):
            check_array(f"{label}, with δz_y = (ŷ − y)/m", g, w, m=y.shape[1])


# ------------------------------------------------------------------ q2


def check_interpolation_backward(fn, seeds=(0, 1)):
    """``fn(da, gamma_z, n_tilde, a_prev) -> (dgamma_z, dn_tilde, da_prev_direct)``, back
    through a⟨t⟩ = (1 − Γ_z)∘ñ + Γ_z∘a⟨t−1⟩."""
    names = ("dgamma_z", "dn_tilde", "da_prev_direct")
    for seed in seeds:
        k, da = _step(seed)
        args = (da, k["gamma_z"], k["n_tilde"], k["a_prev"])
        want = gru.gru_hidden_state_backward(*args)
        got = _unpack(_call(fn, "interpolation_backward", *args), "interpolation_backward",
                      names)
        shapes_ok = all(np.shape(g) == w.shape for g, w in zip(got, want))
        if shapes_ok and any(rel_error(g, w) > TOL for g, w in zip(got, want)):
            gz, n, a_prev = k["gamma_z"], k["n_tilde"], k["a_prev"]
            if (rel_error(got[1], da * gz) <= TOL
                    and rel_error(got[2], da * (1.0 - gz)) <= TOL):
                _fail(SWAP_Z)
            if rel_error(got[0], da * (n - a_prev)) <= TOL:
                _fail(SIGN_Z)
            if not np.any(got[2]):
                _fail(NO_DIRECT + ": da_prev_direct = da∘Γ_z")
        labels = (f"dgamma_z = da∘(a⟨t−1⟩ − ñ) ({INTERP}, {EQ_INTERP})",
                  "dn_tilde = da∘(1 − Γ_z)", "da_prev_direct = da∘Γ_z")
        for label, g, w in zip(labels, got, want):
            check_array(label, g, w)


# ------------------------------------------------------------------ q3


def check_gate_backward(fn, seeds=(0, 1)):
    """``fn(dgamma, gamma, a_prev, xt) -> (dz, dW_a, dW_x, db)`` for a GRU gate
    Γ = σ(W_aᵀa⟨t−1⟩ + W_xᵀx⟨t⟩ + b), tried on both the reset and the update gate."""
    rule = f"σ′: ∂Γ/∂z = Γ∘(1−Γ) ({EQ_GATES}), so dz = dgamma∘Γ∘(1−Γ)"
    slips = [
        (np.ones_like, f"dz equals the incoming gradient: the derivative factor is missing, "
         f"{rule}"),
        (lambda g: g, f"dz = dgamma∘Γ is missing the factor (1−Γ): {rule}"),
        (lambda g: 1.0 - g, f"dz = dgamma∘(1−Γ) is missing the factor Γ: {rule}"),
        (lambda g: _sig(g) * (1.0 - _sig(g)),
         "σ′ is written from the pre-activation but given Γ: Γ is already σ(z), so "
         f"σ′(z) = Γ∘(1−Γ), not σ(Γ)(1−σ(Γ)); {rule}"),
    ]
    names = ("dz", "dW_a", "dW_x", "db")
    for seed in seeds:
        k, dgamma = _step(seed)
        for gate in ("r", "z"):
            gamma = k[f"gamma_{gate}"]
            want = (dgamma * gamma * (1 - gamma),) + tuple(
                f(dgamma * gamma * (1 - gamma)) for f in (
                    lambda dz: k["a_prev"] @ dz.T, lambda dz: k["x"] @ dz.T,
                    lambda dz: np.sum(dz, axis=1, keepdims=True)))
            got = _unpack(_call(fn, "gate_backward", dgamma, gamma, k["a_prev"], k["x"]),
                          "gate_backward", names)
            if np.shape(got[0]) == want[0].shape and rel_error(got[0], want[0]) > TOL:
                for factor, message in slips:
                    if rel_error(got[0], dgamma * factor(gamma)) <= TOL:
                        _fail(message)
            for n, g, w in zip(names, got, want):
                check_array(f"{n} (the {'reset' if gate == 'r' else 'update'} gate Γ_{gate})",
                            g, w)


# ------------------------------------------------------------------ q4

CANDIDATE_KEYS = ("dz_n", "dgamma_r", "dW_nx", "db_n", "dW_na", "db_na", "da_prev_n")


def _candidate_with(dn_tilde, k, slips=()):
    """The reference's answer to q4 (with ``slips``), from :func:`_step_with`'s formulas."""
    p, a_prev, gr, n = k["params"], k["a_prev"], k["gamma_r"], k["n_tilde"]
    dz_n = dn_tilde * ((1.0 - n) if "tanh_1" in slips
                       else (1.0 - np.tanh(n) ** 2) if "tanh_of_n" in slips else (1.0 - n * n))
    out = {"dz_n": dz_n, "dW_nx": k["x"] @ dz_n.T, "db_n": np.sum(dz_n, axis=1, keepdims=True)}
    if "cho" in slips:
        d_ra = p["W_na"] @ dz_n
        out.update(dgamma_r=d_ra * a_prev, dW_na=(gr * a_prev) @ dz_n.T,
                   db_na=np.sum(dz_n, axis=1, keepdims=True), da_prev_n=d_ra * gr)
        return out
    dh_n = dz_n if "no_r_in_h" in slips else dz_n * gr
    out.update(dgamma_r=dz_n * k["h_n"], dW_na=a_prev @ dh_n.T,
               db_na=np.sum(dz_n if "db_na_dz" in slips else dh_n, axis=1, keepdims=True),
               da_prev_n=(p["W_na"].T if "W_T" in slips else p["W_na"]) @ dh_n)
    return out


def check_candidate_backward(fn, seeds=(0, 1)):
    """``fn(dn_tilde, cache) -> dict`` with dz_n, dgamma_r, dW_nx, db_n, dW_na, db_na and
    da_prev_n (the candidate's share of ∂J/∂a⟨t−1⟩), back through PyTorch's candidate."""
    for seed in seeds:
        k, dn = _step(seed)
        want = _candidate_with(dn, k)
        got = _call(fn, "candidate_backward", dn, k)
        if not isinstance(got, dict) or any(key not in got for key in CANDIDATE_KEYS):
            _fail("candidate_backward should return a dict with keys "
                  + ", ".join(CANDIDATE_KEYS) + "; got "
                  + (", ".join(map(str, got)) if isinstance(got, dict) else type(got).__name__))
        if not check_grads_ok(got, want):
            for slips, message in CANDIDATE_SLIPS.items():
                if check_grads_ok(got, _candidate_with(dn, k, slips)):
                    _fail(message)
        labels = {
            "dz_n": "dz_n = dn_tilde∘(1 − ñ∘ñ)",
            "dgamma_r": "dgamma_r = δz_n∘h_n (h_n = W_naᵀa⟨t−1⟩ + b_na, the cache's h_n)",
            "dW_nx": "dW_nx = x⟨t⟩ δz_nᵀ",
            "db_n": "db_n = Σ_i δz_n",
            "dW_na": "dW_na = a⟨t−1⟩ (Γ_r∘δz_n)ᵀ",
            "db_na": "db_na = Σ_i Γ_r∘δz_n",
            "da_prev_n": "da_prev_n = W_na (Γ_r∘δz_n)",
        }
        for key in CANDIDATE_KEYS:
            check_array(f"{labels[key]} ({CAND}, {EQ_CAND})",
                        got[key], want[key])


# ------------------------------------------------------------------ q5


def check_gru_step_backward(fn, seeds=(0, 1)):
    """``fn(da, cache) -> grads`` for one step, as :func:`lstm_src.gru.gru_cell_backward`."""
    fn = _fair(fn, "gru_step_backward")
    for seed in seeds:
        k, da = _step(seed)
        want = gru.gru_cell_backward(da, k)
        want = {key: want[key] for key in STEP_KEYS}
        got = _call(fn, "gru_step_backward", da, k)
        if isinstance(got, dict) and all(key in got for key in want) and not _matches(got, want):
            for slips, message in STEP_SLIPS.items():
                if check_grads_ok(got, _step_with(da, k, slips)):
                    _fail(message)
        check_grads(got, want, context="one GRU step", hints=GRU_HINTS)


# ------------------------------------------------------------------ q6


def check_gru_bptt(fn, seeds=(0, 1), T_x=None):
    """``fn(y, caches) -> grads`` as :func:`lstm_src.gru.gru_backward`."""
    _check_sequence_grads(_fair(fn, "gru_bptt"), "gru_bptt", gru, gru.gru_forward,
                          gru.gru_backward, seeds, T_x, hints=GRU_HINTS)


__all__ = [
    "GRU_HINTS",
    "check_candidate_backward",
    "check_gate_backward",
    "check_gru_bptt",
    "check_gru_step_backward",
    "check_interpolation_backward",
    "check_output_grads",
]
