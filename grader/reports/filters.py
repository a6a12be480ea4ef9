"""Jinja filters for the report templates, and the Markdown escaping they rely on.

They are plain functions so the formats written without templates (Gradescope's
results.json, the terminal summary) show points and statuses exactly as the
templates do.
"""

from __future__ import annotations

import html
import re

from grader.models import CaseResult, Status


class MdSafe(str):
    """Text that is already inert Markdown, so the Markdown environment prints it as is.

    Only the filters below build it, from numbers or inside a code span or fenced
    block; wrapping student text in it by hand would let that text become markup.
    """


# Characters that are Markdown syntax anywhere in a line on GitHub or GitLab (emphasis,
# code, links, tables, strikethrough, math). ``<``, ``>`` and ``&`` become HTML
# entities instead, so no tag or entity survives as markup. Block syntax (headings,
# lists, quotes, setext underlines) only counts at the start of a line, and escaped
# text is always one line: only its first character needs care (_LINE_START).
_MD_PUNCTUATION = re.compile(r"([\\`*_{}\[\]|~$])")
_LINE_START = re.compile(r"^([#+\-=]|\d+(?=[.)]))")
_LINE_BREAK = re.compile(r"\r\n?|\n")
_BACKTICK_RUN = re.compile(r"`+")

_ICONS = {
    Status.PASSED: "✓",
    Status.GRADED: "✓",
    Status.PARTIAL: "◐",
    Status.FAILED: "✗",
    Status.ERROR: "⚠",
    Status.TIMEOUT: "◷",  # a clock face, from the widely available Geometric Shapes block
    Status.CRASHED: "✗",
    Status.NOT_RUN: "–",
    Status.PENDING: "○",
}
_TONES = {
    Status.PASSED: "ok",
    Status.GRADED: "ok",
    Status.PARTIAL: "partial",
    Status.PENDING: "pending",
    Status.NOT_RUN: "muted",
}


def md_escape(text: str) -> MdSafe:
    """Make ``text`` show literally in Markdown, as one line (so it is safe in a table cell).

    Surrounding whitespace is dropped (leading spaces would start a code block,
    trailing ones a hard break) and line breaks become ``<br>``, so a student's
    text can never open a block of its own.
    """
    text = html.escape(text.strip(), quote=False)
    text = _MD_PUNCTUATION.sub(r"\\\1", text)
    text = _LINE_START.sub(lambda m: m.group(1) + "\\" if m.group(1)[0].isdigit()
                           else "\\" + m.group(1), text)
    return MdSafe(_LINE_BREAK.sub("<br>", text))


def codeblock(text: str) -> MdSafe:
    """A fenced code block that ``text`` cannot close: the fence outruns every backtick run."""
    longest = max((len(run) for run in _BACKTICK_RUN.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    body = text if text.endswith("\n") else text + "\n"
    return MdSafe(f"{fence}\n{body}{fence}")


def code(text: str) -> MdSafe:
    """An inline code span that ``text`` cannot close (line breaks become spaces)."""
    text = _LINE_BREAK.sub(" ", text)
    if not text:
        return MdSafe("")
    longest = max((len(run) for run in _BACKTICK_RUN.findall(text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text[0] in "` " or text[-1] in "` " else ""  # CommonMark strips one space
    return MdSafe(f"{ticks}{pad}{text}{pad}{ticks}")


def points(value: float) -> MdSafe:
    """Points as the rubric writes them: 12.5 stays 12.5, 12.0 becomes 12."""
    return MdSafe(_trimmed(value, 2))


def percent(value: float) -> MdSafe:
    return MdSafe(_trimmed(value, 1) + "%")


def duration(seconds: float) -> MdSafe:
    return MdSafe(f"{seconds:.1f} s")


def _trimmed(value: float, places: int) -> str:
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def status_icon(status: Status) -> str:
    """A glyph beside every status label, so colour is never the only signal."""
    return _ICONS[status]


def status_label(status: Status) -> str:
    return f"{_ICONS[status]} {status.value}"


def status_tone(status: Status) -> str:
    """The CSS colour family of a status: ok, partial, pending, muted or bad."""
    return _TONES.get(status, "bad")


def pluralize(count: float, plural: str = "s", singular: str = "") -> str:
    """The suffix for ``count`` things: ``{{ n }} case{{ n|pluralize }}``."""
    return singular if count == 1 else plural


def shorten(text: str, width: int = 80) -> str:
    """``text`` on one line, cut to ``width`` characters with an ellipsis if longer."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def transcript(case: CaseResult) -> str:
    """A public case's call, expected and actual values as console-like lines."""
    if case.hidden:
        return ""
    rows = ((">>> ", case.call), ("expected: ", case.expected), ("actual:   ", case.actual))
    return "\n".join(label + value.replace("\n", "\n" + " " * len(label))
                     for label, value in rows if value)


COMMON = {
    "points": points,
    "percent": percent,
    "duration": duration,
    "status_icon": status_icon,
    "status_label": status_label,
    "status_tone": status_tone,
    "pluralize": pluralize,
    "shorten": shorten,
}
MARKDOWN_ONLY = {"code": code, "codeblock": codeblock, "transcript": transcript}
