"""Faults of error statuses, error fields, route guarding and the standard headers.

Each one is a deviation OpenAI-compatible servers ship, so that the errors.* and headers.*
checks can be shown to fail on it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from starlette.types import Scope

from oaiconform.mock.faults._core import Fault, ResponseParts, ResponseRewrite

# Where FastAPI-based inference servers answer with their own validation errors.
_INFERENCE_PATHS = ("/v1/chat/completions", "/v1/completions", "/v1/embeddings")


def _error(parts: ResponseParts) -> dict[str, Any]:
    try:
        body = json.loads(parts.body)
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _is_validation_error(parts: ResponseParts) -> bool:
    return (
        parts.status == 400 and parts.path in _INFERENCE_PATHS and bool(_error(parts).get("param"))
    )


def _is_model_not_found(parts: ResponseParts) -> bool:
    return parts.status == 404 and _error(parts).get("code") == "model_not_found"


def _with_error(parts: ResponseParts, status: int, **fields: Any) -> ResponseParts:
    error = {**_error(parts), **fields}
    return replace(parts, status=status, body=json.dumps({"error": error}).encode())


def _validation_422(parts: ResponseParts) -> ResponseParts:
    return replace(parts, status=422) if _is_validation_error(parts) else parts


def _param_missing(parts: ResponseParts) -> ResponseParts:
    return _with_error(parts, 400, param=None) if _is_validation_error(parts) else parts


def _wrong_type_500(parts: ResponseParts) -> ResponseParts:
    if not _is_validation_error(parts) or _error(parts).get("code") != "invalid_type":
        return parts
    return _with_error(
        parts,
        500,
        message="[json.exception.type_error.302] type must be string, but is number",
        type="server_error",
        param=None,
        code=None,
    )


def _bad_json_500(parts: ResponseParts) -> ResponseParts:
    if parts.status != 400 or _error(parts).get("code") != "invalid_json":
        return parts
    return _with_error(
        parts,
        500,
        message="Internal Server Error: Expecting value",
        type="server_error",
        code=None,
    )


def _html_404(parts: ResponseParts) -> ResponseParts:
    message = str(_error(parts).get("message") or "")
    if parts.status not in (404, 405) or _is_model_not_found(parts) or not message:
        return parts
    if not message.startswith(("Invalid URL", "Method ")):
        return parts
    page = f"<html><body><h1>{parts.status} Not Found</h1></body></html>".encode()
    return replace(parts, body=page).with_header(b"content-type", b"text/html; charset=utf-8")


def _unknown_route_index_page(parts: ResponseParts) -> ResponseParts:
    message = str(_error(parts).get("message") or "")
    if parts.status != 404 or not message.startswith("Invalid URL"):
        return parts
    page = b"<!doctype html><html><body><div id=app></div></body></html>"
    parts = replace(parts, status=200, body=page)
    return parts.with_header(b"content-type", b"text/html; charset=utf-8")


# A gateway that serves chat, embeddings and the stored objects, but no legacy completions
# and no moderations: requests there reach no route (and answer as unknown routes do).
_ABSENT_PATHS = ("/v1/completions", "/v1/moderations")


def _without_legacy_endpoints(scope: Scope, valid_keys: tuple[str, ...]) -> None:
    path = scope["path"].rstrip("/")
    if path in _ABSENT_PATHS:
        scope["path"] = f"/v1/oaiconform-absent{path}"
        scope["raw_path"] = scope["path"].encode()


def _is_route_miss(parts: ResponseParts) -> bool:
    message = str(_error(parts).get("message") or "")
    return parts.status in (404, 405) and message.startswith(("Invalid URL", "Method "))


def _route_miss_not_found(parts: ResponseParts) -> ResponseParts:
    """Every unknown route (and wrong method) answers one generic not_found envelope."""
    if not _is_route_miss(parts):
        return parts
    return _with_error(parts, 404, message="Not Found", param=None, code="not_found")


def _detail(parts: ResponseParts, status: int, detail: str) -> ResponseParts:
    body = json.dumps({"detail": detail}).encode()
    return replace(parts, status=status, body=body).with_header(
        b"content-type", b"application/json"
    )


def _object_miss_detail(parts: ResponseParts) -> ResponseParts:
    """FastAPI's shapes: `{"detail": "Not Found"}` for an unknown route, `{"detail": <the
    message>}` for an unknown object (an HTTPException raised by the handler)."""
    if _is_route_miss(parts):
        return _detail(
            parts, parts.status, "Not Found" if parts.status == 404 else "Method Not Allowed"
        )
    if parts.status == 404 and not _is_model_not_found(parts) and _error(parts).get("message"):
        return _detail(parts, 404, str(_error(parts)["message"]))
    return parts


def _text_read_as_json(scope: Scope, valid_keys: tuple[str, ...]) -> None:
    headers = scope["headers"]
    if any(k.lower() == b"content-type" and v.startswith(b"text/plain") for k, v in headers):
        kept = [(k, v) for k, v in headers if k.lower() != b"content-type"]
        scope["headers"] = [*kept, (b"content-type", b"application/json")]


def _models_list_unguarded(scope: Scope, valid_keys: tuple[str, ...]) -> None:
    if scope["method"] != "GET" or scope["path"].rstrip("/") != "/v1/models" or not valid_keys:
        return
    headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"authorization"]
    scope["headers"] = [*headers, (b"authorization", f"Bearer {valid_keys[0]}".encode())]


def _unknown_model_as(status: int, **fields: Any) -> ResponseRewrite:
    def rewrite(parts: ResponseParts) -> ResponseParts:
        return _with_error(parts, status, **fields) if _is_model_not_found(parts) else parts

    return rewrite


def _no_request_id(parts: ResponseParts) -> ResponseParts:
    return parts.with_header(b"x-request-id", None)


def _same_request_id(parts: ResponseParts) -> ResponseParts:
    return parts.with_header(b"x-request-id", b"req_0000000000000000")


def _reset_in_words(parts: ResponseParts) -> ResponseParts:
    for name, _ in list(parts.headers):
        if name.lower().startswith(b"x-ratelimit-reset-"):
            parts = parts.with_header(name.lower(), b"6 minutes")
    return parts


def _429_without_retry_after(parts: ResponseParts) -> ResponseParts:
    if parts.status != 429:
        return parts
    return parts.with_header(b"retry-after", None).with_header(b"retry-after-ms", None)


FAULTS = (
    Fault(
        "validation-422",
        "invalid parameters get 422 instead of 400",
        "FastAPI-based inference servers that keep the framework's validation status",
        response=_validation_422,
    ),
    Fault(
        "validation-param-missing",
        "validation errors have error.param null",
        "servers that put the field name only in the message",
        response=_param_missing,
    ),
    Fault(
        "wrong-type-500",
        "a parameter of the wrong type gets 500 instead of 400",
        "inference servers whose JSON library throws on an unexpected type",
        response=_wrong_type_500,
    ),
    Fault(
        "bad-json-500",
        "a body that is not a JSON object gets 500 instead of 400",
        "servers whose JSON decoding error escapes to the generic error handler",
        response=_bad_json_500,
    ),
    Fault(
        "html-404",
        "unknown routes and wrong methods get an HTML 404 page",
        "reverse proxies and web frameworks' default not-found pages",
        response=_html_404,
    ),
    Fault(
        "unknown-route-200",
        "unknown routes get 200 with a web page instead of 404",
        "servers whose web UI's catch-all route serves its index page for any unknown path",
        response=_unknown_route_index_page,
    ),
    Fault(
        "unknown-route-not-found",
        "no /completions nor /moderations, and every unknown route gets 404 with the envelope "
        "code not_found",
        "gateways that answer any route they lack with one generic not_found envelope",
        request=_without_legacy_endpoints,
        response=_route_miss_not_found,
    ),
    Fault(
        "unknown-object-detail-404",
        'an unknown object gets 404 {"detail": <message>} and an unknown route '
        '{"detail": "Not Found"}, without the error envelope',
        "FastAPI-based servers whose handlers raise HTTPException for a missing object",
        response=_object_miss_detail,
    ),
    Fault(
        "text-plain-read-as-json",
        "a JSON body declared as text/plain is read as JSON and answered",
        "servers and proxies that parse any body as JSON whatever its Content-Type (LiteLLM)",
        request=_text_read_as_json,
    ),
    Fault(
        "models-list-unguarded",
        "GET /models is served without credentials",
        "servers that guard only their inference routes",
        request=_models_list_unguarded,
    ),
    Fault(
        "unknown-model-400",
        "an unknown model gets 400 instead of 404",
        "proxies that report any upstream refusal as a bad request",
        response=_unknown_model_as(400),
    ),
    Fault(
        "unknown-model-500",
        "an unknown model gets 500 (server_error)",
        "gateways that fail to route a request for a model they do not serve",
        response=_unknown_model_as(500, type="server_error", code=None),
    ),
    Fault(
        "unknown-model-no-code",
        "an unknown model gets 404 without code model_not_found",
        "servers whose 404 carries only a message",
        response=_unknown_model_as(404, code=None),
    ),
    Fault(
        "no-request-id",
        "responses carry no x-request-id",
        "self-hosted servers without request tracing",
        response=_no_request_id,
    ),
    Fault(
        "same-request-id",
        "every response carries the same x-request-id",
        "servers that set the header from a constant",
        response=_same_request_id,
    ),
    Fault(
        "ratelimit-reset-in-words",
        'x-ratelimit-reset-* are "6 minutes" instead of a duration like "6m0s"',
        "gateways that format the reset time for humans",
        response=_reset_in_words,
    ),
    Fault(
        "429-without-retry-after",
        "a 429 carries neither Retry-After nor retry-after-ms",
        "rate limiters that only set the status",
        response=_429_without_retry_after,
    ),
)
