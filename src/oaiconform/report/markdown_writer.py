"""`oaiconform report markdown DIR`: a run's report as a GitHub-flavoured summary.

What a CI job page shows (`$GITHUB_STEP_SUMMARY`, a pull-request comment): both verdicts and
which sets the exit code, the problems worst first with what a baseline knows of them, a
feature table by area, stale baseline entries, why the exit code is not 0, and links to the
artifacts. Read from report.json, whose texts are redacted already; the keys of the environment
are masked once more, should an older report have kept one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["render_markdown"]

_PROBLEMS_SHOWN = 20
_STATUS_MARK = {
    "passed": "✅ passed",
    "flaky": "🟡 flaky",
    "failed": "❌ failed",
    "error": "💥 error",
    "not_implemented": "⛔ not implemented",
    "partial": "🟠 partial",
    "not_applicable": "⚪ not applicable",
    "skipped": "⏭️ skipped",
}
_ARTIFACTS = ("report.html", "report.json", "junit.xml", "allure-results")


def _cell(text: object, limit: int = 160) -> str:
    """One table cell: pipes escaped, one line, capped."""
    flat = " ".join(str(text).split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return flat.replace("|", "\\|")


def _verdict_table(report: dict[str, Any]) -> list[str]:
    mode = report.get("verdict", {}).get("mode", "compat")
    lines = [
        "| verdict | result | problems | features |",
        "| --- | --- | --- | --- |",
    ]
    for verdict, summary in (report.get("verdicts") or {}).items():
        counts = summary.get("features", {})
        shown = ", ".join(
            f"{counts[s]} {s.replace('_', ' ')}"
            for s in ("passed", "flaky", "failed", "error", "not_implemented", "partial")
            if counts.get(s)
        )
        problems = str(summary.get("problems", 0))
        if report.get("baseline"):
            problems += f" ({summary.get('new_problems', 0)} new)"
        name = f"**{verdict}** (exit code)" if verdict == mode else verdict
        result = "✅ PASS" if summary.get("passed") else "❌ FAIL"
        lines.append(f"| {name} | {result} | {problems} | {_cell(shown)} |")
    return lines


def _problem_table(report: dict[str, Any]) -> list[str]:
    roots = [p for p in report.get("problems", []) if not p.get("consequence_of")]
    if not roots:
        return []
    lines = [
        f"### Problems ({len(roots)}, worst first)",
        "",
        "| # | impact | problem | features | tests | |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for number, problem in enumerate(roots[:_PROBLEMS_SHOWN], 1):
        note = ""
        if problem.get("baseline"):
            note = f"known (baseline): {problem['baseline'].get('reason', '')}"
        elif problem.get("known_deviation"):
            note = f"looks like {problem['known_deviation'].get('reference', '')}"
        lines.append(
            f"| {number} | {problem.get('impact', '')} | {_cell(problem.get('title', ''))} "
            f"<br>`{_cell(problem.get('id', ''), 120)}` | {len(problem.get('features', []))} "
            f"| {len(problem.get('tests', []))} | {_cell(note)} |"
        )
    if len(roots) > _PROBLEMS_SHOWN:
        lines.append(f"\n… and {len(roots) - _PROBLEMS_SHOWN} more in report.html")
    return [*lines, ""]


def _feature_table(report: dict[str, Any]) -> list[str]:
    features = {
        f: r
        for f, r in report.get("features", {}).items()
        if r.get("status") != "skipped" or "not selected" not in str(r.get("reason", ""))
    }
    problems_of: dict[str, int] = {}
    for problem in report.get("problems", []):
        for feature_id in problem.get("features", []):
            problems_of[feature_id] = problems_of.get(feature_id, 0) + 1
    mode = report.get("verdict", {}).get("mode", "compat")
    known = set((report.get("baseline") or {}).get("covered", {}).get(mode, ()))
    failing = sum(1 for r in features.values() if r.get("status") not in ("passed", "skipped"))
    lines = [
        f"<details><summary>Features: {len(features)} ({failing} not passed)</summary>",
        "",
        "| area | feature | status | required | problems |",
        "| --- | --- | --- | --- | --- |",
    ]
    for feature_id, result in sorted(features.items()):
        status = result.get("statuses", {}).get(mode) or result.get("status", "")
        shown = _STATUS_MARK.get(status, status)
        if feature_id in known:
            shown += " (known: baseline)"
        lines.append(
            f"| {feature_id.partition('.')[0]} | `{feature_id}` | {shown} | "
            f"{'yes' if result.get('required') else 'optional'} | "
            f"{problems_of.get(feature_id, '')} |"
        )
    return [*lines, "", "</details>", ""]


def _baseline_lines(report: dict[str, Any]) -> list[str]:
    baseline = report.get("baseline") or {}
    if not baseline:
        return []
    stale = baseline.get("stale") or []
    lines = [
        f"**Baseline** `{_cell(baseline.get('file', ''))}`: {len(baseline.get('known') or [])} "
        f"known, {len(baseline.get('new') or [])} new, {len(stale)} stale"
        + (" (fail the run: --baseline-strict)" if stale and baseline.get("strict") else ""),
        "",
    ]
    for entry in stale:
        lines.append(f"- stale: `{_cell(entry.get('entry', ''))}` no longer fails; remove it")
    return [*lines, ""] if stale else lines


def render_markdown(
    report: dict[str, Any],
    *,
    artifacts: str = "",
    redact: Callable[[str], str] = str,
) -> str:
    """The summary; `artifacts` is where the report files are (a folder or an address)."""
    mode = report.get("verdict", {}).get("mode", "compat")
    code = report.get("verdict", {}).get("exit_code", 0)
    target = report.get("target", {})
    where = "the embedded mock" if target.get("embedded_mock") else f"`{target.get('base_url')}`"
    summary = report.get("summary", {})
    passed = (report.get("verdicts") or {}).get(mode, {}).get("passed", code == 0)
    lines = [
        f"## oaiconform: {'✅ PASS' if passed else '❌ FAIL'} ({mode}, exit code {code})",
        "",
        f"Target {where} · profile `{report.get('profile')}` · seed {report.get('seed')} "
        f"(replay: `--seed {report.get('seed')}`) · spec {report.get('spec', {}).get('version')} · "
        f"{summary.get('requests', 0):,} requests · {report.get('duration_s', 0):.0f} s",
        "",
        *_verdict_table(report),
        "",
    ]
    if report.get("error"):
        lines += [f"> **The run stopped:** {_cell(report['error'], 400)}", ""]
    if report.get("interrupted"):
        lines += ["> The run was interrupted: the report is partial.", ""]
    lines += _problem_table(report)
    lines += _baseline_lines(report)
    reasons = report.get("verdict", {}).get("reasons") or []
    if reasons:
        lines += [f"**Why the exit code is {code}:**", ""]
        lines += [f"- {_cell(r, 300)}" for r in reasons[:10]]
        if len(reasons) > 10:
            lines.append(f"- … and {len(reasons) - 10} more (report.json: verdict.reasons)")
        lines.append("")
    lines += _feature_table(report)
    if artifacts.startswith(("http://", "https://")):  # a CI run's page: the artifact is a zip
        lines += [f"Reports ({', '.join(_ARTIFACTS)}): [the run's artifacts]({artifacts})", ""]
    elif artifacts:
        base = artifacts.rstrip("/")
        links = " · ".join(f"[{name}]({base}/{name})" for name in _ARTIFACTS)
        lines += [f"Reports: {links}", ""]
    return redact("\n".join(lines))
