"""Which operations create (and remove) the objects an operation's path parameters name.

Generated identifiers only ever reach a server's "no such object" answer, so the success path
of `GET /files/{file_id}` and its response schema would never be checked. A path parameter
names an object of the collection its item path hangs off: `{file_id}` in `/files/{file_id}`
is made by `POST /files`; `/vector_stores/{vector_store_id}/files/{file_id}` needs a vector
store (`POST /vector_stores`) and then, in it, a file (`POST /vector_stores/{id}/files`).
The object is removed with the `DELETE` on its item path, or, when the description has none
(batches), stopped with the `POST` on `<item>/cancel`. The description's own example of a
creation request is read here too. This module only reads the description.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from oaiconform.spec import Operation, Spec

_PARAMETER = re.compile(r"^\{([^{}]+)\}$")
# The body is the last argument; greedy, so a quote inside it (not valid shell, but present in
# the description's examples) does not end it early.
_CURL_DATA = re.compile(r"(?:-d|--data(?:-raw)?)\s+'(.*)'", re.DOTALL)


@dataclass(frozen=True)
class ObjectStep:
    """One path parameter and the operations around the object it names."""

    parameter: str  # e.g. "file_id"
    collection: str  # route template the object is created in, e.g. "/files"
    item: str  # route template of the object itself, e.g. "/files/{file_id}"
    creator: Operation | None  # POST on the collection
    deleter: Operation | None  # DELETE on the item
    canceller: Operation | None  # POST on <item>/cancel, the cleanup when nothing deletes

    @property
    def parents(self) -> tuple[str, ...]:
        """The path parameters the collection needs filled before anything is created in it."""
        return path_parameters(self.collection)


def path_parameters(route: str) -> tuple[str, ...]:
    """The parameter names of a route template, in path order."""
    names = []
    for segment in route.partition("?")[0].strip("/").split("/"):
        match = _PARAMETER.match(segment)
        if match:
            names.append(match.group(1))
    return tuple(names)


def fill(template: str, values: Mapping[str, str]) -> str:
    """A route template with its parameters replaced (values are URL-safe identifiers)."""
    route = template.partition("?")[0]
    for name in path_parameters(route):
        route = route.replace("{" + name + "}", values[name])
    return route


def _by_route(spec: Spec) -> dict[tuple[str, str], Operation]:
    """(method, route) -> operation; a plain path wins over its `?beta=true` variant."""
    index: dict[tuple[str, str], Operation] = {}
    for operation in spec.operations.values():
        key = (operation.method, operation.route)
        known = index.get(key)
        if known is None or (known.fixed_query and not operation.fixed_query):
            index[key] = operation
    return index


def object_steps(spec: Spec, operation_id: str) -> tuple[ObjectStep, ...]:
    """One step per path parameter of the operation, parents first (path order)."""
    route = spec.operation(operation_id).route
    index = _by_route(spec)
    segments = route.strip("/").split("/")
    steps = []
    for position, segment in enumerate(segments):
        match = _PARAMETER.match(segment)
        if match is None:
            continue
        collection = "/" + "/".join(segments[:position])
        item = "/" + "/".join(segments[: position + 1])
        steps.append(
            ObjectStep(
                parameter=match.group(1),
                collection=collection,
                item=item,
                creator=index.get(("POST", collection)) if position > 0 else None,
                deleter=index.get(("DELETE", item)),
                canceller=index.get(("POST", item + "/cancel")),
            )
        )
    return tuple(steps)


def step_for_collection(spec: Spec, collection: str) -> ObjectStep | None:
    """The step of an object created in `collection` (for a dependency such as a batch's
    input file), found through the item route that hangs off it; None when none does."""
    depth = len(collection.strip("/").split("/")) + 1
    for operation in spec.operations.values():
        segments = operation.route.strip("/").split("/")
        if (
            len(segments) == depth
            and "/" + "/".join(segments[:-1]) == collection
            and _PARAMETER.match(segments[-1])
        ):
            return object_steps(spec, operation.operation_id)[-1]
    return None


def example_body(operation: Operation) -> dict[str, Any] | None:
    """The JSON body of the description's first curl example (`x-oaiMeta`) that has one."""
    content = ((operation.raw.get("requestBody") or {}).get("content")) or {}
    if "application/json" not in content:
        return None
    examples = (operation.raw.get("x-oaiMeta") or {}).get("examples") or []
    for example in examples if isinstance(examples, list) else [examples]:
        request = example.get("request") if isinstance(example, dict) else None
        curl = request.get("curl") if isinstance(request, dict) else None
        match = _CURL_DATA.search(curl) if isinstance(curl, str) else None
        if match is None:
            continue
        try:
            body = json.loads(match.group(1))
        except ValueError:
            continue
        if isinstance(body, dict):
            return body
    return None
