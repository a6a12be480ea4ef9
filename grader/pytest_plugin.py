"""``pytest --grade RUBRIC``: a rubric's public checks as pytest items, in the student's repo.

Installed with the grader (a ``pytest11`` entry point) and off unless asked for,
with ``--grade`` or the ``grade_rubric`` ini setting (a starter repository's
pyproject.toml). Then every public case of a function item, and every value or
expression item, is one test, failing with the same feedback text as the reports;
the score on the public checks is printed at the end.

Security boundary: pytest's process never imports the student's modules for these
tests. The submission is graded once, by ``grade_submission``, whose worker process
runs the student's code. Hidden cases are dropped from the rubric before anything
is collected, so neither their names nor their values can reach pytest's output.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from grader.errors import GraderError
from grader.models import CaseResult, Item, ItemResult, Rubric, Status, SubmissionResult
from grader.reports.filters import points
from grader.reports.gradescope import item_feedback

# Kinds whose single case is the item itself: one test per item, named after it.
SINGLE_CHECK_KINDS = frozenset({"value", "expression"})
ROOT_NODE = "grade"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("grade", "grading with a rubric's public checks")
    group.addoption("--grade", metavar="RUBRIC", default=None,
                    help="run the public checks of RUBRIC (rubric.yaml or its folder) "
                         "as tests")
    group.addoption("--grade-submission", metavar="DIR", default=None,
                    help="the submission folder or .zip to check (default: the rootdir)")
    parser.addini("grade_rubric", "the rubric whose public checks run as tests, relative "
                                  "to the ini file (like --grade)", default="")


def pytest_configure(config: pytest.Config) -> None:
    rubric = _rubric_path(config)
    if rubric is None:
        return
    submission = config.getoption("grade_submission")
    submission = (config.invocation_params.dir / submission if submission
                  else config.rootpath)
    if not submission.exists():
        raise pytest.UsageError(f"--grade-submission: {submission} does not exist")
    config.pluginmanager.register(PublicChecks(_load_public(rubric), submission),
                                  "grader-public-checks")


def _rubric_path(config: pytest.Config) -> Path | None:
    """``--grade`` (relative to where pytest ran), else ``grade_rubric`` (to the ini file)."""
    option = config.getoption("grade")
    if option:
        return config.invocation_params.dir / option
    setting = config.getini("grade_rubric")
    if setting:
        base = config.inipath.parent if config.inipath else config.rootpath
        return base / setting
    return None


def _load_public(path: Path) -> Rubric:
    from grader.rubric import load_rubric

    try:
        return public_checks_only(load_rubric(path))
    except GraderError as e:
        raise pytest.UsageError(f"--grade: {e}") from None


def public_checks_only(rubric: Rubric) -> Rubric:
    """A copy of ``rubric`` holding only what students may run: automatic items' public cases.

    Items left without a public case are dropped, and so are the misconceptions'
    answers computed for hidden cases.
    """
    items = []
    for item in rubric.items:
        cases = item.public_cases
        if not item.automatic or not cases:
            continue
        names = {case.name for case in cases}
        misconceptions = tuple(
            replace(m, per_case={k: v for k, v in m.per_case.items() if k in names})
            for m in item.misconceptions)
        items.append(replace(item, cases=cases, misconceptions=misconceptions))
    return replace(rubric, items=tuple(items))


class CheckFailed(Exception):
    """A public check that did not pass; its message is the report's feedback text."""


class PublicChecks:
    """The plugin object registered when grading is on: collects, grades once, sums up."""

    def __init__(self, rubric: Rubric, submission: Path):
        self.rubric, self.submission = rubric, submission
        self._result: SubmissionResult | None = None
        self._error = ""

    @pytest.hookimpl(tryfirst=True)  # before -k and -m deselect
    def pytest_collection_modifyitems(self, session: pytest.Session,
                                      items: list[pytest.Item]) -> None:
        root = _Group.from_parent(session, name=ROOT_NODE, nodeid=ROOT_NODE)
        for item in self.rubric.items:
            if item.kind in SINGLE_CHECK_KINDS:
                root.children.append(Check.from_parent(root, name=item.id, plugin=self,
                                                       item=item))
                continue
            group = _Group.from_parent(root, name=item.id)
            group.children.extend(Check.from_parent(group, name=case.name, plugin=self,
                                                    item=item, case=case.name)
                                   for case in item.cases)
            root.children.append(group)
        checks = root.checks()
        # Reported like any collected node, so "collected N items" counts the checks.
        session.ihook.pytest_collectreport(
            report=pytest.CollectReport(ROOT_NODE, "passed", None, checks))
        items.extend(checks)

    def item_result(self, item_id: str) -> ItemResult:
        """The graded item; the whole submission is graded on the first call."""
        if self._result is None and not self._error:
            from grader.pipeline import grade_submission

            try:
                self._result = grade_submission(self.submission, self.rubric)
            except GraderError as e:
                self._error = str(e)
        if self._result is None:
            raise CheckFailed(f"The submission could not be graded: {self._error}")
        return next(r for r in self._result.items if r.item.id == item_id)

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self._result is None and not self._error:
            return  # every check was deselected: nothing was graded
        terminalreporter.section("public checks")
        if self._result is None:
            terminalreporter.write_line(f"Public checks: not graded ({self._error})")
            return
        result = self._result
        terminalreporter.write_line(f"Public checks: {points(result.automatic_score)} / "
                                    f"{points(self.rubric.automatic_points)} points")
        for warning in result.warnings:
            terminalreporter.write_line(f"Warning: {warning}")


class _Group(pytest.Collector):
    """A parent node (``grade``, ``grade::<item id>``) so node ids and ``-k`` read naturally."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.children: list[pytest.Item | _Group] = []

    def collect(self) -> list[pytest.Item | _Group]:
        return self.children

    def checks(self) -> list[pytest.Item]:
        return [check for child in self.children
                for check in (child.checks() if isinstance(child, _Group) else [child])]


class Check(pytest.Item):
    """One public check: a function item's case, or a whole value or expression item."""

    def __init__(self, *, plugin: PublicChecks, item: Item, case: str = "", **kwargs):
        super().__init__(**kwargs)
        self.plugin, self.item, self.case = plugin, item, case

    def runtest(self) -> None:
        shown = _shown(self.plugin.item_result(self.item.id), self.case)
        if shown.status is not Status.PASSED:
            raise CheckFailed(item_feedback(shown))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CheckFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        what = f"{self.item.id}: {self.case}" if self.case else f"{self.item.id}: {self.item.title}"
        return self.path, None, what


def _shown(item_result: ItemResult, case: str) -> ItemResult:
    """The part of an item result one test shows: its case and the hints that fired on it."""
    if not case:
        return item_result
    cases: tuple[CaseResult, ...] = tuple(c for c in item_result.cases if c.name == case)
    hints = tuple(h for h in item_result.hints if case in h.cases)
    return replace(item_result, cases=cases, hints=hints)
