"""Background responses and their cancellation, over HTTP and through the official SDK.

The mock's background mode is deterministic: created `queued`, finished on the first retrieve,
`cancelled` for good when cancelled while queued. Every answer validates against the schema the
description documents for it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import openai
import pytest
from openai import OpenAI

from oaiconform.mock import MockConfig, MockServer
from oaiconform.spec import Spec

KEY = "sk-oaiconform-background-0123456789abcdef"
OTHER_KEY = "sk-oaiconform-background-other-012345678"
MODEL = "gpt-4o-mini"


@pytest.fixture(scope="module")
def server(spec: Spec) -> Iterator[MockServer]:
    with MockServer(MockConfig(api_keys=(KEY, OTHER_KEY)), spec) as running:
        yield running


def _client(server: MockServer, key: str) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=server.base_url, headers=headers) as client:
        yield client


@pytest.fixture
def http(server: MockServer) -> Iterator[httpx.Client]:
    yield from _client(server, KEY)


@pytest.fixture
def other_http(server: MockServer) -> Iterator[httpx.Client]:
    yield from _client(server, OTHER_KEY)


@pytest.fixture
def sdk(server: MockServer) -> OpenAI:
    return OpenAI(base_url=server.base_url, api_key=KEY, max_retries=0)


def _valid(spec: Spec, operation_id: str, answer: httpx.Response) -> dict[str, Any]:
    """The answer's JSON, after checking it against the documented schema for its status."""
    pointer = spec.response_schema_pointer(operation_id, answer.status_code)
    assert pointer is not None, (operation_id, answer.status_code)
    body: dict[str, Any] = answer.json()
    assert spec.validate(pointer, body) == [], body
    return body


def _create(http: httpx.Client, **fields: Any) -> httpx.Response:
    return http.post("/responses", json={"model": MODEL, "input": "Tell a story.", **fields})


def test_a_background_response_is_queued_then_finished_on_its_first_retrieve(
    spec: Spec, http: httpx.Client
) -> None:
    queued = _valid(spec, "createResponse", _create(http, background=True))
    assert (queued["status"], queued["background"], queued["output"]) == ("queued", True, [])
    # usage null and no billing until it finishes, as the real API answers a queued one
    assert queued["completed_at"] is None and queued["usage"] is None and "billing" not in queued
    retrieved = _valid(spec, "getResponse", http.get(f"/responses/{queued['id']}"))
    assert (retrieved["status"], retrieved["background"]) == ("completed", True)
    # the same request in the foreground: the background one finished with the same output
    foreground = _create(http, store=False).json()
    assert retrieved["output"][0]["content"] == foreground["output"][0]["content"]
    assert retrieved["usage"] == foreground["usage"]
    again = http.get(f"/responses/{queued['id']}").json()
    assert again == retrieved


def test_a_background_response_that_runs_out_of_tokens_finishes_incomplete(
    http: httpx.Client,
) -> None:
    queued = _create(http, background=True, max_output_tokens=16).json()
    finished = http.get(f"/responses/{queued['id']}").json()
    assert finished["status"] == "incomplete"
    assert finished["incomplete_details"] == {"reason": "max_output_tokens"}


def test_a_background_response_is_kept_for_polling_even_with_store_false(
    http: httpx.Client,
) -> None:
    queued = _create(http, background=True, store=False).json()
    assert queued["store"] is False
    assert http.get(f"/responses/{queued['id']}").json()["status"] == "completed"


def test_cancelling_a_queued_response_cancels_it_for_good(spec: Spec, http: httpx.Client) -> None:
    queued = _create(http, background=True).json()
    cancelled = _valid(spec, "cancelResponse", http.post(f"/responses/{queued['id']}/cancel"))
    assert (cancelled["id"], cancelled["status"], cancelled["output"]) == (
        queued["id"],
        "cancelled",
        [],
    )
    assert cancelled["background"] is True and cancelled["completed_at"] is None
    assert http.get(f"/responses/{queued['id']}").json() == cancelled  # never completes
    assert http.post(f"/responses/{queued['id']}/cancel").json() == cancelled  # idempotent


def test_cancelling_a_finished_background_response_answers_it_unchanged(
    spec: Spec, http: httpx.Client
) -> None:
    queued = _create(http, background=True).json()
    finished = http.get(f"/responses/{queued['id']}").json()
    answer = http.post(f"/responses/{queued['id']}/cancel")
    assert _valid(spec, "cancelResponse", answer) == finished


def test_cancelling_a_foreground_response_is_a_400_envelope(spec: Spec, http: httpx.Client) -> None:
    created = _create(http).json()
    assert created["background"] is False
    refused = http.post(f"/responses/{created['id']}/cancel")
    assert refused.status_code == 400
    assert refused.json() == {
        "error": {
            "message": "Cannot cancel a synchronous response.",
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
    }
    assert http.get(f"/responses/{created['id']}").json() == created  # untouched


def test_cancelling_an_unknown_or_another_keys_response_is_a_404(
    spec: Spec, http: httpx.Client, other_http: httpx.Client
) -> None:
    unknown = http.post("/responses/resp_unknown/cancel")
    assert unknown.status_code == 404
    assert _valid(spec, "cancelResponse", unknown)["error"]["param"] == "response_id"
    queued = _create(http, background=True).json()
    assert other_http.post(f"/responses/{queued['id']}/cancel").status_code == 404
    assert other_http.get(f"/responses/{queued['id']}").status_code == 404
    assert http.get(f"/responses/{queued['id']}").json()["status"] == "completed"


def test_a_streamed_background_response_runs_to_its_end(http: httpx.Client) -> None:
    answer = _create(http, background=True, stream=True)
    events = [
        json.loads(line.removeprefix("data: "))
        for line in answer.text.splitlines()
        if line.startswith("data: ")
    ]
    final = events[-1]
    assert final["type"] == "response.completed"
    assert final["response"]["background"] is True
    stored = http.get(f"/responses/{final['response']['id']}").json()
    # stream events carry no `billing` (as the real API's); the stored object has it
    assert stored.pop("billing") == {"payer": "developer"}
    assert stored == final["response"]
    assert [e["type"] for e in events[:3]] == [
        "response.created",
        "response.queued",
        "response.in_progress",
    ]


def test_cancel_and_retrieve_racing_leave_one_terminal_state(http: httpx.Client) -> None:
    """Whichever comes first wins; the loser sees the winner's state, never a mixture."""
    for _ in range(5):
        path = f"/responses/{_create(http, background=True).json()['id']}"
        with ThreadPoolExecutor(max_workers=2) as pool:
            cancel = pool.submit(http.post, f"{path}/cancel")
            retrieve = pool.submit(http.get, path)
            seen = [cancel.result().json()["status"], retrieve.result().json()["status"]]
        final = http.get(path).json()["status"]
        assert final in ("cancelled", "completed")
        assert seen == [final, final]


def test_cancel_through_the_official_sdk(sdk: OpenAI) -> None:
    queued = sdk.responses.create(model=MODEL, input="Write a long novel.", background=True)
    assert queued.status == "queued" and queued.background is True
    cancelled = sdk.responses.cancel(queued.id)
    assert (cancelled.id, cancelled.status, cancelled.output) == (queued.id, "cancelled", [])
    assert sdk.responses.retrieve(queued.id).status == "cancelled"
    polled = sdk.responses.create(model=MODEL, input="Write a haiku.", background=True)
    assert sdk.responses.retrieve(polled.id).status == "completed"
    foreground = sdk.responses.create(model=MODEL, input="Hi")
    with pytest.raises(openai.BadRequestError) as refused:
        sdk.responses.cancel(foreground.id)
    assert "synchronous" in refused.value.message
    with pytest.raises(openai.NotFoundError):
        sdk.responses.cancel("resp_does_not_exist")


def test_nulls_the_request_allows_are_answered_with_the_api_defaults(
    spec: Spec, http: httpx.Client
) -> None:
    # Found by the property suite: `parallel_tool_calls: null` was echoed into a field the
    # response object requires to be a boolean.
    answer = _create(http, parallel_tool_calls=None, temperature=None, top_p=None)
    assert answer.status_code == 200, answer.text
    body = _valid(spec, "createResponse", answer)
    assert (body["parallel_tool_calls"], body["temperature"], body["top_p"]) == (True, 1.0, 1.0)
