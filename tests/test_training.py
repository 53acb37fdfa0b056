"""lstm_src.training: clipping by global norm, the echo task, the SGD step."""
import numpy as np
import pytest

from lstm_src import lstm, training
from lstm_src.loss import cross_entropy


def _grads(seed=0):
    rng = np.random.default_rng(seed)
    return {"dW": rng.normal(size=(3, 4)), "db": rng.normal(size=(4, 1))}


def test_global_norm_is_the_norm_of_everything_flattened():
    g = _grads()
    flat = np.concatenate([v.ravel() for v in g.values()])
    assert training.global_norm(g) == pytest.approx(np.linalg.norm(flat), rel=1e-14)


def test_clip_caps_the_norm_and_keeps_the_direction():
    g = _grads()
    norm = training.global_norm(g)
    clipped, reported = training.clip_gradients(g, norm / 4)
    assert reported == pytest.approx(norm, rel=1e-14)
    assert training.global_norm(clipped) == pytest.approx(norm / 4, rel=1e-12)
    for k in g:   # the same factor for every array: the direction is unchanged
        np.testing.assert_allclose(clipped[k], g[k] / 4, rtol=1e-12)


def test_clip_leaves_small_gradients_alone_and_copies():
    g = _grads()
    clipped, _ = training.clip_gradients(g, 1e6)
    for k in g:
        np.testing.assert_array_equal(clipped[k], g[k])
        assert clipped[k] is not g[k]
    clipped["dW"][0, 0] = 123.0
    assert g["dW"][0, 0] != 123.0      # the input is never modified


def test_clip_of_zero_gradients_is_zero():
    clipped, norm = training.clip_gradients({"d": np.zeros((2, 2))}, 1.0)
    assert norm == 0.0 and not np.any(clipped["d"])


@pytest.mark.parametrize("bad", [0, -1.0, np.inf, np.nan, True, "1", None])
def test_clip_rejects_bad_max_norm(bad):
    with pytest.raises(ValueError, match="max_norm must be a positive finite number"):
        training.clip_gradients(_grads(), bad)


@pytest.mark.parametrize("bad", [{}, [np.ones(2)], None, {"d": np.array(["a"])}])
def test_clip_rejects_bad_grads(bad):
    with pytest.raises(ValueError):
        training.clip_gradients(bad, 1.0)


def test_clip_rejects_non_finite_gradients():
    with pytest.raises(ValueError, match="must be finite"):
        training.clip_gradients({"dW": np.array([1.0, np.inf])}, 1.0)


def test_echo_task_labels_are_the_inputs_delay_steps_back():
    x, y = training.echo_task(4, 5, 7, delay=2, seed=3)
    assert x.shape == y.shape == (4, 5, 7)
    assert np.all(x.sum(axis=0) == 1) and np.all(y.sum(axis=0) == 1)   # one-hot
    np.testing.assert_array_equal(y[:, :, 2:], x[:, :, :-2])
    assert np.all(y[0, :, :2] == 1)                  # nothing to repeat yet: symbol 0
    x2, y2 = training.echo_task(4, 5, 7, delay=2, seed=3)
    np.testing.assert_array_equal(x, x2)                                 # seeded
    assert not np.array_equal(x, training.echo_task(4, 5, 7, delay=2, seed=4)[0])


@pytest.mark.parametrize("kwargs, message", [
    (dict(n_symbols=1, m=2, T_x=3), "n_symbols"),
    (dict(n_symbols=3, m=0, T_x=3), "m must"),
    (dict(n_symbols=3, m=2, T_x=2.5), "T_x must"),
    (dict(n_symbols=3, m=2, T_x=3, delay=0), "delay must"),
    (dict(n_symbols=3, m=2, T_x=3, delay=3), "larger than delay"),
])
def test_echo_task_rejects_bad_sizes(kwargs, message):
    with pytest.raises(ValueError, match=message):
        training.echo_task(**kwargs)


def test_sgd_step_moves_against_the_gradient():
    p = {"W": np.ones((2, 3)), "b": np.zeros((3, 1))}
    g = {"dW": np.full((2, 3), 2.0), "db": np.ones((3, 1)), "dx": np.ones(5)}
    new = training.sgd_step(p, g, 0.5)
    np.testing.assert_allclose(new["W"], 0.0)
    np.testing.assert_allclose(new["b"], -0.5)
    np.testing.assert_allclose(p["W"], 1.0)                               # not modified


@pytest.mark.parametrize("params, grads, lr, message", [
    ({"W": np.ones(2)}, {"dW": np.ones(2)}, 0.0, "learning_rate"),
    ({"W": np.ones(2)}, {"dW": np.ones(2)}, np.nan, "learning_rate"),
    ({"W": np.ones(2)}, {"dV": np.ones(2)}, 0.1, "missing dW"),
    ({"W": np.ones(2)}, {"dW": np.ones(3)}, 0.1, "shape of W"),
    ([1.0], {"dW": np.ones(2)}, 0.1, "must be dicts"),
])
def test_sgd_step_rejects_bad_input(params, grads, lr, message):
    with pytest.raises(ValueError, match=message):
        training.sgd_step(params, grads, lr)


def test_clipped_sgd_learns_the_echo_task():
    """The whole loop: lstm_backward's gradients, clipped, make the loss fall far below chance."""
    x, y = training.echo_task(3, 8, 5, delay=1, seed=0)
    params = lstm.init_params(3, 6, 3, seed=0)
    a0 = np.zeros((6, 8))
    losses = []
    for _ in range(60):
        _, y_hat, _, caches = lstm.lstm_forward(x, a0, params)
        losses.append(cross_entropy(y_hat, y))
        grads = lstm.lstm_backward(y, caches)
        grads, _ = training.clip_gradients({k: grads[k] for k in grads if k[1:] in params}, 5.0)
        params = training.sgd_step(params, grads, 1.0)
    assert losses[-1] < 0.25 * losses[0]
