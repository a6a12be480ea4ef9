"""What confining a worker costs: fork a child that exits at once, with and without
``sandbox.confine`` (rlimits, capability drop, Landlock, seccomp), N times each.

    python bench/bench_sandbox.py --runs 200
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy  # noqa: F401  the fork server has numpy loaded: fork the same size of process

from grader.sandbox import confine, prepare


def forks(runs: int, sandboxed: bool, private: Path) -> float:
    started = time.perf_counter()
    for _ in range(runs):
        pid = os.fork()
        if pid == 0:
            if sandboxed:
                confine(private, {"memory_mb": 1024, "cpu_seconds": 60})
            os._exit(0)
        os.waitpid(pid, 0)
    return (time.perf_counter() - started) / runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    prepare()  # as the fork server does before forking workers
    with tempfile.TemporaryDirectory() as private:
        plain = forks(args.runs, False, Path(private))
        confined = forks(args.runs, True, Path(private))
    print(f"fork+exit: {plain * 1000:.2f} ms; with confine(): {confined * 1000:.2f} ms; "
          f"the sandbox adds {(confined - plain) * 1000:.2f} ms per worker")


if __name__ == "__main__":
    main()
