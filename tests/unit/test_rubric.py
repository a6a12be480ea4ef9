"""Tests for grader.rubric: every broken rubric is refused with a message naming the file,
the key path, the problem and the line; the schema; YAML 1.2 scalars; the shipped rubric.

Each file in tests/fixtures/rubrics/ is a small rubric with exactly one thing wrong, named
after it. ``tests/fixtures/rubrics/reference/`` is the tiny reference solution some use.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import numpy as np
import pytest
from jsonschema import Draft202012Validator

from grader.cli import main
from grader.errors import RubricError
from grader.rubric import load_rubric, read_yaml, schema
from tests.conftest import ASSIGNMENT4

BROKEN = Path(__file__).resolve().parent.parent / "fixtures" / "rubrics"

# fixture name -> (key path, problem, line). An empty key path: the file is not valid YAML;
# no line: there is no YAML node to point at.
REFUSED = {
    "bad_module_name": (
        "items[0].module", "must be a Python identifier (got 'my-answers')", 8),
    "default_timeout_zero": (
        "defaults.timeout", "must be more than 0 (got 0)", 4),
    "duplicate_case_name": (
        "items[0].cases.hidden[0].name", "duplicate case name 'two'", 16),
    "duplicate_item_id": ("items[1].id", "duplicate item id 'q1' (also items[0])", 11),
    "duplicate_yaml_key": ("", "invalid YAML: duplicate key 'points'", 8),
    "empty_file": ("(top level)", "must be a mapping (got nothing)", None),
    "empty_items": ("items", "must not be empty", 3),
    "expression_expect_invalid": (
        "items[0].expect", "invalid formula: unknown name 'E' (use z, sigma)", 10),
    "expression_misconception_invalid": (
        "items[0].misconceptions[0].when",
        "invalid formula: '=' at position 15 is not allowed "
        "(write a single formula, with no comparison and no second assignment)", 14),
    "expression_misconception_without_when": (
        "items[0].misconceptions[0]",
        "an expression misconception needs 'when' or 'when_any'", 13),
    "expression_missing_symbols": ("items[0].symbols", "required", 4),
    "function_with_empty_case_lists": ("items[0].cases", "at least one case is required", 11),
    "function_without_cases": ("items[0].cases", "required", 4),
    "invalid_yaml_syntax": ("", "invalid YAML: did not find expected ',' or ']'", 11),
    "item_id_with_spaces": (
        "items[0].id", "may hold only letters, digits, '_', '.' and '-' (got 'question one')", 4),
    "item_without_points": ("items[0].points", "required", 4),
    "manual_item_with_expect": ("items[0].expect", "unknown key 'expect'", 10),
    "memory_limit_too_small": ("limits.memory_mb", "must be at least 64 (got 16)", 4),
    "misconception_without_trigger": (
        "items[0].misconceptions[0]",
        "give 'when', 'when_any', 'reference', 'per_case' or 'nonfinite'", 12),
    "missing_assignment": ("assignment", "required", 2),
    "missing_expect_without_reference": (
        "items[0].cases.public[0].expect",
        "required (the rubric has no reference solution to compute it)", 12),
    "not_a_mapping": ("(top level)", "must be a mapping (got a list)", 2),
    "points_negative": ("items[0].points", "must be at least 0 (got -1)", 6),
    "points_not_a_number": ("items[0].points", "must be a number (got a string)", 6),
    "reference_folder_missing": (
        "reference", f"no such folder {BROKEN / 'no_such_folder'}", 3),
    "reference_function_missing": (
        "items[0].reference", "the reference module tiny.py has no triple", 5),
    "reference_function_raises": (
        "items[0].reference",
        "the reference tiny.inverse raised ZeroDivisionError: division by zero", 5),
    "reference_module_broken": (
        "items[0].expect", "the reference module broken.py failed to import: "
                           "RuntimeError: this reference is broken on purpose", 5),
    "unknown_item_key": ("items[0].expected", "unknown key 'expected'", 10),
    "unknown_kind": (
        "items[0].kind", "must be one of expression, function, manual, value", 7),
    "unknown_top_level_key": ("grading", "unknown key 'grading'", 3),
    "value_spec_bad_shape": (
        "items[0].cases.public[0].args[0].ones", "must be a list (got a string)", 14),
    "case_without_name": ("items[0].cases.public[1].name", "required", 15),
    "tolerance_not_a_number": (
        "items[0].tolerance.rtol", "must be a number (got a string)", 11),
    "misconception_reference_missing": (
        "items[0].misconceptions[1].reference",
        "the reference module mistakes.py has no square", 20),
    "random_spec_missing_seed": (
        "items[0].cases.hidden[0].args[0].random.seed", "required", 14),
    "random_spec_unknown_dist": (
        "items[0].cases.hidden[0].args[0].random.dist",
        "must be one of normal, uniform, integers", 14),
    "value_without_expect_or_reference": (
        "items[0].expect", "the rubric has no 'reference' folder", 4),
}

# Refused by the JSON Schema itself (the rest are refused while building the model).
SCHEMA_ERRORS = sorted({
    "bad_module_name", "case_without_name", "default_timeout_zero", "empty_file", "empty_items",
    "expression_missing_symbols", "function_without_cases", "item_id_with_spaces",
    "item_without_points", "manual_item_with_expect", "memory_limit_too_small",
    "missing_assignment", "not_a_mapping", "points_negative", "points_not_a_number",
    "tolerance_not_a_number", "unknown_item_key", "unknown_kind", "unknown_top_level_key",
    "value_spec_bad_shape", "random_spec_missing_seed", "random_spec_unknown_dist"})
NOT_YAML = {"duplicate_yaml_key", "invalid_yaml_syntax"}
BUILD_ERRORS = sorted(set(REFUSED) - set(SCHEMA_ERRORS) - NOT_YAML)

# The contract (/work/shared/ASSIGNMENT4.md): item ids and points, in order.
ASSIGNMENT4_ITEMS = {
    "p1.approach": 3, "p1.one_hot": 6, "p1.softmax": 8, "p1.reasons": 3,
    "p2.forward": 16, "p2.f_all_ones": 5, "p2.count_parameters": 8, "p2.n_params": 5,
    "p3.relu": 4, "p3.relu_grad": 8, "p3.neuron_grad": 8, "p3.weights_change": 3,
    "p4.l2_update": 10, "p4.update_rule": 8, "p4.decay_factor": 3, "p4.explanation": 2,
}


def expected_message(path: Path, key_path: str, problem: str, line: int | None) -> str:
    where = str(path) if line is None else f"{path}:{line}"
    return f"{where}: {key_path}: {problem}" if key_path else f"{where}: {problem}"


def fixture(name: str) -> Path:
    return BROKEN / f"{name}.yaml"


def refusals():
    """Parameters for a refusal test, one per broken fixture."""
    for name, expected in sorted(REFUSED.items()):
        yield pytest.param(name, expected, id=name)


def test_every_fixture_file_is_covered():
    names = {p.stem for p in BROKEN.glob("*.yaml")}
    assert names == set(REFUSED)


# --- refusing broken rubrics ------------------------------------------------------------


@pytest.mark.parametrize(("name", "expected"), refusals())
def test_broken_rubric_is_refused_naming_file_key_path_problem_and_line(name, expected):
    key_path, problem, line = expected
    with pytest.raises(RubricError) as caught:
        load_rubric(fixture(name))
    error = caught.value
    assert (error.file, error.key_path, error.problem, error.line) == (
        str(fixture(name)), key_path, problem, line)
    assert str(error) == expected_message(fixture(name), key_path, problem, line)


@pytest.mark.parametrize(("name", "expected"), refusals())
def test_rubric_check_prints_one_error_line_and_exits_2(name, expected, capsys):
    code = main(["rubric", "check", str(fixture(name))])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err == f"grade: error: {expected_message(fixture(name), *expected)}\n"


def test_missing_rubric_file_is_refused():
    with pytest.raises(RubricError) as caught:
        load_rubric(BROKEN / "no_such_rubric.yaml")
    assert str(caught.value) == f"{BROKEN / 'no_such_rubric.yaml'}: no such rubric file"


def test_folder_without_rubric_yaml_is_refused():
    with pytest.raises(RubricError) as caught:
        load_rubric(BROKEN / "reference")
    assert str(caught.value) == f"{BROKEN / 'reference' / 'rubric.yaml'}: no such rubric file"


# --- the schema -------------------------------------------------------------------------


def test_exported_schema_is_a_valid_draft_2020_12_schema():
    Draft202012Validator.check_schema(schema())
    assert schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_rubric_schema_command_prints_the_exported_schema(capsys):
    assert main(["rubric", "schema"]) == 0
    assert json.loads(capsys.readouterr().out) == schema()


def test_schema_accepts_the_assignment4_rubric():
    data, _ = read_yaml(ASSIGNMENT4 / "rubric.yaml")
    Draft202012Validator(schema()).validate(data)


@pytest.mark.parametrize("name", SCHEMA_ERRORS)
def test_schema_rejects_broken_fixture(name):
    data, _ = read_yaml(fixture(name))
    assert not Draft202012Validator(schema()).is_valid(data)


@pytest.mark.parametrize("name", BUILD_ERRORS)
def test_schema_accepts_fixture_whose_problem_only_building_finds(name):
    data, _ = read_yaml(fixture(name))
    assert Draft202012Validator(schema()).is_valid(data)


# --- YAML 1.2 scalars -------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_yaml_reads_exponent_without_dot_as_a_float_and_no_as_a_string(tmp_path):
    data, _ = read_yaml(write(tmp_path / "scalars.yaml", """\
        small: 1e-6
        big: 2E+3
        words: [no, yes, on, off, No, Y, n]
        booleans: [true, false, True, FALSE]
        """))
    assert data == {"small": 1e-6, "big": 2000.0,
                    "words": ["no", "yes", "on", "off", "No", "Y", "n"],
                    "booleans": [True, False, True, False]}
    assert type(data["small"]) is float and type(data["big"]) is float


def test_yaml_reads_integers_the_yaml_1_2_way(tmp_path):
    data, _ = read_yaml(write(tmp_path / "ints.yaml", "a: 010\nb: 1:30\nc: 0b11\n"))
    assert data == {"a": 10, "b": "1:30", "c": "0b11"}


def test_rubric_tolerance_in_exponent_form_and_answer_no_load_as_written(tmp_path):
    rubric = load_rubric(write(tmp_path / "rubric.yaml", """\
        assignment: {id: scalars, title: YAML 1.2 scalars}
        defaults:
          tolerance: {rtol: 1e-6, atol: 1e-12}
        items:
          - id: q1
            title: Does it change?
            points: 1
            kind: value
            module: answers
            name: CHANGES
            expect: no
            accept: [false]
        """))
    item = rubric.items[0]
    assert (item.tolerance.rtol, item.tolerance.atol) == (1e-6, 1e-12)
    assert item.cases[0].expected == "no"
    assert item.cases[0].alternatives == (False,)


# --- the shipped assignment 4 rubric ----------------------------------------------------


def test_assignment4_has_exactly_the_contract_items_and_points(assignment4):
    assert {i.id: i.points for i in assignment4.items} == ASSIGNMENT4_ITEMS
    assert [i.id for i in assignment4.items] == list(ASSIGNMENT4_ITEMS)
    assert assignment4.max_score == 100
    assert assignment4.automatic_points == 95
    assert [i.id for i in assignment4.items if not i.automatic] == ["p1.reasons",
                                                                    "p4.explanation"]


def test_assignment4_reads_yaml_1_2_scalars(assignment4):
    items = {i.id: i for i in assignment4.items}
    assert items["p1.softmax"].tolerance.rtol == 1e-6
    weights_change = items["p3.weights_change"].cases[0]
    assert weights_change.expected is False
    assert weights_change.alternatives == ("no",)


def test_every_assignment4_function_item_has_public_and_hidden_cases(assignment4):
    functions = [i for i in assignment4.items if i.kind == "function"]
    assert len(functions) == 8
    for item in functions:
        hidden = [c for c in item.cases if c.hidden]
        assert item.public_cases, item.id
        assert len(hidden) > 0, item.id
        assert all(c.call == "" and c.expected_text == "" for c in hidden), item.id


def same(a, b) -> bool:
    """Equal values, arrays compared by dtype, shape and every entry (NaN equal to NaN)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype
                and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    floats = (float, np.floating)
    both_nan = isinstance(a, floats) and isinstance(b, floats) and np.isnan(a) and np.isnan(b)
    return type(a) is type(b) and (a == b or both_nan)


def test_seeded_random_cases_are_identical_on_two_loads():
    first, second = load_rubric(ASSIGNMENT4), load_rubric(ASSIGNMENT4)
    assert first.fingerprint == second.fingerprint
    for one, two in zip(first.items, second.items, strict=True):
        for a, b in zip(one.cases, two.cases, strict=True):
            assert same((a.args, a.kwargs, a.expected, a.alternatives),
                        (b.args, b.kwargs, b.expected, b.alternatives)), (one.id, a.name)
        for a, b in zip(one.misconceptions, two.misconceptions, strict=True):
            assert same(a.per_case, b.per_case), (one.id, a.id)
    forward = next(i for i in first.items if i.id == "p2.forward")
    seeded = next(c for c in forward.cases if c.name == "random weights, seed 1")
    assert seeded.args[0].shape == (4,) and (seeded.args[1] < 0).any()  # really random


def test_rubric_check_lists_every_assignment4_item(capsys):
    assert main(["rubric", "check", str(ASSIGNMENT4)]) == 0
    captured = capsys.readouterr()
    header, *rows = captured.out.splitlines()
    assert captured.err == ""
    assert header.endswith(": OK: Assignment 4: neural-network basics (assignment4), "
                           "16 items, 100 points (95 automatic)")
    assert [row.split()[0] for row in rows] == list(ASSIGNMENT4_ITEMS)


# --- reference solutions stay apart -----------------------------------------------------


def rubric_with_problem1(folder: Path, body: str) -> Path:
    """A rubric whose reference folder defines problem1.one_hot as ``body`` returns."""
    write(folder / "reference" / "problem1.py", f"""\
        def one_hot(labels, num_classes=10):
            return {body}
        """)
    return write(folder / "rubric.yaml", """\
        assignment: {id: other, title: Another problem1}
        reference: reference
        items:
          - id: p1.one_hot
            title: one_hot, this rubric's way
            points: 1
            kind: function
            module: problem1
            name: one_hot
            cases:
              public:
                - name: two labels
                  args: [[1, 2]]
        """)


def test_reference_folders_defining_the_same_module_each_keep_their_own(tmp_path):
    modules_before = set(sys.modules)
    doubled = rubric_with_problem1(tmp_path / "doubled", "[2 * x for x in labels]")
    negated = rubric_with_problem1(tmp_path / "negated", "[-x for x in labels]")
    loaded = [load_rubric(doubled), load_rubric(ASSIGNMENT4), load_rubric(negated),
              load_rubric(doubled)]
    assert loaded[0].items[0].cases[0].expected == [2, 4]
    assert loaded[2].items[0].cases[0].expected == [-1, -2]
    assert loaded[3].items[0].cases[0].expected == [2, 4]
    one_hot = next(i for i in loaded[1].items if i.id == "p1.one_hot")
    three_labels = one_hot.cases[0].expected
    assert three_labels.shape == (3, 10) and three_labels[0, 3] == 1
    assert not {"problem1", "problem2", "mistakes", "alternatives"} & (
        set(sys.modules) - modules_before)


def test_loading_a_reference_leaves_a_same_named_module_in_sys_modules_alone(tmp_path):
    sentinel = types.ModuleType("problem1")
    saved = sys.modules.get("problem1")
    sys.modules["problem1"] = sentinel
    try:
        rubric = load_rubric(rubric_with_problem1(tmp_path / "doubled", "list(labels) * 2"))
        assert sys.modules["problem1"] is sentinel
    finally:
        if saved is None:
            del sys.modules["problem1"]
        else:
            sys.modules["problem1"] = saved
    assert rubric.items[0].cases[0].expected == [1, 2, 1, 2]


def test_reference_may_use_a_package_the_grader_has_not_imported_yet(tmp_path):
    pytest.importorskip("scipy")
    write(tmp_path / "reference" / "problem1.py", """\
        import scipy.stats


        def trimmed_mean(xs):
            return float(scipy.stats.tmean(xs))
        """)
    write(tmp_path / "rubric.yaml", """\
        assignment: {id: scipy, title: A reference using scipy}
        reference: reference
        items:
          - id: q1
            title: trimmed_mean(xs)
            points: 1
            kind: function
            module: problem1
            name: trimmed_mean
            cases:
              public:
                - name: three numbers
                  args: [[1, 2, 6]]
        """)
    # A fresh interpreter, so that no earlier test has imported scipy already.
    script = ("import sys; from grader.rubric import load_rubric; "
              "print(load_rubric(sys.argv[1]).items[0].cases[0].expected)")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (0, "3.0\n"), done.stderr[-600:]


def test_a_hidden_function_item_hides_its_public_cases_too(tmp_path):
    path = write(tmp_path / "rubric.yaml", """\
        assignment: {id: hw, title: HW}
        items:
          - id: q1
            title: double
            points: 2
            kind: function
            module: answers
            name: double
            hidden: true
            cases:
              public:
                - {name: two, args: [2], expect: 4}
        """)
    item = load_rubric(path).items[0]
    assert [c.hidden for c in item.cases] == [True]
    assert item.cases[0].call == "" and item.cases[0].expected_text == ""
