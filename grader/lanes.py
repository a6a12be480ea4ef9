"""Grading lanes: a batch spread over several grader processes, one per CPU slot.

One Python process cannot use more than one core for the grader's own work
(comparing, rendering, writing), so a batch forks ``lanes`` copies of itself
after the rubric is loaded. Each lane grades the submissions the main process
hands it, a few at a time, with its own executor (its own fork servers) and
writes each submission's reports and state file itself; the main process only
hands out work, collects "done" messages and shows progress. Lanes are grader
processes: they never run student code (workers do), and they hold nothing a
worker could read.

Services that should exist once per batch (the algebra process) stay in the
main process: a lane's ``GradeContext`` forwards every call on a service to
the main process and waits for the answer (plain JSON both ways).

Messages are JSON, one per SOCK_SEQPACKET datagram on a socket pair per lane:

    main -> lane   {"grade": [name, path, key]}
                   {"reply": id, "value": ...} | {"reply": id, "error": "mod:Class", "message"}
    lane -> main   {"done": name}   {"failed": name}   {"log": line}
                   {"call": id, "service": key, "factory": "mod:qualname", "method", "args"}

A lane that dies (a bug in the grader, or killed) loses only what it had in
hand, and a job whose grading raised in a lane is handed back: the caller gets
both back as not done (and grades them itself, where an error surfaces as usual).
"""

from __future__ import annotations

import itertools
import json
import os
import pkgutil
import select
import signal
import socket
import sys
import threading
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from grader.checks import GradeContext

Job = tuple[str, Path, str]  # name, source path, input key
# In a lane: grade one job and write its state file (never raises).
LaneGrade = Callable[[Job, GradeContext, Callable[[str], None]], None]

THREADS = 3  # per lane: one computing, the others ready while a worker hangs (see Slots)
_MESSAGE = 1 << 20


def run_lanes(jobs: Sequence[Job], lanes: int, grade: LaneGrade, context: GradeContext,
              done: Callable[[str], None], log: Callable[[str], None],
              close: Callable[[], None] = lambda: None) -> list[Job]:
    """Grade ``jobs`` in ``lanes`` forked processes; call ``done(name)`` in this process as
    each one's state file is written. Returns the jobs no lane finished (its lane died, or
    grading it raised there). ``close`` runs in each lane when it has no more work (e.g. to
    stop its fork servers and wait for them)."""
    queue: deque[Job] = deque(jobs)
    by_name = {job[0]: job for job in jobs}
    sys.stdout.flush()
    sys.stderr.flush()
    started: list[_Lane] = []
    failed: list[Job] = []
    try:
        for _ in range(lanes):
            started.append(_Lane.fork(grade, close, [lane.sock for lane in started]))
        live = list(started)
        for lane in live:
            lane.fill(queue)
        while live:
            for lane in [lane for lane in live if not lane.held and not queue]:
                lane.finish()  # nothing more for it: it sees end-of-stream and exits
                live.remove(lane)
                lane.reap()
            if not live:
                break
            ready, _, _ = select.select([lane.sock for lane in live], [], [])
            for lane in [lane for lane in live if lane.sock in ready]:
                message = lane.receive()
                if message is None:  # it died: what it held is not done
                    live.remove(lane)
                    lane.reap()
                elif "done" in message:
                    lane.held.discard(message["done"])
                    done(message["done"])
                    lane.fill(queue)
                elif "failed" in message:  # raised in the lane: handed back, not done
                    lane.held.discard(message["failed"])
                    failed.append(by_name[message["failed"]])
                    lane.fill(queue)
                elif "log" in message:
                    log(str(message["log"]))
                elif "call" in message:
                    lane.send(_serve_call(context, message))
    finally:
        for lane in started:
            lane.kill()
    unfinished = [by_name[name] for lane in started for name in sorted(lane.held)]
    return failed + unfinished + list(queue)


class _Lane:
    """The main process's handle on one lane."""

    def __init__(self, pid: int, sock: socket.socket):
        self.pid, self.sock = pid, sock
        self.held: set[str] = set()
        self.reaped = False

    @classmethod
    def fork(cls, grade: LaneGrade, close: Callable[[], None],
             others: list[socket.socket]) -> _Lane:
        """A new lane; ``others`` are the main process's sockets to the lanes before it,
        which the new one must not hold."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                for sock in (ours, *others):
                    sock.close()
                _lane_main(theirs, grade, parent)
                close()
                code = 0
            except KeyboardInterrupt:  # Ctrl-C reaches every lane: the main process says so
                code = 130
            except BaseException:  # noqa: BLE001  a lane never returns into the caller's code
                try:
                    traceback.print_exc()
                except BaseException:  # noqa: BLE001
                    pass
            finally:
                os._exit(code)
        theirs.close()
        return cls(pid, ours)

    def fill(self, queue: deque[Job]) -> None:
        while queue and len(self.held) < THREADS:
            name, path, key = queue.popleft()
            self.held.add(name)
            self.send({"grade": [name, str(path), key]})

    def send(self, message: dict) -> None:
        self.sock.sendall(json.dumps(message).encode())

    def receive(self) -> dict | None:
        try:
            data = self.sock.recv(_MESSAGE)
            return json.loads(data) if data else None
        except (OSError, ValueError):
            return None

    def finish(self) -> None:
        self.sock.shutdown(socket.SHUT_WR)  # the lane sees end-of-stream, closes up and exits

    def reap(self) -> None:
        if not self.reaped:
            os.waitpid(self.pid, 0)
            self.reaped = True
            self.sock.close()

    def kill(self) -> None:
        if not self.reaped:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.reap()


def _serve_call(context: GradeContext, message: dict) -> dict:
    """Run a lane's call on this process's service; the answer or the exception, as data."""
    try:
        # The factory is named, not sent: resolved only if this process lacks the service.
        service = context.service(message["service"],
                                  lambda: pkgutil.resolve_name(message["factory"])())
        if message["method"].startswith("_"):
            raise AttributeError(f"{message['method']} is not a public method of a service")
        value = getattr(service, message["method"])(*message["args"])
        return {"reply": message["call"], "value": value}
    except Exception as e:  # noqa: BLE001  raised again in the lane, where the caller expects it
        kind = type(e)
        return {"reply": message["call"], "error": f"{kind.__module__}:{kind.__qualname__}",
                "message": str(e)}


# --- inside a lane ------------------------------------------------------------


def _lane_main(sock: socket.socket, grade: LaneGrade, parent: int) -> None:
    from grader.sandbox import die_with_parent

    die_with_parent()
    if os.getppid() != parent:  # the batch ended before this lane started
        return
    channel = _Channel(sock)
    context = _LaneContext(channel)

    def log(line: str) -> None:
        channel.send({"log": line})

    def job(item: list) -> None:
        name, path, key = item
        try:
            grade((name, Path(path), key), context, log)
        except BaseException:  # noqa: BLE001  the caller grades it again itself, and sees why
            channel.send({"failed": name})
        else:
            channel.send({"done": name})

    # No "with": on Ctrl-C the lane ends at once (os._exit in fork()), without waiting for
    # the submissions in hand; their state files were never written, so nothing is half-done.
    pool = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="lane")
    while (message := channel.receive()) is not None:
        if "grade" in message:
            pool.submit(job, message["grade"])
        elif "reply" in message:
            channel.answered(message)
    pool.shutdown(wait=True)


class _Channel:
    """The lane's end of its socket: the lane's main thread reads; any thread may send."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.lock = threading.Lock()
        self.ids = itertools.count(1)
        self.waiting: dict[int, tuple[threading.Event, list]] = {}

    def send(self, message: dict) -> None:
        data = json.dumps(message).encode()
        with self.lock:
            self.sock.sendall(data)

    def receive(self) -> dict | None:
        data = self.sock.recv(_MESSAGE)
        if not data:
            for event, _ in list(self.waiting.values()):  # no answer will come now
                event.set()
            return None
        return json.loads(data)

    def call(self, service: str, factory: Callable, method: str, args: tuple) -> Any:
        call_id = next(self.ids)
        event, box = threading.Event(), []
        self.waiting[call_id] = (event, box)
        try:
            self.send({"call": call_id, "service": service, "method": method, "args": list(args),
                       "factory": f"{factory.__module__}:{factory.__qualname__}"})
            event.wait()
        finally:
            self.waiting.pop(call_id, None)
        if not box:
            raise RuntimeError("the batch's main process stopped answering")
        answer = box[0]
        if "error" in answer:
            raise _exception(answer["error"], answer.get("message", ""))
        return answer.get("value")

    def answered(self, message: dict) -> None:
        waiter = self.waiting.get(message["reply"])
        if waiter is not None:
            waiter[1].append(message)
            waiter[0].set()


def _exception(name: str, message: str) -> Exception:
    try:
        kind = pkgutil.resolve_name(name)
    except (ImportError, AttributeError, ValueError):
        kind = None
    if isinstance(kind, type) and issubclass(kind, Exception):
        try:
            return kind(message)
        except Exception:  # noqa: BLE001  an exception class wanting other arguments
            pass
    return RuntimeError(message)


class _LaneContext(GradeContext):
    """A lane's context: every service is the main process's, reached through the channel."""

    def __init__(self, channel: _Channel):
        super().__init__()
        self.channel = channel

    def service(self, key: str, factory: Callable[[], Any]) -> Any:
        return _RemoteService(self.channel, key, factory)


class _RemoteService:
    """Calls on it run on the main process's service ``key``: JSON arguments and results."""

    def __init__(self, channel: _Channel, key: str, factory: Callable[[], Any]):
        self._channel, self._key, self._factory = channel, key, factory

    def __getattr__(self, method: str) -> Callable[..., Any]:
        if method.startswith("_"):
            raise AttributeError(method)
        return lambda *args: self._channel.call(self._key, self._factory, method, args)
