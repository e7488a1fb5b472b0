"""Chat completions, non-streamed and streamed, from one deterministic generation."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from oaiconform.mock.handlers._chat_choices import (
    Choice,
    ToolCall,
    check_request,
    generate_choice,
    logprobs_json,
    message_json,
    plan_tools,
)
from oaiconform.mock.handlers._common import PREFIX, read_json_object, require_model, state_of
from oaiconform.mock.text import prompt_tokens

SYSTEM_FINGERPRINT = "fp_oaiconform"


def _usage(body: dict[str, Any], choices: list[Choice]) -> dict[str, Any]:
    prompt = prompt_tokens(body["messages"])
    completion = sum(c.completion_tokens for c in choices)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


async def create_chat_completion(request: Request) -> Response:
    state = state_of(request)
    body = await read_json_object(request)
    # read_json_object validated the body against this operation's request schema.
    require_model(request, body["model"])
    check_request(body)
    plan = plan_tools(body)
    count = int(body.get("n") or 1)  # JSON Schema's integer admits 1.0
    choices = [generate_choice(state, body, plan, i) for i in range(count)]
    completion_id = state.new_id("chatcmpl")
    created = int(time.time())
    if body.get("stream"):
        return StreamingResponse(
            _stream(completion_id, created, body, choices),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache"},
        )
    completion = {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": body["model"],
        "choices": [
            {
                "index": c.index,
                "message": message_json(c),
                "logprobs": logprobs_json(c),
                "finish_reason": c.finish_reason,
            }
            for c in choices
        ],
        "usage": _usage(body, choices),
        "service_tier": "default",
        "system_fingerprint": SYSTEM_FINGERPRINT,
    }
    state.store.save_chat_completion(request.state.api_key, body, completion)  # if store: true
    return JSONResponse(completion)


def _event(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"


async def _stream(
    completion_id: str, created: int, body: dict[str, Any], choices: list[Choice]
) -> AsyncIterator[bytes]:
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    base = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": body["model"],
        "service_tier": "default",
        "system_fingerprint": SYSTEM_FINGERPRINT,
    }
    extra = {"usage": None} if include_usage else {}

    def chunk(
        index: int, delta: dict[str, Any], finish: str | None = None, logprobs: Any = None
    ) -> bytes:
        return _event(
            {
                **base,
                "choices": [
                    {"index": index, "delta": delta, "logprobs": logprobs, "finish_reason": finish}
                ],
                **extra,
            }
        )

    for choice in choices:
        if choice.tool_calls:
            for delta in _tool_call_deltas(choice.tool_calls):
                yield chunk(choice.index, delta)
        else:
            yield chunk(choice.index, {"role": "assistant", "content": "", "refusal": None})
            for k, token in enumerate(choice.tokens):
                entry = choice.logprobs[k : k + 1] if choice.logprobs else None
                yield chunk(choice.index, {"content": token}, None, logprobs_json(choice, entry))
        yield chunk(choice.index, {}, choice.finish_reason)
    if include_usage:
        yield _event({**base, "choices": [], "usage": _usage(body, choices)})
    yield b"data: [DONE]\n\n"


def _tool_call_deltas(calls: tuple[ToolCall, ...]) -> list[dict[str, Any]]:
    """Per call: a first delta with index, id, type and name, then the argument fragments."""
    deltas: list[dict[str, Any]] = []
    for k, call in enumerate(calls):
        head = {
            "index": k,
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        opening = {"role": "assistant", "content": None, "refusal": None} if k == 0 else {}
        deltas.append({**opening, "tool_calls": [head]})
        deltas.extend(
            {"tool_calls": [{"index": k, "function": {"arguments": fragment}}]}
            for fragment in call.fragments
        )
    return deltas


ROUTES = [Route(f"{PREFIX}/chat/completions", create_chat_completion, methods=["POST"])]
