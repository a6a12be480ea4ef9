"""``value``: a module-level constant (number, string, bool, list, array) checked once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from grader.checks import (
    GradeContext,
    base_item,
    expected_check,
    item_result,
    judge,
    literal_misconceptions,
    matching_misconception,
    read_name,
)
from grader.compare import compare, short_repr
from grader.models import Case, Item, ItemResult, Task, TaskOutcome
from grader.rubric import MISCONCEPTION, TOLERANCE

NORMALIZE = ["strip", "casefold", "collapse_space", "strip_quotes"]


class ValueCheck:
    pure = True  # grade() depends on the item and its outcomes only (see pipeline)
    schema = {
        "required": ["module", "name"],
        "properties": {
            "expect": {"description": "the answer; omit to read it from the reference"},
            "accept": {"type": "array", "description": "other accepted answers"},
            "normalize": {"type": "array", "items": {"enum": NORMALIZE},
                          "description": "how strings are normalised before comparing"},
            "tolerance": TOLERANCE,
            "timeout": {"type": "number", "exclusiveMinimum": 0},
            "misconceptions": {"type": "array", "items": MISCONCEPTION}}}

    def build(self, raw: dict, ctx: Any, path: list) -> Item:
        if "expect" in raw:
            expected = ctx.value(raw["expect"], path + ["expect"])
        else:
            expected = ctx.reference_value(f"{raw['module']}.{raw['name']}", path + ["expect"])
        accept = tuple(ctx.value(a, path + ["accept", i])
                       for i, a in enumerate(raw.get("accept", [])))
        hidden = bool(raw.get("hidden"))
        case = Case(raw["name"], hidden=hidden, expected=expected, alternatives=accept,
                    call="" if hidden else raw["name"],
                    expected_text="" if hidden else short_repr(expected))
        normalize = tuple(raw.get("normalize", ["strip", "casefold", "collapse_space"]))
        return Item(cases=(case,), misconceptions=literal_misconceptions(raw, ctx, path),
                    options={"normalize": normalize}, **base_item(raw, ctx, path))

    def tasks(self, item: Item) -> list[Task]:
        return read_name(item)

    def grade(self, item: Item, outcomes: Mapping[str, TaskOutcome],
              ctx: GradeContext) -> ItemResult:
        outcome, case = outcomes[item.id], item.cases[0]
        normalize = item.options["normalize"]

        def equal(expected: Any, value: Any) -> bool:
            return compare(expected, value, item.tolerance, normalize) is None

        result = judge(case, outcome, expected_check(case, item.tolerance, normalize),
                       lambda v: matching_misconception(item, case, v, equal))
        return item_result(item, [result], [outcome])
