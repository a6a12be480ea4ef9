"""Reports: one Jinja environment factory, the format registry, and the terminal summary.

Templates receive the ``SubmissionResult`` itself (as ``result``, with its
``rubric``) and format it with the filters in ``filters.py``. A user's template
folder is searched before the built-in one, so a course can restyle a report
without touching the grader.

Security boundary: every value a template prints may hold student text (their
printed output, answers, exception messages). The HTML environment autoescapes
everything; the Markdown one escapes every ``{{ }}`` output unless a filter
built it as ``MdSafe``. Templates that bypass this (``|safe``, ``Markup``) open a
hole; the HTML report's Content-Security-Policy, which forbids scripts, is only
a second line behind the escaping.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import jinja2
import markupsafe

from grader.cache import cache_dir, write_atomic
from grader.models import ItemResult, Status, SubmissionResult
from grader.plugins import load
from grader.reports import filters
from grader.reports.filters import MdSafe, md_escape
from grader.reports.gradescope import results_json
from grader.reports.junit import write_junit
from grader.reports.terminal import terminal_summary

__all__ = ["MdSafe", "Writer", "environment", "formats", "render", "terminal_summary", "warm",
           "write_atomic", "write_gradescope", "write_html", "write_junit", "write_markdown"]

TEMPLATE_KINDS = ("html", "md")


class Writer(Protocol):
    """A report format: writes one file for ``result`` into ``out_dir`` and returns its path.

    Third-party formats register one under the ``grader.formats`` entry-point group.
    """

    def __call__(self, result: SubmissionResult, out_dir: Path,
                 template_dirs: Sequence[Path] = (), /) -> Path: ...


def environment(kind: str, template_dirs: Sequence[Path] = ()) -> jinja2.Environment:
    """The Jinja environment for ``kind`` ("html" or "md"): the only place one is built.

    Built once per kind and template folders, so a batch compiles each template once."""
    return _environment(kind, tuple(Path(d) for d in template_dirs))


@functools.lru_cache(maxsize=16)
def _environment(kind: str, template_dirs: tuple[Path, ...]) -> jinja2.Environment:
    if kind not in TEMPLATE_KINDS:
        raise ValueError(f"unknown template kind {kind!r} (known: {', '.join(TEMPLATE_KINDS)})")
    loader = jinja2.ChoiceLoader([
        jinja2.FileSystemLoader([Path(d) for d in template_dirs]),
        jinja2.PackageLoader("grader.reports", "templates"),
    ])
    escaping: dict[str, Any] = (
        {"autoescape": True} if kind == "html"
        else {"autoescape": False, "finalize": _markdown_output})
    folder = cache_dir("templates")  # compiled templates: a one-off grade starts faster
    bytecode = jinja2.FileSystemBytecodeCache(str(folder)) if folder is not None else None
    env = jinja2.Environment(loader=loader, undefined=jinja2.StrictUndefined, trim_blocks=True,
                             bytecode_cache=bytecode,
                             lstrip_blocks=True, keep_trailing_newline=True, **escaping)
    env.filters.update(filters.COMMON)
    if kind == "md":
        env.filters.update(filters.MARKDOWN_ONLY)
    env.globals["Status"] = Status
    env.globals["render_item"] = _ItemRenderer(env, kind)
    return env


class _ItemRenderer:
    """Renders one item's section (``item.<kind>.j2``), reusing identical ones.

    In a class most students' results for an item are the same (full marks, or
    the same mistake), so a batch renders each distinct item result once. The
    key holds everything the item template may read.
    """

    MAX_ENTRIES = 20_000

    def __init__(self, env: jinja2.Environment, kind: str):
        self.env, self.kind = env, kind
        self.cache: dict[tuple, str] = {}

    def __call__(self, r: ItemResult, index: int) -> str:
        item = r.item
        key = (index, item.id, item.title, item.description, item.points, item.kind,
               item.module, item.name, r.cases, r.hints, r.error, r.traceback, r.line,
               r.answer, r.manual_score, r.comment)
        text = self.cache.get(key)
        if text is None:
            text = self.env.get_template(f"item.{self.kind}.j2").render(r=r, index=index)
            # Rendered by this (escaping) environment, so it is safe to insert as is.
            text = markupsafe.Markup(text) if self.kind == "html" else MdSafe(text)
            if len(self.cache) >= self.MAX_ENTRIES:
                self.cache.clear()
            self.cache[key] = text
        return text


def _markdown_output(value: object) -> MdSafe:
    """Escape every ``{{ }}`` output of a Markdown template, except what a filter made safe."""
    return value if isinstance(value, MdSafe) else md_escape(str(value))


def warm(template_dirs: Sequence[Path] = ()) -> None:
    """Build the environments and compile the templates now (a batch does this before it
    forks its lanes, which then inherit them). A template that fails here fails again, with
    its report, where it is used."""
    for kind in TEMPLATE_KINDS:
        env = environment(kind, template_dirs)
        for name in (f"report.{kind}.j2", f"item.{kind}.j2", f"summary.{kind}.j2"):
            try:
                env.get_template(name)
            except jinja2.TemplateError:
                pass


def render(kind: str, result: SubmissionResult, template_dirs: Sequence[Path] = ()) -> str:
    """The text of ``report.<kind>.j2`` for ``result``."""
    template = environment(kind, template_dirs).get_template(f"report.{kind}.j2")
    return template.render(result=result, rubric=result.rubric)


def write_html(result: SubmissionResult, out_dir: Path,
               template_dirs: Sequence[Path] = ()) -> Path:
    return write_atomic(out_dir / "report.html", render("html", result, template_dirs))


def write_markdown(result: SubmissionResult, out_dir: Path,
                   template_dirs: Sequence[Path] = ()) -> Path:
    return write_atomic(out_dir / "report.md", render("md", result, template_dirs))


def write_gradescope(result: SubmissionResult, out_dir: Path,
                     template_dirs: Sequence[Path] = ()) -> Path:
    # Compact: the C encoder; indent= would switch to the pure-Python one (slower per report).
    text = json.dumps(results_json(result), ensure_ascii=False, allow_nan=False,
                      separators=(",", ":"))
    return write_atomic(out_dir / "results.json", text + "\n")


def formats() -> dict[str, Writer]:
    """Every report format by name: the built-ins, then those third-party packages declare."""
    return load("grader.formats",
                {"html": write_html, "md": write_markdown, "json": write_gradescope,
                 "junit": write_junit})
