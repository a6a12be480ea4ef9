"""Check kinds: the seam where new kinds of rubric item plug in.

A kind is a class with a ``schema`` (the JSON Schema of its item fields, merged
into the rubric schema) and three methods, one per pipeline stage:

- ``build(raw, ctx, path) -> Item``: YAML to model, expected values computed;
- ``tasks(item) -> list[Task]``: what the worker must read or call;
- ``grade(item, outcomes, ctx) -> ItemResult``: compare, in the grader's process.

and optionally ``prepare(ctx)``, called as early as the rubric is known to use
the kind, to warm up a shared service, and ``pure = True`` when ``grade``
depends on nothing but the item and its outcomes (no service, no state): a
batch then grades each distinct set of outcomes once. Built-in kinds and
third-party ones (entry point group ``grader.checks``) are found by
``check_kinds()``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Protocol

import numpy as np

from grader.compare import Mismatch, compare, has_nonfinite, short_repr
from grader.models import (
    Case,
    CaseResult,
    Hint,
    Item,
    ItemResult,
    Misconception,
    Status,
    Task,
    TaskOutcome,
    Tolerance,
)


class CheckKind(Protocol):
    schema: ClassVar[dict]

    def build(self, raw: dict, ctx: Any, path: list) -> Item: ...

    def tasks(self, item: Item) -> list[Task]: ...

    def grade(self, item: Item, outcomes: Mapping[str, TaskOutcome],
              ctx: GradeContext) -> ItemResult: ...


class GradeContext:
    """Shared, lazily created services for one grading run (e.g. the algebra process)."""

    def __init__(self) -> None:
        self._services: dict[str, Any] = {}
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def service(self, key: str, factory: Callable[[], Any]) -> Any:
        """The shared service ``key``, created on first use (services must be thread-safe)."""
        with self._lock:
            if key not in self._services:
                self._services[key] = factory()
            return self._services[key]

    def first_time(self, key: str) -> bool:
        """True the first time ``key`` is asked about in this context (e.g. a kind's warm-up,
        which a batch then pays once, not once per submission)."""
        with self._lock:
            if key in self._seen:
                return False
            self._seen.add(key)
            return True

    def close(self) -> None:
        for service in self._services.values():
            close = getattr(service, "close", None)
            if close is not None:
                close()
        self._services.clear()

    def __enter__(self) -> GradeContext:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_kinds() -> dict[str, CheckKind]:
    from grader.checks.expression import ExpressionCheck
    from grader.checks.function import FunctionCheck
    from grader.checks.manual import ManualCheck
    from grader.checks.value import ValueCheck
    from grader.plugins import load

    classes = load("grader.checks", {"value": ValueCheck, "function": FunctionCheck,
                                     "expression": ExpressionCheck, "manual": ManualCheck})
    return {name: cls() for name, cls in classes.items()}


# --- helpers shared by the kinds --------------------------------------------

# Problems that affect the whole item (the module or the name), shown once at item level.
ITEM_LEVEL_ERRORS = ("missing module", "import failed", "import timeout", "missing name",
                     "not callable")


def read_name(item: Item) -> list[Task]:
    """The one task of an item that reads a module-level name (value, expression, manual)."""
    return [Task(item.id, item.module, item.name, call=False, timeout=item.timeout,
                 group=item.id)]


def base_item(raw: dict, ctx: Any, path: list, **extra: Any) -> dict:
    """The Item fields every kind shares, with the rubric's defaults applied."""
    return dict(id=raw["id"], title=raw["title"], kind=raw["kind"], points=float(raw["points"]),
                module=raw.get("module", ""), name=raw.get("name", ""),
                description=raw.get("description", ""),
                tolerance=ctx.tolerance_from(raw.get("tolerance")),
                timeout=float(raw.get("timeout", ctx.timeout)), **extra)


def literal_misconceptions(raw: dict, ctx: Any, path: list,
                           convert: Callable[[Any, list], Any] | None = None) -> tuple:
    """Misconceptions given as literal wrong answers (``when`` / ``when_any``)."""
    out = []
    for i, m in enumerate(raw.get("misconceptions", [])):
        here = path + ["misconceptions", i]
        answers = ([m["when"]] if "when" in m else []) + list(m.get("when_any", []))
        if not answers and not m.get("nonfinite") and not {"reference", "per_case"} & set(m):
            raise ctx.error(here, "give 'when', 'when_any', 'reference', 'per_case' or "
                                  "'nonfinite'")
        convert_one = convert or (lambda v, p: ctx.value(v, p))
        out.append(Misconception(
            id=m["id"], hint=m["hint"], nonfinite=bool(m.get("nonfinite")),
            answers=tuple(convert_one(a, here + ["when"]) for a in answers)))
    return tuple(out)


def outcome_problem(outcome: TaskOutcome) -> str:
    """Plain words for a task that did not return normally."""
    if outcome.status is Status.TIMEOUT:
        return f"took too long: {outcome.error_message}"
    if outcome.status in (Status.CRASHED, Status.NOT_RUN):
        return outcome.error_message or outcome.status.value
    if outcome.error_type == "NotImplementedError":
        return "not implemented yet (it raises NotImplementedError)"
    if outcome.error_type in ITEM_LEVEL_ERRORS:
        return outcome.error_message
    if outcome.error_type == "SystemExit":
        return f"raised SystemExit: the code called sys.exit() ({outcome.error_message})"
    message = f": {outcome.error_message}" if outcome.error_message else ""
    return f"raised {outcome.error_type}{message}"


def judge(case: Case, outcome: TaskOutcome, check: Callable[[Any], Mismatch | None],
          misconception: Callable[[Any], Misconception | None]) -> CaseResult:
    """One case's result from its outcome. A hidden case's result never holds its
    inputs, expected or actual values (see CaseResult.for_hidden)."""
    if outcome.status is not Status.PASSED:
        result = CaseResult(case.name, outcome.status, case.hidden, case.weight,
                            message=outcome_problem(outcome), call=case.call,
                            output=outcome.output, traceback=outcome.traceback)
        return result.for_hidden() if case.hidden else result
    mismatch = check(outcome.value)
    matched = misconception(outcome.value) if mismatch else None
    status = Status.FAILED if mismatch else Status.PASSED
    if case.hidden:
        return CaseResult(case.name, status, True, case.weight,
                          message=mismatch.kind if mismatch else "",
                          misconception=matched.id if matched else "").for_hidden()
    same = not mismatch and _identical(outcome.value, case.expected)
    return CaseResult(case.name, status, False, case.weight,
                      message=mismatch.detail if mismatch else "", call=case.call,
                      expected=case.expected_text,
                      actual=case.expected_text if same else short_repr(outcome.value),
                      output=outcome.output, misconception=matched.id if matched else "")


def _identical(value: Any, expected: Any) -> bool:
    """Exactly the expected value, so its rendering can be reused (most correct answers)."""
    if type(value) is not type(expected):
        return False
    if isinstance(value, np.ndarray):
        return value.dtype == expected.dtype and value.shape == expected.shape and \
            bool(np.array_equal(value, expected))
    try:
        return bool(value == expected)
    except (TypeError, ValueError):
        return False


def expected_check(case: Case, tol: Tolerance,
                   normalize: tuple[str, ...] = ()) -> Callable[[Any], Mismatch | None]:
    """A check accepting the case's expected value or any of its alternatives."""
    def check(value: Any) -> Mismatch | None:
        first = compare(case.expected, value, tol, normalize)
        if first is None or any(compare(a, value, tol, normalize) is None
                                for a in case.alternatives):
            return None
        return first
    return check


def matching_misconception(item: Item, case: Case, value: Any,
                           equal: Callable[[Any, Any], bool]) -> Misconception | None:
    for m in item.misconceptions:
        if m.nonfinite and has_nonfinite(value):
            return m
        if case.name in m.per_case and equal(m.per_case[case.name], value):
            return m
        if any(equal(answer, value) for answer in m.answers):
            return m
    return None


def item_result(item: Item, cases: list[CaseResult], outcomes: list[TaskOutcome]) -> ItemResult:
    """Collect case results into an item result: hints fired, item-level errors lifted."""
    hints = []
    for m in item.misconceptions:
        names = tuple(c.name for c in cases if c.misconception == m.id)
        if names:
            hints.append(Hint(m.id, m.hint, names))
    by_name = {c.name: c for c in item.cases}
    for c in cases:
        if not c.passed and not c.misconception and by_name[c.name].hint:
            hints.append(Hint("", by_name[c.name].hint, (c.name,)))
    error, trace = "", ""
    if outcomes and all(o.error_type in ITEM_LEVEL_ERRORS for o in outcomes):
        error, trace = outcome_problem(outcomes[0]), outcomes[0].traceback
    return ItemResult(item, tuple(cases), tuple(hints), error=error, traceback=trace)
