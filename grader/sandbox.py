"""Confinement of a worker process, applied inside it before any student code runs.

Everything here works as an ordinary user on Linux (no root, no Docker):

- resource limits: address space, CPU time, file size, open files, no core dumps;
- the worker dies with its parent (PR_SET_PDEATHSIG), so nothing outlives the grader;
- no_new_privs, and when the grader runs as root, every capability dropped, so the
  limits cannot be raised again;
- Landlock (Linux 5.13+): the submission's private copy is the only place it may
  write; it may read only that copy and the Python installation (not the rubric,
  the reference solution, reports or other submissions); with Landlock ABI 4+ it
  may not connect or bind TCP sockets; with ABI 6+ it may not signal processes
  outside its sandbox (the grader) or reach abstract Unix sockets.

A protection the kernel lacks is skipped, and ``probe()`` (``grade --doctor``)
says so. This is a layer of defence, not a full jail: see SECURITY.md for what
remains possible and how to run the grader under a separate user or a container.
"""

from __future__ import annotations

import ctypes
import functools
import os
import resource
import signal
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

# prctl options
_PR_SET_PDEATHSIG = 1
_PR_SET_NO_NEW_PRIVS = 38

# Landlock (include/uapi/linux/landlock.h); the syscall numbers are the same on x86-64
# and arm64.
_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH, _RULE_NET_PORT = 1, 2
_FS_EXECUTE, _FS_WRITE_FILE, _FS_READ_FILE, _FS_READ_DIR = 1, 2, 4, 8
_FS_ALL_V1 = (1 << 13) - 1  # execute ... make_sym
_FS_REFER, _FS_TRUNCATE, _FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_NET_BIND_TCP, _NET_CONNECT_TCP = 1, 2
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1, 2

_READ = _FS_EXECUTE | _FS_READ_FILE | _FS_READ_DIR


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


@functools.cache
def landlock_abi() -> int:
    """The kernel's Landlock ABI version, 0 if Landlock is unavailable."""
    try:
        version = _libc.syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0),
                                ctypes.c_uint32(_CREATE_RULESET_VERSION))
    except (AttributeError, OSError):
        return 0
    return max(0, int(version))


@dataclass
class Report:
    """What confinement achieved in this process (or would, for probe())."""

    applied: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def _prctl(option: int, value: int) -> bool:
    return _libc.prctl(option, ctypes.c_ulong(value), 0, 0, 0) == 0


def set_limits(limits: dict, report: Report) -> None:
    memory = int(limits.get("memory_mb", 1024)) * 2**20
    wanted = {"RLIMIT_AS": memory, "RLIMIT_CORE": 0,
              "RLIMIT_FSIZE": int(limits.get("file_mb", 64)) * 2**20,
              "RLIMIT_NOFILE": int(limits.get("open_files", 256))}
    if limits.get("cpu_seconds"):
        wanted["RLIMIT_CPU"] = int(limits["cpu_seconds"])
    for name, value in wanted.items():
        which = getattr(resource, name)
        _, hard = resource.getrlimit(which)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        try:
            resource.setrlimit(which, (value, value))
            report.applied.append(f"{name}={value}")
        except (ValueError, OSError) as e:
            report.missing.append(f"{name} ({e})")


def die_with_parent() -> bool:
    """Ask the kernel to kill this process when its parent ends (Linux); whether it could."""
    return _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _die_with_parent(report: Report) -> None:
    if die_with_parent():
        report.applied.append("dies with its parent")
    else:
        report.missing.append("PR_SET_PDEATHSIG")


def _drop_privileges(report: Report) -> None:
    if not _prctl(_PR_SET_NO_NEW_PRIVS, 1):
        report.missing.append("no_new_privs")
        return
    report.applied.append("no_new_privs")
    if os.geteuid() != 0:
        return
    # Emptying the permitted and effective sets is enough: the bounding set only matters
    # for exec, which no_new_privs and the seccomp filter rule out.

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    header, data = Header(0x20080522, 0), (Data * 2)()  # _LINUX_CAPABILITY_VERSION_3
    if _libc.capset(ctypes.byref(header), ctypes.byref(data)) == 0:
        report.applied.append("capabilities dropped (running as root)")
    else:
        report.missing.append("capability drop")


@functools.cache
def readable_roots() -> list[Path]:
    """What the worker may read besides the submission: Python, its packages, system libs.

    The grader's own package folder is included, the folder holding it (a source
    checkout with rubrics/) is not."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix,
             *(sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")),
             str(Path(__file__).resolve().parent), "/usr/lib", "/usr/lib64", "/lib", "/lib64",
             "/usr/share/zoneinfo", "/etc/ld.so.cache", "/etc/localtime"}
    for entry in sys.path:  # site-packages added by .pth files, e.g. a user install
        if entry.endswith(("site-packages", "dist-packages")):
            paths.add(entry)
    return sorted(Path(p) for p in paths if p and os.path.exists(p))


@functools.lru_cache(maxsize=64)
def _is_dir(path: Path) -> bool:
    return path.is_dir()


def _landlock(writable: list[Path], report: Report) -> None:
    abi = landlock_abi()
    if abi < 1:
        report.missing.append("Landlock (kernel 5.13+ with Landlock enabled): file access "
                              "and network are not restricted")
        return
    fs = _FS_ALL_V1 | (_FS_REFER if abi >= 2 else 0) | (_FS_TRUNCATE if abi >= 3 else 0) | \
        (_FS_IOCTL_DEV if abi >= 5 else 0)
    net = _NET_BIND_TCP | _NET_CONNECT_TCP if abi >= 4 else 0
    scoped = _SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL if abi >= 6 else 0
    attr = _RulesetAttr(fs, net, scoped)
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    ruleset = _libc.syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size),
                            ctypes.c_uint32(0))
    if ruleset < 0:
        report.missing.append(f"Landlock ruleset ({os.strerror(ctypes.get_errno())})")
        return
    try:
        file_only = _FS_EXECUTE | _FS_READ_FILE | _FS_WRITE_FILE | \
            (_FS_TRUNCATE if abi >= 3 else 0)
        rules = [(p, _READ) for p in readable_roots()]  # cached: computed once per process
        rules += [(p, fs) for p in writable]
        rules += [(Path(os.devnull), _FS_READ_FILE | _FS_WRITE_FILE), (Path("/dev/urandom"),
                                                                       _FS_READ_FILE)]
        for path, access in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                if not _is_dir(path):  # files take only file rights
                    access &= file_only
                rule = _PathBeneathAttr(access, fd)
                if _libc.syscall(_SYS_ADD_RULE, ctypes.c_int(ruleset),
                                 ctypes.c_int(_RULE_PATH_BENEATH), ctypes.byref(rule),
                                 ctypes.c_uint32(0)) != 0:
                    report.missing.append(f"Landlock rule for {path}")
            finally:
                os.close(fd)
        if _libc.syscall(_SYS_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            report.missing.append(f"Landlock ({os.strerror(ctypes.get_errno())})")
            return
    finally:
        os.close(ruleset)
    report.applied.append(f"Landlock ABI {abi}: files (read: Python; write: its private folder)")
    if net:
        report.applied.append("Landlock: no TCP connect or bind")
    else:
        report.missing.append(f"network restriction (needs Landlock ABI 4; kernel has {abi})")
    if scoped:
        report.applied.append("Landlock: no signals or abstract sockets outside the sandbox")
    else:
        report.missing.append(f"signal scoping (needs Landlock ABI 6; kernel has {abi})")


# seccomp: system calls a student's function never needs. Each architecture numbers
# them differently; on another one the filter is skipped (and probe() says so).
_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
_SYSCALLS = {
    "x86_64": {"socket": 41, "clone": 56, "fork": 57, "vfork": 58, "execve": 59,
               "execveat": 322, "shmget": 29, "semget": 64, "msgget": 68, "clone3": 435},
    "aarch64": {"socket": 198, "clone": 220, "execve": 221, "execveat": 281, "shmget": 194,
                "semget": 190, "msgget": 186, "clone3": 435},
}
_DENIED = ("socket", "fork", "vfork", "execve", "execveat", "shmget", "semget", "msgget")
_CLONE_THREAD = 0x00010000
_RET_ALLOW, _RET_EPERM, _RET_ENOSYS = 0x7FFF0000, 0x00050001, 0x00050026
_RET_KILL_PROCESS = 0x80000000
_LD_W_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(_SockFilter))]


def _seccomp_program(machine: str) -> list[tuple[int, int, int, int]]:
    """A BPF filter: no new processes (threads are fine), no programs, no sockets, no
    System V IPC; everything else allowed. Jumps are written to labels, then resolved."""
    numbers = _SYSCALLS[machine]
    code: list[tuple[int, str | int, str | int, int]] = [
        (_LD_W_ABS, 0, 0, 4),  # the architecture
        (_JEQ, 0, "foreign", _AUDIT_ARCH[machine]),  # e.g. int 0x80 on x86-64: killed
        (_LD_W_ABS, 0, 0, 0),  # the system call number
        (_JGE, "deny", 0, 0x40000000),  # x32 calls on x86-64 would bypass the numbers below
        *[(_JEQ, "deny", 0, numbers[name]) for name in _DENIED if name in numbers],
        (_JEQ, "clone", 0, numbers["clone"]),
        (_JEQ, "enosys", 0, numbers["clone3"]),  # glibc then falls back to clone
        ("allow", _RET, _RET_ALLOW),
        ("clone", _LD_W_ABS, 16),  # clone's flags: args[0], low word
        (_JSET, "thread", "deny", _CLONE_THREAD),  # a thread: fine; a process: no
        ("thread", _RET, _RET_ALLOW),  # (BPF jumps only forward: a second "allow")
        ("deny", _RET, _RET_EPERM),
        ("enosys", _RET, _RET_ENOSYS),
        ("foreign", _RET, _RET_KILL_PROCESS),
    ]
    labels, flat = {}, []
    for ins in code:
        if isinstance(ins[0], str):  # (label, code, k)
            labels[ins[0]] = len(flat)
            flat.append((ins[1], 0, 0, ins[2]))
        else:
            flat.append(ins)

    def offset(target: str | int, at: int) -> int:
        return target if isinstance(target, int) else labels[target] - at - 1

    program = [(op, offset(jt, i), offset(jf, i), k) for i, (op, jt, jf, k) in enumerate(flat)]
    assert all(0 <= jt < 256 and 0 <= jf < 256 for _, jt, jf, _ in program)
    return program


@functools.cache
def _seccomp_filter() -> _SockFprog | None:
    machine = os.uname().machine
    if machine not in _SYSCALLS:
        return None
    program = _seccomp_program(machine)
    filters = (_SockFilter * len(program))(*[_SockFilter(*ins) for ins in program])
    return _SockFprog(len(program), filters)


def _seccomp(report: Report) -> None:
    fprog = _seccomp_filter()
    if fprog is None:
        report.missing.append(f"seccomp filter (no syscall table for {os.uname().machine})")
        return
    if _libc.prctl(22, 2, ctypes.byref(fprog), 0, 0) != 0:  # PR_SET_SECCOMP, MODE_FILTER
        report.missing.append(f"seccomp filter ({os.strerror(ctypes.get_errno())})")
        return
    report.applied.append("seccomp: no new processes or programs, no sockets, no SysV IPC")


def prepare() -> None:
    """Work out once what every confine() needs (the fork server calls this before forking
    its children, so each child only applies it)."""
    landlock_abi()
    for path in readable_roots():
        _is_dir(path)
    _seccomp_filter()
    for name in ("prctl", "syscall", "capset"):
        getattr(_libc, name)  # ctypes resolves a function on first use


def confine(private: Path, limits: dict) -> Report:
    """Confine this process: the last step before student code runs."""
    report = Report()
    _die_with_parent(report)
    set_limits(limits, report)
    _drop_privileges(report)
    if limits.get("landlock", True):
        _landlock([private], report)
    if limits.get("seccomp", True):
        _seccomp(report)
    return report


def probe() -> Report:
    """Confine a throwaway child and report what took effect (for ``grade --doctor``)."""
    import json
    import tempfile

    read_fd, write_fd = os.pipe()
    with tempfile.TemporaryDirectory(prefix="grader-doctor-") as private:
        pid = os.fork()
        if pid == 0:
            try:
                os.close(read_fd)
                report = confine(Path(private), {"memory_mb": 1024, "cpu_seconds": 60})
                report.applied += _check_confinement(Path(private), report)
                os.write(write_fd, json.dumps(report.__dict__).encode())
            finally:
                os._exit(0)
        os.close(write_fd)
        with os.fdopen(read_fd, "rb") as f:
            data = f.read()
        os.waitpid(pid, 0)
    return Report(**json.loads(data)) if data else Report(missing=["the probe failed"])


def _check_confinement(private: Path, report: Report) -> list[str]:
    """Try what a hostile submission would, from inside the confined probe."""
    import socket

    seen = []
    try:
        Path(__file__).resolve().parent.parent.joinpath("pyproject.toml").read_bytes()
        report.missing.append("reading files outside Python and the submission is possible")
    except OSError:
        seen.append("verified: files outside Python and the submission cannot be read")
    try:
        with socket.create_connection(("127.0.0.1", 9), timeout=1):
            pass
    except PermissionError:
        seen.append("verified: TCP connect is denied")
    except OSError:
        report.missing.append("TCP connect is not denied (only refused by the port)")
    return seen
