"""The ledger judges a finished exchange: the answer by the checks, the request by the client
rules, and an answer to a request that breaks the description only by what holds for any."""

from __future__ import annotations

import json
import time
from typing import Any

from oaiconform.proxy.ledger import Ledger
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


def _judged(spec: Spec, request: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    ledger = Ledger(spec)
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
    assert ledger.settle()
    (record,) = ledger.snapshot()
    ledger.shutdown()
    return (
        [f["check_id"] for f in record.failures],
        [f["where"] for f in record.client],
        record.set_aside,
    )


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
