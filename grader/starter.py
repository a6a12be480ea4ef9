"""The starter repository an instructor hands out: stubs, the public rubric, a README, CI.

Each rubric module gets a stub with every function the rubric calls (the reference
solution's signature, body raising NotImplementedError) and every constant it reads
(``None``, or ``""`` for answers graded by hand), so grading the untouched starter
gives 0 with "not implemented yet" per item instead of import errors. The public
rubric (publish.py) goes to ``.grader/rubric/``; the CI files run it on every push, and
pyproject.toml points the grader's pytest plugin at it, so ``pytest`` runs it too.
"""

from __future__ import annotations

import ast
import inspect
import shlex
import textwrap
from pathlib import Path
from typing import Any

import yaml

from grader.errors import UsageError
from grader.models import Item, Rubric
from grader.publish import public_rubric
from grader.rubric import Reference, load_rubric, read_yaml

RUBRIC_FOLDER = ".grader/rubric"
REPORT_FOLDER = "grade-report"
GRADE_COMMAND = (f"grade . --rubric {RUBRIC_FOLDER} --ci --fail-under 0 "
                 f"--format html,md,json,junit --out {REPORT_FOLDER}")
# An ini setting, not addopts = "--grade ...": without the plugin pytest only warns about it.
PYTEST_SETTINGS = f"""\
[tool.pytest.ini_options]
# The grader's pytest plugin runs the public checks as tests (see README.md).
grade_rubric = "{RUBRIC_FOLDER}"
"""


def make_starter(rubric_path: Path, out: Path, grader_spec: str = "grader") -> Path:
    """Write the starter repository for the rubric into the new (or empty) folder ``out``
    and return it. ``grader_spec`` is what ``pip install`` gets in the README and CI."""
    rubric = load_rubric(rubric_path)
    raw, _ = read_yaml(rubric.path)
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise UsageError(f"{out}: is not empty; the starter repository needs a new folder")
    reference = Reference(rubric.path.parent / raw["reference"]) if "reference" in raw else None
    raw_items = {r["id"]: r for r in raw["items"]}
    stubs: dict[str, list[str]] = {module: [] for module in rubric.modules}
    seen: set[tuple[str, str]] = set()
    for item in rubric.items:
        if item.module and item.name and (item.module, item.name) not in seen:
            seen.add((item.module, item.name))
            stubs[item.module].append(_stub(item, raw_items[item.id], reference))
    out.mkdir(parents=True, exist_ok=True)
    for module, definitions in stubs.items():
        header = _docstring(f"{rubric.title}: {module}.py\n\nReplace every TODO and "
                            "NotImplementedError with your answer; see README.md to check "
                            "your work.", "")
        (out / f"{module}.py").write_text("\n\n\n".join([header, *definitions]) + "\n",
                                          encoding="utf-8")
    public_rubric(rubric.path, out / RUBRIC_FOLDER)
    (out / "README.md").write_text(_readme(rubric, grader_spec), encoding="utf-8")
    (out / ".github" / "workflows").mkdir(parents=True)
    (out / ".github" / "workflows" / "grade.yml").write_text(_github_workflow(grader_spec),
                                                             encoding="utf-8")
    (out / ".gitlab-ci.yml").write_text(_gitlab_ci(grader_spec), encoding="utf-8")
    (out / "pyproject.toml").write_text(PYTEST_SETTINGS, encoding="utf-8")
    (out / ".gitignore").write_text(f"{REPORT_FOLDER}/\n__pycache__/\n", encoding="utf-8")
    return out


# --- stubs ---------------------------------------------------------------------------


def _stub(item: Item, raw: dict, reference: Reference | None) -> str:
    if item.kind == "function":
        signature = _reference_signature(raw, item, reference) or _case_signature(item)
        doc = _docstring(f"{item.title}\n\n{item.description}".strip(), "    ")
        return (f"def {item.name}{signature}:\n{doc}\n"
                f'    raise NotImplementedError("{item.name} is not implemented yet")')
    comment = "\n".join(f"# {line}" for text in (item.title, item.description) if text
                        for line in textwrap.wrap(text, 96))
    value = '""  # TODO: your answer, in words' if item.kind == "manual" else "None  # TODO"
    return f"{comment}\n{item.name} = {value}"


def _reference_signature(raw: dict, item: Item, reference: Reference | None) -> str | None:
    """The reference function's parameters, without annotations (they may need imports) and
    with defaults that are not plain literals replaced by None."""
    if reference is None:
        return None
    try:
        function = reference.get(raw.get("reference", f"{item.module}.{item.name}"))
        signature = inspect.signature(function)
    except (LookupError, TypeError, ValueError):
        return None
    parameters = [p.replace(annotation=p.empty,
                            default=p.default if p.default is p.empty
                            or _is_literal(p.default) else None)
                  for p in signature.parameters.values()]
    return str(signature.replace(parameters=parameters, return_annotation=signature.empty))


def _case_signature(item: Item) -> str:
    """Parameters named after the first case: ``arg1, arg2``, then its keyword arguments,
    with that case's values as defaults when the case is public and they are literals."""
    case = (item.public_cases or item.cases)[0]
    parameters = [f"arg{i}" for i in range(1, len(case.args) + 1)]
    parameters += [f"{name}={value!r}" if not case.hidden and _is_literal(value)
                   else f"{name}=None" for name, value in case.kwargs.items()]
    return f"({', '.join(parameters)})"


def _is_literal(value: Any) -> bool:
    try:
        return ast.literal_eval(repr(value)) == value
    except (ValueError, SyntaxError):
        return False


def _docstring(text: str, indent: str) -> str:
    """``text`` as a docstring that stays one whatever quotes or backslashes it holds."""
    text = text.strip().replace("\\", "\\\\")
    if text.endswith('"'):  # it would run into the closing quotes
        text = text[:-1] + '\\"'
    text = text.replace('"""', '\\"\\"\\"')
    paragraphs = [textwrap.fill(p, 92 - len(indent), break_long_words=False,
                                break_on_hyphens=False) for p in text.split("\n\n") if p.strip()]
    body = textwrap.indent("\n\n".join(paragraphs), indent)[len(indent):]
    if "\n" in body:
        return f'{indent}"""{body}\n{indent}"""'
    return f'{indent}"""{body}"""'


# --- README and CI -------------------------------------------------------------------


def _readme(rubric: Rubric, grader_spec: str) -> str:
    rows = "\n".join(f"| `{item.module}.py` | `{item.name}` | {_cell(item.title)} | "
                     f"{item.points:g} |" for item in rubric.items if item.module and item.name)
    return f"""# {rubric.title}

Your starter repository. Write your answers in the files below, in place of every
`TODO` and `raise NotImplementedError(...)`. Keep the file, function and constant
names and the function signatures as they are: the grader looks for them.

| file | name | what | points |
|---|---|---|---|
{rows}

## Check your work

Install the grader once, then run the public checks from this folder:

```
pip install {shlex.quote(grader_spec)}
grade . --rubric {RUBRIC_FOLDER}
```

It prints your score on the public checks, with a hint for each known mistake,
and writes a full report to `{REPORT_FOLDER}/` (open `{REPORT_FOLDER}/report.html`).

The pytest way: `pytest` runs every public check as a test (pyproject.toml tells the
grader's pytest plugin where the rubric is), as does `pytest --grade {RUBRIC_FOLDER}`.

The same checks run on every push: `.github/workflows/grade.yml` on GitHub,
`.gitlab-ci.yml` on GitLab. The report is kept with each run.

Passing every public check is not the whole grade: hidden checks and answers graded
by hand count too, so also try your code on inputs of your own. Do not edit
`{RUBRIC_FOLDER}/`: it is generated from your instructor's rubric.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _github_workflow(grader_spec: str) -> str:
    workflow = {
        "name": "grade",
        "on": ["push", "pull_request"],
        "jobs": {"grade": {"runs-on": "ubuntu-latest", "steps": [
            {"uses": "actions/checkout@v4"},
            {"uses": "actions/setup-python@v5", "with": {"python-version": "3.11"}},
            {"name": "Install the grader", "run": f"pip install {shlex.quote(grader_spec)}"},
            {"name": "Run the public checks", "run": GRADE_COMMAND},
            {"name": "Keep the report", "if": "always()", "uses": "actions/upload-artifact@v4",
             "with": {"name": REPORT_FOLDER, "path": REPORT_FOLDER}}]}}}
    return _ci_yaml(workflow)


def _gitlab_ci(grader_spec: str) -> str:
    job = {"grade": {
        "image": "python:3.11",
        "script": [f"pip install {shlex.quote(grader_spec)}", GRADE_COMMAND],
        "artifacts": {"when": "always", "paths": [f"{REPORT_FOLDER}/"],
                      "reports": {"junit": f"{REPORT_FOLDER}/junit.xml"}}}}
    return _ci_yaml(job)


def _ci_yaml(data: dict) -> str:
    header = "# Runs the public checks of the assignment (see README.md).\n"
    return header + yaml.safe_dump(data, sort_keys=False, width=1000)
