"""Batch benchmark: grade N generated submissions with ``grade --batch``, side by side
with the pytest-per-submission baseline, and report wall time, rate and peak memory.

    python bench/bench_batch.py --count 1000 --baseline 60

Peak memory is the largest sum of the proportional set sizes (PSS: shared pages
split between the processes sharing them, so forked workers are not counted many
times over) of the grade command's whole process tree (grader, fork servers,
workers, algebra process), sampled every 50 ms. The baseline runs ``pytest`` once
per submission, two at a time, over ``--baseline`` of the same submissions, and
its per-submission cost is scaled to N for the ratio.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_class import make_class  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_memory(pid: int) -> int:
    """Proportional set size of ``pid`` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ppid = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += _pss(p)
        stack.extend(children.get(p, []))
    return total


def run_measured(command: list[str]) -> tuple[float, int, float, subprocess.CompletedProcess]:
    """Wall seconds, peak memory (bytes, PSS of the tree) and CPU seconds (user + system, the
    whole tree: every process in it is waited for by its parent) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "CI": "1"})
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, tree_memory(proc.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    out, err = proc.communicate()
    elapsed = time.monotonic() - started
    stop.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, peak, cpu, subprocess.CompletedProcess(command, proc.returncode, out, err)


def baseline(submissions: list[Path]) -> float:
    """Seconds for pytest once per submission, two at a time."""
    def one(folder: Path) -> None:
        # Plugin autoloading off: a course's grading image has pytest and numpy, not the
        # plugins of this project's test environment (hypothesis alone adds ~1 s per run).
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        str(ROOT / "bench" / "pytest_baseline"), "-x"],
                       cwd=ROOT, env={**os.environ, "SUBMISSION": str(folder),
                                      "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
                       capture_output=True, timeout=120)
    # Endless loops would hang pytest: the baseline, like most courses, has no timeouts.
    safe = [s for s in submissions if "endless" not in s.name]
    started = time.monotonic()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(one, safe))
    return (time.monotonic() - started) / len(safe)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--baseline", type=int, default=60,
                        help="how many submissions the pytest baseline grades (0: skip)")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--without", nargs="*", default=(),
                        help="kinds of submission to leave out of the class (e.g. endless_loop: "
                             "each costs its call's whole time limit in CPU)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="grader-bench-") as tmp:
        klass, out = Path(tmp) / "class", Path(tmp) / "out"
        mix = make_class(args.count, klass, without=tuple(args.without))
        print(f"{args.count} submissions: {mix}")
        command = [sys.executable, "-m", "grader", "--batch", str(klass), "--out", str(out),
                   "--quiet"] + (["--jobs", str(args.jobs)] if args.jobs else [])
        elapsed, peak, cpu, done = run_measured(command)
        if done.returncode not in (0, 1):
            sys.exit(f"grade failed ({done.returncode}):\n{done.stderr}")
        reports = len(list(out.glob("*/report.html")))
        print(f"grade --batch: {elapsed:.2f} s wall, {args.count / elapsed:.1f} submissions/s, "
              f"peak memory {peak / 2**20:.0f} MB, {reports} reports; "
              f"{cpu:.1f} CPU-seconds ({cpu / args.count * 1000:.1f} ms per submission)")
        if args.baseline:
            per = baseline(sorted(klass.iterdir())[: args.baseline])
            print(f"pytest per submission (2 at a time): {per:.3f} s per submission "
                  f"-> {per * args.count:.0f} s for {args.count}")
            print(f"speed-up: {per * args.count / elapsed:.1f}x")


if __name__ == "__main__":
    main()
