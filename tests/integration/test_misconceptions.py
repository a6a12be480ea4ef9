"""Every misconception the rubric knows is recognised, and its hint shown.

Each variant is the perfect example with one mistake written in, the way a
student would make it; they are graded together in one batch.
"""

from __future__ import annotations

import shutil

import pytest

from grader.batch import grade_batch
from tests.conftest import EXAMPLES

APPEND = "append"

# variant -> (module, old text, new text), item id, misconception id
VARIANTS = {
    "regression": (("problem1", 'APPROACH = "B"', 'APPROACH = "A"'), "p1.approach", "regression"),
    "transposed": (("problem1", "    return Y\n", "    return Y.T\n"), "p1.one_hot",
                   "transposed"),
    "overflow": (("problem1", "def softmax(logits):", "def softmax(logits):\n"
                  "    import numpy as np\n    e = np.exp(np.asarray(logits, dtype=float))\n"
                  "    return e / e.sum(axis=-1, keepdims=True)\n\n\ndef _unused(logits):"),
                 "p1.softmax", "overflow"),
    "wrong_axis": (("problem1", "axis=-1", "axis=0"), "p1.softmax", "wrong_axis"),
    "no_relu": (("problem2", APPEND, "def forward(u, W1, b1, W2, b2, W3, b3):\n"
                 "    return float((W3 @ (W2 @ (W1 @ u + b1) + b2) + b3)[0])\n"),
                "p2.forward", "no_relu"),
    "no_biases": (("problem2", "a * b + b for", "a * b for"), "p2.count_parameters",
                  "no_biases"),
    "half_at_zero": (("problem3", APPEND, "import numpy as _np\n\ndef relu_grad(z):\n"
                      "    z = _np.asarray(z, dtype=float)\n"
                      "    return _np.where(z > 0, 1.0, _np.where(z == 0, 0.5, 0.0))[()]\n"),
                     "p3.relu_grad", "half_at_zero"),
    "no_relu_mask": (("problem3", APPEND, "def relu_neuron_weight_grad(w, b, X, upstream):\n"
                      "    return X.T @ upstream\n"), "p3.neuron_grad", "no_relu_mask"),
    "dead_neuron_learns": (("problem3", "WEIGHTS_CHANGE = False", 'WEIGHTS_CHANGE = "yes"'),
                           "p3.weights_change", "dead_neuron_learns"),
    "no_decay": (("problem4", "return (1 - lr * lam) * w - lr * grad", "return w - lr * grad"),
                 "p4.l2_update", "no_decay"),
    "half_lambda": (("problem4", "return (1 - lr * lam) * w", "return (1 - lr * lam / 2) * w"),
                    "p4.l2_update", "half_lambda"),
    "rule_no_decay": (("problem4", '"w_new = w*(1 - eta*lam) - eta*dJ"', '"w - eta*dJ"'),
                      "p4.update_rule", "no_decay"),
    "rule_half_lambda": (("problem4", '"w_new = w*(1 - eta*lam) - eta*dJ"',
                          '"w_new = w*(1 - η*λ/2) - η*dJ"'), "p4.update_rule", "half_lambda"),
    "rule_sign": (("problem4", '"w_new = w*(1 - eta*lam) - eta*dJ"', '"w*(1 + lr*lmbda) - lr*dJ"'),
                  "p4.update_rule", "sign_error"),
    "factor_half": (("problem4", 'DECAY_FACTOR = "1 - eta*lam"', 'DECAY_FACTOR = "1 - eta*lam/2"'),
                    "p4.decay_factor", "half_lambda"),
    "factor_none": (("problem4", 'DECAY_FACTOR = "1 - eta*lam"', 'DECAY_FACTOR = "1"'),
                    "p4.decay_factor", "no_decay"),
}


@pytest.fixture(scope="module")
def records(assignment4, tmp_path_factory):
    root = tmp_path_factory.mktemp("variants")
    for name, ((module, old, new), _, _) in VARIANTS.items():
        folder = root / name
        shutil.copytree(EXAMPLES / "alice_perfect", folder)
        path = folder / f"{module}.py"
        text = path.read_text()
        if old == APPEND:
            text += "\n\n" + new
        else:
            assert old in text, (name, old)
            text = text.replace(old, new)
        path.write_text(text)
    result = grade_batch(sorted(root.iterdir()), assignment4, root.parent / "out", jobs=2)
    return {r.name: r for r in result.records}


def test_every_rubric_misconception_has_a_variant_here(assignment4):
    covered = {(item, m) for _, item, m in VARIANTS.values()}
    known = {(i.id, m.id) for i in assignment4.items for m in i.misconceptions}
    # the shipped examples cover the rest: sigmoid (carol), one_at_zero (bob)
    assert known - covered == {("p2.forward", "sigmoid"), ("p2.f_all_ones", "sigmoid"),
                               ("p2.n_params", "no_biases"), ("p3.relu_grad", "one_at_zero"),
                               ("p4.l2_update", "sign_error"), ("p4.decay_factor", "sign_error")}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_the_mistake_is_named_by_its_hint_and_nothing_else_is_lost(records, assignment4,
                                                                    variant):
    _, item_id, misconception = VARIANTS[variant]
    record = records[variant]
    assert misconception in record.items[item_id].misconceptions
    assert record.items[item_id].score < assignment4.items[
        [i.id for i in assignment4.items].index(item_id)].points
    others = {i: r for i, r in record.items.items() if i != item_id}
    assert all(r.status in ("passed", "pending") for r in others.values()), others
