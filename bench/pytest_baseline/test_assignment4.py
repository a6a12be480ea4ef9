"""The way many courses grade today: a pytest file run once per submission.

Equivalent to the rubric's checks (the same public and hidden inputs, expected
values from the reference solution). The benchmark runs it as
``SUBMISSION=<folder> pytest -q bench/pytest_baseline`` once per student.
"""

import importlib.util
import os
import sys
from pathlib import Path

import numpy as np
import pytest

SUBMISSION = Path(os.environ["SUBMISSION"])
REFERENCE = Path(__file__).resolve().parents[2] / "rubrics" / "assignment4" / "reference"


def _load(folder, name, alias):
    sys.path.insert(0, str(folder))
    try:
        spec = importlib.util.spec_from_file_location(alias, folder / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(folder))


def student(name):
    try:
        return _load(SUBMISSION, name, f"student_{name}")
    except BaseException as e:  # noqa: BLE001 - a broken module fails its tests
        pytest.fail(f"{name}.py could not be imported: {e!r}")


def reference(name):
    return _load(REFERENCE, name, f"reference_{name}")


rng = np.random.default_rng


def close(a, b):
    return np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=1e-6,
                       atol=1e-9, equal_nan=True)


def test_approach():
    assert str(student("problem1").APPROACH).strip().lower() in ("b", "classification")


@pytest.mark.parametrize("labels", [[3, 0, 9], list(rng(11).integers(0, 10, 50)), [7]])
def test_one_hot(labels):
    got = student("problem1").one_hot(np.array(labels))
    assert close(got, reference("problem1").one_hot(np.array(labels)))


@pytest.mark.parametrize("logits", [[1.0, 2.0, 3.0], [1000.0, 1001.0, 1002.0],
                                    [[1.0, 2.0], [3.0, 5.0]], rng(21).normal(size=(5, 10)),
                                    rng(22).normal(800, 50, size=(4, 6))])
def test_softmax(logits):
    x = np.array(logits)
    assert close(student("problem1").softmax(x.copy()), reference("problem1").softmax(x))


def _net(seed):
    r = rng(seed)
    return [r.normal(size=s) for s in [(4,), (2, 4), (2,), (3, 2), (3,), (1, 3), (1,)]]


@pytest.mark.parametrize("seed", [None, 1, 2, 3])
def test_forward(seed):
    args = ([np.ones(4), np.ones((2, 4)), np.zeros(2), np.ones((3, 2)), np.zeros(3),
             np.ones((1, 3)), np.zeros(1)] if seed is None else _net(seed))
    assert close(student("problem2").forward(*args), reference("problem2").forward(*args))


def test_constants():
    assert student("problem2").F_ALL_ONES == 24 and student("problem2").N_PARAMS == 23


@pytest.mark.parametrize("sizes", [[4, 2, 3, 1], [784, 128, 10], [2, 1], [5]])
def test_count_parameters(sizes):
    assert student("problem2").count_parameters(sizes) == \
        reference("problem2").count_parameters(sizes)


@pytest.mark.parametrize("z", [[-2.0, 0.0, 3.0], -1.5, rng(31).normal(size=(4, 5))])
def test_relu(z):
    assert close(student("problem3").relu(np.array(z)), reference("problem3").relu(np.array(z)))


@pytest.mark.parametrize("z", [[-2.0, 3.0], [0.0], [[0.0, 1.0, -1.0], [2.0, 0.0, -3.0]]])
def test_relu_grad(z):
    got = np.asarray(student("problem3").relu_grad(np.array(z)), dtype=float)
    want = reference("problem3").relu_grad(np.array(z))
    assert close(np.where(np.array(z) == 0, 0.0, got), want) and \
        np.all(np.isnan(got[np.array(z) == 0]) | (got[np.array(z) == 0] == 0))


@pytest.mark.parametrize("b", [0.0, -100.0])
def test_neuron_grad(b):
    r = rng(51)
    w, X, up = r.normal(size=5), r.normal(size=(20, 5)), r.normal(size=20)
    assert close(student("problem3").relu_neuron_weight_grad(w, b, X, up),
                 reference("problem3").relu_neuron_weight_grad(w, b, X, up))


def test_weights_change():
    assert student("problem3").WEIGHTS_CHANGE in (False, "no", "No")


@pytest.mark.parametrize("lam", [0.01, 0.0, 1.0])
def test_l2_update(lam):
    w, g = rng(61).normal(size=10), rng(62).normal(size=10)
    assert close(student("problem4").l2_update(w, g, 0.05, lam),
                 reference("problem4").l2_update(w, g, 0.05, lam))
