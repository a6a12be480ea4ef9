"""Shared fixtures: the shipped rubric (loaded once) and the example submissions."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.checks import GradeContext
from grader.rubric import load_rubric

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "submissions_example"
ASSIGNMENT4 = ROOT / "rubrics" / "assignment4"


@pytest.fixture(autouse=True)
def _own_cache(monkeypatch, tmp_path_factory):
    """Each test starts with an empty grader cache (no verdict or validation from another)."""
    monkeypatch.setenv("GRADER_CACHE", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(autouse=True)
def _not_on_a_ci_runner(monkeypatch):
    """Tests decide CI mode themselves: never write to a real runner's job summary."""
    for name in ("CI", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITLAB_CI"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def assignment4():
    return load_rubric(ASSIGNMENT4)


@pytest.fixture(scope="session")
def grade_context():
    """One algebra process for the whole session, as a batch would use it."""
    with GradeContext() as context:
        yield context


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite tests/golden/ from the current reports")
