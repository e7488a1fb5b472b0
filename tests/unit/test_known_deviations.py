"""The known-deviations data file, and matching real check failures to its entries."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from oaiconform.checks._failure import Failure
from oaiconform.checks._registry import load_all_checks
from oaiconform.checks.chat import chat_completion_fields
from oaiconform.checks.embeddings import embedding_list
from oaiconform.checks.errors import error_envelope
from oaiconform.checks.models import model_object_fields
from oaiconform.checks.stream_usage import chat_stream_usage
from oaiconform.checks.streaming import chat_chunks, choice_identity
from oaiconform.checks.tools import tool_calls_well_formed
from oaiconform.known_deviations import (
    KnownDeviation,
    load_known_deviations,
    match_known_deviation,
    normalize_where,
    parse_known_deviations,
)
from oaiconform.spec import Spec
from tests.unit.test_checks import exchange
from tests.unit.test_streaming_checks import NOW, WEATHER, chat_payloads, frame, stream_of

ENTRIES = load_known_deviations()


def matched(failures: list[Failure], check_id: str, needle: str, server: str | None = None) -> str:
    """The id of the entry matching the one failure whose message contains `needle`."""
    message = next(f.message for f in failures if needle in f.message)
    deviation = match_known_deviation(check_id, "body", message, server=server)
    assert deviation is not None, message
    return deviation.id


def test_the_packaged_file_has_enough_entries_with_unique_ids() -> None:
    assert len(ENTRIES) >= 45
    ids = [entry.id for entry in ENTRIES]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9.-]*", entry_id) for entry_id in ids)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_each_entry_is_well_formed(entry: KnownDeviation) -> None:
    registered = set(load_all_checks())
    assert entry.check in registered, entry.check
    assert re.fullmatch(r"[\w.-]+/[\w.-]+#\d+", entry.reference)
    assert entry.url.startswith("https://github.com/") and "/issues/" in entry.url
    assert entry.servers and entry.description and "\n" not in entry.description
    if entry.message is not None:
        re.compile(entry.message, re.IGNORECASE)
    assert entry.where is not None or entry.message is not None, "say where or what it looks like"


def test_no_entry_is_shadowed_for_its_own_servers() -> None:
    """Entries with one pattern must name other servers, or the later one could never match."""
    servers_by_pattern: dict[tuple[str, str | None, str | None], set[str]] = {}
    for entry in ENTRIES:
        seen = servers_by_pattern.setdefault((entry.check, entry.where, entry.message), set())
        assert not seen & set(entry.servers), f"{entry.id} repeats an earlier entry"
        seen |= set(entry.servers)


def test_normalize_where_drops_indices() -> None:
    assert normalize_where("choices[0].message.refusal") == "choices[].message.refusal"
    assert normalize_where("events[12].choices[3].delta.tool_calls[0].index") == (
        "events[].choices[].delta.tool_calls[].index"
    )
    assert normalize_where("header:x-request-id") == "header:x-request-id"


def test_a_bad_entry_is_named() -> None:
    good = {
        "id": "x",
        "check": "errors.error_envelope",
        "message": "flat",
        "description": "d",
        "reference": "a/b#1",
        "servers": ["s"],
    }
    assert parse_known_deviations(json.dumps([good]))[0].servers == ("s",)
    cases: list[tuple[dict[str, Any], str]] = [
        ({**good, "reference": "a/b"}, "reference must be owner/repo#N"),
        ({**good, "message": "("}, "not a regex"),
        ({**good, "servers": "s"}, "servers must be a list"),
        ({**good, "colour": "red"}, "unknown fields"),
        ({k: v for k, v in good.items() if k != "check"}, "missing ['check']"),
    ]
    for bad, reason in cases:
        with pytest.raises(ValueError, match=re.escape(reason)) as caught:
            parse_known_deviations(json.dumps([good | {"id": "ok"}, bad]))
        assert "#2 ('x')" in str(caught.value)
    with pytest.raises(ValueError, match="used twice"):
        parse_known_deviations(json.dumps([good, good]))


def test_stream_failures_match_their_deviations(spec: Spec) -> None:
    every_chunk = [
        {**p, "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}}
        for p in chat_payloads()
    ]
    body = {"stream": True, "stream_options": {"include_usage": True}}
    usage = chat_stream_usage(stream_of([frame(every_chunk)], body))
    assert matched(usage, "stream_usage.chat_stream_usage", "only one chunk may") == (
        "vllm-stream-usage-every-chunk"
    )

    empty_reason = chat_payloads()
    for payload in empty_reason[:-1]:
        payload["choices"][0]["finish_reason"] = ""
    failures = chat_chunks(spec, stream_of([frame(empty_reason)]))
    needle = "finish_reason ''"
    assert matched(failures, "streaming.choice_sequence", needle) == (
        "ollama-stream-finish-reason-empty"
    )
    assert matched(failures, "streaming.choice_sequence", needle, server="sglang") == (
        "sglang-stream-finish-reason-empty"
    )

    tool_object = chat_payloads()
    tool_object[1]["choices"][0]["delta"] = {"tool_calls": {"index": 0, "id": "", "type": "x"}}
    failures = chat_chunks(spec, stream_of([frame(tool_object)]))
    assert matched(failures, "streaming.chat_chunks", "tool_calls") == (
        "tgi-stream-tool-calls-object"
    )

    azure_first = {"id": "", "object": "", "created": 0, "model": "", "choices": []}
    chunks = [(1, azure_first), *((n + 2, p) for n, p in enumerate(chat_payloads()))]
    failures = choice_identity("POST /v1/chat/completions", chunks, "chat.completion.chunk")
    assert matched(failures, "streaming.choice_identity", "`object`") == (
        "azure-stream-prompt-filter-chunk"
    )
    fresh_ids = [(n, {**p, "id": f"chatcmpl-{n}"}) for n, p in enumerate(chat_payloads(), 1)]
    failures = choice_identity("POST /v1/chat/completions", fresh_ids, "chat.completion.chunk")
    assert matched(failures, "streaming.choice_identity", "`id`") == (
        "litellm-stream-chunk-id-changes"
    )


def test_body_failures_match_their_deviations() -> None:
    flat = {"object": "error", "message": "bad", "type": "BadRequestError", "code": 400}
    failures = error_envelope(exchange(400, flat))
    assert matched(failures, "errors.error_envelope", "flat") == "vllm-error-flat-envelope"

    failures = error_envelope(exchange(404, {"error": 'path "/v1/embeddings" not found'}))
    assert matched(failures, "errors.error_envelope", "string") == "ollama-error-string"
    assert matched(failures, "errors.error_envelope", "string", server="tgi") == (
        "tgi-error-not-openai-shaped"
    )

    call = {"id": "call_1", "type": "function", "function": {"name": "get_weather"}}
    call["function"] = {"name": "get_weather", "arguments": {"city": "Paris"}}
    body = {"choices": [{"index": 0, "message": {"tool_calls": [call]}}]}
    failures = tool_calls_well_formed(body, [WEATHER])
    assert matched(failures, "tools.tool_calls_well_formed", "arguments") == (
        "tgi-tool-arguments-object"
    )

    failures = model_object_fields({"id": "m", "object": "model", "owned_by": "me"})
    assert matched(failures, "models.model_object_fields", "created") == (
        "lmstudio-models-created-missing"
    )

    floats = {"object": "list", "data": [{"object": "embedding", "index": 0, "embedding": [0.1]}]}
    failures = embedding_list(floats, inputs=1, encoding="base64")
    assert matched(failures, "embeddings.embedding_list", "base64") == (
        "llama-cpp-embeddings-base64-ignored"
    )

    plural = {
        "id": "c",
        "object": "chat.completions",
        "created": NOW,
        "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant"}, "finish_reason": "stop"}],
    }
    failures = chat_completion_fields(plural)
    assert matched(failures, "chat.chat_completion_fields", "object") == "mlx-object-plural"


def test_where_and_check_must_agree() -> None:
    absent = "schema.required_nullable_absent"
    found = match_known_deviation(absent, "choices[0].message.refusal", "is absent")
    assert found is not None and found.id == "llama-cpp-message-refusal-absent"
    assert match_known_deviation(absent, "choices[0].message.content", "is absent") is None
    nested = KnownDeviation("n", "c.x", "d", "a/b#1", ("s",), where="events[].choices[].delta*")
    assert nested.matches("c.x", "events[3].choices[0].delta.tool_calls[1].index", "")
    assert not nested.matches("c.x", "events[3].choices.delta", "")
    flat = 'expected {"error": {message, type, param, code}}, found a flat envelope'
    assert match_known_deviation("errors.error_envelope", "body", flat) is not None
    assert match_known_deviation("errors.bad_request", "body", flat) is None
    header = match_known_deviation(
        "headers.request_id_present",
        "header:x-request-id",
        "the response has no x-request-id header",
    )
    assert header is not None and header.url == "https://github.com/vllm-project/vllm/issues/9593"
    elsewhere = match_known_deviation(
        "headers.request_id_present", "body", "no x-request-id header"
    )
    assert elsewhere is not None and elsewhere.id == "llama-cpp-python-no-request-id-header"
