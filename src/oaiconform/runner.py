"""`oaiconform run`: prepare the context, run the suites under pytest, write the reports.

Errors that stop a run before it starts are turned into exit codes here (2: configuration,
3: target unreachable); a report is written in every case, so CI always has one to read.
"""

from __future__ import annotations

import gc
import os
import shutil
import sys
import tempfile
from collections.abc import Collection
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

import pytest

from oaiconform import interrupt
from oaiconform._resources import suites_dir
from oaiconform.context import RunContext
from oaiconform.last_failed import LastFailed, LastFailedError, last_failed
from oaiconform.plugin import ContextProvider
from oaiconform.profiles import ProfileError
from oaiconform.progress import LiveProgress
from oaiconform.redact import Redactor
from oaiconform.report import Report, build_report, write_reports
from oaiconform.report.model import NOT_SELECTED
from oaiconform.report.problems import root_problems
from oaiconform.settings import Settings
from oaiconform.spec import Spec, SpecError, list_operations
from oaiconform.suite_index import suite_modules_for
from oaiconform.target import TargetUnreachableError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE, EXIT_TOOL_ERROR = 0, 1, 2, 3, 4
DEFAULT_REPORT_DIR = Path("reports")
_REASONS_SHOWN = 5  # lines saying why the exit code is not 0; report.json has them all
# What a run loads into pytest: our plugin, allure's writer, hypothesis's --hypothesis-seed.
_PLUGINS = ("oaiconform.plugin", "allure_pytest.plugin", "_hypothesis_pytestplugin")
# The exceptions a target's failure ends a test with (plugin.judge_exception: `failed`), as
# pytest-rerunfailures matches them ("<type name>: <message>"); FlakyFailure is hypothesis's
# own "failed, then passed on replay".
RERUN_ON = r"^(ConformanceError|TargetError|BodyNotJSONError|FlakyFailure): "


@dataclass
class RunOutcome:
    exit_code: int
    report: Report | None
    report_dir: Path


def suite_args(wanted: Collection[str] = ()) -> list[str]:
    """pytest arguments that run the shipped suites in isolation from the user's directory.

    With `wanted` features, only the suite modules that may test one of them are collected
    (see suite_index.py); the plugin still selects the tests by feature.
    """
    suites = suites_dir()
    modules = suite_modules_for(suites, wanted) if wanted else []
    args = [
        *(str(path) for path in modules or [suites]),
        "-c",
        os.devnull,
        "--rootdir",
        str(suites),
        "--confcutdir",
        str(suites),
        "-p",
        "no:cacheprovider",
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
        "--import-mode=importlib",
        "--assert=plain",
    ]
    # The user's other pytest plugins (random order, timeouts, coverage...) must not change a
    # conformance run, and importing them costs start-up: load exactly the plugins it needs.
    args.append("--disable-plugin-autoload")
    for plugin in _PLUGINS:
        args += ["-p", plugin]
    return args


def _pytest_args(
    settings: Settings, report_dir: Path, quiet: bool, wanted: Collection[str]
) -> list[str]:
    args = [
        *suite_args(wanted),
        "--tb=short",
        "-o",
        "console_output_style=classic",
        f"--alluredir={report_dir / 'allure-results'}",
        f"--hypothesis-seed={settings.seed}",
    ]
    args += ["-q", "--no-header"] if quiet else ["-v"]
    if settings.reruns:
        # pytest-rerunfailures reruns what failed; only the target's failures are worth a
        # second look (a bug of the tool is no flake), hence --only-rerun on their types.
        args += ["-p", "pytest_rerunfailures", "--reruns", str(settings.reruns)]
        args += ["--only-rerun", RERUN_ON]
    if settings.workers > 1:
        # Work stealing: the long tests (a streaming walk, a big operation's generation)
        # do not leave the other workers idle at the end. Module-scoped fixtures are set up
        # once per worker that needs them, so no test depends on where another one ran.
        args += ["-p", "xdist.plugin", "-n", str(settings.workers), "--dist", "worksteal"]
    return args


def _settle_heap() -> None:
    """Take what lives for the whole run out of the cyclic collector's walks.

    The imports, the description and the mock stay alive until the run ends, and generation
    allocates millions of short-lived objects: every full collection walked them all again.
    Frozen, they are skipped (0.45 s less on a 3.6 s run of the core schema tests).
    """
    gc.collect()
    gc.freeze()


def _clean_allure_dir(report_dir: Path) -> None:
    """Empty allure-results once, here: allure's own --clean-alluredir would run in every
    parallel worker, and a late worker could delete an early worker's results."""
    shutil.rmtree(report_dir / "allure-results", ignore_errors=True)


def _waits(report: Report) -> str:
    waits = report.budget.get("rate_limited_retries") or 0
    said = f" ({waits} after waiting out a 429)" if waits else ""
    flight = report.budget.get("concurrency") or {}
    if flight.get("min_reached", 0) < flight.get("configured", 0):  # 429s cut it (AIMD)
        said += (
            f"; 429s cut the requests in flight from {flight['configured']} "
            f"to {flight['min_reached']} (--concurrency)"
        )
    return said


def _reruns(report: Report) -> str:
    rerun = [t for t in report.tests if t.failed_attempts]
    if not rerun:
        return ""
    flaky = sum(1 for t in rerun if t.outcome == "flaky")
    return f"; {len(rerun)} test(s) rerun (--reruns), {flaky} of them flaky"


def _left(report: Report) -> str:
    """Only when the run left objects on the target: a loop of runs would pile them up. The
    embedded mock goes away with the run, so what it keeps is no one's concern (report.json
    still counts it)."""
    left = report.cleanup.get("left", 0)
    if not left or report.target.get("embedded_mock"):
        return ""
    kinds: dict[str, int] = {}
    for entry in report.cleanup.get("left_reasons") or []:
        kinds[entry["kind"]] = kinds.get(entry["kind"], 0) + 1
    which = ", ".join(f"{kind}: {count}" for kind, count in sorted(kinds.items()))
    return f"; {left} created objects left on the target ({which}; report.json: cleanup)"


_PROBLEMS_SHOWN = 10


def _verdict_lines(report: Report) -> list[str]:
    """One line per verdict, the one that sets the exit code marked."""
    lines = []
    for verdict, summary in report.verdicts.items():
        counts = summary["features"]
        mark = "  <- exit code (--verdict)" if verdict == report.verdict_mode else ""
        shown = [
            f"{counts.get(status, 0)} {status.replace('_', ' ')}"
            for status in ("passed", "flaky", "failed", "not_implemented", "partial", "error")
            if counts.get(status) or status in ("passed", "failed")
        ]
        lines.append(
            f"{verdict:<6}  {'PASS' if summary['passed'] else 'FAIL'}  "
            f"{summary['problems']} problem(s); features: {', '.join(shown)}{mark}"
        )
    return lines


def _problem_numbers(report: Report) -> dict[str, int]:
    """Problem id -> the number the summary shows: roots numbered, consequences share theirs."""
    numbers = {p.id: n for n, p in enumerate(root_problems(report.problems), 1)}
    for problem in report.problems:
        if problem.consequence_of:
            numbers[problem.id] = numbers[problem.consequence_of]
    return numbers


def _problem_lines(report: Report) -> list[str]:
    roots = root_problems(report.problems)
    lines = []
    for number, problem in enumerate(roots[:_PROBLEMS_SHOWN], 1):
        in_baseline = " known (baseline):" if problem.baseline else ""
        lines.append(f"  {number}.{in_baseline} [{problem.impact}] {problem.title}  ({problem.id})")
        lines.append(
            f"     {len(problem.features)} feature(s), {len(problem.tests)} test(s): "
            f"{problem.detail[:200]}"
        )
        if problem.sdk.get("outcome") in ("raised", "differs"):
            lines.append(
                f"     openai SDK {problem.sdk.get('sdk_version', '')} {problem.sdk['outcome']}: "
                f"{problem.sdk.get('detail', '')[:160]}"
            )
        if problem.known_deviation:
            known = problem.known_deviation
            lines.append(f"     looks like {known['reference']}: {known['description']}")
        followers = [p.id for p in report.problems if p.consequence_of == problem.id]
        if followers:
            lines.append(f"     in the same tests, likely consequences: {', '.join(followers)}")
    if len(roots) > _PROBLEMS_SHOWN:
        more = len(roots) - _PROBLEMS_SHOWN
        lines.append(f"  ... and {more} more (report.html, report.json: problems)")
    return lines


def _baseline_lines(report: Report) -> list[str]:
    """What --baseline made of the run: known and new problems, stale entries."""
    baseline = report.baseline
    if not baseline:
        return []
    stale = baseline.get("stale") or []
    lines = [
        f"\nbaseline {baseline.get('file')}: {len(baseline.get('known') or [])} of "
        f"{baseline.get('entries')} entries still fail (known), "
        f"{len(baseline.get('new') or [])} problem(s) it does not record (new), "
        f"{len(stale)} stale"
        + (" (--baseline-strict: they fail the run)" if stale and baseline.get("strict") else "")
    ]
    for entry in stale[:_PROBLEMS_SHOWN]:
        lines.append(f"  stale: {entry['entry']} no longer fails; remove it ({entry['reason']})")
    unchecked = baseline.get("not_checked") or []
    if unchecked:
        lines.append(f"  not checked this run (their features did not run): {len(unchecked)}")
    return lines


def _print_summary(report: Report, report_dir: Path, out: TextIO) -> None:
    built = {f: r for f, r in report.features.items() if not r.reason.startswith("not built")}
    not_built = sorted(set(report.features) - set(built))
    built = {f: r for f, r in built.items() if r.reason != NOT_SELECTED}
    width = max((len(f) for f in built), default=10)
    print(file=out)
    for line in _verdict_lines(report):
        print(line, file=out)
    if report.problems:
        roots = len(root_problems(report.problems))
        counted = ", ".join(f"{s['problems']} fail {v}" for v, s in report.verdicts.items())
        print(f"\n{roots} problem(s) ({counted}), worst first:", file=out)
        for line in _problem_lines(report):
            print(line, file=out)
        if any(p.sdk.get("outcome") == "not_replayed" for p in report.problems):
            print(
                "  (not replayed through the official SDK: pip install 'oaiconform[sdk]' "
                "shows what it does with each answer)",
                file=out,
            )
    for line in _baseline_lines(report):
        print(line, file=out)
    numbers: dict[str, list[str]] = {}
    problem_numbers = _problem_numbers(report)
    for problem in report.problems:
        for feature_id in problem.features:
            shown = numbers.setdefault(feature_id, [])
            if str(problem_numbers[problem.id]) not in shown:
                shown.append(str(problem_numbers[problem.id]))
    known_features = set(report.baseline.get("covered", {}).get(report.verdict_mode, ()))
    print(file=out)
    for feature_id, result in sorted(built.items()):
        marker = "" if result.required else " (optional)"
        status = result.label
        if result.status == "failed" and result.level == "should":
            status = status.replace("failed", "failed (should: warning)", 1)
        softer = {v: s for v, s in result.statuses.items() if s != result.status}
        if softer:
            status += " (" + ", ".join(f"{v}: {s}" for v, s in softer.items()) + ")"
        if numbers.get(feature_id):
            status += f"  problems {', '.join(numbers[feature_id][:8])}"
        if feature_id in known_features:
            status += "  (known: baseline)"
        print(f"  {feature_id:<{width}}  {status}{marker}", file=out)
        if result.failures and not numbers.get(feature_id):
            for failure in result.failures[:3]:
                print(f"      {failure.message[:300]}", file=out)
        for error in result.errors[:3]:
            print(f"      {error.message[:300]}", file=out)
        for flaky in result.flaky[:3]:
            print(f"      {flaky.test}: {flaky.message[:300]}", file=out)
        if result.status in ("partial", "not_applicable", "not_implemented") and result.reason:
            print(f"      {result.reason[:300]}", file=out)
    if not_built:
        print(f"  not built yet in this version: {', '.join(not_built)}", file=out)
    s = report.summary
    warnings = f", {s['warnings']} of them warnings (should)" if s.get("warnings") else ""
    counts = [
        f"{s.get(status, 0)} {status.replace('_', ' ')}"
        for status in ("flaky", "partial", "not_applicable", "error")
        if s.get(status)
    ]
    print(
        f"\n{s['passed']} passed, {s['failed']} failed{warnings}, "
        f"{s['not_implemented']} not implemented, "
        + "".join(f"{c}, " for c in counts)
        + f"{s['skipped']} skipped ({len(not_built)} not built yet) features; "
        f"{s['requests']} requests{_waits(report)}{_reruns(report)}; "
        f"seed {report.seed}{_left(report)}",
        file=out,
    )
    reasons = report.exit_reasons()
    for reason in reasons[:_REASONS_SHOWN]:
        print(f"exit {report.exit_code()}: {reason}", file=out)
    if len(reasons) > _REASONS_SHOWN:
        more = len(reasons) - _REASONS_SHOWN
        print(f"exit {report.exit_code()}: ... and {more} more (verdict.reasons)", file=out)
    print(f"reports: {report_dir}/report.json, report.html, junit.xml, allure-results/", file=out)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or foreign stream
        return False


def _report_dir_problem(report_dir: Path) -> str | None:
    """Why the reports cannot be written there, found before any request is sent."""
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=report_dir, prefix=".oaiconform-probe-") as probe:
            probe.write(b"x" * 4096)  # a full disk refuses a few KiB as it refuses the reports
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as exc:
        if report_dir.exists() and not report_dir.is_dir():
            return "not a directory"
        return exc.strerror or str(exc)
    return None


def _absent_from_spec(features: Collection[str], spec: Spec) -> list[str]:
    """Selected family members (schema.<operationId>, pagination.<list>) the description lacks."""
    lists = {operation.feature for operation in list_operations(spec)}
    return [
        f
        for f in features
        if (f.startswith("schema.") and f.removeprefix("schema.") not in spec.operations)
        or (f.startswith("pagination.") and f not in lists)
    ]


def _write(report: Report, report_dir: Path, err: TextIO) -> bool:
    """Write the reports; a disk that filled up during the run is one line, not a traceback."""
    try:
        write_reports(report, report_dir)
    except OSError as exc:
        print(f"oaiconform: the report could not be written to {report_dir}: {exc}", file=err)
        return False
    return True


def narrow_to_last_failed(settings: Settings, previous: LastFailed, out: TextIO) -> Settings:
    """The settings narrowed to the previous run's failed tests (and to --feature, if given)."""
    chosen = set(settings.features)
    tests = tuple(t for t, f in previous.feature_of.items() if not chosen or f in chosen)
    if not tests:
        print(
            "oaiconform: --last-failed: nothing failed in the previous run "
            f"({previous.previous_started_at}); running every selected test",
            file=out,
        )
        return settings
    features = tuple(f for f in previous.features if not chosen or f in chosen)
    print(f"oaiconform: {previous.describe()}", file=out)
    return replace(settings, features=features, only_tests=tests)


def run(
    settings: Settings,
    *,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
    quiet: bool = True,
    progress: bool = False,
) -> RunOutcome:
    report_dir = (settings.report_dir or DEFAULT_REPORT_DIR).resolve()
    problem = _report_dir_problem(report_dir)  # checked first: every later exit writes there
    if problem is not None:
        print(f"oaiconform: --report-dir {report_dir}: cannot be used ({problem})", file=err)
        return RunOutcome(EXIT_USAGE, None, report_dir)
    selection_error = None
    if settings.last_failed:
        try:
            settings = narrow_to_last_failed(settings, last_failed(report_dir), out)
        except LastFailedError as exc:
            selection_error = str(exc)
    context = RunContext(settings)
    redact = Redactor(settings.secrets()).text

    def stop(code: int, message: str) -> RunOutcome:
        print(f"oaiconform: {redact(message)}", file=err)
        context.error = message
        report = None
        try:
            report = build_report(context)
            write_reports(report, report_dir)
        except (ProfileError, OSError) as exc:
            print(f"oaiconform: no report written: {exc}", file=err)
        context.close()
        return RunOutcome(code, report, report_dir)

    if selection_error is not None:
        return stop(EXIT_USAGE, selection_error)
    try:
        _ = context.profile_definition
        context.check_faults()
        spec = context.spec
        wanted = settings.features or context.profile.features
        absent = _absent_from_spec(settings.features, spec)
    except (ProfileError, SpecError, ValueError) as exc:  # an unknown fault: ValueError
        return stop(EXIT_USAGE, str(exc))
    if absent:
        return stop(
            EXIT_USAGE,
            f"--feature {absent[0]}: the description has no such operation or list, so there "
            "would be nothing to check",
        )
    print(
        f"oaiconform: spec {spec.version} ({context.spec_source.origin}: "
        f"{context.spec_source.location}), profile {settings.profile}, seed {settings.seed} "
        f"(replay with --seed {settings.seed})",
        file=out,
    )
    try:
        target = context.target
        target.probe()
    except TargetUnreachableError as exc:
        return stop(EXIT_UNREACHABLE, str(exc))
    except RuntimeError as exc:  # the embedded mock did not start
        return stop(EXIT_UNREACHABLE, str(exc))
    print(
        f"oaiconform: target {target.display_url}"
        + (" (embedded mock)" if target.embedded_mock else ""),
        file=out,
    )

    code: int = pytest.ExitCode.INTERNAL_ERROR
    plugins: list[object] = [ContextProvider(context)]
    live = LiveProgress(context, out) if progress and quiet and _is_terminal(out) else None
    if live is not None:
        plugins.append(live)
    with interrupt.stop_on_signals():
        try:  # from here on, Ctrl-C or SIGTERM at any moment leaves a partial report
            _clean_allure_dir(report_dir)
            _settle_heap()
            code = pytest.main(
                _pytest_args(settings, report_dir, quiet, wanted),
                plugins=plugins,
            )
        except KeyboardInterrupt:
            code = pytest.ExitCode.INTERRUPTED
        finally:
            interrupt.acknowledge()
            if live is not None:
                live.close()
                if code in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR):
                    err.write(redact(live.pytest_output.getvalue()))
            context.interrupted = context.interrupted or code == pytest.ExitCode.INTERRUPTED
            gc.unfreeze()  # what the run kept alive may be collected again (self-tests run many)
            report = build_report(context)
            written = _write(report, report_dir, err)
            if context.proxy is not None:
                from oaiconform.proxy.agreement import agreement_line

                print(agreement_line(report, context.proxy), file=out)
            context.close()
    if not written:
        return RunOutcome(EXIT_USAGE, report, report_dir)
    if code == pytest.ExitCode.INTERRUPTED:
        print("oaiconform: interrupted; partial report written", file=err)
        return RunOutcome(EXIT_FAILED, report, report_dir)
    if code == pytest.ExitCode.USAGE_ERROR:
        print(f"oaiconform: pytest could not run the suites (exit {int(code)})", file=err)
        return RunOutcome(EXIT_USAGE, report, report_dir)
    if code == pytest.ExitCode.INTERNAL_ERROR:
        print(
            "oaiconform: internal error while running the suites (a bug in oaiconform; "
            "please report it with the output above)",
            file=err,
        )
        return RunOutcome(EXIT_TOOL_ERROR, report, report_dir)
    _print_summary(report, report_dir, out)
    return RunOutcome(report.exit_code(), report, report_dir)
