"""Batch grading: a class in one call, resumable, one bad submission never hurting others."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from grader.batch import STATE_FILE, grade_batch
from grader.cli import main
from tests.conftest import EXAMPLES, ROOT

STUDENTS = sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir())


def _class(tmp_path: Path, copies: int = 1) -> Path:
    """A class folder: the examples (``copies`` times each), one as a zip, one corrupt zip."""
    root = tmp_path / "class"
    root.mkdir()
    for i in range(copies):
        for name in STUDENTS:
            shutil.copytree(EXAMPLES / name, root / (name if i == 0 else f"{name}_{i}"))
    with zipfile.ZipFile(root / "zoe_zipped.zip", "w") as z:
        for file in (EXAMPLES / "alice_perfect").iterdir():
            z.write(file, f"zoe/{file.name}")
    (root / "yann_corrupt.zip").write_bytes(b"PK\x03\x04 this is not really a zip")
    return root


def _gradebook(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "gradebook.csv", newline="") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory, assignment4):
    tmp = tmp_path_factory.mktemp("batch")
    root = _class(tmp)
    out = tmp / "out"
    result = grade_batch(sorted(root.iterdir()), assignment4, out, jobs=2)
    return root, out, result


def test_every_submission_gets_its_reports_and_a_gradebook_row(graded_class):
    _, out, result = graded_class
    names = set(STUDENTS) | {"zoe_zipped", "yann_corrupt"}
    assert {r.name for r in result.records} == names
    for name in names:
        for report in ("report.html", "report.md", "results.json", STATE_FILE):
            assert (out / name / report).is_file(), (name, report)
    book = _gradebook(out)
    assert set(book) == names
    assert book["alice_perfect"]["automatic"] == "95" and book["alice_perfect"]["status"] \
        == "incomplete"
    assert book["zoe_zipped"]["total"] == "95"
    assert book["bob_forgot_biases"]["p2.count_parameters"] == "1.33"
    assert book["yann_corrupt"]["status"] == "error" and book["yann_corrupt"]["total"] == "0"


def test_a_corrupt_zip_gets_a_report_that_says_what_went_wrong(graded_class):
    _, out, _ = graded_class
    page = (out / "yann_corrupt" / "report.html").read_text()
    assert "not a readable zip file" in page
    gradescope = json.loads((out / "yann_corrupt" / "results.json").read_text())
    assert gradescope["score"] == 0


def test_gradebook_json_and_manual_template_cover_every_student(graded_class, assignment4):
    _, out, _ = graded_class
    book = json.loads((out / "gradebook.json").read_text())
    assert book["assignment"] == "assignment4" and len(book["students"]) == 7
    with open(out / "manual_template.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 7 * 2
    assert {r["item"] for r in rows} == {"p1.reasons", "p4.explanation"}


def test_rerunning_grades_only_what_changed(graded_class, assignment4, tmp_path):
    root, out, _ = graded_class
    work = tmp_path / "class"
    shutil.copytree(root, work)
    out2 = tmp_path / "out"
    shutil.copytree(out, out2)
    sources = sorted(work.iterdir())
    again = grade_batch(sources, assignment4, out2, jobs=2)
    assert (again.graded, again.reused) == (0, 7)
    source = work / "bob_forgot_biases" / "problem2.py"
    source.write_text(source.read_text().replace("N_PARAMS = 17", "N_PARAMS = 23"))
    changed = grade_batch(sources, assignment4, out2, jobs=2)
    assert (changed.graded, changed.reused) == (1, 6)
    assert _gradebook(out2)["bob_forgot_biases"]["p2.n_params"] == "5"
    forced = grade_batch(sources, assignment4, out2, jobs=2, force=True)
    assert (forced.graded, forced.reused) == (7, 0)


def test_hand_grades_merge_into_totals_reports_and_gradebook(graded_class, assignment4, tmp_path):
    root, out, _ = graded_class
    grades = tmp_path / "manual.csv"
    grades.write_text("student,item,points,comment\n"
                      "alice_perfect,p1.reasons,3,Clear and complete\n"
                      "alice_perfect,p4.explanation,1.5,Mention the shrinking factor\n"
                      "bob_forgot_biases,p1.reasons,,\n")
    out2 = tmp_path / "out"
    shutil.copytree(out, out2)
    result = grade_batch(sorted(root.iterdir()), assignment4, out2, manual=grades)
    assert result.graded == 1  # only alice's inputs changed
    alice = _gradebook(out2)["alice_perfect"]
    assert (alice["total"], alice["manual"], alice["status"]) == ("99.5", "4.5", "graded")
    report = (out2 / "alice_perfect" / "report.html").read_text()
    assert "Clear and complete" in report
    template = (out2 / "manual_template.csv").read_text()
    assert "alice_perfect,p1.reasons,3.0,Clear and complete" in template


@pytest.mark.parametrize("row, problem", [
    ("mallory,p1.reasons,2,", "unknown student 'mallory'"),
    ("alice_perfect,p9.nothing,2,", "'p9.nothing' is an unknown item"),
    ("alice_perfect,p2.forward,2,", "'p2.forward' is an automatic item"),
    ("alice_perfect,p1.reasons,4,", "points 4 out of range for p1.reasons (0 to 3)"),
    ("alice_perfect,p1.reasons,-1,", "points -1 out of range"),
    ("alice_perfect,p1.reasons,three,", "points 'three' is not a number"),
    ("alice_perfect,p1.reasons,1,\nalice_perfect,p1.reasons,2,", "a second grade for"),
])
def test_a_bad_hand_grade_row_is_an_error_naming_the_row(graded_class, tmp_path, capsys, row,
                                                         problem):
    root, _, _ = graded_class
    grades = tmp_path / "manual.csv"
    grades.write_text("student,item,points,comment\n" + row + "\n")
    code = main(["--batch", str(root), "--out", str(tmp_path / "out"), "--manual", str(grades)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{grades}:" in err and problem in err


def test_a_manual_file_without_the_right_columns_is_an_error(graded_class, tmp_path, capsys):
    root, _, _ = graded_class
    grades = tmp_path / "manual.csv"
    grades.write_text("name,score\nalice,3\n")
    assert main(["--batch", str(root), "--out", str(tmp_path / "o"), "--manual", str(grades)]) == 2
    assert "missing: student, item, points" in capsys.readouterr().err


def test_hostile_submissions_do_not_change_anyone_elses_result(assignment4, tmp_path):
    root = tmp_path / "class"
    shutil.copytree(EXAMPLES / "alice_perfect", root / "alice_perfect")
    shutil.copytree(EXAMPLES / "bob_forgot_biases", root / "bob_forgot_biases")
    hostile = {
        "sleeper": "import time\ntime.sleep(10**6)\n",
        "hog": "blocks = []\nwhile True:\n    blocks.append(bytearray(50 * 2**20))\n",
        "flood": "while True:\n    print('spam ' * 1000)\n",
    }
    for name, body in hostile.items():
        (root / name).mkdir()
        (root / name / "problem1.py").write_text(body)
        for module in ("problem2", "problem3", "problem4"):
            shutil.copy(EXAMPLES / "alice_perfect" / f"{module}.py", root / name)
        shutil.copy(EXAMPLES / "alice_perfect" / "utils.py", root / name)
    alone = grade_batch([root / "alice_perfect", root / "bob_forgot_biases"], assignment4,
                        tmp_path / "alone")
    together = grade_batch(sorted(root.iterdir()), assignment4, tmp_path / "together", jobs=2)
    by_name = {r.name: r for r in together.records}
    for r in alone.records:
        assert by_name[r.name] == r
    for name in hostile:
        record = by_name[name]
        assert record.items["p1.softmax"].status in ("timeout", "error", "crashed")
        assert record.automatic == 95 - 17  # only problem1's automatic items lost
    assert by_name["sleeper"].items["p1.approach"].status == "timeout"


def test_killing_a_batch_loses_nothing_and_the_rerun_finishes_the_rest(tmp_path, assignment4):
    root = _class(tmp_path, copies=8)
    (root / "yann_corrupt.zip").unlink()
    total = len(list(root.iterdir()))
    out = tmp_path / "out"
    env = {**os.environ, "CI": "1"}
    command = [sys.executable, "-m", "grader", "--batch", str(root), "--out", str(out),
               "--jobs", "2", "--quiet"]
    proc = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while len(list(out.glob(f"*/{STATE_FILE}"))) < 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = {p.parent.name: p.stat().st_mtime_ns for p in out.glob(f"*/{STATE_FILE}")}
    assert 5 <= len(done_before) < total, "the batch should have been killed midway"

    rerun = subprocess.run(command[:-1], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert f"Graded {total - len(done_before)} submission(s), {len(done_before)} already" \
        in rerun.stdout
    for name, mtime in done_before.items():  # graded exactly once: not touched again
        assert (out / name / STATE_FILE).stat().st_mtime_ns == mtime

    reference = tmp_path / "uninterrupted"
    grade_batch(sorted(root.iterdir()), assignment4, reference, jobs=2)
    assert _gradebook(out) == _gradebook(reference)
    for name in _gradebook(reference):
        ours = json.loads((out / name / "results.json").read_text())
        theirs = json.loads((reference / name / "results.json").read_text())
        for result in (ours, theirs):
            result.pop("execution_time")
        assert ours == theirs


def _orphans() -> list[str]:
    """Grader processes (lanes, fork servers, workers, algebra) whose parent is gone."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                command = f.read().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue
        if ppid == 1 and ("grader.worker" in command or "grader.algebra" in command
                          or "-m grader" in command):
            found.append(command)
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ctrl_c_stops_every_process_at_once_and_keeps_what_was_graded(tmp_path, assignment4):
    root = _class(tmp_path, copies=8)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "grader", "--batch", str(root), "--out", str(out),
               "--jobs", "2", "--quiet"]
    # Its own session, as a terminal's foreground job is: Ctrl-C reaches the whole group.
    # SIGINT's default action restored: a test run started in the background ignores it,
    # and children inherit that.
    proc = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "CI": "1"},
                            start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while len(list(out.glob(f"*/{STATE_FILE}"))) < 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert stderr == "grade: interrupted\n"  # no tracebacks from lanes or helper processes
    graded = sorted(p.parent.name for p in out.glob(f"*/{STATE_FILE}"))
    assert 5 <= len(graded) < len(list(root.iterdir()))
    assert sorted(_gradebook(out)) == graded  # the gradebook holds everything graded so far
    time.sleep(0.5)
    assert _orphans() == []
