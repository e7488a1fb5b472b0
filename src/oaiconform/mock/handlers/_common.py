"""Request parsing shared by the handlers."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from oaiconform.mock.errors import APIError
from oaiconform.mock.state import MockState

PREFIX = "/v1"


def state_of(request: Request) -> MockState:
    state: MockState = request.app.state.mock
    return state


async def read_json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object, or the 400 the API answers for anything else."""
    limit = state_of(request).config.max_body_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise APIError(413, f"Request body of {declared} bytes exceeds the limit of {limit} bytes.")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise APIError(413, f"Request body exceeds the limit of {limit} bytes.")
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise APIError(
            400,
            f"Invalid Content-Type header ({media_type or 'none'}), expected application/json.",
            code="invalid_content_type" if raw else None,
        )
    if not raw:
        raise APIError(
            400,
            "We could not parse the JSON body of your request: the body is "
            "empty. (HINT: send a JSON object.)",
            code="invalid_json",
        )
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise APIError(
            400,
            "We could not parse the JSON body of your request. (HINT: This "
            "likely means you aren't using your HTTP library correctly.)",
            code="invalid_json",
        ) from None
    if not isinstance(body, dict):
        raise APIError(
            400,
            f"The request body must be a JSON object, got a JSON {type(body).__name__}.",
            code="invalid_json",
        )
    return body


def require_model(request: Request, model: str) -> None:
    from oaiconform.mock.errors import model_not_found

    if model not in state_of(request).config.models:
        raise model_not_found(model)
