"""The grade command as a user runs it: real processes, real files, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import pytest

from tests.conftest import EXAMPLES, ROOT


def grade(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_grading_one_folder_prints_a_summary_and_writes_three_reports(tmp_path):
    done = grade(EXAMPLES / "bob_forgot_biases", "--out", tmp_path)
    assert done.returncode == 0, done.stderr
    assert "p2.count_parameters" in done.stdout and "77.62 / 100" in done.stdout
    assert "Graded by hand, still pending: 5 points" in done.stdout
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["score"] == 77.62 and len(results["tests"]) == 16
    assert (tmp_path / "report.html").stat().st_size > 10_000
    assert "Likely mistake" in (tmp_path / "report.md").read_text()


def test_a_zip_grades_like_its_folder(tmp_path):
    archive = tmp_path / "carol.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for file in (EXAMPLES / "carol_sigmoid").iterdir():
            z.write(file, f"carol_sigmoid/{file.name}")
    done = grade(archive, "--out", tmp_path / "out", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "out" / "results.json").read_text())["score"] == 74


def test_fail_under_sets_exit_code_1(tmp_path):
    done = grade(EXAMPLES / "carol_sigmoid", "--out", tmp_path, "--fail-under", "80")
    assert done.returncode == 1
    assert "below --fail-under 80%" in done.stdout
    assert grade(EXAMPLES / "carol_sigmoid", "--out", tmp_path, "--fail-under", "70",
                 "--quiet").returncode == 0


@pytest.mark.parametrize("args, message", [
    (["no/such/folder"], "no/such/folder: does not exist"),
    (["README.md"], "README.md: is neither a folder nor a .zip file"),
    ([EXAMPLES / "alice_perfect", "--format", "pdf"], "unknown format 'pdf'"),
    ([EXAMPLES / "alice_perfect", "--rubric", "no/rubric"], "no/rubric: no such rubric file"),
    ([EXAMPLES / "alice_perfect", "--executor", "docker"], "unknown executor 'docker'"),
    ([], "name a submission folder or .zip, or --batch ROOT"),
])
def test_bad_input_is_one_clear_error_and_exit_code_2(args, message, tmp_path):
    done = grade(*args, "--out", tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("grade: error: ") and message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_corrupt_zip_is_an_error_naming_the_file(tmp_path):
    bad = tmp_path / "broken.zip"
    bad.write_bytes(b"PK\x03\x04 truncated")
    done = grade(bad, "--out", tmp_path / "out")
    assert done.returncode == 2
    assert f"{bad}: is not a readable zip file" in done.stderr


def test_the_default_rubric_is_found_from_another_folder(tmp_path):
    done = grade(EXAMPLES / "alice_perfect", "--out", tmp_path / "out", "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "out" / "results.json").read_text())["score"] == 95


def test_batch_from_the_command_line(tmp_path):
    done = grade("--batch", EXAMPLES, "--out", tmp_path, "--jobs", "2")
    assert done.returncode == 0, done.stderr
    assert "Graded 5 submission(s), 0 already up to date" in done.stdout
    assert "[5/5]" in done.stderr  # plain progress lines when not on a terminal
    again = grade("--batch", EXAMPLES, "--out", tmp_path)
    assert "Graded 0 submission(s), 5 already up to date" in again.stdout
