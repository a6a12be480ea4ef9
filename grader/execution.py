"""Executors: run a submission's tasks in worker processes and collect plain outcomes.

``SubprocessExecutor`` starts one fresh worker process per submission (and a
fresh one again after a step times out or the worker dies, for the steps that
remain), so one student's code never shares a process with another's, nor with
the grader. New executors (a warm fork server, a container) plug in through
``executors()`` without touching the rest of the pipeline.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import select
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from grader import wire
from grader.cache import scratch_root
from grader.models import Limits, Status, Task, TaskOutcome
from grader.submission import copy_tree

GRACE = 1.0  # seconds the grader waits beyond the worker's own alarm before killing it
# A call's time limit is CPU time; one that waits instead (sleep, a blocking read) is stopped
# after WAIT_FACTOR times the limit in wall-clock time, room enough for a busy machine.
WAIT_FACTOR = 4.0
STARTUP = 10.0  # extra allowance for the first step of a worker: interpreter and numpy start-up
MAX_LINE = 96 * 2**20

# The worker is started with -I (no user site, no PYTHON* variables, no cwd on
# sys.path), so the grader's package folder is handed over explicitly.
_BOOT = "import sys; sys.path.append({path!r}); import grader.worker as w; w.{call}"

# Environment variables the worker keeps; everything else (tokens, keys) is dropped.
_KEEP_ENV = ("PATH", "LANG", "LC_ALL", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "SYSTEMROOT")


@dataclass(frozen=True)
class Run:
    """What an executor returns for one submission."""

    outcomes: dict[str, TaskOutcome]  # by task id; every task has one
    warnings: tuple[str, ...] = ()
    lines: dict[tuple[str, str], int] = field(default_factory=dict)  # (module, name) -> line


class Pace(Protocol):
    """How a batch shares the CPU: a submission waiting on a slow worker lends its slot."""

    def idle(self) -> AbstractContextManager[None]: ...


class Executor(Protocol):
    def run(self, root: Path, tasks: Sequence[Task], limits: Limits,
            pace: Pace | None = None) -> Run:
        """Run every task (each gets an outcome); safe to call from several threads."""

    def close(self) -> None:
        """Release whatever the executor keeps between submissions."""


@dataclass
class _Step:
    id: str
    op: str  # "import", "get" or "call"
    module: str
    timeout: float
    task: Task | None = None

    def as_json(self) -> dict:
        step = {"id": self.id, "op": self.op, "module": self.module, "timeout": self.timeout}
        if self.task is not None:
            step["name"], step["group"] = self.task.name, self.task.group
            if self.task.call:
                step["args"], step["kwargs"] = self.task.wire_args or (
                    wire.encode(list(self.task.args)), wire.encode(dict(self.task.kwargs)))
        return step


@dataclass(frozen=True)
class _Plan:
    """The steps for a list of tasks, and the same as JSON (steps and limits) with its hash:
    the same for every submission of a batch, so it is built once and a fork server
    receives it once."""

    steps: list[_Step]
    text: str
    id: str


def _plan(tasks: Sequence[Task], limits: Limits) -> _Plan:
    """Each module's import step, then its tasks, in the order the tasks came."""
    key = id(tasks)
    cached = _plans.get(key)
    if cached is not None and cached[0] is tasks and cached[1] == limits:
        return cached[2]
    steps: list[_Step] = []
    imported: set[str] = set()
    for task in tasks:
        if task.module not in imported:
            imported.add(task.module)
            steps.append(_Step(f"import:{task.module}", "import", task.module,
                               limits.import_timeout))
        steps.append(_Step(task.id, "call" if task.call else "get", task.module, task.timeout,
                           task))
    text = json.dumps({"steps": [s.as_json() for s in steps],
                       "limits": {"memory_mb": limits.memory_mb,
                                  "output_chars": limits.output_chars,
                                  "wait_factor": WAIT_FACTOR,
                                  "cpu_seconds": int(limits.submission_timeout) + 5}})
    plan = _Plan(steps, text, hashlib.sha256(text.encode()).hexdigest())
    if len(_plans) > 64:
        _plans.clear()
    _plans[key] = (tasks, limits, plan)  # holding ``tasks`` keeps its id from being reused
    return plan


_plans: dict[int, tuple[Sequence[Task], Limits, _Plan]] = {}


class SubprocessExecutor:
    """One fresh ``python -I`` worker process per submission: simple, and slow to start
    (interpreter and numpy, ~0.2 s). Best for grading one submission."""

    def run(self, root: Path, tasks: Sequence[Task], limits: Limits,
            pace: Pace | None = None) -> Run:
        return _run_all(root, tasks, limits, _launch_subprocess, pace)

    def close(self) -> None:
        pass


class ForkServerExecutor:
    """Warm fork servers fork one fresh child per submission.

    A server imports Python's start-up and numpy once and never runs student
    code; each child runs one submission's plan and dies, so no student's code
    shares a process with another's. A server serves one submission at a time:
    the executor keeps the idle ones and starts another only when all are busy
    (a batch's threads mostly take turns, so a lane needs one, and one more
    while a worker hangs). Best for batches.
    """

    def __init__(self) -> None:
        self._idle: list[_ForkServer] = []
        self._servers: list[_ForkServer] = []
        self._lock = threading.Lock()

    def run(self, root: Path, tasks: Sequence[Task], limits: Limits,
            pace: Pace | None = None) -> Run:
        server = self._take()
        try:
            return _run_all(root, tasks, limits, server.launch, pace)
        finally:
            with self._lock:
                if server in self._servers:  # not closed meanwhile
                    self._idle.append(server)

    def _take(self) -> _ForkServer:
        while True:
            with self._lock:
                if not self._idle:
                    server = _ForkServer()  # returns at once; the server imports meanwhile
                    self._servers.append(server)
                    return server
                server = self._idle.pop()  # the most recently used: warm
                if server.alive():
                    return server
                self._servers.remove(server)
            server.close()  # outside the lock: it may wait for the process to end

    def close(self) -> None:
        with self._lock:
            servers, self._servers, self._idle = self._servers, [], []
        for server in servers:
            server.close()


def _run_all(root: Path, tasks: Sequence[Task], limits: Limits, launch: _Launch,
             pace: Pace | None) -> Run:
    """Run every task, starting a fresh worker again after one hangs or dies."""
    outcomes: dict[str, TaskOutcome] = {}
    lines: dict[tuple[str, str], int] = {}
    warnings: tuple[str, ...] | None = None
    with tempfile.TemporaryDirectory(prefix="grader-", dir=scratch_root()) as base_dir:
        # control/ holds the grader's own files (plan, stderr); no worker can write there.
        # Each worker gets a fresh private folder with a fresh copy: whatever a worker that
        # hung or died left behind (symlinks, pipes, edited files) never reaches the next.
        control = Path(base_dir) / "control"
        control.mkdir(mode=0o700)
        deadline = time.monotonic() + limits.submission_timeout
        remaining = list(tasks)
        for attempt in itertools.count(1):
            if not remaining:
                break
            private = Path(base_dir) / f"worker{attempt}"
            private.mkdir(mode=0o700)
            copied = tuple(copy_tree(root, private / "submission"))
            warnings = copied if warnings is None else warnings
            _WorkerSession(private, control, limits, deadline, launch, pace).run(
                _plan(remaining if attempt > 1 else tasks, limits), outcomes, lines)
            shutil.rmtree(private, ignore_errors=True)  # its files count no longer
            remaining = [t for t in remaining if t.id not in outcomes]
    return Run(outcomes, warnings or (), lines)


class _Process(Protocol):
    """A started worker, however it was started."""

    read_fd: int  # the read end of its result channel

    def stop(self) -> None:
        """Kill its whole process group at once, without waiting for it."""

    def kill(self) -> int | None:
        """Kill its whole process group; return its exit code (negative: signal)."""


_Launch = Callable[[_Plan, Path, Path], _Process]  # (plan, private folder, control folder)


class _Popened:
    def __init__(self, proc: subprocess.Popen, read_fd: int):
        self.proc, self.read_fd = proc, read_fd

    def stop(self) -> None:
        _killpg(self.proc.pid)

    def kill(self) -> int | None:
        _killpg(self.proc.pid)
        return self.proc.wait()


def _launch_subprocess(plan: _Plan, private: Path, control: Path) -> _Process:
    read_fd, write_fd = os.pipe()
    with open(control / "stderr.txt", "wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-c", _BOOT.format(path=_grader_parent(), call="main()"),
             str(write_fd)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr,
            cwd=private / "submission",
            env=_worker_env(private), pass_fds=(write_fd,), start_new_session=True)
    os.close(write_fd)
    try:
        proc.stdin.write(json.dumps({**json.loads(plan.text), **_where(private)}).encode())
        proc.stdin.close()
    except BrokenPipeError:
        pass  # it died at once: the session sees end-of-stream and reports the crash
    return _Popened(proc, read_fd)


class _ForkServer:
    """The grader's end of one fork server (worker.serve) and its control socket."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with tempfile.TemporaryDirectory(prefix="grader-fs-") as home:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-c",
                 _BOOT.format(path=_grader_parent(), call=f"serve({theirs.fileno()})")],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, pass_fds=(theirs.fileno(),),
                env=_worker_env(Path(home)), start_new_session=True)
        theirs.close()
        self.control = ours
        self.desynced = False  # a child's exit message never came: its next reply would lie
        self.known: set[str] = set()  # ids of the plans this server already holds

    def alive(self) -> bool:
        return self.proc.poll() is None and not self.desynced

    def launch(self, plan: _Plan, private: Path, control: Path) -> _Process:
        request = {"plan_id": plan.id, **_where(private), "stderr": str(control / "stderr.txt"),
                   "cwd": str(private / "submission"), "env": _worker_env(private)}
        for _ in range(2):  # the server may have dropped the plan: then send it in full
            if plan.id not in self.known:
                (control / "plan.json").write_text(plan.text)
                request["plan"] = str(control / "plan.json")
                self.known.add(plan.id)
            self.control.send(json.dumps(request).encode())
            message, fds, _, _ = socket.recv_fds(self.control, 1 << 16, 1)
            reply = json.loads(message) if message else {}
            if not reply.get("missing_plan"):
                break
            self.known.discard(plan.id)
        if len(fds) != 1 or "pid" not in reply:
            raise RuntimeError("the fork server stopped answering")
        return _Forked(self, reply["pid"], fds[0])

    def close(self) -> None:
        self.control.close()  # the server sees end-of-stream and exits
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            _killpg(self.proc.pid)
            self.proc.wait()


class _Forked:
    """A child of the fork server; its exit status arrives on the control socket."""

    def __init__(self, server: _ForkServer, pid: int, read_fd: int):
        self.server, self.control, self.pid, self.read_fd = server, server.control, pid, read_fd
        self.exit_code: int | None = None
        self.ended = False

    def _collect(self, timeout: float) -> None:
        if self.ended:
            return
        if select.select([self.control], [], [], timeout)[0]:
            message = self.control.recv(1 << 16)
            self.exit_code = json.loads(message)["exit"] if message else None
            self.ended = True
        else:  # the thread's next submission gets a new fork server
            self.server.desynced = True

    def stop(self) -> None:
        if not self.ended:
            _killpg(self.pid)

    def kill(self) -> int | None:
        if not self.ended:
            _killpg(self.pid)
            self._collect(10.0)
        return self.exit_code


class _WorkerSession:
    """One worker process working through a plan until it finishes, hangs or dies."""

    def __init__(self, private: Path, control: Path, limits: Limits, deadline: float,
                 launch: _Launch, pace: Pace | None):
        self.private, self.control, self.limits, self.deadline = private, control, limits, deadline
        self.launch, self.pace = launch, pace

    def run(self, plan: _Plan, outcomes: dict[str, TaskOutcome],
            definitions: dict[tuple[str, str], int]) -> None:
        import_replies: dict[str, dict] = {}
        steps = plan.steps
        proc = self.launch(plan, self.private, self.control)
        lines = _LineReader(proc.read_fd, self.pace, self._over_disk_budget, proc.stop)
        checked = time.monotonic()
        try:
            for index, step in enumerate(steps):
                allowance = step.timeout * WAIT_FACTOR + GRACE + (STARTUP if index == 0 else 0.0)
                now = time.monotonic()
                wait_until = min(now + allowance, self.deadline)
                line = lines.next(wait_until)
                # Slow steps are watched while waiting; quick ones that keep writing files are
                # caught here, at most every 50 ms (a healthy submission finishes before).
                if line is not None and now - checked > 0.05:
                    checked = now
                    if self._over_disk_budget():
                        lines.stopped, line = True, None
                if line is None:
                    self._stopped(step, steps[index:], proc, import_replies, outcomes,
                                  hung=not lines.eof, disk=lines.stopped,
                                  over_budget=time.monotonic() >= self.deadline)
                    return
                if step.op == "import":
                    reply = _parse_reply(line, step.id)
                    import_replies[step.module] = reply
                    definitions.update(_definitions(step.module, reply))
                elif step.task is not None:
                    outcomes[step.id] = _remembered_outcome(
                        step.task, line, import_replies.get(step.module))
        finally:
            proc.kill()
            lines.close()

    def _over_disk_budget(self) -> bool:
        """Whether the worker's private folder holds more than the disk budget (the file-size
        limit caps each file, not their number)."""
        return _disk_usage(self.private, self.limits.disk_mb * 2**20) > self.limits.disk_mb * 2**20

    def _stopped(self, step: _Step, rest: list[_Step], proc: _Process, import_replies: dict,
                 outcomes: dict, hung: bool, over_budget: bool, disk: bool = False) -> None:
        """The worker hung or died at ``step``: record why, and skip what depends on it.

        ``hung``: no reply in time (else its channel closed: it died, or closed it)."""
        returncode = proc.kill()
        if over_budget:
            why = (Status.TIMEOUT, "time limit", "the submission ran out of its total time "
                   f"({self.limits.submission_timeout:g} s)")
            for s in rest:
                if s.task is not None:
                    outcomes[s.id] = TaskOutcome(s.id, Status.NOT_RUN if s is not step
                                                 else Status.TIMEOUT, error_type=why[1],
                                                 error_message=why[2])
            return
        if disk:
            status, kind = Status.CRASHED, "disk"
            message = (f"the worker process wrote more than {self.limits.disk_mb} MB of files, "
                       "the limit for a submission; it was stopped")
        elif hung:
            status, kind = Status.TIMEOUT, "timeout"
            message = (f"importing {step.module}.py took longer than "
                       f"{step.timeout * WAIT_FACTOR:g} s (an endless loop or a long "
                       "computation at module level?)" if step.op == "import" else
                       _timeout_message(step.timeout, "wall"))
        else:
            status, kind = Status.CRASHED, "crash"
            message = _death_message(returncode, self.control, self.private)
            if step.op == "import":
                message = f"while importing {step.module}.py, {message}"
        if step.task is not None:
            outcomes[step.id] = TaskOutcome(step.id, status, error_type=kind,
                                            error_message=message)
        # What depended on this step cannot be trusted to behave better: skip it.
        group = step.task.group if step.task is not None else None
        for s in rest[1:]:
            if s.task is None:
                continue
            if step.op == "import" and s.module == step.module:
                outcomes[s.id] = TaskOutcome(s.id, status, error_type=kind,
                                             error_message=message)
            elif group and s.task.group == group:
                outcomes[s.id] = TaskOutcome(
                    s.id, Status.NOT_RUN, error_type="skipped",
                    error_message=f"not run: an earlier case {'timed out' if hung else 'crashed'}")


def _remembered_outcome(task: Task, line: bytes, import_reply: dict | None) -> TaskOutcome:
    """The outcome of a reply line, decoded once per distinct line: in a class, most students
    send byte-for-byte the same reply for most steps. The shared outcome's arrays are made
    read-only, so no check can change what another submission will see."""
    if import_reply is not None and import_reply.get("status") != "ok":
        return _outcome(task, _parse_reply(line, task.id), import_reply)
    key = (id(task), line)
    known = _outcomes.get(key)
    if known is not None and known[0] is task:
        return known[1]
    outcome = _outcome(task, _parse_reply(line, task.id), import_reply)
    _read_only(outcome.value)
    if len(_outcomes) >= 20_000:
        _outcomes.clear()
    _outcomes[key] = (task, outcome)  # holding ``task`` keeps its id from being reused
    return outcome


_outcomes: dict[tuple[int, bytes], tuple[Task, TaskOutcome]] = {}


def _read_only(value: object) -> None:
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    elif isinstance(value, (list, tuple)):
        for v in value:
            _read_only(v)
    elif isinstance(value, dict):
        for v in value.values():
            _read_only(v)


def _outcome(task: Task, reply: dict, import_reply: dict | None) -> TaskOutcome:
    """Turn the worker's JSON reply into a trusted TaskOutcome."""
    if import_reply is not None and import_reply.get("status") != "ok":
        return _import_failure(task, import_reply)
    if reply.get("status") == "skipped":
        return TaskOutcome(task.id, Status.NOT_RUN, error_type="skipped",
                           error_message="not run: an earlier case timed out")
    status = {"ok": Status.PASSED, "error": Status.ERROR, "timeout": Status.TIMEOUT}.get(
        reply.get("status"), Status.CRASHED)
    value = None
    if status is Status.PASSED:
        try:
            value = wire.decode(reply.get("value"))
        except wire.WireError as e:
            status = Status.CRASHED
            reply = {"error_type": "bad reply",
                     "error_message": f"the worker sent malformed data ({e})"}
    if status is Status.TIMEOUT:
        reply = {**reply, "error_type": "timeout",
                 "error_message": _timeout_message(task.timeout, reply.get("clock"))}
    return TaskOutcome(task.id, status, value=value,
                       error_type=_text(reply.get("error_type"), 200),
                       error_message=_text(reply.get("error_message"), 2000),
                       traceback=_text(reply.get("traceback"), 6000),
                       output=_text(reply.get("output"), 20000))


def _timeout_message(timeout: float, clock: object) -> str:
    if clock == "cpu":
        return f"the call computed for {timeout:g} s of CPU time without finishing"
    return f"the call did not finish within {timeout * WAIT_FACTOR:g} s (waiting for something?)"


def _definitions(module: str, reply: dict) -> dict[tuple[str, str], int]:
    """Where the module's names are defined, as the worker read them from the compiled module:
    plain numbers, checked here (a wrong one only misplaces a CI annotation)."""
    if reply.get("status") != "ok":
        return {}
    try:
        lines = wire.decode(reply.get("value"))
    except wire.WireError:
        return {}
    if type(lines) is not dict:
        return {}
    return {(module, name): line for name, line in list(lines.items())[:1000]
            if type(name) is str and len(name) <= 200 and type(line) is int and 0 < line < 10**7}


def _import_failure(task: Task, reply: dict) -> TaskOutcome:
    """Every task of a module that did not import gets the import's own story."""
    module = f"{task.module}.py"
    if reply.get("status") == "timeout":
        return TaskOutcome(task.id, Status.TIMEOUT, error_type="import timeout",
                           error_message=f"importing {module} did not finish in time (an endless "
                                         "loop or a long computation at module level?)",
                           output=_text(reply.get("output"), 20000))
    kind, message = _text(reply.get("error_type"), 200), _text(reply.get("error_message"), 2000)
    if kind == "missing module":
        return TaskOutcome(task.id, Status.ERROR, error_type=kind, error_message=message)
    return TaskOutcome(task.id, Status.ERROR, error_type="import failed",
                       error_message=f"{module} could not be imported: {kind}: {message}",
                       traceback=_text(reply.get("traceback"), 6000),
                       output=_text(reply.get("output"), 20000))


def _text(value: object, cap: int) -> str:
    return value[:cap] if type(value) is str else ""


def _parse_reply(line: bytes, step_id: str) -> dict:
    try:
        reply = json.loads(line)
    except (ValueError, RecursionError):
        reply = None
    if type(reply) is not dict or reply.get("id") != step_id:
        return {"status": "crashed", "error_type": "bad reply",
                "error_message": "the worker's reply was garbled (did the code write to the "
                                 "grader's channel?)"}
    return reply


def _death_message(returncode: int | None, control: Path, private: Path) -> str:
    if returncode is not None and returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        what = {"SIGSEGV": "crashed with a segmentation fault",
                "SIGKILL": "was killed (out of memory or CPU time?)",
                "SIGXCPU": "ran out of CPU time", "SIGABRT": "aborted",
                "SIGXFSZ": "wrote a file larger than allowed"}.get(name, f"was killed by {name}")
    else:
        what = f"ended the process (exit code {returncode}, e.g. os._exit) before finishing"
    try:
        tail = _tail(control / "stderr.txt", 1500).decode("utf-8", "replace")
    except OSError:
        tail = ""
    tail = tail.replace(str(private / "submission") + "/", "").strip()
    return f"the worker process {what}" + (f"\n{tail}" if "Fatal Python error" in tail else "")


def _disk_usage(folder: Path, stop_above: int) -> int:
    """Bytes on disk under ``folder`` (without following links); stops counting past
    ``stop_above`` or after 20,000 entries (a flood of empty files counts as over)."""
    total, seen, stack = 0, 0, [str(folder)]
    while stack and total <= stop_above:
        try:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    seen += 1
                    if seen > 20_000:
                        return stop_above + 1
                    info = entry.stat(follow_symlinks=False)
                    total += info.st_blocks * 512
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
        except OSError:
            continue
    return total


def _tail(path: Path, size: int) -> bytes:
    """The last bytes of a file the worker wrote to (as its stderr), never blocking."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        length = os.fstat(fd).st_size
        os.lseek(fd, max(0, length - size), os.SEEK_SET)
        return os.read(fd, size)
    finally:
        os.close(fd)


def _killpg(pid: int) -> None:
    """Kill a worker's whole process group (it runs in its own session)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class _LineReader:
    """Reads newline-terminated lines from a pipe with a deadline (no threads)."""

    SLOW = 0.2  # seconds: a step not answered by then is waiting, not computing

    def __init__(self, fd: int, pace: Pace | None = None,
                 watch: Callable[[], bool] = lambda: False,
                 give_up: Callable[[], None] = lambda: None):
        self.fd, self.buffer, self.pace, self.watch = fd, bytearray(), pace, watch
        self.give_up = give_up  # called the moment waiting ends without data
        self.selector = selectors.DefaultSelector()
        self.selector.register(fd, selectors.EVENT_READ)
        self.eof = False
        self.stopped = False  # watch() asked to stop waiting

    def next(self, deadline: float) -> bytes | None:
        """The next line, or None on timeout or end of stream."""
        while True:
            end = self.buffer.find(b"\n")
            if end >= 0:
                line = bytes(self.buffer[:end])
                del self.buffer[:end + 1]
                return line
            if self.eof or len(self.buffer) > MAX_LINE:
                return None
            left = deadline - time.monotonic()
            if left <= 0 or not self._wait(left):
                return None
            chunk = os.read(self.fd, 1 << 20)
            if not chunk:
                self.eof = True
            self.buffer += chunk

    def _wait(self, seconds: float) -> bool:
        """Wait for data; a long wait lends the CPU slot and checks ``watch`` as it goes."""
        if self.selector.select(min(seconds, self.SLOW)):
            return True
        with self.pace.idle() if self.pace is not None else contextlib.nullcontext():
            end = time.monotonic() + seconds - self.SLOW
            while (left := end - time.monotonic()) > 0:
                if self.watch():
                    self.stopped = True
                    break
                if self.selector.select(min(left, self.SLOW)):
                    return True
            # Stop the worker now, not after waiting for a CPU slot to come back.
            self.give_up()
            return False

    def close(self) -> None:
        self.selector.close()
        os.close(self.fd)


def _where(private: Path) -> dict[str, str]:
    """The per-submission part of a plan: the copy of the submission, the writable folder."""
    return {"root": str(private / "submission"), "private": str(private)}


def _grader_parent() -> str:
    return str(Path(__file__).resolve().parent.parent)


def _worker_env(private: Path) -> dict[str, str]:
    env = {k: os.environ[k] for k in _KEEP_ENV if k in os.environ}
    env.setdefault("PATH", "/usr/bin:/bin")
    env.update(HOME=str(private), TMPDIR=str(private), PYTHONHASHSEED="0",
               OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return env


def executors() -> dict[str, type]:
    """Executor classes by name: the built-ins plus any registered under ``grader.executors``."""
    from grader.plugins import load

    return load("grader.executors", {"subprocess": SubprocessExecutor,
                                     "forkserver": ForkServerExecutor})
