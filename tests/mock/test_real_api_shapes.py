"""What the mock took from the real API (issue 23): models by family, the real errors per
endpoint, `obfuscation`, and a background response's events streamed again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from oaiconform.mock import MockConfig, MockServer
from oaiconform.spec import Spec
from tests.conftest import TEST_KEY

HI = [{"role": "user", "content": "hi"}]


@pytest.fixture(scope="module")
def http(spec: Spec) -> Iterator[httpx.Client]:
    with (
        MockServer(MockConfig(api_keys=(TEST_KEY,), seed=3), spec) as server,
        httpx.Client(
            base_url=server.base_url, headers={"Authorization": f"Bearer {TEST_KEY}"}
        ) as client,
    ):
        yield client


def _events(text: str) -> list[dict[str, Any]]:
    lines = text.splitlines()
    return [json.loads(x[6:]) for x in lines if x.startswith("data: {")]


def test_an_unlisted_model_of_a_known_family_is_served_and_echoed(http: httpx.Client) -> None:
    chat = http.post("/chat/completions", json={"model": "gpt-5.9-mini", "messages": HI})
    assert chat.status_code == 200 and chat.json()["model"] == "gpt-5.9-mini"
    assert http.post("/embeddings", json={"model": "text-embedding-4", "input": "x"}).is_success


@pytest.mark.parametrize(
    ("path", "body", "status", "param"),
    [
        ("/chat/completions", {"messages": HI}, 404, None),
        ("/embeddings", {"input": "x"}, 404, None),
        ("/responses", {"input": "hi"}, 400, "model"),
    ],
)
@pytest.mark.parametrize("model", ["no-such-model", "gpt-5.2-proo"])
def test_a_fake_model_gets_the_real_api_error_per_endpoint(
    http: httpx.Client, path: str, body: dict[str, Any], status: int, param: str | None, model: str
) -> None:
    answer = http.post(path, json={**body, "model": model})
    assert answer.status_code == status
    assert answer.json()["error"]["code"] == "model_not_found"
    assert answer.json()["error"]["param"] == param


def test_stream_events_carry_obfuscation_deterministic_for_a_seed(
    spec: Spec, http: httpx.Client
) -> None:
    body = {"model": "gpt-4o-mini", "messages": HI, "stream": True, "seed": 1}
    first = _events(http.post("/chat/completions", json=body).text)
    assert first and all(isinstance(e.get("obfuscation"), str) for e in first)
    again = _events(http.post("/chat/completions", json=body).text)
    assert [e["obfuscation"] for e in again] != []  # another completion id: other padding
    responses = _events(http.post("/responses", json={"model": "gpt-4o", "input": "hi",
                                                      "stream": True}).text)  # fmt: skip
    deltas = [e for e in responses if e["type"].endswith(".delta")]
    assert deltas and all("obfuscation" in e for e in deltas)
    assert all("obfuscation" not in e for e in responses if not e["type"].endswith(".delta"))
    config = MockConfig(api_keys=(TEST_KEY,), obfuscation=False)
    with MockServer(config, spec) as server:
        plain = httpx.post(
            f"{server.base_url}/chat/completions",
            json=body,
            headers={"Authorization": f"Bearer {TEST_KEY}"},
        )
    assert all("obfuscation" not in e for e in _events(plain.text))


def test_a_background_response_streams_again_from_a_sequence_number(http: httpx.Client) -> None:
    created = http.post(
        "/responses", json={"model": "gpt-4o", "input": "Tell a story.", "background": True}
    ).json()
    assert created["status"] == "queued"
    path = f"/responses/{created['id']}"
    whole = http.get(path, params={"stream": "true"})
    assert whole.headers["content-type"].startswith("text/event-stream")
    events = _events(whole.text)
    assert [e["type"] for e in events[:2]] == ["response.created", "response.queued"]
    assert events[-1]["type"] == "response.completed"
    resumed = _events(http.get(path, params={"stream": "true", "starting_after": "3"}).text)
    assert [e["sequence_number"] for e in resumed] == list(range(4, len(events)))
    assert resumed == events[4:]
    foreground = http.post("/responses", json={"model": "gpt-4o", "input": "hi"}).json()
    refused = http.get(f"/responses/{foreground['id']}", params={"stream": "true"})
    assert refused.status_code == 400


def test_the_builtin_answer_kind_uses_the_offered_builtin_tool(http: httpx.Client) -> None:
    body = {"model": "gpt-4o", "input": "news?", "tools": [{"type": "web_search"}]}
    headers = {"x-oaiconform-answer": "builtin"}
    answer = http.post("/responses", json=body, headers=headers).json()
    call, message = answer["output"]
    assert call["type"] == "web_search_call" and call["action"]["type"] == "search"
    assert message["content"][0]["annotations"][0]["type"] == "url_citation"
    assert answer["tools"][0]["user_location"]["type"] == "approximate"
    streamed = http.post("/responses", json={**body, "stream": True}, headers=headers).text
    kinds = [e["type"] for e in _events(streamed)]
    assert kinds[2:7] == [
        "response.output_item.added",
        "response.web_search_call.in_progress",
        "response.web_search_call.searching",
        "response.web_search_call.completed",
        "response.output_item.done",
    ]
    plain = http.post("/responses", json=body).json()  # without the kind: words only
    assert [item["type"] for item in plain["output"]] == ["message"]


def test_obfuscation_is_the_same_for_the_same_seed(spec: Spec) -> None:
    body = {"model": "gpt-4o-mini", "messages": HI, "stream": True}
    paddings = []
    for _ in range(2):
        with MockServer(MockConfig(api_keys=(TEST_KEY,), seed=11), spec) as server:
            answer = httpx.post(
                f"{server.base_url}/chat/completions",
                json=body,
                headers={"Authorization": f"Bearer {TEST_KEY}"},
            )
        paddings.append([e["obfuscation"] for e in _events(answer.text)])
    assert paddings[0] == paddings[1] and len(set(paddings[0])) > 1


_RATE = {
    "type": "function",
    "name": "get_rate",
    "parameters": {"type": "object", "properties": {"pair": {"type": "string"}}},
}


@pytest.mark.parametrize(
    ("model", "echo", "namespace"),
    [("gpt-5.4", "namespace", "get_rate"), ("gpt-5.6", "function", None)],
)
def test_tool_search_loads_deferred_and_added_tools_as_the_api_does(
    http: httpx.Client, model: str, echo: str, namespace: str | None
) -> None:
    deferred = {**_RATE, "name": "stock_lookup", "defer_loading": True}
    added = {"type": "additional_tools", "role": "developer", "tools": [_RATE]}
    body = {
        "model": model,
        "tools": [{"type": "tool_search"}, deferred],
        "input": [{"role": "user", "content": "rate?"}, added],
    }
    answer = http.post("/responses", json=body).json()
    echoed = {t.get("name"): t for t in answer["tools"]}
    assert echoed["stock_lookup"]["defer_loading"] is True  # not loaded: echoed as offered
    assert echoed["get_rate"]["type"] == echo
    (call,) = [item for item in answer["output"] if item["type"] == "function_call"]
    assert call["name"] == "get_rate" and call.get("namespace") == namespace


def test_vector_stores_are_created_with_the_members_the_api_answers(http: httpx.Client) -> None:
    store = http.post("/vector_stores", json={"name": "docs"}).json()
    assert store["description"] is None and store["expires_after"] is None
    file = http.post(f"/vector_stores/{store['id']}/files", json={"file_id": "file-abc"}).json()
    assert file["attributes"] == {} and file["chunking_strategy"]["type"] == "static"


def test_explicit_prompt_caching_and_audio_models_have_the_usage_the_api_reports(
    http: httpx.Client,
) -> None:
    cached = {"messages": HI, "prompt_cache_options": {"mode": "explicit", "ttl": "30m"}}
    usage = http.post("/chat/completions", json={"model": "gpt-4o", **cached}).json()["usage"]
    assert usage["prompt_tokens_details"]["cache_write_tokens"] == 0
    audio = http.post("/chat/completions", json={"model": "gpt-4o-audio-preview", "messages": HI})
    details = audio.json()["usage"]["prompt_tokens_details"]
    assert details["text_tokens"] == audio.json()["usage"]["prompt_tokens"]
    response = http.post("/responses", json={"model": "gpt-5.4", "input": "hi", **cached})
    assert response.json()["prompt_cache_options"] == cached["prompt_cache_options"]


def test_a_request_for_moderation_is_answered_with_its_results(http: httpx.Client) -> None:
    asked = {"moderation": {"model": "omni-moderation-latest"}}
    chat = http.post("/chat/completions", json={"model": "gpt-4o", "messages": HI, **asked})
    nested = chat.json()["moderation"]["output"]
    assert nested["type"] == "moderation_results" and nested["results"][0]["flagged"] is False
    streamed = {"model": "gpt-4o", "messages": HI, "stream": True, **asked}
    last = _events(http.post("/chat/completions", json=streamed).text)[-1]
    assert last["choices"] == [] and "input" in last["moderation"]
    response = http.post("/responses", json={"model": "gpt-5.4", "input": "hi", **asked}).json()
    assert response["moderation"]["input"]["type"] == "moderation_result"
    assert (
        http.post("/responses", json={"model": "gpt-5.4", "input": "hi"}).json()["moderation"]
        is None
    )


def test_responses_carry_the_text_logprobs_include_asks_for(http: httpx.Client) -> None:
    body = {"model": "gpt-4o-mini", "input": "hi", "include": ["message.output_text.logprobs"]}
    (message,) = http.post("/responses", json=body).json()["output"]
    part = message["content"][0]
    assert [entry["token"] for entry in part["logprobs"]] and "".join(
        entry["token"] for entry in part["logprobs"]
    ) == part["text"]
    events = _events(http.post("/responses", json={**body, "stream": True}).text)
    deltas = [e for e in events if e["type"] == "response.output_text.delta"]
    assert all(len(e["logprobs"]) == 1 for e in deltas)


def test_the_real_api_refusals_of_search_options_and_an_edited_reasoning_turn(
    http: httpx.Client,
) -> None:
    search = {"messages": HI, "web_search_options": {}}
    refused = http.post("/chat/completions", json={"model": "gpt-4o", **search})
    assert refused.status_code == 400 and refused.json()["error"]["param"] == "web_search_options"
    searched = http.post("/chat/completions", json={"model": "gpt-4o-search-preview", **search})
    assert searched.status_code == 200
    reasoning = {"type": "reasoning", "id": "rs_1", "summary": []}
    edited = [{"role": "user", "content": "hi"}, reasoning, {"role": "assistant", "content": "x"}]
    answer = http.post("/responses", json={"model": "gpt-5", "input": edited})
    assert answer.status_code == 400 and "rs_1" in answer.json()["error"]["message"]


@pytest.mark.parametrize(
    ("tool", "include", "member"),
    [
        ({"type": "code_interpreter", "container": {"type": "auto"}},
         "code_interpreter_call.outputs", "outputs"),
        ({"type": "file_search", "vector_store_ids": ["vs_1"]}, "file_search_call.results",
         "results"),
    ],
)  # fmt: skip
def test_builtin_calls_carry_what_include_asks_for(
    http: httpx.Client, tool: dict[str, Any], include: str, member: str
) -> None:
    body = {"model": "gpt-4o", "input": "go", "tools": [tool]}
    headers = {"x-oaiconform-answer": "builtin"}
    bare = http.post("/responses", json=body, headers=headers).json()["output"][0]
    assert bare[member] is None
    asked = {**body, "include": [include]}
    full = http.post("/responses", json=asked, headers=headers).json()["output"][0]
    assert full[member] and isinstance(full[member], list)


@pytest.mark.parametrize("execution", ["server", "client"])
def test_the_model_searches_for_a_deferred_tool_before_calling_it(
    http: httpx.Client, execution: str
) -> None:
    deferred = {**_RATE, "defer_loading": True}
    search = {"type": "tool_search", **({"execution": "client"} if execution == "client" else {})}
    body = {"model": "gpt-5.4", "input": "rate?", "tools": [search, deferred]}
    output = http.post("/responses", json=body).json()["output"]
    kinds = [item["type"] for item in output]
    if execution == "client":  # the caller runs the search: the response ends with its call
        assert kinds == ["tool_search_call"] and output[0]["call_id"]
        return
    assert kinds == ["tool_search_call", "tool_search_output", "function_call"]
    assert output[1]["tools"][0]["name"] == "get_rate"
    assert output[2]["namespace"] == "get_rate"
    events = _events(http.post("/responses", json={**body, "stream": True}).text)
    added = [e["item"]["type"] for e in events if e["type"] == "response.output_item.added"]
    assert added == kinds
