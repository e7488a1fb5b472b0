"""report.html's failures: each problem (impact, title, check id, features, what the official
SDK did, whether a baseline knows it) with the redacted exchange behind it and its curl repro
to copy; the failures no problem stands for; the errors of the tool itself."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from itertools import count
from typing import Any

from oaiconform.report.html_style import IMPACT_COLORS, STATUS_COLORS, copyable, impact_badge
from oaiconform.report.model import Report, TestEntry
from oaiconform.report.problems import Problem, root_problems


def baseline_entry(problem: Problem) -> Mapping[str, Any] | None:
    """The baseline entry a problem is known by (report.baseline, when the run had one)."""
    entry = getattr(problem, "baseline", None)
    return entry if isinstance(entry, Mapping) and entry else None


def exchange_block(exchange: Mapping[str, str]) -> str:
    """The redacted request and response behind a failure, folded."""
    if not exchange:
        return ""
    request = "\n".join(
        part
        for part in (
            exchange.get("request", ""),
            exchange.get("request_headers", ""),
            "",
            exchange.get("request_body", ""),
        )
    ).strip()
    response = "\n".join(
        (
            f"HTTP {exchange.get('status', '')}",
            exchange.get("response_headers", ""),
            "",
            exchange.get("response_body", ""),
        )
    ).strip()
    return (
        f"<details class='exchange'><summary>exchange: {escape(exchange.get('request', ''))} "
        f"-> {escape(exchange.get('status', ''))} ({escape(exchange.get('elapsed_ms', '?'))} ms)"
        f"</summary><pre>{escape(request)}</pre><pre>{escape(response)}</pre></details>"
    )


def _sdk_line(sdk: Mapping[str, str]) -> str:
    version = escape(sdk.get("sdk_version", ""))
    call = escape(sdk.get("call", ""))
    if sdk.get("outcome") == "fine":
        return (
            f"<p class='muted'>Official SDK (openai {version}), <code>{call}</code>: parsed the "
            "answer without error and handed over what the server sent (the defect reaches "
            "the application as sent)</p>"
        )
    if sdk.get("outcome") in ("raised", "differs"):
        return (
            f"<p>Official SDK (openai {version}), <code>{call}</code>: "
            f"<b>{escape(sdk['outcome'])}</b> {escape(sdk.get('detail', ''))}</p>"
        )
    if sdk.get("detail"):
        return f"<p class='muted'>{escape(sdk['detail'])}</p>"
    return ""


class _Ids:
    """Unique element ids for the copy buttons of one page."""

    def __init__(self) -> None:
        self._next = count(1)

    def __call__(self, prefix: str) -> str:
        return f"{prefix}-{next(self._next)}"


def _problem(
    number: int, problem: Problem, report: Report, tests: Mapping[str, TestEntry], ids: _Ids
) -> str:
    known = problem.known_deviation
    known_line = (
        f'<p>Looks like <a href="{escape(known["url"])}">{escape(known["reference"])}</a>: '
        f"{escape(known['description'])}</p>"
        if known
        else ""
    )
    entry = baseline_entry(problem)
    marker = known_note = ""
    if entry is not None:
        reason = str(entry.get("reason") or "")
        marker = f' <span class="badge known" title="{escape(reason)}">known (baseline)</span>'
        upstream = str(entry.get("upstream") or entry.get("url") or "")
        url = str(entry.get("url") or "")
        link = (
            f' · <a href="{escape(url)}">{escape(upstream)}</a>'
            if url.startswith(("https://", "http://"))
            else (f" · {escape(upstream)}" if upstream else "")
        )
        known_note = (
            f"<p class='muted'>In the baseline: {escape(reason) or 'no reason given'}{link}</p>"
        )
    members = set(problem.tests)
    every = "".join(
        f'<div><span class="muted">{escape(t.id)}</span>'
        + "".join(
            f"<pre>{escape(f.get('message', ''))}</pre>"
            for f in t.failures
            if f.get("check_id", "") == problem.check
        )
        + "</div>"
        for t in report.tests
        if t.id in members
    )
    example = tests.get(problem.example.get("test", ""))
    repro = problem.example.get("repro", "")
    features = ", ".join(f"<code>{escape(f)}</code>" for f in problem.features[:30])
    if len(problem.features) > 30:
        features += f" and {len(problem.features) - 30} more"
    color = IMPACT_COLORS.get(problem.impact, "#57606a")
    return (
        f'<div class="fail problem" data-impact="{escape(problem.impact)}"'
        f' data-known="{"true" if entry else "false"}" style="border-color:{color}">'
        f"<b>{number}. {escape(problem.title)}</b> {impact_badge(problem.impact)}{marker} "
        f'<span class="muted"><code>{escape(problem.id)}</code></span>'
        f"<p>{len(problem.features)} feature(s), {len(problem.tests)} test(s), "
        f"{problem.failures} failure(s): {features}</p>"
        f"<pre>{escape(problem.detail)}</pre>"
        + _sdk_line(problem.sdk)
        + known_line
        + known_note
        + (exchange_block(example.exchange) if example else "")
        + (copyable(ids("repro"), repro, "copy curl") if repro else "")
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
        f"<li>{impact_badge(p.impact)} {escape(p.title)} <code>{escape(p.id)}</code>"
        f"<pre>{escape(p.detail)}</pre></li>"
        for p in followers
    )
    return (
        f"<details><summary>in the same tests, likely consequences ({len(followers)})"
        f"</summary><ul>{items}</ul></details>"
    )


def problems_section(report: Report) -> str:
    """New problems first, then the ones the baseline knows, then failures without a problem."""
    ids = _Ids()
    tests = {t.id: t for t in report.tests}
    roots = root_problems(report.problems)
    new = [p for p in roots if baseline_entry(p) is None]
    known = [p for p in roots if baseline_entry(p) is not None]
    html = ""
    if new:
        html += f"<h2>Problems ({len(new)}), worst first</h2>" + "".join(
            _problem(n, p, report, tests, ids) for n, p in enumerate(new, 1)
        )
    if known:
        html += (
            f"<h2>Known problems (baseline, {len(known)})</h2><p class='muted'>Listed in the "
            "baseline: they do not fail the run.</p>"
            + "".join(_problem(n, p, report, tests, ids) for n, p in enumerate(known, 1))
        )
    grouped = {t for p in report.problems for t in p.tests}
    loose = []  # failed tests no problem stands for (no typed failure): shown as they are
    for feature_id, result in sorted(report.features.items()):
        for failure in result.failures:
            if failure.test in grouped:
                continue
            test = tests.get(failure.test)
            loose.append(
                f'<div class="fail"><b><code>{escape(feature_id)}</code></b> · '
                f'<span class="muted">{escape(failure.test)}</span>'
                f"<pre>{escape(failure.message)}</pre>"
                + (exchange_block(test.exchange) if test else "")
                + (copyable(ids("repro"), failure.repro, "copy curl") if failure.repro else "")
                + "</div>"
            )
    if loose:
        html += f"<h2>Other failures ({len(loose)})</h2>" + "".join(loose)
    return html


def tool_errors(report: Report) -> str:
    """Errors of this tool come apart from the target's failures: they are bugs to report."""
    blocks = [
        f'<div class="fail" style="border-color:{STATUS_COLORS["error"]}"><b><code>'
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
