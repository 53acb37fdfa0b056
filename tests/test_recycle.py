"""lstm_src.recycle.BufferPool, and the fast LSTM's use of it.

A block of memory is handed out again only when no array refers to it; what is
still referenced (caches, outputs, views of views) is never overwritten.
"""
import threading

import numpy as np
import pytest

from lstm_src import fast, lstm
from lstm_src.gradcheck import random_problem
from lstm_src.recycle import BufferPool

SHAPES = [(5, 7, 3), (4, 1), (2,)]


def _address(arr):
    return arr.__array_interface__["data"][0]


def test_arrays_have_the_shapes_dtype_and_alignment_asked_for():
    """Each array has its shape and dtype, is C-contiguous, writable and 64-byte aligned."""
    pool = BufferPool()
    for dtype in (np.float32, np.float64):
        arrays = pool.arrays(SHAPES, dtype)
        assert [a.shape for a in arrays] == SHAPES
        for a in arrays:
            assert a.dtype == dtype and a.flags.c_contiguous and a.flags.writeable
            assert _address(a) % 64 == 0


def test_arrays_of_one_call_do_not_overlap():
    """The arrays of one call are disjoint: writing one leaves the others as they were."""
    a, b, c = BufferPool().arrays(SHAPES, np.float64)
    a[...], b[...], c[...] = 1.0, 2.0, 3.0
    assert (a == 1.0).all() and (b == 2.0).all() and (c == 3.0).all()
    assert not any(np.shares_memory(p, q) for p, q in ((a, b), (a, c), (b, c)))


def test_a_free_block_is_reused():
    """Once every array of a call is gone, the next call of that size gets the same memory."""
    pool = BufferPool()
    first = pool.arrays(SHAPES, np.float64)
    where = _address(first[0])
    del first
    second = pool.arrays(SHAPES, np.float64)
    assert _address(second[0]) == where and len(pool) == 1


@pytest.mark.parametrize("survivor", ["array", "view", "view of a view", "transposed slice"])
def test_a_block_still_referenced_is_never_reused(survivor):
    """Any array or view into a block keeps it out of reach: the next call gets new memory."""
    pool = BufferPool()
    a, b, c = pool.arrays(SHAPES, np.float64)
    keep = {"array": b, "view": a[1:], "view of a view": a[1:][:, 2:][..., ::2],
            "transposed slice": a.transpose(2, 0, 1)[1]}[survivor]
    keep[...] = 7.0
    del a, b, c
    fresh = pool.arrays(SHAPES, np.float64)
    for arr in fresh:
        arr[...] = -1.0
        assert not np.shares_memory(arr, keep)
    assert (keep == 7.0).all() and len(pool) == 2


def test_keep_zero_never_reuses_and_holds_nothing():
    """keep=0 gives fresh memory at every call and the pool holds no block."""
    pool = BufferPool(keep=0)
    first = pool.arrays(SHAPES, np.float64)
    assert len(pool) == 0
    del first
    assert len(pool.arrays(SHAPES, np.float64)) == 3 and len(pool) == 0


def test_free_blocks_beyond_keep_are_released():
    """Of the free blocks, at most `keep` stay in the pool."""
    pool = BufferPool(keep=2)
    held = [pool.arrays([(n * 100,)], np.float64) for n in (1, 3, 9, 27, 81)]
    assert len(pool) == 5
    del held
    pool.arrays([(1,)], np.float64)  # a new small block; the free ones are trimmed to 2
    assert len(pool) == 3


def test_threads_never_share_a_block():
    """Eight threads taking and holding arrays at once never get overlapping memory."""
    pool, got, barrier = BufferPool(), [], threading.Barrier(8)

    def worker():
        barrier.wait()
        for _ in range(50):
            arrays = pool.arrays(SHAPES, np.float64)
            got.append(arrays[0])  # held until the end

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    starts = sorted(_address(a) for a in got)
    assert len(set(starts)) == len(got) == 400


# ------------------------------------------------------------ the fast LSTM


def test_fast_outputs_survive_later_calls():
    """a, y_hat and c of one call keep their values while later calls run (caches dropped)."""
    params, x, a0, y = random_problem(lstm, 3, 4, 3, 2, 5, seed=1)
    a, y_hat, c, _ = fast.lstm_forward(x, a0, params)
    saved = [v.copy() for v in (a, y_hat, c)]
    for k in range(3):
        fast.lstm_backward(y, fast.lstm_forward(x * (k + 2), a0, params)[-1])
    assert all(np.array_equal(s, v) for s, v in zip(saved, (a, y_hat, c)))


def test_fast_backward_of_an_earlier_call_is_unchanged():
    """Backward on caches held across two later calls gives the gradients it gave at once."""
    params, x, a0, y = random_problem(lstm, 3, 4, 3, 2, 5, seed=2)
    caches = fast.lstm_forward(x, a0, params)[-1]
    expected = fast.lstm_backward(y, caches)
    for k in range(2):
        fast.lstm_backward(y, fast.lstm_forward(-x * (k + 1), a0, params)[-1])
    got = fast.lstm_backward(y, caches)
    assert all(np.array_equal(expected[k], got[k]) for k in expected)


def test_fast_gradients_do_not_share_the_pool():
    """Gradients are new arrays: holding them does not pin a pooled block, later calls keep them."""
    params, x, a0, y = random_problem(lstm, 3, 4, 3, 2, 5, seed=3)
    grads = fast.lstm_backward(y, fast.lstm_forward(x, a0, params)[-1])
    saved = {k: v.copy() for k, v in grads.items()}
    fast.lstm_backward(y, fast.lstm_forward(2 * x, a0, params)[-1])
    assert all(np.array_equal(saved[k], grads[k]) for k in grads)
    for v in grads.values():
        base = v.base if v.base is not None else v
        assert base.dtype != np.uint8  # not carved from a pool block


def test_fast_gives_the_same_bits_with_fresh_memory():
    """keep=0 (fresh memory at every call) and recycled memory give identical results."""
    params, x, a0, y = random_problem(lstm, 4, 6, 3, 3, 7, seed=4)
    results = []
    keep = fast.POOL.keep
    try:
        for k in (0, keep):
            fast.POOL.keep = k
            a, y_hat, c, caches = fast.lstm_forward(x, a0, params)
            results.append({"a": a.copy(), "c": c.copy(), **fast.lstm_backward(y, caches)})
    finally:
        fast.POOL.keep = keep
    assert all(np.array_equal(results[0][k], results[1][k]) for k in results[0])
