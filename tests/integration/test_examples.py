"""The shipped example submissions score exactly what is pinned here, each mistake named.

Scores are proportional to the weighted cases passed; where a wrong function
still passes some cases (bob's relu_grad is right away from z = 0), it keeps
that share of the points.
"""

from __future__ import annotations

import pytest

from grader.models import Status
from grader.pipeline import grade_submission
from tests.conftest import EXAMPLES

# item id -> (points, status, misconceptions named); items not listed score full marks.
EXPECTED = {
    "alice_perfect": (95.0, {}),
    "bob_forgot_biases": (77.62, {
        "p2.count_parameters": (1.33, "partial", ("no_biases",)),
        "p2.n_params": (0.0, "failed", ("no_biases",)),
        "p3.relu_grad": (2.29, "partial", ("one_at_zero",)),
    }),
    "carol_sigmoid": (74.0, {
        "p2.forward": (0.0, "failed", ("sigmoid",)),
        "p2.f_all_ones": (0.0, "failed", ("sigmoid",)),
    }),
    "dave_unstable_softmax": (71.87, {
        "p1.softmax": (4.44, "partial", ("overflow",)),
        "p4.l2_update": (1.43, "partial", ("sign_error",)),
        "p4.update_rule": (0.0, "failed", ("sign_error",)),
        "p4.decay_factor": (0.0, "failed", ("sign_error",)),
    }),
    "erin_broken": (67.0, {
        "p1.approach": (0.0, "error", ()),
        "p1.one_hot": (0.0, "error", ()),
        "p1.softmax": (0.0, "error", ()),
        "p3.relu_grad": (0.0, "timeout", ()),
        "p4.decay_factor": (0.0, "error", ()),
    }),
}


@pytest.fixture(scope="module")
def graded(assignment4, grade_context):
    return {name: grade_submission(EXAMPLES / name, assignment4, context=grade_context)
            for name in EXPECTED}


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_example_scores_exactly_what_is_pinned(graded, student):
    total, wrong = EXPECTED[student]
    result = graded[student]
    got = {r.item.id: (r.score, r.status.value, tuple(h.misconception for h in r.hints))
           for r in result.items if r.status not in (Status.PASSED, Status.PENDING)}
    assert got == wrong
    assert result.automatic_score == total
    assert result.pending_points == 5.0 and result.max_score == 100.0


def test_perfect_submission_gets_every_automatic_point_and_manual_items_pending(graded):
    result = graded["alice_perfect"]
    assert result.automatic_score == result.rubric.automatic_points == 95.0
    manual = [r for r in result.items if not r.item.automatic]
    assert [r.item.id for r in manual] == ["p1.reasons", "p4.explanation"]
    assert all(r.status is Status.PENDING and r.answer for r in manual)


def test_hints_name_the_mistake_in_words(graded):
    hints = {h.misconception: h.text for r in graded["bob_forgot_biases"].items for h in r.hints}
    assert "bias" in hints["no_biases"] and "f'(0) = 0" in hints["one_at_zero"]
    carol = {h.misconception: h for r in graded["carol_sigmoid"].items for h in r.hints}
    assert "sigmoid" in carol["sigmoid"].text


def test_broken_module_fails_only_its_own_items(graded):
    erin = {r.item.id: r for r in graded["erin_broken"].items}
    assert "SyntaxError" in erin["p1.softmax"].error and "line 15" in erin["p1.softmax"].error
    assert erin["p2.forward"].status is Status.PASSED
    assert erin["p3.relu"].status is Status.PASSED  # same module as the endless relu_grad
    timed_out = erin["p3.relu_grad"].cases
    assert timed_out[0].status is Status.TIMEOUT
    assert all(c.status is Status.NOT_RUN for c in timed_out[1:])
    assert erin["p4.decay_factor"].error == "problem4.py does not define DECAY_FACTOR"


def test_printing_student_code_has_its_output_captured_not_mixed_into_results(graded):
    forward = next(r for r in graded["carol_sigmoid"].items if r.item.id == "p2.forward")
    public = forward.cases[0]
    assert "h1" in public.output and public.actual.startswith("2.63")
