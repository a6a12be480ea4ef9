"""results.json in the shape Gradescope's autograder harness reads.

One Gradescope test per rubric item, so the points a student sees there match
the rubric line by line. Feedback is plain text (``output_format: text``), so
Gradescope never interprets a student's string as HTML or Markdown. Hidden
cases contribute only their name, status and generic message.
"""

from __future__ import annotations

from typing import Any

from grader.models import ItemResult, Status, SubmissionResult
from grader.reports.filters import points, shorten, status_icon, transcript


def results_json(result: SubmissionResult) -> dict[str, Any]:
    """The whole results.json document; the top-level score is the sum of the tests'."""
    return {
        "score": result.score,
        "execution_time": result.execution_time,
        "output": summary_text(result),
        "output_format": "text",
        "tests": [_test(item) for item in result.items],
    }


def summary_text(result: SubmissionResult) -> str:
    """The score, pending points, error and warnings of a whole submission, as plain text."""
    rubric = result.rubric
    lines = [f"{rubric.title}: {points(result.score)} / {points(result.max_score)} points."]
    if rubric.automatic_points != rubric.max_score:
        lines.append(f"Automatic checks: {points(result.automatic_score)} / "
                     f"{points(rubric.automatic_points)}.")
    if result.pending_points:
        lines.append(f"Graded by hand, still pending: {points(result.pending_points)} points.")
    if result.error:
        lines.append(f"This submission could not be graded: {result.error}")
    lines.extend(f"Warning: {warning}" for warning in result.warnings)
    return "\n".join(lines)


def _test(item_result: ItemResult) -> dict[str, Any]:
    item = item_result.item
    pending = item_result.status is Status.PENDING
    test: dict[str, Any] = {
        "number": item.id,
        "name": item.title,
        "score": item_result.score,
        "max_score": item.points,
        "output": item_feedback(item_result),
        "output_format": "text",
        "visibility": "visible",
        "extra_data": {"item_kind": item.kind, "pending": pending},
    }
    if not pending:  # an item still waiting for its hand grade has neither passed nor failed
        full_marks = item_result.status is Status.GRADED and item_result.score >= item.points
        passed = item_result.status is Status.PASSED or full_marks
        test["status"] = "passed" if passed else "failed"
    return test


def item_feedback(item_result: ItemResult) -> str:
    """One item's plain-text feedback; JUnit failures and the pytest plugin show the same."""
    lines = []
    if item_result.error:
        lines.append(f"Problem: {item_result.error}")
    if item_result.traceback:
        lines.append(item_result.traceback.rstrip())
    if not item_result.item.automatic:
        lines.extend(_manual_feedback(item_result))
    for case in item_result.cases:
        label = f"{case.name} (hidden)" if case.hidden else case.name
        message = f": {shorten(case.message, 200)}" if case.message else ""
        lines.append(f"{status_icon(case.status)} {label}{message}")
        details = "" if case.passed else transcript(case)
        if details:
            lines.append("    " + details.replace("\n", "\n    "))
    for hint in item_result.hints:
        heading = "Likely mistake" if hint.misconception else "Hint"
        lines.append(f"{heading}: {hint.text}")
    return "\n".join(lines)


def _manual_feedback(item_result: ItemResult) -> list[str]:
    if item_result.manual_score is None:
        return ["Graded by hand: pending."]
    lines = [f"Graded by hand: {points(item_result.score)} / {points(item_result.item.points)}."]
    if item_result.comment:
        lines.append(f"Comment: {item_result.comment}")
    return lines
