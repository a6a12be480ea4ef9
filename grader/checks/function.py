"""``function``: call the student's function on public and hidden cases.

Expected results are literal (``expect``) or computed by the reference solution
on the same inputs; inputs may be seeded random arrays, so hidden cases need
not be typed by hand and every re-grade is identical. Credit is proportional to
the weighted cases passed, unless the item is all-or-nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from grader import wire
from grader.checks import (
    GradeContext,
    base_item,
    expected_check,
    item_result,
    judge,
    literal_misconceptions,
    matching_misconception,
)
from grader.compare import compare, short_repr
from grader.models import Case, Item, ItemResult, Misconception, Task, TaskOutcome
from grader.rubric import CASE, MISCONCEPTION, TOLERANCE

_DOTTED = {"type": "string", "pattern": r"^[A-Za-z_][\w]*\.[A-Za-z_][\w]*$"}


class FunctionCheck:
    pure = True  # grade() depends on the item and its outcomes only (see pipeline)
    schema = {
        "required": ["module", "name", "cases"],
        "properties": {
            "cases": {"type": "object", "additionalProperties": False, "minProperties": 1,
                      "properties": {"public": {"type": "array", "items": CASE},
                                     "hidden": {"type": "array", "items": CASE}}},
            "reference": {**_DOTTED, "description": "module.function computing expected "
                                                    "results (default: module.name)"},
            "accept_reference": {"type": "array", "items": _DOTTED,
                                 "description": "reference functions whose results are also "
                                                "accepted"},
            "all_or_nothing": {"type": "boolean"},
            "tolerance": TOLERANCE,
            "timeout": {"type": "number", "exclusiveMinimum": 0},
            "misconceptions": {"type": "array", "items": MISCONCEPTION}}}

    def build(self, raw: dict, ctx: Any, path: list) -> Item:
        reference = raw.get("reference", f"{raw['module']}.{raw['name']}")
        cases: list[Case] = []
        raw_cases = [(c, hidden, i) for hidden in (False, True)
                     for i, c in enumerate(raw["cases"].get("hidden" if hidden else "public", []))]
        if not raw_cases:
            raise ctx.error(path + ["cases"], "at least one case is required")
        for case, listed_hidden, i in raw_cases:
            here = path + ["cases", "hidden" if listed_hidden else "public", i]
            hidden = listed_hidden or bool(raw.get("hidden"))  # a hidden item hides every case
            if any(c.name == case["name"] for c in cases):
                raise ctx.error(here + ["name"], f"duplicate case name {case['name']!r}")
            args = tuple(ctx.value(case.get("args", []), here + ["args"]))
            kwargs = ctx.value(case.get("kwargs", {}), here + ["kwargs"])
            if "expect" in case:
                expected = ctx.value(case["expect"], here + ["expect"])
            elif ctx.reference.folder is None and "reference" not in raw:
                raise ctx.error(here + ["expect"], "required (the rubric has no reference "
                                                   "solution to compute it)")
            else:
                expected = ctx.reference_function(reference, path + ["reference"])(args, kwargs)
            alternatives = [ctx.value(a, here + ["accept", j])
                            for j, a in enumerate(case.get("accept", []))]
            alternatives += [ctx.reference_function(d, path + ["accept_reference", j])(args, kwargs)
                             for j, d in enumerate(raw.get("accept_reference", []))]
            shown = {} if hidden else {"call": call_text(raw["name"], args, kwargs),
                                       "expected_text": short_repr(expected)}
            cases.append(Case(case["name"], hidden=hidden, weight=float(case.get("weight", 1.0)),
                              args=args, kwargs=kwargs, expected=expected,
                              alternatives=tuple(alternatives), hint=case.get("hint", ""),
                              wire_args=(wire.encode(list(args)), wire.encode(kwargs)),
                              **shown))
        misconceptions = []
        for i, (m, raw_m) in enumerate(zip(literal_misconceptions(raw, ctx, path),
                                           raw.get("misconceptions", []), strict=True)):
            here = path + ["misconceptions", i]
            per_case = {}
            if "reference" in raw_m:
                fn = ctx.reference_function(raw_m["reference"], here + ["reference"])
                per_case = {c.name: fn(c.args, c.kwargs) for c in cases}
            per_case |= _literal_per_case(raw_m.get("per_case", {}), cases, ctx, here)
            if per_case:
                m = Misconception(m.id, m.hint, m.answers, per_case, m.nonfinite)
            misconceptions.append(m)
        return Item(cases=tuple(cases), misconceptions=tuple(misconceptions),
                    all_or_nothing=bool(raw.get("all_or_nothing")),
                    **base_item(raw, ctx, path))

    def tasks(self, item: Item) -> list[Task]:
        return [Task(f"{item.id}#{i}", item.module, item.name, call=True, args=c.args,
                     kwargs=c.kwargs, timeout=item.timeout, group=item.id, wire_args=c.wire_args)
                for i, c in enumerate(item.cases)]

    def grade(self, item: Item, outcomes: Mapping[str, TaskOutcome],
              ctx: GradeContext) -> ItemResult:
        def equal(expected: Any, value: Any) -> bool:
            return compare(expected, value, item.tolerance) is None

        results, used = [], []
        for i, case in enumerate(item.cases):
            outcome = outcomes[f"{item.id}#{i}"]
            used.append(outcome)
            results.append(judge(
                case, outcome, expected_check(case, item.tolerance),
                lambda v, case=case: matching_misconception(item, case, v, equal)))
        return item_result(item, results, used)


def _literal_per_case(raw: dict, cases: list[Case], ctx: Any, path: list) -> dict[str, Any]:
    """Wrong answers written per case (as a public rubric holds them), checked against the
    item's case names."""
    names = {c.name for c in cases}
    for name in raw:
        if name not in names:
            raise ctx.error(path + ["per_case", name], f"no case named {name!r} in this item")
    return {name: ctx.value(value, path + ["per_case", name]) for name, value in raw.items()}


def call_text(name: str, args: tuple, kwargs: dict) -> str:
    parts = [short_repr(a, 120) for a in args]
    parts += [f"{k}={short_repr(v, 120)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"
