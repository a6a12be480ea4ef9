"""Tests for grader.reports: every format renders, student text is escaped, hidden stays hidden."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import jinja2
import jsonschema
import pytest

from grader import plugins
from grader.models import (
    CaseResult,
    Hint,
    Item,
    ItemResult,
    Rubric,
    Status,
    SubmissionResult,
)
from grader.reports import environment, formats, render, terminal_summary
from grader.reports.filters import code, codeblock, md_escape, points
from grader.reports.gradescope import results_json

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE_BREAKOUT = '"><img src=x onerror=alert(1)>'
MARKDOWN_INJECTION = "**bold** [link](http://x) <script>"
BACKTICK_TRACEBACK = (
    'Traceback (most recent call last):\n  File "problem1.py", line 3, in softmax\n'
    "    ```\n````` # not a fence end\nValueError: ```` <b>still code</b>"
)
HIDDEN_SECRETS = ("SECRET_INPUT_4242", "SECRET_EXPECTED_4242", "SECRET_ACTUAL_4242",
                  "SECRET_OUTPUT_4242", "SECRET_TRACEBACK_4242")

VALUE_ITEM = Item("p1.approach", "Regression or classification", "value", 3.0,
                  module="problem1", name="APPROACH")
FUNCTION_ITEM = Item("p1.softmax", "Softmax that stays finite", "function", 8.0,
                     module="problem1", name="softmax",
                     description="Softmax over the last axis, exact for large logits.")
MANUAL_ITEM = Item("p1.reasons", "Why classification fits", "manual", 3.0,
                   module="problem1", name="REASONS")
RUBRIC = Rubric("demo", "Demo assignment", Path("rubric.yaml"),
                (VALUE_ITEM, FUNCTION_ITEM, MANUAL_ITEM), course="ML 101",
                fingerprint="0123456789abcdef0123456789abcdef")


def hidden_case_with_secrets() -> CaseResult:
    """A hidden case as it would look if the pipeline forgot ``for_hidden``: templates must cope."""
    return CaseResult("hidden_batch", Status.FAILED, hidden=True, message="wrong result",
                      call=f"softmax({HIDDEN_SECRETS[0]})", expected=HIDDEN_SECRETS[1],
                      actual=HIDDEN_SECRETS[2], output=HIDDEN_SECRETS[3],
                      traceback=HIDDEN_SECRETS[4])


def make_result(*, message: str = SCRIPT, actual: str = ATTRIBUTE_BREAKOUT,
                output: str = SCRIPT, answer: str = ATTRIBUTE_BREAKOUT,
                manual_score: float | None = None) -> SubmissionResult:
    """A passed value item, a function item (public and hidden cases), a manual item."""
    value = ItemResult(VALUE_ITEM, cases=(
        CaseResult("approach", Status.PASSED, call="APPROACH", expected="'B'", actual="'B'"),))
    function = ItemResult(FUNCTION_ITEM, cases=(
        CaseResult("small", Status.PASSED, call="softmax(array([1., 2.]))",
                   expected="array([0.268941, 0.731059])", actual="array([0.268941, 0.731059])"),
        CaseResult("large_logits", Status.FAILED, message=message,
                   call="softmax(array([1000., 1001., 1002.]))",
                   expected="array([0.090031, 0.244728, 0.665241])", actual=actual,
                   output=output, traceback=BACKTICK_TRACEBACK, misconception="overflow"),
        hidden_case_with_secrets(),
    ), hints=(Hint("overflow", "subtract the largest logit before exponentiating.",
                   ("large_logits",)),))
    manual = ItemResult(MANUAL_ITEM, answer=answer, manual_score=manual_score,
                        comment="" if manual_score is None else "Clear and complete.")
    return SubmissionResult("alice", RUBRIC, (value, function, manual), execution_time=1.234,
                            warnings=("ignored __pycache__/ in the submission",))


@pytest.fixture
def result() -> SubmissionResult:
    return make_result()


# --- every format -------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "filename"),
                         [("html", "report.html"), ("md", "report.md"), ("json", "results.json")])
def test_every_builtin_format_writes_its_file(result, tmp_path, name, filename):
    written = formats()[name](result, tmp_path)
    assert written == tmp_path / filename
    assert written.read_text(encoding="utf-8").strip()
    assert [p.name for p in tmp_path.iterdir()] == [filename]  # no temporary file left behind


def test_rewriting_a_report_replaces_it(result, tmp_path):
    formats()["md"](result, tmp_path)
    formats()["md"](replace(result, name="bob"), tmp_path)
    assert "Submission **bob**" in (tmp_path / "report.md").read_text(encoding="utf-8")
    assert len(list(tmp_path.iterdir())) == 1


def test_a_failing_template_leaves_the_previous_report_in_place(result, tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "report.md.j2").write_text("{{ result.no_such_field }}\n", encoding="utf-8")
    out = tmp_path / "out"
    before = formats()["md"](result, out).read_text(encoding="utf-8")
    with pytest.raises(jinja2.UndefinedError):
        formats()["md"](result, out, [templates])
    assert (out / "report.md").read_text(encoding="utf-8") == before
    assert [p.name for p in out.iterdir()] == ["report.md"]


def test_a_third_party_format_enters_through_the_plugin_door(monkeypatch, result, tmp_path):
    def write_text(result: SubmissionResult, out_dir: Path, template_dirs=()) -> Path:
        return out_dir / "report.txt"

    monkeypatch.setattr(plugins, "_external", lambda group: (("txt", write_text), ("html", None)))
    found = formats()
    assert found["txt"] is write_text
    assert found["html"] is not None  # a plug-in adds formats, it cannot replace a built-in


def test_unknown_template_kind_is_refused():
    with pytest.raises(ValueError, match="unknown template kind"):
        environment("pdf")


# --- HTML ---------------------------------------------------------------------------------


def test_html_escapes_student_strings_everywhere(result):
    page = render("html", result)
    assert SCRIPT not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # message and printed output
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in page  # actual value and answer
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 2
    assert page.count("&#34;&gt;&lt;img src=x onerror=alert(1)&gt;") == 2


def test_html_is_self_contained(result):
    page = render("html", result)
    assert not re.search(r"<(script|link|img|iframe|object)\b", page)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "default-src 'none'" in page  # scripts are refused even if escaping ever failed
    assert '<meta name="viewport"' in page


def test_html_shows_scores_hints_and_manual_state(result):
    page = render("html", result)
    assert "5.67</span>" in page and "/ 14</span>" in page
    assert "Likely mistake:" in page and "subtract the largest logit" in page
    assert "Graded by hand:</strong> pending" in page
    assert "<details><summary>Printed output</summary>" in page
    graded = render("html", make_result(manual_score=2.5))
    assert "Graded by hand:</strong> 2.5 / 3" in graded and "Clear and complete." in graded


# --- Markdown -----------------------------------------------------------------------------


def outside_code_blocks(page: str) -> str:
    return re.sub(r"^(`{3,})\n.*?\n\1$", "", page, flags=re.MULTILINE | re.DOTALL)


def test_markdown_escapes_student_markup():
    page = render("md", make_result(message=MARKDOWN_INJECTION, answer=MARKDOWN_INJECTION,
                                    output=MARKDOWN_INJECTION, actual=MARKDOWN_INJECTION))
    prose = outside_code_blocks(page)
    assert "**bold**" not in prose and "[link](" not in prose and "<script>" not in prose
    assert prose.count(r"\*\*bold\*\* \[link\](http://x) &lt;script&gt;") == 2
    assert f"```\n{MARKDOWN_INJECTION}\n```" in page  # printed output, shown verbatim as code


def test_markdown_keeps_a_backtick_laden_traceback_in_one_code_block(result):
    page = render("md", result)
    fence = "`" * 6  # one longer than the longest run inside
    assert f"{fence}\n{BACKTICK_TRACEBACK}\n{fence}\n" in page


def test_markdown_puts_multiline_student_text_on_one_line():
    # After <br> the text is still on the same Markdown line, so '#' and '-' stay inert.
    page = render("md", make_result(answer="first line\n\n    # not a heading\n- not a list"))
    assert "> first line<br><br>    # not a heading<br>- not a list\n" in page


def test_markdown_escapes_block_syntax_at_the_start_of_student_text():
    page = render("md", make_result(answer="# heading?\n1. list?"))
    assert "> \\# heading?<br>1. list?\n" in page
    assert "> 1\\. list?" in render("md", make_result(answer="1. list?"))


def test_user_template_folder_overrides_the_builtin(result, tmp_path):
    (tmp_path / "report.md.j2").write_text("Custom report for {{ result.name }}: "
                                           "{{ result.score|points }}\n", encoding="utf-8")
    written = formats()["md"](result, tmp_path / "out", [tmp_path])
    assert written.read_text(encoding="utf-8") == "Custom report for alice: 5.67\n"
    html = formats()["html"](result, tmp_path / "out", [tmp_path])  # no override: built-in
    assert "<!DOCTYPE html>" in html.read_text(encoding="utf-8")


@pytest.mark.parametrize(("text", "expected"), [
    ("a_b*c", r"a\_b\*c"),
    ("  1. item  ", r"1\. item"),
    ("<b>&amp;</b>", "&lt;b&gt;&amp;amp;&lt;/b&gt;"),
    ("x | y", r"x \| y"),
    ("a\r\nb", "a<br>b"),
])
def test_md_escape(text, expected):
    assert md_escape(text) == expected


def test_code_span_and_block_outrun_the_backticks_inside():
    assert code("a ``b`` c") == "```a ``b`` c```"
    assert code("`tick") == "`` `tick ``"
    assert codeblock("x = 1") == "```\nx = 1\n```"
    assert codeblock("````\ny\n").startswith("`````\n")


@pytest.mark.parametrize(("value", "text"), [(12.5, "12.5"), (12.0, "12"), (1 / 3, "0.33"),
                                             (0.0, "0"), (100, "100")])
def test_points_read_like_the_rubric(value, text):
    assert points(value) == text


# --- Gradescope ---------------------------------------------------------------------------

GRADESCOPE_SCHEMA = {
    "type": "object",
    "required": ["score", "execution_time", "output", "tests"],
    "properties": {
        "score": {"type": "number"},
        "execution_time": {"type": "number"},
        "output": {"type": "string"},
        "tests": {"type": "array", "items": {
            "type": "object",
            "required": ["number", "name", "score", "max_score", "output", "visibility",
                         "extra_data"],
            "additionalProperties": False,
            "properties": {
                "number": {"type": "string"},
                "name": {"type": "string"},
                "score": {"type": "number"},
                "max_score": {"type": "number"},
                "status": {"enum": ["passed", "failed"]},
                "output": {"type": "string"},
                "output_format": {"enum": ["text"]},
                "visibility": {"enum": ["visible"]},
                "extra_data": {"type": "object", "required": ["item_kind", "pending"],
                               "properties": {"item_kind": {"type": "string"},
                                              "pending": {"type": "boolean"}}},
            },
        }},
    },
}


def test_results_json_has_gradescopes_shape(result, tmp_path):
    data = json.loads(formats()["json"](result, tmp_path).read_text(encoding="utf-8"))
    jsonschema.validate(data, GRADESCOPE_SCHEMA)
    tests = {t["number"]: t for t in data["tests"]}
    assert list(tests) == ["p1.approach", "p1.softmax", "p1.reasons"]
    assert tests["p1.approach"]["status"] == "passed"
    assert tests["p1.softmax"]["status"] == "failed"
    assert "status" not in tests["p1.reasons"]
    assert tests["p1.reasons"]["extra_data"] == {"item_kind": "manual", "pending": True}
    assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))


def test_results_json_counts_a_merged_manual_grade():
    data = results_json(make_result(manual_score=2.5))
    manual = data["tests"][-1]
    assert manual["score"] == 2.5 and manual["status"] == "failed"
    assert manual["extra_data"]["pending"] is False
    assert data["score"] == pytest.approx(3 + 8 / 3 + 2.5, abs=0.01)
    assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))


def test_results_json_feedback_lines(result):
    output = results_json(result)["tests"][1]["output"]
    assert "✓ small" in output
    assert f"✗ large_logits: {SCRIPT}" in output  # plain text: Gradescope shows it as text
    assert "✗ hidden_batch (hidden): wrong result" in output
    assert "Likely mistake: subtract the largest logit" in output


# --- hidden cases and the terminal --------------------------------------------------------


def test_hidden_case_content_never_appears(result, tmp_path):
    """Even a hidden case that still carries its inputs (``for_hidden`` skipped) shows none."""
    texts = [writer(result, tmp_path).read_text(encoding="utf-8")
             for writer in formats().values()]
    for text in [*texts, terminal_summary(result)]:
        for secret in HIDDEN_SECRETS:
            assert secret not in text


def test_terminal_summary_is_a_plain_table(result):
    summary = terminal_summary(result)
    assert "\x1b" not in summary
    lines = summary.splitlines()
    assert any(line.startswith("p1.softmax") and "2.67 / 8" in line and line.endswith("partial")
               for line in lines)
    assert any(line.startswith("p1.reasons") and "- / 3" in line for line in lines)
    assert any(line.startswith("Total") and "5.67 / 14" in line for line in lines)
    assert "Graded by hand, still pending: 3 points" in summary
