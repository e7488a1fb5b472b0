"""report.html's feature grid: one row per area, one cell per feature coloured by its status
(as caniuse shows browsers); a cell opens a panel with the feature's tests (the inline script
in html_style.SCRIPT)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from oaiconform.features import get_feature
from oaiconform.report.html_style import STATUS_COLORS, badge
from oaiconform.report.model import FeatureResult, Report, TestEntry

# An area with more features than this gets small unlabelled squares (schema.*: ~300).
_LABELLED_CELLS = 40


def by_area(report: Report) -> dict[str, list[tuple[str, FeatureResult]]]:
    areas: dict[str, list[tuple[str, FeatureResult]]] = {}
    for feature_id, result in report.features.items():
        areas.setdefault(get_feature(feature_id).area, []).append((feature_id, result))
    return {area: sorted(areas[area]) for area in sorted(areas)}


def status_counts(results: Sequence[FeatureResult]) -> dict[str, int]:
    counts = dict.fromkeys(STATUS_COLORS, 0)
    for result in results:
        counts[result.status] += 1
    return counts


def _test_rows(tests: Sequence[TestEntry]) -> str:
    rows = "".join(
        f"<tr><td><code>{escape(t.id.rpartition('::')[2] or t.id)}</code></td>"
        f"<td>{badge(t.outcome)}</td><td class='time'>{t.duration_s:.2f} s</td>"
        f"<td>{escape(t.message[:300])}</td></tr>"
        for t in tests
    )
    return (
        "<table><thead><tr><th>test</th><th>outcome</th><th>time</th><th>message</th></tr>"
        f"</thead><tbody>{rows}</tbody></table>"
    )


def _panel(panel_id: str, feature_id: str, result: FeatureResult, tests: list[TestEntry]) -> str:
    feature = get_feature(feature_id)
    requirement = "required" if result.required else "optional"
    verdicts = " · ".join(
        f"{escape(v)}: {escape(s.replace('_', ' '))}" for v, s in result.statuses.items()
    )
    reason = f"<p class='muted'>{escape(result.reason)}</p>" if result.reason else ""
    flaky = "".join(
        f"<li><code>{escape(note.test.rpartition('::')[2])}</code>: {escape(note.message)}"
        f"<pre>{escape(note.repro)}</pre></li>"
        for note in result.flaky
    )
    if flaky:
        flaky = (
            f"<details><summary>{len(result.flaky)} flaky test(s): failed, then passed on "
            f"a rerun</summary><ul>{flaky}</ul></details>"
        )
    failing = (
        f"<p>{len(result.failures)} failing test(s), see Problems</p>" if result.failures else ""
    )
    body = _test_rows(tests) if tests else "<p class='muted'>no test ran for this feature</p>"
    return (
        f'<div class="panel" id="{panel_id}" hidden><b><code>{escape(feature_id)}</code></b> '
        f"{badge(result.status)} <span class='muted'>{escape(result.label)} · {requirement} · "
        f"{result.level}{' · ' + verdicts if verdicts else ''}</span>"
        f"<p>{escape(feature.description)}</p>{reason}{failing}{flaky}{body}</div>"
    )


def feature_grid(report: Report) -> str:
    """Every feature as a coloured cell, by area; each cell opens its tests."""
    tests_of: dict[str, list[TestEntry]] = {}
    for test in report.tests:
        tests_of.setdefault(test.feature, []).append(test)
    rows, number = [], 0
    for area, items in by_area(report).items():
        tiny = len(items) > _LABELLED_CELLS
        cells, panels = [], []
        for feature_id, result in items:
            number += 1
            panel_id = f"feature-{number}"
            name = feature_id.removeprefix(f"{area}.") if feature_id != area else feature_id
            title = f"{feature_id}: {result.label}"
            cells.append(
                f'<button type="button" class="cell{" tiny" if tiny else ""}" '
                f'data-status="{result.status}" data-feature="{escape(feature_id)}" '
                f'data-panel="{panel_id}" aria-expanded="false" title="{escape(title)}" '
                f'style="background:{STATUS_COLORS[result.status]}">'
                f"{'' if tiny else escape(name)}</button>"
            )
            panels.append(_panel(panel_id, feature_id, result, tests_of.get(feature_id, [])))
        counts = status_counts([r for _, r in items])
        rows.append(
            f'<div class="grid-area"><div class="area"><b title="{counts["passed"]}/{len(items)} '
            f'passed">{escape(area)}</b><div class="cells">{"".join(cells)}</div></div>'
            f"{''.join(panels)}</div>"
        )
    return (
        '<div id="feature-grid">'
        + "".join(rows)
        + "</div><noscript><p class='muted'>Opening a cell needs JavaScript; report.json holds "
        "every test.</p></noscript>"
    )
