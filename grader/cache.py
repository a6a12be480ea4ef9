"""A per-user cache folder for work the grader can skip the second time.

Only the grader's own derived data goes here (compiled templates, the fact that
a rubric file with a given hash passed validation), never student data. Where
the folder cannot be created, callers simply do the work again.
"""

from __future__ import annotations

import os
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
