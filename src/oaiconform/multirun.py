"""`oaiconform run --targets FILE`: one `oaiconform run` per target, in parallel processes.

Each target is a child process (`python -m oaiconform run ...`) with its own report directory
`<report-dir>/<name>/`, so one server that hangs, crashes or never answers cannot disturb the
others: it is reported as such, one line, and the rest go on. Each child writes its output to
`run.log` (redacted again here: the keys are known to this process too) and this process adds
`matrix-target.json` (name, version, base URL, profile, exit code) and the server's baseline,
which `oaiconform report matrix` reads.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

from oaiconform.baseline import BaselineError, load_baseline
from oaiconform.redact import Redactor
from oaiconform.report.matrix import BASELINE_COPY, TARGET_META
from oaiconform.targets_file import TargetEntry

__all__ = ["TargetRun", "run_targets"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE, EXIT_TOOL_ERROR = 0, 1, 2, 3, 4
_OUTCOME = {
    EXIT_OK: "PASS",
    EXIT_FAILED: "FAIL",
    EXIT_USAGE: "BAD SETUP",
    EXIT_UNREACHABLE: "UNREACHABLE",
    EXIT_TOOL_ERROR: "TOOL ERROR",
}
# A child that outlives its own --max-duration by this much is stopped (a run always ends).
_GRACE_S = 300.0
_DEFAULT_LIMIT_S = 3600.0


@dataclass(frozen=True)
class TargetRun:
    name: str
    version: str
    base_url: str
    profile: str
    exit_code: int
    outcome: str  # PASS | FAIL | BAD SETUP | UNREACHABLE | TOOL ERROR | TIMED OUT
    duration_s: float
    report_dir: str
    why: str = ""  # the run's error line when it did not run its suites


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """Stop the child and what it started (its own process group), by its id only."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _why(report_dir: Path, log: str) -> str:
    """The line that says why a run ended early: report.json's error, else the log's last."""
    try:
        report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
        if report.get("error"):
            return str(report["error"]).splitlines()[0][:300]
    except (OSError, ValueError):
        pass
    lines = [line for line in log.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"


def _run_one(
    entry: TargetEntry,
    shared: Sequence[str],
    root: Path,
    redactor: Redactor,
    limit_s: float,
) -> TargetRun:
    report_dir = root / entry.name
    report_dir.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "oaiconform",
        "run",
        *entry.run_args(),
        *shared,
        "--report-dir",
        str(report_dir),
    ]
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # its own group: stopped whole, never by name
    )
    try:
        output, _ = process.communicate(timeout=limit_s)
        code = process.returncode
        outcome = _OUTCOME.get(code, f"EXIT {code}")
    except subprocess.TimeoutExpired:
        _stop_group(process)
        output, _ = process.communicate()
        code, outcome = EXIT_TOOL_ERROR, "TIMED OUT"
    log = redactor.text(output.decode("utf-8", errors="replace"))
    (report_dir / "run.log").write_text(log, encoding="utf-8")
    why = "" if code in (EXIT_OK, EXIT_FAILED) else _why(report_dir, log)
    if outcome == "TIMED OUT":
        why = f"stopped after {limit_s:g} s"
    if entry.baseline is not None:
        shutil.copyfile(entry.baseline, report_dir / BASELINE_COPY)
    else:
        (report_dir / BASELINE_COPY).unlink(missing_ok=True)
    result = TargetRun(
        name=entry.name,
        version=entry.version,
        base_url=redactor.text(entry.base_url),
        profile=entry.profile or "",
        exit_code=code,
        outcome=outcome,
        duration_s=round(time.monotonic() - started, 1),
        report_dir=str(report_dir),
        why=why,
    )
    (report_dir / TARGET_META).write_text(
        json.dumps(asdict(result), indent=2) + "\n", encoding="utf-8"
    )
    return result


def _counts(report_dir: Path) -> str:
    """`compat 7 passed, 40 failed, 36 problems; strict ...` from the target's report."""
    try:
        report: dict[str, Any] = json.loads((report_dir / "report.json").read_text("utf-8"))
    except (OSError, ValueError):
        return "no report.json"
    parts = []
    for verdict, summary in (report.get("verdicts") or {}).items():
        features = summary.get("features", {})
        shown = ", ".join(
            f"{features.get(status, 0)} {status.replace('_', ' ')}"
            for status in ("passed", "failed", "not_implemented", "partial")
            if features.get(status) or status in ("passed", "failed")
        )
        parts.append(f"{verdict} {shown}; {summary.get('problems', 0)} problem(s)")
    return " | ".join(parts) or "no verdicts"


def summary_line(run: TargetRun, width: int) -> str:
    detail = run.why if run.why else _counts(Path(run.report_dir))
    return (
        f"{run.name:<{width}}  {run.outcome:<11}  {detail}  ({run.duration_s:g} s; "
        f"{run.report_dir}/)"
    )


def check_baselines(entries: Sequence[TargetEntry]) -> None:
    """Every named baseline parses, before any target is asked (BaselineError otherwise)."""
    for entry in entries:
        if entry.baseline is not None:
            try:
                load_baseline(entry.baseline)
            except BaselineError as exc:
                raise BaselineError(f"target {entry.name!r}: {exc}") from None


def run_targets(
    entries: Sequence[TargetEntry],
    shared: Sequence[str],
    root: Path,
    *,
    jobs: int,
    limit_s: float | None = None,
    environ: dict[str, str] | None = None,
    out: TextIO = sys.stdout,
) -> int:
    """Run every target; print one line per target as each ends; the worst exit code."""
    env = os.environ if environ is None else environ
    keys = [env.get(entry.key_env or "OPENAI_API_KEY", "") for entry in entries]
    redactor = Redactor(k for k in keys if k)
    limit = (limit_s + _GRACE_S) if limit_s else _DEFAULT_LIMIT_S
    root.mkdir(parents=True, exist_ok=True)
    width = max(len(entry.name) for entry in entries)
    print(
        f"oaiconform: {len(entries)} target(s), {jobs} at a time; reports under {root}/",
        file=out,
        flush=True,
    )
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_run_one, entry, shared, root, redactor, limit) for entry in entries]
        results = []
        for future in futures:
            result = future.result()
            results.append(result)
            print(summary_line(result, width), file=out, flush=True)
    return max(result.exit_code for result in results)
