"""Plain-data encoding of values crossing the worker boundary, both ways.

The grader encodes case arguments; the worker decodes them, calls the
student's code and encodes what came back; the grader decodes that. The format
is JSON with a few tagged objects, so the grader only ever runs ``json.loads``
on worker output: nothing is unpickled, imported or evaluated.

    {"$nd": {"dtype": "<f8", "shape": [2, 3], "b64": "..."}}   numpy array (numeric/bool)
    {"$np": {"dtype": "<i8", "b64": "..."}}                     numpy scalar
    {"$tuple": [...]}, {"$dict": [[key, value], ...]}
    {"$opaque": "MyClass"}                                      anything else: its type name

Encoding uses exact type checks (a float subclass is not a float: its
methods are the student's and may lie) and caps size and depth; decoding
checks every tag, dtype and length, so a hostile worker can at worst send
wrong plain values.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_DEPTH = 32
MAX_ITEMS = 100_000  # elements in one list/dict/tuple
MAX_ARRAY_BYTES = 64 * 2**20
MAX_STR = 100_000
MAX_INT_DIGITS = 1000

# Native-order numeric and bool dtypes only: what np.frombuffer may rebuild.
_DTYPES = frozenset(np.dtype(c).str for c in ("?", "i1", "i2", "i4", "i8", "u1", "u2", "u4",
                                               "u8", "f2", "f4", "f8", "c8", "c16"))
_NUMPY_SCALARS = frozenset(np.dtype(c).type for c in "?bhilqBHILQefdgFD")


@dataclass(frozen=True)
class Opaque:
    """A value the worker could not send as plain data; only its type name is known."""

    type_name: str

    def __repr__(self) -> str:
        return f"<{self.type_name} object>"


class WireError(ValueError):
    """Malformed data from the other side of the boundary."""


# --- encoding ----------------------------------------------------------------


def encode(value: Any, depth: int = 0) -> Any:
    """Turn a value into JSON-ready plain data (never raises on odd input)."""
    t = type(value)
    if value is None or t is bool or t is str and len(value) <= MAX_STR:
        return value
    if t is int:
        return value if _int_fits(value) else {"$opaque": "int (too many digits)"}
    if t is float:
        return value
    if t is str:
        return {"$opaque": f"str (too long: {len(value)} characters)"}
    if t is np.ndarray:
        return _encode_array(value)
    if t in _NUMPY_SCALARS:
        return {"$np": {"dtype": value.dtype.str, "b64": _b64(value.tobytes())}}
    if t in (list, tuple, dict):
        if depth >= MAX_DEPTH:
            return {"$opaque": f"{t.__name__} (nested too deeply)"}
        if len(value) > MAX_ITEMS:
            return {"$opaque": f"{t.__name__} (too large: {len(value)} items)"}
        if t is dict:
            return {"$dict": [[encode(k, depth + 1), encode(v, depth + 1)]
                              for k, v in list(dict.items(value))]}
        items = [encode(v, depth + 1) for v in list.__iter__(value)] if t is list else \
            [encode(v, depth + 1) for v in tuple.__iter__(value)]
        return items if t is list else {"$tuple": items}
    return {"$opaque": _type_name(t)}


def _int_fits(value: int) -> bool:
    return value.bit_length() <= MAX_INT_DIGITS * 3.33


def _encode_array(arr: np.ndarray) -> Any:
    if arr.dtype.kind not in "biufc":
        return {"$opaque": f"ndarray of dtype {arr.dtype.name}"}
    if arr.dtype.str not in _DTYPES:  # long double, other byte order: make it portable
        arr = arr.astype(np.complex128 if arr.dtype.kind == "c" else
                         np.float64 if arr.dtype.kind == "f" else arr.dtype.newbyteorder("="))
    if arr.nbytes > MAX_ARRAY_BYTES:
        return {"$opaque": f"ndarray (too large: {arr.nbytes} bytes)"}
    data = np.ascontiguousarray(arr).tobytes()
    return {"$nd": {"dtype": arr.dtype.str, "shape": list(arr.shape), "b64": _b64(data)}}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _type_name(t: type) -> str:
    name = type.__getattribute__(t, "__qualname__")
    return name if isinstance(name, str) and len(name) < 200 else "object"


def dumps(value: Any) -> str:
    """Encode and serialise to one JSON line (no newline inside)."""
    return json.dumps(encode(value), separators=(",", ":"), allow_nan=True)


# --- decoding ----------------------------------------------------------------


def decode(data: Any, depth: int = 0) -> Any:
    """Rebuild a value from plain data, checking every tag; raise WireError if malformed."""
    if depth > MAX_DEPTH + 1:
        raise WireError("nested too deeply")
    t = type(data)
    if data is None or t in (bool, float, str):
        if t is str and len(data) > MAX_STR:
            raise WireError("string too long")
        return data
    if t is int:
        if not _int_fits(data):
            raise WireError("integer too large")
        return data
    if t is list:
        _check_len(data)
        return [decode(v, depth + 1) for v in data]
    if t is not dict or len(data) != 1:
        raise WireError(f"unexpected {t.__name__}")
    (tag, body), = data.items()
    if tag == "$nd":
        return _decode_array(body)
    if tag == "$np":
        return _decode_array({**_as_dict(body), "shape": []})[()]
    if tag == "$tuple" and type(body) is list:
        _check_len(body)
        return tuple(decode(v, depth + 1) for v in body)
    if tag == "$dict" and type(body) is list:
        _check_len(body)
        out = {}
        for pair in body:
            if type(pair) is not list or len(pair) != 2:
                raise WireError("bad dict entry")
            key = decode(pair[0], depth + 1)
            if type(key) not in (str, int, float, bool, tuple) and key is not None:
                raise WireError("unhashable dict key")
            out[key] = decode(pair[1], depth + 1)
        return out
    if tag == "$opaque" and type(body) is str and len(body) < 300:
        return Opaque(body)
    raise WireError(f"unknown tag {tag!r}")


def _as_dict(body: Any) -> dict:
    if type(body) is not dict:
        raise WireError("bad array header")
    return body


def _check_len(seq: list) -> None:
    if len(seq) > MAX_ITEMS:
        raise WireError("too many items")


def _decode_array(body: Any) -> np.ndarray:
    body = _as_dict(body)
    dtype, shape, b64 = body.get("dtype"), body.get("shape"), body.get("b64")
    if type(dtype) is not str or dtype not in _DTYPES:
        raise WireError(f"dtype not allowed: {dtype!r}")
    if type(shape) is not list or len(shape) > 32 or \
            any(type(n) is not int or n < 0 for n in shape):
        raise WireError("bad array shape")
    if type(b64) is not str or len(b64) > MAX_ARRAY_BYTES * 4 // 3 + 4:
        raise WireError("bad array data")
    try:
        raw = base64.b64decode(b64, validate=True)
    except ValueError as e:
        raise WireError("bad array data") from e
    dt = np.dtype(dtype)
    if dt.kind not in "biufc" or len(raw) != math.prod(shape) * dt.itemsize:
        raise WireError("array data does not match its shape")
    return np.frombuffer(raw, dtype=dt).reshape(shape).copy()


def loads(line: str | bytes) -> Any:
    """Parse one JSON line from the other side and decode it."""
    try:
        return decode(json.loads(line))
    except (ValueError, RecursionError) as e:  # JSONDecodeError is a ValueError
        raise WireError(str(e)[:200]) from None
