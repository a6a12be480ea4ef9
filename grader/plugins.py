"""The one door through which check kinds, report formats and executors enter.

Built-ins are passed in by their registry; third-party packages add more by
declaring entry points in the named group (e.g. ``grader.checks``), so a new
kind needs no change to the grader. Names are sorted so every run is the same.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points
from typing import Any


@cache
def _external(group: str) -> tuple[tuple[str, Any], ...]:
    return tuple((ep.name, ep.load()) for ep in sorted(entry_points(group=group),
                                                       key=lambda ep: ep.name))


def load(group: str, builtins: dict[str, Any]) -> dict[str, Any]:
    """The built-ins plus the entry points of ``group`` (which may add names, not replace them)."""
    found = dict(builtins)
    for name, obj in _external(group):
        found.setdefault(name, obj)
    return found
