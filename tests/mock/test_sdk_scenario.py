"""An application's day against the mock, through the official SDK, end to end.

Each test is a step an application developer takes with `openai` against `oaiconform mock`:
the description's newest model, chat plain and streamed (and the `stream()` helper), tools,
structured output (`parse()`), embeddings in both encodings, files uploaded and listed both
ways, a batch polled to completion, Responses plain, streamed and parsed, every SDK helper that
polls or uploads in parts, errors as the SDK's exception classes, concurrent uploads, and two
tenants that never see each other's objects.
"""

from __future__ import annotations

import asyncio
import base64
import json
import struct
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import openai
import pytest
from openai import AsyncOpenAI, OpenAI
from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolParam
from pydantic import BaseModel

from oaiconform.mock import MockConfig, MockServer
from oaiconform.mock.catalog import described_models
from oaiconform.spec import Spec

KEY = "sk-scenario-first-tenant-0123456789"
OTHER_KEY = "sk-scenario-second-tenant-0123456789"
MODEL = "gpt-4o-mini"
HELLO: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]
WEATHER: ChatCompletionToolParam = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
        "strict": True,
    },
}


class CityWeather(BaseModel):
    city: str
    temperature_c: float
    sunny: bool


@pytest.fixture(scope="module")
def server(spec: Spec) -> Iterator[MockServer]:
    with MockServer(MockConfig(api_keys=(KEY, OTHER_KEY)), spec) as running:
        yield running


@pytest.fixture
def client(server: MockServer) -> OpenAI:
    return OpenAI(base_url=server.base_url, api_key=KEY, max_retries=0, timeout=10)


@pytest.fixture
def other(server: MockServer) -> OpenAI:
    return OpenAI(base_url=server.base_url, api_key=OTHER_KEY, max_retries=0, timeout=10)


def test_the_description_s_newest_model_is_listed_and_answers(spec: Spec, client: OpenAI) -> None:
    newest = next(iter(described_models(spec)))  # the description lists the newest first
    assert newest in {model.id for model in client.models.list()}
    assert client.models.retrieve(newest).id == newest
    answer = client.chat.completions.create(model=newest, messages=HELLO)
    assert answer.model == newest and answer.choices[0].message.content


def test_chat_plain_streamed_and_the_stream_helper_agree(client: OpenAI) -> None:
    plain = client.chat.completions.create(model=MODEL, messages=HELLO, seed=7, max_tokens=10)
    chunks = client.chat.completions.create(
        model=MODEL, messages=HELLO, seed=7, max_tokens=10, stream=True
    )
    joined = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    with client.chat.completions.stream(
        model=MODEL, messages=HELLO, seed=7, max_tokens=10
    ) as stream:
        deltas = [e.delta for e in stream if e.type == "content.delta"]
        final = stream.get_final_completion()
    assert plain.choices[0].message.content == joined == "".join(deltas)
    assert final.choices[0].message.content == joined
    assert final.choices[0].finish_reason == "stop"


def test_tools_round_trip(client: OpenAI) -> None:
    ask: list[ChatCompletionMessageParam] = [
        {"role": "user", "content": "What is the weather in Oslo?"}
    ]
    first = client.chat.completions.create(model=MODEL, messages=ask, tools=[WEATHER])
    calls = first.choices[0].message.tool_calls
    assert first.choices[0].finish_reason == "tool_calls" and calls
    call = calls[0]
    assert call.type == "function" and call.function.name == "get_weather"
    assert isinstance(json.loads(call.function.arguments)["city"], str)
    followup: list[ChatCompletionMessageParam] = [
        *ask,
        first.choices[0].message.model_dump(exclude_none=True),  # type: ignore[list-item]
        {"role": "tool", "tool_call_id": call.id, "content": '{"celsius": 4}'},
    ]
    second = client.chat.completions.create(model=MODEL, messages=followup, tools=[WEATHER])
    assert second.choices[0].finish_reason == "stop" and second.choices[0].message.content
    with client.chat.completions.stream(model=MODEL, messages=ask, tools=[WEATHER]) as stream:
        streamed = stream.get_final_completion()
    streamed_calls = streamed.choices[0].message.tool_calls
    assert streamed_calls and streamed_calls[0].function.parsed_arguments is not None


def test_structured_output_parses_into_the_model(client: OpenAI) -> None:
    parsed = client.chat.completions.parse(model=MODEL, messages=HELLO, response_format=CityWeather)
    assert isinstance(parsed.choices[0].message.parsed, CityWeather)
    with client.chat.completions.stream(
        model=MODEL, messages=HELLO, response_format=CityWeather
    ) as stream:
        final = stream.get_final_completion()
    assert isinstance(final.choices[0].message.parsed, CityWeather)
    response = client.responses.parse(
        model=MODEL, input="Weather in Oslo?", text_format=CityWeather
    )
    assert isinstance(response.output_parsed, CityWeather)


def test_embeddings_float_and_base64_decode_to_the_same_vector(client: OpenAI) -> None:
    floats = client.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    assert [len(d.embedding) for d in floats.data] == [1536, 1536]
    raw = client.embeddings.with_raw_response.create(
        model="text-embedding-3-small", input=["a", "b"], encoding_format="base64"
    ).http_response.json()
    decoded = [list(struct.unpack("<1536f", base64.b64decode(d["embedding"]))) for d in raw["data"]]
    assert decoded == [d.embedding for d in floats.data]
    # The SDK asks for base64 itself when no format is given, and decodes it: same numbers.
    assert floats.data[0].embedding == decoded[0]


def test_files_upload_list_both_orders_download_and_delete(spec: Spec) -> None:
    with MockServer(MockConfig(api_keys=(KEY,)), spec) as own:
        client = OpenAI(base_url=own.base_url, api_key=KEY, max_retries=0)
        ids = [
            client.files.create(
                file=(f"notes-{n}.txt", f"note {n}".encode()), purpose="user_data"
            ).id
            for n in range(7)
        ]
        assert [f.id for f in client.files.list(order="asc")] == ids
        assert [f.id for f in client.files.list(order="desc", limit=3)] == ids[::-1]
        assert client.files.wait_for_processing(ids[0]).status == "processed"
        assert client.files.content(ids[3]).content == b"note 3"
        assert client.files.delete(ids[0]).deleted
        assert [f.id for f in client.files.list(order="asc")] == ids[1:]


def test_a_batch_runs_to_completion(client: OpenAI) -> None:
    lines = [
        {
            "custom_id": f"req-{n}",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": MODEL, "messages": [{"role": "user", "content": f"hi {n}"}]},
        }
        for n in range(3)
    ]
    data = "\n".join(json.dumps(line) for line in lines).encode()
    batch_input = client.files.create(file=("batch.jsonl", data), purpose="batch")
    batch = client.batches.create(
        input_file_id=batch_input.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    for _ in range(10):  # as an application polls
        batch = client.batches.retrieve(batch.id)
        if batch.status in ("completed", "failed", "expired", "cancelled"):
            break
    assert batch.status == "completed" and batch.output_file_id
    assert batch.request_counts is not None and batch.request_counts.completed == 3
    results = client.files.content(batch.output_file_id).text.splitlines()
    answered = {json.loads(line)["custom_id"]: json.loads(line) for line in results}
    assert set(answered) == {"req-0", "req-1", "req-2"}
    assert all(r["response"]["status_code"] == 200 for r in answered.values())


def test_responses_plain_streamed_and_continued(client: OpenAI) -> None:
    plain = client.responses.create(model=MODEL, input="hi")
    assert plain.status == "completed" and plain.output_text
    with client.responses.stream(model=MODEL, input="hi") as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert final.output_text == "".join(deltas) == plain.output_text
    followup = client.responses.create(
        model=MODEL, input="And in French?", previous_response_id=plain.id
    )
    assert followup.usage is not None and plain.usage is not None
    assert followup.usage.input_tokens > plain.usage.input_tokens  # the earlier turn counts
    assert client.responses.retrieve(plain.id).id == plain.id


def test_uploads_in_parts_become_a_file(client: OpenAI) -> None:
    data = bytes(range(256)) * 40
    upload = client.uploads.upload_file_chunked(
        file=data,
        filename="big.bin",
        bytes=len(data),
        mime_type="application/octet-stream",
        purpose="assistants",
        part_size=1000,
    )
    assert upload.status == "completed" and upload.file is not None
    assert (upload.file.filename, upload.file.bytes) == ("big.bin", len(data))
    assert client.files.content(upload.file.id).content == data


def test_the_sdk_s_polling_helpers_end(client: OpenAI) -> None:
    store = client.vector_stores.create(name="docs")
    one = client.vector_stores.files.upload_and_poll(
        vector_store_id=store.id, file=("a.txt", b"hello"), poll_interval_ms=10
    )
    assert one.status == "completed"
    many = client.vector_stores.file_batches.upload_and_poll(
        store.id, files=[("b.txt", b"b"), ("c.txt", b"c")], poll_interval_ms=10
    )
    assert many.status == "completed" and many.file_counts.in_progress == 0
    # The Assistants and Sora APIs are deprecated, but the SDK still ships their pollers.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assistant = client.beta.assistants.create(model=MODEL)
        thread = client.beta.threads.create()
        run = client.beta.threads.runs.create_and_poll(
            thread_id=thread.id, assistant_id=assistant.id, poll_interval_ms=10
        )
        video = client.videos.create_and_poll(prompt="A lighthouse", poll_interval_ms=10)
    assert (run.status, video.status) == ("completed", "completed")


def test_errors_are_the_sdk_s_exception_classes(server: MockServer, client: OpenAI) -> None:
    stranger = OpenAI(base_url=server.base_url, api_key="sk-not-a-key-000000", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        stranger.models.list()
    with pytest.raises(openai.NotFoundError) as unknown:
        client.chat.completions.create(model="gpt-unknown", messages=HELLO)
    assert unknown.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError) as invalid:
        client.chat.completions.create(model=MODEL, messages=HELLO, temperature=5)
    assert invalid.value.param == "temperature"
    with pytest.raises(openai.RateLimitError) as limited:
        client.chat.completions.create(
            model=MODEL, messages=HELLO, extra_headers={"x-oaiconform-simulate": "rate_limit"}
        )
    assert limited.value.response.headers["retry-after"] == "1"
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve("file-does-not-exist")
    with pytest.raises(openai.LengthFinishReasonError):
        client.chat.completions.parse(
            model=MODEL, messages=HELLO, response_format=CityWeather, max_tokens=2
        )


def test_concurrent_uploads_are_all_kept(client: OpenAI) -> None:
    def upload(n: int) -> str:
        return client.files.create(file=(f"c{n}.txt", b"c"), purpose="user_data").id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(pool.map(upload, range(24)))
    assert len(ids) == 24
    assert ids <= {f.id for f in client.files.list(limit=5)}


def test_two_tenants_never_see_each_other(client: OpenAI, other: OpenAI) -> None:
    mine = client.files.create(file=("private.txt", b"secret"), purpose="user_data")
    theirs = other.files.create(file=("theirs.txt", b"other"), purpose="user_data")
    with pytest.raises(openai.NotFoundError):
        other.files.retrieve(mine.id)
    assert mine.id not in {f.id for f in other.files.list()}
    assert theirs.id not in {f.id for f in client.files.list()}
    stored = client.chat.completions.create(model=MODEL, messages=HELLO, store=True)
    with pytest.raises(openai.NotFoundError):
        other.chat.completions.retrieve(stored.id)


def test_the_async_client_streams_too(server: MockServer) -> None:
    async def scenario() -> str:
        async with AsyncOpenAI(base_url=server.base_url, api_key=KEY, max_retries=0) as client:
            async with client.chat.completions.stream(model=MODEL, messages=HELLO) as stream:
                final = await stream.get_final_completion()
            return final.choices[0].message.content or ""

    assert asyncio.run(scenario())
