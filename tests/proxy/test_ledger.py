"""The ledger judges a finished exchange: the answer by the checks, the request by the client
rules, and an answer to a request that breaks the description only by what holds for any."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from typing import Any

import pytest

from oaiconform.proxy import ledger as ledger_module
from oaiconform.proxy.ledger import Ledger
from oaiconform.proxy.report import build_proxy_report
from oaiconform.spec import Spec

CHAT = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": int(time.time()),  # judged against when the answer came: now
    "model": "gpt-4o-mini",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "hi", "refusal": None},
            "finish_reason": "stop",
            "logprobs": None,
        }
    ],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
}


def _exchange(ledger: Ledger, request: dict[str, Any]) -> None:
    capture = ledger.open(
        "POST",
        "http://upstream/v1/chat/completions",
        "http://upstream/v1/chat/completions",
        (("content-type", "application/json"),),
        json.dumps(request).encode(),
    )
    capture.head(200, (("content-type", "application/json"), ("x-request-id", "req_1")))
    capture.chunk(json.dumps(CHAT).encode())
    capture.finish()
    ledger.close(capture)
    assert ledger.settle(timeout_s=60)


def _judged(spec: Spec, request: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    ledger = Ledger(spec)
    _exchange(ledger, request)
    (record,) = ledger.snapshot()
    ledger.shutdown()
    return (
        [f["check_id"] for f in record.failures],
        [f["where"] for f in record.client],
        record.set_aside,
    )


def test_a_killed_judging_worker_is_replaced(spec: Spec) -> None:
    # Killed (out of memory, by hand), the worker leaves a broken pool that refuses every
    # later batch: the exchanges it held are judge errors, the next batch gets a new worker.
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    ledger = Ledger(spec, judge_in="process")
    try:
        _exchange(ledger, body)
        assert ledger._worker is not None
        for pid in list(ledger._worker._processes):
            os.kill(pid, signal.SIGKILL)
        _exchange(ledger, body)
        _exchange(ledger, body)
        assert ledger.worker_restarts == 1
        assert len(ledger.judge_errors) == 1 and "BrokenProcessPool" in ledger.judge_errors[0]
        assert [r.number for r in ledger.snapshot()] == [1, 3]
    finally:
        ledger.shutdown()


def test_a_valid_request_and_its_answer(spec: Spec) -> None:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    assert _judged(spec, body) == ([], [], [])
    failures, _, _ = _judged(spec, {**body, "n": 2})  # one choice for two asked for
    assert "chat.chat_completion_fields" in failures


def test_an_answer_to_an_invalid_request_is_not_held_to_the_request(spec: Spec) -> None:
    body = {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "hi"}],
        "n": 3,
        "temperature": 5,
    }
    failures, client, set_aside = _judged(spec, body)
    assert client == ["request.temperature"]  # at most 2: the client's finding
    # A server that answered it anyway is not held to "3 choices" of a request it should
    # have refused (whether it should have is the suites' question, errors.*).
    assert "chat.chat_completion_fields" not in failures
    assert set_aside == ["chat.chat_completion_fields"]


def test_an_integral_float_count_is_a_count(spec: Spec) -> None:
    """JSON Schema's integer takes 2.0 and servers serve two choices for it."""
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "n": 2.0}
    failures, client, _ = _judged(spec, body)
    assert client == []
    assert "chat.chat_completion_fields" in failures  # one choice for two asked for


def test_a_full_backlog_forwards_and_lists_not_judged(
    spec: Spec, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = threading.Event()
    judged = ledger_module._judged

    def held(*args: Any) -> Any:  # the judge is busy until told
        gate.wait(10)
        return judged(*args)

    monkeypatch.setattr(ledger_module, "_judged", held)
    ledger = Ledger(spec, max_backlog_bytes=64)
    for _ in range(2):
        capture = ledger.open("GET", "http://u/v1/models", "http://u/v1/models", (), b"")
        capture.head(200, (("content-type", "application/json"),))
        capture.chunk(b'{"object": "list", "data": []}' * 4)  # 120 bytes: over the bound
        capture.finish()
        ledger.close(capture)  # never waits: the first is queued, the second is not
    gate.set()
    assert ledger.settle()
    ledger.shutdown()
    records = sorted(ledger.snapshot(), key=lambda r: r.number)
    assert ledger.backlog_skipped == 1
    assert [r.backlog_skipped for r in records] == [False, True]
    assert "backlog was full" in records[1].not_judged
    _, extra = build_proxy_report(ledger, "http://u/v1")
    assert [n["exchange"] for n in extra["proxy"]["not_judged"]] == ["proxy::00002 GET /v1/models"]
    assert extra["proxy"]["unmatched"] == [] and extra["proxy"]["backlog_skipped"] == 1
