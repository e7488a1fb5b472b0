"""What an application does with the official SDK: the calls the proxy's self-tests drive
through it (plain, streamed, the stream() helpers, tools, embeddings float and base64, files
upload and list, pagination, Responses, errors), each outcome as plain data to compare."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import openai
from openai import OpenAI

MODEL = "gpt-4o-mini"
EMBEDDING_MODEL = "text-embedding-3-small"
MESSAGES: Any = [{"role": "user", "content": "Say hello."}]
WEATHER: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}
# What differs between two correct servers by design: generated ids and clocks.
_VOLATILE = re.compile(r"(^|_)(id|created|created_at|completed_at|expires_at)$|fingerprint")


def normalized(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "<volatile>" if _VOLATILE.search(k) else normalized(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalized(v) for v in value]
    if isinstance(value, str) and re.fullmatch(r"(file|resp|msg|fc|chatcmpl|rs)[-_]\w+", value):
        return "<volatile>"
    return value


def _dump(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        # warnings off: a base64 embedding is a str where the model's type says list[float]
        return normalized(value.model_dump(mode="json", warnings=False))
    if isinstance(value, list):
        return [_dump(v) for v in value]
    return normalized(value)


def chat_plain(client: OpenAI) -> Any:
    return client.chat.completions.create(model=MODEL, messages=MESSAGES, seed=7)


def chat_streamed(client: OpenAI) -> Any:
    stream = client.chat.completions.create(
        model=MODEL, messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    return list(stream)


def chat_stream_helper(client: OpenAI) -> Any:
    with client.chat.completions.stream(model=MODEL, messages=MESSAGES) as stream:
        for _ in stream:
            pass
        return stream.get_final_completion()


def chat_tools(client: OpenAI) -> Any:
    return client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Weather in Paris?"}],
        tools=[WEATHER],
        tool_choice="required",
    )


def chat_tools_streamed(client: OpenAI) -> Any:
    stream = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Weather in Paris?"}],
        tools=[WEATHER],
        tool_choice="required",
        stream=True,
    )
    return list(stream)


def embeddings_float(client: OpenAI) -> Any:
    return client.embeddings.create(model=EMBEDDING_MODEL, input=["a", "b"])


def embeddings_base64(client: OpenAI) -> Any:
    return client.embeddings.create(model=EMBEDDING_MODEL, input="a", encoding_format="base64")


def files_upload_and_list(client: OpenAI) -> Any:
    made = [
        client.files.create(file=(f"notes-{i}.jsonl", io.BytesIO(b'{"a": 1}\n')), purpose="batch")
        for i in range(3)
    ]
    listed = [f.filename for f in client.files.list(limit=1)]  # auto-pagination, 1 a page
    return [made, sorted(listed)]


def models_list(client: OpenAI) -> Any:
    return [m.id for m in client.models.list()]


def responses_plain(client: OpenAI) -> Any:
    return client.responses.create(model=MODEL, input="Say hello.")


def responses_streamed(client: OpenAI) -> Any:
    return [e.type for e in client.responses.create(model=MODEL, input="Hi.", stream=True)]


def responses_stream_helper(client: OpenAI) -> Any:
    with client.responses.stream(model=MODEL, input="Hi.") as stream:
        for _ in stream:
            pass
        return stream.get_final_response()


def completions_plain(client: OpenAI) -> Any:
    return client.completions.create(model="gpt-3.5-turbo-instruct", prompt="Say", max_tokens=5)


def moderation(client: OpenAI) -> Any:
    return client.moderations.create(model="omni-moderation-latest", input=["a", "b"])


def unknown_model(client: OpenAI) -> Any:
    return client.chat.completions.create(model="no-such-model", messages=MESSAGES)


def bad_key(client: OpenAI) -> Any:
    return client.with_options(api_key="sk-wrong-key-0000000000").models.list()


CALLS: dict[str, Callable[[OpenAI], Any]] = {
    f.__name__: f
    for f in (
        chat_plain,
        chat_streamed,
        chat_stream_helper,
        chat_tools,
        chat_tools_streamed,
        embeddings_float,
        embeddings_base64,
        files_upload_and_list,
        models_list,
        responses_plain,
        responses_streamed,
        responses_stream_helper,
        completions_plain,
        moderation,
        unknown_model,
        bad_key,
    )
}


def outcome(call: Callable[[OpenAI], Any], client: OpenAI) -> Any:
    """What the application got: the parsed result, or the error the SDK raised."""
    try:
        return _dump(call(client))
    except openai.APIStatusError as exc:
        return {
            "raised": type(exc).__name__,
            "status": exc.status_code,
            "body": normalized(exc.body),
        }
    except openai.OpenAIError as exc:
        return {"raised": type(exc).__name__}
