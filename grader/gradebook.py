"""The class view: one ``Record`` per submission, the gradebook, and hand grades.

A ``Record`` is what the batch keeps of a graded submission (in its state file)
so that the gradebook and the class summary can be rebuilt without grading
again. Hand grades come in as CSV (student, item, points, comment) and are
checked row by row against the batch and the rubric.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from grader.errors import GraderError
from grader.models import Rubric, Status, SubmissionResult

MANUAL_COLUMNS = ("student", "item", "points", "comment")


@dataclass(frozen=True)
class ItemRecord:
    score: float
    status: str
    misconceptions: tuple[str, ...] = ()  # ids of the hints that fired
    failed_hidden: tuple[str, ...] = ()  # names of hidden cases not passed


@dataclass(frozen=True)
class Record:
    """One graded submission, as the gradebook and the class summary see it."""

    name: str
    score: float
    automatic: float
    manual: float
    max_score: float
    status: str  # "graded", "incomplete" (manual items pending), or "error"
    items: dict[str, ItemRecord] = field(default_factory=dict)
    error: str = ""
    problems: tuple[str, ...] = ()  # module-level errors, and items that timed out or crashed

    @classmethod
    def of(cls, result: SubmissionResult) -> Record:
        items = {
            r.item.id: ItemRecord(
                r.score, r.status.value, tuple(h.misconception for h in r.hints if h.misconception),
                # hidden cases that ran and failed; not those an import error or a timeout skipped
                tuple(c.name for c in r.cases if c.hidden and not c.passed and not r.error
                      and c.status is not Status.NOT_RUN))
            for r in result.items}
        problems = dict.fromkeys(
            [r.error for r in result.items if r.error and r.item.automatic] +
            [f"{r.item.id} {'timed out' if r.status is Status.TIMEOUT else 'crashed the worker'}"
             for r in result.items if r.status in (Status.TIMEOUT, Status.CRASHED)])
        status = "error" if result.error else (
            "incomplete" if result.pending_points else "graded")
        return cls(result.name, result.score, result.automatic_score,
                   round(result.score - result.automatic_score, 2), result.max_score, status,
                   items, result.error, tuple(problems))

    def to_json(self) -> dict:
        # Spelled out: dataclasses.asdict deep-copies field by field, ~1 ms per record.
        return {"name": self.name, "score": self.score, "automatic": self.automatic,
                "manual": self.manual, "max_score": self.max_score, "status": self.status,
                "items": {k: {"score": v.score, "status": v.status,
                              "misconceptions": list(v.misconceptions),
                              "failed_hidden": list(v.failed_hidden)}
                          for k, v in self.items.items()},
                "error": self.error, "problems": list(self.problems)}

    @classmethod
    def from_json(cls, data: dict) -> Record:
        items = {k: ItemRecord(v["score"], v["status"], tuple(v["misconceptions"]),
                               tuple(v["failed_hidden"])) for k, v in data["items"].items()}
        return cls(**{**data, "items": items, "problems": tuple(data["problems"])})

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0


def gradebook_csv(records: list[Record], rubric: Rubric) -> str:
    """One row per student: name, totals, status, then one column per item id.

    Plain CSV with a header row, which Canvas and Moodle import (see README)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    ids = [i.id for i in rubric.items]
    writer.writerow(["student", "total", "automatic", "manual", "max", "status", *ids])
    for r in sorted(records, key=lambda r: r.name):
        writer.writerow([_cell(r.name), _num(r.score), _num(r.automatic), _num(r.manual),
                         _num(r.max_score), r.status,
                         *(_num(r.items[i].score) if i in r.items else "" for i in ids)])
    return out.getvalue()


def gradebook_json(records: list[Record], rubric: Rubric) -> str:
    """The gradebook as JSON: the assignment, then one student per line (each line by the C
    encoder; ``indent`` over a whole class would take the pure-Python one)."""
    head = json.dumps({"assignment": rubric.id, "title": rubric.title,
                       "max_score": rubric.max_score,
                       "items": [{"id": i.id, "title": i.title, "points": i.points,
                                  "kind": i.kind} for i in rubric.items]}, indent=2)
    students = ",\n".join("    " + json.dumps(r.to_json())
                          for r in sorted(records, key=lambda r: r.name))
    return f'{head[:-2]},\n  "students": [\n{students}\n  ]\n}}\n'


def manual_template(names: list[str], rubric: Rubric,
                    existing: dict[str, dict[str, tuple[float, str]]] | None = None) -> str:
    """Every manual item for every student, ready to fill in (keeps grades already given)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(MANUAL_COLUMNS)
    existing = existing or {}
    for name in sorted(names):
        for item in rubric.items:
            if not item.automatic:
                points, comment = existing.get(name, {}).get(item.id, ("", ""))
                writer.writerow([_cell(name), item.id, points, comment])
    return out.getvalue()


def _num(value: float) -> str:
    return f"{value:g}"


def _cell(text: str) -> str:
    """Keep spreadsheet programs from running a name as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


ManualGrades = dict[str, dict[str, tuple[float, str]]]  # student -> item id -> (points, comment)


def read_manual_grades(path: Path, rubric: Rubric, students: list[str]) -> ManualGrades:
    """Parse and check a hand-grades CSV; every problem names the file and the row."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise GraderError(f"{path}: cannot read the manual grades ({e})") from None
    rows = csv.DictReader(io.StringIO(text))
    missing = [c for c in MANUAL_COLUMNS[:3] if c not in (rows.fieldnames or [])]
    if missing:
        raise GraderError(f"{path}: the header must have the columns "
                          f"{', '.join(MANUAL_COLUMNS)} (missing: {', '.join(missing)})")
    manual_items = {i.id: i for i in rubric.items if not i.automatic}
    known = set(students)
    grades: ManualGrades = {}
    for line, row in enumerate(rows, start=2):
        def fail(problem: str, line: int = line) -> GraderError:
            return GraderError(f"{path}:{line}: {problem}")

        student = (row.get("student") or "").strip().lstrip("'")
        item_id = (row.get("item") or "").strip()
        raw_points = (row.get("points") or "").strip()
        if not raw_points:
            continue  # not graded yet: the template's empty rows are fine
        if student not in known:
            raise fail(f"unknown student {student!r}")
        if item_id not in manual_items:
            kind = "an automatic item" if any(i.id == item_id for i in rubric.items) else \
                "an unknown item"
            raise fail(f"{item_id!r} is {kind}; only manual items take hand grades "
                       f"({', '.join(manual_items)})")
        try:
            points = float(raw_points)
        except ValueError:
            raise fail(f"points {raw_points!r} is not a number") from None
        limit = manual_items[item_id].points
        if not 0 <= points <= limit:
            raise fail(f"points {points:g} out of range for {item_id} (0 to {limit:g})")
        if item_id in grades.get(student, {}):
            raise fail(f"a second grade for {student} / {item_id}")
        grades.setdefault(student, {})[item_id] = (points, (row.get("comment") or "").strip())
    return grades


def apply_manual_grades(result: SubmissionResult,
                        grades: dict[str, tuple[float, str]]) -> SubmissionResult:
    """The result with hand grades merged into its manual items."""
    if not grades:
        return result
    items = tuple(replace(r, manual_score=grades[r.item.id][0], comment=grades[r.item.id][1])
                  if r.item.id in grades else r for r in result.items)
    return replace(result, items=items)
