"""report.json's `timings` and a failed test's exchange record: what report.html charts."""

from __future__ import annotations

from oaiconform.exchange import Exchange, RecordedRequest, exchange_record
from oaiconform.report.html_charts import latency_chart
from oaiconform.report.timings import BUCKET_EDGES_MS, latency_summary
from oaiconform.target import RequestBudget


def test_latency_summary_has_nearest_rank_percentiles_and_every_request_in_a_bucket() -> None:
    latencies_s = [i / 1000 for i in range(1, 101)]  # 1 ms .. 100 ms
    summary = latency_summary([*latencies_s, 45.0])  # and one slower than the last edge
    latency = summary["latency_ms"]
    assert summary["requests"] == 101
    assert (latency["p50"], latency["p90"], latency["p99"], latency["max"]) == (
        51.0,
        91.0,
        100.0,
        45000.0,
    )
    histogram = latency["histogram"]
    assert [b["le_ms"] for b in histogram] == [*BUCKET_EDGES_MS, None]
    assert sum(b["count"] for b in histogram) == 101
    by_edge = {b["le_ms"]: b["count"] for b in histogram}
    assert (by_edge[1], by_edge[2], by_edge[5], by_edge[100], by_edge[None]) == (1, 1, 3, 50, 1)


def test_no_answered_request_is_no_timings_and_no_chart() -> None:
    assert latency_summary([]) == {}
    assert latency_chart({}) == ""


def test_a_workers_latencies_are_added_to_the_runs_budget() -> None:
    budget = RequestBudget(None)
    budget.latencies_s.append(0.1)
    budget.absorb(used=2, exhausted=False, rate_limited_retries=0, latencies_s=[0.2, 0.3])
    budget.absorb(used=1, exhausted=False, rate_limited_retries=0)  # an older worker's handoff
    assert budget.latencies_s == [0.1, 0.2, 0.3] and budget.used == 3


def test_exchange_record_masks_credential_headers_and_cuts_long_bodies() -> None:
    exchange = Exchange(
        RecordedRequest(
            "POST",
            "http://127.0.0.1:1/v1/chat/completions",
            (("Authorization", "Bearer not-key-shaped-secret"), ("api-key", "another")),
            b"{}",
        ),
        400,
        (("content-type", "application/json"),),
        b"x" * 50,
        elapsed_s=0.0123,
    )
    record = exchange_record(exchange, body_chars=10)
    assert "not-key-shaped-secret" not in str(record) and "another" not in str(record)
    assert record["request_headers"] == "Authorization: ***\napi-key: ***"
    assert record["response_body"] == "x" * 10 + "\n... (50 bytes in all)"
    assert (record["status"], record["elapsed_ms"]) == ("400", "12.3")
