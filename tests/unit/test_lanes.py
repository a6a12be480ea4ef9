"""Grading lanes: work handed out once each, services answered by the main process, logs
forwarded, and a lane that dies losing only what it held."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grader.checks import GradeContext
from grader.lanes import run_lanes


class Tally:
    """A service living in the main process: lanes reach it only through their channel."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def add(self, name: str) -> int:
        self.seen.append(name)
        return len(name)

    def refuse(self, name: str) -> None:
        raise ValueError(f"no {name}")


def _jobs(tmp_path: Path, count: int) -> list[tuple[str, Path, str]]:
    return [(f"s{i:03d}", tmp_path / f"s{i:03d}", f"key{i}") for i in range(count)]


def test_every_job_is_graded_once_and_services_run_in_the_main_process(tmp_path):
    marks = tmp_path / "marks"
    marks.mkdir()

    def grade(job, context, log):
        name, path, key = job
        length = context.service("tally", Tally).add(name)
        try:
            context.service("tally", Tally).refuse(name)
        except ValueError as e:  # the service's exception, raised again in the lane
            refused = str(e)
        # O_EXCL: a job graded twice would fail here and never be marked done
        with open(marks / name, "x") as f:
            f.write(f"{os.getpid()} {key} {length} {refused}")
        log(f"graded {name}")

    done: list[str] = []
    logged: list[str] = []
    with GradeContext() as context:
        left = run_lanes(_jobs(tmp_path, 40), 2, grade, context, done.append, logged.append)
        tally = context.service("tally", Tally)
    assert left == []
    assert sorted(done) == [f"s{i:03d}" for i in range(40)]
    assert sorted(tally.seen) == sorted(done)  # the main process's own Tally saw every call
    assert sorted(logged) == [f"graded {name}" for name in sorted(done)]
    lines = {p.name: p.read_text().split(" ", 3) for p in marks.iterdir()}
    assert {name: (key, length, refused) for name, (_, key, length, refused) in lines.items()} \
        == {f"s{i:03d}": (f"key{i}", "4", f"no s{i:03d}") for i in range(40)}
    pids = {pid for pid, *_ in lines.values()}
    assert os.getpid() not in pids and len(pids) == 2  # both lanes worked, neither is us


def test_a_lane_that_dies_loses_only_what_it_held(tmp_path):
    def grade(job, context, log):
        if job[0] == "s007":
            os._exit(3)  # a grader bug that kills its lane outright

    done: list[str] = []
    with GradeContext() as context:
        left = run_lanes(_jobs(tmp_path, 30), 2, grade, context, done.append, lambda line: None)
    left_names = [name for name, _, _ in left]
    assert "s007" in left_names
    assert sorted(done + left_names) == [f"s{i:03d}" for i in range(30)]
    assert not set(done) & set(left_names)


def test_an_unknown_service_factory_is_an_error_in_the_lane(tmp_path):
    errors = tmp_path / "errors"
    errors.mkdir()

    def grade(job, context, log):
        try:
            context.service("nowhere", lambda: None).anything()
        except Exception as e:  # noqa: BLE001  whatever resolving the factory raised
            (errors / job[0]).write_text(f"{type(e).__name__}: {e}")

    with GradeContext() as context:
        assert run_lanes(_jobs(tmp_path, 4), 2, grade, context, lambda name: None,
                         lambda line: None) == []
        assert "nowhere" not in context._services  # the main process made no such service
    assert sorted(p.name for p in errors.iterdir()) == ["s000", "s001", "s002", "s003"]
    assert all("lambda" in p.read_text() for p in errors.iterdir())


def test_a_job_that_raises_in_a_lane_is_handed_back(tmp_path):
    def grade(job, context, log):
        if job[0] in ("s001", "s004"):
            raise OSError("disk full")

    done: list[str] = []
    with GradeContext() as context:
        left = run_lanes(_jobs(tmp_path, 6), 2, grade, context, done.append, lambda line: None)
    assert sorted(name for name, _, _ in left) == ["s001", "s004"]
    assert sorted(done) == ["s000", "s002", "s003", "s005"]


@pytest.mark.parametrize("lanes", [1, 3])
def test_more_lanes_than_jobs_or_one_lane(tmp_path, lanes):
    done: list[str] = []
    with GradeContext() as context:
        assert run_lanes(_jobs(tmp_path, 2), lanes, lambda job, c, lg: None, context,
                         done.append, lambda line: None) == []
    assert sorted(done) == ["s000", "s001"]


def test_the_main_process_runs_only_public_methods_of_a_service():
    from grader.lanes import _serve_call

    with GradeContext() as context:
        tally = context.service("tally", Tally)
        factory = f"{Tally.__module__}:Tally"
        ok = _serve_call(context, {"call": 1, "service": "tally", "factory": factory,
                                   "method": "add", "args": ["ada"]})
        private = _serve_call(context, {"call": 2, "service": "tally", "factory": factory,
                                        "method": "__init__", "args": []})
    assert ok == {"reply": 1, "value": 3}
    assert private["reply"] == 2 and private["error"] == "builtins:AttributeError"
    assert tally.seen == ["ada"]
