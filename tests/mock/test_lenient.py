"""`oaiconform mock --lenient`: every well-formed request succeeds, whatever ids, models and
keys it names; request shapes are still judged and streams are still event streams."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from oaiconform.mock import MockConfig, MockServer
from oaiconform.spec import Spec

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture(scope="module")
def lenient(spec: Spec) -> Iterator[httpx.Client]:
    with MockServer(MockConfig(lenient=True), spec) as server:
        headers = {"Authorization": "Bearer My API Key"}  # any key
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=10) as client:
            yield client


def test_unknown_objects_and_models_are_answered_with_valid_bodies(lenient: httpx.Client) -> None:
    file = lenient.get("/files/file-does-not-exist")
    assert file.status_code == 200 and file.json()["object"] == "file"
    batch = lenient.post(
        "/batches",
        json={
            "input_file_id": "input_file_id",
            "endpoint": "/v1/chat/completions",
            "completion_window": "24h",
        },
    )
    assert batch.status_code == 200 and batch.json()["object"] == "batch"
    chat = lenient.post("/chat/completions", json={**CHAT, "model": "no-such-model"})
    assert chat.status_code == 200 and chat.json()["object"] == "chat.completion"
    assert lenient.get("/responses/resp_unknown").json()["object"] == "response"


def test_known_requests_still_get_the_behavioural_answer(lenient: httpx.Client) -> None:
    first = lenient.post("/chat/completions", json={**CHAT, "seed": 1}).json()
    again = lenient.post("/chat/completions", json={**CHAT, "seed": 1}).json()
    assert first["choices"][0]["message"]["content"] == again["choices"][0]["message"]["content"]
    uploaded = lenient.post(
        "/files", files={"file": ("a.txt", b"abc")}, data={"purpose": "user_data"}
    ).json()
    assert lenient.get(f"/files/{uploaded['id']}/content").content == b"abc"


def test_values_a_behavioural_server_refuses_are_accepted(lenient: httpx.Client) -> None:
    zero = lenient.post("/chat/completions", json={**CHAT, "max_tokens": 0})
    assert zero.status_code == 200
    without_tools = lenient.post("/chat/completions", json={**CHAT, "tool_choice": "required"})
    assert without_tools.status_code == 200


def test_request_shapes_are_still_judged(lenient: httpx.Client) -> None:
    missing = lenient.post("/chat/completions", json={"model": "gpt-4o-mini"})
    assert missing.status_code == 400 and missing.json()["error"]["param"] == "messages"
    wrong_type = lenient.post("/embeddings", json={"model": "m", "input": "x", "dimensions": "a"})
    assert wrong_type.status_code == 400
    assert lenient.post("/chat/completions", content=b"{not json").status_code == 400
    assert lenient.get("/models", headers={"Authorization": ""}).status_code == 401


def test_streams_are_event_streams(lenient: httpx.Client) -> None:
    real = lenient.post("/chat/completions", json={**CHAT, "stream": True})
    assert real.headers["content-type"].startswith("text/event-stream")
    assert real.text.rstrip().endswith("data: [DONE]")
    fallback = lenient.post("/chat/completions", json={**CHAT, "model": "nope", "stream": True})
    assert fallback.status_code == 200
    assert fallback.headers["content-type"].startswith("text/event-stream")
    assert fallback.text.startswith(("data: ", "event: "))


@pytest.mark.parametrize(
    "part",
    [
        b'Content-Disposition: form-data; name="file"; filename="a.jsonl"\r\n\r\n{}',  # no type
        b'Content-Disposition: form-data; name="file"; filename="a.bin"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n\x00\xff",
        b'Content-Disposition: form-data; name="file"; filename=""\r\n\r\n',  # empty name
        b'content-disposition: form-data; name="file"; filename="lower.txt"\r\n\r\nx',
    ],
    ids=["no-content-type", "binary", "empty-filename", "lowercase-headers"],
)
def test_every_multipart_shape_gets_an_answer(lenient: httpx.Client, part: bytes) -> None:
    purpose = b'Content-Disposition: form-data; name="purpose"\r\n\r\nuser_data'
    body = b"--b\r\n" + part + b"\r\n--b\r\n" + purpose + b"\r\n--b--\r\n"
    answer = lenient.post(
        "/files", content=body, headers={"Content-Type": "multipart/form-data; boundary=b"}
    )
    assert answer.status_code in (200, 400), answer.text  # never a 5xx, never a hang
    assert answer.json().get("object") == "file" or answer.json()["error"]["message"]
