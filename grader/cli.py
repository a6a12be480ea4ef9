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
               "'grade rubric schema' prints the rubric JSON Schema; 'grade rubric public "
               "RUBRIC --out DIR' writes the student-safe rubric; 'grade starter RUBRIC --out "
               "DIR' writes a starter repository for students; 'grade doctor' shows "
               "which protections student code runs under on this machine.")
    p.add_argument("submission", type=Path, nargs="*",
                   help="the submission folder or .zip (several: graded as a batch)")
    p.add_argument("--batch", type=Path, metavar="ROOT",
                   help="grade every folder and .zip directly inside ROOT; reports go to "
                        "OUT/<name>/, plus gradebook.csv, gradebook.json, summary.html")
    p.add_argument("--jobs", type=int, default=None,
                   help="grading processes (lanes) in a batch, one submission computing in "
                        "each (default: CPU count); one waiting on a slow worker lends its "
                        "turn to another")
    p.add_argument("--force", action="store_true",
                   help="re-grade every submission, even those already up to date")
    p.add_argument("--manual", type=Path, default=None, metavar="CSV",
                   help="hand grades to merge (columns: student, item, points, comment)")
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
    p.add_argument("--executor", default=None,
                   help="how student code is run: subprocess (default for one submission) or "
                        "forkserver (default for a batch)")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.add_argument("--ci", action="store_true",
                   help="plain output for CI logs (on by itself when CI, GITHUB_ACTIONS or "
                        "GITLAB_CI is set); on GitHub Actions the report also goes to the step "
                        "summary and every failed item becomes an annotation")
    return p


def _rubric_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="grade rubric", description="Work with rubrics.")
    sub = p.add_subparsers(dest="action", required=True)
    check = sub.add_parser("check", help="validate a rubric and summarise it")
    check.add_argument("rubric", type=Path)
    schema = sub.add_parser("schema", help="print the rubric format as a JSON Schema")
    schema.add_argument("--out", type=Path, default=None, help="write it to this file")
    public = sub.add_parser("public", help="write the student-safe rubric: public checks only, "
                                           "expected values written out, no reference")
    public.add_argument("rubric", type=Path)
    public.add_argument("--out", type=Path, required=True, help="the folder to write it into")
    return p


def _starter_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="grade starter", description="Write the starter "
                                "repository students get: stub modules, the public rubric, "
                                "a README and CI files for GitHub and GitLab.")
    p.add_argument("rubric", type=Path)
    p.add_argument("--out", type=Path, required=True, help="a new folder to write it into")
    p.add_argument("--grader-spec", default="grader", metavar="SPEC",
                   help="what 'pip install' installs in the README and CI (default: grader)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == ["rubric"]:
            return _rubric_command(_rubric_parser().parse_args(argv[1:]))
        if argv[:1] == ["starter"]:
            return _starter_command(_starter_parser().parse_args(argv[1:]))
        if argv[:1] in (["doctor"], ["--doctor"]):
            return _doctor()
        return _grade_command(_grade_parser().parse_args(argv))
    except GraderError as e:
        print(f"grade: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("grade: interrupted", file=sys.stderr)
        return 130


def _doctor() -> int:
    """Which protections this machine gives student code (see SECURITY.md)."""
    from grader.sandbox import probe

    report = probe()
    print("Protections for student code on this machine:")
    for line in report.applied:
        print(f"  active   {line}")
    for line in report.missing:
        print(f"  MISSING  {line}")
    if report.missing:
        print("Some protections are missing: see SECURITY.md for running the grader under a "
              "separate user or in a container.")
    return 0


def _warn_missing_protections() -> None:
    """Say once, before grading, if the kernel lacks a protection."""
    from grader.sandbox import landlock_abi

    abi = landlock_abi()
    if abi < 6:
        what = "no Landlock: student code can read any file you can, and use the network" \
            if abi == 0 else f"Landlock ABI {abi}: some protections are missing"
        print(f"grade: warning: {what} (run 'grade doctor' for details)", file=sys.stderr)


def _grade_command(args: argparse.Namespace) -> int:
    from grader import ci
    from grader.checks import GradeContext
    from grader.execution import executors
    from grader.reports import formats
    from grader.rubric import load_rubric

    args.ci = ci.enabled(args.ci)
    wanted = [f.strip() for f in args.format.split(",") if f.strip()]
    unknown = sorted(set(wanted) - set(formats()))
    if unknown:
        raise UsageError(f"unknown format {unknown[0]!r} (known: {', '.join(sorted(formats()))})")
    if not args.submission and args.batch is None:
        raise UsageError("name a submission folder or .zip, or --batch ROOT")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    executor_classes = executors()
    name = args.executor or ("forkserver" if args.batch or len(args.submission) > 1
                             else "subprocess")
    if name not in executor_classes:
        known = ", ".join(sorted(executor_classes))
        raise UsageError(f"unknown executor {name!r} (known: {known})")
    _warn_missing_protections()
    with GradeContext() as context:
        rubric = load_rubric(args.rubric or _default_rubric(), context)
        if args.batch is not None or len(args.submission) > 1:
            return _batch(args, rubric, wanted, executor_classes[name](), context)
        return _single(args, rubric, wanted, executor_classes[name](), context)


def _single(args: argparse.Namespace, rubric, formats: list[str], executor, context) -> int:
    from grader import ci
    from grader.gradebook import apply_manual_grades, read_manual_grades
    from grader.pipeline import grade_submission, write_reports
    from grader.reports import render, terminal_summary

    try:
        result = grade_submission(args.submission[0], rubric, executor=executor, context=context)
    finally:
        executor.close()
    if args.manual:
        grades = read_manual_grades(args.manual, rubric, [result.name])
        result = apply_manual_grades(result, grades.get(result.name, {}))
    written = write_reports(result, args.out, formats, args.templates)
    if not args.quiet:
        print(terminal_summary(result))
        print("Reports: " + ", ".join(str(p) for p in written))
    if args.ci and ci.on_github():  # annotations are errors: printed even with --quiet
        markdown = render("md", result, args.templates)
        for line in ci.github_report(result, args.submission[0], markdown):
            print(line)
    if args.fail_under is not None and result.percent < args.fail_under:
        if not args.quiet:
            print(f"Score {result.percent:.1f}% is below --fail-under {args.fail_under:g}%")
        return 1
    return 0


def _batch(args: argparse.Namespace, rubric, formats: list[str], executor, context) -> int:
    from grader import ci
    from grader.batch import grade_batch
    from grader.submission import discover

    sources = list(args.submission)
    if args.batch is not None:
        sources += discover(args.batch)
    if not sources:
        raise UsageError(f"{args.batch}: no submissions (folders or .zip files) inside")
    progress = _Progress(len(sources), quiet=args.quiet, plain=args.ci)
    try:
        result = grade_batch(sources, rubric, args.out, jobs=args.jobs, force=args.force,
                             manual=args.manual, formats=formats, template_dirs=args.templates,
                             executor=executor, context=context, progress=progress.update)
    finally:
        progress.close()
        executor.close()
    if not args.quiet:
        print(_batch_summary(result))
    if args.ci and ci.on_github():
        ci.append_step_summary((args.out / "summary.md").read_text(encoding="utf-8"))
    below = [r for r in result.records
             if args.fail_under is not None and r.percent < args.fail_under]
    if below and not args.quiet:
        print(f"{len(below)} submission(s) below --fail-under {args.fail_under:g}%: "
              + ", ".join(r.name for r in below))
    return 1 if below else 0


class _Progress:
    """A live bar with count, rate and ETA on a terminal; plain lines elsewhere (CI, logs)."""

    def __init__(self, total: int, quiet: bool, plain: bool):
        self.quiet = quiet
        self.bar = None
        if not quiet and not plain and sys.stderr.isatty():
            from tqdm import tqdm

            tqdm.monitor_interval = 0  # no monitor thread: the batch forks its lanes after this
            self.bar = tqdm(total=total, unit="sub", desc="grading", dynamic_ncols=True)

    def update(self, done: int, total: int, record, reused: bool) -> None:
        if self.bar is not None:
            self.bar.update(1)
        elif not self.quiet:
            state = "up to date" if reused else record.status
            print(f"[{done}/{total}] {record.name}: {record.score:g}/{record.max_score:g} "
                  f"({state})", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _batch_summary(result) -> str:
    records = result.records
    mean = sum(r.percent for r in records) / len(records) if records else 0.0
    trouble = [r for r in records if r.status == "error" or r.problems]
    lines = [f"Graded {result.graded} submission(s), {result.reused} already up to date, "
             f"in {result.elapsed:.1f} s.",
             f"Class mean {mean:.1f}%; {len(trouble)} submission(s) with errors or timeouts.",
             f"Gradebook: {result.out / 'gradebook.csv'}",
             f"Class summary: {result.out / 'summary.html'}",
             f"Hand grades: fill in {result.out / 'manual_template.csv'}, then --manual it."]
    return "\n".join(lines)


def _rubric_command(args: argparse.Namespace) -> int:
    from grader.rubric import load_rubric, schema

    if args.action == "schema":
        text = json.dumps(schema(), indent=2) + "\n"
        if args.out:
            args.out.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return 0
    if args.action == "public":
        from grader.publish import public_rubric

        print(f"Public rubric: {public_rubric(args.rubric, args.out)}")
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


def _starter_command(args: argparse.Namespace) -> int:
    from grader.starter import make_starter

    print(f"Starter repository: {make_starter(args.rubric, args.out, args.grader_spec)}")
    return 0
