"""The message format between the checker and the sandboxed student process.

A frame is ``b"LSG1"``, a 4-byte big-endian length, a JSON header, then the
arrays the header's ``"blobs"`` describe (dtype string of a plain numeric or
text type, shape), each as an 8-byte length and its raw bytes. Decoding uses
``json.loads`` and ``np.frombuffer`` on an allow-list of dtypes only, so a
frame written by a hostile student process can fail to decode but can never
run code in the checker. Values travel as a JSON tree: numbers, strings,
``None``, lists, tuples, dicts with string keys, numpy arrays and scalars;
callables become numbered callbacks; anything else becomes :class:`Opaque`.

This file is copied into the sandbox: it imports only the standard library and numpy.
"""

import json
import os
import select
import struct
import time

import numpy as np

MAGIC = b"LSG1"
MAX_HEADER = 8 << 20
MAX_BLOB = 64 << 20
MAX_BLOBS = 10_000
#: Bytes of one frame, header and arrays together, that a reader accepts unless told otherwise
#: (checked against the lengths before anything is read, so a fake frame allocates nothing).
MAX_FRAME = 64 << 20
ALLOWED_KINDS = "biufcSU"


class ProtocolError(Exception):
    """A frame that is not what the protocol allows (or a closed/silent channel)."""


class Opaque:
    """Stands for a value of a type the protocol does not carry (e.g. a student's own class)."""

    def __init__(self, type_name):
        self.type_name = str(type_name)[:80]

    def __repr__(self):
        return f"<a {self.type_name} object>"


def encode(value, callbacks=None, local=None):
    """(JSON tree, [arrays]) for ``value``; callables go into ``callbacks`` (a list) if given.

    ``local(fn)`` may name a function the other side has itself (``"lstm_src.lstm.lstm_forward"``):
    it is sent as that name too, so the other side can call its own copy instead of calling back.
    """
    blobs, memo = [], {}

    def enc(v, depth=0):
        if depth > 50:
            return {"t": "opaque", "type": "deeply nested value"}
        if isinstance(v, (np.ndarray, np.generic)):
            if id(v) in memo:
                return {"t": "ref", "i": memo[id(v)]}
            arr = np.asarray(v)
            if arr.dtype.hasobject or arr.dtype.kind not in "biufcSU" or arr.nbytes > MAX_BLOB:
                return {"t": "opaque", "type": f"array of {arr.dtype}"}
            blobs.append(arr)
            memo[id(v)] = len(blobs) - 1
            return {"t": "nd", "i": len(blobs) - 1, "scalar": isinstance(v, np.generic)}
        if v is None or isinstance(v, (bool, int, str)):
            if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 2**63:
                return {"t": "opaque", "type": "int (too large)"}
            return v
        if isinstance(v, float):
            return {"t": "float", "v": repr(v)}
        if isinstance(v, (list, tuple)):
            return {
                "t": "list" if isinstance(v, list) else "tuple",
                "v": [enc(x, depth + 1) for x in v],
            }
        if isinstance(v, dict) and all(isinstance(k, str) for k in v):
            return {"t": "dict", "k": list(v), "v": [enc(x, depth + 1) for x in v.values()]}
        if callable(v) and callbacks is not None:
            callbacks.append(v)
            ref = local(v) if local else None
            return {"t": "fn", "i": len(callbacks) - 1, **({"ref": ref} if ref else {})}
        return {"t": "opaque", "type": type(v).__name__}

    return enc(value), blobs


def decode(tree, blobs, make_callback=None):
    """The value ``tree`` encodes; callbacks become ``make_callback(index)`` (or Opaque)."""

    def dec(t, depth=0):
        if depth > 60:
            raise ProtocolError("value nested too deeply")
        if t is None or isinstance(t, (bool, int, str)):
            return t
        if not isinstance(t, dict):
            raise ProtocolError(f"bad value node {type(t).__name__}")
        kind = t.get("t")
        if kind == "float":
            return float(t["v"])
        if kind in ("nd", "ref"):
            arr = blobs[int(t["i"])]
            return arr[()] if t.get("scalar") else arr
        if kind == "list":
            return [dec(x, depth + 1) for x in t["v"]]
        if kind == "tuple":
            return tuple(dec(x, depth + 1) for x in t["v"])
        if kind == "dict":
            keys = t["k"]
            if not all(isinstance(k, str) for k in keys) or len(keys) != len(t["v"]):
                raise ProtocolError("bad dict node")
            return {k: dec(x, depth + 1) for k, x in zip(keys, t["v"])}
        if kind == "fn":
            if not make_callback:
                return Opaque("function")
            ref = t.get("ref")
            return make_callback(int(t["i"]), ref if isinstance(ref, str) else None)
        if kind == "opaque":
            return Opaque(t.get("type", "?"))
        raise ProtocolError(f"unknown value node {kind!r}")

    try:
        return dec(tree)
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise ProtocolError(f"bad value: {type(exc).__name__}") from None


def _spec(arr):
    return [arr.dtype.str, list(arr.shape)]


def write_frame(fd, header, blobs=(), deadline=None):
    """Send one frame (``header`` a JSON-able dict) on file descriptor ``fd``.

    With a ``deadline`` (monotonic), ``fd`` must be non-blocking: TimeoutError when the reader
    has not taken the whole frame by then (a reader that stops reading cannot block us)."""
    arrays = [np.ascontiguousarray(a) for a in blobs]
    header = dict(header, blobs=[_spec(a) for a in arrays])
    head = json.dumps(header).encode()
    parts = [MAGIC, struct.pack(">I", len(head)), head]
    for arr in arrays:
        parts += [struct.pack(">Q", arr.nbytes), arr.tobytes()]
    view = memoryview(b"".join(parts))
    while view:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([], [fd], [], wait)[1]:
                raise TimeoutError("the other side did not read in time")
        try:
            n = os.write(fd, view[: 1 << 20])
        except BlockingIOError:
            continue
        view = view[n:]


def _read_exact(fd, n, deadline):
    chunks, left = [], n
    while left:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                raise TimeoutError("no answer in time")
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise ProtocolError("channel closed")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(fd, deadline=None, max_bytes=MAX_FRAME, max_header=MAX_HEADER):
    """(header dict, [arrays]) of the next frame; TimeoutError after ``deadline`` (monotonic),
    ProtocolError for a frame of more than ``max_bytes`` (header and arrays together) or a
    header of more than ``max_header`` bytes."""
    if _read_exact(fd, 4, deadline) != MAGIC:
        raise ProtocolError("bad frame start")
    (size,) = struct.unpack(">I", _read_exact(fd, 4, deadline))
    if size > min(max_header, max_bytes):
        raise ProtocolError(f"frame too large (more than {max_bytes >> 20} MiB)")
    left = max_bytes - size
    try:
        header = json.loads(_read_exact(fd, size, deadline))
    except ValueError:
        raise ProtocolError("header is not JSON") from None
    specs = header.get("blobs") if isinstance(header, dict) else None
    if not isinstance(specs, list) or len(specs) > MAX_BLOBS:
        raise ProtocolError("bad header")
    blobs = []
    for spec in specs:
        try:
            dtype, shape = np.dtype(str(spec[0])), tuple(int(n) for n in spec[1])
        except (TypeError, ValueError, IndexError):
            raise ProtocolError("bad array description") from None
        if (
            dtype.kind not in ALLOWED_KINDS
            or dtype.hasobject
            or any(n < 0 for n in shape)
            or len(shape) > 32
        ):
            raise ProtocolError("array type not allowed")
        (n,) = struct.unpack(">Q", _read_exact(fd, 8, deadline))
        if n > MAX_BLOB or n != dtype.itemsize * int(np.prod(shape, dtype=object)):
            raise ProtocolError("array size mismatch")
        left -= n
        if left < 0:
            raise ProtocolError(f"frame too large (more than {max_bytes >> 20} MiB)")
        data = bytearray(_read_exact(fd, n, deadline)) if n else bytearray()
        blobs.append(
            np.frombuffer(data, dtype=dtype).reshape(shape) if n else np.zeros(shape, dtype)
        )
    return header, blobs
