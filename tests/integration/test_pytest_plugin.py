"""``pytest --grade``: the public checks as pytest items, run the way a student runs them.

Each test runs pytest in a fresh folder laid out like a student's repository (the
rubric and the submission copied in), so this repository's own settings play no part.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ASSIGNMENT4, EXAMPLES


def student_repo(tmp_path: Path, student: str) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(ASSIGNMENT4, repo / "rubric")
    shutil.copytree(EXAMPLES / student, repo / "solution")
    return repo


def pytest_in(repo: Path, *args: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           *args], cwd=repo, env=environ, capture_output=True, text=True,
                          timeout=300)


def grade_with_pytest(tmp_path: Path, student: str) -> subprocess.CompletedProcess:
    return pytest_in(student_repo(tmp_path, student), "--grade", "rubric",
                     "--grade-submission", "solution")


@pytest.fixture(scope="module")
def bob(tmp_path_factory):
    return grade_with_pytest(tmp_path_factory.mktemp("bob"), "bob_forgot_biases")


def test_a_correct_solution_passes_every_public_check(tmp_path, assignment4):
    done = grade_with_pytest(tmp_path, "alice_perfect")
    public = sum(1 if item.kind in ("value", "expression") else len(item.public_cases)
                 for item in assignment4.items if item.automatic)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{public} passed" in done.stdout
    assert "Public checks: 95 / 95 points" in done.stdout


def test_a_mistake_fails_its_check_with_the_reports_feedback(bob):
    assert bob.returncode == 1
    assert "FAILED grade::p2.count_parameters::[4, 2, 3, 1]" in bob.stdout
    assert "✗ [4, 2, 3, 1]: expected 23, got 17\n" \
           "    >>> count_parameters([4, 2, 3, 1])\n" \
           "    expected: 23\n" \
           "    actual:   17\n" \
           "Likely mistake: You counted the weights but left out the biases" in bob.stdout
    assert "FAILED grade::p2.n_params" in bob.stdout
    assert "3 failed, 18 passed" in bob.stdout


def test_the_score_on_the_public_checks_is_printed_at_the_end(bob):
    # count_parameters (8), N_PARAMS (5) and half of relu_grad's public cases (4) are lost.
    assert "Public checks: 78 / 95 points" in bob.stdout


def test_collection_lists_exactly_the_public_checks(tmp_path, assignment4):
    repo = student_repo(tmp_path, "alice_perfect")
    done = pytest_in(repo, "--grade", "rubric", "--grade-submission", "solution", "--co")
    expected = []
    for item in assignment4.items:
        if item.kind in ("value", "expression") and item.public_cases:
            expected.append(f"grade::{item.id}")
        elif item.automatic:
            expected += [f"grade::{item.id}::{case.name}" for case in item.public_cases]
    assert done.stdout.splitlines()[:len(expected) + 1] == [*expected, ""]
    assert "grade::p2.forward::all ones, zero biases (f = 24)" in expected


def test_hidden_cases_never_reach_pytests_output(bob, assignment4):
    hidden = [case.name for item in assignment4.items for case in item.cases if case.hidden]
    assert hidden
    for name in hidden:
        assert name not in bob.stdout + bob.stderr


def test_a_starter_repository_turns_grading_on_in_its_pyproject(tmp_path):
    repo = student_repo(tmp_path, "bob_forgot_biases")
    for module in (repo / "solution").glob("*.py"):
        module.rename(repo / module.name)
    (repo / "pyproject.toml").write_text('[tool.pytest.ini_options]\ngrade_rubric = "rubric"\n',
                                         encoding="utf-8")
    done = pytest_in(repo, "-k", "count_parameters")
    assert done.returncode == 1
    assert "1 failed, 20 deselected" in done.stdout
    assert "Public checks: 78 / 95 points" in done.stdout


def test_without_grade_the_plugin_stays_out_of_the_way(tmp_path):
    repo = student_repo(tmp_path, "alice_perfect")
    (repo / "test_own.py").write_text("def test_own():\n    assert True\n", encoding="utf-8")
    done = pytest_in(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
    assert "Public checks" not in done.stdout


def test_a_missing_submission_folder_is_a_usage_error(tmp_path):
    repo = student_repo(tmp_path, "alice_perfect")
    done = pytest_in(repo, "--grade", "rubric", "--grade-submission", "nowhere")
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert f"--grade-submission: {repo / 'nowhere'} does not exist" in done.stderr
