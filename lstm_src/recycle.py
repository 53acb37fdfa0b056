r"""Memory that a later call reuses once nothing refers to it any more.

A new large numpy array costs more than its arithmetic: the operating system
hands out fresh memory one page (4 KiB) at a time, on first touch, and each
such page fault costs about a microsecond. At the benchmark's sizes the fast
LSTM's forward and backward passes would touch some 10 MB of fresh memory a
call in float64, about 2,500 faults, a few milliseconds. :class:`BufferPool`
keeps the blocks of earlier calls and hands one out again as soon as no array
refers to it: numpy views keep their memory alive through their ``base``, so a
block that only the pool still references is free, while caches or outputs
that are still held keep theirs.

Defined in: book/part4/making_it_fast.ipynb
"""
import sys
import threading

import numpy as np

__all__ = ["BufferPool"]

_ALIGN = 64  # bytes: every array starts on a cache line


def _padded(nbytes):
    return -(-nbytes // _ALIGN) * _ALIGN


class BufferPool:
    r"""Arrays carved from one memory block per call, reused once it is free.

    Defined in: book/part4/making_it_fast.ipynb

    Parameters
    ----------
    keep : int
        How many free blocks to keep for later calls; 0 frees every block as
        soon as nothing refers to it (fresh memory at every call, as with
        ``np.empty``).

    Examples
    --------
    >>> pool = BufferPool()
    >>> shapes = [(50, 512, 32), (128, 51, 32)]
    >>> G, H = pool.arrays(shapes, np.float64)
    >>> del G, H                       # nothing refers to the block now
    >>> G2, H2 = pool.arrays(shapes, np.float64)   # the same memory again
    """

    def __init__(self, keep=4):
        self.keep = keep
        self._blocks = []
        self._lock = threading.Lock()
        self._free_refs = self._refs_of_a_free_block()

    def _refs_of_a_free_block(self):
        """sys.getrefcount of a block only the pool's list holds, measured."""
        self._blocks.append(np.empty(0, np.uint8))
        refs = sys.getrefcount(self._blocks[0])
        self._blocks.clear()
        return refs

    def _is_free(self, i):
        return sys.getrefcount(self._blocks[i]) <= self._free_refs

    def arrays(self, shapes, dtype):
        """New arrays of these shapes and this dtype, as from ``np.empty``.

        Parameters
        ----------
        shapes : list of tuple of int
        dtype : numpy dtype

        Returns
        -------
        list of ndarray
            C-contiguous, 64-byte aligned, writable; they share one block,
            which stays out of the pool's reach until none of them (and no
            view of them) is left.
        """
        dtype = np.dtype(dtype)
        sizes = [int(np.prod(s, dtype=np.int64)) * dtype.itemsize
                 for s in shapes]
        need = sum(_padded(s) for s in sizes) + _ALIGN
        with self._lock:
            free = [i for i in range(len(self._blocks))
                    if self._is_free(i)]
            block = None
            # the smallest free block that fits, not too big
            if self.keep > 0:
                fits = [self._blocks[i] for i in free
                        if need <= self._blocks[i].nbytes <= 2 * need]
                block = min(fits, key=lambda b: b.nbytes, default=None)
            if block is None:
                block = np.empty(need, np.uint8)
                if self.keep > 0:
                    self._blocks.append(block)
            spare = [i for i in free if self._blocks[i] is not block]
            for i in reversed(spare[: max(0, len(spare) - self.keep)]):
                del self._blocks[i]  # the oldest free blocks go first
            start = (-block.ctypes.data) % _ALIGN
            out = []
            for shape, size in zip(shapes, sizes):
                piece = block[start : start + size]
                out.append(piece.view(dtype).reshape(shape))
                start += _padded(size)
            return out

    def __len__(self):
        """How many blocks the pool holds (free or in use)."""
        return len(self._blocks)
