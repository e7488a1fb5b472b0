"""How long the target took to answer: percentiles and a histogram for report.json.

The Target records each answered request's elapsed time (connect to the last byte of the
body; streamed requests are left out: their length is the generation's, and report.html charts
their time to first event from the test metrics instead).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

# Upper bucket edges in milliseconds, roughly logarithmic: a mock answers in a few ms, a
# model on a CPU in seconds. The last bucket holds everything slower.
BUCKET_EDGES_MS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 30000)


def _percentile(ordered: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of an ascending, non-empty sequence."""
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def latency_summary(latencies_s: Sequence[float]) -> dict[str, Any]:
    """{requests, latency_ms: {p50, p90, p99, max, histogram: [{le_ms, count}]}}; {} if none.

    `le_ms` is the bucket's upper edge (null: slower than the last edge).
    """
    if not latencies_s:
        return {}
    ordered = sorted(s * 1000 for s in latencies_s)
    counts = [0] * (len(BUCKET_EDGES_MS) + 1)
    for value in ordered:
        index = next((i for i, edge in enumerate(BUCKET_EDGES_MS) if value <= edge), -1)
        counts[index] += 1
    edges: list[int | None] = [*BUCKET_EDGES_MS, None]
    return {
        "requests": len(ordered),
        "latency_ms": {
            "p50": round(_percentile(ordered, 0.5), 2),
            "p90": round(_percentile(ordered, 0.9), 2),
            "p99": round(_percentile(ordered, 0.99), 2),
            "max": round(ordered[-1], 2),
            "histogram": [{"le_ms": e, "count": c} for e, c in zip(edges, counts, strict=True)],
        },
    }
