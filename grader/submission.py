"""Finding and opening student submissions: a folder of modules, or a .zip of one.

Zips come from students, so they are treated as hostile. Every member name is
checked before anything is written (zip slip), sizes are capped both as declared
and as actually decompressed (zip bombs), symlinks are never created, and files
are written by hand instead of with ``extractall``. A problem that makes a
submission ungradable is a ``SubmissionError``; anything merely skipped becomes a
warning for the report.

Jupyter notebooks are read as JSON and their code cells written out as the modules
the rubric names (``notebook_to_module``); the grader never runs a notebook.
"""

from __future__ import annotations

import io
import json
import lzma
import os
import re
import shutil
import stat
import tempfile
import tokenize
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from grader.errors import SubmissionError

_MODULE_SUFFIXES = (".py", ".ipynb")
_MACOS_FOLDER = "__MACOSX"
_MACOS_FILE = ".DS_Store"
# Tool folders a student repository may hold (grading `grade .` in CI): never student code.
_NOT_COPIED_FOLDERS = frozenset({"__pycache__", ".git", ".venv", "venv", ".tox", ".nox",
                                 ".pytest_cache", ".mypy_cache", ".ruff_cache", "node_modules",
                                 "grade-report", ".ipynb_checkpoints"})
_DRIVE_LETTER = re.compile(r"[A-Za-z]:")
_ENCRYPTED_FLAG = 0x1
_CHUNK_BYTES = 64 * 1024
# What a damaged zip raises while being read: zipfile's own error, a truncated file,
# a broken compressed stream (bz2 reports it as OSError), or an unsupported method.
_CORRUPT_ZIP_ERRORS = (
    zipfile.BadZipFile,
    EOFError,
    OSError,
    zlib.error,
    lzma.LZMAError,
    NotImplementedError,
)


@dataclass(frozen=True)
class Submission:
    """One student's submission, ready to be copied into a worker's private folder."""

    name: str  # folder name, or zip file name without ``.zip``
    source: Path  # what the user gave
    root: Path  # the folder holding the modules
    warnings: tuple[str, ...] = ()  # plain-words notes for the report


@dataclass(frozen=True)
class TreeLimits:
    """Caps on a submission's total uncompressed size and file count (zip bombs, stray data)."""

    max_bytes: int = 50 * 2**20
    max_files: int = 2000


@dataclass(frozen=True)
class _ExtractionPlan:
    """A zip's members after every check passed, so a hostile zip leaves nothing on disk."""

    files: tuple[tuple[zipfile.ZipInfo, PurePosixPath], ...]
    folders: frozenset[PurePosixPath]
    warnings: tuple[str, ...]


def open_submission(path: Path, scratch: Path, limits: TreeLimits = TreeLimits(),
                    modules: Sequence[str] = ()) -> Submission:
    """Open a submission folder as is, or extract a submission zip into a fresh folder under
    ``scratch``; notebooks standing for the rubric's ``modules`` become modules (in a copy)."""
    if not path.exists():
        raise SubmissionError(str(path), "does not exist")
    if path.is_dir():
        root = path.resolve()
        _require_python_files(path, root)
        submission = Submission(name=root.name, source=path, root=root)
    elif path.is_file() and path.suffix.lower() == ".zip":
        submission = _open_zip(path, scratch, limits)
    else:
        raise SubmissionError(str(path), "is neither a folder nor a .zip file")
    return _with_notebook_modules(submission, scratch, limits, modules)


def copy_tree(src: Path, dst: Path, limits: TreeLimits = TreeLimits()) -> tuple[str, ...]:
    """Copy a submission folder into a worker's private folder; return warnings for the report.

    Only regular files and folders are copied: a symlink could let student code read
    (or a later stage follow) anything on the grading machine. ``dst`` is created if
    needed and may be left half-filled when a limit is hit; the caller owns it.
    """
    if not src.is_dir():
        raise SubmissionError(str(src), "is not a folder")
    warnings: list[str] = []
    file_count = total_bytes = 0
    dst.mkdir(parents=True, exist_ok=True)
    pending = [(src, dst, "")]  # (source folder, target folder, relative path prefix)
    while pending:
        source_folder, target_folder, prefix = pending.pop()
        for entry in _scan(src, source_folder, prefix):
            relative = prefix + entry.name
            if entry.is_symlink():
                warnings.append(f"skipped symlink {relative!r}")
            elif entry.is_dir(follow_symlinks=False):
                if entry.name not in _NOT_COPIED_FOLDERS:
                    (target_folder / entry.name).mkdir(exist_ok=True)
                    pending.append((Path(entry.path), target_folder / entry.name, relative + "/"))
            elif entry.is_file(follow_symlinks=False):
                file_count += 1
                total_bytes += entry.stat(follow_symlinks=False).st_size
                _check_limits(src, file_count, total_bytes, limits)
                _copy_file(src, entry, target_folder / entry.name, relative)
            else:
                warnings.append(f"skipped special file {relative!r}")
    return tuple(sorted(warnings))


def discover(root: Path) -> list[Path]:
    """The submissions in a batch folder: its visible sub-folders and .zip files, by name.

    Names starting with ``.`` or ``_`` are skipped, which also drops macOS ``._x.zip``
    litter and folders such as ``__MACOSX``.
    """
    if not root.exists():
        raise SubmissionError(str(root), "does not exist")
    if not root.is_dir():
        raise SubmissionError(str(root), "is not a folder")
    found = [
        child
        for child in root.iterdir()
        if not child.name.startswith((".", "_"))
        and (child.is_dir() or (child.is_file() and child.suffix.lower() == ".zip"))
    ]
    return sorted(found, key=lambda child: child.name)


def notebook_to_module(path: Path) -> tuple[str, tuple[str, ...]]:
    """A notebook's code cells as module source, and notes on the lines left out.

    The notebook is only read as JSON, never run. IPython-only lines (magics, shell
    escapes, help, ``get_ipython()``) are not Python, so they are commented out, keeping
    every other line where it was; the notes say what was skipped, for the report.
    """
    skipped: dict[str, list[str]] = {}
    cells = [_python_only(source, skipped) for source in _code_cells(path)]
    notes = tuple(_skipped_note(kind, lines) for kind, lines in skipped.items())
    return "\n\n".join(cells) + "\n", notes


def _code_cells(path: Path) -> list[str]:
    try:
        data = json.loads(path.read_bytes())
    except OSError as error:
        raise SubmissionError(str(path), f"cannot be read ({error.strerror})") from error
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise SubmissionError(str(path), f"is not valid JSON ({error})") from None
    version = data.get("nbformat") if isinstance(data, dict) else None
    if version != 4:
        raise SubmissionError(str(path), f"is not a Jupyter notebook in format 4 (its nbformat "
                                         f"is {version!r})")
    cells = data.get("cells")
    if not isinstance(cells, list):
        raise SubmissionError(str(path), "has no list of cells")
    sources = []
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(line, str) for line in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise SubmissionError(str(path), f"cell {number} has a source that is neither text "
                                             "nor a list of lines")
        if source.strip():
            sources.append(source)
    if not sources:
        raise SubmissionError(str(path), "has no code cells with code in them")
    return sources


# IPython-only syntax, recognised where a statement starts (not inside strings or brackets).
_ASSIGNED_ESCAPE = re.compile(r"^[\w.,\s]+=\s*([!%])")  # files = !ls, t = %timeit -o f()
_HELP = re.compile(r"^\?|^[\w.*]+\?\??$")  # ?len, np.zeros?, np.*load*??
_GET_IPYTHON = re.compile(r"\bget_ipython\s*\(")


def _python_only(source: str, skipped: dict[str, list[str]]) -> str:
    """The cell with its IPython-only lines commented out, each recorded in ``skipped`` by kind.

    An indented line becomes ``pass  # ...`` so that its block keeps a body.
    """
    lines = source.rstrip().splitlines()
    first = next(line for line in lines if line.strip())
    if first.lstrip().startswith("%%"):  # a cell magic: the whole cell is not Python
        skipped.setdefault("magic cell", []).append(first.strip())
        return "\n".join(f"# {line}".rstrip() for line in lines)
    out: list[str] = []
    statement: list[str] = []  # lines of the statement in progress
    for line in lines:
        kind = None if statement else _ipython_kind(line.strip())
        if kind is None:
            out.append(line)
            statement.append(line)
            if _complete(statement):
                statement = []
            continue
        skipped.setdefault(kind, []).append(line.strip())
        code = line.lstrip()
        indent = line[: len(line) - len(code)]
        out.append(f"{indent}pass  # {code}" if indent else f"# {code}")
    return "\n".join(out)


def _ipython_kind(code: str) -> str | None:
    assigned = _ASSIGNED_ESCAPE.match(code)
    escape = assigned.group(1) if assigned else code[:1]
    if escape == "%":
        return "magic line"
    if escape == "!":
        return "shell line"
    if _HELP.match(code):
        return "help line"
    if not code.startswith("#") and _GET_IPYTHON.search(code):
        return "get_ipython() line"
    return None


def _complete(lines: list[str]) -> bool:
    """Whether these lines end a statement (no open bracket, string or backslash)."""
    try:
        for _ in tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline):
            pass
    except tokenize.TokenError:
        return False
    except SyntaxError:  # broken code: the worker reports it when importing the module
        return True
    return True


def _skipped_note(kind: str, lines: list[str]) -> str:
    plural = "" if len(lines) == 1 else "s"
    example = lines[0]
    if len(example) > 30:  # cut at a word boundary when there is one
        head = example[:26]
        example = (head.rsplit(" ", 1)[0] if " " in head else head) + " ..."
    return f"skipped {len(lines)} {kind}{plural} ({example})"


def _with_notebook_modules(submission: Submission, scratch: Path, limits: TreeLimits,
                           modules: Sequence[str]) -> Submission:
    """The submission with a module written for each notebook that stands for one.

    ``<module>.ipynb`` stands for ``<module>`` (with no rubric modules given: for any
    module name); a single notebook named otherwise stands for every rubric module that
    has no .py file. An existing .py always wins. The modules are written into a copy of
    the submission under ``scratch``, and notebooks are read from that copy, which holds
    no symlinks: a link could pass another student's notebook off as this one.
    """
    root = submission.root
    notebooks = {p.stem: p for p in sorted(root.glob("*.ipynb")) if _regular_file(p)}
    if not notebooks:
        return submission
    wanted = list(modules) or [stem for stem in notebooks if stem.isidentifier()]
    has_py = {module: _regular_file(root / f"{module}.py") for module in wanted}
    plan = {module: notebooks[module] for module in wanted
            if module in notebooks and not has_py[module]}
    notes = [f"graded {module}.py, not {module}.ipynb" for module in wanted
             if module in notebooks and has_py[module]]
    others = [p for stem, p in notebooks.items() if stem not in wanted]
    missing = [module for module in wanted if not has_py[module] and module not in plan]
    if missing and len(others) == 1:
        plan.update(dict.fromkeys(missing, others[0]))
    elif missing and others:
        notes.append(f"no module {', '.join(f'{m}.py' for m in missing)}, and several "
                     f"notebooks ({', '.join(p.name for p in others)}) could hold them: name "
                     "each notebook after its module")
    if not plan:
        return replace(submission, warnings=submission.warnings + tuple(notes))
    scratch.mkdir(parents=True, exist_ok=True)
    copy = Path(tempfile.mkdtemp(prefix=f"{submission.name}-notebooks-", dir=scratch)).resolve()
    copied = copy_tree(root, copy, limits)
    made_from: dict[str, list[str]] = {}
    for module, notebook in plan.items():
        made_from.setdefault(notebook.name, []).append(module)
    for name, targets in made_from.items():
        try:
            source, skipped = notebook_to_module(copy / name)
        except SubmissionError as error:
            raise SubmissionError(str(submission.source), f"{name} {error.problem}") from None
        for module in targets:
            (copy / f"{module}.py").write_text(source, encoding="utf-8")
        made = ", ".join(f"{module}.py" for module in targets)
        verb = "was" if len(targets) == 1 else "were"
        notes.append("; ".join([f"{made} {verb} made from {name}", *skipped]))
    return replace(submission, root=copy, warnings=submission.warnings + copied + tuple(notes))


def _regular_file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()


def _open_zip(path: Path, scratch: Path, limits: TreeLimits) -> Submission:
    try:
        archive = zipfile.ZipFile(path)
    except _CORRUPT_ZIP_ERRORS as error:
        raise SubmissionError(str(path), f"is not a readable zip file ({error})") from error
    with archive:
        plan = _plan_extraction(path, archive, limits)
        scratch.mkdir(parents=True, exist_ok=True)
        extraction = Path(tempfile.mkdtemp(prefix=f"{path.stem}-", dir=scratch)).resolve()
        try:
            _extract(path, archive, plan, extraction, limits)
            root = _descend_into_lone_folder(extraction)
            _require_python_files(path, root)
        except BaseException:
            shutil.rmtree(extraction, ignore_errors=True)
            raise
    return Submission(name=path.stem, source=path, root=root, warnings=plan.warnings)


def _plan_extraction(source: Path, archive: zipfile.ZipFile, limits: TreeLimits) -> _ExtractionPlan:
    """Check every member (names, encryption, declared sizes) before writing anything."""
    files: list[tuple[zipfile.ZipInfo, PurePosixPath]] = []
    folders: set[PurePosixPath] = set()
    warnings: list[str] = []
    for info in archive.infolist():
        relative = _member_path(source, info.filename)
        if relative is None or relative.parts[0] == _MACOS_FOLDER or relative.name == _MACOS_FILE:
            continue
        if info.flag_bits & _ENCRYPTED_FLAG:
            raise SubmissionError(
                str(source),
                f"member {info.filename!r} is encrypted; zip it again without a password",
            )
        if stat.S_ISLNK(info.external_attr >> 16):
            warnings.append(f"skipped symlink {info.filename!r} inside the zip")
        elif info.filename.endswith(("/", "\\")):
            folders.add(relative)
        else:
            files.append((info, relative))
            folders.update(relative.parents[:-1])  # every parent except "." itself
    if not files:
        raise SubmissionError(str(source), "the zip is empty")
    clashes = folders.intersection(relative for _, relative in files)
    if clashes:
        raise SubmissionError(
            str(source), f"member {str(min(clashes))!r} is both a file and a folder"
        )
    declared_bytes = sum(info.file_size for info, _ in files)
    _check_limits(source, len(files), declared_bytes, limits)
    return _ExtractionPlan(tuple(files), frozenset(folders), tuple(warnings))


def _member_path(source: Path, name: str) -> PurePosixPath | None:
    """The member's path inside the extraction folder, or None for a bare ``./``.

    Backslashes count as separators (Windows tools write them), so ``..\\evil.py`` is
    caught too. One unsafe name rejects the whole zip: it was built to attack.
    """
    normalized = name.replace("\\", "/")
    parts = [part for part in normalized.split("/") if part not in ("", ".")]
    if normalized.startswith("/") or _DRIVE_LETTER.match(normalized) or ".." in parts:
        raise SubmissionError(
            str(source), f"member {name!r} would be written outside the extraction folder"
        )
    return PurePosixPath(*parts) if parts else None


def _extract(
    source: Path,
    archive: zipfile.ZipFile,
    plan: _ExtractionPlan,
    target: Path,
    limits: TreeLimits,
) -> None:
    for folder in sorted(plan.folders):  # parents sort before their children
        (target / folder).mkdir(exist_ok=True)
        (target / folder).chmod(0o755)
    written = 0
    for info, relative in plan.files:
        destination = target / relative
        with destination.open("wb") as out:
            for chunk in _member_chunks(source, archive, info):
                # Counted for real: the declared sizes checked so far could be forged.
                written += len(chunk)
                _check_limits(source, len(plan.files), written, limits)
                out.write(chunk)
        destination.chmod(0o644)


def _member_chunks(
    source: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo
) -> Iterator[bytes]:
    """Stream a member; a damaged one becomes a SubmissionError naming it."""
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK_BYTES):
                yield chunk
    except _CORRUPT_ZIP_ERRORS as error:
        raise SubmissionError(
            str(source), f"member {info.filename!r} is corrupt ({error})"
        ) from error


def _descend_into_lone_folder(extraction: Path) -> Path:
    """Students usually zip their folder rather than its contents: look inside it."""
    entries = list(extraction.iterdir())
    folders = [entry for entry in entries if entry.is_dir()]
    has_modules = any(entry.suffix in _MODULE_SUFFIXES for entry in entries if entry.is_file())
    return folders[0] if len(folders) == 1 and not has_modules else extraction


def _require_python_files(source: Path, root: Path) -> None:
    for _, _, filenames in os.walk(root):
        if any(filename.endswith(_MODULE_SUFFIXES) for filename in filenames):
            return
    raise SubmissionError(str(source), "holds no Python files (.py or .ipynb)")


def _check_limits(source: Path, file_count: int, total_bytes: int, limits: TreeLimits) -> None:
    if file_count > limits.max_files:
        raise SubmissionError(
            str(source), f"holds more than {limits.max_files:,} files, the limit for a submission"
        )
    if total_bytes > limits.max_bytes:
        raise SubmissionError(
            str(source),
            f"holds more than {limits.max_bytes:,} bytes, the limit for a submission"
            " (a zip bomb, or stray data files?)",
        )


def _scan(src: Path, folder: Path, prefix: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except OSError as error:
        where = prefix.rstrip("/") or "."
        raise SubmissionError(str(src), f"cannot read {where!r}: {error.strerror}") from error


def _copy_file(src: Path, entry: os.DirEntry[str], target: Path, relative: str) -> None:
    try:
        shutil.copyfile(entry.path, target)
    except OSError as error:
        if error.filename != entry.path:
            raise  # the target side failed: the grader's problem, not the submission's
        raise SubmissionError(str(src), f"cannot read {relative!r}: {error.strerror}") from error
