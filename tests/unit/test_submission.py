"""Tests for grader.submission: opening folders and hostile zips, copying, discovery."""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import pytest

from grader.errors import SubmissionError
from grader.submission import (
    Submission,
    TreeLimits,
    copy_tree,
    discover,
    open_submission,
)

_CENTRAL_HEADER = b"PK\x01\x02"
_LOCAL_HEADER = b"PK\x03\x04"


def make_zip(path: Path, members: dict[str, str | bytes]) -> Path:
    """Build a zip whose member names are kept exactly as given (even hostile ones)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(zipfile.ZipInfo(name), content, compress_type=zipfile.ZIP_DEFLATED)
    return path


def patch_headers(path: Path, local_offset: int, central_offset: int, value: bytes) -> None:
    """Overwrite one field in every local and central header, as a forger would."""
    data = bytearray(path.read_bytes())
    for signature, offset in ((_LOCAL_HEADER, local_offset), (_CENTRAL_HEADER, central_offset)):
        start = data.find(signature)
        while start != -1:
            data[start + offset : start + offset + len(value)] = value
            start = data.find(signature, start + 4)
    path.write_bytes(bytes(data))


def files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    return tmp_path / "scratch"


# --- open_submission: folders ------------------------------------------------------------


def test_folder_opens_as_is(tmp_path: Path, scratch: Path) -> None:
    folder = tmp_path / "alice"
    folder.mkdir()
    (folder / "main.py").write_text("x = 1\n")

    submission = open_submission(folder, scratch)

    assert submission == Submission(name="alice", source=folder, root=folder.resolve())
    assert not scratch.exists()


def test_folder_with_only_a_notebook_is_accepted(tmp_path: Path, scratch: Path) -> None:
    folder = tmp_path / "bob"
    (folder / "work").mkdir(parents=True)
    (folder / "work" / "hw.ipynb").write_text("{}")

    assert open_submission(folder, scratch).root == folder.resolve()


def test_folder_without_python_files_is_rejected(tmp_path: Path, scratch: Path) -> None:
    folder = tmp_path / "notes_only"
    folder.mkdir()
    (folder / "README.txt").write_text("I did not finish")

    with pytest.raises(SubmissionError, match="no Python files") as caught:
        open_submission(folder, scratch)
    assert caught.value.path == str(folder)


def test_missing_path_is_rejected(tmp_path: Path, scratch: Path) -> None:
    missing = tmp_path / "nobody.zip"

    with pytest.raises(SubmissionError, match="does not exist") as caught:
        open_submission(missing, scratch)
    assert str(caught.value) == f"{missing}: does not exist"


def test_text_file_is_neither_folder_nor_zip(tmp_path: Path, scratch: Path) -> None:
    text_file = tmp_path / "homework.txt"
    text_file.write_text("def f(): pass\n")

    with pytest.raises(SubmissionError, match=r"neither a folder nor a \.zip"):
        open_submission(text_file, scratch)


# --- open_submission: good zips ----------------------------------------------------------


def test_zip_is_extracted_under_scratch(tmp_path: Path, scratch: Path) -> None:
    source = make_zip(
        tmp_path / "carol.zip",
        {"main.py": "import helpers.util\n", "helpers/util.py": "VALUE = 3\n"},
    )

    submission = open_submission(source, scratch)

    assert submission.name == "carol"
    assert submission.source == source
    assert submission.root.parent == scratch.resolve()
    assert submission.warnings == ()
    assert files_under(submission.root) == ["helpers", "helpers/util.py", "main.py"]
    assert (submission.root / "helpers" / "util.py").read_text() == "VALUE = 3\n"
    assert stat.S_IMODE((submission.root / "main.py").stat().st_mode) == 0o644
    assert stat.S_IMODE((submission.root / "helpers").stat().st_mode) == 0o755


def test_each_zip_gets_a_fresh_folder(tmp_path: Path, scratch: Path) -> None:
    source = make_zip(tmp_path / "dave.zip", {"main.py": ""})

    assert open_submission(source, scratch).root != open_submission(source, scratch).root


def test_zip_with_single_top_folder_descends_into_it(tmp_path: Path, scratch: Path) -> None:
    source = make_zip(
        tmp_path / "erin.zip", {"hw1/": "", "hw1/main.py": "", "hw1/lib/tools.py": ""}
    )

    submission = open_submission(source, scratch)

    assert submission.name == "erin"
    assert submission.root.name == "hw1"
    assert files_under(submission.root) == ["lib", "lib/tools.py", "main.py"]


def test_zip_with_modules_at_top_does_not_descend(tmp_path: Path, scratch: Path) -> None:
    source = make_zip(tmp_path / "frank.zip", {"main.py": "", "helpers/util.py": ""})

    submission = open_submission(source, scratch)

    assert files_under(submission.root) == ["helpers", "helpers/util.py", "main.py"]


def test_macos_metadata_is_ignored(tmp_path: Path, scratch: Path) -> None:
    source = make_zip(
        tmp_path / "gina.zip",
        {
            "hw1/main.py": "",
            "hw1/.DS_Store": b"\0\0\0\1Bud1",
            "__MACOSX/hw1/._main.py": b"\0\5\26\7",
            ".DS_Store": b"\0\0\0\1Bud1",
        },
    )

    submission = open_submission(source, scratch)

    assert submission.root.name == "hw1"
    assert files_under(submission.root.parent) == ["hw1", "hw1/main.py"]


def test_windows_backslash_names_become_folders(tmp_path: Path, scratch: Path) -> None:
    source = make_zip(tmp_path / "hugo.zip", {"hw1\\main.py": "", "hw1\\lib\\tools.py": ""})

    submission = open_submission(source, scratch)

    assert submission.root.name == "hw1"
    assert files_under(submission.root) == ["lib", "lib/tools.py", "main.py"]


def test_symlink_member_is_skipped_with_a_warning(tmp_path: Path, scratch: Path) -> None:
    source = tmp_path / "ivan.zip"
    link = zipfile.ZipInfo("data/link.py")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("main.py", "")
        archive.writestr(link, "/etc/passwd")

    submission = open_submission(source, scratch)

    assert submission.warnings == ("skipped symlink 'data/link.py' inside the zip",)
    assert not os.path.lexists(submission.root / "data" / "link.py")
    assert files_under(submission.root) == ["main.py"]


# --- open_submission: hostile or broken zips ---------------------------------------------


@pytest.mark.parametrize(
    "member",
    ["../evil.py", "/abs.py", "lib/../../evil.py", "..\\evil.py", "C:/evil.py", "C:\\evil.py"],
)
def test_zip_slip_rejects_the_whole_zip(tmp_path: Path, scratch: Path, member: str) -> None:
    outside = tmp_path / "submissions"
    outside.mkdir()
    source = make_zip(outside / "slip.zip", {"main.py": "", member: "import os\n"})

    with pytest.raises(SubmissionError, match="outside the extraction folder") as caught:
        open_submission(source, scratch)

    assert repr(member) in str(caught.value)
    assert files_under(tmp_path) == ["submissions", "submissions/slip.zip"]
    assert not Path("/abs.py").exists()


def test_zip_bomb_by_declared_size_is_rejected(tmp_path: Path, scratch: Path) -> None:
    source = make_zip(tmp_path / "bomb.zip", {"main.py": "", "zeros.py": bytes(2**20)})
    assert source.stat().st_size < 10_000

    with pytest.raises(SubmissionError, match="more than 100,000 bytes"):
        open_submission(source, scratch, TreeLimits(max_bytes=100_000))
    assert not scratch.exists()


def test_zip_bomb_with_lying_header_is_rejected(tmp_path: Path, scratch: Path) -> None:
    source = make_zip(tmp_path / "lying_header.zip", {"main.py": bytes(2**20)})
    declared = (10).to_bytes(4, "little")
    patch_headers(source, local_offset=22, central_offset=24, value=declared)
    assert zipfile.ZipFile(source).getinfo("main.py").file_size == 10

    # zipfile stops at the declared size and then fails the CRC check; either way the
    # zip must be rejected without writing more than the limit.
    with pytest.raises(SubmissionError, match=r"'main\.py' is corrupt|more than 1,000 bytes"):
        open_submission(source, scratch, TreeLimits(max_bytes=1000))
    assert files_under(scratch) == []


def test_too_many_files_is_rejected(tmp_path: Path, scratch: Path) -> None:
    source = make_zip(tmp_path / "too_many_files.zip", {f"m{i}.py": "" for i in range(6)})

    with pytest.raises(SubmissionError, match="more than 5 files"):
        open_submission(source, scratch, TreeLimits(max_files=5))


def test_encrypted_member_is_rejected(tmp_path: Path, scratch: Path) -> None:
    source = make_zip(tmp_path / "encrypted.zip", {"main.py": "x = 1\n"})
    patch_headers(source, local_offset=6, central_offset=8, value=b"\x01")

    with pytest.raises(SubmissionError, match=r"'main\.py' is encrypted"):
        open_submission(source, scratch)


def test_member_that_is_both_file_and_folder_is_rejected(tmp_path: Path, scratch: Path) -> None:
    source = make_zip(tmp_path / "file_folder_clash.zip", {"lib": "", "lib/util.py": ""})

    with pytest.raises(SubmissionError, match="'lib' is both a file and a folder"):
        open_submission(source, scratch)


def test_random_bytes_are_not_a_zip(tmp_path: Path, scratch: Path) -> None:
    source = tmp_path / "random_bytes.zip"
    source.write_bytes(os.urandom(4096))

    with pytest.raises(SubmissionError, match="not a readable zip file") as caught:
        open_submission(source, scratch)
    assert caught.value.path == str(source)


def test_truncated_zip_is_rejected(tmp_path: Path, scratch: Path) -> None:
    source = make_zip(tmp_path / "truncated.zip", {"main.py": os.urandom(5000).hex()})
    source.write_bytes(source.read_bytes()[: source.stat().st_size // 2])

    with pytest.raises(SubmissionError, match="not a readable zip file"):
        open_submission(source, scratch)


def test_zip_with_damaged_member_data_is_rejected(tmp_path: Path, scratch: Path) -> None:
    source = make_zip(tmp_path / "damaged_data.zip", {"main.py": "print('hello')\n" * 500})
    compressed_size = zipfile.ZipFile(source).getinfo("main.py").compress_size
    middle = 30 + len("main.py") + compressed_size // 2  # after the 30-byte local header
    data = bytearray(source.read_bytes())
    data[middle - 8 : middle + 8] = bytes(16)
    source.write_bytes(bytes(data))

    with pytest.raises(SubmissionError, match=r"'main\.py' is corrupt"):
        open_submission(source, scratch)
    assert files_under(scratch) == []


def test_empty_zip_is_rejected(tmp_path: Path, scratch: Path) -> None:
    source = make_zip(tmp_path / "empty.zip", {})

    with pytest.raises(SubmissionError, match="empty"):
        open_submission(source, scratch)


def test_zip_of_only_macos_metadata_is_empty(tmp_path: Path, scratch: Path) -> None:
    source = make_zip(tmp_path / "only_metadata.zip", {"__MACOSX/._main.py": "", ".DS_Store": ""})

    with pytest.raises(SubmissionError, match="empty"):
        open_submission(source, scratch)


def test_zip_without_python_files_is_rejected(tmp_path: Path, scratch: Path) -> None:
    source = make_zip(tmp_path / "no_python.zip", {"hw1/report.pdf": b"%PDF"})

    with pytest.raises(SubmissionError, match="no Python files"):
        open_submission(source, scratch)
    assert files_under(scratch) == []


# --- copy_tree ---------------------------------------------------------------------------


def test_copy_tree_copies_nested_packages_and_skips_links_and_caches(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "secrets").mkdir(parents=True)
    (outside / "answers.txt").write_text("42")
    src = tmp_path / "alice"
    (src / "helpers" / "deep").mkdir(parents=True)
    (src / "main.py").write_text("from helpers.deep import util\n")
    (src / "helpers" / "__init__.py").write_text("")
    (src / "helpers" / "deep" / "util.py").write_text("VALUE = 3\n")
    (src / "__pycache__").mkdir()
    (src / "__pycache__" / "main.cpython-311.pyc").write_bytes(b"\0")
    (src / ".git").mkdir()
    (src / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (src / "helpers" / "answers.txt").symlink_to(outside / "answers.txt")
    (src / "secrets").symlink_to(outside / "secrets", target_is_directory=True)
    dst = tmp_path / "private" / "submission"

    warnings = copy_tree(src, dst)

    assert warnings == (
        "skipped symlink 'helpers/answers.txt'",
        "skipped symlink 'secrets'",
    )
    assert files_under(dst) == [
        "helpers",
        "helpers/__init__.py",
        "helpers/deep",
        "helpers/deep/util.py",
        "main.py",
    ]
    assert (dst / "helpers" / "deep" / "util.py").read_text() == "VALUE = 3\n"


def test_copy_tree_enforces_limits(tmp_path: Path) -> None:
    src = tmp_path / "big_data"
    src.mkdir()
    (src / "main.py").write_text("")
    (src / "helper.py").write_text("")
    (src / "data.csv").write_bytes(bytes(5000))

    with pytest.raises(SubmissionError, match="more than 1,000 bytes") as caught:
        copy_tree(src, tmp_path / "dst", TreeLimits(max_bytes=1000))
    assert caught.value.path == str(src)
    with pytest.raises(SubmissionError, match="more than 2 files"):
        copy_tree(src, tmp_path / "dst2", TreeLimits(max_files=2))


def test_copy_tree_of_missing_folder_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(SubmissionError, match="is not a folder"):
        copy_tree(tmp_path / "gone", tmp_path / "dst")


# --- discover ----------------------------------------------------------------------------


def test_discover_lists_folders_and_zips_by_name(tmp_path: Path) -> None:
    for folder in ("carol", "alice", ".git", "_private", "__MACOSX"):
        (tmp_path / folder).mkdir()
    for file in ("bob.zip", "dave.ZIP", "._bob.zip", "notes.txt", "rubric.yaml"):
        (tmp_path / file).write_bytes(b"")

    assert discover(tmp_path) == [
        tmp_path / "alice",
        tmp_path / "bob.zip",
        tmp_path / "carol",
        tmp_path / "dave.ZIP",
    ]


def test_discover_of_missing_folder_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(SubmissionError, match="does not exist"):
        discover(tmp_path / "batch")


def test_discover_of_a_file_is_rejected(tmp_path: Path) -> None:
    batch = tmp_path / "batch.zip"
    batch.write_bytes(b"")

    with pytest.raises(SubmissionError, match="is not a folder"):
        discover(batch)
