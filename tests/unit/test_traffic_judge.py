"""The judge on routes the recorded corpus lacks: the correct mock's answers pass with the
area's check applied, and the same answer made defective fails `compat` on that check."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest

from oaiconform.checks import impact_of
from oaiconform.checks.traffic import judge, multipart_upload
from oaiconform.exchange import Exchange, RecordedRequest, StreamExchange
from oaiconform.mock import MockConfig, MockServer
from oaiconform.report.problems import VERDICT_FAILS_ON
from oaiconform.spec import Spec
from oaiconform.target import Target
from tests.conftest import TEST_KEY, target_for

Send = Callable[[Target], Exchange | StreamExchange]
Breaker = Callable[[dict[str, Any]], None]


@pytest.fixture(scope="module")
def target(spec: Spec) -> Iterator[Target]:
    with MockServer(MockConfig(api_keys=(TEST_KEY,)), spec) as server:
        target = target_for(server)
        yield target
        target.close()


# The mock serves legacy completions with completion models only, as the API does.
COMPLETION_MODEL = "gpt-3.5-turbo-instruct"


def _first_model(target: Target) -> str:
    return str(target.get("models").json()["data"][0]["id"])


def _shift_choice_index(body: dict[str, Any]) -> None:
    body["choices"][0]["index"] = 5


CASES: dict[str, tuple[Send, str, Breaker]] = {
    "list-models": (
        lambda t: t.get("models"),
        "models.model_list_fields",
        lambda body: body["data"].append(body["data"][0]),
    ),
    "retrieve-model": (
        lambda t: t.get(f"models/{_first_model(t)}"),
        "models.model_object_fields",
        lambda body: body.update(owned_by=7),
    ),
    "moderation": (
        lambda t: t.post(
            "moderations", json={"model": "omni-moderation-latest", "input": ["a", "b"]}
        ),
        "moderations.moderation_results",
        lambda body: body["results"].pop(),
    ),
    "completion": (
        lambda t: t.post(
            "completions", json={"model": COMPLETION_MODEL, "prompt": "Say hi", "max_tokens": 5}
        ),
        "completions.text_completion_fields",
        _shift_choice_index,
    ),
    "completion-logprobs": (
        lambda t: t.post(
            "completions",
            json={"model": COMPLETION_MODEL, "prompt": "Say hi", "max_tokens": 5, "logprobs": 2},
        ),
        "completions.completion_logprobs",
        lambda body: body["choices"][0]["logprobs"]["tokens"].pop(),
    ),
    "file-list": (
        lambda t: t.get("files", params={"limit": "2"}),
        "pagination.page_shape",
        lambda body: body.update(has_more="no"),
    ),
}


def fails_compat(exchange: Exchange | StreamExchange, spec: Spec, check_id: str) -> bool:
    return any(
        f.check_id == check_id and impact_of(f).value in VERDICT_FAILS_ON["compat"]
        for f in judge(spec, exchange).failures
    )


@pytest.mark.parametrize("case", list(CASES))
def test_a_correct_answer_passes_and_a_broken_one_fails(
    spec: Spec, target: Target, case: str
) -> None:
    send, check_id, breaker = CASES[case]
    exchange = send(target)
    assert isinstance(exchange, Exchange) and exchange.status == 200, exchange.describe()
    judgement = judge(spec, exchange)
    assert check_id in judgement.applied
    hard = [f for f in judgement.failures if impact_of(f).value in VERDICT_FAILS_ON["compat"]]
    assert hard == []
    body = exchange.json()
    breaker(body)
    broken = replace(exchange, body=json.dumps(body).encode())
    assert fails_compat(broken, spec, check_id), case


def test_a_streamed_completion_is_judged_as_text_completion_chunks(
    spec: Spec, target: Target
) -> None:
    body = {"model": COMPLETION_MODEL, "prompt": "Say hi", "max_tokens": 5, "stream": True}
    stream = target.stream("POST", "completions", json=body)
    judgement = judge(spec, stream)
    assert "stream_completions.completion_chunks" in judgement.applied
    assert not [f for f in judgement.failures if impact_of(f).value in VERDICT_FAILS_ON["compat"]]
    retyped = [
        replace(e, data=e.data.replace('"text_completion"', '"chat"')) for e in stream.events
    ]
    broken = replace(stream, events=tuple(retyped))
    assert fails_compat(broken, spec, "stream_completions.completion_chunks")


def test_a_created_batch_names_its_endpoint_and_input_file(spec: Spec) -> None:
    """(The mock needs an uploaded input file for a batch: a hand-made answer is enough.)"""
    sent = {"endpoint": "/v1/chat/completions", "input_file_id": "file-1"}
    answer = {
        "id": "batch_1",
        "object": "batch",
        "endpoint": "/v1/chat/completions",
        "input_file_id": "file-1",
        "completion_window": "24h",
        "status": "validating",
        "created_at": 1_750_000_000,
    }
    request = RecordedRequest(
        "POST", "https://api.openai.com/v1/batches", (), json.dumps(sent).encode()
    )
    headers = (("content-type", "application/json"),)
    exchange = Exchange(request, 200, headers, json.dumps(answer).encode())
    assert "batches.batch_object_fields" in judge(spec, exchange).applied
    assert not fails_compat(exchange, spec, "batches.batch_object_fields")
    other = replace(exchange, body=json.dumps({**answer, "input_file_id": "file-2"}).encode())
    assert fails_compat(other, spec, "batches.batch_object_fields")


def test_a_multipart_upload_is_read_as_name_purpose_and_size() -> None:
    boundary = "b0undary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassistants\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
        f"Content-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n"
    ).encode()
    headers = (("content-type", f"multipart/form-data; boundary={boundary}"),)
    request = RecordedRequest("POST", "https://api.openai.com/v1/files", headers, body)
    assert multipart_upload(Exchange(request, 200)) == ("a.txt", "assistants", 5)
    assert multipart_upload(Exchange(replace(request, headers=()), 200)) is None


CHAT_URL = "https://api.openai.com/v1/chat/completions"
SSE = b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[]}\n\n'


def _chat_exchange(*, stream: bool, content_type: str, body: bytes) -> Exchange:
    sent = {"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": stream}
    request = RecordedRequest("POST", CHAT_URL, (), json.dumps(sent).encode())
    return Exchange(request, 200, (("content-type", content_type),), body)


def test_a_stream_asked_for_and_answered_with_json_fails(spec: Spec) -> None:
    exchange = _chat_exchange(stream=True, content_type="application/json", body=b"{}")
    assert fails_compat(exchange, spec, "streaming.event_stream_served")
    assert "streaming.json_not_event_stream" not in judge(spec, exchange).applied


def test_an_event_stream_nobody_asked_for_fails(spec: Spec) -> None:
    exchange = _chat_exchange(stream=False, content_type="text/event-stream", body=SSE)
    assert fails_compat(exchange, spec, "streaming.json_not_event_stream")
    assert "streaming.event_stream_served" not in judge(spec, exchange).applied


def test_a_resumed_responses_stream_is_asked_for_by_its_query(spec: Spec) -> None:
    url = "https://api.openai.com/v1/responses/resp_1?stream=true&starting_after=3"
    head = Exchange(RecordedRequest("GET", url), 200, (("content-type", "application/json"),))
    assert fails_compat(head, spec, "streaming.event_stream_served")


@pytest.mark.parametrize("header", ["Authorization", "api-key"])
def test_an_error_that_quotes_the_request_key_fails(spec: Spec, header: str) -> None:
    key = "sk-traffic-judge-0123456789abcdef"
    sent = RecordedRequest(
        "GET",
        "http://127.0.0.1/v1/models",
        ((header, f"Bearer {key}" if header == "Authorization" else key),),
    )

    def answer(message: str) -> Exchange:
        error = {"message": message, "type": "invalid_request_error", "param": None}
        body = json.dumps({"error": {**error, "code": "invalid_api_key"}}).encode()
        return Exchange(sent, 401, (("content-type", "application/json"),), body)

    masked = judge(spec, answer("Incorrect API key provided: sk-tra****cdef."))
    assert "errors.key_not_echoed" in masked.applied
    assert not [f for f in masked.failures if f.check_id == "errors.key_not_echoed"]
    echoed = answer(f"Incorrect API key provided: {key}.")
    assert fails_compat(echoed, spec, "errors.key_not_echoed")


@pytest.mark.parametrize(
    ("path", "answer"), [("chat/completions", "chat"), ("completions", "text")]
)
def test_a_request_for_half_a_billion_choices_is_judged_without_building_them(
    spec: Spec, path: str, answer: str
) -> None:
    # A generated invalid request that a server answered anyway with one choice: the judge
    # once built the 448,979,689 expected indexes (22 GB, the proxy's process OOM-killed).
    sent = {"model": "m", "n": 448979689, "messages": [], "prompt": "hi"}
    choice: dict[str, Any] = {"index": 0, "finish_reason": "stop", "logprobs": None}
    choice |= {"message": {"role": "assistant", "content": "hi"}} if answer == "chat" else {}
    choice |= {"text": "hi"} if answer == "text" else {}
    body: dict[str, Any] = {
        "id": "x",
        "object": "chat.completion" if answer == "chat" else "text_completion",
    }
    body |= {"created": 1, "model": "m", "choices": [choice]}
    exchange = Exchange(
        RecordedRequest("POST", f"http://127.0.0.1/v1/{path}", (), json.dumps(sent).encode()),
        200,
        (("content-type", "application/json"),),
        json.dumps(body).encode(),
    )
    [indexes] = [f for f in judge(spec, exchange).failures if f.where == "choices[].index"]
    assert indexes.expected == "[0, 1, ..., 448979688]"


def test_a_file_download_is_the_file_as_it_is(spec: Spec) -> None:
    # The description writes a file's content as a JSON string; a batch output is JSONL.
    lines = b'{"id": "batch_req_1", "custom_id": "a"}\n{"id": "batch_req_2", "custom_id": "b"}\n'
    exchange = Exchange(
        RecordedRequest("GET", "http://127.0.0.1/v1/files/file-1/content"),
        200,
        (("content-type", "application/jsonl"), ("x-request-id", "req_1")),
        lines,
    )
    judgement = judge(spec, exchange)
    assert judgement.failures == []
    assert "http.json_object_body" not in judgement.applied
