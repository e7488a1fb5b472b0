"""Stored chat completions (created with `store: true`): list, retrieve, update, delete, messages.

GET /chat/completions shares its path with the create operation (POST, in chat.py); Starlette
matches path and method, so each module registers its own method and any other method is 405.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from oaiconform.mock.errors import APIError
from oaiconform.mock.handlers._common import PREFIX, read_json_object, state_of
from oaiconform.mock.pagination import CHAT_COMPLETIONS, CHAT_MESSAGES, paginate, parse_page_request
from oaiconform.mock.store import StoredObject

KIND = "chat.completion"
_METADATA_PARAM = re.compile(r"^metadata\[([^\]]+)\]$")


def _metadata_filter(request: Request) -> dict[str, str]:
    """`metadata[key]=value` query parameters (the deepObject style the SDKs send)."""
    wanted = {}
    for name, value in request.query_params.multi_items():
        match = _METADATA_PARAM.match(name)
        if match:
            wanted[match.group(1)] = value
    return wanted


async def list_stored(request: Request) -> Response:
    state = state_of(request)
    key = request.state.api_key
    page = parse_page_request(request.query_params, CHAT_COMPLETIONS)
    model = request.query_params.get("model")
    metadata = _metadata_filter(request)
    entries = [
        (obj.sort_key, obj.body)
        for obj in state.store.list(key, KIND)
        if (model is None or obj.body.get("model") == model)
        and all(obj.body.get("metadata", {}).get(k) == v for k, v in metadata.items())
    ]
    return JSONResponse(
        paginate(entries, page, lambda cursor: state.store.position(key, KIND, cursor))
    )


def _not_found(completion_id: str) -> str:
    return f"Chat completion with id '{completion_id}' not found."


def _require(request: Request) -> StoredObject:
    completion_id = request.path_params["completion_id"]
    return state_of(request).store.require(
        request.state.api_key, KIND, completion_id, _not_found(completion_id)
    )


async def retrieve_stored(request: Request) -> Response:
    return JSONResponse(_require(request).body)


async def update_stored(request: Request) -> Response:
    state = state_of(request)
    completion_id = request.path_params["completion_id"]
    body = await read_json_object(request)
    state.validate_request("updateChatCompletion", body)
    metadata: dict[str, Any] = dict(body["metadata"] or {})

    def change(obj: StoredObject) -> None:
        obj.body["metadata"] = metadata

    updated = state.store.update(request.state.api_key, KIND, completion_id, change)
    if updated is None:
        raise APIError(404, _not_found(completion_id))
    return JSONResponse(updated.body)


async def delete_stored(request: Request) -> Response:
    completion_id = request.path_params["completion_id"]
    if not state_of(request).store.delete(request.state.api_key, KIND, completion_id):
        raise APIError(404, _not_found(completion_id))
    return JSONResponse({"object": "chat.completion.deleted", "id": completion_id, "deleted": True})


async def list_messages(request: Request) -> Response:
    stored = _require(request)
    page = parse_page_request(request.query_params, CHAT_MESSAGES)
    messages: list[dict[str, Any]] = stored.extra.get("messages", [])
    entries = [((index, m["id"]), _message_object(m)) for index, m in enumerate(messages)]
    positions = {m["id"]: (index, m["id"]) for index, m in enumerate(messages)}
    return JSONResponse(paginate(entries, page, positions.get))


def _message_object(message: dict[str, Any]) -> dict[str, Any]:
    """A request message as the API lists it: text content, parts kept in content_parts."""
    content = message.get("content")
    parts = content if isinstance(content, list) else None
    if parts is not None:
        content = "".join(str(p.get("text", "")) for p in parts if isinstance(p, dict))
    return {
        "id": message["id"],
        "role": message.get("role"),
        "content": content,
        "name": message.get("name"),
        "content_parts": parts,
    }


ROUTES = [
    Route(f"{PREFIX}/chat/completions", list_stored, methods=["GET"]),
    Route(f"{PREFIX}/chat/completions/{{completion_id}}", retrieve_stored, methods=["GET"]),
    Route(f"{PREFIX}/chat/completions/{{completion_id}}", update_stored, methods=["POST"]),
    Route(f"{PREFIX}/chat/completions/{{completion_id}}", delete_stored, methods=["DELETE"]),
    Route(f"{PREFIX}/chat/completions/{{completion_id}}/messages", list_messages, methods=["GET"]),
]
