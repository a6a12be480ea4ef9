"""Single-submission benchmark: wall time of the whole ``grade`` command on one example,
as a user runs it (interpreter start, rubric load, worker, algebra, three reports).

    python bench/bench_single.py --runs 10
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--submission", default="submissions_example/alice_perfect")
    parser.add_argument("--cold", action="store_true",
                        help="an empty grader cache for every run (no compiled templates, "
                             "validation or formula verdicts from an earlier run)")
    args = parser.parse_args()
    times = []
    with tempfile.TemporaryDirectory() as out:
        for _ in range(args.runs + 1):  # the first run warms the OS file cache; not counted
            env = dict(os.environ)
            if args.cold:
                env["GRADER_CACHE"] = tempfile.mkdtemp(prefix="grader-cold-")
            started = time.monotonic()
            subprocess.run([sys.executable, "-m", "grader", args.submission, "--out", out,
                            "--quiet"], cwd=ROOT, check=True, env=env)
            times.append(time.monotonic() - started)
    times = times[1:]
    label = f"{args.submission} (cold cache)" if args.cold else args.submission
    print(f"grade {label}: median {statistics.median(times):.3f} s, "
          f"min {min(times):.3f} s, max {max(times):.3f} s over {args.runs} runs")


if __name__ == "__main__":
    main()
