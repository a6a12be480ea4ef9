"""The plain-text table the ``grade`` command prints after grading.

No colours and no status glyphs (✓, ✗): it must read the same in a CI log, a
pipe, or a console whose encoding cannot show them.
"""

from __future__ import annotations

from grader.models import ItemResult, Status, SubmissionResult
from grader.reports.filters import percent, pluralize, points, shorten

_TITLE_WIDTH = 40


def terminal_summary(result: SubmissionResult) -> str:
    """One row per item (id, title, points "x / y", status), then the total and what is pending."""
    header = ("Item", "Title", "Points", "Status")
    rows = [(r.item.id, shorten(r.item.title, _TITLE_WIDTH), _item_points(r), r.status.value)
            for r in result.items]
    total = ("Total", "", f"{points(result.score)} / {points(result.max_score)}",
             percent(result.percent))
    widths = [max(len(row[i]) for row in (header, *rows, total)) for i in range(3)]

    def line(row: tuple[str, ...]) -> str:
        cells = (row[0].ljust(widths[0]), row[1].ljust(widths[1]), row[2].rjust(widths[2]), row[3])
        return "  ".join(cells).rstrip()

    rule = "-" * (sum(widths) + 6 + max(len(row[3]) for row in (header, *rows, total)))
    lines = [f"{result.rubric.title}: {result.name}", line(header), rule]
    lines += [line(row) for row in rows]
    lines += [rule, line(total)]
    if result.pending_points:
        pending = result.pending_points
        lines.append(f"Graded by hand, still pending: {points(pending)} point{pluralize(pending)}")
    if result.error:
        lines.append(f"Not graded: {result.error}")
    lines += [f"Warning: {warning}" for warning in result.warnings]
    return "\n".join(lines)


def _item_points(item_result: ItemResult) -> str:
    earned = "-" if item_result.status is Status.PENDING else points(item_result.score)
    return f"{earned} / {points(item_result.item.points)}"
