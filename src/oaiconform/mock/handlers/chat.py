"""Chat completions, non-streamed and streamed, from one deterministic generation."""

from __future__ import annotations

import json
import random
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from oaiconform.mock.answers import asked_kind, last_user_text
from oaiconform.mock.catalog import kind_of_name
from oaiconform.mock.handlers._chat_choices import (
    Choice,
    ToolCall,
    check_request,
    generate_choice,
    logprobs_json,
    message_json,
    plan_tools,
)
from oaiconform.mock.handlers._common import (
    JSON,
    PREFIX,
    json_bytes,
    json_response,
    read_json_object,
    require_model,
    state_of,
)
from oaiconform.mock.handlers._model_defaults import (
    has_choice_logprobs,
    has_fingerprint,
    splits_usage_by_modality,
)
from oaiconform.mock.handlers._model_rules import check_chat_content, check_chat_parameters
from oaiconform.mock.handlers.moderations import moderated
from oaiconform.mock.text import obfuscation, prompt_tokens, rng_for

SYSTEM_FINGERPRINT = "fp_oaiconform"


def _usage_details(reasoning: int = 0) -> dict[str, Any]:
    return {
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": reasoning,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _token_counts(body: dict[str, Any], choices: list[Choice]) -> tuple[int, int]:
    return prompt_tokens(body["messages"]), sum(c.completion_tokens for c in choices)


def _usage(body: dict[str, Any], choices: list[Choice]) -> dict[str, Any]:
    """The usage, with what the real API adds by request and model: `cache_write_tokens` when
    the request asks for explicit prompt caching (`prompt_cache_options`), and the audio
    models' split of the tokens by modality (`text_tokens`, `image_tokens`)."""
    prompt, completion = _token_counts(body, choices)
    details = _usage_details(sum(c.reasoning_tokens for c in choices))
    if body.get("prompt_cache_options") is not None:
        details["prompt_tokens_details"]["cache_write_tokens"] = 0
    if splits_usage_by_modality(body["model"]):  # both: _beyond_common
        details["prompt_tokens_details"].update(text_tokens=prompt, image_tokens=0)
        details["completion_tokens_details"]["text_tokens"] = completion
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        **details,
    }


async def create_chat_completion(request: Request) -> Response:
    state = state_of(request)
    body = await read_json_object(request)
    # read_json_object validated the body against this operation's request schema.
    model = require_model(request, body["model"], "chat", state)
    check_request(body)
    check_chat_parameters(body, model)
    check_chat_content(body, model)
    kind = asked_kind(request.scope["headers"], last_user_text(body["messages"]))
    plan = plan_tools(body, kind)
    count = int(body.get("n") or 1)  # JSON Schema's integer admits 1.0
    reasoning = model.kind == "reasoning"
    choices = [generate_choice(state, body, plan, i, kind, reasoning) for i in range(count)]
    completion_id = state.new_id("chatcmpl")
    created = int(time.time())
    stream = bool(body.get("stream"))
    answer = "".join(choices[0].tokens) if choices else ""
    user = last_user_text(body["messages"])
    moderation = moderated(state.config.seed, state.spec, body.get("moderation"), user, answer,
                           chat=True)  # fmt: skip
    if body.get("store") is True:
        # A streamed completion is stored too, as the message its deltas join to; before the
        # first byte, so that a storage limit is still an error status, never a broken stream.
        completion = _completion(completion_id, created, body, choices, moderation)
        key: str = request.scope["state"]["api_key"]  # set by the Gateway layer
        state.store.save_chat_completion(key, body, completion)
        if not stream:
            return json_response(completion)
    if stream:
        pad = rng_for(state.config.seed, completion_id, "obfuscation")
        return StreamingResponse(
            _stream(
                completion_id,
                created,
                body,
                choices,
                pad if state.config.obfuscation else None,
                moderation,
            ),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache"},
        )
    if not _answered_like_gpt4(body["model"], reasoning) or _beyond_common(body):
        return json_response(_completion(completion_id, created, body, choices, moderation))
    return Response(_completion_bytes(completion_id, created, body, choices), media_type=JSON)


def _beyond_common(body: dict[str, Any]) -> bool:
    """Whether the answer has members beyond the common ones: usage details (`_usage`), a
    `moderation`."""
    return (
        body.get("prompt_cache_options") is not None
        or splits_usage_by_modality(body["model"])
        or body.get("moderation") is not None
    )


def _answered_like_gpt4(model: str, reasoning: bool) -> bool:
    """Whether the answer has the common shape (a fingerprint, `logprobs` in each choice),
    which `_completion_bytes` writes fast; reasoning models' choices have no `logprobs`, and
    gpt-5 models' fingerprint is null (tests/corpus/real_api/)."""
    return has_choice_logprobs(model, reasoning) and has_fingerprint(model)


def _choice_json(choice: Choice, with_logprobs: bool = True) -> dict[str, Any]:
    found = {
        "index": choice.index,
        "message": message_json(choice),
        "logprobs": logprobs_json(choice),
        "finish_reason": choice.finish_reason,
    }
    if not with_logprobs and found["logprobs"] is None:
        del found["logprobs"]
    return found


def _with_logprobs(model: str) -> bool:
    return has_choice_logprobs(model, kind_of_name(model) == "reasoning")


def _completion(
    completion_id: str,
    created: int,
    body: dict[str, Any],
    choices: list[Choice],
    moderation: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The non-streamed answer; also what a streamed one created with `store: true` keeps."""
    model = body["model"]
    with_logprobs = _with_logprobs(model)
    found = {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [_choice_json(c, with_logprobs) for c in choices],
        "usage": _usage(body, choices),
        "service_tier": "default",
        "system_fingerprint": SYSTEM_FINGERPRINT if has_fingerprint(model) else None,
    }
    if moderation is not None:
        found["moderation"] = moderation
    return found


# What every completion's JSON says alike, encoded once: _completion_bytes only encodes the
# parts that change (the choices above all), and is tested byte-equal to encoding _completion.
_USAGE_DETAILS_JSON = json_bytes(_usage_details())[1:-1]
_COMPLETION_TAIL = b',"service_tier":"default","system_fingerprint":%s}' % json_bytes(
    SYSTEM_FINGERPRINT
)


def _completion_bytes(
    completion_id: str, created: int, body: dict[str, Any], choices: list[Choice]
) -> bytes:
    """`json_bytes(_completion(...))`, without encoding the fixed parts on every request."""
    prompt, completion = _token_counts(body, choices)
    reasoning = sum(c.reasoning_tokens for c in choices)
    details = json_bytes(_usage_details(reasoning))[1:-1] if reasoning else _USAGE_DETAILS_JSON
    return b"".join(
        (
            b'{"id":%s,"object":"chat.completion","created":%d,"model":%s,"choices":'
            % (json_bytes(completion_id), created, json_bytes(body["model"])),
            json_bytes([_choice_json(c) for c in choices]),
            b',"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d,'
            % (prompt, completion, prompt + completion),
            details,
            b"}",
            _COMPLETION_TAIL,
        )
    )


# json.dumps(payload, separators=(",", ":")) with one encoder, not one per chunk of a stream.
_CHUNK_ENCODER = json.JSONEncoder(separators=(",", ":"), check_circular=False)


def _event(payload: dict[str, Any]) -> bytes:
    return b"data: " + _CHUNK_ENCODER.encode(payload).encode() + b"\n\n"


async def _stream(
    completion_id: str,
    created: int,
    body: dict[str, Any],
    choices: list[Choice],
    pad: random.Random | None = None,
    moderation: dict[str, Any] | None = None,
) -> AsyncIterator[bytes]:
    """The chunks; with `pad`, each carries the API's `obfuscation` padding drawn from it; a
    `moderation` comes last, in a chunk of its own."""
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    model = body["model"]
    with_logprobs = _with_logprobs(model)
    base = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "service_tier": "default",
        "system_fingerprint": SYSTEM_FINGERPRINT if has_fingerprint(model) else None,
    }
    extra = {"usage": None} if include_usage else {}

    def event(payload: dict[str, Any]) -> bytes:
        if pad is not None:
            payload["obfuscation"] = obfuscation(pad, len(str(payload.get("choices"))))
        return _event(payload)

    def chunk(
        index: int, delta: dict[str, Any], finish: str | None = None, logprobs: Any = None
    ) -> bytes:
        choice = {"index": index, "delta": delta, "logprobs": logprobs, "finish_reason": finish}
        if not with_logprobs and logprobs is None:
            del choice["logprobs"]
        return event({**base, "choices": [choice], **extra})

    for choice in choices:
        if choice.tool_calls:
            for delta in _tool_call_deltas(choice.tool_calls):
                yield chunk(choice.index, delta)
        elif choice.refusal:
            yield chunk(choice.index, {"role": "assistant", "content": None, "refusal": ""})
            for token in choice.tokens:
                yield chunk(choice.index, {"refusal": token})
        else:
            yield chunk(choice.index, {"role": "assistant", "content": "", "refusal": None})
            for k, token in enumerate(choice.tokens):
                entry = choice.logprobs[k : k + 1] if choice.logprobs else None
                yield chunk(choice.index, {"content": token}, None, logprobs_json(choice, entry))
        yield chunk(choice.index, {}, choice.finish_reason)
    if include_usage:
        yield event({**base, "choices": [], "usage": _usage(body, choices)})
    if moderation is not None:
        yield event({**base, "choices": [], "moderation": moderation, **extra})
    yield b"data: [DONE]\n\n"


def _tool_call_deltas(calls: tuple[ToolCall, ...]) -> list[dict[str, Any]]:
    """Per call a first delta with index, id, type and name, then the argument fragments; the
    role opens the first call's delta, or, before parallel calls, comes alone (as the API
    streams them: tests/corpus/real_api/, pydantic-ai's chat tool-call streams)."""
    deltas: list[dict[str, Any]] = []
    if len(calls) > 1:
        deltas.append({"role": "assistant", "content": None})
    for k, call in enumerate(calls):
        head = {
            "index": k,
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        single = len(calls) == 1
        opening = {"role": "assistant", "content": None, "refusal": None} if single else {}
        deltas.append({**opening, "tool_calls": [head]})
        deltas.extend(
            {"tool_calls": [{"index": k, "function": {"arguments": fragment}}]}
            for fragment in call.fragments
        )
    return deltas


ROUTES = [Route(f"{PREFIX}/chat/completions", create_chat_completion, methods=["POST"])]
