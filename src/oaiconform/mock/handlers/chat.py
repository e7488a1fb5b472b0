"""Chat completions, non-streamed and streamed, from one deterministic generation."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from oaiconform.mock.handlers._common import PREFIX, read_json_object, require_model, state_of
from oaiconform.mock.state import MockState
from oaiconform.mock.text import generate_tokens, prompt_tokens, rng_for

SYSTEM_FINGERPRINT = "fp_oaiconform"


@dataclass(frozen=True)
class Choice:
    index: int
    tokens: tuple[str, ...]
    finish_reason: str

    @property
    def content(self) -> str:
        return "".join(self.tokens)


def _stop_sequences(body: dict[str, Any]) -> list[str]:
    stop = body.get("stop")
    if isinstance(stop, str):
        return [stop]
    return [s for s in stop or [] if isinstance(s, str) and s]


def _generate(state: MockState, body: dict[str, Any], index: int) -> Choice:
    rng = rng_for(
        state.config.seed,
        body.get("seed"),
        body["model"],
        body["messages"],
        index,
        body.get("temperature"),
    )
    tokens = generate_tokens(rng, rng.randint(8, 24))
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    finish = "stop"
    if isinstance(limit, int) and limit < len(tokens):
        tokens, finish = tokens[:limit], "length"
    for stop in _stop_sequences(body):
        text = "".join(tokens)
        cut = text.find(stop)
        if cut >= 0:
            kept, total = [], 0  # keep whole tokens that end before the stop sequence
            for token in tokens:
                if total + len(token) > cut:
                    break
                kept.append(token)
                total += len(token)
            tokens, finish = kept, "stop"
    return Choice(index, tuple(tokens), finish)


def _usage(body: dict[str, Any], choices: list[Choice]) -> dict[str, Any]:
    prompt = prompt_tokens(body["messages"])
    completion = sum(len(c.tokens) for c in choices)
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
    state.validate_request("createChatCompletion", body)
    require_model(request, body["model"])
    choices = [_generate(state, body, i) for i in range(body.get("n") or 1)]
    completion_id = state.new_id("chatcmpl")
    created = int(time.time())
    if body.get("stream"):
        return StreamingResponse(
            _stream(completion_id, created, body, choices),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache"},
        )
    return JSONResponse(
        {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": body["model"],
            "choices": [
                {
                    "index": c.index,
                    "message": {
                        "role": "assistant",
                        "content": c.content,
                        "refusal": None,
                        "annotations": [],
                    },
                    "logprobs": None,
                    "finish_reason": c.finish_reason,
                }
                for c in choices
            ],
            "usage": _usage(body, choices),
            "service_tier": "default",
            "system_fingerprint": SYSTEM_FINGERPRINT,
        }
    )


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

    def chunk(index: int, delta: dict[str, Any], finish: str | None = None) -> bytes:
        return _event(
            {
                **base,
                "choices": [
                    {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
                ],
                **extra,
            }
        )

    for choice in choices:
        yield chunk(choice.index, {"role": "assistant", "content": "", "refusal": None})
        for token in choice.tokens:
            yield chunk(choice.index, {"content": token})
        yield chunk(choice.index, {}, choice.finish_reason)
    if include_usage:
        yield _event({**base, "choices": [], "usage": _usage(body, choices)})
    yield b"data: [DONE]\n\n"


ROUTES = [Route(f"{PREFIX}/chat/completions", create_chat_completion, methods=["POST"])]
