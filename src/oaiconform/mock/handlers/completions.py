"""Legacy completions: `POST /completions`, non-streamed and streamed.

Each prompt gets `n` choices (index = prompt position * n + j), generated deterministically
from the request and seed; `max_tokens` defaults to 16 as in the API. Streamed chunks carry one
token each and join to exactly the non-streamed text, echo and logprobs included.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from oaiconform.mock.errors import APIError
from oaiconform.mock.handlers._common import PREFIX, read_json_object, require_model, state_of
from oaiconform.mock.text import (
    count_tokens,
    cut_tokens,
    decode_token_ids,
    generate_tokens,
    rng_for,
    split_tokens,
    stop_sequences,
    token_logprobs,
)

SYSTEM_FINGERPRINT = "fp_oaiconform"
DEFAULT_MAX_TOKENS = 16
DEFAULT_PROMPT = "<|endoftext|>"


@dataclass(frozen=True)
class Prompt:
    text: str
    tokens: int


@dataclass(frozen=True)
class TextChoice:
    index: int
    prompt: Prompt
    echo: str  # the prompt text when echo is set, else ""
    tokens: tuple[str, ...]  # generated tokens only
    finish_reason: str
    logprobs: tuple[tuple[str, float, list[tuple[str, float]]], ...] | None

    @property
    def text(self) -> str:
        return self.echo + "".join(self.tokens)


def _prompts(raw: Any) -> list[Prompt]:
    if raw is None:
        raw = DEFAULT_PROMPT
    if isinstance(raw, str):
        return [Prompt(raw, count_tokens(raw))]
    if raw and all(isinstance(x, int) for x in raw):
        return [Prompt(decode_token_ids(raw), len(raw))]
    prompts = []
    for item in raw or [DEFAULT_PROMPT]:
        if isinstance(item, str):
            prompts.append(Prompt(item, count_tokens(item)))
        else:
            prompts.append(Prompt(decode_token_ids(item), len(item)))
    return prompts


def _check(body: dict[str, Any], n: int) -> None:
    best_of = body.get("best_of")
    if best_of is not None and best_of < n:
        raise APIError(400, "best_of must be greater than or equal to n.", param="best_of")
    if body.get("stream") and best_of is not None and best_of > 1:
        raise APIError(400, "Cannot stream results with best_of > 1.", param="best_of")


def _generate(
    seed: int, body: dict[str, Any], prompt: Prompt, position: int, j: int, index: int
) -> TextChoice:
    parts = (seed, body.get("seed"), body["model"], prompt.text, body.get("suffix"), position, j)
    rng = rng_for(*parts, body.get("temperature"))
    limit = body.get("max_tokens")
    limit = DEFAULT_MAX_TOKENS if limit is None else limit
    tokens = generate_tokens(rng, rng.randint(8, 24))
    tokens = [" " + tokens[0], *tokens[1:]] if tokens else tokens
    tokens, finish = cut_tokens(tokens, limit, stop_sequences(body.get("stop")))
    echo = prompt.text if body.get("echo") else ""
    logprobs = None
    if body.get("logprobs") is not None:
        scored = split_tokens(echo) + tokens
        logprobs = tuple(token_logprobs(rng_for(*parts, "logprobs"), scored, body["logprobs"]))
    return TextChoice(index, prompt, echo, tuple(tokens), finish or "stop", logprobs)


def _logprobs_json(choice: TextChoice, start: int = 0, end: int | None = None) -> Any:
    if choice.logprobs is None:
        return None
    entries = choice.logprobs[start:end]
    offset = 0 if choice.echo else len(choice.prompt.text)
    offsets = []
    for token, _, _ in choice.logprobs[:start]:
        offset += len(token)
    for token, _, _ in entries:
        offsets.append(offset)
        offset += len(token)
    return {
        "tokens": [token for token, _, _ in entries],
        "token_logprobs": [logprob for _, logprob, _ in entries],
        "top_logprobs": [dict(top) for _, _, top in entries],
        "text_offset": offsets,
    }


def _usage(prompts: list[Prompt], choices: list[TextChoice]) -> dict[str, int]:
    prompt = sum(p.tokens for p in prompts)
    completion = sum(len(c.tokens) for c in choices)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


async def create_completion(request: Request) -> Response:
    state = state_of(request)
    body = await read_json_object(request)
    # read_json_object validated the body against this operation's request schema.
    require_model(request, body["model"], "completions")
    n = int(body.get("n") or 1)  # JSON Schema's integer admits 1.0
    _check(body, n)
    prompts = _prompts(body.get("prompt"))
    choices = [
        _generate(state.config.seed, body, prompt, position, j, position * n + j)
        for position, prompt in enumerate(prompts)
        for j in range(n)
    ]
    base = {
        "id": state.new_id("cmpl"),
        "object": "text_completion",
        "created": int(time.time()),
        "model": body["model"],
        "system_fingerprint": SYSTEM_FINGERPRINT,
    }
    if body.get("stream"):
        return StreamingResponse(
            _stream(base, body, prompts, choices),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache"},
        )
    return JSONResponse(
        {
            **base,
            "choices": [
                {
                    "text": c.text,
                    "index": c.index,
                    "logprobs": _logprobs_json(c),
                    "finish_reason": c.finish_reason,
                }
                for c in choices
            ],
            "usage": _usage(prompts, choices),
        }
    )


def _event(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"


async def _stream(
    base: dict[str, Any], body: dict[str, Any], prompts: list[Prompt], choices: list[TextChoice]
) -> AsyncIterator[bytes]:
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    extra = {"usage": None} if include_usage else {}

    def chunk(choice: TextChoice, text: str, start: int, finish: str | None = None) -> bytes:
        logprobs = _logprobs_json(choice, start, start + 1) if text else None
        return _event(
            {
                **base,
                "choices": [
                    {
                        "text": text,
                        "index": choice.index,
                        "logprobs": logprobs,
                        "finish_reason": finish,
                    }
                ],
                **extra,
            }
        )

    for choice in choices:
        pieces = [*split_tokens(choice.echo), *choice.tokens]
        for k, piece in enumerate(pieces):
            yield chunk(choice, piece, k)
        yield chunk(choice, "", len(pieces), choice.finish_reason)
    if include_usage:
        yield _event({**base, "choices": [], "usage": _usage(prompts, choices)})
    yield b"data: [DONE]\n\n"


ROUTES = [Route(f"{PREFIX}/completions", create_completion, methods=["POST"])]
