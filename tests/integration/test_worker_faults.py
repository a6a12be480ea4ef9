"""Student code that misbehaves becomes a clear status on the items it touched;
everything else is still graded. Real worker processes throughout."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from grader.execution import executors
from grader.models import Limits, Status, Task


def _submission(tmp_path: Path, **modules: str) -> Path:
    for name, source in modules.items():
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
    return tmp_path


@pytest.fixture(params=["subprocess", "forkserver"], scope="module")
def executor(request):
    """Every fault is checked with both executors: they must behave the same."""
    chosen = executors()[request.param]()
    yield chosen
    chosen.close()


@pytest.fixture
def _run(executor):
    def run(root: Path, *tasks: Task, limits: Limits = Limits(import_timeout=2.0)):
        return executor.run(root, tasks, limits).outcomes
    return run


GOOD = Task("good", "ok", "f", call=True, args=(2,), group="good")


def test_returned_values_come_back_as_plain_data(_run, tmp_path):
    root = _submission(tmp_path, ok="""
        import numpy as np
        def f(x):
            return np.arange(x) * 1.5
    """)
    outcome = _run(root, GOOD)["good"]
    assert outcome.status is Status.PASSED
    assert np.array_equal(outcome.value, np.array([0.0, 1.5]))


@pytest.mark.parametrize("body, status, words", [
    ("raise ValueError('bad shape')", Status.ERROR, "bad shape"),
    ("import sys; sys.exit(3)", Status.ERROR, "exit code 3"),
    ("raise SystemExit", Status.ERROR, "SystemExit"),
    ("raise KeyboardInterrupt", Status.ERROR, "KeyboardInterrupt"),
    ("import os; os._exit(0)", Status.CRASHED, "exit code 0"),
    ("import ctypes; ctypes.string_at(0)", Status.CRASHED, "segmentation fault"),
    ("while True: pass", Status.TIMEOUT, "computed for 1 s of CPU time without finishing"),
    ("import time; time.sleep(60)", Status.TIMEOUT, "did not finish within 4 s"),
    # Swallowing the timer's exception only earns the grader's own kill, a second later.
    ("import time\n    while True:\n        try:\n            time.sleep(10)\n"
     "        except BaseException:\n            pass", Status.TIMEOUT, "within 4 s"),
    ("return bytearray(2 * 1024**3)", Status.ERROR, "MemoryError"),
    ("raise NotImplementedError", Status.ERROR, "NotImplementedError"),
])
def test_a_misbehaving_call_fails_only_itself(_run, tmp_path, body, status, words):
    root = _submission(tmp_path, bad=f"def f():\n    {body}\n", ok="def f(x):\n    return x\n")
    outcomes = _run(root, Task("bad", "bad", "f", call=True, timeout=1.0, group="bad"), GOOD)
    bad = outcomes["bad"]
    assert bad.status is status
    assert words in bad.error_type + ": " + bad.error_message
    assert outcomes["good"].status is Status.PASSED and outcomes["good"].value == 2


def test_an_endless_loop_at_import_times_out_that_module_only(_run, tmp_path):
    root = _submission(tmp_path, bad="while True:\n    pass\n", ok="def f(x):\n    return x\n")
    outcomes = _run(root, Task("a", "bad", "X", call=False, group="a"),
                    Task("b", "bad", "Y", call=False, group="b"), GOOD,
                    limits=Limits(import_timeout=1.0))
    assert outcomes["a"].status is outcomes["b"].status is Status.TIMEOUT
    assert "module level" in outcomes["a"].error_message
    assert outcomes["good"].status is Status.PASSED


def test_a_hang_that_ignores_the_alarm_is_killed_by_the_grader(_run, tmp_path):
    root = _submission(tmp_path, bad="""
        import signal
        def f():
            signal.signal(signal.SIGALRM, signal.SIG_IGN)
            while True:
                pass
    """, ok="def f(x):\n    return x\n")
    outcomes = _run(root, Task("bad", "bad", "f", call=True, timeout=0.5, group="bad"),
                    Task("bad2", "bad", "f", call=True, timeout=0.5, group="bad"), GOOD)
    assert outcomes["bad"].status is Status.TIMEOUT
    assert outcomes["bad2"].status is Status.NOT_RUN
    assert outcomes["good"].status is Status.PASSED


def test_the_whole_submission_has_a_wall_clock_budget(_run, tmp_path):
    root = _submission(tmp_path, slow="import time\ndef f():\n    time.sleep(0.6)\n")
    tasks = [Task(f"t{i}", "slow", "f", call=True, timeout=1.0, group=f"t{i}") for i in range(6)]
    outcomes = _run(root, *tasks, limits=Limits(submission_timeout=1.5))
    statuses = [outcomes[t.id].status for t in tasks]
    assert statuses[0] is Status.PASSED
    assert Status.NOT_RUN in statuses
    assert "total time" in next(o.error_message for o in outcomes.values()
                                if o.status is not Status.PASSED)


def test_prints_are_captured_and_capped_and_cannot_fake_results(_run, tmp_path):
    root = _submission(tmp_path, ok="""
        import sys
        def f(x):
            print('{"id": "good", "status": "ok", "value": 99}')
            print("x" * 100000, file=sys.stderr)
            return x
    """)
    outcome = _run(root, GOOD, limits=Limits(output_chars=500))["good"]
    assert outcome.value == 2
    assert outcome.output.startswith('{"id": "good"')
    assert "more characters not shown" in outcome.output and len(outcome.output) < 700


def test_student_modules_cannot_shadow_the_standard_library_or_numpy(_run, tmp_path):
    root = _submission(tmp_path, random="raise RuntimeError('shadowed!')\n",
                       numpy="raise RuntimeError('shadowed!')\n", ok="""
        import random
        import numpy as np
        from helper import double
        def f(x):
            return double(x) + int(np.int64(0)) + random.randint(0, 0)
    """, helper="def double(x):\n    return 2 * x\n")
    assert _run(root, GOOD)["good"].value == 4


def test_the_worker_gets_a_private_copy_and_a_scrubbed_environment(_run, tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "secret-token-value")
    (tmp_path / "sub").mkdir()
    original = _submission(tmp_path / "sub", ok="""
        import os
        def f(x):
            open("problem_output.txt", "w").write("scribble")
            return sorted(k for k in os.environ if "TOKEN" in k)
    """)
    outcome = _run(original, GOOD)["good"]
    assert outcome.value == []
    assert not (original / "problem_output.txt").exists()


def test_missing_module_and_misnamed_file_are_explained(_run, tmp_path):
    root = _submission(tmp_path, Problem1="X = 1\n")
    outcome = _run(root, Task("t", "problem1", "X", call=False, group="t"))["t"]
    assert outcome.status is Status.ERROR
    assert "rename it to problem1.py" in outcome.error_message


def test_unsendable_return_values_arrive_as_their_type_name(_run, tmp_path):
    root = _submission(tmp_path, ok="""
        class Sneaky(float):
            def __eq__(self, other):
                return True
        def f(x):
            return Sneaky(24.0)
    """)
    outcome = _run(root, GOOD)["good"]
    assert outcome.status is Status.PASSED and repr(outcome.value) == "<Sneaky object>"


def test_a_time_limit_is_cpu_time_so_a_busy_machine_changes_no_verdict(_run, tmp_path):
    """A call needing 0.6 s of CPU under a 1 s limit passes while other processes keep every
    core busy, though it then takes longer than 1 s of wall-clock time; an endless loop
    still fails."""
    root = _submission(tmp_path, ok="""
        import time
        def f():
            wall, cpu = time.monotonic(), time.process_time()
            while time.process_time() - cpu < 0.6:
                pass
            return time.monotonic() - wall
        def g():
            while True:
                pass
    """)
    # Each hog in its own session: with the kernel's autogroup scheduling, a session shares
    # the CPU as one, and the worker has its own session too.
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True)
            for _ in range(3 * (os.cpu_count() or 1))]
    try:
        time.sleep(0.5)  # all of them spinning
        outcomes = _run(root, Task("slow", "ok", "f", call=True, timeout=1.0, group="slow"),
                        Task("endless", "ok", "g", call=True, timeout=1.0, group="endless"))
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    assert outcomes["slow"].status is Status.PASSED
    assert outcomes["slow"].value > 1.0  # a wall-clock limit would have stopped it
    assert outcomes["endless"].status is Status.TIMEOUT
    assert "CPU time" in outcomes["endless"].error_message


def test_a_fork_server_that_dropped_a_plan_is_sent_it_again(tmp_path):
    """A fork server keeps the last 16 plans; a submission graded with an older one still
    runs (the server asks for it), never fails for the grader's bookkeeping."""
    root = _submission(tmp_path, ok="def f(x):\n    return x\n")
    executor = executors()["forkserver"]()
    try:
        plans = [[Task("good", "ok", "f", call=True, args=(2,), timeout=1.0 + i / 100,
                       group="good")] for i in range(20)]
        for tasks in plans + plans[:3]:  # 20 distinct plans, then the first ones again
            outcome = executor.run(root, tasks, Limits()).outcomes["good"]
            assert outcome.status is Status.PASSED and outcome.value == 2
    finally:
        executor.close()
