"""Hostile submissions graded in one batch beside two honest ones (issue 4).

One module-scoped fixture builds a class folder of every attack in attacks.py plus
alice_perfect and bob_forgot_biases, grades it with ``grade_batch(..., jobs=2)`` under a
rubric with small time limits, and records what the batch left behind (files, processes,
connections, System V IPC objects) and the most disk each attack's files took. The tests
then check, attack by attack, the score it deserves and the statuses of the items it
attacked, and for the batch as a whole that nothing outside the attackers' private folders
changed, no process outlived it, no secret or markup reached a report, and the honest
submissions scored as when graded alone. A second, small batch (one CPU slot) checks how
soon a worker past its disk budget is stopped while another submission holds the slot.

A hole found here is not fixed here: its test is a strict xfail whose reason starts with
"HOLE", so fixing the grader turns it into a failure that asks to drop the mark.
"""

from __future__ import annotations

import ctypes
import faulthandler
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import stat
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from grader.algebra import AlgebraService
from grader.batch import STATE_FILE, grade_batch
from grader.cache import scratch_root
from grader.checks import GradeContext
from grader.gradebook import Record
from grader.rubric import load_rubric
from grader.sandbox import landlock_abi
from tests.adversarial.attacks import (
    ATTACKS,
    BUSY_BATCH,
    BY_NAME,
    CLASS_FILES,
    EXAMPLES,
    POINTS,
    Attack,
)
from tests.conftest import ASSIGNMENT4, ROOT

# The guarantees checked here rest on Landlock; without it the grader says so and runs on.
pytestmark = pytest.mark.skipif(landlock_abi() < 6, reason="needs Linux Landlock ABI 6+ "
                                "(file, TCP and signal confinement of the worker)")

HONEST = ("alice_perfect", "bob_forgot_biases")
NONCE = secrets.token_hex(4)  # marks everything an attack writes, names or spawns
SECRET = f"gadv-secret-{secrets.token_hex(12)}"
ALGEBRA_TIMEOUT = 3.0  # seconds per formula check (the default is 10)
BATCH_BUDGET = 75.0  # seconds for the whole batch on 2 cores
FILE_LIMIT = 64 * 2**20  # the worker's RLIMIT_FSIZE (sandbox.set_limits default)
DISK_BUDGET = 200 * 2**20  # Limits.disk_mb default (the rubric sets none)
REPORT_FILES = {"report.html", "report.md", "results.json", STATE_FILE}


def hole(attack: Attack):
    """The strict xfail of a check that this attack is known to defeat."""
    return pytest.mark.xfail(strict=True, reason=f"HOLE: {attack.hole}")


def params(exposes: str, attacks: list[Attack] | None = None) -> list:
    """Attacks as test parameters, each marked as a hole where it defeats check ``exposes``.

    Without ``attacks``: only the attacks aimed at that check."""
    chosen = attacks if attacks is not None else [a for a in ATTACKS if a.exposes == exposes]
    return [pytest.param(a, id=a.name, marks=[hole(a)] if a.hole and a.exposes == exposes
                         else []) for a in chosen]


# --- the batch ---------------------------------------------------------------------------


@dataclass
class Setting:
    """Everything the batch fixture made, graded and observed."""

    tmp: Path
    classdir: Path
    out: Path
    private: Path  # where every private folder of the batch was created
    tokens: dict[str, str]
    records: dict[str, Record]
    alone: dict[str, Record]
    elapsed: float
    log: list[str]
    changed: dict[str, tuple]  # path -> (before, after) of what the batch changed
    fifo_readers: set[str] = field(default_factory=set)  # fifos someone opened for reading
    survivors: dict[int, str] = field(default_factory=dict)  # pid -> why it is suspect
    disk_peaks: dict[str, int] = field(default_factory=dict)  # attack -> most bytes seen at once
    largest_files: dict[str, int] = field(default_factory=dict)  # attack -> its largest file
    tcp_connections: int = 0
    udp_datagrams: list[bytes] = field(default_factory=list)
    unix_connections: int = 0
    ipc_left: list[str] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)  # private folders still there after

    def folder(self, attack: Attack) -> Path:
        return self.out / attack.submission

    def text(self, attack: Attack, report: str) -> str:
        return (self.folder(attack) / report).read_text(encoding="utf-8")

    def path(self, template: str) -> Path:
        return Path(fill(template, self.tokens))


def fill(text: str, tokens: dict[str, str]) -> str:
    for key, value in tokens.items():
        text = text.replace(f"@{key}@", value)
    return text


def write_rubric(folder: Path, disk_mb: int | None = None) -> Path:
    """assignment4 with small time limits (and disk budget, if given), its reference still
    the shipped folder."""
    text = (ASSIGNMENT4 / "rubric.yaml").read_text()
    memory = "  memory_mb: 1024\n"
    for old, new in (("reference: reference", f"reference: {ASSIGNMENT4 / 'reference'}"),
                     ("  timeout: 2\n", "  timeout: 1\n"),
                     ("  import_timeout: 5\n", "  import_timeout: 2\n"),
                     ("  submission_timeout: 60\n", "  submission_timeout: 20\n"),
                     (memory, memory + (f"  disk_mb: {disk_mb}\n" if disk_mb else ""))):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    folder.mkdir()
    (folder / "rubric.yaml").write_text(text)
    return folder / "rubric.yaml"


def build(attack: Attack, classdir: Path, tokens: dict[str, str]) -> None:
    """Write one attack into the class folder: a folder, or a zip of the same files."""
    files = {p.name: p.read_bytes() for p in sorted((EXAMPLES / "alice_perfect").glob("*.py"))
             if p.name not in attack.remove}
    for name, content in attack.files.items():
        files[name] = fill(content, tokens).encode() if isinstance(content, str) else content
    target = classdir / attack.source_name
    if attack.zip:
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in files.items():
                z.writestr(name, data)
            for member in attack.members:
                info = zipfile.ZipInfo(fill(member.name, tokens))
                info.compress_type = zipfile.ZIP_DEFLATED
                if member.symlink:
                    info.external_attr = (stat.S_IFLNK | 0o777) << 16
                    z.writestr(info, fill(member.data.decode(), tokens))
                elif member.zeros:
                    with z.open(info, "w", force_zip64=True) as stream:
                        for _ in range(member.zeros // 2**20):
                            stream.write(bytes(2**20))
                else:
                    z.writestr(info, member.data)
        return
    target.mkdir()
    for name, data in files.items():
        (target / name).write_bytes(data)
    for name, link in attack.symlinks.items():
        os.symlink(fill(link, tokens), target / name)
    for name in attack.fifos:
        os.mkfifo(target / name)


def snapshot(root: Path, skip: tuple[Path, ...] = ()) -> dict[str, tuple]:
    """(type, size, mtime, sha256 or link target) of everything under ``root``; named pipes
    and sockets are never opened."""
    seen: dict[str, tuple] = {}
    if not os.path.lexists(root):
        return seen
    pending = [root]
    while pending:
        path = pending.pop()
        if any(path == s or s in path.parents for s in skip):
            continue
        info = path.lstat()
        if stat.S_ISDIR(info.st_mode):
            seen[str(path)] = ("dir", sorted(p.name for p in path.iterdir()))
            pending.extend(path.iterdir())
        elif stat.S_ISREG(info.st_mode):
            seen[str(path)] = ("file", info.st_size, info.st_mtime_ns,
                               hashlib.sha256(path.read_bytes()).hexdigest())
        elif stat.S_ISLNK(info.st_mode):
            seen[str(path)] = ("link", os.readlink(path))
        else:
            seen[str(path)] = ("special", stat.S_IFMT(info.st_mode), info.st_mtime_ns)
    return seen


def diff(before: dict[str, tuple], after: dict[str, tuple]) -> dict[str, tuple]:
    return {p: (before.get(p), after.get(p)) for p in before.keys() | after.keys()
            if before.get(p) != after.get(p)}


class FifoWatch(threading.Thread):
    """Notices when anyone opens a watched named pipe for reading, and lets it go.

    Opening a pipe's write end without blocking succeeds only while a reader has it
    open; closing it at once gives that reader end-of-file, so a grader blocked on the
    pipe is recorded and released instead of hanging the suite.
    """

    def __init__(self, paths) -> None:
        super().__init__(daemon=True)
        self.paths, self.readers, self.done = paths, set(), threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            for path in self.paths():
                try:
                    if not stat.S_ISFIFO(os.lstat(path).st_mode):
                        continue
                    fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
                except OSError:
                    continue
                self.readers.add(str(path))
                os.close(fd)
            self.done.wait(0.2)


def stderr_files(private: Path) -> list[Path]:
    """Where each grader's stderr.txt is (in its control/) or a worker may plant one (in its
    own folder): <private>/<grader>/<folder>/stderr.txt. Folders come and go meanwhile."""
    def entries(folder: Path) -> list[Path]:
        try:
            return list(folder.iterdir())
        except OSError:
            return []
    return [sub / "stderr.txt" for grader in entries(private) for sub in entries(grader)]


class DiskWatch(threading.Thread):
    """Every 25 ms, adds up the disk space the files named gadv-<attack>-<n>.bin take under
    the private folders, and keeps each attack's peak (a lower bound of the true one) and
    its largest file."""

    NAME = re.compile(r"gadv-([a-z0-9_]+)-\d+\.bin")

    def __init__(self, root: Path) -> None:
        super().__init__(daemon=True)
        self.root, self.peaks, self.done = root, {}, threading.Event()
        self.largest: dict[str, int] = {}

    def run(self) -> None:
        while not self.done.is_set():
            held: dict[str, int] = {}
            for folder, _, names in os.walk(self.root):
                for name in names:
                    if match := self.NAME.fullmatch(name):
                        try:
                            size = os.lstat(os.path.join(folder, name)).st_blocks * 512
                        except OSError:
                            continue
                        held[match[1]] = held.get(match[1], 0) + size
                        self.largest[match[1]] = max(self.largest.get(match[1], 0), size)
            for attack, size in held.items():
                self.peaks[attack] = max(self.peaks.get(attack, 0), size)
            self.done.wait(0.025)


def scan_processes(private: Path) -> dict[int, str]:
    """Processes carrying an attack's marker, or still working inside a private folder."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8",
                                                                                   "replace")
            comm = (entry / "comm").read_text().strip()
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        marker = re.search(f"GADV-{NONCE}-(\\w+)", cmdline)
        if marker or comm == f"gadv{NONCE}" or cwd.startswith(str(private)):
            found[int(entry.name)] = (f"{marker.group(1) if marker else comm}: "
                                      f"{cmdline[:100]!r} (cwd {cwd})")
    return found


def ipc_objects(key: int) -> list[str]:
    left = []
    for kind in ("shm", "sem", "msg"):
        for line in Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:]:
            if int(line.split()[0]) == key:
                left.append(f"{kind}: {line.split()[:2]}")
    return left


def remove_ipc(key: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    shm = libc.shmget(ctypes.c_int(key), ctypes.c_size_t(0), ctypes.c_int(0))
    if shm >= 0:
        libc.shmctl(ctypes.c_int(shm), ctypes.c_int(0), None)  # IPC_RMID
    msg = libc.msgget(ctypes.c_int(key), ctypes.c_int(0))
    if msg >= 0:
        libc.msgctl(ctypes.c_int(msg), ctypes.c_int(0), None)
    sem = libc.semget(ctypes.c_int(key), ctypes.c_int(0), ctypes.c_int(0))
    if sem >= 0:
        libc.semctl(ctypes.c_int(sem), ctypes.c_int(0), ctypes.c_int(0))


def drain(listener: socket.socket) -> int:
    count = 0
    while True:
        try:
            connection, _ = listener.accept()
        except BlockingIOError:
            return count
        connection.close()
        count += 1


class Listeners:
    """A TCP, a UDP and a Unix socket the attacks try to reach; none should hear a thing."""

    def __init__(self, folder: Path):
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        folder.mkdir()
        self.unix_path = folder / "agent.sock"
        self.unix = socket.socket(socket.AF_UNIX)
        self.unix.bind(str(self.unix_path))
        self.unix.listen()
        for listener in (self.tcp, self.udp, self.unix):
            listener.setblocking(False)

    def tokens(self) -> dict[str, str]:
        return {"PORT": str(self.tcp.getsockname()[1]),
                "UPORT": str(self.udp.getsockname()[1]), "USOCK": str(self.unix_path)}

    def heard(self) -> tuple[int, list[bytes], int]:
        """Connections to the TCP socket, datagrams on the UDP one, Unix connections."""
        datagrams = []
        while True:
            try:
                datagrams.append(self.udp.recv(1024))
            except BlockingIOError:
                break
        return drain(self.tcp), datagrams, drain(self.unix)

    def close(self) -> None:
        for listener in (self.tcp, self.udp, self.unix):
            listener.close()


def watched_files(tmp: Path, private: Path, out: Path) -> dict[str, tuple]:
    """The rubric in use and the shipped one with its reference, and everything in ``tmp``
    (submissions, canary, secret, victims, the out folder's parent and earlier files) except
    the private folders and the reports the batch writes."""
    return {**snapshot(ASSIGNMENT4), **snapshot(tmp, (private, out)),
            **snapshot(out / "previous_term"), **snapshot(out / "notes.txt")}


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Iterator[Setting]:
    tmp = tmp_path_factory.mktemp("adversarial").resolve()
    rubric_file = write_rubric(tmp / "rubric")
    rubric = load_rubric(rubric_file)
    (tmp / "canary.txt").write_text(f"canary {NONCE}\n")
    secret_file = tmp / "home" / ".ssh" / "id_ed25519"  # its path is given to nobody
    secret_file.parent.mkdir(parents=True)
    secret_file.write_text(f"-----BEGIN OPENSSH PRIVATE KEY-----\n{SECRET}\n")
    out = tmp / "outparent" / "out"
    (out / "previous_term").mkdir(parents=True)
    (out / "previous_term" / "results.json").write_text('{"score": 50}\n')
    (out / "notes.txt").write_text("the instructor's notes\n")
    classdir = tmp / "class"
    classdir.mkdir()
    # Every private folder of the batch goes here, on the file system the grader picks for
    # them (RAM, /dev/shm, where there is one): GRADER_SCRATCH points it here.
    private = Path(tempfile.mkdtemp(prefix="grader-adversarial-", dir=scratch_root() or tmp))
    for name in HONEST:
        shutil.copytree(EXAMPLES / name, classdir / name)
    listeners = Listeners(tmp / "sock")
    ipc_key = int(NONCE[:7], 16)
    base = {"OUT": str(out), "OUTPARENT": str(out.parent), "CLASS": str(classdir),
            "TMP": str(tmp), "CANARY": str(tmp / "canary.txt"), "RUBRIC": str(rubric_file),
            "REAL_RUBRIC": str(ASSIGNMENT4 / "rubric.yaml"),
            "REFERENCE": str(ASSIGNMENT4 / "reference"), "GRADER": str(ROOT / "grader"),
            "NONCE": NONCE, "IPCKEY": str(ipc_key), **listeners.tokens()}
    try:
        for attack in ATTACKS:
            victims = tmp / "victims" / attack.name
            victims.mkdir(parents=True)
            tokens = {**base, "SELF": attack.submission, "VICTIMS": str(victims)}
            for victim in attack.victims:
                path = Path(fill(victim, tokens))
                if path.parent == victims:
                    path.write_text(f"victim of {attack.name}\n")
            build(attack, classdir, tokens)

        before = watched_files(tmp, private, out)
        fifos = [classdir / a.source_name / f for a in ATTACKS for f in a.fifos]
        watch = FifoWatch(lambda: fifos + stderr_files(private))
        disk = DiskWatch(private)
        log: list[str] = []
        faulthandler.dump_traceback_later(240, exit=True)  # a hung batch must not hang CI
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("GRADER_TEST_SECRET", SECRET)
            mp.setenv("GRADER_SCRATCH", str(private))
            mp.setattr(tempfile, "tempdir", str(private))  # any other temporary folder too
            watch.start()
            disk.start()
            started = time.monotonic()
            try:
                with GradeContext() as context:
                    context.service("algebra", lambda: AlgebraService(timeout=ALGEBRA_TIMEOUT))
                    result = grade_batch(sorted(classdir.iterdir()), rubric, out, jobs=2,
                                         context=context, log=log.append)
            finally:
                elapsed = time.monotonic() - started
                for watcher in (watch, disk):
                    watcher.done.set()
                    watcher.join()
                faulthandler.cancel_dump_traceback_later()
        survivors = scan_processes(private)
        leftovers = sorted(p.name for p in private.iterdir())
        changed = diff(before, watched_files(tmp, private, out))
        tcp, udp, unix = listeners.heard()
        setting = Setting(tmp, classdir, out, private,
                          {**base, "SELF": "", "VICTIMS": str(tmp / "victims")},
                          {r.name: r for r in result.records}, {}, elapsed, log, changed,
                          watch.readers, survivors, disk.peaks, disk.largest, tcp, udp, unix,
                          ipc_objects(ipc_key), leftovers)
        for name in HONEST:  # the same submissions graded alone, with nothing hostile around
            alone = grade_batch([classdir / name], rubric, tmp / "alone" / name, jobs=1,
                                log=log.append)
            setting.alone[name] = alone.records[0]
        yield setting
    finally:
        for pid in scan_processes(private):  # started by this batch's attacks: stop them
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        remove_ipc(ipc_key)
        listeners.close()
        for stray in strays():
            stray.unlink()
        shutil.rmtree(private, ignore_errors=True)


def strays() -> list[Path]:
    """Files the attacks may have managed to write where they must not."""
    return [*Path("/tmp").glob(f"gadv*{NONCE}*"), *Path("/dev/shm").glob(f"gadv*{NONCE}*"),
            *(ROOT / "grader").glob(f"gadv_{NONCE}*")]


def attack_tokens(setting: Setting, attack: Attack) -> dict[str, str]:
    return {**setting.tokens, "SELF": attack.submission,
            "VICTIMS": str(setting.tmp / "victims" / attack.name)}


def answers(setting: Setting, attack: Attack) -> str:
    """The HTML report, where free-text answers show: the attacks report through them."""
    return setting.text(attack, "report.html")


# --- scores ------------------------------------------------------------------------------


def test_the_batch_finishes_within_its_budget_with_a_record_for_everyone(batch):
    names = {a.submission for a in ATTACKS} | set(HONEST)
    assert set(batch.records) == names
    assert BY_NAME["dotdot_zip_name"].submission == "_.."  # not "..", the out folder's parent
    assert batch.elapsed < BATCH_BUDGET, f"the batch took {batch.elapsed:.1f} s"


def test_the_deserved_scores_add_up_against_the_rubric(assignment4):
    automatic = {i.id: i.points for i in assignment4.items if i.automatic}
    assert automatic == POINTS
    for attack in (*ATTACKS, *BUSY_BATCH):
        assert set(attack.attacked) <= set(POINTS), attack.name
        lost = sum(POINTS.values()) if attack.rejected else \
            sum(POINTS[i] for i in attack.attacked)
        assert attack.score == sum(POINTS.values()) - lost, attack.name


@pytest.mark.parametrize("attack", params("score", ATTACKS))
def test_attack_scores_exactly_what_it_deserves(batch, attack):
    record = batch.records[attack.submission]
    internal = [line for line in batch.log if f" {attack.submission}:" in line]
    assert record.automatic == attack.score, (record, internal)
    if attack.rejected:
        assert record.status == "error" and record.error, record
        return
    assert not internal, internal
    statuses = {item: record.items[item].status for item in POINTS}
    wanted = {item: attack.attacked.get(item, "passed") for item in POINTS}
    assert statuses == wanted
    assert all(record.items[item].score == 0 for item in attack.attacked)


@pytest.mark.parametrize("name", HONEST)
def test_honest_submission_scores_as_when_graded_alone(batch, name):
    assert batch.records[name] == batch.alone[name]
    if name == "alice_perfect":
        assert batch.records[name].automatic == sum(POINTS.values())


# --- nothing changed outside the private folders -----------------------------------------


def known_victims(setting: Setting) -> set[str]:
    """Paths that attacks with a dedicated victims test aim at (checked there)."""
    return {str(setting.path(fill(v, attack_tokens(setting, a))))
            for a in ATTACKS for v in a.victims}


def test_nothing_outside_the_private_folders_changed(batch):
    """The rubric, the reference, every submission folder (the attackers' own sources too),
    the canary, the secret and the out folder's earlier files are exactly as they were."""
    victims = known_victims(batch)
    changed = {p: c for p, c in batch.changed.items()
               if p not in victims and not any(p == str(Path(v).parent) for v in victims)}
    assert changed == {}
    assert strays() == []


def test_every_private_folder_is_removed_after_the_batch(batch):
    assert batch.leftovers == []


def test_the_out_folder_holds_only_the_reports_the_grader_wrote(batch):
    expected = CLASS_FILES | {"notes.txt", "previous_term"} | set(batch.records)
    assert {p.name for p in batch.out.iterdir()} == expected
    for name, record in batch.records.items():
        folder = batch.out / name
        assert {p.name for p in folder.iterdir()} == REPORT_FILES, name
        results = json.loads((folder / "results.json").read_text())
        assert results["score"] == record.score, name
        state = json.loads((folder / STATE_FILE).read_text())
        assert state["record"]["automatic"] == record.automatic, name


@pytest.mark.parametrize("attack", params("victims"))
def test_attack_leaves_the_files_it_aims_at_untouched(batch, attack):
    victims = {str(batch.path(fill(v, attack_tokens(batch, attack)))) for v in attack.victims}
    assert {p: c for p, c in batch.changed.items() if p in victims} == {}


@pytest.mark.parametrize("name", ["formula_code_injection", "notebook_shell_escape"])
def test_injected_commands_ran_nothing(batch, name):
    assert list((batch.tmp / "victims" / name).iterdir()) == []


# --- processes, pipes, network, IPC -------------------------------------------------------


DENIED = "PermissionError: [Errno 1] Operation not permitted"  # what the seccomp filter says


def test_no_process_of_the_batch_outlives_it(batch):
    """No process an attack started, or that works in a private folder, is left (those of
    an attack with a known hole are checked, as an xfail, in the test below)."""
    holes = tuple(f"{a.name}:" for a in ATTACKS if a.hole and a.exposes == "survivors")
    others = {pid: why for pid, why in batch.survivors.items() if not why.startswith(holes)}
    assert others == {}


@pytest.mark.parametrize("attack", params("survivors"))
def test_a_process_an_attack_starts_does_not_outlive_the_batch(batch, attack):
    assert [why for why in batch.survivors.values() if why.startswith(f"{attack.name}:")] == []


def test_forking_at_import_fails_the_module_with_permission_error(batch):
    """The detached grandchild never starts: its first fork() fails, and so does the import."""
    record = batch.records[BY_NAME["detached_grandchild"].submission]
    assert f"problem3.py could not be imported: {DENIED}" in record.problems


@pytest.mark.parametrize("attack", params("nproc"))
def test_a_submission_cannot_start_any_process(batch, attack):
    shown = answers(batch, attack)
    assert re.search(r"forked 0 of 200: \[.{1,6}" + re.escape(DENIED), shown)
    for way in ("subprocess", "posix_spawn", "exec"):
        assert f"{way}: {DENIED}" in shown, way
    assert "SUCCEEDED" not in shown


@pytest.mark.parametrize("attack", params("lines"))
def test_the_grader_reads_no_module_through_a_symlink(batch, attack):
    markdown = batch.text(attack, "report.md")
    assert not re.search(r"name `(forward|count_parameters)` \(line \d+\)", markdown)
    assert "`forward`" in markdown


@pytest.mark.parametrize("attack", params("fifo"))
def test_grader_never_opens_a_named_pipe_the_submission_planted(batch, attack):
    if attack.fifos:
        planted = {str(batch.classdir / attack.source_name / f) for f in attack.fifos}
    else:
        planted = {p for p in batch.fifo_readers if p.startswith(str(batch.private))}
    assert planted & batch.fifo_readers == set()


def test_connecting_to_a_loopback_tcp_port_fails_and_the_listener_sees_nothing(batch):
    attack = BY_NAME["loopback_tcp"]
    shown = answers(batch, attack)
    port = batch.tokens["PORT"]
    assert f"127.0.0.1:{port}: PermissionError" in shown
    assert f"127.0.0.2:{port}: PermissionError" in shown
    assert "bind: PermissionError" in shown
    assert "SUCCEEDED" not in shown
    assert batch.tcp_connections == 0


def test_connecting_to_a_public_address_fails_at_once(batch):
    shown = answers(batch, BY_NAME["public_network"])
    for host in ("192.0.2.1:80", "1.1.1.1:443"):
        match = re.search(re.escape(host) + r": PermissionError.*? after ([0-9.]+) s", shown)
        assert match, shown
        assert float(match.group(1)) < 1.0


@pytest.mark.parametrize("attack", params("network"))
def test_nothing_reaches_the_test_s_local_sockets(batch, attack):
    """socket() itself is denied, whatever the family; nothing arrives."""
    shown = answers(batch, attack)
    if attack.name == "udp_loopback":
        for target in (f"127.0.0.1:{batch.tokens['UPORT']}", "192.0.2.1:53"):
            assert f"{target}: {DENIED}" in shown, target
        assert batch.udp_datagrams == []
    else:
        assert f"unix: {DENIED}" in shown
        assert batch.unix_connections == 0
    assert "SUCCEEDED" not in shown


@pytest.mark.parametrize("attack", params("ipc"))
def test_no_system_v_ipc_object_outlives_the_batch(batch, attack):
    shown = answers(batch, attack)
    for call in ("shmget", "semget", "msgget"):
        assert f"{call}: -1 (Operation not permitted)" in shown, call
    assert batch.ipc_left == []


def disk_held(setting: Setting, attack: Attack) -> int:
    """The most disk the attack's files took at once: as the watcher saw them, or as the
    attack counted them (count_parameters returns it, if it gets that far)."""
    results = json.loads(setting.text(attack, "results.json"))
    test = next(t for t in results["tests"] if t["number"] == "p2.count_parameters")
    counted = re.search(r"actual:\s+(\d+)", test["output"])
    return max(setting.disk_peaks.get(attack.name, 0), int(counted.group(1)) if counted else 0)


def test_a_worker_that_fills_its_folder_is_stopped_for_it(batch):
    """disk_fill writes 320 MB, then waits: past the budget, its worker is killed and the call
    reported as such (how soon: see the busy batch below); no file outgrew the file-size
    limit, though it ignores SIGXFSZ."""
    attack = BY_NAME["disk_fill"]
    results = json.loads(batch.text(attack, "results.json"))
    test = next(t for t in results["tests"] if t["number"] == "p2.count_parameters")
    assert "wrote more than 200 MB of files, the limit for a submission; it was stopped" \
        in test["output"]
    assert batch.records[attack.submission].items["p2.count_parameters"].status == "crashed"
    assert disk_held(batch, attack) > DISK_BUDGET / 2  # the watcher saw it write
    assert FILE_LIMIT / 2 < batch.largest_files[attack.name] <= FILE_LIMIT


@pytest.mark.parametrize("attack", params("disk"))
def test_a_submission_never_holds_more_disk_than_its_budget(batch, attack):
    held = disk_held(batch, attack)
    assert held <= DISK_BUDGET, f"{held / 2**20:.0f} MB at once"


BUSY_BUDGET = 20 * 2**20  # the busy batch's disk_mb


@pytest.fixture(scope="module")
def busy_batch(tmp_path_factory) -> Iterator[tuple[dict[str, Record], Path, int]]:
    """a_filler and b_busy graded with one CPU slot and a 20 MB disk budget: the records, the
    out folder, and the most disk a_filler's files took at once."""
    tmp = tmp_path_factory.mktemp("busy").resolve()
    rubric = load_rubric(write_rubric(tmp / "rubric", disk_mb=BUSY_BUDGET // 2**20))
    classdir, out = tmp / "class", tmp / "out"
    classdir.mkdir()
    for attack in BUSY_BATCH:
        build(attack, classdir, {})
    private = Path(tempfile.mkdtemp(prefix="grader-adversarial-", dir=scratch_root() or tmp))
    disk = DiskWatch(private)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("GRADER_SCRATCH", str(private))
            disk.start()
            try:  # a_filler comes first; b_busy takes the slot when a_filler waits
                result = grade_batch(sorted(classdir.iterdir()), rubric, out, jobs=1,
                                     log=lambda line: None)
            finally:
                disk.done.set()
                disk.join()
        yield {r.name: r for r in result.records}, out, disk.peaks.get("a_filler", 0)
    finally:
        shutil.rmtree(private, ignore_errors=True)


def test_in_a_busy_batch_the_filler_is_still_stopped_for_its_disk_use(busy_batch):
    records, out, held = busy_batch
    for attack in BUSY_BATCH:
        record = records[attack.submission]
        assert record.automatic == attack.score, record
        assert {i: record.items[i].status for i in attack.attacked} == dict(attack.attacked)
    results = json.loads((out / "a_filler" / "results.json").read_text())
    test = next(t for t in results["tests"] if t["number"] == "p2.count_parameters")
    assert "wrote more than 20 MB of files" in test["output"]
    assert held > BUSY_BUDGET / 2  # the watcher saw it write


def test_in_a_busy_batch_a_worker_past_its_disk_budget_is_stopped_at_once(busy_batch):
    """a_filler writes 50 MB/s: killed within a check or two (0.2 s each) of passing its
    budget, it holds well under three budgets."""
    _, _, held = busy_batch
    assert held <= 3 * BUSY_BUDGET, f"{held / 2**20:.0f} MB at once (budget 20 MB)"


# --- reading what it must not --------------------------------------------------------------


def test_reading_the_rubric_and_reference_by_absolute_path_fails(batch):
    attack = BY_NAME["read_rubric_by_absolute_path"]
    shown = answers(batch, attack)
    for path in ("REFERENCE", "RUBRIC", "REAL_RUBRIC"):
        target = batch.tokens[path] + ("/problem2.py" if path == "REFERENCE" else "")
        assert f"{target}: PermissionError: [Errno 13] Permission denied" in shown, target
    assert "CONTENT-READ" not in shown
    assert batch.records[attack.submission].automatic == sum(POINTS.values())


def test_reading_through_dotdot_and_proc_fails(batch):
    shown = answers(batch, BY_NAME["read_by_dotdot_and_proc"])
    assert shown.count("PermissionError") == 9, shown
    assert "SUCCEEDED" not in shown


def test_no_secret_reaches_any_output(batch):
    """The environment secret and the key file never reach a report, though the attack's
    answer channel works (its answer shows the worker's own, scrubbed environment)."""
    assert "PYTHONHASHSEED" in answers(batch, BY_NAME["env_secrets"])
    for path in batch.out.parent.rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text(encoding="utf-8", errors="replace"), path


def test_reads_of_etc_passwd_through_a_symlink_fail(batch):
    shown = answers(batch, BY_NAME["symlink_to_etc_passwd"])
    assert "passwd.txt: FileNotFoundError" in shown
    assert "root:" not in shown


def test_walking_frames_and_gc_finds_no_expected_value(batch):
    for name, item in (("stack_frames_for_expected", "p2.forward"),
                       ("gc_for_expected", "p2.count_parameters")):
        results = json.loads(batch.text(BY_NAME[name], "results.json"))
        test = next(t for t in results["tests"] if t["number"] == item)
        assert re.search(r"actual:\s+-1\b", test["output"]), test["output"]


# --- markup -----------------------------------------------------------------------------------

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)")


def outside_code(markdown: str) -> str:
    """The Markdown with its fenced code blocks and inline code spans removed."""
    kept, fence = [], ""
    for line in markdown.splitlines():
        opening = _FENCE.match(line)
        if fence:
            if opening and opening.group(1)[0] == fence[0] and \
                    len(opening.group(1)) >= len(fence) and not line.strip(fence[0] + " "):
                fence = ""
            continue
        if opening:
            fence = opening.group(1)
            continue
        kept.append(_CODE_SPAN.sub("", line))
    return "\n".join(kept)


def test_the_injection_reached_the_reports(batch):
    """Guard for the two tests below: the hostile strings did get into the reports."""
    attack = BY_NAME["report_injection"]
    html = batch.text(attack, "report.html")
    markdown = batch.text(attack, "report.md")
    assert html.count("&lt;script&gt;alert(") >= 5
    assert "&lt;img src=x onerror=alert(1)&gt;.py" in html  # the skipped file's name
    assert markdown.count("<script>alert(") >= 3  # inside code blocks
    assert "&lt;script&gt;alert(" in outside_code(markdown)  # escaped in the text


def test_no_student_markup_in_any_html_file(batch):
    for path in batch.out.parent.rglob("*.html"):
        html = path.read_text(encoding="utf-8").lower()
        assert "<script" not in html, path
        assert "<img" not in html, path
        assert html.count("<details") == html.count("</details>"), path


def test_student_markup_in_markdown_only_inside_code(batch):
    for path in batch.out.parent.rglob("*.md"):
        text = outside_code(path.read_text(encoding="utf-8"))
        lowered = text.lower()
        for raw in ("<script", "<img", "<!--"):
            assert raw not in lowered, (path, raw)
        assert not re.search(r"(?<!\\)\]\((javascript|http://evil)", text), path
        assert not re.search(r"^#+ forged", text, re.MULTILINE), path
        assert text.count("<details>") == text.count("</details>"), path
        assert text.count("<summary>") == text.count("</summary>"), path


# --- the names a submission gives itself -------------------------------------------------------


def test_a_submission_named_like_a_class_file_does_not_break_the_batch(tmp_path, assignment4):
    """gradebook.csv.zip is named _gradebook.csv: its reports and the class files both fit."""
    name = "gradebook.csv.zip"
    with zipfile.ZipFile(tmp_path / name, "w") as z:
        for file in (EXAMPLES / "alice_perfect").glob("*.py"):
            z.write(file, file.name)
    out = tmp_path / "out"
    log: list[str] = []
    result = grade_batch([tmp_path / name], assignment4, out, jobs=1, log=log.append)
    assert [(r.name, r.automatic) for r in result.records] == [
        ("_gradebook.csv", sum(POINTS.values()))]
    assert {p.name for p in out.iterdir()} == CLASS_FILES | {"_gradebook.csv"}, log
    assert all((out / f).is_file() for f in CLASS_FILES)
    assert {p.name for p in (out / "_gradebook.csv").iterdir()} == REPORT_FILES
    assert "_gradebook.csv" in (out / "gradebook.csv").read_text()
