"""The grader's error family.

Every problem the user can fix (a broken rubric, a missing submission folder, a
corrupt zip, a bad manual-grades file) is a ``GraderError``: the CLI prints its
message and exits 2. Anything else escaping the pipeline is a bug in the grader.
A student's mistakes are never raised: they become results (see models.py).
"""

from __future__ import annotations


class GraderError(Exception):
    """Base of every user-facing error. ``str(error)`` is the whole message."""

    exit_code = 2


class RubricError(GraderError):
    """A rubric that cannot be loaded: names the file, the key path and the problem."""

    def __init__(self, file: str, problem: str, key_path: str = "", line: int | None = None):
        self.file, self.problem, self.key_path, self.line = file, problem, key_path, line
        where = file if line is None else f"{file}:{line}"
        super().__init__(f"{where}: {key_path}: {problem}" if key_path else f"{where}: {problem}")


class SubmissionError(GraderError):
    """A submission path that cannot be graded at all (missing, unreadable, corrupt zip)."""

    def __init__(self, path: str, problem: str):
        self.path, self.problem = path, problem
        super().__init__(f"{path}: {problem}")


class UsageError(GraderError):
    """Command-line arguments that do not make sense together."""
