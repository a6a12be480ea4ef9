"""A second course (introductory statistics, tests/fixtures/other_course/) graded with no
change to the grader: the rubric format, the reference, the misconceptions and the worker
are not tied to assignment 4.

Two submissions run in real worker processes: ``good`` (plain Python, a helper module of its
own, formula aliases and a ``n = ...`` left-hand side) scores every automatic point;
``mistaken`` holds each known misconception and is pinned item by item.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from jsonschema import Draft202012Validator

from grader.cli import main
from grader.models import Status
from grader.pipeline import grade_submission
from grader.rubric import load_rubric, read_yaml, schema

COURSE = Path(__file__).resolve().parent.parent / "fixtures" / "other_course"
RUBRIC = COURSE / "rubric.yaml"

ITEMS = {"s.mean": 4, "s.variance": 10, "s.standardize": 6, "s.sample_size": 6,
         "s.unbiased": 2, "s.critical_z": 2, "s.interpretation": 5}

# item id -> (points, status, misconceptions named, with the cases where each matched)
MISTAKEN = {
    "s.mean": (4.0, "passed", ()),
    # Right on the ddof=1 cases and on a constant sample (weight 4 of 8): half the points.
    "s.variance": (5.0, "partial", (
        ("always_n_minus_1", ("four numbers", "fifty normal values", "two values")),)),
    # Right on the two float inputs, wrong on the integer one: all-or-nothing gives 0.
    "s.standardize": (0.0, "failed", ()),
    "s.sample_size": (0.0, "failed", (("nothing_squared", ("SAMPLE_SIZE_FORMULA",)),)),
    "s.unbiased": (0.0, "failed", (("n_is_unbiased", ("UNBIASED_DIVIDES_BY_N_MINUS_1",)),)),
    "s.critical_z": (0.0, "failed", (("one_sided", ("CRITICAL_Z",)),)),
    "s.interpretation": (0.0, "pending", ()),
}


@pytest.fixture(scope="module")
def rubric():
    return load_rubric(RUBRIC)


@pytest.fixture(scope="module")
def graded(grade_context):
    return {name: grade_submission(COURSE / "submissions" / name, RUBRIC, context=grade_context)
            for name in ("good", "mistaken")}


def by_id(result):
    return {r.item.id: r for r in result.items}


def test_other_course_rubric_loads_its_own_items_points_and_cases(rubric):
    assert (rubric.id, rubric.title, rubric.course) == (
        "stats-hw2", "Homework 2: describing a sample", "Introductory Statistics")
    assert {i.id: i.points for i in rubric.items} == ITEMS
    assert (rubric.max_score, rubric.automatic_points) == (35, 30)
    assert rubric.modules == ("stats",)
    items = {i.id: i for i in rubric.items}
    assert items["s.standardize"].all_or_nothing
    assert not items["s.variance"].all_or_nothing
    assert [c.weight for c in items["s.variance"].cases] == [1, 1, 2, 2, 1, 1]
    assert (items["s.critical_z"].tolerance.rtol, items["s.critical_z"].tolerance.atol) == (
        1e-9, 0.005)
    assert items["s.mean"].timeout == 3


def test_other_course_expectations_come_from_yaml_or_reference(rubric):
    items = {i.id: i for i in rubric.items}
    variance = {c.name: c for c in items["s.variance"].cases}
    assert variance["four numbers"].expected == 1.25  # literal
    assert variance["four numbers, ddof=1"].expected == pytest.approx(5 / 3, rel=1e-12)
    assert variance["a constant sample"].expected == 0.0
    assert items["s.critical_z"].cases[0].expected == 1.959964  # read from the reference
    # The mistake function ran on every case's inputs, hidden ones included.
    wrong = items["s.variance"].misconceptions[0].per_case
    assert wrong["four numbers"] == pytest.approx(5 / 3, rel=1e-12)
    assert wrong["two values"] == 50.0
    assert "stats" not in sys.modules and "mistakes" not in sys.modules


def test_other_course_random_cases_are_seeded(rubric):
    again = {i.id: i for i in load_rubric(RUBRIC).items}
    for item in rubric.items:
        for case, same in zip(item.cases, again[item.id].cases, strict=True):
            assert case.kwargs == same.kwargs
            assert len(case.args) == len(same.args)
            for one, two in zip(case.args, same.args, strict=True):
                assert np.array_equal(one, two), (item.id, case.name)
    uniform = {c.name: c for c in again["s.mean"].cases}["a hundred uniform values"]
    assert uniform.hidden and uniform.args[0].shape == (100,)
    assert -1 <= uniform.args[0].min() < 0 < uniform.args[0].max() <= 1


def test_other_course_rubric_is_valid_under_the_exported_schema():
    data, _ = read_yaml(RUBRIC)
    Draft202012Validator(schema()).validate(data)


def test_rubric_check_summarises_the_other_course(capsys):
    assert main(["rubric", "check", str(COURSE)]) == 0
    header, *rows = capsys.readouterr().out.splitlines()
    assert header.endswith(": OK: Homework 2: describing a sample (stats-hw2), 7 items, "
                           "35 points (30 automatic)")
    assert [row.split()[0] for row in rows] == list(ITEMS)


def test_good_submission_scores_every_automatic_point(graded):
    result = graded["good"]
    assert result.automatic_score == 30.0
    assert (result.score, result.pending_points, result.max_score) == (30.0, 5.0, 35.0)
    assert result.warnings == ()
    for item in result.items:
        expected = Status.PENDING if item.item.id == "s.interpretation" else Status.PASSED
        assert (item.status, item.hints, item.error) == (expected, (), ""), item.item.id
    interpretation = by_id(result)["s.interpretation"]
    assert interpretation.answer.startswith("95% of intervals built this way would cover")


def test_mistaken_submission_scores_what_is_pinned_and_names_each_misconception(graded):
    result = graded["mistaken"]
    got = {r.item.id: (r.score, r.status.value,
                       tuple((h.misconception, h.cases) for h in r.hints))
           for r in result.items}
    assert got == MISTAKEN
    assert result.automatic_score == 9.0
    assert result.score == 9.0 and result.pending_points == 5.0


def test_mistaken_submission_gets_the_rubric_hints_and_public_details(graded):
    items = by_id(graded["mistaken"])
    variance = items["s.variance"]
    assert variance.hints[0].text.startswith("ddof=0 asks for the population variance")
    public = {c.name: c for c in variance.cases}["four numbers"]
    assert (public.call, public.expected, public.actual) == (
        "variance([1, 2, 3, 4])", "1.25", "1.6666666666666667")
    assert public.message == "expected 1.25, got 1.66667"
    standardize = {c.name: c for c in items["s.standardize"].cases}
    assert [(c.status, c.hidden) for c in standardize.values()] == [
        (Status.FAILED, False), (Status.PASSED, True), (Status.PASSED, True)]
    sample_size = items["s.sample_size"].cases[0]
    assert (sample_size.actual, sample_size.message) == (
        "z * sigma / E", "not equivalent to the expected formula")
    assert items["s.interpretation"].error == (
        "no answer found: stats.py does not define INTERPRETATION")


def test_hidden_case_results_reveal_no_inputs_or_answers(graded):
    for result in graded.values():
        for item in result.items:
            for case in item.cases:
                if case.hidden:
                    assert (case.call, case.expected, case.actual, case.output,
                            case.traceback) == ("", "", "", "", ""), (item.item.id, case.name)
    hidden = {c.name: c for c in by_id(graded["mistaken"])["s.variance"].cases}
    assert hidden["two values"].message == "wrong value"
    assert hidden["two values"].misconception == "always_n_minus_1"
