"""Batch grading: a whole class in one command, in parallel, resumable.

The work is spread over ``--jobs`` grading lanes (forked copies of this
process, see lanes.py). Each submission is graded in a fresh worker (forked
from a warm fork server), its reports written atomically to ``OUT/<name>/``
and then its state file, last, so a state file means "done". Re-running the same command skips every
submission whose inputs (its files, the rubric, its hand grades, the grader
version, the formats) hash the same as last time; ``force`` re-grades all.
The gradebook and the class summary are rebuilt from the state files.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path

from grader import __version__
from grader.cache import scratch_root, write_atomic
from grader.checks import GradeContext
from grader.errors import SubmissionError, UsageError
from grader.execution import Executor, ForkServerExecutor
from grader.gradebook import (
    ManualGrades,
    Record,
    apply_manual_grades,
    gradebook_csv,
    gradebook_json,
    manual_template,
    read_manual_grades,
)
from grader.lanes import Job, run_lanes
from grader.models import ItemResult, Rubric, SubmissionResult
from grader.pipeline import DEFAULT_FORMATS, grade_opened, write_reports
from grader.reports import warm as warm_reports
from grader.submission import open_submission

STATE_FILE = ".grader-state.json"

Progress = Callable[[int, int, Record, bool], None]  # done, total, record, reused


class Slots:
    """At most ``size`` submissions computing at once (``--jobs``).

    A submission whose worker is stuck in a slow call (an endless loop until its
    timeout) lends its slot to another one meanwhile, so a few hanging students
    do not leave the cores idle.
    """

    def __init__(self, size: int):
        self.size = size
        self._free = threading.Semaphore(size)

    @contextmanager
    def busy(self) -> Iterator[None]:
        with self._free:
            yield

    @contextmanager
    def idle(self) -> Iterator[None]:
        self._free.release()
        try:
            yield
        finally:
            self._free.acquire()


@dataclass(frozen=True)
class BatchResult:
    records: list[Record]
    graded: int  # graded in this run
    reused: int  # already up to date
    out: Path
    elapsed: float


CLASS_FILES = frozenset({"gradebook.csv", "gradebook.json", "summary.html", "summary.md",
                         "manual_template.csv"})


def submission_name(path: Path) -> str:
    """The student's name: the folder's, or the zip's without .zip. A name that could
    escape the output folder or hide a class file ('..', '.x', 'summary.html') gets a '_'."""
    name = path.name[:-4] if path.suffix.lower() == ".zip" else path.name
    return f"_{name}" if not name or name.startswith(".") or name in CLASS_FILES else name


def grade_batch(sources: Sequence[Path], rubric: Rubric, out: Path, *,
                jobs: int | None = None, force: bool = False, manual: Path | None = None,
                formats: Sequence[str] = DEFAULT_FORMATS, template_dirs: Sequence[Path] = (),
                executor: Executor | None = None, context: GradeContext | None = None,
                progress: Progress | None = None,
                log: Callable[[str], None] = lambda line: print(line, file=sys.stderr)
                ) -> BatchResult:
    """Grade every source (folder or zip) into ``out``; see the module docstring."""
    started = time.monotonic()
    names = [submission_name(p) for p in sources]
    seen: dict[str, Path] = {}
    for name, path in zip(names, sources, strict=True):
        if name in seen:
            raise UsageError(f"two submissions would both be named {name!r}: "
                             f"{seen[name]} and {path}")
        seen[name] = path
    grades: ManualGrades = read_manual_grades(manual, rubric, names) if manual else {}
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / "manual_template.csv", manual_template(names, rubric, grades))
    recipe = json.dumps([__version__, rubric.fingerprint, list(formats),
                         [str(d) for d in template_dirs]])

    records: dict[str, Record] = {}
    todo: list[Job] = []
    for name, path in zip(names, sources, strict=True):
        key = _input_key(path, recipe, grades.get(name, {}))
        previous = None if force else _read_state(out / name, key)
        if previous is not None:
            records[name] = previous
            if progress:
                progress(len(records), len(sources), previous, True)
        else:
            todo.append((name, path, key))
    reused = len(records)

    own_executor, own_context = executor is None, context is None
    size = max(1, jobs or os.cpu_count() or 1)
    executor = executor or ForkServerExecutor()
    context = context or GradeContext()

    def grade(job: Job, job_context: GradeContext, job_log: Callable[[str], None],
              slots: Slots) -> Record:
        name, path, key = job
        return _grade_one(name, path, key, rubric, out, executor, job_context,
                          grades.get(name, {}), formats, template_dirs, job_log, slots)

    def finished(name: str, record: Record | None = None) -> None:
        record = record or _read_state(out / name, keys[name])
        if record is not None:
            records[name] = record
            if progress:
                progress(len(records), len(sources), record, False)

    keys = {name: key for name, _, key in todo}
    try:
        # Lanes fork a process that has threads' libraries loaded (numpy's BLAS): safe on
        # Linux; elsewhere (macOS frameworks) the batch stays in one process.
        lanes = min(size, len(todo) // 2) if sys.platform.startswith("linux") else 1
        if lanes > 1:
            # Each lane is a copy of this process with its own one-slot Slots: --jobs lanes,
            # one submission computing in each, the lane's other threads ready for hangs.
            lane_slots = Slots(1)
            warm_reports(template_dirs)  # compiled once, here: every lane inherits them
            todo = run_lanes(todo, lanes,
                             lambda job, c, lg: grade(job, c, lg, lane_slots),
                             context, finished, log, close=executor.close)
            todo = [job for job in todo if job[0] not in records]
        slots = Slots(size)
        # More threads than slots: the extra ones run only while others wait on slow workers.
        with ThreadPoolExecutor(max_workers=4 * slots.size, thread_name_prefix="grade") as pool:
            pending: dict[Future, str] = {}
            queue = iter(todo)
            try:
                # Keep only a few submissions in flight: Ctrl-C then stops promptly.
                for job in queue:
                    pending[pool.submit(grade, job, context, log, slots)] = job[0]
                    if len(pending) >= 8 * slots.size:
                        _collect(pending, finished)
                while pending:
                    _collect(pending, finished)
            except BaseException:
                for future in pending:
                    future.cancel()
                raise
    finally:
        if own_context:
            context.close()
        if own_executor:
            executor.close()
        for name, key in keys.items():  # after Ctrl-C: whatever a lane finished unannounced
            if name not in records and (record := _read_state(out / name, key)) is not None:
                records[name] = record
        try:  # even after Ctrl-C: the gradebook reflects everything graded so far
            write_class_files(out, rubric, list(records.values()))
        except Exception:  # a broken custom template must not lose the graded batch
            log(f"grade: could not write the class files:\n{traceback.format_exc()}")
    return BatchResult(sorted(records.values(), key=lambda r: r.name), len(records) - reused,
                       reused, out, round(time.monotonic() - started, 3))


def _collect(pending: dict[Future, str], finished: Callable[[str, Record], None]) -> None:
    done, _ = wait(pending, return_when=FIRST_COMPLETED)
    for future in done:
        finished(pending.pop(future), future.result())


def _grade_one(name: str, path: Path, key: str, rubric: Rubric, out: Path, executor: Executor,
               context: GradeContext, grades: dict, formats: Sequence[str],
               template_dirs: Sequence[Path], log: Callable[[str], None],
               slots: Slots | None = None) -> Record:
    with slots.busy() if slots else nullcontext():
        return _grade_in_slot(name, path, key, rubric, out, executor, context, grades, formats,
                              template_dirs, log, slots)


def _grade_in_slot(name: str, path: Path, key: str, rubric: Rubric, out: Path,
                   executor: Executor, context: GradeContext, grades: dict,
                   formats: Sequence[str], template_dirs: Sequence[Path],
                   log: Callable[[str], None], slots: Slots | None) -> Record:
    try:
        with tempfile.TemporaryDirectory(prefix="grader-sub-", dir=scratch_root()) as scratch:
            submission = open_submission(path, Path(scratch), modules=rubric.modules)
            result = grade_opened(submission, rubric, executor, context, slots)
    except SubmissionError as e:
        result = failed_result(name, rubric, e.problem)
    except Exception as e:  # a bug in the grader, not the student's fault: say so, go on
        log(f"grade: internal error while grading {name}:\n{traceback.format_exc()}")
        result = failed_result(name, rubric, "the grader failed on this submission "
                               f"({type(e).__name__}); the instructor has the details")
    result = apply_manual_grades(replace(result, name=name), grades)
    folder = out / name
    write_reports(result, folder, formats, template_dirs)
    record = Record.of(result)
    write_atomic(folder / STATE_FILE, json.dumps({"key": key, "record": record.to_json()}))
    return record


def failed_result(name: str, rubric: Rubric, problem: str) -> SubmissionResult:
    """A submission that could not be graded at all still gets a report saying why."""
    return SubmissionResult(name, rubric, tuple(ItemResult(item) for item in rubric.items),
                            error=problem)


def write_class_files(out: Path, rubric: Rubric, records: list[Record]) -> None:
    from grader.reports.summary import write_summary

    write_atomic(out / "gradebook.csv", gradebook_csv(records, rubric))
    write_atomic(out / "gradebook.json", gradebook_json(records, rubric))
    write_summary(out, rubric, records)


def _input_key(path: Path, recipe: str, grades: dict) -> str:
    """A content hash of everything that decides this submission's result."""
    digest = hashlib.sha256(recipe.encode())
    digest.update(json.dumps(sorted(grades.items())).encode())
    try:
        if path.is_dir():
            for relative, file in _files(str(path)):
                digest.update(relative.encode() + b"\0")
                with open(file, "rb") as f:
                    digest.update(f.read())
        elif path.is_file():
            digest.update(path.read_bytes())
    except OSError:
        pass  # unreadable: the key still changes with the rest, and grading reports why
    return digest.hexdigest()


def _files(root: str, prefix: str = "") -> list[tuple[str, str]]:
    """Regular files under ``root`` (relative path, full path), sorted, not following links
    and skipping __pycache__: os.scandir, several times faster than Path.rglob here."""
    found: list[tuple[str, str]] = []
    with os.scandir(root) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.is_symlink():
                continue
            relative = prefix + entry.name
            if entry.is_dir():
                if entry.name != "__pycache__":
                    found += _files(entry.path, relative + "/")
            elif entry.is_file():
                found.append((relative, entry.path))
    return found


def _read_state(folder: Path, key: str) -> Record | None:
    try:
        state = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
        return Record.from_json(state["record"]) if state.get("key") == key else None
    except (OSError, ValueError, KeyError, TypeError):
        return None
