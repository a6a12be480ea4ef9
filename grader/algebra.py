"""Formula equivalence checked in a throwaway grader-owned process.

sympy takes half a second to import, and a formula our parser accepts can still make
``simplify`` slow or hungry. So the algebra runs in a separate process: it imports sympy
while the grader does other work, serves a whole batch, and is killed when a check takes
too long. No student code ever runs in it; its input is Nodes our parser produced, sent as
JSON lines and validated again on arrival.

Protocol, one JSON object per line each way::

    -> {"id": 1, "student": Node, "targets": {"expected": Node, "sign_error": Node}}
    <- {"id": 1, "verdicts": {"expected": true, "sign_error": false}}
    <- {"id": 1, "error": "..."}            (a request that could not be checked)

Run as ``python -m grader.algebra``; it exits at the end of its input.
"""

from __future__ import annotations

import hashlib
import importlib
import itertools
import json
import os
import select
import selectors
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from grader.formula import Node, equivalent, validate_node

# Run the child from the directory holding this grader package, never from wherever the
# grader was started (possibly a submission folder with its own grader/ or sympy.py).
_PACKAGE_PARENT = Path(__file__).resolve().parent.parent
_MEMORY_LIMIT = 2 * 1024**3  # bytes of address space for the process
_MAX_NAME_LENGTH = 100


class AlgebraError(Exception):
    """A formula could not be checked; ``str(error)`` says why in plain words."""


class AlgebraTimeout(AlgebraError):
    """The check took too long or the algebra process died; it has been killed."""


def _verdict_file(key: str) -> Path | None:
    from grader.cache import cache_dir

    folder = cache_dir("algebra")
    return folder / hashlib.sha256(key.encode()).hexdigest() if folder is not None else None


def _stored(key: str) -> dict[str, bool] | None:
    """A verdict from an earlier run: re-grading the same formulas needs no sympy at all."""
    path = _verdict_file(key)
    try:
        data = json.loads(path.read_text()) if path is not None else None
    except (OSError, ValueError):
        return None
    if type(data) is dict and data.get("key") == key and type(data.get("verdicts")) is dict \
            and all(type(v) is bool for v in data["verdicts"].values()):
        return data["verdicts"]
    return None


def _store(key: str, verdicts: dict[str, bool]) -> dict[str, bool]:
    from grader.cache import write_atomic

    path = _verdict_file(key)
    if path is not None:
        try:
            write_atomic(path, json.dumps({"key": key, "verdicts": verdicts}))
        except OSError:
            pass
    return verdicts


class AlgebraService:
    """The grader's client for the algebra process, with an in-memory cache of verdicts.

    A batch of hundreds of students often submits the same formula: each distinct
    (student, targets) pair is checked once. The process is started lazily and restarted
    after a timeout, so one pathological formula never stops the batch or hangs it.
    """

    def __init__(self, timeout: float = 10.0):
        self.timeout = timeout
        self._process: subprocess.Popen | None = None
        self._cache: dict[str, dict[str, bool]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.RLock()  # a batch grades in several threads; one exchange at a time

    def start(self) -> None:
        """Spawn the process if none is running; returns at once, while sympy imports."""
        with self._lock:
            self._start()

    def _start(self) -> None:
        if self._process is not None and self._process.poll() is None:
            return
        self._stop()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "grader.algebra"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=_PACKAGE_PARENT,
        )

    def check(self, student: Node, targets: dict[str, Node]) -> dict[str, bool]:
        """Whether ``student`` is equivalent to each target, by target name.

        Raises AlgebraTimeout if no answer comes within ``timeout`` seconds (the process is
        then killed and respawned by the next check), and AlgebraError if the process could
        not check these formulas.
        """
        key = json.dumps([student, targets], sort_keys=True, separators=(",", ":"))
        with self._lock:
            if key not in self._cache:
                self._cache[key] = _stored(key) or _store(key, self._exchange(student, targets))
            return dict(self._cache[key])

    def close(self) -> None:
        """End the process; a later check starts a new one."""
        with self._lock:
            self._stop()

    def __enter__(self) -> AlgebraService:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _exchange(self, student: Node, targets: dict[str, Node]) -> dict[str, bool]:
        self.start()
        request_id = next(self._ids)
        request = {"id": request_id, "student": student, "targets": targets}
        deadline = time.monotonic() + self.timeout
        try:
            self._send((json.dumps(request) + "\n").encode(), deadline)
            line = self._receive_line(deadline)
        except TimeoutError:
            self._stop()
            raise AlgebraTimeout(
                f"the formula could not be checked within {self.timeout:g} s"
            ) from None
        except (EOFError, OSError):  # end of output or a broken pipe: the process died
            self._stop()
            raise AlgebraTimeout(
                "the formula could not be checked (the algebra process stopped unexpectedly)"
            ) from None
        try:
            reply = json.loads(line)
        except ValueError:
            reply = None
        if not isinstance(reply, dict) or reply.get("id") != request_id:
            self._stop()
            raise AlgebraError(f"the algebra process sent an unexpected reply: {line[:200]!r}")
        if "error" in reply:
            raise AlgebraError(f"the formula could not be checked: {reply['error']}")
        return reply["verdicts"]

    def _send(self, data: bytes, deadline: float) -> None:
        """Write without ever blocking past the deadline: at most PIPE_BUF bytes per ready."""
        descriptor = self._process.stdin.fileno()
        remaining = memoryview(data)
        while remaining:
            _wait(descriptor, selectors.EVENT_WRITE, deadline)
            remaining = remaining[os.write(descriptor, remaining[: select.PIPE_BUF]) :]

    def _receive_line(self, deadline: float) -> bytes:
        descriptor = self._process.stdout.fileno()
        chunks: list[bytes] = []
        while not chunks or not chunks[-1].endswith(b"\n"):
            _wait(descriptor, selectors.EVENT_READ, deadline)
            chunk = os.read(descriptor, 65536)
            if not chunk:
                raise EOFError
            chunks.append(chunk)
        return b"".join(chunks)

    def _stop(self) -> None:
        if self._process is None:
            return
        self._process.kill()
        self._process.wait()
        self._process.stdin.close()
        self._process.stdout.close()
        self._process = None


def _wait(descriptor: int, event: int, deadline: float) -> None:
    """Wait until ``descriptor`` is ready for ``event``; raise TimeoutError at the deadline."""
    with selectors.DefaultSelector() as selector:
        selector.register(descriptor, event)
        if not selector.select(max(0.0, deadline - time.monotonic())):
            raise TimeoutError


class _WellFormedNames:
    """Every name the parser could have produced.

    The process does not know the rubric's symbols, and sympy.Symbol never parses its name,
    so validation here checks only that a symbol is a plain identifier.
    """

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and len(name) <= _MAX_NAME_LENGTH and name.isidentifier()


def _answer(line: str) -> dict:
    """The reply to one request line; never raises, so one bad request ends nothing."""
    request_id = None
    try:
        request = json.loads(line)
        if not isinstance(request, dict):
            raise ValueError("a request must be a JSON object")
        request_id = request.get("id")
        if not isinstance(request.get("targets"), dict):
            raise ValueError("a request needs a 'targets' object")
        names = _WellFormedNames()
        student = validate_node(request.get("student"), names)
        targets = {name: validate_node(node, names) for name, node in request["targets"].items()}
        verdicts = {name: equivalent(student, target) for name, target in targets.items()}
    except Exception as error:  # a hostile formula may break sympy in any way
        return {"id": request_id, "error": f"{type(error).__name__}: {error}"}
    return {"id": request_id, "verdicts": verdicts}


def _limit_memory() -> None:
    """Make a runaway computation fail with MemoryError instead of swapping the machine."""
    try:
        import resource
    except ImportError:  # not POSIX: rely on the timeout alone
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY or soft > _MEMORY_LIMIT:
        resource.setrlimit(resource.RLIMIT_AS, (_MEMORY_LIMIT, hard))


def main() -> None:
    """Serve requests from stdin until EOF."""
    # Ctrl-C is the grader's to handle: this process ends when its input does.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _limit_memory()
    importlib.import_module("sympy")  # pay the import now, overlapping the grader's work
    replies = sys.stdout
    sys.stdout = sys.stderr  # a stray print inside sympy must not corrupt the protocol
    for line in sys.stdin:
        replies.write(json.dumps(_answer(line)) + "\n")
        replies.flush()


if __name__ == "__main__":
    main()
