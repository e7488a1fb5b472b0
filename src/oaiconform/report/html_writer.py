"""report.html: one self-contained page (no external assets) a person can read at a glance.

The verdicts come first (compat and strict, the exit code and why), then the problems (the
failures grouped by defect, worst impact first, each with the redacted exchange behind it, its
curl repro to copy, what the official SDK did with the answer, the known upstream bug it looks
like, and whether the run's baseline knows it); then every feature as a grid of cells by area
coloured by status, each opening its tests; then charts drawn as inline SVG: results per area,
the request latency distribution, streaming time to first event and gaps. The parts live in
html_failures, html_grid, html_charts and html_style (colours, stylesheet, the one inline
script). Everything is escaped: a target's text never becomes markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

from oaiconform.report.html_charts import area_bars, latency_chart, stream_charts
from oaiconform.report.html_failures import problems_section, tool_errors
from oaiconform.report.html_grid import by_area, feature_grid, status_counts
from oaiconform.report.html_style import SCRIPT, STATUS_COLORS, STYLE, badge
from oaiconform.report.json_writer import write_atomically
from oaiconform.report.model import Report

_REASONS_SHOWN = 3  # the exit code's first reasons; the others folded, the problems follow


def _bar(counts: Mapping[str, int]) -> str:
    total = sum(counts.get(k, 0) for k in STATUS_COLORS) or 1
    parts = "".join(
        f'<div title="{k.replace("_", " ")}: {counts[k]}" '
        f'style="width:{100 * counts[k] / total:.2f}%;background:{c}"></div>'
        for k, c in STATUS_COLORS.items()
        if counts.get(k)
    )
    return f'<div class="bar">{parts}</div>'


def _verdicts(report: Report) -> str:
    rows = []
    for verdict, summary in report.verdicts.items():
        counts = summary.get("features") or {}
        mark = " · <b>sets the exit code</b>" if verdict == report.verdict_mode else ""
        result = badge("passed" if summary.get("passed") else "failed")
        rows.append(
            f'<tr class="verdict" data-verdict="{escape(verdict)}">'
            f"<td><b>{escape(verdict)}</b></td><td>{result}</td>"
            f"<td>exit code {summary.get('exit_code', '?')}</td>"
            f"<td>{summary.get('problems', 0)} problem(s)</td><td>{_bar(counts)}</td>"
            f"<td class='muted'>{counts.get('passed', 0)} passed, {counts.get('failed', 0)} "
            f"failed{_flaky_count(counts)}{mark}</td></tr>"
        )
    if not rows:
        return ""
    return (
        "<table><tbody>" + "".join(rows) + "</tbody></table><p class='muted'>compat fails on "
        "what breaks clients or behaves wrongly; strict also on spec-literal differences; "
        "advisory differences never fail a verdict.</p>"
    )


def _flaky_count(counts: dict[str, int]) -> str:
    return f", {counts['flaky']} flaky" if counts.get("flaky") else ""


def _verdict(report: Report) -> str:
    reasons = report.verdict.get("reasons") or []
    if not reasons:
        return ""
    items = [f"<li>{escape(reason)}</li>" for reason in reasons]
    shown, more = items[:_REASONS_SHOWN], items[_REASONS_SHOWN:]
    folded = (
        f"<details><summary>and {len(more)} more reason(s)</summary><ul>{''.join(more)}</ul>"
        "</details>"
        if more
        else ""
    )
    return (
        f"<p><b>Exit code {report.verdict.get('exit_code')}</b>, because:</p>"
        f"<ul>{''.join(shown)}</ul>{folded}"
    )


def _cleanup(report: Report) -> str:
    """One line on what the run left on the target; the objects left, folded."""
    cleanup = report.cleanup
    if not cleanup:
        return ""
    left = cleanup.get("left_reasons") or []
    line = (
        f"<p class='muted'>Cleanup (run <code>{escape(str(cleanup.get('run_id')))}</code>): "
        f"{cleanup.get('created', 0)} objects created, {cleanup.get('removed', 0)} removed, "
        f"{cleanup.get('left', 0)} left on the target.</p>"
    )
    if not left:
        return line
    items = "".join(
        f"<li><code>{escape(str(o.get('kind')))} {escape(str(o.get('id')))}</code>: "
        f"{escape(str(o.get('reason')))}</li>"
        for o in left[:50]
    )
    return f"{line}<details><summary>objects left</summary><ul>{items}</ul></details>"


def _baseline(report: Report) -> str:
    """What the run's baseline (report.baseline) says: known, new, and stale entries."""
    baseline: Any = getattr(report, "baseline", None)
    if not isinstance(baseline, Mapping) or not baseline:
        return ""

    def listed(key: str) -> list[Any]:
        found = baseline.get(key)
        return list(found) if isinstance(found, list | tuple) else []

    known, new, stale = listed("known"), listed("new"), listed("stale")
    line = (
        f"<p>Baseline <code>{escape(str(baseline.get('file') or ''))}</code>: {len(known)} "
        f"known problem(s), {len(new)} new, {len(stale)} stale.</p>"
    )
    if not stale:
        return line
    items = "".join(_stale_item(e) for e in stale)
    return (
        f'{line}<div id="baseline-stale"><b>Stale baseline entries ({len(stale)})</b>: listed as '
        f"known, but they no longer fail: remove them from the baseline.<ul>{items}</ul></div>"
    )


def _stale_item(entry: Any) -> str:
    """A stale entry: {entry, reason, upstream, url}, or a bare id."""
    if not isinstance(entry, Mapping):
        return f"<li><code>{escape(str(entry))}</code></li>"
    name = entry.get("entry") or entry.get("id") or entry.get("problem") or ""
    reason = f": {escape(str(entry['reason']))}" if entry.get("reason") else ""
    return f"<li><code>{escape(str(name))}</code>{reason}</li>"


def _charts(report: Report) -> str:
    areas = {area: status_counts([r for _, r in items]) for area, items in by_area(report).items()}
    timings: Any = getattr(report, "timings", None)
    timing_charts = latency_chart(timings if isinstance(timings, Mapping) else {}) + stream_charts(
        report.tests
    )
    return f"<h2>Results per area</h2>{area_bars(areas)}" + (
        f"<h2>Timings</h2><div class='charts'>{timing_charts}</div>" if timing_charts else ""
    )


def render_html(report: Report) -> str:
    s = report.summary
    cards = "".join(
        f'<div class="card"><b style="color:{c}">{s.get(k, 0)}</b>{escape(k.replace("_", " "))}'
        "</div>"
        for k, c in STATUS_COLORS.items()
    )
    error = (
        f'<p style="color:#cf222e"><b>Run error:</b> {escape(report.error)}</p>'
        if report.error
        else ""
    )
    if report.interrupted:
        error += '<p style="color:#cf222e"><b>Interrupted:</b> a partial report.</p>'

    target = escape(str(report.target.get("base_url")))
    if report.target.get("embedded_mock"):
        target += " (embedded mock)"
    overlays = report.spec.get("overlays") or []
    overlay_note = f" · {len(overlays)} spec overlays" if overlays else ""
    budget = report.budget
    waits = budget.get("rate_limited_retries") or 0
    budget_note = f" ({waits} waited out after a 429)" if waits else ""
    if budget.get("exhausted"):
        budget_note += f" · <b>the budget of {budget.get('limit')} requests cut the run short</b>"
    counts = {k: s.get(k, 0) for k in STATUS_COLORS}
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>oaiconform report: {escape(report.profile)}</title><style>{STYLE}</style></head><body>
<h1>oaiconform conformance report</h1>
<div class="meta">target {target} · profile <b>{escape(report.profile)}</b> · spec
{escape(str(report.spec.get("version")))}{overlay_note} · seed {report.seed} ·
{escape(report.started_at)} · {report.duration_s:.1f} s ·
{s.get("requests", 0)} requests{budget_note} · oaiconform {escape(report.tool["version"])}</div>
{error}<h2>Verdicts</h2>{_verdicts(report)}{_verdict(report)}{_baseline(report)}
{tool_errors(report)}{problems_section(report)}
<h2>By area</h2><div class="cards">{cards}</div>{_bar(counts)}{feature_grid(report)}
{_charts(report)}{_cleanup(report)}
<p class="muted">Replay this run with <code>--seed {report.seed}</code>. The canonical data is in
report.json.</p><script>{SCRIPT}</script></body></html>
"""


def write_html(report: Report, directory: Path) -> Path:
    path = directory / "report.html"
    write_atomically(path, render_html(report))
    return path
