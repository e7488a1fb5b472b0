"""Recorded api.openai.com traffic, judged by every check that applies: none may fail.

The real API is right by definition, so a failure here is a false alarm of this tool: fix the
check, or correct the description with an overlay (spec/overlays/012 and 013), never
the recording. The corpus (tests/corpus/real_api/, sources in SOURCES.md) is recorded traffic
with its prose neutralized; `judge` is what the validating proxy will run on live traffic.
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from oaiconform.checks import Failure, impact_of, normalize_where
from oaiconform.checks._registry import Impact
from oaiconform.checks.traffic import judge, judge_exchange, operation_of, request_json
from oaiconform.exchange import Exchange, StreamExchange
from oaiconform.report.problems import VERDICT_FAILS_ON
from oaiconform.sdk_replay import replay_exchanges, sdk_version
from oaiconform.spec import Spec
from tests.corpus.real_api import CORPUS_DIR, Recorded, load_corpus, to_exchange

# Spec-literal failures the corpus may show, by (check id, location): the pin is right for
# today's API, and older answers differ in the letter only (the SDK reads what is absent as
# None). Nothing else spec-literal may appear.
ALLOWED_SPEC_LITERAL: dict[tuple[str, str], str] = {
    (
        "schema.late_required_absent",
        "usage.input_tokens_details.cache_write_tokens",
    ): "Responses answers before 2026-07 lack cache_write_tokens, which the pin requires",
    (
        "schema.late_required_absent",
        "events[].response.usage.input_tokens_details.cache_write_tokens",
    ): "the same member in the usage of response.completed events",
}

# What the corpus must cover, at least (the brief's categories; the test prints the counts).
MINIMUM_COVERAGE = {
    "all": 150,
    "chat.plain": 20,
    "chat.streamed": 20,
    "chat.tools": 20,
    "chat.structured_output": 5,
    "responses.plain": 20,
    "responses.streamed": 10,
    "responses.function_call": 10,
    "responses.reasoning": 10,
    "responses.background": 3,
    "embeddings": 3,
    "files": 10,
    "errors": 15,
}
_HEADERS_KEPT = ("content-type", "date", "openai-", "x-request-id", "x-ratelimit-", "retry-after")


@pytest.fixture(scope="module")
def corpus() -> list[Recorded]:
    return load_corpus()


def head_of(exchange: Exchange | StreamExchange) -> Exchange:
    return exchange.head if isinstance(exchange, StreamExchange) else exchange


def fails_compat(failure: Failure) -> bool:
    return impact_of(failure).value in VERDICT_FAILS_ON["compat"]


def allowance(failure: Failure) -> tuple[str, str]:
    return failure.check_id, normalize_where(failure.where)


def describe(recorded: Recorded, failure: Failure) -> str:
    return f"{recorded.key}: [{impact_of(failure).value}] {failure.check_id}: {failure.message}"


def test_no_recorded_answer_fails_the_compat_verdict(spec: Spec, corpus: list[Recorded]) -> None:
    """Every failure that would fail `compat` on a recorded answer is a false alarm."""
    alarms = [
        describe(recorded, failure)
        for recorded in corpus
        for failure in judge_exchange(spec, recorded.exchange)
        if fails_compat(failure)
    ]
    assert not alarms, f"{len(alarms)} false alarms:\n" + "\n".join(alarms[:40])


def test_spec_literal_failures_are_only_the_allowed_ones(
    spec: Spec, corpus: list[Recorded]
) -> None:
    seen: Counter[tuple[str, str]] = Counter()
    unexpected = []
    for recorded in corpus:
        for failure in judge_exchange(spec, recorded.exchange):
            if impact_of(failure) is not Impact.SPEC_LITERAL:
                continue
            if allowance(failure) in ALLOWED_SPEC_LITERAL:
                seen[allowance(failure)] += 1
            else:
                unexpected.append(describe(recorded, failure))
    print("allowed spec-literal failures:", dict(seen))
    assert not unexpected, "\n".join(unexpected[:40])
    assert set(seen) == set(ALLOWED_SPEC_LITERAL), "an allowance no answer needs: remove it"


def categories(spec: Spec, recorded: Recorded) -> set[str]:
    """The brief's categories an exchange belongs to (a streamed tool call is both)."""
    head = head_of(recorded.exchange)
    operation = operation_of(spec, head.request.method, head.request.url)
    name = operation.operation_id if operation else ""
    sent = request_json(head)
    answer = head.body.decode("utf-8", errors="replace")
    streamed = isinstance(recorded.exchange, StreamExchange)
    found = {"all"}
    if head.status >= 400:
        return found | {"errors"}
    if name == "createChatCompletion":
        format_type = (sent.get("response_format") or {}).get("type")
        found |= {"chat.streamed"} if streamed else set()
        found |= {"chat.tools"} if sent.get("tools") else set()
        structured = format_type in ("json_schema", "json_object")
        found |= {"chat.structured_output"} if structured else set()
        return found if len(found) > 1 else found | {"chat.plain"}
    if name in ("createResponse", "getResponse", "cancelResponse"):
        found |= {"responses.streamed" if streamed else "responses.plain"}
        found |= {"responses.function_call"} if '"type":"function_call"' in answer else set()
        found |= {"responses.reasoning"} if '"type":"reasoning"' in answer else set()
        background = sent.get("background") is True or head.request.method == "GET"
        return found | ({"responses.background"} if background else set())
    if name == "createEmbedding":
        return found | {"embeddings"}
    if "File" in name:
        return found | {"files"}
    return found | {"other"}


def test_the_corpus_covers_every_category(spec: Spec, corpus: list[Recorded]) -> None:
    counts: Counter[str] = Counter()
    for recorded in corpus:
        counts.update(categories(spec, recorded))
    print("recorded exchanges per category:", dict(sorted(counts.items())))
    short = {k: (counts[k], n) for k, n in MINIMUM_COVERAGE.items() if counts[k] < n}
    assert not short, f"categories below their minimum (found, minimum): {short}"


def test_each_exchange_is_judged_by_checks_of_its_body(spec: Spec, corpus: list[Recorded]) -> None:
    """No vacuous pass: beside the header checks, at least two checks read each answer."""
    applied: Counter[str] = Counter()
    thin = []
    for recorded in corpus:
        judgement = judge(spec, recorded.exchange)
        applied.update(judgement.applied)
        body_checks = [c for c in judgement.applied if not c.startswith("headers.")]
        if len(body_checks) < 2:
            thin.append(f"{recorded.key}: {judgement.applied}")
    print(f"checks applied: {sum(applied.values())} runs of {len(applied)} checks:", dict(applied))
    assert not thin, "\n".join(thin)


def _break_chat(raw: dict[str, Any]) -> None:
    raw["body"]["choices"][0]["message"]["role"] = "user"
    raw["body"]["usage"]["total_tokens"] += 7


def _break_chat_stream(raw: dict[str, Any]) -> None:
    raw["body_text"] = raw["body_text"].replace("data: [DONE]", "")


def _break_response(raw: dict[str, Any]) -> None:
    raw["body"]["status"] = "finished"


def _break_response_stream(raw: dict[str, Any]) -> None:
    numbered = r'"sequence_number":(\d+)'
    raw["body_text"] = re.sub(numbered, r'"sequence_number":"\1"', raw["body_text"])


def _break_error(raw: dict[str, Any]) -> None:
    del raw["body"]["error"]["message"]


def _break_embeddings(raw: dict[str, Any]) -> None:
    raw["body"]["data"] = raw["body"]["data"][:-1]


def _break_file(raw: dict[str, Any]) -> None:
    raw["body"]["bytes"] += 1


BREAKERS: dict[str, tuple[Callable[[Spec, Recorded], bool], Callable[[dict[str, Any]], None]]] = {
    "chat": (lambda s, r: categories(s, r) == {"all", "chat.plain"}, _break_chat),
    "chat-stream": (lambda s, r: "chat.streamed" in categories(s, r), _break_chat_stream),
    "response": (lambda s, r: "responses.plain" in categories(s, r), _break_response),
    "response-stream": (
        lambda s, r: "responses.streamed" in categories(s, r),
        _break_response_stream,
    ),
    "error": (lambda s, r: "errors" in categories(s, r), _break_error),
    "embeddings": (lambda s, r: "embeddings" in categories(s, r), _break_embeddings),
    "file": (lambda s, r: r.raw["method"] == "POST" and r.raw["path"] == "/v1/files", _break_file),
}


@pytest.mark.parametrize("kind", list(BREAKERS))
def test_a_deliberately_broken_copy_fails(spec: Spec, corpus: list[Recorded], kind: str) -> None:
    """The judge is not blind: three recorded answers of each kind, each broken, fail compat."""
    select, breaker = BREAKERS[kind]
    chosen = [r for r in corpus if select(spec, r)][:3]
    assert chosen, f"no recorded {kind} exchange"
    for recorded in chosen:
        raw = copy.deepcopy(recorded.raw)
        breaker(raw)
        assert raw != recorded.raw, f"{recorded.key}: the breaker changed nothing"
        failures = judge_exchange(spec, to_exchange(raw))
        assert any(fails_compat(f) for f in failures), f"{recorded.key} broken, yet passed"


def test_a_recorded_answer_is_judged_as_of_its_date(spec: Spec, corpus: list[Recorded]) -> None:
    """received_at comes from the recorded Date header: `created` is judged against it, so a
    recording passes today and chunks `created` a week before their Date fail."""
    dated = next(
        r
        for r in corpus
        if head_of(r.exchange).received_at is not None and "chat.streamed" in categories(spec, r)
    )
    assert not any(fails_compat(f) for f in judge_exchange(spec, dated.exchange))
    raw = copy.deepcopy(dated.raw)
    week_before = str(int(head_of(dated.exchange).received_at or 0) - 7 * 24 * 3600)
    raw["body_text"] = re.sub(r'"created":\d+', f'"created":{week_before}', raw["body_text"])
    failures = judge_exchange(spec, to_exchange(raw))
    assert any("created" in f.where and fails_compat(f) for f in failures)


def test_the_corpus_keeps_no_secrets_and_only_useful_headers(corpus: list[Recorded]) -> None:
    for recorded in corpus:
        names = {name for name, _ in recorded.raw["headers"]}
        assert all(name.startswith(_HEADERS_KEPT) for name in names), (recorded.key, names)
        assert "openai-organization" not in names and "openai-project" not in names
    text = "".join(p.read_text(encoding="utf-8") for p in CORPUS_DIR.glob("*.json"))
    for secret_shape in ('"sk-', "Bearer ", "set-cookie", "proj_"):
        assert secret_shape not in text, secret_shape


@pytest.mark.parametrize(
    ("method", "url", "operation_id"),
    [
        ("POST", "https://api.openai.com/v1/chat/completions", "createChatCompletion"),
        ("GET", "https://api.openai.com/v1/responses/resp_1?stream=true", "getResponse"),
        ("POST", "https://api.openai.com/v1/responses/compact", "Compactconversation"),
        ("POST", "https://api.openai.com/v1/responses/resp_1/cancel", "cancelResponse"),
        ("DELETE", "https://api.openai.com/v1/files/file-1", "deleteFile"),
        ("GET", "https://api.openai.com/v1/nothing/here", None),
    ],
)
def test_a_concrete_request_finds_its_operation(
    spec: Spec, method: str, url: str, operation_id: str | None
) -> None:
    """The most literal template wins (`/responses/compact` over `/responses/{id}`)."""
    operation = operation_of(spec, method, url)
    assert (operation.operation_id if operation else None) == operation_id


def test_a_file_upload_is_judged_against_what_was_uploaded(
    spec: Spec, corpus: list[Recorded]
) -> None:
    upload = next(r for r in corpus if r.raw["method"] == "POST" and r.raw["path"] == "/v1/files")
    judgement = judge(spec, upload.exchange)
    assert "files.file_object_fields" in judgement.applied
    head = head_of(upload.exchange)
    renamed = json.loads(head.body)
    renamed["filename"] = "other.txt"
    failures = judge_exchange(spec, replace(head, body=json.dumps(renamed).encode()))
    assert any(f.check_id == "files.file_object_fields" for f in failures)


@pytest.mark.filterwarnings("ignore::UserWarning")  # pydantic's serializer on SDK models
def test_the_official_sdk_takes_every_recorded_answer(corpus: list[Recorded]) -> None:
    """The SDK replay (what a report says the SDK did with an answer) raises or differs on no
    recorded answer: otherwise a report would blame a target for what the API itself sends."""
    if sdk_version() is None:
        pytest.skip("the official openai SDK is not installed")
    outcomes: Counter[str] = Counter()
    wrong = []
    for recorded in corpus:
        exchange = recorded.exchange
        streams = [exchange] if isinstance(exchange, StreamExchange) else []
        for replay in replay_exchanges([head_of(exchange)], streams):
            outcomes[replay.outcome] += 1
            if replay.outcome != "fine":
                wrong.append(f"{recorded.key}: {replay.call}: {replay.outcome}: {replay.detail}")
    print("SDK replays:", dict(outcomes))
    assert not wrong, "\n".join(wrong[:20])
    assert outcomes["fine"] >= 600
