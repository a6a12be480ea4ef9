"""The data that flows between the pipeline's stages.

rubric.py builds ``Rubric``/``Item``/``Case`` (instructor data, with expected
values already computed); checks turn items into ``Task``s for the worker and
``TaskOutcome``s back into ``CaseResult``/``ItemResult``; reports read
``SubmissionResult``. Scores are derived properties, never stored twice (computed once per frozen
result object: ``cached_property`` writes to the instance dict, which a frozen
dataclass allows; ``dataclasses.replace`` makes a new object with a fresh cache).

Hidden cases: a ``CaseResult`` built for a hidden case carries no input,
expected or actual value and no exception text (see ``CaseResult.for_hidden``),
so no report can leak them, whatever its template does.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any


class Status(str, enum.Enum):
    """How one case (or item) went. The value is what reports show."""

    PASSED = "passed"
    PARTIAL = "partial"  # items only: some weighted cases passed
    FAILED = "failed"  # ran, wrong answer
    ERROR = "error"  # student code raised, or the name is missing / not importable
    TIMEOUT = "timeout"
    CRASHED = "crashed"  # the worker process died (os._exit, segfault, memory limit)
    NOT_RUN = "not run"  # skipped: an earlier case timed out or the time budget ran out
    PENDING = "pending"  # manual items not graded yet
    GRADED = "graded"  # manual items with a hand grade merged


@dataclass(frozen=True)
class Tolerance:
    rtol: float = 1e-6
    atol: float = 1e-9


@dataclass(frozen=True)
class Misconception:
    """A known wrong answer and the hint that names it.

    It matches a case when the student's answer equals one of ``answers``
    (literal wrong answers, any case), the value ``per_case[case name]`` (what
    the reference's mistake function returns for that case's inputs), or,
    with ``nonfinite``, when the answer holds NaN or infinity.
    """

    id: str
    hint: str
    answers: tuple[Any, ...] = ()
    per_case: dict[str, Any] = field(default_factory=dict, compare=False)
    nonfinite: bool = False


@dataclass(frozen=True)
class Case:
    """One check of an item: call (or read) the student's name and compare."""

    name: str
    hidden: bool = False
    weight: float = 1.0
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    expected: Any = None
    alternatives: tuple[Any, ...] = ()  # other accepted answers
    hint: str = ""  # shown when this case fails and no misconception matched
    call: str = ""  # how reports show the call, e.g. "relu(array([-2., 0., 3.]))" (public only)
    expected_text: str = ""  # how reports show the expected value (public only)
    wire_args: Any = field(default=None, compare=False)  # args and kwargs, wire-encoded once


@dataclass(frozen=True)
class Item:
    """One rubric item: what to check, for how many points."""

    id: str
    title: str
    kind: str
    points: float
    module: str = ""
    name: str = ""
    description: str = ""
    cases: tuple[Case, ...] = ()
    misconceptions: tuple[Misconception, ...] = ()
    tolerance: Tolerance = Tolerance()
    all_or_nothing: bool = False
    timeout: float = 2.0  # CPU seconds per call (see execution.WAIT_FACTOR for waiting)
    options: dict[str, Any] = field(default_factory=dict)  # kind-specific settings

    @property
    def automatic(self) -> bool:
        return self.kind != "manual"

    @property
    def public_cases(self) -> tuple[Case, ...]:
        return tuple(c for c in self.cases if not c.hidden)


@dataclass(frozen=True)
class Limits:
    """Resource limits for one submission's worker."""

    call_timeout: float = 2.0  # default per call; items may override
    import_timeout: float = 5.0  # per student module import
    submission_timeout: float = 60.0  # wall clock for the whole submission
    memory_mb: int = 1024  # address space
    disk_mb: int = 200  # files it may write in its private folder, all together
    output_chars: int = 2000  # captured stdout/stderr kept per call


@dataclass(frozen=True)
class Rubric:
    """A loaded, validated rubric with every expected value computed."""

    id: str
    title: str
    path: Path  # the rubric.yaml file
    items: tuple[Item, ...]
    limits: Limits = Limits()
    course: str = ""
    fingerprint: str = ""  # content hash of the rubric and its reference

    @property
    def max_score(self) -> float:
        return sum(i.points for i in self.items)

    @property
    def automatic_points(self) -> float:
        return sum(i.points for i in self.items if i.automatic)

    @property
    def modules(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(i.module for i in self.items if i.module))


# --- the worker conversation -------------------------------------------------


@dataclass(frozen=True)
class Task:
    """One thing the worker does: read a module-level name, or call it with arguments."""

    id: str
    module: str
    name: str
    call: bool
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    timeout: float = 2.0
    group: str = ""  # the item it serves: after a timeout or crash, the rest of a group is skipped
    wire_args: Any = None  # [args, kwargs] already wire-encoded (see Case.wire_args)


@dataclass(frozen=True)
class TaskOutcome:
    """What came back for one task, already decoded into plain, trusted data.

    ``value`` is a decoded wire value (see wire.py): Python scalars, str,
    lists, dicts, numpy arrays, or ``Opaque`` for anything else.
    """

    task_id: str
    status: Status  # PASSED here only means "returned normally"
    value: Any = None
    error_type: str = ""  # e.g. "ZeroDivisionError", "SyntaxError", "missing name"
    error_message: str = ""
    traceback: str = ""  # trimmed to the student's own files
    output: str = ""  # what the student's code printed during this task
    line: int | None = None  # where the name is defined in the student's module


# --- results -----------------------------------------------------------------


@dataclass(frozen=True)
class CaseResult:
    name: str
    status: Status
    hidden: bool = False
    weight: float = 1.0
    message: str = ""  # plain words: why it failed
    call: str = ""  # e.g. "softmax(array([1000., 1001., 1002.]))" (public only)
    expected: str = ""  # short repr (public only)
    actual: str = ""  # short repr (public only)
    output: str = ""  # what the student printed (public only)
    traceback: str = ""  # public only
    misconception: str = ""  # id of the misconception that matched

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED

    def for_hidden(self) -> CaseResult:
        """Drop everything that could reveal a hidden case's inputs or answers."""
        return replace(self, call="", expected="", actual="", output="", traceback="",
                       message=_hidden_message(self))


# Failure kinds that say what went wrong without any value: safe to show for hidden cases.
SAFE_FAILURE_KINDS = frozenset({"wrong type", "wrong shape", "wrong length", "wrong value",
                                "not finite", "not a valid formula", "not equivalent",
                                "could not be checked"})


def _hidden_message(case: CaseResult) -> str:
    if case.status is Status.FAILED and case.message in SAFE_FAILURE_KINDS:
        return case.message
    return {
        Status.PASSED: "",
        Status.FAILED: "wrong result",
        Status.ERROR: case.message.split(":", 1)[0],  # keeps "raised ValueError", drops its text
        Status.TIMEOUT: "took too long",
        Status.CRASHED: "the worker process died",
        Status.NOT_RUN: "not run",
    }.get(case.status, "")


@dataclass(frozen=True)
class Hint:
    misconception: str  # id ("" for a case hint)
    text: str
    cases: tuple[str, ...]  # names of the cases where it matched


@dataclass(frozen=True)
class ItemResult:
    item: Item
    cases: tuple[CaseResult, ...] = ()
    hints: tuple[Hint, ...] = ()
    error: str = ""  # item-level problem in plain words (module broken, name missing)
    traceback: str = ""
    line: int | None = None  # where the student defined the name
    answer: str = ""  # manual items: the student's answer, shown to whoever grades by hand
    manual_score: float | None = None  # set when a hand grade is merged
    comment: str = ""  # grader's comment for manual items

    @cached_property
    def score(self) -> float:
        if not self.item.automatic:
            return self.manual_score or 0.0
        total = sum(c.weight for c in self.cases)
        if not total:
            return 0.0
        passed = sum(c.weight for c in self.cases if c.passed)
        if self.item.all_or_nothing:
            return self.item.points if passed == total else 0.0
        return round(self.item.points * passed / total, 2)

    @cached_property
    def status(self) -> Status:
        if not self.item.automatic:
            return Status.PENDING if self.manual_score is None else Status.GRADED
        if self.cases and all(c.passed for c in self.cases):
            return Status.PASSED
        if self.score > 0:
            return Status.PARTIAL
        worst = (s for s in (Status.TIMEOUT, Status.CRASHED, Status.ERROR)
                 if any(c.status is s for c in self.cases))
        return next(worst, Status.ERROR if self.error else Status.FAILED)


@dataclass(frozen=True)
class SubmissionResult:
    name: str
    rubric: Rubric
    items: tuple[ItemResult, ...]
    execution_time: float = 0.0
    warnings: tuple[str, ...] = ()  # about the submission as a whole
    error: str = ""  # the submission could not be graded at all

    @cached_property
    def score(self) -> float:
        return round(sum(r.score for r in self.items), 2)

    @property
    def max_score(self) -> float:
        return self.rubric.max_score

    @cached_property
    def automatic_score(self) -> float:
        return round(sum(r.score for r in self.items if r.item.automatic), 2)

    @cached_property
    def pending_points(self) -> float:
        return sum(r.item.points for r in self.items if r.status is Status.PENDING)

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0
