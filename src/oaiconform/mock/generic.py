"""The fallback: every operation of the description that no hand-written handler serves.

`generic_routes(spec)` is one catch-all route under /v1, registered after the hand-written
routes. Starlette prefers a full match to a method-only match, so a hand-written route always
wins; a request it did not take reaches the catch-all, which matches the path against the
description's templates (indexed by segment count and first segment, so the cost does not grow
with the number of templates): a documented method is answered, an undocumented one is the 405
envelope, and a path no template matches is the 404 envelope ("Invalid URL (GET /v1/...)"), or
405 when a hand-written route serves that path with other methods.

Templates that carry a query string (`/responses?beta=true`) are variants of the same path:
the variant whose fixed query parameters all appear in the request is chosen, else the plain one.

The answer is the operation's documented 2xx (200 if documented, else the lowest), as JSON (the
spec's example when it validates, else a generated instance), binary bytes, or a one-event
stream when the request asks for `stream`; see `generic_responses.GenericResponder`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import jsonschema_rs
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route

from oaiconform.mock.errors import APIError
from oaiconform.mock.generic_responses import GenericResponder
from oaiconform.mock.handlers._common import PREFIX, invalid_parameter, read_json_object, state_of
from oaiconform.mock.handlers._multipart import Part, parse_multipart
from oaiconform.mock.instances import escape_token, resolve_pointer
from oaiconform.spec import Operation, Spec


@dataclass(frozen=True)
class _Variant:
    operation: Operation
    fixed_query: tuple[tuple[str, str], ...]  # from a template such as /responses?beta=true


@dataclass(frozen=True)
class _Template:
    segments: tuple[str, ...]  # "{name}" for a parameter
    methods: dict[str, list[_Variant]]

    def match(self, segments: list[str]) -> dict[str, str] | None:
        params = {}
        for pattern, value in zip(self.segments, segments, strict=True):
            if pattern.startswith("{"):
                if not value:
                    return None
                params[pattern[1:-1]] = value
            elif pattern != value:
                return None
        return params


def _split_template(path: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    template, _, query = path.partition("?")
    pairs = tuple(
        (name, value) for name, _, value in (item.partition("=") for item in query.split("&"))
    )
    return template, tuple(p for p in pairs if p[0])


def _index(spec: Spec) -> dict[tuple[int, str], list[_Template]]:
    """Templates by (segment count, first segment), literal segments before parameters."""
    by_path: dict[str, dict[str, list[_Variant]]] = {}
    for operation in spec.operations.values():
        template, fixed = _split_template(operation.path)
        methods = by_path.setdefault(template, {})
        methods.setdefault(operation.method, []).append(_Variant(operation, fixed))
    index: dict[tuple[int, str], list[_Template]] = {}
    for path, methods in by_path.items():
        segments = tuple(path.strip("/").split("/"))
        index.setdefault((len(segments), segments[0]), []).append(_Template(segments, methods))
    for templates in index.values():  # /responses/compact before /responses/{response_id}
        templates.sort(key=lambda t: [s.startswith("{") for s in t.segments])
    return index


class GenericEndpoint:
    """Finds the operation for a request no hand-written route took, and answers it."""

    def __init__(self, spec: Spec, *, full: bool = False) -> None:
        self.index = _index(spec)
        self.responder = GenericResponder(spec, full=full)

    async def handle(self, request: Request) -> Response:
        operation, params = self._operation(request)
        check_query(state_of(request).request_spec, operation, request)
        body = await read_request_body(request, operation)
        return self.responder.respond(request, operation, params, body)

    def _operation(self, request: Request) -> tuple[Operation, dict[str, str]]:
        method = "GET" if request.method == "HEAD" else request.method
        segments = request.url.path.removeprefix(PREFIX).strip("/").split("/")
        path_matched = False
        for template in self.index.get((len(segments), segments[0]), []):
            params = template.match(segments)
            if params is None:
                continue
            path_matched = True
            if method in template.methods:
                return self._variant(template.methods[method], request), params
        if path_matched or _routed_elsewhere(request):
            raise HTTPException(405)
        raise HTTPException(404)

    @staticmethod
    def _variant(variants: list[_Variant], request: Request) -> Operation:
        def score(variant: _Variant) -> int:
            query = request.query_params
            if all(query.get(name) == value for name, value in variant.fixed_query):
                return len(variant.fixed_query)
            return -1

        return max(variants, key=score).operation


def _routed_elsewhere(request: Request) -> bool:
    """Whether a hand-written route serves this path (with other methods)."""
    routes: list[BaseRoute] = request.app.router.routes
    return any(
        route.matches(request.scope)[0] is Match.PARTIAL
        for route in routes
        if getattr(route, "name", None) != _ROUTE_NAME
    )


_ROUTE_NAME = "generic"
_ANY = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]


def generic_routes(spec: Spec, *, full: bool = False) -> list[Route]:
    """The catch-all under /v1; register it after every hand-written route. `full`: bodies
    with their optional members (mock --lenient)."""
    endpoint = GenericEndpoint(spec, full=full)
    return [Route(f"{PREFIX}/{{path:path}}", endpoint.handle, methods=_ANY, name=_ROUTE_NAME)]


# -- the request ----------------------------------------------------------------------------


def _schema_of(spec: Spec, node: Any) -> Any:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        node = resolve_pointer(spec.document, node["$ref"][1:])
    return node


def _is_compound(spec: Spec, schema: Any) -> bool:
    """An array or object: one text value (a query item, a form field) cannot be judged."""
    schema = _schema_of(spec, schema)
    if not isinstance(schema, dict):
        return True
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return bool({"array", "object"} & set(kinds)) or "properties" in schema or "items" in schema


def check_text_value(spec: Spec, pointer: str, name: str, text: str) -> None:
    """400 unless the text, read as a JSON scalar or as a string, is valid for the schema."""
    candidates: list[Any] = [text]
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = text
    if parsed is None or isinstance(parsed, bool | int | float):
        candidates.insert(0, parsed)
    try:
        if any(not spec.validate(pointer, value) for value in candidates):
            return
    except jsonschema_rs.ValidationError:
        return  # the description's schema does not compile (an upstream defect): unchecked
    first = spec.validate(pointer, candidates[-1])[0]
    raise APIError(
        400,
        f"Invalid value for {name!r}: {first.message}.",
        param=name,
        code="invalid_value",
    )


def _missing(name: str) -> APIError:
    return APIError(
        400, f"Missing required parameter: {name!r}.", param=name, code="missing_required_parameter"
    )


def check_query(spec: Spec, operation: Operation, request: Request) -> None:
    """Required query parameters present; each scalar one valid for its schema."""
    for index, raw in enumerate(operation.raw.get("parameters") or []):
        parameter = _schema_of(spec, raw)
        if not isinstance(parameter, dict) or parameter.get("in") != "query":
            continue
        name = str(parameter.get("name"))
        value = request.query_params.get(name)
        if value is None:
            if parameter.get("required"):
                raise _missing(name)
            continue
        if "$ref" in raw or _is_compound(spec, parameter.get("schema")):
            continue
        check_text_value(spec, f"{operation.pointer}/parameters/{index}/schema", name, value)


def required_names(spec: Spec, pointer: str) -> list[str]:
    """The names a schema requires, its own and its allOf branches' (each once)."""
    schema = _schema_of(spec, resolve_pointer(spec.document, pointer))
    names = list(schema.get("required") or [])
    for branch in schema.get("allOf") or []:
        names += _schema_of(spec, branch).get("required") or []
    return list(dict.fromkeys(names))


def _validate(spec: Spec, pointer: str | None, body: dict[str, Any]) -> None:
    if pointer is None:
        return
    try:
        violations = spec.validate(pointer, body)
    except jsonschema_rs.ValidationError:
        # the description's schema does not compile (an upstream defect): required names only
        missing = [name for name in required_names(spec, pointer) if name not in body]
        if missing:
            raise _missing(missing[0]) from None
        return
    if violations:
        raise invalid_parameter(violations[0])


async def read_request_body(request: Request, operation: Operation) -> dict[str, Any] | None:
    """The body as JSON or form fields, checked against the request schema; None if absent."""
    request_body = operation.raw.get("requestBody")
    if not isinstance(request_body, dict):
        return None
    content = request_body.get("content") or {}
    spec = state_of(request).request_spec
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    limit = state_of(request).config.max_body_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise APIError(413, f"Request body of {declared} bytes exceeds the limit of {limit} bytes.")
    raw = await request.body()  # cached: the readers below see it again
    if not raw.strip() and not request_body.get("required"):
        # An optional body left empty, whatever its declared type: createThread's example
        # sends `-d ''` with `Content-Type: application/json`.
        return None
    if media_type == "multipart/form-data" and media_type in content:
        return _form_fields(spec, operation, request, raw)
    if media_type in content and media_type != "application/json":
        if not raw.strip() and request_body.get("required"):
            raise APIError(400, f"The request body ({media_type}) is empty.")
        return {}
    if "application/json" not in content:
        expected = ", ".join(content) or "no body"
        raise APIError(
            400,
            f"Invalid Content-Type header ({media_type or 'none'}), expected {expected}.",
            code="invalid_content_type",
        )
    try:
        # mock --lenient: the description's shape only, none of the API's rules beyond it
        lenient = state_of(request).config.lenient
        body = await read_json_object(request, api_rules=not lenient)
    except jsonschema_rs.ValidationError:  # raised by the shared reader's schema check
        body = json.loads(raw)
    _validate(spec, spec.request_schema_pointer(operation.operation_id), body)
    return body


def _form_fields(spec: Spec, operation: Operation, request: Request, raw: bytes) -> dict[str, Any]:
    limit = state_of(request).config.max_body_bytes
    if len(raw) > limit:
        raise APIError(413, f"The upload exceeds the limit of {limit} bytes.")
    parts = parse_multipart(request.headers["content-type"], raw)
    fields: dict[str, Any] = {}
    for part in parts:
        fields[part.name.removesuffix("[]")] = _form_value(part)
    pointer = spec.request_schema_pointer(operation.operation_id, "multipart/form-data")
    schema = _schema_of(spec, resolve_pointer(spec.document, pointer)) if pointer else {}
    for name in required_names(spec, pointer) if pointer else []:
        if name not in fields:
            raise _missing(name)
    if pointer is None or "properties" not in schema:
        return fields
    at = pointer  # the pointer of the schema itself, past any $ref
    while isinstance(ref := resolve_pointer(spec.document, at).get("$ref"), str):
        at = ref[1:]
    for name, value in fields.items():
        prop = schema["properties"].get(name)
        if prop is None:
            continue
        if isinstance(value, str) and not _is_compound(spec, prop):
            check_text_value(spec, f"{at}/properties/{escape_token(name)}", name, value)
        elif not isinstance(value, str | bytes):  # a JSON part's value
            _validate_member(spec, f"{at}/properties/{escape_token(name)}", name, value)
    return fields


def _form_value(part: Part) -> Any:
    """A file's bytes, a JSON part's value (`-F 'session={...};type=application/json'`, as
    the realtime call example sends its session), else the field's text."""
    if part.filename is not None:
        return part.data
    media_type = (part.content_type or "").split(";")[0].strip().lower()
    if media_type == "application/json":
        try:
            return json.loads(part.data)
        except ValueError:
            raise APIError(
                400,
                f"The multipart field {part.name!r} is declared application/json but is not JSON.",
                param=part.name,
                code="invalid_json",
            ) from None
    return part.data.decode(errors="replace")


def _validate_member(spec: Spec, pointer: str, name: str, value: Any) -> None:
    try:
        violations = spec.validate(pointer, value)
    except jsonschema_rs.ValidationError:
        return  # the description's schema does not compile (an upstream defect): unchecked
    if violations:
        first = violations[0]
        where = name + first.path.removeprefix("$")
        raise APIError(
            400, f"Invalid {where!r}: {first.message}.", param=where, code="invalid_value"
        )


__all__ = ["GenericEndpoint", "check_query", "generic_routes", "read_request_body"]
