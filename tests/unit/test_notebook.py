"""Notebook submissions: code cells read as JSON become the rubric's modules, never run."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest

from grader.errors import SubmissionError
from grader.pipeline import grade_submission
from grader.submission import notebook_to_module, open_submission
from tests.conftest import EXAMPLES


def write_notebook(path: Path, *code_cells: str | list[str], version: int = 4) -> Path:
    """A notebook holding these code cells, with a markdown cell first as Jupyter users do."""
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# My answers\n"]}]
    cells += [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
               "source": source} for source in code_cells]
    path.write_text(json.dumps({"nbformat": version, "nbformat_minor": 5, "metadata": {},
                                "cells": cells}), encoding="utf-8")
    return path


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    return tmp_path / "scratch"


# --- notebook_to_module ---------------------------------------------------------------------


def test_code_cells_are_joined_with_blank_lines_whether_sources_are_lists_or_text(tmp_path):
    notebook = write_notebook(tmp_path / "nb.ipynb", ["import math\n", "X = 1\n"],
                              "def double(x):\n    return 2 * x\n")
    source, notes = notebook_to_module(notebook)
    assert source == "import math\nX = 1\n\ndef double(x):\n    return 2 * x\n"
    assert notes == ()


def test_magic_shell_help_and_get_ipython_lines_are_commented_out_with_a_note_per_kind(tmp_path):
    notebook = write_notebook(
        tmp_path / "nb.ipynb",
        "%matplotlib inline\n!pip install numpy matplotlib scipy\n!ls\nimport numpy as np",
        "np.zeros?\nfiles = !ls\nget_ipython().run_line_magic('time', 'f()')\nY = 2")
    source, notes = notebook_to_module(notebook)
    assert source.splitlines() == [
        "# %matplotlib inline", "# !pip install numpy matplotlib scipy", "# !ls",
        "import numpy as np", "", "# np.zeros?", "# files = !ls",
        "# get_ipython().run_line_magic('time', 'f()')", "Y = 2"]
    assert notes == ("skipped 1 magic line (%matplotlib inline)",
                     "skipped 3 shell lines (!pip install numpy ...)",
                     "skipped 1 help line (np.zeros?)",
                     "skipped 1 get_ipython() line (get_ipython().run_line_mag ...)")


def test_a_cell_magic_comments_out_its_whole_cell(tmp_path):
    notebook = write_notebook(tmp_path / "nb.ipynb", "%%timeit\nx = sum(range(10))", "Z = 3")
    source, notes = notebook_to_module(notebook)
    assert source == "# %%timeit\n# x = sum(range(10))\n\nZ = 3\n"
    assert notes == ("skipped 1 magic cell (%%timeit)",)


def test_ipython_syntax_inside_strings_or_brackets_is_left_alone(tmp_path):
    cell = 'HELP = """\n!not a shell line\n%not a magic\n"""\nTOTAL = (10\n% 3)'
    source, notes = notebook_to_module(write_notebook(tmp_path / "nb.ipynb", cell))
    assert source == cell + "\n" and notes == ()


def test_an_indented_shell_line_leaves_its_block_with_a_body(tmp_path):
    notebook = write_notebook(tmp_path / "nb.ipynb", "for i in range(2):\n    !echo hi\nK = 1")
    source, _ = notebook_to_module(notebook)
    assert source == "for i in range(2):\n    pass  # !echo hi\nK = 1\n"
    compile(source, "nb.py", "exec")  # compiling is not running


def test_a_notebook_that_is_not_json_is_an_error_naming_the_file(tmp_path):
    broken = tmp_path / "problem1.ipynb"
    broken.write_text('{"nbformat": 4, "cells": [', encoding="utf-8")
    with pytest.raises(SubmissionError, match=r"problem1\.ipynb: is not valid JSON"):
        notebook_to_module(broken)


def test_a_notebook_in_an_older_format_is_rejected(tmp_path):
    old = write_notebook(tmp_path / "old.ipynb", "x = 1", version=3)
    with pytest.raises(SubmissionError, match=r"old\.ipynb: is not a Jupyter notebook in "
                                              r"format 4 \(its nbformat is 3\)"):
        notebook_to_module(old)


def test_a_notebook_without_code_is_rejected(tmp_path):
    empty = write_notebook(tmp_path / "empty.ipynb", "", "  \n")
    with pytest.raises(SubmissionError, match=r"empty\.ipynb: has no code cells with code"):
        notebook_to_module(empty)


# --- open_submission with notebooks -----------------------------------------------------------


def test_a_notebook_named_after_a_module_becomes_it_in_a_copy(tmp_path, scratch):
    folder = tmp_path / "alice"
    folder.mkdir()
    write_notebook(folder / "problem1.ipynb", "%matplotlib inline", "A = 1")
    submission = open_submission(folder, scratch, modules=["problem1"])
    assert submission.root.parent == scratch.resolve()
    assert (submission.root / "problem1.py").read_text() == "# %matplotlib inline\n\nA = 1\n"
    assert submission.warnings == (
        "problem1.py was made from problem1.ipynb; skipped 1 magic line (%matplotlib inline)",)
    assert sorted(p.name for p in folder.iterdir()) == ["problem1.ipynb"]  # original untouched


def test_an_existing_module_wins_over_its_notebook(tmp_path, scratch):
    folder = tmp_path / "bob"
    folder.mkdir()
    (folder / "problem1.py").write_text("A = 'module'\n")
    write_notebook(folder / "problem1.ipynb", "A = 'notebook'")
    submission = open_submission(folder, scratch, modules=["problem1"])
    assert submission.root == folder.resolve()
    assert submission.warnings == ("graded problem1.py, not problem1.ipynb",)


def test_a_single_notebook_named_otherwise_stands_for_every_missing_module(tmp_path, scratch):
    folder = tmp_path / "carol"
    folder.mkdir()
    (folder / "problem2.py").write_text("B = 2\n")
    write_notebook(folder / "Assignment 4.ipynb", "A = 1\nC = 3")
    submission = open_submission(folder, scratch, modules=["problem1", "problem2", "problem3"])
    for module in ("problem1", "problem3"):
        assert (submission.root / f"{module}.py").read_text() == "A = 1\nC = 3\n"
    assert (submission.root / "problem2.py").read_text() == "B = 2\n"
    assert submission.warnings == ("problem1.py, problem3.py were made from Assignment 4.ipynb",)


def test_several_notebooks_named_otherwise_are_not_guessed_between(tmp_path, scratch):
    folder = tmp_path / "dave"
    folder.mkdir()
    write_notebook(folder / "part a.ipynb", "A = 1")
    write_notebook(folder / "part b.ipynb", "A = 2")
    submission = open_submission(folder, scratch, modules=["problem1"])
    assert submission.root == folder.resolve()
    assert submission.warnings == ("no module problem1.py, and several notebooks (part a.ipynb, "
                                   "part b.ipynb) could hold them: name each notebook after its "
                                   "module",)


def test_a_broken_notebook_makes_the_submission_ungradable_naming_both(tmp_path, scratch):
    folder = tmp_path / "erin"
    folder.mkdir()
    (folder / "problem1.ipynb").write_text("not json", encoding="utf-8")
    with pytest.raises(SubmissionError) as caught:
        open_submission(folder, scratch, modules=["problem1"])
    assert caught.value.path == str(folder)
    assert caught.value.problem.startswith("problem1.ipynb is not valid JSON")


def test_a_zipped_notebook_is_converted_too(tmp_path, scratch):
    notebook = write_notebook(tmp_path / "problem1.ipynb", "A = 1")
    source = tmp_path / "frank.zip"
    with zipfile.ZipFile(source, "w") as archive:
        archive.write(notebook, "frank/problem1.ipynb")
    submission = open_submission(source, scratch, modules=["problem1"])
    assert (submission.root / "problem1.py").read_text() == "A = 1\n"


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_a_symlinked_notebook_is_not_read(tmp_path, scratch):
    other = write_notebook(tmp_path / "someone_else.ipynb", "A = 'copied'")
    folder = tmp_path / "gina"
    folder.mkdir()
    (folder / "main.py").write_text("\n")
    (folder / "problem1.ipynb").symlink_to(other)
    submission = open_submission(folder, scratch, modules=["problem1"])
    assert not (submission.root / "problem1.py").exists()


# --- grading notebooks -------------------------------------------------------------------------


def as_notebook(module: Path, target: Path) -> None:
    """The module as a notebook: a %matplotlib cell, then one cell per top-level function."""
    cells: list[list[str]] = [[]]
    for line in module.read_text(encoding="utf-8").splitlines(keepends=True):
        if line.startswith("def ") and cells[-1]:
            cells.append([])
        cells[-1].append(line)
    write_notebook(target, ["%matplotlib inline\n"], *cells)


def per_item(result):
    return {r.item.id: (r.score, r.status, [(c.name, c.status, c.message, c.misconception)
                                            for c in r.cases],
                        [(h.misconception, h.cases) for h in r.hints], r.answer)
            for r in result.items}


@pytest.mark.parametrize("student", ["alice_perfect", "carol_sigmoid"])
def test_a_notebook_version_scores_exactly_as_the_module_version(student, tmp_path, assignment4,
                                                                 grade_context):
    folder = tmp_path / student
    folder.mkdir()
    for module in sorted((EXAMPLES / student).glob("*.py")):
        if module.stem in assignment4.modules:
            as_notebook(module, folder / f"{module.stem}.ipynb")
        else:  # helpers stay modules: a notebook cannot be imported in Jupyter either
            (folder / module.name).write_text(module.read_text())
    modules = grade_submission(EXAMPLES / student, assignment4, context=grade_context)
    notebooks = grade_submission(folder, assignment4, context=grade_context)
    assert per_item(notebooks) == per_item(modules)
    assert notebooks.score == modules.score
    assert ("problem1.py was made from problem1.ipynb; skipped 1 magic line "
            "(%matplotlib inline)") in notebooks.warnings
