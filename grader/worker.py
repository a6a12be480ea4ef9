"""The worker: the only place student code runs.

The executor starts it as a separate process (``python -I``, a private working
folder, a scrubbed environment). It reads its plan (JSON) from stdin, applies
resource limits, imports the student's modules and runs each step, writing one
JSON line per step to a dedicated pipe (``result_fd``) that ``print`` cannot
reach: the student's stdout/stderr are captured per step instead.

This module is not a security boundary by itself: everything in this process
can be changed by the student's code. The boundary is the process, confined by
sandbox.py before student code runs: the grader trusts nothing it receives
beyond plain data (wire.py) and compares every value itself.
"""

from __future__ import annotations

import dis
import faulthandler
import importlib.machinery
import importlib.util
import io
import json
import os
import signal
import sys
import traceback
from pathlib import Path
from typing import Any

import numpy  # noqa: F401  imported before student code so a stray numpy.py cannot shadow it

from grader import sandbox, wire


class CallTimeout(BaseException):
    """Raised by a timer inside a student call (BaseException: harder to swallow); ``clock``
    says which: "cpu" (it computed too long) or "wall" (it waited too long)."""

    def __init__(self, clock: str):
        super().__init__(clock)
        self.clock = clock


class CappedWriter(io.TextIOBase):
    """A text stream keeping the first ``cap`` characters and counting the rest."""

    def __init__(self, cap: int):
        self.cap, self.parts, self.kept, self.dropped = cap, [], 0, 0

    def writable(self) -> bool:
        return True

    def write(self, s: Any) -> int:
        s = s if type(s) is str else str(s)
        room = self.cap - self.kept
        if room > 0:
            self.parts.append(s[:room])
            self.kept += min(room, len(s))
        self.dropped += max(0, len(s) - max(room, 0))
        return len(s)

    def text(self) -> str:
        more = f"\n... ({self.dropped} more characters not shown)" if self.dropped else ""
        return "".join(self.parts) + more


class Worker:
    def __init__(self, root: Path, result_fd: int, output_chars: int, wait_factor: float = 1.0):
        self.root, self.result_fd, self.output_chars = root, result_fd, output_chars
        self.wait_factor = wait_factor
        self.modules: dict[str, Any] = {}
        self.broken: dict[str, str] = {}

    # -- plumbing --

    def send(self, message: dict) -> None:
        data = (json.dumps(message, separators=(",", ":")) + "\n").encode()
        view = memoryview(data)
        while view:
            view = view[os.write(self.result_fd, view):]

    def trimmed_traceback(self, exc: BaseException) -> str:
        """The traceback restricted to the student's own files, paths made relative."""
        frames = [f for f in traceback.extract_tb(exc.__traceback__)
                  if Path(f.filename).is_relative_to(self.root)]
        for f in frames:
            f.filename = str(Path(f.filename).relative_to(self.root))
        text = "".join(traceback.format_list(frames))
        text += "".join(traceback.format_exception_only(type(exc), exc))
        return text.replace(str(self.root) + os.sep, "")  # no private paths in reports

    def run_step(self, step: dict) -> dict:
        out = CappedWriter(self.output_chars)
        saved = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = out
        # CPU time decides, so a call gets the same verdict however busy the machine is; a call
        # that waits instead (sleep, a blocking read) is stopped after wait_factor times as long.
        timeout = float(step.get("timeout", 2.0))
        signal.setitimer(signal.ITIMER_PROF, timeout)
        signal.setitimer(signal.ITIMER_REAL, timeout * self.wait_factor)
        try:
            reply = {"status": "ok", "value": wire.encode(self.do(step))}
        except CallTimeout as exc:
            reply = {"status": "timeout", "clock": exc.clock}
        except BaseException as exc:  # the student's SystemExit and KeyboardInterrupt too
            _disarm()
            reply = self.describe(exc)
        finally:
            _disarm()
            sys.stdout, sys.stderr = saved
        reply["output"] = out.text().replace(str(self.root) + os.sep, "")  # e.g. warnings
        return reply

    def describe(self, exc: BaseException) -> dict:
        if isinstance(exc, StudentProblem):
            return {"status": "error", "error_type": exc.kind, "error_message": str(exc)}
        message = str(exc) if not isinstance(exc, SystemExit) else f"exit code {exc.code!r}"
        return {"status": "error", "error_type": type(exc).__name__,
                "error_message": message[:2000], "traceback": self.trimmed_traceback(exc)[-6000:]}

    # -- the steps --

    def do(self, step: dict) -> Any:
        op, module = step["op"], step["module"]
        if op == "import":
            return self.import_module(module)
        if module in self.broken:
            raise StudentProblem("module not importable", self.broken[module])
        mod = self.modules[module]
        name = step["name"]
        if not hasattr(mod, name):
            raise StudentProblem("missing name", f"{module}.py does not define {name}")
        value = getattr(mod, name)
        if op == "get":
            return value
        if not callable(value):
            kind = type(value).__name__
            raise StudentProblem("not callable",
                                 f"{name} in {module}.py is a {kind}, not a function")
        if "decoded" in step:  # decoded once by the fork server; this process is a fresh copy
            args, kwargs = step["decoded"]
        else:
            args, kwargs = decode_arguments(step)
        return value(*args, **kwargs)

    def import_module(self, name: str) -> dict[str, int]:
        """Import the student's module; return where its top-level names are defined."""
        spec = importlib.machinery.PathFinder.find_spec(name, [str(self.root)])
        if spec is None or spec.loader is None:
            self.broken[name] = f"no file {name}.py in the submission"
            others = [p.name for p in self.root.iterdir() if p.name.lower() == f"{name}.py"]
            hint = f" (found {others[0]}: rename it to {name}.py)" if others else ""
            raise StudentProblem("missing module", self.broken[name] + hint)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            code = spec.loader.get_code(name)  # what exec_module does, keeping the code object
            lines = definition_lines(code)
            exec(code, module.__dict__)  # the student's module: in this worker, nowhere else
        except BaseException:
            sys.modules.pop(name, None)
            self.broken[name] = "it failed to import"
            raise
        self.modules[name] = module
        return lines


def decode_arguments(step: dict) -> tuple[list, dict]:
    return wire.decode(step.get("args", [])), wire.decode(step.get("kwargs", {"$dict": []}))


def definition_lines(code: Any, limit: int = 1000) -> dict[str, int]:
    """Where each module-level name is bound (def, class, assignment, import), read from the
    compiled module: no second parse. The last binding wins, as in Python."""
    lines: dict[str, int] = {}
    if code is None:
        return lines
    line = code.co_firstlineno
    for instruction in dis.get_instructions(code):
        if instruction.positions is not None and instruction.positions.lineno is not None:
            line = instruction.positions.lineno
        if instruction.opname == "STORE_NAME" and (instruction.argval in lines
                                                   or len(lines) < limit):
            lines[instruction.argval] = line
    return lines


class StudentProblem(Exception):
    """A problem with the submission found by the worker itself (not raised by student code)."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


class SubmissionFinder:
    """Finds the student's helper modules (``from utils import x``) in the submission only.

    It sits at the end of ``sys.meta_path``, so the standard library and
    installed packages always win: a ``random.py`` or ``numpy.py`` in the
    submission cannot shadow them.
    """

    def __init__(self, root: Path):
        self.root = str(root)

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if path is not None:  # submodules are found through their package's __path__
            return None
        return importlib.machinery.PathFinder.find_spec(name, [self.root])


def _disarm() -> None:
    signal.setitimer(signal.ITIMER_PROF, 0)
    signal.setitimer(signal.ITIMER_REAL, 0)


def _on_alarm(signum: int, frame: Any) -> None:
    _disarm()  # the other timer must not fire while this one is being handled
    raise CallTimeout("cpu" if signum == signal.SIGPROF else "wall")


def run_plan(plan: dict, result_fd: int) -> None:
    """Work through a plan, one reply line per step, then end the process."""
    limits = plan.get("limits", {})
    root = Path(plan["root"])  # as the grader made it: no symlink to resolve
    faulthandler.enable()  # a segfault leaves a Python traceback on stderr for the report
    sandbox.confine(Path(plan["private"]), limits)  # the only folder it may write
    sys.meta_path.append(SubmissionFinder(root))
    sys.dont_write_bytecode = True
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.signal(signal.SIGPROF, _on_alarm)
    # The same Ctrl-C behaviour wherever the grader runs (a background job starts with
    # SIGINT ignored, and children inherit that).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    worker = Worker(root, result_fd, int(limits.get("output_chars", 2000)),
                    float(limits.get("wait_factor", 1.0)))
    timed_out: set[str] = set()  # after one case of an item hangs, its other cases are skipped
    for step in plan["steps"]:
        group = step.get("group")
        if group in timed_out:
            reply = {"status": "skipped"}
        else:
            reply = worker.run_step(step)
            if reply["status"] == "timeout" and group:
                timed_out.add(group)
        reply["id"] = step["id"]
        worker.send(reply)
    os._exit(0)  # skip atexit handlers and finalizers the student may have registered


def main() -> None:
    """A one-off worker: the plan on stdin, replies on the fd named in argv."""
    plan = json.loads(sys.stdin.buffer.read())
    os.close(0)
    run_plan(plan, int(sys.argv[1]))


# --- the fork server ----------------------------------------------------------
#
# Starting Python and importing numpy costs ~0.2 s; a batch of hundreds of
# submissions must not pay it each time. The fork server is a process that has
# done those imports once and never runs student code itself: for each
# submission it forks a fresh child, which runs that one plan and dies. Every
# child starts from the same clean state, never from a process that ran
# another student's code.


def serve(control_fd: int) -> None:
    """Serve fork requests on a SOCK_SEQPACKET control socket until it closes.

    Request: {"plan_id": id, "root": path, "private": path, "stderr": path, "cwd": path,
    "env": {...}}, plus "plan": path (a JSON file of steps and limits) the first time a plan
    is used; the server keeps the last 16 plans, decoded, and answers {"missing_plan": true}
    to a request for one it no longer holds. Replies:
    {"pid": n} with the read end of the child's result pipe attached (SCM_RIGHTS),
    then {"exit": status} once the child has ended (os.waitstatus_to_exitcode form).
    """
    import socket

    control = socket.socket(fileno=control_fd)
    sandbox.prepare()
    try:
        _serve(control)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the grader went away (Ctrl-C): nothing left to serve, and nothing to say


def _serve(control: Any) -> None:
    import socket

    plans: dict[str, dict] = {}
    while True:
        data = control.recv(1 << 16)
        if not data:
            return
        request = json.loads(data)
        if "plan" in request:  # a plan not seen before: read it and decode its arguments once
            plans[request["plan_id"]] = _load_plan(request["plan"])
            while len(plans) > 16:
                del plans[next(iter(plans))]
        plan = plans.get(request["plan_id"])
        if plan is None:  # dropped to make room: the grader sends it again
            control.send(json.dumps({"missing_plan": True}).encode())
            continue
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: drop the control channel before anything else runs
            try:
                control.close()
                os.close(read_fd)
                _become_worker(request, plan, write_fd)
            finally:
                os._exit(70)
        os.close(write_fd)
        socket.send_fds(control, [json.dumps({"pid": pid}).encode()], [read_fd])
        os.close(read_fd)
        _, status = os.waitpid(pid, 0)
        control.send(json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode())


def _load_plan(path: str) -> dict:
    """A plan's steps and limits, with each call's arguments decoded (every child gets its own
    copy-on-write copy, so one student mutating an argument never reaches the next)."""
    with open(path, "rb") as f:
        plan = json.loads(f.read())
    os.unlink(path)
    for step in plan["steps"]:
        if step["op"] == "call":
            try:
                step["decoded"] = decode_arguments(step)
            except Exception:  # noqa: BLE001  the child decodes it again and reports the error
                pass
    return plan


def _become_worker(request: dict, plan: dict, result_fd: int) -> None:
    os.setsid()  # its own session and process group: killed as a whole
    null = os.open(os.devnull, os.O_RDWR)
    err = os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.dup2(err, 2)
    os.close(null)
    os.close(err)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    run_plan({**plan, "root": request["root"], "private": request["private"]}, result_fd)


if __name__ == "__main__":
    main()
