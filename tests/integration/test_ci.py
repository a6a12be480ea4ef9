"""CI mode: JUnit XML, and on GitHub Actions the step summary, annotations and exit code."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml

from grader import ci
from grader.models import CaseResult, Hint, Item, ItemResult, Rubric, Status, SubmissionResult
from grader.reports.junit import junit_xml
from tests.conftest import ASSIGNMENT4, EXAMPLES, ROOT

BOB = EXAMPLES / "bob_forgot_biases"

# --- JUnit XML ------------------------------------------------------------------------------

VALUE = Item("p1.approach", "Approach", "value", 3.0, module="problem1", name="APPROACH")
SOFTMAX = Item("p1.softmax", "softmax(logits) <stable>", "function", 8.0, module="problem1",
               name="softmax")
RELU = Item("p3.relu", "relu(z)", "function", 4.0, module="problem3", name="relu")
MANUAL = Item("reasons", "Reasons", "manual", 3.0)


def small_result() -> SubmissionResult:
    """A passed value, a failed function (hostile student text, a hidden case), a timeout,
    a pending manual item without a module."""
    student_text = "<script>alert(1)</script> ]]> \x00\x07\x1b[31m"
    hidden = CaseResult("big batch", Status.FAILED, hidden=True, message="wrong value",
                        call="softmax(SECRET_INPUT)", expected="SECRET_EXPECTED",
                        actual="SECRET_ACTUAL").for_hidden()
    softmax = ItemResult(SOFTMAX, cases=(
        CaseResult("large", Status.FAILED, message=f"got {student_text}\nsecond line",
                   call="softmax(array([1000.]))", expected="array([1.])",
                   actual="']]>'", misconception="overflow"),
        hidden), hints=(Hint("overflow", "Subtract the max & retry.", ("large",)),))
    rubric = Rubric("demo", "Demo & co", Path("rubric.yaml"), (VALUE, SOFTMAX, RELU, MANUAL))
    return SubmissionResult("alice", rubric, (
        ItemResult(VALUE, cases=(CaseResult("APPROACH", Status.PASSED),)),
        softmax,
        ItemResult(RELU, cases=(CaseResult("scalar", Status.TIMEOUT,
                                           message="took too long: 2 s", call="relu(-1.5)"),)),
        ItemResult(MANUAL)), execution_time=1.5)


EXPECTED_JUNIT = """\
<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="Demo &amp; co" tests="4" failures="1" errors="1" skipped="1" time="1.500">
  <properties>
    <property name="submission" value="alice" />
    <property name="score" value="3" />
    <property name="max_score" value="18" />
  </properties>
  <testcase classname="problem1" name="p1.approach: Approach">
    <properties>
      <property name="points" value="3" />
      <property name="max_points" value="3" />
      <property name="status" value="passed" />
    </properties>
  </testcase>
  <testcase classname="problem1" name="p1.softmax: softmax(logits) &lt;stable&gt;">
    <properties>
      <property name="points" value="0" />
      <property name="max_points" value="8" />
      <property name="status" value="failed" />
    </properties>
    <failure message="softmax(logits) &lt;stable&gt;: 0 / 8 points. large: got \
&lt;script&gt;alert(1)&lt;/script&gt; ]]&gt; [31m&#10;second line. Likely mistake: Subtract \
the max &amp; retry." type="failed">✗ large: got &lt;script&gt;alert(1)&lt;/script&gt; ]]&gt; [31m \
second line
    &gt;&gt;&gt; softmax(array([1000.]))
    expected: array([1.])
    actual:   ']]&gt;'
✗ big batch (hidden): wrong value
Likely mistake: Subtract the max &amp; retry.</failure>
  </testcase>
  <testcase classname="problem3" name="p3.relu: relu(z)">
    <properties>
      <property name="points" value="0" />
      <property name="max_points" value="4" />
      <property name="status" value="timeout" />
    </properties>
    <error message="relu(z): 0 / 4 points. scalar: took too long: 2 s." type="timeout">\
◷ scalar: took too long: 2 s
    &gt;&gt;&gt; relu(-1.5)</error>
  </testcase>
  <testcase classname="demo" name="reasons: Reasons">
    <properties>
      <property name="points" value="0" />
      <property name="max_points" value="3" />
      <property name="status" value="pending" />
    </properties>
    <skipped message="graded by hand" />
  </testcase>
  <system-out>Demo &amp; co: 3 / 18 points.
Automatic checks: 3 / 15.
Graded by hand, still pending: 3 points.</system-out>
</testsuite>
"""


def test_junit_xml_has_one_testcase_per_item_with_escaped_student_text():
    assert junit_xml(small_result()) == EXPECTED_JUNIT


def test_junit_xml_parses_and_hides_hidden_values():
    text = junit_xml(small_result())
    suite = ElementTree.fromstring(text.encode("utf-8"))
    failure = suite.find("testcase[@classname='problem1'][2]/failure")
    assert failure is not None and "<script>alert(1)</script> ]]>" in failure.text
    assert "SECRET" not in text and "\x00" not in text and "\x1b" not in text


# --- CI mode ------------------------------------------------------------------------------


@pytest.mark.parametrize(("environ", "on"), [
    ({}, False),
    ({"CI": "true"}, True),
    ({"GITLAB_CI": "1"}, True),
    ({"GITHUB_ACTIONS": "true"}, True),
    ({"CI": "false"}, False),
    ({"CI": ""}, False),
])
def test_ci_mode_follows_the_ci_services_variables(environ, on):
    assert ci.enabled(False, environ) is on


def test_ci_flag_turns_ci_mode_on_anywhere():
    assert ci.enabled(True, {})


def test_workflow_command_escapes_data_and_properties_like_githubs_toolkit():
    command = ci.workflow_command("error", "50% done\r\nnext, line: ::warning::x",
                                  {"file": "a,b:c/p.py", "title": "100%\nsure"})
    assert command == ("::error file=a%2Cb%3Ac/p.py,title=100%25%0Asure::"
                       "50%25 done%0D%0Anext, line: ::warning::x")


def github_environment(tmp_path: Path, workspace: Path) -> dict[str, str]:
    """What GitHub Actions sets for a step, on top of this process's environment."""
    environ = {k: v for k, v in os.environ.items()
               if k not in ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "GITHUB_STEP_SUMMARY")}
    return environ | {"CI": "true", "GITHUB_ACTIONS": "true",
                      "GITHUB_STEP_SUMMARY": str(tmp_path / "step_summary.md"),
                      "GITHUB_WORKSPACE": str(workspace)}


def grade(*args: object, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def definition_line(module: Path, name: str) -> int:
    for node in ast.parse(module.read_text(encoding="utf-8")).body:
        defined = [node.name] if isinstance(node, ast.FunctionDef) else \
            [t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)]
        if name in defined:
            return node.lineno
    raise AssertionError(f"{name} is not defined in {module}")


@pytest.fixture(scope="module")
def bob_on_github(tmp_path_factory):
    """bob graded the way a GitHub workflow step would run it, with an earlier summary."""
    tmp = tmp_path_factory.mktemp("github")
    env = github_environment(tmp, ROOT)
    (tmp / "step_summary.md").write_text("Earlier step\n", encoding="utf-8")
    done = grade(BOB.relative_to(ROOT), "--out", tmp / "out", "--format", "md,json,junit",
                 cwd=ROOT, env=env)
    return tmp, done


def test_github_step_summary_gets_the_markdown_report_appended(bob_on_github):
    tmp, done = bob_on_github
    assert done.returncode == 0, done.stderr
    report = (tmp / "out" / "report.md").read_text(encoding="utf-8")
    assert report.startswith("# Assignment 4: neural-network basics\n")
    summary = (tmp / "step_summary.md").read_text(encoding="utf-8")
    assert summary == "Earlier step\n" + report
    assert (tmp / "out" / "junit.xml").is_file()


def test_github_annotations_point_at_the_students_definitions(bob_on_github):
    _, done = bob_on_github
    problem2, problem3 = BOB / "problem2.py", BOB / "problem3.py"
    folder = "submissions_example/bob_forgot_biases"
    expected = [
        f"::error file={folder}/problem2.py,line={definition_line(problem2, 'count_parameters')},"
        "title=p2.count_parameters::count_parameters(layer_sizes): 1.33 / 8 points. "
        "[4, 2, 3, 1]: expected 23, got 17. Likely mistake: You counted the weights but left "
        "out the biases: every non-input unit has one (2 + 3 + 1 = 6 here), so [4, 2, 3, 1] has "
        "17 + 6 = 23 parameters.",
        f"::error file={folder}/problem2.py,line={definition_line(problem2, 'N_PARAMS')},"
        "title=p2.n_params::N_PARAMS, the parameter count of the 4-2-3-1 network: 0 / 5 points. "
        "N_PARAMS: expected 23, got 17. Likely mistake: 17 counts only the weights (8 + 6 + 3). "
        "Each of the 2 + 3 + 1 = 6 non-input units also has a bias: 23 parameters.",
        f"::error file={folder}/problem3.py,line={definition_line(problem3, 'relu_grad')},"
        "title=p3.relu_grad::relu_grad(z), the derivative f'(z): 2.29 / 8 points. "
        "z exactly 0: 1 of 1 entries differ; at index 0 expected 0, got 1. Likely mistake: "
        "relu_grad(0) = 1 is a valid subgradient, but this course takes f'(0) = 0 (use z > 0, "
        "not z >= 0). NaN, \"undefined\", is accepted too.",
    ]
    assert [line for line in done.stdout.splitlines() if line.startswith("::")] == expected


def test_student_text_in_an_annotation_cannot_start_a_line_of_its_own(tmp_path):
    """A message with a percent sign and line breaks, in a folder whose name needs escaping."""
    student = tmp_path / "repo" / "team a,b: 100%"
    shutil.copytree(EXAMPLES / "alice_perfect", student)
    source = student / "problem2.py"
    definition = "def count_parameters(layer_sizes):\n"
    source.write_text(source.read_text(encoding="utf-8").replace(definition, definition + (
        "    raise ValueError('50% done\\n::error::forged\\r\\nbye')\n")), encoding="utf-8")
    env = github_environment(tmp_path, tmp_path / "repo")
    done = grade(student, "--out", tmp_path / "out", "--format", "json", cwd=tmp_path,
                 env=env)
    assert done.returncode == 0, done.stderr
    line = definition_line(source, "count_parameters")
    assert [line for line in done.stdout.splitlines() if line.startswith("::")] == [
        f"::error file=team a%2Cb%3A 100%25/problem2.py,line={line},"
        "title=p2.count_parameters::count_parameters(layer_sizes): 0 / 8 points. "
        "[4, 2, 3, 1]: raised ValueError: 50%25 done%0A::error::forged%0D%0Abye."]


def test_fail_under_in_ci_mode_exits_1_and_says_why(tmp_path):
    done = grade(BOB.relative_to(ROOT), "--out", tmp_path / "out", "--format", "json",
                 "--fail-under", "90", cwd=ROOT, env=github_environment(tmp_path, ROOT))
    assert done.returncode == 1, done.stderr
    assert "Score 77.6% is below --fail-under 90%" in done.stdout


def test_a_batch_on_github_appends_the_class_summary_without_annotations(tmp_path):
    done = grade(EXAMPLES / "alice_perfect", BOB, "--out", tmp_path / "out", "--format", "json",
                 cwd=ROOT, env=github_environment(tmp_path, ROOT))
    assert done.returncode == 0, done.stderr
    summary = (tmp_path / "step_summary.md").read_text(encoding="utf-8")
    assert summary == (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")
    assert not [line for line in done.stdout.splitlines() if line.startswith("::")]


def test_ci_flag_prints_plain_progress_lines_even_on_a_terminal(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "GITHUB_ACTIONS", "GITLAB_CI")}
    controller, terminal = os.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "grader", "--ci", str(EXAMPLES / "alice_perfect"), str(BOB),
             "--out", str(tmp_path / "out"), "--format", "json"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=terminal, timeout=120)
        os.close(terminal)
        progress = b""
        while chunk := _read(controller):
            progress += chunk
    finally:
        os.close(controller)
    assert done.returncode == 0
    text = progress.decode("utf-8")
    assert sorted(re.findall(r"^\[\d/2\] (\w+): ", text, re.MULTILINE)) == [
        "alice_perfect", "bob_forgot_biases"]
    assert "sub/s" not in text  # tqdm's live bar shows a rate


def _read(fd: int) -> bytes:
    """What is left in a pseudo-terminal; b"" at its end (Linux reports that as EIO)."""
    try:
        return os.read(fd, 65536)
    except OSError:
        return b""


# --- the starter repository's own workflow -----------------------------------------------


def starter_command_exists() -> bool:
    done = subprocess.run([sys.executable, "-m", "grader", "starter", "--help"],
                          capture_output=True, text=True, timeout=60)
    return done.returncode == 0 and "usage: grade starter" in done.stdout


def grading_step(workflow: Path) -> str:
    """The ``run:`` of the workflow step that calls ``grade``."""
    jobs = yaml.safe_load(workflow.read_text(encoding="utf-8"))["jobs"]
    runs = [step["run"] for job in jobs.values() for step in job.get("steps", [])
            if any(line.strip().startswith("grade ") for line in step.get("run", "").splitlines())]
    assert len(runs) == 1, f"expected one step calling grade in {workflow}, found {runs}"
    return runs[0]


def test_the_starter_workflows_grading_step_reports_a_correct_solution_on_github(tmp_path):
    if not starter_command_exists():
        pytest.skip("'grade starter' does not exist yet, so there is no workflow to run")
    starter = tmp_path / "starter"
    made = grade("starter", ASSIGNMENT4, "--out", starter, cwd=tmp_path, env=dict(os.environ))
    assert made.returncode == 0, made.stderr
    for module in (EXAMPLES / "alice_perfect").glob("*.py"):
        shutil.copy(module, starter / module.name)
    command = grading_step(starter / ".github" / "workflows" / "grade.yml")
    done = subprocess.run(["bash", "-e", "-c", command], cwd=starter,
                          env=github_environment(tmp_path, starter), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    summary = (tmp_path / "step_summary.md").read_text(encoding="utf-8")
    assert summary.startswith("# Assignment 4: neural-network basics\n")
    assert not [line for line in done.stdout.splitlines() if line.startswith("::error")]
