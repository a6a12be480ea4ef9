"""``expression``: a formula the student writes as a string, checked for algebraic
equivalence (``"w*(1 - eta*lam) - eta*dJ"`` equals ``"w - eta*(dJ + lam*w)"``).

The student's string is parsed by our whitelisting parser (formula.py) in the
grader; sympy only ever sees the parsed tree, in a separate grader-owned
process with a time limit (algebra.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from grader import formula
from grader.algebra import AlgebraError, AlgebraService
from grader.checks import GradeContext, base_item, item_result, judge, read_name
from grader.compare import Mismatch, describe_type
from grader.models import Case, Item, ItemResult, Misconception, Task, TaskOutcome
from grader.rubric import MISCONCEPTION


class ExpressionCheck:
    schema = {
        "required": ["module", "name", "expect", "symbols"],
        "properties": {
            "expect": {"type": "string", "description": "the expected formula"},
            "symbols": {"type": "object", "minProperties": 1,
                        "additionalProperties": {"type": "array", "items": {"type": "string"}},
                        "description": "canonical symbol name -> accepted aliases"},
            "lhs": {"type": "array", "items": {"type": "string"},
                    "description": "accepted left-hand sides, e.g. w_new (for 'w_new = ...')"},
            "max_length": {"type": "integer", "minimum": 1},
            "timeout": {"type": "number", "exclusiveMinimum": 0},
            "misconceptions": {"type": "array", "items": MISCONCEPTION}}}

    def build(self, raw: dict, ctx: Any, path: list) -> Item:
        symbols = {k: list(v) for k, v in raw["symbols"].items()}
        options = {"symbols": symbols, "lhs": list(raw.get("lhs", [])),
                   "max_length": int(raw.get("max_length", 300))}

        def parse(text: Any, where: list) -> list:
            if not isinstance(text, str):
                raise ctx.error(where, "must be a formula string")
            try:
                return formula.parse(text, symbols, lhs=options["lhs"])
            except formula.FormulaError as e:
                raise ctx.error(where, f"invalid formula: {e}") from None

        expected = parse(raw["expect"], path + ["expect"])
        misconceptions = []
        for i, m in enumerate(raw.get("misconceptions", [])):
            here = path + ["misconceptions", i]
            answers = ([m["when"]] if "when" in m else []) + list(m.get("when_any", []))
            if not answers:
                raise ctx.error(here, "an expression misconception needs 'when' or 'when_any'")
            misconceptions.append(Misconception(
                m["id"], m["hint"], tuple(parse(a, here + ["when"]) for a in answers)))
        hidden = bool(raw.get("hidden"))
        case = Case(raw["name"], hidden=hidden, expected=expected,
                    call="" if hidden else raw["name"],
                    expected_text="" if hidden else formula.to_text(expected))
        return Item(cases=(case,), misconceptions=tuple(misconceptions), options=options,
                    **base_item(raw, ctx, path))

    def prepare(self, ctx: GradeContext) -> None:
        """Start the algebra process now: sympy imports while the rest runs."""
        ctx.service("algebra", AlgebraService).start()

    def tasks(self, item: Item) -> list[Task]:
        return read_name(item)

    def grade(self, item: Item, outcomes: Mapping[str, TaskOutcome],
              ctx: GradeContext) -> ItemResult:
        outcome, case = outcomes[item.id], item.cases[0]
        verdicts: dict[str, bool] = {}

        def check(value: Any) -> Mismatch | None:
            if not isinstance(value, str):
                return Mismatch("wrong type", f"expected a formula string, got "
                                              f"{describe_type(value)}")
            try:
                node = formula.parse(value, item.options["symbols"], lhs=item.options["lhs"],
                                     max_length=item.options["max_length"])
            except formula.FormulaError as e:
                return Mismatch("not a valid formula", f"not a valid formula: {e}")
            targets = {"expected": case.expected}
            targets |= {f"{m.id}\0{k}": a for m in item.misconceptions
                        for k, a in enumerate(m.answers)}
            try:
                verdicts.update(ctx.service("algebra", AlgebraService).check(node, targets))
            except AlgebraError as e:
                return Mismatch("could not be checked", str(e))
            if verdicts["expected"]:
                return None
            return Mismatch("not equivalent", "not equivalent to the expected formula")

        def misconception(value: Any) -> Misconception | None:
            return next((m for m in item.misconceptions
                         if any(verdicts.get(f"{m.id}\0{k}") for k in range(len(m.answers)))),
                        None)

        result = judge(case, outcome, check, misconception)
        if result.actual and isinstance(outcome.value, str):  # the formula itself, not its repr
            result = replace(result, actual=outcome.value[:300])
        return item_result(item, [result], [outcome])
