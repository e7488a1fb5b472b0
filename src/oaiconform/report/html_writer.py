"""report.html: one self-contained page (no external assets) a person can read at a glance.

The two verdicts come first, then the problems (the failures grouped by defect, worst impact
first, each expandable to every failure it stands for, with its repro, what the official SDK did
with the answer and the known upstream bug it looks like); then the areas as stacked bars; then
every feature,
grouped by area, with the 288 `schema.*` features folded away; then streaming timings as a
chart when the run measured any. Everything is escaped: a target's text never becomes markup.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from oaiconform.features import get_feature
from oaiconform.report.json_writer import write_atomically
from oaiconform.report.model import FeatureResult, Report
from oaiconform.report.problems import Problem, root_problems

_COLORS = {  # one per feature status, in the order the cards show them
    "passed": "#1a7f37",
    "flaky": "#1b7c83",
    "failed": "#cf222e",
    "error": "#8250df",
    "not_implemented": "#9a6700",
    "partial": "#bc4c00",
    "not_applicable": "#57606a",
    "skipped": "#8c959f",
}
_IMPACT_COLORS = {
    "breaks-clients": "#cf222e",
    "wrong-behaviour": "#bc4c00",
    "spec-literal": "#9a6700",
    "advisory": "#57606a",
}
_STYLE = """
body{font:14px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:76rem;color:#1f2328;
padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.1rem;margin:2rem 0 .5rem}
.meta{color:#59636e;margin-bottom:1rem}.cards{display:flex;gap:1rem;margin:1rem 0;flex-wrap:wrap}
.card{border:1px solid #d1d9e0;border-radius:8px;padding:.6rem 1.1rem;min-width:7rem}
.card b{display:block;font-size:1.6rem}.bar{display:flex;height:12px;border-radius:6px;
overflow:hidden;background:#eaeef2;min-width:12rem}table{border-collapse:collapse;width:100%}
td,th{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #d1d9e0;vertical-align:top}
.badge{color:#fff;border-radius:1rem;padding:.05rem .6rem;font-size:12px;white-space:nowrap}
pre{white-space:pre-wrap;word-break:break-word;background:#f6f8fa;padding:.5rem;border-radius:6px;
margin:.25rem 0;font-size:12px}.muted{color:#59636e}details summary{cursor:pointer;margin:.5rem 0}
.fail{border-left:4px solid #cf222e;padding:.25rem .75rem;margin:.75rem 0}
"""


def _badge(status: str) -> str:
    color = _COLORS.get(status, "#8c959f")
    return (
        f'<span class="badge" style="background:{color}">{escape(status.replace("_", " "))}</span>'
    )


def _bar(counts: dict[str, int]) -> str:
    total = sum(counts.values()) or 1
    parts = "".join(
        f'<div title="{k.replace("_", " ")}: {n}" style="width:{100 * n / total:.2f}%;'
        f'background:{_COLORS[k]}"></div>'
        for k, n in counts.items()
        if n
    )
    return f'<div class="bar">{parts}</div>'


def _counts(results: list[FeatureResult]) -> dict[str, int]:
    counts = dict.fromkeys(_COLORS, 0)
    for result in results:
        counts[result.status] += 1
    return counts


def _impact_badge(impact: str) -> str:
    color = _IMPACT_COLORS.get(impact, "#57606a")
    return f'<span class="badge" style="background:{color}">{escape(impact)}</span>'


def _verdicts(report: Report) -> str:
    rows = []
    for verdict, summary in report.verdicts.items():
        counts = summary.get("features") or {}
        mark = " · <b>sets the exit code</b>" if verdict == report.verdict_mode else ""
        result = _badge("passed" if summary.get("passed") else "failed")
        rows.append(
            f"<tr><td><b>{escape(verdict)}</b></td><td>{result}</td>"
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


def _problem(number: int, problem: Problem, report: Report) -> str:
    sdk = problem.sdk
    sdk_line = ""
    if sdk.get("outcome") == "fine":
        sdk_line = (
            f"<p class='muted'>Official SDK (openai {escape(sdk.get('sdk_version', ''))}), "
            f"<code>{escape(sdk.get('call', ''))}</code>: parsed the answer without error and "
            "handed over what the server sent (the defect reaches the application as sent)</p>"
        )
    elif sdk.get("outcome") in ("raised", "differs"):
        sdk_line = (
            f"<p>Official SDK (openai {escape(sdk.get('sdk_version', ''))}), "
            f"<code>{escape(sdk.get('call', ''))}</code>: <b>{escape(sdk['outcome'])}</b> "
            f"{escape(sdk.get('detail', ''))}</p>"
        )
    elif sdk.get("detail"):
        sdk_line = f"<p class='muted'>{escape(sdk['detail'])}</p>"
    known = problem.known_deviation
    known_line = (
        f'<p>Looks like <a href="{escape(known["url"])}">{escape(known["reference"])}</a>: '
        f"{escape(known['description'])}</p>"
        if known
        else ""
    )
    tests = set(problem.tests)
    every = "".join(
        f'<div><span class="muted">{escape(t.id)}</span>'
        + "".join(
            f"<pre>{escape(f.get('message', ''))}</pre>"
            for f in t.failures
            if f.get("check_id", "") == problem.check
        )
        + "</div>"
        for t in report.tests
        if t.id in tests
    )
    repro = problem.example.get("repro", "")
    features = ", ".join(f"<code>{escape(f)}</code>" for f in problem.features[:30])
    if len(problem.features) > 30:
        features += f" and {len(problem.features) - 30} more"
    return (
        f'<div class="fail" style="border-color:{_IMPACT_COLORS.get(problem.impact, "#57606a")}">'
        f"<b>{number}. {escape(problem.title)}</b> {_impact_badge(problem.impact)} "
        f'<span class="muted"><code>{escape(problem.id)}</code></span>'
        f"<p>{len(problem.features)} feature(s), {len(problem.tests)} test(s), "
        f"{problem.failures} failure(s): {features}</p>"
        f"<pre>{escape(problem.detail)}</pre>"
        + (f"<pre>{escape(repro)}</pre>" if repro else "")
        + sdk_line
        + known_line
        + f"<p class='muted'>Why {escape(problem.impact)}: {escape(problem.impact_reason)}</p>"
        f"<details><summary>every failure ({problem.failures})</summary>{every}</details>"
        f"{_consequences(problem, report)}</div>"
    )


def _consequences(root: Problem, report: Report) -> str:
    """Problems seen only in the tests where `root` is: listed under it, each expandable."""
    followers = [p for p in report.problems if p.consequence_of == root.id]
    if not followers:
        return ""
    items = "".join(
        f"<li>{_impact_badge(p.impact)} {escape(p.title)} <code>{escape(p.id)}</code>"
        f"<pre>{escape(p.detail)}</pre></li>"
        for p in followers
    )
    return (
        f"<details><summary>in the same tests, likely consequences ({len(followers)})"
        f"</summary><ul>{items}</ul></details>"
    )


def _problems(report: Report) -> str:
    blocks = [_problem(n, p, report) for n, p in enumerate(root_problems(report.problems), 1)]
    grouped = {t for p in report.problems for t in p.tests}
    loose = []  # failed tests no problem stands for (no typed failure): shown as they are
    for feature_id, result in sorted(report.features.items()):
        for failure in result.failures:
            if failure.test in grouped:
                continue
            repro = f"<pre>{escape(failure.repro)}</pre>" if failure.repro else ""
            loose.append(
                f'<div class="fail"><b><code>{escape(feature_id)}</code></b> · '
                f'<span class="muted">{escape(failure.test)}</span>'
                f"<pre>{escape(failure.message)}</pre>{repro}</div>"
            )
    html = ""
    if blocks:
        html += f"<h2>Problems ({len(blocks)}), worst first</h2>" + "".join(blocks)
    if loose:
        html += f"<h2>Other failures ({len(loose)})</h2>" + "".join(loose)
    return html


def _tool_errors(report: Report) -> str:
    """Errors of this tool come apart from the target's failures: they are bugs to report."""
    blocks = [
        f'<div class="fail" style="border-color:{_COLORS["error"]}"><b><code>'
        f"{escape(feature_id)}</code></b> · "
        f'<span class="muted">{escape(error.test)}</span><pre>{escape(error.message)}</pre>'
        f"<details><summary>traceback</summary><pre>{escape(error.traceback)}</pre></details>"
        "</div>"
        for feature_id, result in sorted(report.features.items())
        for error in result.errors
    ]
    if not blocks:
        return ""
    return (
        f"<h2>Errors of oaiconform itself ({len(blocks)})</h2><p class='muted'>Not the "
        "target's fault: these tests broke inside the tool. Please report them with the "
        "traceback.</p>" + "".join(blocks)
    )


def _verdict(report: Report) -> str:
    reasons = report.verdict.get("reasons") or []
    if not reasons:
        return ""
    items = "".join(f"<li>{escape(reason)}</li>" for reason in reasons)
    return f"<p><b>Exit code {report.verdict.get('exit_code')}</b>, because:</p><ul>{items}</ul>"


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


def _feature_row(feature_id: str, result: FeatureResult) -> str:
    detail = f'<span class="muted">{escape(result.reason)}</span>' if result.reason else ""
    if result.failures:
        detail = f"{len(result.failures)} failing test(s), see Problems"
    flaky = "".join(
        f"<li><code>{escape(note.test.rpartition('::')[2])}</code>: {escape(note.message)}"
        f"<pre>{escape(note.repro)}</pre></li>"
        for note in result.flaky
    )
    if flaky:
        detail += (
            f"<details><summary>{len(result.flaky)} flaky test(s): failed, then passed on "
            f"a rerun</summary><ul>{flaky}</ul></details>"
        )
    notes = "".join(
        f'<li class="muted">{what}: <code>{escape(note.test.rpartition("::")[2])}</code>: '
        f"{escape(note.reason)}</li>"
        for what, found in (("not run", result.not_run), ("not applicable", result.not_applicable))
        for note in found
    )
    if notes:
        detail += f"<details><summary>tests that did not run</summary><ul>{notes}</ul></details>"
    requirement = "required" if result.required else "optional"
    verdicts = "".join(
        f'<div class="muted">{escape(v)}: {escape(status.replace("_", " "))}</div>'
        for v, status in result.statuses.items()
        if status != result.status
    )
    return (
        f"<tr><td><code>{escape(feature_id)}</code></td><td>{_badge(result.status)}"
        f'<div class="muted">{escape(result.label)}</div>{verdicts}</td>'
        f"<td>{requirement} · {result.level}</td><td>{result.tests}</td><td>{detail}</td></tr>"
    )


def _areas(report: Report) -> str:
    by_area: dict[str, list[tuple[str, FeatureResult]]] = {}
    for feature_id, result in report.features.items():
        by_area.setdefault(get_feature(feature_id).area, []).append((feature_id, result))
    summary_rows, sections = [], []
    for area in sorted(by_area):
        items = sorted(by_area[area])
        counts = _counts([r for _, r in items])
        summary_rows.append(
            f"<tr><td>{escape(area)}</td><td>{_bar(counts)}</td>"
            f"<td>{counts['passed']}/{len(items)} passed</td></tr>"
        )
        rows = "".join(_feature_row(f, r) for f, r in items)
        table = (
            "<table><thead><tr><th>feature</th><th>status</th><th>level</th><th>tests</th>"
            f"<th>details</th></tr></thead><tbody>{rows}</tbody></table>"
        )
        failing = counts["failed"] + counts["not_implemented"] + counts["error"]
        is_open = " open" if failing and len(items) < 40 else ""
        sections.append(
            f"<details{is_open}><summary><b>{escape(area)}</b> · {len(items)} features · "
            f"{counts['passed']} passed{_flaky_count(counts)}, {failing} failing or not "
            "implemented</summary>"
            f"{table}</details>"
        )
    return (
        "<h2>By area</h2><table><tbody>" + "".join(summary_rows) + "</tbody></table>"
        "<h2>Features</h2>" + "".join(sections)
    )


def _stream_chart(report: Report) -> str:
    """Time to first event and the longest gap per streaming test, as an inline SVG."""
    rows = [
        (t.id.split("::")[-1], t.metrics["first_event_s_max"], t.metrics.get("gap_s_max", 0.0))
        for t in report.tests
        if t.metrics and "first_event_s_max" in t.metrics
    ][:40]
    if not rows:
        return ""
    scale = max(max(first, gap) for _, first, gap in rows) or 1.0
    height, width, label = 18, 360, 340
    bars = []
    for index, (name, first, gap) in enumerate(rows):
        y = index * height
        bars.append(
            f'<text x="0" y="{y + 13}" font-size="11">{escape(name[:52])}</text>'
            f'<rect x="{label}" y="{y + 2}" width="{width * first / scale:.1f}" height="7" '
            f'fill="#0969da"><title>first event {first * 1000:.1f} ms</title></rect>'
            f'<rect x="{label}" y="{y + 10}" width="{width * gap / scale:.1f}" height="6" '
            f'fill="#bf8700"><title>longest gap {gap * 1000:.1f} ms</title></rect>'
        )
    return (
        f"<h2>Streaming timings</h2><p class='muted'>blue: time to first event; amber: longest "
        f"gap between events (scale: {scale * 1000:.1f} ms full width)</p>"
        f'<svg role="img" width="{label + width + 10}" height="{len(rows) * height}" '
        f'xmlns="http://www.w3.org/2000/svg">{"".join(bars)}</svg>'
    )


def render_html(report: Report) -> str:
    s = report.summary
    cards = "".join(
        f'<div class="card"><b style="color:{c}">{s.get(k, 0)}</b>{escape(k.replace("_", " "))}'
        "</div>"
        for k, c in _COLORS.items()
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
    counts = {k: s.get(k, 0) for k in _COLORS}
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>oaiconform report: {escape(report.profile)}</title><style>{_STYLE}</style></head><body>
<h1>oaiconform conformance report</h1>
<div class="meta">target {target} · profile <b>{escape(report.profile)}</b> · spec
{escape(str(report.spec.get("version")))}{overlay_note} · seed {report.seed} ·
{escape(report.started_at)} · {report.duration_s:.1f} s ·
{s.get("requests", 0)} requests{budget_note} · oaiconform {escape(report.tool["version"])}</div>
{error}{_verdicts(report)}<div class="cards">{cards}</div>{_bar(counts)}{_verdict(report)}
{_cleanup(report)}{_tool_errors(report)}{_problems(report)}{_areas(report)}{_stream_chart(report)}
<p class="muted">Replay this run with <code>--seed {report.seed}</code>. The canonical data is in
report.json.</p></body></html>
"""


def write_html(report: Report, directory: Path) -> Path:
    path = directory / "report.html"
    write_atomically(path, render_html(report))
    return path
