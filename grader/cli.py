"""The ``grade`` command: a thin shell over the library.

It parses arguments, calls the pipeline, prints a summary and turns the error
family into a message and an exit code: 0 graded, 1 graded but below
``--fail-under``, 2 usage, rubric or submission errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from grader.errors import GraderError, UsageError

DEFAULT_RUBRIC = Path("rubrics") / "assignment4"


def _default_rubric() -> Path:
    """rubrics/assignment4 in the current folder, else the one shipped beside the package."""
    if DEFAULT_RUBRIC.exists():
        return DEFAULT_RUBRIC
    shipped = Path(__file__).resolve().parent.parent / DEFAULT_RUBRIC
    return shipped if shipped.exists() else DEFAULT_RUBRIC


def _grade_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="grade", description="Grade a student submission (a folder or a .zip) against a "
        "rubric, and write feedback reports.",
        epilog="Other commands: 'grade rubric check RUBRIC' validates a rubric; "
               "'grade rubric schema' prints the rubric JSON Schema.")
    p.add_argument("submission", type=Path, help="the submission folder or .zip")
    p.add_argument("--rubric", type=Path, default=None,
                   help="rubric.yaml or its folder (default: rubrics/assignment4)")
    p.add_argument("--out", type=Path, default=Path("grade-report"),
                   help="folder for the reports (default: grade-report/)")
    p.add_argument("--format", default="html,md,json",
                   help="comma-separated report formats (default: html,md,json)")
    p.add_argument("--templates", type=Path, action="append", default=[],
                   help="a folder of Jinja templates searched before the built-in ones")
    p.add_argument("--fail-under", type=float, default=None, metavar="PERCENT",
                   help="exit 1 if the score is below PERCENT of the total")
    p.add_argument("--executor", default="subprocess", help="how student code is run")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return p


def _rubric_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="grade rubric", description="Work with rubrics.")
    sub = p.add_subparsers(dest="action", required=True)
    check = sub.add_parser("check", help="validate a rubric and summarise it")
    check.add_argument("rubric", type=Path)
    schema = sub.add_parser("schema", help="print the rubric format as a JSON Schema")
    schema.add_argument("--out", type=Path, default=None, help="write it to this file")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == ["rubric"]:
            return _rubric_command(_rubric_parser().parse_args(argv[1:]))
        return _grade_command(_grade_parser().parse_args(argv))
    except GraderError as e:
        print(f"grade: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("grade: interrupted", file=sys.stderr)
        return 130


def _grade_command(args: argparse.Namespace) -> int:
    from grader.execution import executors
    from grader.pipeline import grade_submission, write_reports
    from grader.reports import formats, terminal_summary
    from grader.rubric import load_rubric

    wanted = [f.strip() for f in args.format.split(",") if f.strip()]
    unknown = sorted(set(wanted) - set(formats()))
    if unknown:
        raise UsageError(f"unknown format {unknown[0]!r} (known: {', '.join(sorted(formats()))})")
    executor_classes = executors()
    if args.executor not in executor_classes:
        raise UsageError(f"unknown executor {args.executor!r} "
                         f"(known: {', '.join(sorted(executor_classes))})")
    rubric = load_rubric(args.rubric or _default_rubric())
    result = grade_submission(args.submission, rubric, executor=executor_classes[args.executor]())
    written = write_reports(result, args.out, wanted, args.templates)
    if not args.quiet:
        print(terminal_summary(result))
        print("Reports: " + ", ".join(str(p) for p in written))
    if args.fail_under is not None and result.percent < args.fail_under:
        if not args.quiet:
            print(f"Score {result.percent:.1f}% is below --fail-under {args.fail_under:g}%")
        return 1
    return 0


def _rubric_command(args: argparse.Namespace) -> int:
    from grader.rubric import load_rubric, schema

    if args.action == "schema":
        text = json.dumps(schema(), indent=2) + "\n"
        if args.out:
            args.out.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return 0
    rubric = load_rubric(args.rubric)
    print(f"{rubric.path}: OK: {rubric.title} ({rubric.id}), {len(rubric.items)} items, "
          f"{rubric.max_score:g} points ({rubric.automatic_points:g} automatic)")
    for item in rubric.items:
        public = len(item.public_cases)
        hidden = len(item.cases) - public
        print(f"  {item.id:<22} {item.kind:<10} {item.points:>5g} pts  "
              f"{public} public, {hidden} hidden, {len(item.misconceptions)} misconceptions")
    return 0
