"""The description as the mock reads requests: no stricter than the API it stands in for.

Application developers test against the mock, so a request the API accepts must not be refused
with a 400 the API never sends. Read literally, the description refuses some of its own request
examples, in two ways corrected here, for request validation only (answers, and the checks
that judge them, read the description as it is):

1. Overlapping `oneOf` branches. An easy input message `{"role": "user", "content": [...]}` is
   also an input message, an eval item is also a template message: such a request is "valid
   under more than one of the schemas", which a literal `oneOf` refuses. The API dispatches on
   `type` (or the shape) and accepts it, so every `oneOf` is read as an `anyOf`: what any branch
   accepts is accepted, and what no branch accepts is still refused.
2. Members the schema requires that the API does not (`OPTIONAL_IN_REQUESTS`), each found by a
   request example of the description or a recorded request the real API accepted
   (tests/corpus/real_api/) that omits it; and members it accepts as null
   (`NULLABLE_IN_REQUESTS`), found the same way.
"""

from __future__ import annotations

import functools
import json
import threading
from typing import Any

from oaiconform.spec import Spec

# schema name -> members the API accepts a request without, though the schema requires them.
OPTIONAL_IN_REQUESTS: dict[str, tuple[str, ...]] = {
    # A Responses function tool without `strict` (createResponse's function-calling example);
    # the API then applies its default, as it does for `"strict": null`.
    "FunctionTool": ("strict",),
    "BetaFunctionTool": ("strict",),
    # An input image without `detail` (createResponse's image example): "defaults to auto".
    "InputImageContent": ("detail",),
    "BetaInputImageContent": ("detail",),
    # A realtime session created with a model and instructions only (create-realtime-session's
    # example): `client_secret` is what the API answers with, never what a client sends.
    "RealtimeSessionCreateRequest": ("client_secret",),
    # An earlier image generation call sent back by reference, `{"type", "id"}` only
    # (pydantic-ai's test_openai_responses_image_generation_* recordings).
    "ImageGenToolCall": ("status", "result"),
}
# schema name -> members the API accepts as null, though the schema has no null: a function
# call sent back with `"status": null` (pydantic-ai's ..._requires_function_call_status_none).
NULLABLE_IN_REQUESTS: dict[str, tuple[str, ...]] = {
    "FunctionToolCall": ("status",),
}


def _any_of(node: dict[str, Any]) -> dict[str, Any]:
    """The node with its `oneOf` read as `anyOf` (both kept when it had both)."""
    branches = node.pop("oneOf")
    if "anyOf" in node:
        node.setdefault("allOf", []).append({"anyOf": branches})
    else:
        node["anyOf"] = branches
    return node


def _relax(document: dict[str, Any]) -> None:
    stack: list[Any] = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("oneOf"), list):
                _any_of(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    schemas = document.get("components", {}).get("schemas", {})
    for name, members in OPTIONAL_IN_REQUESTS.items():
        schema = schemas.get(name)
        if isinstance(schema, dict) and isinstance(schema.get("required"), list):
            schema["required"] = [m for m in schema["required"] if m not in members]
    for name, members in NULLABLE_IN_REQUESTS.items():
        properties = schemas.get(name, {}).get("properties", {})
        for member in members:
            if isinstance(properties.get(member), dict):
                properties[member] = {"anyOf": [properties[member], {"type": "null"}]}


_building = threading.Lock()


def request_spec(spec: Spec) -> Spec:
    """`spec` relaxed for judging requests; same pointers, built once per loaded description
    (the mocks of one process share it: a fault matrix starts dozens). The build takes about
    a second: MockServer starts it beside the server, and a request that comes first waits for
    that one build rather than starting a second."""
    with _building:
        return _relaxed(spec)


@functools.lru_cache(maxsize=4)
def _relaxed(spec: Spec) -> Spec:
    document = json.loads(json.dumps(spec.document))  # a deep copy, several times faster
    _relax(document)
    return Spec(spec.source, document, spec.overlays)


__all__ = ["NULLABLE_IN_REQUESTS", "OPTIONAL_IN_REQUESTS", "request_spec"]
