"""junit.xml: one test case per rubric item, for GitLab, Jenkins and other CI test views.

A wrong answer is a ``<failure>``, the student's code raising, timing out or
crashing is an ``<error>``, and an item still waiting for its hand grade is
``<skipped>``. The body of each is the same plain text as results.json's
feedback, so a hidden case shows only its name, status and generic message.

ElementTree escapes markup in student text; characters that XML 1.0 cannot
hold at all (most control characters) are removed first, or the file would
not parse.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from grader.models import ItemResult, Status, SubmissionResult
from grader.reports.filters import points
from grader.reports.gradescope import item_feedback, summary_text

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ERRORS = (Status.ERROR, Status.TIMEOUT, Status.CRASHED)


def write_junit(result: SubmissionResult, out_dir: Path,
                template_dirs: Sequence[Path] = ()) -> Path:
    from grader.reports import write_atomic

    return write_atomic(out_dir / "junit.xml", junit_xml(result))


def junit_xml(result: SubmissionResult) -> str:
    """The whole junit.xml document for one submission."""
    outcomes = [_outcome(r) for r in result.items]
    suite = ET.Element("testsuite", _attributes(
        name=result.rubric.title, tests=len(result.items),
        failures=outcomes.count("failure"), errors=outcomes.count("error"),
        skipped=outcomes.count("skipped"), time=f"{result.execution_time:.3f}"))
    _properties(suite, submission=result.name, score=points(result.score),
                max_score=points(result.max_score))
    for item_result, outcome in zip(result.items, outcomes, strict=True):
        item = item_result.item
        case = ET.SubElement(suite, "testcase", _attributes(
            classname=item.module or result.rubric.id, name=f"{item.id}: {item.title}"))
        _properties(case, points=points(item_result.score), max_points=points(item.points),
                    status=item_result.status.value)
        if outcome == "skipped":
            ET.SubElement(case, "skipped", message="graded by hand")
        elif outcome:
            element = ET.SubElement(case, outcome, _attributes(
                message=failure_summary(item_result), type=item_result.status.value))
            element.text = _clean(item_feedback(item_result))
    ET.SubElement(suite, "system-out").text = _clean(summary_text(result))
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, "unicode") + "\n"


def failure_summary(item_result: ItemResult) -> str:
    """One line on what went wrong: title, points, the first failing case, the first hint.

    CI annotations use it too (grader/ci.py).
    """
    item = item_result.item
    parts = [f"{item.title}: {points(item_result.score)} / {points(item.points)} points"]
    failing = next((c for c in item_result.cases if not c.passed), None)
    if item_result.error:
        parts.append(item_result.error)
    elif failing is not None:
        label = f"{failing.name} (hidden)" if failing.hidden else failing.name
        parts.append(f"{label}: {failing.message or failing.status.value}")
    if item_result.hints:
        hint = item_result.hints[0]
        parts.append(f"{'Likely mistake' if hint.misconception else 'Hint'}: {hint.text}")
    return " ".join(part if part.endswith((".", "!", "?")) else part + "." for part in parts)


def _outcome(item_result: ItemResult) -> str:
    """The JUnit element an item gets: "" (passed), "failure", "error" or "skipped"."""
    status = item_result.status
    if status is Status.PENDING:
        return "skipped"
    if status in _ERRORS:
        return "error"
    full_marks = status is Status.GRADED and item_result.score >= item_result.item.points
    return "" if status is Status.PASSED or full_marks else "failure"


def _properties(parent: ET.Element, **values: str) -> None:
    properties = ET.SubElement(parent, "properties")
    for name, value in values.items():
        ET.SubElement(properties, "property", _attributes(name=name, value=value))


def _attributes(**values: object) -> dict[str, str]:
    return {name: _clean(str(value)) for name, value in values.items()}


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)
