"""Faults of the parameter family: a parameter accepted and then ignored, as servers shipped.

Most drop the parameter from the request before the (correct) handlers see it, which is
exactly what a server that accepts and ignores it does; the answer then shows the default
behaviour. A few need more: `seed` ignored draws a fresh seed per request, `store` ignored
keeps nothing unless asked explicitly, and Responses' parallel_tool_calls ignored answers
one call twice. `refuses-chat-logprobs` is the honest alternative: a 400 naming the parameter.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from oaiconform.mock.faults._core import BodyRewrite, Fault, ResponseParts
from oaiconform.mock.handlers._common import PREFIX

BodyChange = Callable[[dict[str, Any]], dict[str, Any]]
_DRAWS = itertools.count(1)


def _on_body(route: str, change: BodyChange) -> BodyRewrite:
    """Apply `change` to the JSON object body of POST /v1/<route>; other bodies pass."""

    def rewrite(method: str, path: str, raw: bytes) -> bytes:
        if method != "POST" or path.rstrip("/") != f"{PREFIX}/{route}":
            return raw
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return raw
        return json.dumps(change(body)).encode() if isinstance(body, dict) else raw

    return rewrite


def _dropping(*names: str) -> BodyChange:
    return lambda body: {k: v for k, v in body.items() if k not in names}


def _fresh_seed(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "seed": 1_000_003 * next(_DRAWS)} if "seed" in body else body


def _not_stored_by_default(body: dict[str, Any]) -> dict[str, Any]:
    return body if body.get("store") is True else {**body, "store": False}


def _call_twice(parts: ResponseParts) -> ResponseParts:
    """Responses with parallel_tool_calls false: the one function call is made twice."""
    request = parts.request_json()
    if (
        parts.method != "POST"
        or parts.path.rstrip("/") != f"{PREFIX}/responses"
        or parts.status != 200
        or not isinstance(request, dict)
        or request.get("parallel_tool_calls") is not False
    ):
        return parts
    try:
        body = json.loads(parts.body)
    except ValueError:
        return parts
    output = body.get("output") if isinstance(body, dict) else None
    calls = [i for i in output or [] if isinstance(i, dict) and i.get("type") == "function_call"]
    if not calls:
        return parts
    twin = {**calls[0], "id": f"{calls[0]['id']}_2", "call_id": f"{calls[0]['call_id']}_2"}
    body["output"] = [*(output or []), twin]
    return replace(parts, body=json.dumps(body).encode())


def _refuse_logprobs(parts: ResponseParts) -> ResponseParts:
    request = parts.request_json()
    if (
        parts.method != "POST"
        or parts.path.rstrip("/") != f"{PREFIX}/chat/completions"
        or not isinstance(request, dict)
        or "logprobs" not in request
    ):
        return parts
    error = {
        "error": {
            "message": "logprobs is not supported by this server",
            "type": "invalid_request_error",
            "param": "logprobs",
            "code": "unsupported_parameter",
        }
    }
    headers = [(k, v) for k, v in parts.headers if k.lower() != b"content-type"]
    headers.append((b"content-type", b"application/json"))
    return replace(parts, status=400, headers=headers, body=json.dumps(error).encode())


def _ignores(route: str, *names: str, modelled_on: str) -> Fault:
    endpoint = route.split("/")[0]
    return Fault(
        f"ignores-{endpoint}-{names[0]}",
        f"{route} accepts {' and '.join(names)} and answers as if absent",
        modelled_on,
        request_body=_on_body(route, _dropping(*names)),
    )


CHAT = "chat/completions"
FAULTS = (
    _ignores(CHAT, "n", modelled_on="llama.cpp's server and Ollama, which answer one choice"),
    _ignores(CHAT, "stop", modelled_on="servers whose OpenAI shim drops stop"),
    _ignores(CHAT, "max_tokens", modelled_on="shims that forget to map max_tokens"),
    _ignores(
        CHAT,
        "max_completion_tokens",
        modelled_on="servers that only know max_tokens (unbounded output, finish stop)",
    ),
    _ignores(CHAT, "logprobs", "top_logprobs", modelled_on="servers that return logprobs: null"),
    _ignores(CHAT, "top_logprobs", modelled_on="servers that return the chosen token only"),
    _ignores(CHAT, "response_format", modelled_on="servers without constrained decoding"),
    _ignores(CHAT, "tool_choice", modelled_on="servers that always decide as under auto"),
    _ignores(CHAT, "parallel_tool_calls", modelled_on="servers that ignore parallel_tool_calls"),
    _ignores(CHAT, "stream_options", modelled_on="servers that never send the usage chunk"),
    Fault(
        "ignores-chat-seed",
        "chat/completions draws a fresh seed per request, whatever seed was asked",
        "sampling servers that do not seed their sampler from the request",
        request_body=_on_body(CHAT, _fresh_seed),
    ),
    _ignores("completions", "n", modelled_on="servers that answer one choice per prompt"),
    _ignores("completions", "stop", modelled_on="servers whose legacy route drops stop"),
    _ignores("completions", "max_tokens", modelled_on="shims that forget to map max_tokens"),
    _ignores("completions", "echo", modelled_on="servers that never echo the prompt"),
    _ignores("embeddings", "dimensions", modelled_on="servers of fixed-size models"),
    _ignores("embeddings", "encoding_format", modelled_on="servers that always send floats"),
    _ignores("responses", "max_output_tokens", modelled_on="Responses shims that drop the limit"),
    _ignores(
        "responses",
        "previous_response_id",
        modelled_on="stateless Responses shims over chat completions",
    ),
    _ignores("responses", "instructions", modelled_on="shims that drop the system message"),
    _ignores("responses", "text", modelled_on="shims without structured outputs"),
    Fault(
        "ignores-responses-store",
        "responses are not stored unless store: true is sent (the default is forced off)",
        "stateless Responses shims that never keep a response",
        request_body=_on_body("responses", _not_stored_by_default),
    ),
    Fault(
        "ignores-responses-parallel_tool_calls",
        "with parallel_tool_calls false, the response's function call is made twice",
        "servers that ignore parallel_tool_calls",
        response=_call_twice,
    ),
    Fault(
        "refuses-chat-logprobs",
        "chat/completions refuses logprobs with a 400 naming it (honest, not ignored)",
        "servers without logprobs that say so",
        response=_refuse_logprobs,
    ),
)
