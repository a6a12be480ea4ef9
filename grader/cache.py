"""Where and how the grader keeps files: a per-user cache, the scratch space for
submissions, and atomic writes.

The cache holds only the grader's own derived data (compiled templates, the fact
that a rubric file with a given hash passed validation, formula verdicts), never
student data; where it cannot be created, callers simply do the work again.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from grader import __version__


def cache_dir(kind: str) -> Path | None:
    base = os.environ.get("GRADER_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "grader")
    folder = Path(base) / __version__ / kind
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder


def scratch_root() -> str | None:
    """Where submissions are unpacked and copied for their workers: RAM (/dev/shm) when the
    machine has it, since a batch makes and removes thousands of small folders (7x faster
    than on disk here); else the system's temporary folder. GRADER_SCRATCH overrides it.
    Each worker may write at most its disk budget there (limits.disk_mb)."""
    chosen = os.environ.get("GRADER_SCRATCH") or "/dev/shm"
    return chosen if os.path.isdir(chosen) and os.access(chosen, os.W_OK | os.X_OK) else None


def write_atomic(path: Path, text: str) -> Path:
    """Write ``text`` so a reader sees the old file or the new one, never half of one.

    The temporary file sits in the same folder (so ``os.replace`` is a rename on
    one file system) and is created with ``os.open`` so the umask applies, as it
    would for a plain write.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with open(fd, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path
