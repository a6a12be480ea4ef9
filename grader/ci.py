"""CI mode: plain output anywhere; on GitHub Actions, results where a pull request shows them.

On GitHub the Markdown report goes to the job's step summary and every automatic
item that did not pass becomes an ``::error`` workflow command, which GitHub
shows as an annotation at the line where the student defined the name.

Security boundary: GitHub reads workflow commands from any line of the log, so
student text (a message, a file name) must never start a line of its own. Every
value put into a command is escaped the way GitHub's own toolkit does it, which
turns line breaks into ``%0A``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from grader.models import ItemResult, Status, SubmissionResult
from grader.reports.junit import failure_summary

CI_VARIABLES = ("CI", "GITHUB_ACTIONS", "GITLAB_CI")
_FALSE = ("", "0", "false", "no", "off")


def enabled(flag: bool = False, environ: Mapping[str, str] = os.environ) -> bool:
    """CI mode: asked for with ``--ci``, or a CI service's variable is set to a true value."""
    return flag or any(environ.get(name, "").strip().lower() not in _FALSE
                       for name in CI_VARIABLES)


def on_github(environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get("GITHUB_ACTIONS") == "true"


def github_report(result: SubmissionResult, submission: Path, markdown: str,
                  environ: Mapping[str, str] = os.environ) -> list[str]:
    """Append ``markdown`` (the report) to the step summary; return the annotation lines."""
    append_step_summary(markdown, environ)
    workspace = Path(environ.get("GITHUB_WORKSPACE") or Path.cwd())
    return annotations(result, submission, workspace)


def append_step_summary(markdown: str, environ: Mapping[str, str] = os.environ) -> None:
    """Add ``markdown`` to ``$GITHUB_STEP_SUMMARY`` (other steps may have written to it too)."""
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as stream:
            stream.write(markdown if markdown.endswith("\n") else markdown + "\n")


def annotations(result: SubmissionResult, submission: Path, workspace: Path) -> list[str]:
    """One ``::error`` command per automatic item that did not pass.

    ``file`` is the student's module relative to the workspace (omitted, with
    ``line``, when the module is not a file there, e.g. in a zip).
    """
    return [annotation(r, _module_file(submission, r.item.module, workspace))
            for r in result.items if r.item.automatic and r.status is not Status.PASSED]


def annotation(item_result: ItemResult, file: str | None) -> str:
    properties = {}
    if file is not None:
        properties["file"] = file
        if item_result.line is not None:
            properties["line"] = str(item_result.line)
    properties["title"] = item_result.item.id
    return workflow_command("error", failure_summary(item_result), properties)


def workflow_command(command: str, message: str, properties: Mapping[str, str]) -> str:
    """``::command key=value,...::message`` with GitHub's escaping of properties and data."""
    listed = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{command}{' ' + listed if listed else ''}::{escape_data(message)}"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _module_file(submission: Path, module: str, workspace: Path) -> str | None:
    if not module or not (submission / f"{module}.py").is_file():
        return None
    path = (submission / f"{module}.py").resolve()
    try:
        return path.relative_to(workspace.resolve()).as_posix()
    except ValueError:  # outside the repository: GitHub could not show it
        return None
