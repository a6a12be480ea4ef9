"""The starter repository: stubs matching the contract, grading to 0 without a crash, CI files."""

from __future__ import annotations

import ast
import inspect
import shlex
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from grader.cli import main
from grader.errors import UsageError
from grader.models import Status
from grader.pipeline import grade_submission
from grader.rubric import Reference, load_rubric
from grader.starter import GRADE_COMMAND, make_starter
from tests.conftest import ASSIGNMENT4, EXAMPLES


@pytest.fixture(scope="module")
def starter(tmp_path_factory) -> Path:
    return make_starter(ASSIGNMENT4, tmp_path_factory.mktemp("run") / "starter")


def definitions(path: Path) -> dict[str, ast.AST]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            found[node.name] = node
        elif isinstance(node, ast.Assign):
            found.update({t.id: node for t in node.targets if isinstance(t, ast.Name)})
    return found


def test_the_starter_holds_stubs_public_rubric_readme_and_ci_files(starter):
    files = sorted(p.relative_to(starter).as_posix() for p in starter.rglob("*") if p.is_file())
    assert files == [".github/workflows/grade.yml", ".gitignore", ".gitlab-ci.yml",
                     ".grader/rubric/rubric.yaml", "README.md", "problem1.py", "problem2.py",
                     "problem3.py", "problem4.py", "pyproject.toml"]


def test_stubs_define_every_name_with_the_reference_signature(starter, assignment4):
    reference = Reference(ASSIGNMENT4 / "reference")
    for item in assignment4.items:
        found = definitions(starter / f"{item.module}.py")
        assert item.name in found, item.id
        if item.kind == "function":
            stub = found[item.name]
            signature = inspect.signature(reference.get(f"{item.module}.{item.name}"))
            assert f"({ast.unparse(stub.args)})" == str(signature), item.id
            assert ast.get_docstring(stub).startswith(item.title)
        else:
            expected = "" if item.kind == "manual" else None
            assert found[item.name].value.value == expected, item.id
    assert "def one_hot(labels, num_classes=10):" in (starter / "problem1.py").read_text()


def test_stubs_compile(starter):
    for module in starter.glob("*.py"):
        compile(module.read_text(encoding="utf-8"), str(module), "exec")  # compiling only


def test_the_untouched_starter_scores_zero_saying_what_is_not_implemented(starter):
    result = grade_submission(starter, starter / ".grader" / "rubric")
    assert result.score == 0 and not result.error
    for item_result in result.items:
        if not item_result.item.automatic:
            assert item_result.status is Status.PENDING
            continue
        assert not item_result.error, item_result.item.id
        for case in item_result.cases:
            assert case.status in (Status.ERROR, Status.FAILED), item_result.item.id
            assert ("not implemented yet" in case.message
                    or case.message.endswith("got None")), (item_result.item.id, case.message)


def test_a_correct_solution_copied_in_gets_every_public_point(starter, tmp_path):
    repository = shutil.copytree(starter, tmp_path / "repository")
    for module in (EXAMPLES / "alice_perfect").glob("*.py"):
        shutil.copy(module, repository / module.name)
    public = load_rubric(repository / ".grader" / "rubric")
    result = grade_submission(repository, public)
    assert result.automatic_score == public.automatic_points


def run_pytest(repository: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                          cwd=repository, capture_output=True, text=True, timeout=120)


def test_plain_pytest_runs_the_public_checks_through_the_plugin(starter, tmp_path):
    assert 'grade_rubric = ".grader/rubric"' in (starter / "pyproject.toml").read_text()
    untouched = run_pytest(starter)
    assert untouched.returncode == 1 and "not implemented yet" in untouched.stdout
    repository = shutil.copytree(starter, tmp_path / "repository")
    for module in (EXAMPLES / "alice_perfect").glob("*.py"):
        shutil.copy(module, repository / module.name)
    solved = run_pytest(repository)
    assert solved.returncode == 0 and " failed" not in solved.stdout, solved.stdout


def test_the_github_workflow_installs_the_grader_and_runs_the_public_checks(starter):
    workflow = yaml.safe_load((starter / ".github/workflows/grade.yml").read_text())
    steps = workflow["jobs"]["grade"]["steps"]
    runs = [step["run"] for step in steps if "run" in step]
    assert runs == ["pip install grader", GRADE_COMMAND]
    assert GRADE_COMMAND.startswith("grade . --rubric .grader/rubric --ci --fail-under 0 ")
    assert {"python-version": "3.11"} in [step.get("with") for step in steps]
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["if"] == "always()" and upload["with"]["path"] == "grade-report"


def test_the_gitlab_job_keeps_the_junit_report(starter):
    job = yaml.safe_load((starter / ".gitlab-ci.yml").read_text())["grade"]
    assert job["script"] == ["pip install grader", GRADE_COMMAND]
    assert job["artifacts"]["reports"]["junit"] == "grade-report/junit.xml"


def test_the_readme_tells_students_how_to_check_their_work(starter):
    readme = (starter / "README.md").read_text()
    for line in ("pip install grader", "grade . --rubric .grader/rubric",
                 "`pytest`", "pytest --grade .grader/rubric", "| `problem1.py` | `one_hot` |"):
        assert line in readme


def test_a_grader_spec_with_spaces_is_quoted_for_the_shell(tmp_path):
    spec = "grader @ git+https://example.org/course/grader.git"
    out = make_starter(ASSIGNMENT4, tmp_path / "starter", grader_spec=spec)
    workflow = yaml.safe_load((out / ".github/workflows/grade.yml").read_text())
    install = workflow["jobs"]["grade"]["steps"][2]["run"]
    assert shlex.split(install) == ["pip", "install", spec]


def test_without_a_reference_parameters_are_named_after_the_first_case(tmp_path):
    folder = tmp_path / "rubric"
    folder.mkdir()
    (folder / "rubric.yaml").write_text(textwrap.dedent('''\
        assignment: {id: tiny, title: Tiny}
        items:
          - id: area
            title: 'area(w, h) with "quotes" and a \\ backslash"'
            points: 1
            kind: function
            module: shapes
            name: area
            cases:
              public: [{name: one, args: [2, 3], kwargs: {unit: cm}, expect: 6}]
        '''))
    out = make_starter(folder, tmp_path / "starter")
    stub = definitions(out / "shapes.py")["area"]
    assert ast.unparse(stub.args) == "arg1, arg2, unit='cm'"
    assert ast.get_docstring(stub) == 'area(w, h) with "quotes" and a \\ backslash"'


def test_the_starter_never_writes_into_a_folder_in_use(starter):
    with pytest.raises(UsageError, match="is not empty"):
        make_starter(ASSIGNMENT4, starter)


def test_the_cli_writes_the_starter_and_the_public_rubric(tmp_path, capsys):
    assert main(["starter", str(ASSIGNMENT4), "--out", str(tmp_path / "s"),
                 "--grader-spec", "grader==0.1.0"]) == 0
    assert "pip install grader==0.1.0" in (tmp_path / "s" / "README.md").read_text()
    assert main(["rubric", "public", str(ASSIGNMENT4), "--out", str(tmp_path / "p")]) == 0
    assert load_rubric(tmp_path / "p").id == "assignment4"
    assert "Public rubric:" in capsys.readouterr().out
