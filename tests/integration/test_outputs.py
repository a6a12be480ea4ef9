"""What the reports say: golden files for the three formats, and no hidden case leaking.

Golden files live in tests/golden/<student>/. After a deliberate change to the
reports, regenerate them with:

    python -m pytest tests/integration/test_outputs.py --update-golden
"""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pytest

from grader.pipeline import grade_submission, write_reports
from tests.conftest import EXAMPLES, ROOT

GOLDEN = ROOT / "tests" / "golden"
STUDENTS = sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir())
FILES = ("report.html", "report.md", "results.json")
REGENERATE = "python -m pytest tests/integration/test_outputs.py --update-golden"


@pytest.fixture(scope="module")
def written(assignment4, grade_context, tmp_path_factory):
    """Every example's three reports, with the run time pinned so the files are stable."""
    out = tmp_path_factory.mktemp("reports")
    for name in STUDENTS:
        result = grade_submission(EXAMPLES / name, assignment4, context=grade_context)
        write_reports(dataclasses.replace(result, execution_time=0.25), out / name)
    return out


@pytest.mark.parametrize("student", STUDENTS)
@pytest.mark.parametrize("file", FILES)
def test_report_matches_its_golden_file(written, student, file, request):
    text = (written / student / file).read_text(encoding="utf-8")
    text = text.replace(str(ROOT), "<repo>")
    golden = GOLDEN / student / file
    if request.config.getoption("--update-golden"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden}; create it with: {REGENERATE}"
    assert text == golden.read_text(encoding="utf-8"), (
        f"{student}/{file} differs from {golden}. If the change is intended, regenerate "
        f"the golden files with: {REGENERATE}")


def _renderings(value: float) -> set[str]:
    """The ways a number could be printed in a report."""
    return {repr(value), f"{value:.6g}", f"{value:.5f}", f"{value:.4f}",
            np.array2string(np.array([value]), precision=6)[1:-1].strip()}


def _distinctive_numbers(value) -> list[float]:
    """Numbers in a hidden input or answer that could not appear in a report by chance."""
    arr = np.asarray(value, dtype=float).ravel() if np.size(value) else np.array([])
    found = [float(x) for x in arr if np.isfinite(x) and abs(x) > 1e-3
             and len(f"{abs(x):.6g}".replace(".", "").lstrip("0")) >= 4]
    return found[:12]


def _public_numbers(rubric) -> set[float]:
    return {x for item in rubric.items for case in item.cases if not case.hidden
            for value in (*case.args, case.expected) if isinstance(value, (np.ndarray, float))
            for x in _distinctive_numbers(value)}


def _hidden_values(rubric):
    """Distinctive numbers of hidden cases; those a public case shows too are no secret
    (softmax of [-1000, -1001, -999] equals softmax of [1, 2, 3] rearranged)."""
    public = _public_numbers(rubric)
    for item, case, what, numbers in _hidden_numbers(rubric):
        yield item, case, what, [x for x in numbers if x not in public]


def _hidden_numbers(rubric):
    for item in rubric.items:
        for case in item.cases:
            if not case.hidden:
                continue
            for arg in (*case.args, *case.kwargs.values()):
                if isinstance(arg, (np.ndarray, float)):
                    yield item.id, case.name, "input", _distinctive_numbers(arg)
            if isinstance(case.expected, (np.ndarray, float)):
                yield item.id, case.name, "expected", _distinctive_numbers(case.expected)


def test_hidden_inputs_and_expected_values_never_appear_in_any_output(written, assignment4):
    hidden = list(_hidden_values(assignment4))
    assert sum(len(numbers) for *_, numbers in hidden) > 100  # the test has teeth
    for student in STUDENTS:
        for file in FILES:
            text = (written / student / file).read_text(encoding="utf-8")
            for item, case, what, numbers in hidden:
                for number in numbers:
                    for shown in _renderings(number):
                        assert shown not in text, (
                            f"{student}/{file} shows {shown}, a hidden {what} of {item} "
                            f"/ {case!r}")


def test_hidden_cases_show_only_name_status_and_a_generic_reason(written, assignment4):
    results = json.loads((written / "bob_forgot_biases" / "results.json").read_text())
    count = next(t for t in results["tests"] if t["number"] == "p2.count_parameters")
    hidden_lines = [line for line in count["output"].splitlines() if "[784, 128, 10]" in line]
    assert hidden_lines and all(re.search(r"(wrong value|wrong result)$", line)
                                for line in hidden_lines)
    assert "101770" not in count["output"] and "101632" not in count["output"]
