"""``manual``: points graded by hand. The student's answer (if the item names one) is
fetched so whoever grades sees it in the report and the manual-grades template."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from grader.checks import GradeContext, base_item, read_name
from grader.compare import short_repr
from grader.models import Item, ItemResult, Status, Task, TaskOutcome


class ManualCheck:
    pure = True  # grade() depends on the item and its outcomes only (see pipeline)
    schema = {"properties": {"rubric": {"type": "string",
                                        "description": "guidance for whoever grades by hand"}}}

    def build(self, raw: dict, ctx: Any, path: list) -> Item:
        return Item(options={"guidance": raw.get("rubric", "")}, **base_item(raw, ctx, path))

    def tasks(self, item: Item) -> list[Task]:
        return read_name(item) if item.module and item.name else []

    def grade(self, item: Item, outcomes: Mapping[str, TaskOutcome],
              ctx: GradeContext) -> ItemResult:
        outcome = outcomes.get(item.id)
        if outcome is None:
            return ItemResult(item)
        if outcome.status is Status.PASSED:
            value = outcome.value
            return ItemResult(item, answer=value if isinstance(value, str) else short_repr(value))
        return ItemResult(item, answer="", error=f"no answer found: {outcome.error_message}")
