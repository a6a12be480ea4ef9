"""The wire format: plain data both ways, exact types, strict decoding."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from grader import wire


@pytest.mark.parametrize("value", [None, True, 3, -2.5, "text", [1, [2, "x"]], (1, 2.0),
                                   {"a": 1, 2: [3]}])
def test_plain_values_round_trip(value):
    assert wire.loads(wire.dumps(value)) == value


def test_nan_and_infinity_round_trip():
    back = wire.loads(wire.dumps([math.nan, math.inf, -math.inf]))
    assert math.isnan(back[0]) and back[1] == math.inf and back[2] == -math.inf


@pytest.mark.parametrize("array", [np.arange(6.0).reshape(2, 3), np.array([1, 2], dtype=np.int32),
                                   np.array([True, False]), np.array(5.0), np.zeros((0, 3))])
def test_arrays_round_trip_with_dtype_and_shape(array):
    back = wire.loads(wire.dumps(array))
    assert type(back) is np.ndarray and back.dtype == array.dtype and back.shape == array.shape
    assert np.array_equal(back, array)


def test_numpy_scalar_keeps_its_type():
    back = wire.loads(wire.dumps(np.float32(1.5)))
    assert type(back) is np.float32 and back == 1.5


def test_foreign_byte_order_and_long_double_become_portable():
    assert wire.loads(wire.dumps(np.array([1.0], dtype=">f8"))).dtype == np.float64
    assert wire.loads(wire.dumps(np.array([1.0], dtype=np.longdouble))).dtype == np.float64


class LyingFloat(float):
    def __eq__(self, other):
        return True


class Anything:
    pass


@pytest.mark.parametrize("value, type_name", [
    (LyingFloat(1.0), "LyingFloat"), (Anything(), "Anything"),
    (np.array(["a"]), "ndarray of dtype str32"), (np.array([object()]), "ndarray of dtype object"),
])
def test_subclasses_and_unknown_objects_arrive_as_opaque_type_names(value, type_name):
    back = wire.loads(wire.dumps(value))
    assert back == wire.Opaque(type_name)


def test_oversized_values_are_opaque_not_sent():
    assert isinstance(wire.loads(wire.dumps("x" * (wire.MAX_STR + 1))), wire.Opaque)
    assert isinstance(wire.loads(wire.dumps(10 ** 5000)), wire.Opaque)
    deep: list = []
    for _ in range(100):
        deep = [deep]
    assert "nested too deeply" in repr(wire.loads(wire.dumps(deep)))


@pytest.mark.parametrize("payload", [
    {"$nd": {"dtype": "|O", "shape": [1], "b64": "AAAAAAAAAAA="}},  # object dtype: never
    {"$nd": {"dtype": "<f8", "shape": [2], "b64": "AAAAAAAAAAA="}},  # length mismatch
    {"$nd": {"dtype": "<f8", "shape": [-1], "b64": ""}},
    {"$pickle": "gASVAAAAAAAAAAA="},  # unknown tag
    {"$tuple": "not a list"},
    {"a": 1, "b": 2},  # untagged dict
    {"$dict": [[["unhashable"], 1]]},
])
def test_malformed_or_dangerous_payloads_are_rejected(payload):
    with pytest.raises(wire.WireError):
        wire.loads(json.dumps(payload))


def test_garbage_json_is_a_wire_error():
    with pytest.raises(wire.WireError):
        wire.loads(b"{not json")
    with pytest.raises(wire.WireError):
        wire.loads("[" * 100_000 + "]" * 100_000)
