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
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from grader.cache import scratch_root
from grader.checks import GradeContext, check_kinds
from grader.execution import Executor, Pace, SubprocessExecutor
from grader.models import ItemResult, Rubric, SubmissionResult, Task
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
        if prepare is not None:
            prepare(context)
    run = executor.run(submission.root, _tasks(rubric, kinds), rubric.limits, pace)
    items = []
    for item in rubric.items:
        try:
            result = kinds[item.kind].grade(item, run.outcomes, context)
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


def _tasks(rubric: Rubric, kinds: dict) -> list[Task]:
    """Every task of the rubric, in order: the same list object for every submission of a
    batch, so the executor can build its plan once."""
    cached = _task_lists.get(id(rubric))
    if cached is None or cached[0] is not rubric:
        if len(_task_lists) > 64:
            _task_lists.clear()
        cached = _task_lists[id(rubric)] = (
            rubric, [t for item in rubric.items for t in kinds[item.kind].tasks(item)])
    return cached[1]


_task_lists: dict[int, tuple[Rubric, list[Task]]] = {}  # holding the rubric keeps its id


def write_reports(result: SubmissionResult, out_dir: Path,
                  formats: Sequence[str] = DEFAULT_FORMATS,
                  template_dirs: Sequence[Path] = ()) -> list[Path]:
    from grader.reports import formats as known_formats

    writers = known_formats()
    out_dir.mkdir(parents=True, exist_ok=True)
    return [writers[name](result, out_dir, template_dirs) for name in formats]
