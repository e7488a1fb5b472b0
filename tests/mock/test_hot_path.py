"""The shortcuts on the mock's per-request path answer exactly what the plain code answered.

benchmarks/bench_mock.py holds the mock to a share of its server stack's capacity; these
shortcuts (a shared JSON encoder and decoder, word draws without Random.choice, one pass over
the headers, precomputed standard headers) must not change a byte of what a client sees.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse

from oaiconform.mock import MockConfig, MockServer
from oaiconform.mock.errors import APIError
from oaiconform.mock.handlers._chat_choices import ToolPlan, generate_choice, plan_tools
from oaiconform.mock.handlers._common import _body_headers, _loads, integral_or_float, json_bytes
from oaiconform.mock.handlers.chat import _completion, _completion_bytes, _event
from oaiconform.mock.state import MockState
from oaiconform.mock.text import _WORDS, generate_tokens, rng_for
from oaiconform.spec import Spec

KEY = "sk-oaiconform-hot-path-0123456789"
MESSAGES = [{"role": "user", "content": "Hi."}]


def _tokens_with_choice(rng: random.Random, count: int) -> list[str]:
    """generate_tokens as it was written with Random.choice."""
    words = [rng.choice(_WORDS) for _ in range(max(count - 1, 0))]
    tokens = [w if i == 0 else f" {w}" for i, w in enumerate(words)]
    if tokens:
        tokens[0] = tokens[0].capitalize()
    if count > 0:
        tokens.append(".")
    return tokens


def test_word_draws_are_those_of_random_choice() -> None:
    for seed in range(500):
        count = seed % 30
        fast = generate_tokens(random.Random(seed), count)
        assert fast == _tokens_with_choice(random.Random(seed), count), seed


def test_seeds_are_the_canonical_json_digest() -> None:
    parts = (0, 1, "gpt-4o-mini", [{"role": "user", "content": "é"}], 0, None, {"b": 1, "a": 2})
    canonical = json.dumps(parts, sort_keys=True, default=str).encode()
    seed = int.from_bytes(hashlib.blake2b(canonical, digest_size=8).digest(), "big")
    assert rng_for(*parts).getstate() == random.Random(seed).getstate()


@pytest.mark.parametrize(
    "content",
    [
        {"text": "é ü \u2028 😀", "n": [1, 2.5, -0.0, 1e300, None, True, False]},
        ["a", {"nested": {"k": "v"}}],
        "plain",
    ],
)
def test_json_bytes_are_starlettes(content: Any) -> None:
    assert json_bytes(content) == JSONResponse(content).body


def test_json_bytes_refuse_nan_like_starlette() -> None:
    with pytest.raises(ValueError, match="JSON compliant"):
        JSONResponse({"x": float("nan")})
    with pytest.raises(ValueError, match="JSON compliant"):
        json_bytes({"x": float("nan")})


WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"n": 3, "max_tokens": 4},
        {"logprobs": True, "top_logprobs": 2},
        {"tools": [WEATHER], "tool_choice": "required"},
        {"response_format": {"type": "json_object"}},
        {"model": "ünïcode-mödel", "stop": ["the"]},
    ],
)
def test_completion_bytes_are_the_encoded_completion(spec: Spec, extra: dict[str, Any]) -> None:
    state = MockState(MockConfig(api_keys=(KEY,)), spec)
    messages = [{"role": "user", "content": "Answer in json: é?"}]
    body: dict[str, Any] = {"model": "gpt-4o-mini", "messages": messages, **extra}
    plan = plan_tools(body)
    choices = [generate_choice(state, body, plan, i) for i in range(int(body.get("n", 1)))]
    encoded = _completion_bytes("chatcmpl-1", 1700000000, body, choices)
    assert encoded == json_bytes(_completion("chatcmpl-1", 1700000000, body, choices))


@pytest.mark.parametrize(
    "payload",
    [{"id": "x", "choices": [{"delta": {"content": " é😀"}, "logprobs": None}]}, {"usage": None}],
)
def test_stream_events_are_compact_ascii_json(payload: dict[str, Any]) -> None:
    assert _event(payload) == b"data: " + json.dumps(payload, separators=(",", ":")).encode() + (
        b"\n\n"
    )


@pytest.mark.parametrize(
    "raw",
    [
        b'{"n": 1.0, "x": 2.5, "s": "\xc3\xa9"}',
        '{"n": 1.0}'.encode("utf-8-sig"),
        '{"n": 1.0}'.encode("utf-16"),
        '{"n": 1.0}'.encode("utf-16-le"),
        '{"n": 1.0}'.encode("utf-32-be"),
        b'  {"a": [1, 2]}',
        b"[1, 2.0]",
    ],
)
def test_decoding_is_json_loads(raw: bytes) -> None:
    assert _loads(bytearray(raw)) == json.loads(raw, parse_float=integral_or_float)


@pytest.mark.parametrize("raw", [b'{"a": ', b"{\xff}", b"{}}"])
def test_undecodable_bodies_fail_as_json_loads_fails(raw: bytes) -> None:
    with pytest.raises(ValueError) as plain:  # noqa: PT011 - JSONDecodeError or UnicodeError
        json.loads(raw)
    with pytest.raises(type(plain.value)):
        _loads(bytearray(raw))


@pytest.mark.parametrize(
    "headers",
    [
        [(b"content-type", b"application/json"), (b"content-length", b"12")],
        [(b"content-length", b"1"), (b"content-length", b"2"), (b"content-type", b"a/b")],
        [(b"host", b"x")],
    ],
)
def test_body_headers_are_what_request_headers_find(headers: list[tuple[bytes, bytes]]) -> None:
    request = Request({"type": "http", "method": "POST", "path": "/", "headers": headers})
    expected = (
        request.headers.get("content-length"),
        request.headers.get("content-type", ""),
    )
    assert _body_headers(request) == expected


def test_no_tools_plans_no_calls_and_a_lone_tool_choice_is_still_refused() -> None:
    assert plan_tools({"model": "m", "messages": MESSAGES}) == ToolPlan((), False)
    assert plan_tools({"messages": MESSAGES, "tools": [], "tool_choice": "none"}) == ToolPlan(
        (), False
    )
    with pytest.raises(APIError) as refused:
        plan_tools({"messages": MESSAGES, "tool_choice": "required"})
    assert refused.value.param == "tool_choice"


@pytest.fixture(scope="module")
def client(spec: Spec) -> Iterator[httpx.Client]:
    with (
        MockServer(MockConfig(api_keys=(KEY,)), spec) as server,
        httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {KEY}"}) as c,
    ):
        yield c


STANDARD = (
    "x-request-id",
    "openai-processing-ms",
    "openai-version",
    "x-ratelimit-limit-requests",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-reset-requests",
    "x-ratelimit-limit-tokens",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset-tokens",
)


def test_standard_headers_once_each_with_unique_request_ids(client: httpx.Client) -> None:
    seen = set()
    for _ in range(50):
        answer = client.post(
            "/chat/completions", json={"model": "gpt-4o-mini", "messages": MESSAGES}
        )
        assert answer.status_code == 200
        for name in STANDARD:
            assert len(answer.headers.get_list(name)) == 1, name
        request_id = answer.headers["x-request-id"]
        assert re.fullmatch(r"req_[0-9a-f]{32}", request_id)
        seen.add(request_id)
        assert int(answer.headers["openai-processing-ms"]) >= 0
    assert len(seen) == 50


def test_a_simulated_429_keeps_its_own_rate_limit_headers(client: httpx.Client) -> None:
    answer = client.get("/models", headers={"x-oaiconform-simulate": "rate_limit"})
    assert answer.status_code == 429
    assert answer.headers.get_list("x-ratelimit-remaining-requests") == ["0"]
    assert answer.headers.get_list("x-ratelimit-reset-requests") == ["1s"]
    for name in STANDARD:
        assert len(answer.headers.get_list(name)) == 1, name
