"""Request parsing shared by the handlers: the body of a valid request, or the API's 400.

`read_json_object` answers every malformed or invalid body the way the API does, before a
handler sees it: 400 with the envelope and, for an invalid parameter, `param` naming it as the
API spells it ("messages", "temperature", "messages[0].role"). Handlers may still call
`MockState.validate_request`; on a body that got through here it finds nothing.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from oaiconform.mock.catalog import SERVED_BY, Endpoint, ModelInfo
from oaiconform.mock.errors import APIError, model_not_found
from oaiconform.mock.state import MockState
from oaiconform.spec import SchemaViolation, Spec

PREFIX = "/v1"
JSON = "application/json"

# The roles the API accepts in chat messages; anything else is "invalid_value" on the role.
CHAT_ROLES = ("system", "developer", "user", "assistant", "tool", "function")
_NOT_PARSEABLE = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
    "using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was "
    "sent was not valid JSON.)"
)


def integral_or_float(text: str) -> int | float:
    """JSON Schema counts 1.0 as an integer, so a client may send `"n": 1.0`; handlers get 1."""
    number = float(text)
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


# One decoder for every request: `json.loads(..., parse_float=...)` would build a new one each
# time, which costs more than decoding a typical request body.
_DECODER = json.JSONDecoder(parse_float=integral_or_float)


def _loads(raw: bytes | bytearray) -> Any:
    """`json.loads(raw, parse_float=integral_or_float)`, with the shared decoder."""
    # A body that opens with "{" and no NUL after it is UTF-8 (what json.detect_encoding
    # would find); anything else goes through the detection.
    if raw[:1] == b"{" and raw[1:2] != b"\x00":
        return _DECODER.decode(raw.decode("utf-8", "surrogatepass"))
    return _DECODER.decode(raw.decode(json.detect_encoding(raw), "surrogatepass"))


# Starlette's JSONResponse encoding (compact, UTF-8, no NaN), with an encoder built once.
# check_circular=False: the same bytes for the acyclic data the mock answers, without a marker
# per container (about 12% of the encoding).
_ENCODER = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, separators=(",", ":"), check_circular=False
)


def json_bytes(content: Any) -> bytes:
    """`content` encoded exactly as Starlette's JSONResponse encodes it."""
    return _ENCODER.encode(content).encode()


def json_response(content: Any, status_code: int = 200) -> Response:
    """A JSONResponse without a new encoder per call, for the handlers on the hot path."""
    return Response(json_bytes(content), status_code, media_type=JSON)


def state_of(request: Request) -> MockState:
    state: MockState = request.app.state.mock
    return state


def _body_headers(request: Request) -> tuple[str | None, str]:
    """(content-length, content-type) in one pass over the raw headers: the first of each,
    as `request.headers.get` finds them (ASGI names are lowercase), without building a
    Headers object per request."""
    length: str | None = None
    content_type: str | None = None
    for name, value in request.scope["headers"]:
        if name == b"content-length" and length is None:
            length = value.decode("latin-1")
        elif name == b"content-type" and content_type is None:
            content_type = value.decode("latin-1")
    return length, content_type or ""


async def read_json_object(request: Request, *, api_rules: bool = True) -> dict[str, Any]:
    """The body as a JSON object valid for this operation, or the 400 the API answers
    (`api_rules=False`: the request schema only, not the API's rules beyond it)."""
    state = state_of(request)
    limit = state.config.max_body_bytes
    declared, content_type = _body_headers(request)
    if declared and declared.isdigit() and int(declared) > limit:
        raise APIError(413, f"Request body of {declared} bytes exceeds the limit of {limit} bytes.")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise APIError(413, f"Request body exceeds the limit of {limit} bytes.")
    media_type = content_type.split(";")[0].strip().lower()
    if media_type != "application/json":
        raise APIError(
            400,
            f"Unsupported content type: {media_type or 'none'!r}. This API method only accepts "
            "'application/json' requests.",
            code="invalid_content_type" if raw else None,
        )
    if not raw.strip():
        raise APIError(
            400,
            "We could not parse the JSON body of your request: the body is "
            "empty. (HINT: send a JSON object.)",
            code="invalid_json",
        )
    try:
        body = _loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise APIError(400, _NOT_PARSEABLE, code="invalid_json") from None
    if not isinstance(body, dict):
        raise APIError(
            400,
            f"The request body must be a JSON object, got a JSON {_json_type(body)}.",
            code="invalid_json",
        )
    _validate(state, request, body, api_rules)
    return body


def validate_for_operation(request: Request, body: dict[str, Any]) -> None:
    """The API's rules beyond the spec first, then the operation's request schema."""
    _validate(state_of(request), request, body)


def _validate(
    state: MockState, request: Request, body: dict[str, Any], api_rules: bool = True
) -> None:
    # The scope's path, not `request.url`: building a URL costs more than the validation.
    path: str = request.scope["path"]
    found = _route_schema(state.spec, request.method, path.removeprefix(PREFIX))
    if found is None:
        return
    operation_id, pointer = found
    for rule in API_RULES.get(operation_id, ()) if api_rules else ():
        rule(body)
    if pointer is not None:
        violations = state.request_spec.validate(pointer, body)
        if violations:
            raise invalid_parameter(violations[0])


@functools.lru_cache(maxsize=1024)
def _route_schema(spec: Spec, method: str, path: str) -> tuple[str, str | None] | None:
    """(operation id, request schema pointer) of a route: fixed for a loaded description, so
    worked out once per route instead of on every request."""
    operation = spec.operation_for(method, path)
    if operation is None:
        return None
    return operation.operation_id, spec.request_schema_pointer(operation.operation_id)


def invalid_parameter(violation: SchemaViolation) -> APIError:
    """A schema violation as the API reports it: `param` is the field, never the whole body."""
    message = violation.message
    if violation.path == "$" and message.endswith(" is a required property"):
        name = message.split('"')[1]
        return APIError(
            400,
            f"Missing required parameter: {name!r}.",
            param=name,
            code="missing_required_parameter",
        )
    param = violation.path.removeprefix("$").removeprefix(".") or None
    code = "invalid_type" if " is not of type" in message else "invalid_value"
    return APIError(400, f"Invalid {param!r}: {message}.", param=param, code=code)


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    return "number" if isinstance(value, int | float) else "null"


def _chat_message_roles(body: dict[str, Any]) -> None:
    messages = body.get("messages")
    for index, message in enumerate(messages if isinstance(messages, list) else ()):
        role = message.get("role") if isinstance(message, dict) else None
        if isinstance(role, str) and role not in CHAT_ROLES:
            supported = ", ".join(repr(r) for r in CHAT_ROLES)
            raise APIError(
                400,
                f"Invalid value: {role!r}. Supported values are: {supported}.",
                param=f"messages[{index}].role",
                code="invalid_value",
            )


def _chat_token_limits(body: dict[str, Any]) -> None:
    # The spec leaves these unbounded; the API refuses anything below one token.
    for name in ("max_tokens", "max_completion_tokens"):
        value = body.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value < 1:
            raise APIError(
                400,
                f"Invalid {name!r}: integer below minimum value. Expected a value >= 1, "
                f"but got {value} instead.",
                param=name,
                code="integer_below_min_value",
            )


API_RULES: dict[str, tuple[Callable[[dict[str, Any]], None], ...]] = {
    "createChatCompletion": (_chat_message_roles, _chat_token_limits),
}


# What the API answers for a model of the wrong kind, per endpoint: (status, message). The chat
# answers are the API's recorded ones (404, code null); the others are worded alike.
_WRONG_KIND: dict[Endpoint, tuple[int, str]] = {
    "chat": (
        404,
        "This is not a chat model and thus not supported in the v1/chat/completions endpoint. "
        "Did you mean to use v1/completions?",
    ),
    "completions": (
        404,
        "This is a chat model and not supported in the v1/completions endpoint. "
        "Did you mean to use v1/chat/completions?",
    ),
    "responses": (400, "The model `{model}` is not supported with the Responses API."),
    "embeddings": (400, "The model `{model}` does not support embeddings."),
    "moderations": (400, "The model `{model}` is not a moderation model."),
}


def require_model(
    request: Request, model: str, endpoint: Endpoint, state: MockState | None = None
) -> ModelInfo:
    """The served model, or the API's error: 404 model_not_found for an unknown one, and the
    endpoint's answer for a model of another kind (`state`: when the caller has it)."""
    state = state or state_of(request)
    info = state.catalog.get(model)
    if info is None and state.config.infer_models:
        info = state.catalog.infer(model)
    if info is None:
        raise model_not_found(model, endpoint)
    if info.kind in SERVED_BY[endpoint] and not (info.responses_only and endpoint == "chat"):
        return info
    if info.responses_only:
        message = "This model is only supported in v1/responses and not in v1/chat/completions."
        raise APIError(404, message, param="model")
    status, message = _WRONG_KIND[endpoint]
    raise APIError(status, message.format(model=model), param="model")
