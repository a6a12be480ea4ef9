"""A real browser opens what a batch wrote: the class summary and a student's report.

The five example submissions are graded for real (fork-server workers, about
5 s), then headless Chromium loads the files and dumps the DOM it built, so
these tests see the page after parsing, as an instructor's browser does.
Without Chromium they are skipped, with the reason, never passed.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

from grader.batch import grade_batch
from tests.conftest import EXAMPLES

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
STUDENTS = ("alice_perfect", "bob_forgot_biases", "carol_sigmoid", "dave_unstable_softmax",
            "erin_broken")
TIMEOUT = 60


def find_browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip(f"chromium not installed: none of {', '.join(BROWSERS)} is on PATH "
                "(apt-get install chromium to run the browser checks)")


@pytest.fixture(scope="module")
def browser() -> str:
    return find_browser()


@pytest.fixture(scope="module")
def class_out(tmp_path_factory, assignment4, browser) -> Path:
    """The examples graded as one batch (only once a browser is known to be there)."""
    out = tmp_path_factory.mktemp("class")
    result = grade_batch(sorted(EXAMPLES.iterdir()), assignment4, out, log=lambda line: None)
    assert sorted(r.name for r in result.records) == list(STUDENTS)
    return out


def run_browser(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--disable-component-update",
               "--no-first-run", "--hide-scrollbars", f"--user-data-dir={profile}", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    assert done.returncode == 0, f"{browser} failed ({done.returncode}):\n{done.stderr[-2000:]}"
    return done


def dump_dom(browser: str, page: Path, profile: Path) -> str:
    dom = run_browser(browser, profile, "--dump-dom", page.as_uri()).stdout
    assert "</html>" in dom, f"no DOM dumped for {page}"
    return dom


@pytest.fixture(scope="module")
def summary_dom(browser, class_out, tmp_path_factory) -> str:
    return dump_dom(browser, class_out / "summary.html", tmp_path_factory.mktemp("profile"))


def section(dom: str, heading_id: str) -> str:
    match = re.search(rf'<section[^>]*aria-labelledby="{heading_id}">(.*?)</section>', dom,
                      re.DOTALL)
    assert match, f"the summary has no section {heading_id!r}"
    return match.group(1)


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_summary_renders_title_and_class_statistics(summary_dom, assignment4):
    assert f"<title>{assignment4.title}: class summary</title>" in summary_dom
    assert f"<h1>{assignment4.title}</h1>" in summary_dom
    text = text_of(summary_dom)
    # alice 95, bob 77.62, carol 74, dave 71.87, erin 67 (pinned in test_examples.py)
    for stat in ("Students 5 graded", "Mean 77.1%", "Median 74%", "Lowest 67%", "Highest 95%"):
        assert stat in text


def test_summary_histogram_is_an_svg_with_one_bar_per_bin(summary_dom):
    svg = re.search(r'<svg class="hist" (.*?)>(.*?)</svg>', summary_dom, re.DOTALL)
    assert svg, "no histogram <svg> in the rendered page"
    attributes, body = svg.groups()
    assert 'role="img"' in attributes and "aria-label=" in attributes
    assert "<title>" in body
    assert body.count("<rect") == 10
    counts = re.findall(r'<text class="count[^"]*"[^>]*>(\d+)</text>', body)
    assert counts == ["0", "0", "0", "0", "0", "0", "1", "3", "0", "1"]


def test_summary_names_the_common_mistakes(summary_dom):
    mistakes = text_of(section(summary_dom, "mistakes-title"))
    for misconception in ("sigmoid", "no_biases", "overflow", "sign_error", "one_at_zero"):
        assert misconception in mistakes
    assert "it uses a sigmoid where this network uses ReLU" in mistakes


def test_summary_flags_erin_with_a_working_link_to_her_report(summary_dom, class_out):
    trouble = section(summary_dom, "trouble-title")
    assert "erin_broken" in text_of(trouble)
    assert 'href="erin_broken/report.html"' in trouble
    for student in STUDENTS[:4]:
        assert student not in trouble
    for href in re.findall(r'href="([^"]+)"', summary_dom):
        assert (class_out / unquote(href)).is_file(), f"broken link {href}"


def test_summary_names_every_student(summary_dom):
    text = text_of(summary_dom)
    assert [s for s in STUDENTS if s not in text] == []


def test_student_report_renders_score_and_item_titles(browser, class_out, assignment4,
                                                      tmp_path):
    dom = dump_dom(browser, class_out / "alice_perfect" / "report.html", tmp_path / "profile")
    text = text_of(dom)
    assert f"<h1>{assignment4.title}</h1>" in dom
    assert "alice_perfect" in text
    assert "95 / 100" in text
    titles = [text_of(t) for t in re.findall(r'<h2 id="item-\d+-title">(.*?)</h2>', dom)]
    assert len(titles) == len(assignment4.items)
    assert "forward(u, W1, b1, W2, b2, W3, b3) for the 4-2-3-1 ReLU network" in titles
    assert "relu_grad(z), the derivative f'(z)" in titles


def test_summary_screenshot_is_a_real_picture(browser, class_out, tmp_path):
    png = tmp_path / "summary.png"
    run_browser(browser, tmp_path / "profile", f"--screenshot={png}", "--window-size=1200,1600",
                (class_out / "summary.html").as_uri())
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    assert (width, height) == (1200, 1600)
    assert len(data) > 50_000  # a blank page of this size compresses to a few kilobytes
