"""Comparison rules: types, shapes, tolerances, and messages safe for hidden cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from grader.compare import compare, has_nonfinite, short_repr
from grader.models import Tolerance
from grader.wire import Opaque


@pytest.mark.parametrize("actual", [24, 24.0, np.float64(24.0), np.int64(24), np.array([24.0]),
                                    np.array(24.0), 24.0 + 1e-8])
def test_a_number_may_be_int_float_numpy_scalar_or_size_one_array(actual):
    assert compare(24, actual) is None


@pytest.mark.parametrize("actual, kind", [(True, "wrong type"), ("24", "wrong type"),
                                          (np.array([24.0, 1.0]), "wrong type"),
                                          (23, "wrong value"),
                                          (math.nan, "not finite"), (Opaque("Foo"), "wrong type")])
def test_numbers_reject_bools_strings_and_wrong_values(actual, kind):
    assert compare(24, actual).kind == kind


def test_tolerance_is_relative_and_absolute():
    assert compare(1.0, 1.0 + 1e-7, Tolerance(rtol=1e-6)) is None
    assert compare(1.0, 1.001, Tolerance(rtol=1e-6)) is not None
    assert compare(2.63, 2.6309, Tolerance(rtol=0, atol=0.01)) is None


def test_arrays_check_type_shape_and_values():
    want = np.eye(3)
    assert compare(want, np.eye(3)) is None
    assert compare(want, np.eye(3).astype(int)) is None
    assert compare(want, np.eye(3).tolist()).kind == "wrong type"
    assert compare(want, np.eye(3)[:2]).kind == "wrong shape"
    mismatch = compare(want, np.eye(3) * 2)
    assert mismatch.kind == "wrong value" and "3 of 9 entries differ" in mismatch.detail
    assert compare(want, np.full((3, 3), np.nan)).kind == "not finite"


def test_nan_in_expected_matches_nan_in_actual():
    assert compare(np.array([0.0, np.nan, 1.0]), np.array([0.0, np.nan, 1.0])) is None


def test_strings_are_normalised_only_as_asked():
    assert compare("B", " b ", normalize=("strip", "casefold")) is None
    assert compare("B", "b") is not None
    assert compare("a b", "a   b", normalize=("collapse_space",)) is None


def test_bools_do_not_accept_numbers():
    assert compare(False, False) is None and compare(False, np.bool_(False)) is None
    assert compare(False, 0).kind == "wrong type"
    assert compare(False, True).kind == "wrong value"


def test_lists_compare_elementwise_with_position_in_message():
    assert compare([1, 2], [1, 2]) is None
    assert "item 1" in compare([1, 2], [1, 3]).detail
    assert compare([1, 2], [1]).kind == "wrong length"


def test_nonfinite_detection_and_short_repr():
    assert has_nonfinite(np.array([1.0, np.inf])) and has_nonfinite(math.nan)
    assert not has_nonfinite(np.array([1, 2])) and not has_nonfinite("nan")
    assert short_repr(np.float64(2.5)) == "2.5"
    assert len(short_repr("x" * 1000, limit=50)) == 50
    assert "..." in short_repr(np.arange(1000))
