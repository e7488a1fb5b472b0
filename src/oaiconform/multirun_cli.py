"""The two matrix commands' glue: `run --targets FILE` and `report matrix DIR... -o FILE`.

Kept out of cli.py (argument parsing only): this turns parsed arguments into a multi-target
run or a matrix document, and every bad input into one line and exit 2.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from dataclasses import replace
from pathlib import Path

from oaiconform.baseline import BaselineError
from oaiconform.redact import environment_keys
from oaiconform.targets_file import TargetsFileError, load_targets_file

EXIT_USAGE = 2
_MAX_DEFAULT_JOBS = 4
# `run` options that concern one target: with --targets, each entry sets its own.
_PER_TARGET = {
    "target": "--target",
    "api_key_env": "--api-key-env",
    "second_api_key_env": "--second-api-key-env",
    "model": "--model",
    "embedding_model": "--embedding-model",
    "completion_model": "--completion-model",
    "moderation_model": "--moderation-model",
    "mock_faults": "--mock-fault",
    "dry_run": "--dry-run",
}
# `run` options given once on the command line and passed to every target's run.
_SHARED_VALUES = {
    "spec": "--spec",
    "seed": "--seed",
    "timeout": "--timeout",
    "max_response_bytes": "--max-response-bytes",
    "max_duration": "--max-duration",
    "ca_bundle": "--ca-bundle",
    "budget_requests": "--budget-requests",
    "verdict": "--verdict",
    "property_examples": "--property-examples",
    "property_negative_examples": "--property-negative-examples",
    "workers": "--workers",
}
_SHARED_LISTS = {"overlays": "--overlay", "features": "--feature"}
_SHARED_SWITCHES = {
    "insecure": "--insecure",
    "allow_expensive": "--allow-expensive",
    "deterministic": "--deterministic",
    "no_pinning": "--no-pinning",
}


def _error(message: str) -> int:
    print(f"oaiconform: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def shared_args(args: argparse.Namespace) -> list[str]:
    """The command line's run options, as flags for each target's run."""
    shared: list[str] = []
    for name, flag in _SHARED_VALUES.items():
        if getattr(args, name, None) is not None:
            shared += [flag, str(getattr(args, name))]
    for name, flag in _SHARED_LISTS.items():
        for value in getattr(args, name, None) or []:
            shared += [flag, value]
    shared += [flag for name, flag in _SHARED_SWITCHES.items() if getattr(args, name, None)]
    return shared


def run_targets_command(args: argparse.Namespace) -> int:
    from oaiconform.multirun import check_baselines, run_targets

    if args.targets is None:
        return _error("--jobs needs --targets FILE")
    given = [flag for name, flag in _PER_TARGET.items() if getattr(args, name, None)]
    if given:
        return _error(f"{given[0]} cannot be used with --targets (each entry sets its own)")
    if args.jobs is not None and args.jobs < 1:
        return _error("--jobs must be at least 1")
    try:
        entries = load_targets_file(Path(args.targets))
        check_baselines(entries)
    except (TargetsFileError, BaselineError) as exc:
        return _error(f"--targets {exc}")
    if args.profile:  # the default profile of the entries that name none
        entries = tuple(e if e.profile else replace(e, profile=args.profile) for e in entries)
    if args.seed is None:  # one seed for every target: the matrix replays as a whole
        args.seed = str(random.randrange(1, 2**31))
    jobs = args.jobs or min(len(entries), _MAX_DEFAULT_JOBS)
    root = Path(args.report_dir or "reports")
    try:
        max_duration = float(args.max_duration) if args.max_duration else None
    except ValueError:
        return _error(f"--max-duration: {args.max_duration!r} is not a number of seconds")
    return run_targets(entries, shared_args(args), root, jobs=jobs, limit_s=max_duration)


def report_command(args: argparse.Namespace) -> int:
    from oaiconform.report.matrix import MatrixError
    from oaiconform.report.matrix_writers import write_matrix

    if args.report_kind != "matrix":
        return _error(
            "report needs a kind: `oaiconform report matrix DIR... -o FILE`, "
            "`report markdown DIR` or `report allure DIR`"
        )
    output = Path(args.output)
    fmt = args.format or ("markdown" if output.suffix.lower() in (".md", ".markdown") else "html")
    secrets = environment_keys(os.environ)
    try:
        write_matrix([Path(d) for d in args.directories], output, fmt, secrets, note=args.note)
    except MatrixError as exc:
        return _error(str(exc))
    except OSError as exc:
        return _error(f"cannot write {output}: {exc.strerror or exc}")
    print(f"oaiconform: matrix of {len(args.directories)} target(s) written to {output}")
    return 0
