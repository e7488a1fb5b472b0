"""`oaiconform report markdown|allure DIR`: documents built from a run's report directory."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from oaiconform.redact import Redactor, environment_keys

__all__ = ["add_report_kinds", "allure_command", "markdown_command"]

EXIT_USAGE = 2
ALLURE_INSTALL = (
    "the allure command line is not installed; install it with `npm install -g "
    "allure-commandline` (needs Java 8+) or from https://allurereport.org/docs/install/, "
    "or open the results with any allure viewer"
)


def add_report_kinds(kinds: argparse._SubParsersAction[Any]) -> None:
    markdown = kinds.add_parser(
        "markdown",
        help="a run's report as a GitHub-flavoured summary (e.g. for $GITHUB_STEP_SUMMARY)",
        description="Print the verdicts, problems, baseline and a feature table of a run "
        "as GitHub-flavoured Markdown.",
    )
    markdown.add_argument("directory", metavar="DIR", help="a report directory (or report.json)")
    markdown.add_argument(
        "--artifacts",
        metavar="URL|PATH",
        default="",
        help="where the report files are, for the links (a CI run's page or a folder)",
    )
    markdown.add_argument("-o", "--output", metavar="FILE", help="append to FILE, not stdout")
    allure = kinds.add_parser(
        "allure",
        help="build allure's static HTML report from a run's allure-results",
        description="Run `allure generate` on DIR/allure-results (when the allure command "
        "line is installed) into DIR/allure-report.",
    )
    allure.add_argument("directory", metavar="DIR", help="a report directory")
    allure.add_argument("-o", "--output", metavar="DIR", help="default: DIR/allure-report")


def markdown_command(args: argparse.Namespace) -> int:
    from oaiconform.report.json_writer import ReportReadError, read_report_json
    from oaiconform.report.markdown_writer import render_markdown

    try:
        report = read_report_json(Path(args.directory))
    except ReportReadError as exc:
        print(f"oaiconform: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    text = render_markdown(
        report, artifacts=args.artifacts, redact=Redactor(environment_keys(os.environ)).text
    )
    if not args.output:
        sys.stdout.write(text + "\n")
        return 0
    try:
        with open(args.output, "a", encoding="utf-8") as summary:  # $GITHUB_STEP_SUMMARY appends
            summary.write(text + "\n")
    except OSError as exc:
        print(f"oaiconform: error: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
        return EXIT_USAGE
    return 0


def allure_command(args: argparse.Namespace) -> int:
    results = Path(args.directory) / "allure-results"
    if not results.is_dir():
        print(f"oaiconform: error: {results} is not a directory of allure results", file=sys.stderr)
        return EXIT_USAGE
    allure = shutil.which("allure")
    if allure is None:
        print(f"oaiconform: {ALLURE_INSTALL}", file=sys.stderr)
        return EXIT_USAGE
    output = Path(args.output) if args.output else Path(args.directory) / "allure-report"
    command = [allure, "generate", str(results), "-o", str(output), "--clean"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        print(f"oaiconform: error: allure generate failed: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if done.returncode != 0:
        print(
            f"oaiconform: error: allure generate exited {done.returncode}: "
            f"{(done.stderr or done.stdout).strip()[-500:]}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    print(f"oaiconform: allure report written to {output}/index.html")
    return 0
