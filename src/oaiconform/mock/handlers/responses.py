"""The Responses API: create (plain, streamed or in the background), retrieve, cancel, delete,
list input items.

A response is stored (per API key) unless the request says `store: false`. A later request may
continue it with `previous_response_id`: the earlier input and output are the new request's
context (they count in usage.input_tokens), and an unknown or unstored id is a 404.

Background mode is deterministic: `background: true` (not streamed) answers the response
`queued`, without output or usage, and stores it whatever `store` says, so that it can be polled;
its first retrieve finds it finished (`completed`, or `incomplete` at max_output_tokens). Cancel
turns a queued one into `cancelled` for good; cancelling a finished or cancelled background
response answers it unchanged, and cancelling a response created without `background: true`
is a 400, as the API refuses it. A streamed background response runs to its end in the stream.
"""

from __future__ import annotations

import itertools
import json
import random
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from oaiconform.mock.answers import asked_kind, asked_reasoning, last_user_text
from oaiconform.mock.errors import APIError
from oaiconform.mock.handlers import _model_defaults as model_defaults
from oaiconform.mock.handlers._common import PREFIX, read_json_object, require_model, state_of
from oaiconform.mock.handlers._model_rules import (
    check_responses_files,
    check_responses_parameters,
)
from oaiconform.mock.handlers._responses_output import (
    Generated,
    count_item_tokens,
    generate,
    input_items,
    output_items,
    stream_events,
    unfinished,
)
from oaiconform.mock.handlers._responses_tools import echoed_tools
from oaiconform.mock.handlers.moderations import moderated
from oaiconform.mock.pagination import INPUT_ITEMS, paginate, parse_page_request
from oaiconform.mock.state import MockState
from oaiconform.mock.store import StoredObject
from oaiconform.mock.text import count_tokens, obfuscation, rng_for

KIND = "response"
_FINISHED = "finished"  # where a queued background response keeps the object it becomes
_GENERATED = "generated"  # a background response's finished object and output, for its events


def _id_maker(state: MockState) -> Callable[[str], str]:
    def new_id(prefix: str) -> str:
        return state.new_id(prefix).replace(f"{prefix}-", f"{prefix}_", 1)

    return new_id


def _not_found(response_id: str) -> APIError:
    return APIError(404, f"Response with id '{response_id}' not found.", param="response_id")


def _previous(state: MockState, key: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The conversation so far (earlier inputs and outputs) when the request continues one."""
    previous_id = body.get("previous_response_id")
    if previous_id is None:
        return []
    stored = state.store.get(key, KIND, str(previous_id))
    if stored is None:
        raise APIError(
            404,
            f"Previous response with id '{previous_id}' not found.",
            param="previous_response_id",
            code="previous_response_not_found",
        )
    conversation: list[dict[str, Any]] = stored.extra["conversation"]
    return conversation


def _usage(input_tokens: int, generated: Generated) -> dict[str, Any]:
    output = generated.output_tokens
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": output,
        "output_tokens_details": {"reasoning_tokens": generated.reasoning_tokens},
        "total_tokens": input_tokens + output,
    }


def _response_object(
    response_id: str,
    body: dict[str, Any],
    generated: Generated,
    input_tokens: int,
    created: int,
    moderation: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The Response as the real API answers it today (tests/corpus/real_api/, 2026): every
    request parameter echoed with its default, and the members the pinned description may not
    have yet (billing, moderation, prompt_cache_retention, tool_usage, reasoning.context...)."""
    incomplete = generated.incomplete
    return {
        "id": response_id,
        "object": "response",
        "created_at": created,
        "status": "incomplete" if incomplete else "completed",
        "background": body.get("background") is True,
        "billing": {"payer": "developer"},
        "completed_at": None if incomplete else created,
        "error": None,
        "frequency_penalty": _given(body, "frequency_penalty", 0.0),
        "incomplete_details": {"reason": generated.incomplete_reason} if incomplete else None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": body.get("max_tool_calls"),
        "model": body["model"],
        "moderation": moderation,  # when the request asks for it (moderations.moderated)
        "output": output_items(generated),
        "parallel_tool_calls": _given(body, "parallel_tool_calls", True),
        "presence_penalty": _given(body, "presence_penalty", 0.0),
        "previous_response_id": body.get("previous_response_id"),
        "prompt_cache_key": body.get("prompt_cache_key"),
        "prompt_cache_retention": _given(
            body, "prompt_cache_retention", model_defaults.cache_retention(body["model"])
        ),
        "reasoning": _reasoning(body, generated),
        "safety_identifier": body.get("safety_identifier"),
        "service_tier": "default",
        "store": _given(body, "store", True),
        "temperature": _given(body, "temperature", 1.0),
        "text": _text(body),
        "tool_choice": _given(body, "tool_choice", "auto"),
        "tool_usage": _TOOL_USAGE,
        "tools": echoed_tools(body),
        "top_logprobs": _given(body, "top_logprobs", 0),
        "top_p": _given(body, "top_p", 1.0),
        "truncation": body.get("truncation") or "disabled",
        "usage": _usage(input_tokens, generated),
        "user": _given(body, "user", None),
        "metadata": body.get("metadata") or {},
        **_conversation(body),
        **_cache_options(body),
    }


def _cache_options(body: dict[str, Any]) -> dict[str, Any]:
    """Explicit prompt caching's `prompt_cache_options`, echoed when the request gives them
    (the API echoes them then only; tests/corpus/real_api/), with the described defaults for
    what they leave out (`ttl` "30m", `mode` "implicit")."""
    options = body.get("prompt_cache_options")
    if not isinstance(options, dict):
        return {}
    given = {name: value for name, value in options.items() if value is not None}
    return {"prompt_cache_options": {"ttl": "30m", "mode": "implicit", **given}}


# What the real API reports of its built-in tools' use (none here: the mock runs none).
_TOOL_USAGE = {
    "image_gen": {
        "input_tokens": 0,
        "input_tokens_details": {"image_tokens": 0, "text_tokens": 0},
        "output_tokens": 0,
        "output_tokens_details": {"image_tokens": 0, "text_tokens": 0},
        "total_tokens": 0,
    },
    "web_search": {"num_requests": 0},
}


def _text(body: dict[str, Any]) -> dict[str, Any]:
    """`text` echoed: the format (text by default; a json_schema one with its description,
    null when absent) and the verbosity ("medium" by default)."""
    text = dict(body.get("text") or {})
    text_format = text.get("format") or {"type": "text"}
    if isinstance(text_format, dict) and text_format.get("type") == "json_schema":
        text_format = {"description": None, **text_format}
    return {**text, "format": text_format, "verbosity": text.get("verbosity") or "medium"}


def _conversation(body: dict[str, Any]) -> dict[str, Any]:
    """The conversation a request names, echoed as `{"id": ...}` (absent when none)."""
    conversation = body.get("conversation")
    if isinstance(conversation, str):
        return {"conversation": {"id": conversation}}
    if isinstance(conversation, dict) and "id" in conversation:
        return {"conversation": {"id": conversation["id"]}}
    return {}


def _reasoning(body: dict[str, Any], generated: Generated) -> dict[str, Any]:
    """A reasoning model's effort (the request's, else the model's default), with the
    `context` and `mode` the API echoes; null effort for other models."""
    asked = body.get("reasoning") or {}
    if not generated.reasoning_model:
        return {"effort": None, "summary": None}
    return {
        "context": asked.get("context") or "all_turns",
        "effort": asked.get("effort") or model_defaults.reasoning_effort(body["model"]),
        "mode": asked.get("mode") or "standard",
        "summary": asked.get("summary"),
    }


def _given(body: dict[str, Any], name: str, default: Any) -> Any:
    """The request's value echoed in the response, or the API's default for null or absent:
    the request schema allows `null` for several fields the response object requires (e.g.
    `parallel_tool_calls: null` is answered `true`, never echoed as null)."""
    value = body.get(name)
    return default if value is None else value


def _check_reasoning_items(given: Any) -> None:
    """A reasoning item sent back must be followed by the item it led to: the API refuses one
    followed by a message without an id (an edited turn: it cannot be matched; a function call
    is matched by its call_id), as pydantic-ai's recordings show."""
    items = given if isinstance(given, list) else []
    for item, following in itertools.pairwise(items):
        if not (isinstance(item, dict) and item.get("type") == "reasoning" and "id" in item):
            continue
        message = isinstance(following, dict) and following.get("type", "message") == "message"
        if message and not following.get("id"):
            raise APIError(
                400,
                f"Item '{item['id']}' of type 'reasoning' was provided without its required "
                "following item.",
                param="input",
            )


async def create_response(request: Request) -> Response:
    state = state_of(request)
    key = request.state.api_key
    body = await read_json_object(request)
    # read_json_object validated the body against this operation's request schema.
    if not isinstance(body.get("model"), str):
        raise APIError(400, "Missing required parameter: 'model'.", param="model")
    model = require_model(request, body["model"], "responses")
    check_responses_parameters(body, model)
    check_responses_files(body)
    _check_reasoning_items(body.get("input"))
    new_id = _id_maker(state)
    history = _previous(state, key, body)
    items = input_items(body.get("input", []), new_id)
    context = [*history, *items]
    kind = asked_kind(request.scope["headers"], last_user_text(items))
    reasoning = model.kind == "reasoning"
    shown = asked_reasoning(request.scope["headers"])
    generated = generate(state.config.seed, body, context, new_id, kind, reasoning, shown)
    instructions = body.get("instructions")
    input_tokens = count_item_tokens(context) + (
        4 + count_tokens(str(instructions)) if instructions else 0
    )
    response_id = new_id("resp")
    created = int(time.time())
    moderation = moderated(state.config.seed, state.spec, body.get("moderation"),
                           last_user_text(items), generated.text, chat=False)  # fmt: skip
    response = _response_object(response_id, body, generated, input_tokens, created, moderation)
    queued = response["background"] and not body.get("stream")
    answer = unfinished(response, "queued") if queued else response
    if body.get("store", True) or queued:
        extra: dict[str, Any] = {
            "input_items": items,
            "conversation": [*context, *response["output"]],
        }
        if queued:
            extra[_FINISHED] = response
        if response["background"]:  # its events can be streamed again (retrieve_response)
            extra[_GENERATED] = (response, generated)
        state.store.add(key, KIND, StoredObject(response_id, created, answer, extra=extra))
    if body.get("stream"):
        pad = rng_for(state.config.seed, response_id, "obfuscation")
        return StreamingResponse(
            _sse(response, generated, pad if state.config.obfuscation else None),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache"},
        )
    return JSONResponse(answer)


async def _sse(
    response: dict[str, Any],
    generated: Generated,
    pad: random.Random | None,
    starting_after: int = -1,
) -> AsyncIterator[bytes]:
    """The events (those after `starting_after`); the response they carry has no `billing`
    (the API's stream events have none), and with `pad` each delta carries the API's
    `obfuscation` padding (drawn for every event, so a resumed stream pads alike)."""
    streamed = {k: v for k, v in response.items() if k != "billing"}
    for number, event in enumerate(stream_events(streamed, generated)):
        if number <= starting_after:
            if pad is not None and event["type"].endswith(".delta"):
                obfuscation(pad, len(str(event.get("delta"))))
            continue
        payload = {"type": event["type"], "sequence_number": number, **event}
        if pad is not None and event["type"].endswith(".delta"):
            payload["obfuscation"] = obfuscation(pad, len(str(event.get("delta"))))
        data = json.dumps(payload, separators=(",", ":"))
        yield f"event: {event['type']}\ndata: {data}\n\n".encode()


def _stored(request: Request, change: Callable[[StoredObject], None] | None = None) -> StoredObject:
    """The key's stored response (after `change`, applied atomically), or the 404."""
    response_id = request.path_params["response_id"]
    store, key = state_of(request).store, request.state.api_key
    if change is None:
        found = store.get(key, KIND, response_id)
    else:
        found = store.update(key, KIND, response_id, change)
    if found is None:
        raise _not_found(response_id)
    return found


def _finish(stored: StoredObject) -> None:
    """A queued background response finishes when it is first looked at."""
    finished = stored.extra.pop(_FINISHED, None)
    if finished is not None:
        stored.body = finished


def _cancel(stored: StoredObject) -> None:
    if stored.body.get("background") is not True:
        raise APIError(400, "Cannot cancel a synchronous response.")
    if stored.extra.pop(_FINISHED, None) is not None:
        stored.body = {**stored.body, "status": "cancelled"}


async def retrieve_response(request: Request) -> Response:
    """The stored response; with `stream=true`, a background response's events again, from
    after `starting_after` (a sequence number), as the API resumes a stream."""
    query = request.query_params
    if query.get("stream") != "true":
        return JSONResponse(_stored(request, _finish).body)
    stored = _stored(request, _finish)
    if _GENERATED not in stored.extra:
        raise APIError(
            400,
            "This response cannot be streamed because it was not created with background=true.",
            param="stream",
        )
    after = query.get("starting_after", "-1")
    if not after.lstrip("-").isdigit():
        raise APIError(400, f"Invalid 'starting_after': {after!r}.", param="starting_after")
    response, generated = stored.extra[_GENERATED]
    state = state_of(request)
    pad = rng_for(state.config.seed, response["id"], "obfuscation")
    return StreamingResponse(
        _sse(response, generated, pad if state.config.obfuscation else None, int(after)),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache"},
    )


async def cancel_response(request: Request) -> Response:
    return JSONResponse(_stored(request, _cancel).body)


async def delete_response(request: Request) -> Response:
    response_id = request.path_params["response_id"]
    if not state_of(request).store.delete(request.state.api_key, KIND, response_id):
        raise _not_found(response_id)
    return JSONResponse({"id": response_id, "object": "response.deleted", "deleted": True})


async def list_input_items(request: Request) -> Response:
    stored = _stored(request)
    page = parse_page_request(request.query_params, INPUT_ITEMS)
    items: list[dict[str, Any]] = stored.extra["input_items"]
    entries = [((index, item["id"]), item) for index, item in enumerate(items)]
    positions = {item["id"]: (index, item["id"]) for index, item in enumerate(items)}
    return JSONResponse(paginate(entries, page, positions.get))


ROUTES = [
    Route(f"{PREFIX}/responses", create_response, methods=["POST"]),
    Route(f"{PREFIX}/responses/{{response_id}}", retrieve_response, methods=["GET"]),
    Route(f"{PREFIX}/responses/{{response_id}}", delete_response, methods=["DELETE"]),
    Route(f"{PREFIX}/responses/{{response_id}}/cancel", cancel_response, methods=["POST"]),
    Route(f"{PREFIX}/responses/{{response_id}}/input_items", list_input_items, methods=["GET"]),
]
