"""The grading pipeline as a library function, in named stages.

    rubric (loaded once) -> open the submission -> plan tasks -> run them in a
    worker (executor) -> grade every item in this process -> write reports

The CLI, the tests and other tools call ``grade_submission``; nothing here
prints or exits.
"""

from __future__ import annotations

import sys
import tempfile
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from grader.cache import scratch_root
from grader.checks import GradeContext, check_kinds
from grader.execution import Executor, Pace, SubprocessExecutor
from grader.models import Item, ItemResult, Rubric, SubmissionResult, Task, TaskOutcome
from grader.rubric import load_rubric
from grader.submission import Submission, open_submission

DEFAULT_FORMATS = ("html", "md", "json")


def grade_submission(path: str | Path, rubric: Rubric | str | Path, *,
                     executor: Executor | None = None,
                     context: GradeContext | None = None) -> SubmissionResult:
    """Grade one submission folder or zip. Raises SubmissionError if it cannot be opened."""
    rubric = rubric if isinstance(rubric, Rubric) else load_rubric(rubric)
    own_context = context is None
    context = context or GradeContext()
    try:
        with tempfile.TemporaryDirectory(prefix="grader-sub-", dir=scratch_root()) as scratch:
            submission = open_submission(Path(path), Path(scratch), modules=rubric.modules)
            return grade_opened(submission, rubric, executor or SubprocessExecutor(), context)
    finally:
        if own_context:
            context.close()


def grade_opened(submission: Submission, rubric: Rubric, executor: Executor,
                 context: GradeContext, pace: Pace | None = None) -> SubmissionResult:
    started = time.monotonic()
    kinds = check_kinds()
    for name in sorted({item.kind for item in rubric.items}):  # warm-ups, before the worker
        prepare = getattr(kinds[name], "prepare", None)
        if prepare is not None and context.first_time(f"prepare {name}"):
            prepare(context)
    tasks, item_tasks = _tasks(rubric, kinds)
    run = executor.run(submission.root, tasks, rubric.limits, pace)
    items = []
    for item in rubric.items:
        try:
            result = _grade_item(kinds[item.kind], item, item_tasks[item.id], run.outcomes,
                                 context)
        except Exception:  # the grader's bug, not the student's: say so, grade the rest
            print(f"grade: internal error grading {item.id} of {submission.name}:\n"
                  f"{traceback.format_exc()}", file=sys.stderr)
            result = ItemResult(item, error="the grader failed on this item (not your fault); "
                                            "the instructor has the details")
        line = run.lines.get((item.module, item.name))
        items.append(result if line is None else replace(result, line=line))
    return SubmissionResult(submission.name, rubric, tuple(items),
                            execution_time=round(time.monotonic() - started, 3),
                            warnings=tuple(submission.warnings) + tuple(run.warnings))


def _tasks(rubric: Rubric, kinds: dict) -> tuple[list[Task], dict[str, tuple[str, ...]]]:
    """Every task of the rubric, in order, and each item's task ids: the same objects for
    every submission of a batch, so the executor can build its plan once."""
    cached = _task_lists.get(id(rubric))
    if cached is None or cached[0] is not rubric:
        if len(_task_lists) > 64:
            _task_lists.clear()
        per_item = {item.id: kinds[item.kind].tasks(item) for item in rubric.items}
        cached = _task_lists[id(rubric)] = (
            rubric, [t for item in rubric.items for t in per_item[item.id]],
            {item_id: tuple(t.id for t in tasks) for item_id, tasks in per_item.items()})
    return cached[1], cached[2]


_task_lists: dict[int, tuple[Rubric, list[Task], dict]] = {}  # holding the rubric keeps its id


def _grade_item(kind: Any, item: Item, task_ids: tuple[str, ...],
                outcomes: Mapping[str, TaskOutcome], context: GradeContext) -> ItemResult:
    """The kind's grade, remembered for kinds whose result depends on nothing but the item
    and its outcomes (``pure = True``): the executor shares one outcome object among all
    submissions that sent the same reply, so the same objects mean the same result."""
    if not getattr(kind, "pure", False):
        return kind.grade(item, outcomes, context)
    mine = tuple(outcomes.get(t) for t in task_ids)
    key = (id(item), tuple(map(id, mine)))
    known = _graded.get(key)
    if known is not None and known[0] is item:  # pinned objects: equal ids, same objects
        return known[2]
    result = kind.grade(item, outcomes, context)
    if len(_graded) >= 20_000:
        _graded.clear()
    _graded[key] = (item, mine, result)  # holding them keeps their ids from being reused
    return result


_graded: dict[tuple, tuple[Item, tuple, ItemResult]] = {}


def write_reports(result: SubmissionResult, out_dir: Path,
                  formats: Sequence[str] = DEFAULT_FORMATS,
                  template_dirs: Sequence[Path] = ()) -> list[Path]:
    from grader.reports import formats as known_formats

    writers = known_formats()
    out_dir.mkdir(parents=True, exist_ok=True)
    return [writers[name](result, out_dir, template_dirs) for name in formats]
