"""report.html's charts, drawn as inline SVG (no script, no external asset).

Results per area (stacked bars), the request latency distribution (report.timings) and the
streaming timings the stream tests record (TestEntry.metrics: time to first event, gaps).
Every label is escaped: feature and test names come from the run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from oaiconform.report.html_style import STATUS_COLORS
from oaiconform.report.model import TestEntry
from oaiconform.report.timings import BUCKET_EDGES_MS

_SVG = 'xmlns="http://www.w3.org/2000/svg" role="img"'


def _ms(value: float) -> str:
    return f"{value / 1000:.3g} s" if value >= 1000 else f"{value:.3g} ms"


def area_bars(counts_by_area: Mapping[str, Mapping[str, int]]) -> str:
    """One stacked horizontal bar per area: how many of its features ended in each status."""
    if not counts_by_area:
        return ""
    row, label, width = 22, 130, 460
    widest = max(sum(c.values()) for c in counts_by_area.values()) or 1
    parts = []
    for index, (area, counts) in enumerate(counts_by_area.items()):
        y = index * row
        x = float(label)
        parts.append(f'<text x="0" y="{y + 15}" font-size="12">{escape(area)}</text>')
        for status, count in counts.items():
            if not count:
                continue
            w = width * count / widest
            parts.append(
                f'<rect class="seg" data-status="{status}" x="{x:.1f}" y="{y + 3}" '
                f'width="{w:.1f}" height="15" fill="{STATUS_COLORS[status]}">'
                f"<title>{escape(area)}: {count} {status.replace('_', ' ')}</title></rect>"
            )
            x += w
        total = sum(counts.values())
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 15}" font-size="11">{total}</text>')
    legend = _legend([s for s in STATUS_COLORS if any(c.get(s) for c in counts_by_area.values())])
    height = len(counts_by_area) * row
    return (
        f'<svg id="chart-areas" {_SVG} aria-label="results per area" width="{label + width + 40}"'
        f' height="{height}">{"".join(parts)}</svg>{legend}'
    )


def _legend(statuses: Sequence[str]) -> str:
    return (
        '<div class="legend">'
        + "".join(
            f'<span><i style="background:{STATUS_COLORS[s]}"></i>{s.replace("_", " ")}</span>'
            for s in statuses
        )
        + "</div>"
    )


def histogram(
    chart_id: str, title: str, buckets: Sequence[tuple[str, int]], color: str, note: str
) -> str:
    """Vertical bars, one per bucket (label, count), counts written above them."""
    if not any(count for _, count in buckets):
        return ""
    bar, gap, height, base = 46, 6, 110, 130
    tallest = max(count for _, count in buckets)
    parts = []
    for index, (name, count) in enumerate(buckets):
        x = index * (bar + gap)
        h = height * count / tallest
        parts.append(
            f'<rect class="hist" x="{x}" y="{base - h:.1f}" width="{bar}" height="{h:.1f}" '
            f'fill="{color}"><title>{escape(name)}: {count}</title></rect>'
            f'<text x="{x + bar / 2}" y="{base + 13}" font-size="10" text-anchor="middle">'
            f"{escape(name)}</text>"
        )
        if count:
            parts.append(
                f'<text x="{x + bar / 2}" y="{base - h - 3:.1f}" font-size="10" '
                f'text-anchor="middle">{count}</text>'
            )
    width = len(buckets) * (bar + gap)
    return (
        f'<figure><figcaption><b>{escape(title)}</b> <span class="muted">{escape(note)}'
        f'</span></figcaption><svg id="{chart_id}" {_SVG} aria-label="{escape(title)}" '
        f'width="{width}" height="{base + 18}">{"".join(parts)}</svg></figure>'
    )


def _bucket_label(upper: float | None, lower: float | None) -> str:
    if upper is None:
        return f">{_ms(lower or 0)}"
    return f"≤{_ms(upper)}"


def _trimmed(buckets: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Drop the empty buckets at both ends: the chart shows the range the run covered."""
    filled = [i for i, (_, count) in enumerate(buckets) if count]
    return buckets[filled[0] : filled[-1] + 1] if filled else []


def latency_chart(timings: Mapping[str, Any]) -> str:
    """The distribution of request latencies recorded in report.timings."""
    latency = timings.get("latency_ms") if isinstance(timings, Mapping) else None
    if not isinstance(latency, Mapping):
        return ""
    rows = latency.get("histogram") or []
    buckets: list[tuple[str, int]] = []
    lower: float | None = None
    for row in rows:
        upper = row.get("le_ms") if isinstance(row, Mapping) else None
        count = int(row.get("count") or 0) if isinstance(row, Mapping) else 0
        buckets.append((_bucket_label(upper, lower), count))
        lower = upper if upper is not None else lower
    note = (
        f"{timings.get('requests', 0)} requests (streamed ones apart): p50 "
        f"{_ms(latency.get('p50', 0))}, p90 {_ms(latency.get('p90', 0))}, p99 "
        f"{_ms(latency.get('p99', 0))}, max {_ms(latency.get('max', 0))}"
    )
    return histogram("chart-latency", "Request latency", _trimmed(buckets), "#0969da", note)


def _bucketed(values_ms: Sequence[float]) -> list[tuple[str, int]]:
    edges: list[float | None] = [*BUCKET_EDGES_MS, None]
    counts = [0] * len(edges)
    for value in values_ms:
        index = next((i for i, e in enumerate(edges) if e is None or value <= e), len(edges) - 1)
        counts[index] += 1
    labels = [_bucket_label(e, edges[i - 1] if i else None) for i, e in enumerate(edges)]
    return _trimmed(list(zip(labels, counts, strict=True)))


def stream_charts(tests: Sequence[TestEntry]) -> str:
    """Time to first event and gaps between events, over the streaming tests of the run."""
    measured = [t for t in tests if t.metrics and "first_event_s_max" in t.metrics]
    if not measured:
        return ""
    firsts = [t.metrics["first_event_s_mean"] * 1000 for t in measured if t.metrics]
    gaps = [
        t.metrics["gap_s_max"] * 1000 for t in measured if t.metrics and "gap_s_max" in t.metrics
    ]
    streams = sum(int(t.metrics.get("streams", 0)) for t in measured if t.metrics)
    charts = histogram(
        "chart-first-event",
        "Streaming: time to first event",
        _bucketed(firsts),
        "#1b7c83",
        f"mean per test, {len(firsts)} tests, {streams} streams",
    ) + histogram(
        "chart-gaps",
        "Streaming: longest gap between events",
        _bucketed(gaps),
        "#bf8700",
        f"per test, {len(gaps)} tests",
    )
    return charts + _per_test(measured)


def _per_test(measured: Sequence[TestEntry]) -> str:
    """Time to first event and the longest gap of each streaming test, folded away."""
    rows = [
        (t.id.split("::")[-1], t.metrics["first_event_s_max"], t.metrics.get("gap_s_max", 0.0))
        for t in measured[:60]
        if t.metrics
    ]
    scale = max(max(first, gap) for _, first, gap in rows) or 1.0
    height, width, label = 18, 360, 340
    bars = []
    for index, (name, first, gap) in enumerate(rows):
        y = index * height
        bars.append(
            f'<text x="0" y="{y + 13}" font-size="11">{escape(name[:52])}</text>'
            f'<rect x="{label}" y="{y + 2}" width="{width * first / scale:.1f}" height="7" '
            f'fill="#1b7c83"><title>first event {first * 1000:.1f} ms</title></rect>'
            f'<rect x="{label}" y="{y + 10}" width="{width * gap / scale:.1f}" height="6" '
            f'fill="#bf8700"><title>longest gap {gap * 1000:.1f} ms</title></rect>'
        )
    return (
        "<details style='flex-basis:100%'><summary>per streaming test</summary>"
        "<p class='muted'>teal: time to first event"
        f" (slowest stream); amber: longest gap (full width: {scale * 1000:.1f} ms)</p>"
        f'<svg {_SVG} aria-label="streaming timings per test" width="{label + width + 10}" '
        f'height="{len(rows) * height}">{"".join(bars)}</svg></details>'
    )
