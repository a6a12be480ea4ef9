"""The class summary: the numbers ClassSummary computes, and both templates that lay them out.

The records are built by hand over the shipped assignment 4 rubric, so every
expected number below can be checked with pencil and paper.
"""

from __future__ import annotations

import re
import statistics
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from markupsafe import escape

from grader.gradebook import ItemRecord, Record
from grader.reports import environment
from grader.reports.summary import ClassSummary, Trouble, write_summary

TITLE = "Assignment 4: neural-network basics"
HOSTILE_NAMES = ("<img src=x onerror=alert(1)>", "**x**[y](z)", "javascript:alert(1)")

FAY_PROBLEMS = ("p3.relu_grad crashed the worker", "p4.l2_update timed out")


def student(rubric, name: str, changes: dict[str, ItemRecord] | None = None, *,
            hand_graded: bool = True, error: str = "", problems: tuple[str, ...] = ()) -> Record:
    """Full marks on every item except those in ``changes``, totals summed as the batch does."""
    changes = changes or {}
    items = {}
    for item in rubric.items:
        if item.id in changes:
            items[item.id] = changes[item.id]
        elif item.automatic:
            items[item.id] = ItemRecord(item.points, "passed")
        else:
            items[item.id] = ItemRecord(item.points if hand_graded else 0.0,
                                        "graded" if hand_graded else "pending")
    automatic = round(sum(items[i.id].score for i in rubric.items if i.automatic), 2)
    total = round(sum(r.score for r in items.values()), 2)
    pending = any(r.status == "pending" for r in items.values())
    status = "error" if error else ("incomplete" if pending else "graded")
    return Record(name, total, automatic, round(total - automatic, 2), rubric.max_score, status,
                  items, error, problems)


@pytest.fixture
def records(assignment4) -> list[Record]:
    """Six students: perfect, two known mistakes each, a broken upload, a timeout and a crash."""
    rubric = assignment4
    return [
        student(rubric, "ada"),  # 100%
        student(rubric, "ben", {  # 77.62%, hand grading pending
            "p2.count_parameters": ItemRecord(1.33, "partial", ("no_biases",),
                                              ("[784, 128, 10]", "[2, 1]", "[10, 10, 10, 10]")),
            "p2.n_params": ItemRecord(0.0, "failed", ("no_biases",)),
            "p3.relu_grad": ItemRecord(2.29, "partial", ("one_at_zero",),
                                       ("a scalar 0", "a batch with zeros")),
        }, hand_graded=False),
        student(rubric, "cy", {  # 79%
            "p2.forward": ItemRecord(0.0, "failed", ("sigmoid",),
                                     ("random weights, seed 1", "random weights, seed 2",
                                      "negative weights clip every hidden unit",
                                      "random input with biases")),
            "p2.f_all_ones": ItemRecord(0.0, "failed", ("sigmoid",)),
        }),
        student(rubric, "dee", {  # 94.15%
            "p1.softmax": ItemRecord(4.44, "partial", ("overflow",),
                                     ("large logits in a batch", "very negative logits")),
            "p3.relu_grad": ItemRecord(5.71, "partial", ("one_at_zero",), ("a scalar 0",)),
        }),
        student(rubric, "eve", {i.id: ItemRecord(0.0, "not run") for i in rubric.items},
                error="no Python files found in the submission"),  # 0%
        student(rubric, "fay", {  # 79%, hand grading pending
            "p1.softmax": ItemRecord(0.0, "crashed"),
            "p3.relu_grad": ItemRecord(0.0, "timeout", (),
                                       ("a random matrix with exact zeros", "a scalar 0",
                                        "a batch with zeros", "a positive scalar")),
        }, hand_graded=False, problems=FAY_PROBLEMS),
    ]


@pytest.fixture
def summary(assignment4, records) -> ClassSummary:
    return ClassSummary.of(assignment4, records)


@pytest.fixture
def pages(assignment4, records, tmp_path) -> dict[str, str]:
    return rendered(assignment4, records, tmp_path)


def rendered(rubric, records: list[Record], out) -> dict[str, str]:
    """Both summary files, written the way the batch writes them."""
    paths = write_summary(out, rubric, records)
    assert sorted(p.name for p in paths) == ["summary.html", "summary.md"]
    return {p.suffix[1:]: p.read_text(encoding="utf-8") for p in paths}


def text_of(html: str) -> str:
    """The visible text of an HTML fragment, tags dropped and whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def section(html: str, heading_id: str) -> str:
    match = re.search(rf'<section[^>]*aria-labelledby="{heading_id}">(.*?)</section>', html,
                      re.DOTALL)
    assert match, f"no section {heading_id!r}"
    return match.group(1)


def table_row(html: str, containing: str) -> str:
    rows = [row for row in re.findall(r"<tr>(.*?)</tr>", html, re.DOTALL) if containing in row]
    assert len(rows) == 1, f"expected one row with {containing!r}, found {len(rows)}"
    return text_of(rows[0])


class PageParser(HTMLParser):
    """Collects the start tags, link targets and text of a page, as a browser would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.hrefs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.hrefs += [value for name, value in attrs if name == "href"]

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> PageParser:
    parser = PageParser()
    parser.feed(html)
    parser.close()
    return parser


# --- the numbers ----------------------------------------------------------------------------


def test_histogram_puts_each_student_in_the_bin_of_their_percent(summary):
    assert [b.count for b in summary.histogram] == [1, 0, 0, 0, 0, 0, 0, 3, 0, 2]
    assert [b.label for b in summary.histogram][::3] == ["0–10%", "30–40%", "60–70%", "90–100%"]
    assert [b.share for b in summary.histogram if b.count] == pytest.approx([1 / 3, 1, 2 / 3])


def test_a_full_score_lands_in_the_top_bin_and_a_bin_edge_in_the_bin_above(assignment4):
    full = student(assignment4, "full")
    seventy = student(assignment4, "seventy", {"p2.forward": ItemRecord(2.0, "partial"),
                                               "p4.l2_update": ItemRecord(0.0, "failed"),
                                               "p2.n_params": ItemRecord(1.0, "partial"),
                                               "p1.reasons": ItemRecord(1.0, "graded")})
    assert seventy.percent == 70.0
    counts = [b.count for b in ClassSummary.of(assignment4, [full, seventy]).histogram]
    assert counts == [0, 0, 0, 0, 0, 0, 0, 1, 0, 1]


def test_mean_median_and_extremes_are_of_the_percentages(summary, records):
    percents = [100.0, 77.62, 79.0, 94.15, 0.0, 79.0]
    assert [r.percent for r in records] == pytest.approx(percents)
    assert summary.students == 6
    assert summary.mean == pytest.approx(statistics.fmean(percents))
    assert summary.mean == pytest.approx(71.628333, abs=1e-6)
    assert summary.median == 79.0
    assert (summary.lowest, summary.highest) == (0.0, 100.0)


def test_item_stats_give_mean_full_marks_share_and_problems(summary):
    stats = {s.id: s for s in summary.items}
    assert list(stats)[:3] == ["p1.approach", "p1.one_hot", "p1.softmax"]  # rubric order
    relu_grad = stats["p3.relu_grad"]
    assert (relu_grad.title, relu_grad.points) == ("relu_grad(z), the derivative f'(z)", 8.0)
    assert relu_grad.mean == pytest.approx((8 + 2.29 + 8 + 5.71 + 0 + 0) / 6)
    assert relu_grad.full_share == pytest.approx(2 / 6)
    assert relu_grad.problems == 1  # fay's timeout; eve's "not run" is not a problem of the item
    assert stats["p1.softmax"].problems == 1  # fay's crash
    assert stats["p2.n_params"].mean == pytest.approx(20 / 6)
    assert stats["p2.n_params"].full_share == pytest.approx(4 / 6)
    assert stats["p3.relu"].full_share == pytest.approx(5 / 6)
    reasons = stats["p1.reasons"]
    assert not reasons.automatic
    assert (reasons.mean, reasons.full_share) == (pytest.approx(1.5), pytest.approx(0.5))


def test_mistakes_count_students_per_misconception_most_frequent_first(summary, assignment4):
    counts = {(m.item, m.id): m.students for m in summary.mistakes}
    assert counts == {("p3.relu_grad", "one_at_zero"): 2, ("p2.count_parameters", "no_biases"): 1,
                      ("p2.n_params", "no_biases"): 1, ("p2.forward", "sigmoid"): 1,
                      ("p2.f_all_ones", "sigmoid"): 1, ("p1.softmax", "overflow"): 1}
    first = summary.mistakes[0]
    assert (first.item, first.id, first.students) == ("p3.relu_grad", "one_at_zero", 2)
    relu_grad = next(i for i in assignment4.items if i.id == "p3.relu_grad")
    assert first.hint == next(m.hint for m in relu_grad.misconceptions if m.id == "one_at_zero")
    assert first.hint.startswith("relu_grad(0) = 1 is a valid subgradient")


def test_hidden_failures_are_the_ten_most_failed_cases_in_order(summary):
    failures = summary.hidden_failures
    assert len(failures) == 10  # 13 distinct hidden cases failed; the summary keeps ten
    assert [(f.item, f.case, f.students) for f in failures[:2]] == [
        ("p3.relu_grad", "a scalar 0", 3), ("p3.relu_grad", "a batch with zeros", 2)]
    counts = [f.students for f in failures]
    assert counts == sorted(counts, reverse=True)
    assert set(counts[2:]) == {1}


def test_trouble_lists_errored_timed_out_and_crashed_submissions_by_name(summary):
    assert summary.trouble == (Trouble("eve", "no Python files found in the submission"),
                               Trouble("fay", "; ".join(FAY_PROBLEMS)))


def test_pending_manual_counts_students_with_hand_grading_left(summary):
    assert summary.pending_manual == 2  # ben and fay; eve could not be graded at all


def test_no_students_gives_zeros_not_errors(assignment4):
    empty = ClassSummary.of(assignment4, [])
    assert empty.students == 0
    assert (empty.mean, empty.median, empty.lowest, empty.highest) == (0.0, 0.0, 0.0, 0.0)
    assert [b.count for b in empty.histogram] == [0] * 10
    assert len(empty.items) == len(assignment4.items)
    assert all(s.mean == 0.0 and s.full_share == 0.0 for s in empty.items)
    assert empty.mistakes == empty.hidden_failures == empty.trouble == ()


# --- the HTML page --------------------------------------------------------------------------


def test_html_header_shows_title_students_stat_tiles_and_pending(pages):
    page = pages["html"]
    assert f"<title>{TITLE}: class summary</title>" in page
    assert f"<h1>{TITLE}</h1>" in page
    tiles = dict(re.findall(r'<span class="tile-label">([^<]+)</span>'
                            r'<span class="tile-value">([^<]+)</span>', page))
    assert tiles == {"Students": "6", "Mean": "71.6%", "Median": "79%", "Lowest": "0%",
                     "Highest": "100%", "To grade": "2"}
    assert "2 students still have hand-graded items to grade." in text_of(page)
    assert 'href="manual_template.csv"' in page


def test_html_histogram_is_an_accessible_inline_svg_of_the_bins(pages):
    page = pages["html"]
    svg = re.search(r"<svg (.*?)>(.*?)</svg>", page, re.DOTALL)
    assert svg, "no inline SVG"
    attributes, body = svg.groups()
    assert 'role="img"' in attributes
    label = re.search(r'aria-label="([^"]+)"', attributes).group(1)
    assert "3 students scored 70–80%" in label and "1 student scored 0–10%" in label
    assert body.lstrip().startswith(f"<title>{label}</title>")
    assert body.count("<rect") == 10
    heights = [float(h) for h in re.findall(r'<rect[^>]*height="([\d.]+)"', body)]
    assert heights[7] == max(heights) and heights[9] == pytest.approx(heights[7] * 2 / 3)
    assert heights[1:7] == [0.0] * 6
    counts = re.findall(r'<text class="count[^"]*"[^>]*>(\d+)</text>', body)
    assert counts == ["1", "0", "0", "0", "0", "0", "0", "3", "0", "2"]
    assert "0–10" in text_of(body) and "90–100" in text_of(body)
    # the same numbers for screen readers, in a visually hidden table
    table = re.search(r'<table class="sr-only">(.*?)</table>', page, re.DOTALL).group(1)
    assert "<tr><td>70–80%</td><td>3</td></tr>" in table
    assert table.count("<tr><td>") == 10


def test_html_item_table_shows_points_mean_full_marks_and_problems(pages):
    items = section(pages["html"], "items-title")
    assert table_row(items, "p3.relu_grad") == \
        "relu_grad(z), the derivative f&#39;(z) p3.relu_grad 8 4 / 8 33.3% ⚠ 1"
    assert table_row(items, "p3.relu<") == "relu(z) p3.relu 4 3.33 / 4 83.3% –"
    assert table_row(items, "p1.reasons") == \
        "Why classification is better (free text) by hand p1.reasons 3 1.5 / 3 50% –"
    bar = re.search(r'p3.relu_grad.*?class="meter-fill tone-(\w+)" style="width: ([\d.]+)%"',
                    items, re.DOTALL)
    assert bar.groups() == ("bad", "33.3")


def test_html_lists_common_mistakes_with_counts_and_hints(pages, summary):
    mistakes = section(pages["html"], "mistakes-title")
    entries = re.findall(r"<li>(.*?)</li>", mistakes, re.DOTALL)
    assert len(entries) == len(summary.mistakes) == 6
    first = text_of(entries[0])
    assert first.startswith("one_at_zero 2 students · 33.3% in p3.relu_grad · relu_grad(z)")
    assert str(escape(summary.mistakes[0].hint)) in entries[0]
    assert any("sigmoid" in e and "p2.forward" in e for e in entries)


def test_html_lists_hidden_checks_most_failed_first(pages):
    hidden = section(pages["html"], "hidden-title")
    rows = [text_of(r) for r in re.findall(r"<tr>(.*?)</tr>", hidden, re.DOTALL)][1:]
    assert len(rows) == 10
    assert rows[0].endswith("p3.relu_grad a scalar 0 3 of 6")
    assert rows[1].endswith("p3.relu_grad a batch with zeros 2 of 6")


def test_html_links_each_submission_that_needs_a_look_to_its_report(pages):
    trouble = section(pages["html"], "trouble-title")
    assert re.findall(r'<a class="trouble-name" href="([^"]+)">([^<]+)</a>', trouble) == [
        ("eve/report.html", "eve"), ("fay/report.html", "fay")]
    assert "no Python files found in the submission" in trouble  # an error, as it is
    assert "; ".join(FAY_PROBLEMS) in trouble


def test_html_is_self_contained_with_the_report_csp(pages):
    page = pages["html"]
    parsed = parse(page)
    assert "script" not in parsed.tags and "link" not in parsed.tags and "img" not in parsed.tags
    assert "default-src 'none'; style-src 'unsafe-inline'" in page
    assert not re.search(r"(?:src|href)=\"(?:https?:)?//", page)
    assert all(not urlsplit(href).scheme for href in parsed.hrefs)


# --- the Markdown page ----------------------------------------------------------------------


def test_markdown_has_stats_histogram_and_items(pages):
    md = pages["md"]
    assert md.startswith(f"# {TITLE}: class summary\n")
    assert "| **71.6%** | **79%** | **0%** | **100%** | 2 students |" in md
    assert "\n 70–80% │" + "█" * 24 + " 3\n" in md
    assert "\n90–100% │" + "█" * 16 + " 2\n" in md
    assert "\n 10–20% │ 0\n" in md
    assert "| p3.relu\\_grad | relu\\_grad(z), the derivative f'(z) | 8 | 4 | 33.3% | 1 |" in md
    assert "| p1.reasons | Why classification is better (free text) _(by hand)_ | 3 | 1.5 |" in md


def test_markdown_lists_mistakes_hidden_failures_and_trouble(pages, summary):
    md = pages["md"]
    assert ("- **one\\_at\\_zero** in p3.relu\\_grad (relu\\_grad(z), the derivative f'(z)): "
            "**2 students** (33.3%)") in md
    assert "  > relu\\_grad(0) = 1 is a valid subgradient" in md
    assert md.count("\n- **") == len(summary.mistakes)
    hidden = md.split("## Hidden checks most often failed")[1].split("##")[0]
    assert hidden.index("| p3.relu\\_grad | a scalar 0 | 3 of 6 |") < \
        hidden.index("| p3.relu\\_grad | a batch with zeros | 2 of 6 |")
    assert "- [eve](eve/report.md): no Python files found in the submission" in md
    assert ("- [fay](fay/report.md): p3.relu\\_grad crashed the worker; "
            "p4.l2\\_update timed out") in md


# --- student names are student-controlled ---------------------------------------------------


@pytest.fixture
def hostile_pages(assignment4, tmp_path) -> dict[str, str]:
    records = [student(assignment4, name, {"p3.relu_grad": ItemRecord(0.0, "timeout")},
                       problems=("p3.relu_grad timed out",)) for name in HOSTILE_NAMES]
    return rendered(assignment4, records, tmp_path)


def test_html_shows_hostile_names_as_text_and_links_them_relatively(hostile_pages):
    page = hostile_pages["html"]
    parsed = parse(page)
    assert "img" not in parsed.tags
    assert "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    shown = {t.strip() for t in parsed.text}
    assert set(HOSTILE_NAMES) <= shown  # each name is shown literally, as text
    links = [h for h in parsed.hrefs if h.endswith("/report.html")]
    assert sorted(links) == sorted(3 * [  # students list; trouble: the name and "Open report"
        "%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E/report.html",
        "%2A%2Ax%2A%2A%5By%5D%28z%29/report.html",
        "javascript%3Aalert%281%29/report.html"])
    assert all(not urlsplit(h).scheme and not urlsplit(h).netloc for h in parsed.hrefs)


def test_markdown_escapes_hostile_names_in_link_text_and_target(hostile_pages):
    md = hostile_pages["md"]
    assert "<img" not in md and "**x**" not in md and "[y](z)" not in md
    links = re.findall(r"^- (.*): p3\.relu\\_grad timed out$", md, re.MULTILINE)
    assert sorted(links) == sorted([
        "[&lt;img src=x onerror=alert(1)&gt;]"
        "(%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E/report.md)",
        "[\\*\\*x\\*\\*\\[y\\](z)](%2A%2Ax%2A%2A%5By%5D%28z%29/report.md)",
        "[javascript:alert(1)](javascript%3Aalert%281%29/report.md)"])


# --- empty classes and empty sections -------------------------------------------------------


def test_zero_students_render_friendly_lines_instead_of_numbers(assignment4, tmp_path):
    pages = rendered(assignment4, [], tmp_path)
    page, md = pages["html"], pages["md"]
    assert "<svg" not in page
    assert "No submissions have been graded yet" in page
    assert re.findall(r'<span class="tile-value">([^<]+)</span>', page) == \
        ["0", "–", "–", "–", "–", "0"]
    assert "Nothing to look at yet." in page
    assert "_No submissions have been graded yet._" in md
    assert "_No scores yet._" in md
    for text in (page, md):
        assert "nan" not in text.lower().replace("nanosecond", "")
        assert "0 students graded" in text_of(text).replace("**", "")


def test_a_class_without_trouble_says_so_in_every_section(assignment4, tmp_path):
    pages = rendered(assignment4, [student(assignment4, "ada")], tmp_path)
    for text in (text_of(pages["html"]), pages["md"]):
        assert "No known misconception showed up in any submission." in text
        assert "Every hidden check passed for every student." in text
        assert "Every submission was graded without errors, timeouts or crashes." in text
    assert "manual_template.csv" not in pages["html"]  # nothing pending, no call to action


def test_student_list_renders_once_the_summary_carries_records(assignment4, records):
    """The template lists every student when ClassSummary has ``records`` (see summary.py)."""

    class WithRecords:
        def __init__(self, summary: ClassSummary, records: list[Record]) -> None:
            self._summary, self.records = summary, tuple(records)

        def __getattr__(self, name: str):
            return getattr(self._summary, name)

    named = [*records, student(assignment4, HOSTILE_NAMES[0])]
    summary = WithRecords(ClassSummary.of(assignment4, named), named)
    page = environment("html").get_template("summary.html.j2").render(summary=summary)
    roster = section(page, "students-title")
    assert [text_of(r).split(" ")[0] for r in re.findall(r"<tr>(.*?)</tr>", roster,
                                                         re.DOTALL)][1:] == \
        ["&lt;img", "ada", "ben", "cy", "dee", "eve", "fay"]
    assert table_row(roster, ">ben<") == "ben 77.62 / 100 77.6% ○ hand grading pending"
    assert table_row(roster, ">eve<") == "eve 0 / 100 0% ✗ not graded"
    assert "<img" not in page
    md = environment("md").get_template("summary.md.j2").render(summary=summary)
    assert "| [ada](ada/report.md) | 100 / 100 | 100% | ✓ graded |" in md
    assert "| [&lt;img src=x onerror=alert(1)&gt;](%3Cimg" in md


def test_a_record_survives_its_state_file(assignment4):
    """What a batch writes to a state file (Record.to_json) reads back as the same record."""
    import json

    record = student(assignment4, "fay", {
        "p3.relu_grad": ItemRecord(2.29, "partial", ("one_at_zero",), ("a scalar 0", "[2, 1]")),
        "p4.l2_update": ItemRecord(0.0, "timeout")}, error="", problems=FAY_PROBLEMS)
    text = json.dumps(record.to_json())
    assert Record.from_json(json.loads(text)) == record
    assert json.loads(text)["items"]["p3.relu_grad"] == {
        "score": 2.29, "status": "partial", "misconceptions": ["one_at_zero"],
        "failed_hidden": ["a scalar 0", "[2, 1]"]}
