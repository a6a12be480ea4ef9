"""Comparing a student's (decoded, plain) value with an expected one, in the grader.

``compare`` returns None when the value is acceptable, else a ``Mismatch``:
a short generic ``kind`` safe to show for hidden cases ("wrong shape"), and a
``detail`` sentence with values, shown only for public cases.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.models import Tolerance
from grader.wire import Opaque

_NUMBER_TYPES = (int, float, np.integer, np.floating)


@dataclass(frozen=True)
class Mismatch:
    kind: str  # generic: "wrong type", "wrong shape", "wrong value", "not finite"
    detail: str  # specific, may show values


def is_number(value: Any) -> bool:
    return isinstance(value, _NUMBER_TYPES) and not isinstance(value, (bool, np.bool_))


def as_number(value: Any) -> float | None:
    """A number from a Python/NumPy scalar or a size-1 numeric array, else None."""
    if is_number(value):
        try:
            return float(value)
        except OverflowError:  # an int beyond float range: as far from any answer as can be
            return math.inf if value > 0 else -math.inf
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
        return float(value.reshape(()))
    return None


def describe_type(value: Any) -> str:
    if isinstance(value, Opaque):
        return f"a {value.type_name} object"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if value is None:
        return "None"
    return f"a {type(value).__name__}"


def normalize_text(text: str, rules: tuple[str, ...]) -> str:
    if "strip" in rules:
        text = text.strip()
    if "casefold" in rules:
        text = text.casefold()
    if "collapse_space" in rules:
        text = " ".join(text.split())
    if "strip_quotes" in rules:
        text = text.strip("'\"` ")
    return text


def compare(expected: Any, actual: Any, tol: Tolerance = Tolerance(),
            normalize: tuple[str, ...] = ()) -> Mismatch | None:
    if isinstance(expected, (bool, np.bool_)):
        if not isinstance(actual, (bool, np.bool_)):
            return Mismatch("wrong type", f"expected True or False, got {describe_type(actual)}")
        return None if bool(actual) == bool(expected) else Mismatch(
            "wrong value", f"expected {bool(expected)}, got {bool(actual)}")
    if isinstance(expected, str):
        if not isinstance(actual, str):
            return Mismatch("wrong type", f"expected a string, got {describe_type(actual)}")
        if normalize_text(actual, normalize) == normalize_text(expected, normalize):
            return None
        return Mismatch("wrong value", f"expected {short_repr(expected)}, got {short_repr(actual)}")
    if expected is None:
        return None if actual is None else Mismatch(
            "wrong value", f"expected None, got {describe_type(actual)}")
    if isinstance(expected, np.ndarray) and expected.ndim > 0:
        return _compare_arrays(expected, actual, tol)
    if as_number(expected) is not None:
        return _compare_numbers(as_number(expected), actual, tol)
    if isinstance(expected, (list, tuple)):
        if not isinstance(actual, (list, tuple)):
            return Mismatch("wrong type", f"expected a {type(expected).__name__}, "
                                          f"got {describe_type(actual)}")
        if len(actual) != len(expected):
            return Mismatch("wrong length", f"expected {len(expected)} items, got {len(actual)}")
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            if (m := compare(e, a, tol, normalize)) is not None:
                return Mismatch(m.kind, f"item {i}: {m.detail}")
        return None
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or set(actual) != set(expected):
            return Mismatch("wrong type", f"expected a dict with keys {sorted(map(str, expected))}")
        for key in expected:
            if (m := compare(expected[key], actual[key], tol, normalize)) is not None:
                return Mismatch(m.kind, f"key {key!r}: {m.detail}")
        return None
    raise TypeError(f"cannot compare with an expected {type(expected).__name__}")


def _compare_numbers(expected: float, actual: Any, tol: Tolerance) -> Mismatch | None:
    got = as_number(actual)
    if got is None:
        return Mismatch("wrong type", f"expected a number, got {describe_type(actual)}")
    if math.isnan(expected) and math.isnan(got):
        return None
    if not math.isfinite(got) and math.isfinite(expected):
        return Mismatch("not finite", f"expected {expected:.6g}, got {got}")
    if math.isclose(got, expected, rel_tol=tol.rtol, abs_tol=tol.atol):
        return None
    return Mismatch("wrong value", f"expected {expected:.6g}, got {got:.6g}")


def _compare_arrays(expected: np.ndarray, actual: Any, tol: Tolerance) -> Mismatch | None:
    if not isinstance(actual, np.ndarray):
        return Mismatch("wrong type", f"expected a NumPy array of shape {expected.shape}, "
                                      f"got {describe_type(actual)}")
    if actual.shape != expected.shape:
        return Mismatch("wrong shape", f"expected shape {expected.shape}, got {actual.shape}")
    if actual.dtype.kind not in "biuf":
        return Mismatch("wrong type", f"expected real numbers, got dtype {actual.dtype}")
    got, want = actual.astype(np.float64, copy=False), expected.astype(np.float64, copy=False)
    # The common case first, cheaply: every entry finite and within tolerance (the isclose
    # rule; a NaN or infinity anywhere fails this test and takes the careful path below).
    with np.errstate(all="ignore"):
        if (np.abs(got - want) <= tol.atol + tol.rtol * np.abs(want)).all():
            return None
    if not np.all(np.isfinite(got) | ~np.isfinite(want)):
        bad = int(np.sum(~np.isfinite(got) & np.isfinite(want)))
        return Mismatch("not finite", f"{bad} of {got.size} entries are NaN or infinite")
    close = np.isclose(got, want, rtol=tol.rtol, atol=tol.atol, equal_nan=True)
    if close.all():
        return None
    worst = np.unravel_index(np.argmax(np.where(close, -1.0, np.abs(got - want))), got.shape)
    at = tuple(int(i) for i in worst)
    return Mismatch("wrong value", f"{int((~close).sum())} of {got.size} entries differ; at index "
                                   f"{at if len(at) > 1 else at[0]} expected {want[worst]:.6g}, "
                                   f"got {got[worst]:.6g}")


def has_nonfinite(value: Any) -> bool:
    if isinstance(value, np.ndarray) and value.dtype.kind in "fc":
        return not bool(np.all(np.isfinite(value)))
    number = as_number(value)
    return number is not None and not math.isfinite(number)


def short_repr(value: Any, limit: int = 300) -> str:
    """A readable, truncated rendering for reports."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.ndarray):
        text = np.array2string(value, threshold=60, edgeitems=3, precision=6,
                               separator=", ", max_line_width=100)
        text = f"array({text})" if value.ndim else text
    elif isinstance(value, (list, tuple)) and len(value) > 20:
        text = repr(type(value)(value[:20]))[:-1] + ", ...]"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + " ..."
