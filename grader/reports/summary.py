"""The class summary: what an instructor reads after a batch (summary.html, summary.md).

The numbers are computed here, from the batch's Records, so the templates only
lay them out: score distribution, per-item means and full-mark shares, which
misconception hints fired for how many students, the hidden cases most often
failed, and the submissions that crashed, timed out or could not be graded.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from grader.gradebook import Record
from grader.models import Rubric

BINS = 10


@dataclass(frozen=True)
class Bin:
    label: str
    count: int
    share: float  # of the tallest bin, 0..1, for the bar height


@dataclass(frozen=True)
class ItemStats:
    id: str
    title: str
    points: float
    automatic: bool
    mean: float
    full_share: float  # share of students with full marks
    problems: int  # students whose item errored, timed out or crashed
    pending: int  # students whose hand grade for this (manual) item is still missing


@dataclass(frozen=True)
class Mistake:
    item: str
    id: str
    hint: str
    students: int


@dataclass(frozen=True)
class FailedCase:
    item: str
    case: str
    students: int


@dataclass(frozen=True)
class Trouble:
    name: str
    what: str


@dataclass(frozen=True)
class ClassSummary:
    rubric: Rubric
    students: int
    mean: float
    median: float
    lowest: float
    highest: float
    histogram: tuple[Bin, ...]
    items: tuple[ItemStats, ...]
    mistakes: tuple[Mistake, ...]
    hidden_failures: tuple[FailedCase, ...]
    trouble: tuple[Trouble, ...]
    pending_manual: int  # students with hand-graded items still to grade
    records: tuple[Record, ...] = ()  # every student, by name

    @classmethod
    def of(cls, rubric: Rubric, records: list[Record]) -> ClassSummary:
        percents = [r.percent for r in records] or [0.0]
        counts = Counter(min(int(p // (100 / BINS)), BINS - 1) for p in percents) \
            if records else Counter()
        tallest = max(counts.values(), default=1)
        step = 100 // BINS
        histogram = tuple(Bin(f"{i * step}–{(i + 1) * step}%", counts[i], counts[i] / tallest)
                          for i in range(BINS))
        items = []
        for item in rubric.items:
            mine = [r.items[item.id] for r in records if item.id in r.items]
            scores = [m.score for m in mine]
            items.append(ItemStats(
                item.id, item.title, item.points, item.automatic,
                statistics.fmean(scores) if scores else 0.0,
                sum(s >= item.points for s in scores) / len(scores) if scores else 0.0,
                sum(m.status in ("error", "timeout", "crashed") for m in mine),
                sum(m.status == "pending" for m in mine)))
        hints = {(i.id, m.id): m.hint for i in rubric.items for m in i.misconceptions}
        order = {i.id: n for n, i in enumerate(rubric.items)}
        fired = Counter((item_id, m) for r in records for item_id, it in r.items.items()
                        for m in it.misconceptions)
        # Most frequent first; ties in rubric order, so every run lists them the same way.
        mistakes = tuple(Mistake(item, mid, hints.get((item, mid), ""), n)
                         for (item, mid), n in sorted(
                             fired.items(), key=lambda e: (-e[1], order.get(e[0][0], 0), e[0])))
        failed = Counter((item_id, case) for r in records for item_id, it in r.items.items()
                         for case in it.failed_hidden)
        hidden_failures = tuple(FailedCase(i, c, n) for (i, c), n in sorted(
            failed.items(), key=lambda e: (-e[1], order.get(e[0][0], 0), e[0]))[:10])
        trouble = tuple(Trouble(r.name, r.error or "; ".join(r.problems))
                        for r in sorted(records, key=lambda r: r.name)
                        if r.error or r.problems)
        return cls(rubric, len(records), statistics.fmean(percents), statistics.median(percents),
                   min(percents), max(percents), histogram, tuple(items), mistakes,
                   hidden_failures, trouble, sum(r.status == "incomplete" for r in records),
                   tuple(sorted(records, key=lambda r: r.name)))


def write_summary(out: Path, rubric: Rubric, records: list[Record]) -> list[Path]:
    from grader.reports import environment, write_atomic

    summary = ClassSummary.of(rubric, records)
    written = []
    for kind in ("html", "md"):
        text = environment(kind).get_template(f"summary.{kind}.j2").render(summary=summary)
        written.append(write_atomic(out / f"summary.{kind}", text))
    return written
