"""Minimal valid requests for any operation of the description, and judging their answers.

Shared by the generic-handler tests and the instance-generator tests: path parameters filled,
required query parameters, a body generated from the request schema (JSON, multipart or SDP),
and a validator that also covers the schemas upstream ships uncompilable.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import jsonschema_rs
from starlette.routing import Match

from oaiconform.mock.app import HANDLER_MODULES
from oaiconform.mock.generic_responses import success_status
from oaiconform.mock.instances import InstanceGenerator, resolve_pointer
from oaiconform.spec import Operation, Spec

_MODEL_FOR = {
    "/embeddings": "text-embedding-3-small",
    "/moderations": "omni-moderation-latest",
    "/completions": "gpt-3.5-turbo-instruct",
}
_SDP = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


@dataclass
class Call:
    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    json_body: Any = None
    multipart: dict[str, tuple[str | None, bytes]] = field(default_factory=dict)
    content: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def send(self, client: httpx.Client) -> httpx.Response:
        return client.request(
            self.method,
            self.path,
            params=self.params,
            json=self.json_body,
            files=self.multipart or None,  # text fields as (None, bytes): still multipart
            content=self.content,
            headers=self.headers,
        )


class Validator:
    """The spec's validators; where upstream's schema does not compile, the corrected schema.

    Seven fine-tuning schemas carry `exclusiveMinimum: true` (the OpenAPI 3.0 form) beside
    `minimum`, which a 2020-12 validator refuses to compile; until an overlay corrects it, those
    pointers are checked against a copy with the keyword in its 2020-12 form.
    """

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self._corrected: Any = None

    def __call__(self, pointer: str, value: Any) -> list[str]:
        try:
            return [str(v) for v in self.spec.validate(pointer, value)]
        except jsonschema_rs.ValidationError:
            return [str(e.message) for e in self._fallback(pointer).iter_errors(value)]

    def _fallback(self, pointer: str) -> Any:
        if self._corrected is None:
            document = copy.deepcopy(self.spec.document)
            stack: list[Any] = [document]
            while stack:
                node = stack.pop()
                if isinstance(node, dict):
                    if node.get("exclusiveMinimum") is True and "minimum" in node:
                        node["exclusiveMinimum"] = node.pop("minimum")
                    stack.extend(node.values())
                elif isinstance(node, list):
                    stack.extend(node)
            resource = {"$schema": "https://json-schema.org/draft/2020-12/schema", **document}
            self._corrected = jsonschema_rs.Registry([("urn:corrected", resource)])
        reference = {"$ref": f"urn:corrected#{pointer}".replace("{", "%7B").replace("}", "%7D")}
        return jsonschema_rs.validator_for(reference, registry=self._corrected)


def generator_for(validate: Validator) -> InstanceGenerator:
    return InstanceGenerator(validate.spec.document, lambda p, v: not validate(p, v))


def _path_value(name: str) -> str:
    return "gpt-4o-mini" if name == "model" else f"{name.removesuffix('_id')}_abc123"


def _schema(spec: Spec, node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        node = resolve_pointer(spec.document, node["$ref"][1:])
    return node


def _with_known_model(validate: Validator, pointer: str, template: str, body: Any) -> Any:
    """The body naming a model the mock knows (the API requires one where the spec may not)."""
    if not isinstance(body, dict) or not isinstance(body.get("model", ""), str):
        return body
    candidate = {**body, "model": _MODEL_FOR.get(template, "gpt-4o-mini")}
    return candidate if not validate(pointer, candidate) else body


def _form(spec: Spec, generator: InstanceGenerator, pointer: str, call: Call) -> None:
    schema = _schema(spec, resolve_pointer(spec.document, pointer))
    properties = schema.get("properties") or {}
    for name, value in generator.generate(pointer).items():
        prop = _schema(spec, properties.get(name)) or {}
        items = _schema(spec, prop.get("items")) or {}
        if "binary" in (prop.get("format"), items.get("format")):
            call.multipart[name] = ("sample.bin", b"\x00\x01")
        else:
            text = "gpt-4o-mini" if name == "model" else value
            call.multipart[name] = (
                None,
                (text if isinstance(text, str) else json.dumps(text)).encode(),
            )


@dataclass
class Known:
    """Objects created on the mock: ids for path parameters, values for body fields."""

    ids: dict[str, str] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)


def with_fields(validate: Validator, pointer: str, body: Any, fields: dict[str, Any]) -> Any:
    for name, value in fields.items():
        if isinstance(body, dict) and not validate(pointer, {**body, name: value}):
            body = {**body, name: value}
    return body


def minimal_request(validate: Validator, operation: Operation, known: Known | None = None) -> Call:
    spec, generator, known = validate.spec, generator_for(validate), known or Known()
    template, _, fixed_query = operation.path.partition("?")
    path = template
    call = Call(operation.method, "", headers={"Accept": "*/*"})
    for parameter in (_schema(spec, p) for p in operation.raw.get("parameters") or []):
        name = parameter["name"]
        if parameter["in"] == "path":
            path = path.replace("{" + name + "}", known.ids.get(name) or _path_value(name))
        elif parameter["in"] == "query" and parameter.get("required"):
            index = operation.raw["parameters"].index(parameter)
            value = generator.generate(f"{operation.pointer}/parameters/{index}/schema")
            call.params[name] = str(value)
    call.path = path + (f"?{fixed_query}" if fixed_query else "")
    content = (operation.raw.get("requestBody") or {}).get("content") or {}
    if "application/json" in content:
        pointer = spec.request_schema_pointer(operation.operation_id)
        assert pointer is not None
        body = _with_known_model(validate, pointer, template, generator.generate(pointer))
        body = with_fields(validate, pointer, body, known.fields)
        assert validate(pointer, body) == [], operation.operation_id
        call.json_body = body
    elif "multipart/form-data" in content:
        pointer = spec.request_schema_pointer(operation.operation_id, "multipart/form-data")
        assert pointer is not None
        _form(spec, generator, pointer, call)
    elif "application/sdp" in content:
        call.content = _SDP
        call.headers["Content-Type"] = "application/sdp"
    return call


def served_by_hand(path: str, method: str) -> bool:
    scope = {"type": "http", "path": f"/v1{path.partition('?')[0]}", "method": method}
    return any(
        route.matches(scope)[0] is Match.FULL
        for module in HANDLER_MODULES
        for route in module.ROUTES
    )


def problems_of(
    validate: Validator, operation: Operation, call: Call, response: httpx.Response
) -> str:
    """What is wrong with the answer to a minimal valid request, or '' if nothing."""
    spec = validate.spec
    status, by_hand = response.status_code, served_by_hand(call.path, call.method)
    media_type = response.headers.get("content-type", "").split(";")[0]
    if status >= 400:
        return f"{status}: {response.text[:200]}"
    if not by_hand and status != success_status(operation):
        return f"answered {status}, documented {success_status(operation)}"
    if media_type != "application/json":
        documented = (operation.raw["responses"][str(status)].get("content") or {}).keys()
        ok = media_type in documented or (not documented and not response.content)
        return "" if ok else f"media type {media_type} is not documented"
    pointer = spec.response_schema_pointer(operation.operation_id, status)
    return "; ".join(validate(pointer, response.json()) if pointer else [])
