"""The cursor-paginated list operations, derived from the description rather than hard-coded.

A list operation is a GET whose query takes `limit` and `after` and whose 200 body has a `data`
array and `has_more`. Its resource name (the feature `pagination.<resource>`) joins the fixed
segments of its path: /files -> files, /chat/completions/{id}/messages ->
chat_completions_messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from oaiconform.spec._model import Operation, Spec


@dataclass(frozen=True)
class ListOperation:
    resource: str
    operation: Operation
    min_limit: int | None
    max_limit: int | None
    default_limit: int | None
    has_before: bool
    has_order: bool
    default_order: str | None  # what the description says; None when it does not say
    response_fields: frozenset[str]  # of first_id, last_id, has_more, object

    @property
    def feature(self) -> str:
        return f"pagination.{self.resource}"


def _properties(spec: Spec, schema: Any) -> dict[str, Any]:
    schema = spec.deref(schema)
    properties: dict[str, Any] = dict(schema.get("properties") or {})
    for part in schema.get("allOf") or []:
        properties.update(_properties(spec, part))
    return properties


def resource_name(route: str) -> str:
    return "_".join(s for s in route.strip("/").split("/") if s and not s.startswith("{"))


def list_operations(spec: Spec) -> list[ListOperation]:
    found = []
    for operation in spec.operations.values():
        if operation.method != "GET" or operation.fixed_query:
            continue
        params = {}
        for raw in operation.raw.get("parameters") or []:
            param = spec.deref(raw)
            if param.get("in") == "query":
                params[param["name"]] = spec.deref(param.get("schema") or {})
        if "limit" not in params or "after" not in params:
            continue
        pointer = spec.response_schema_pointer(operation.operation_id, 200)
        if pointer is None:
            continue
        node: Any = spec.document
        for token in pointer.lstrip("/").split("/"):
            node = node[token.replace("~1", "/").replace("~0", "~")]
        fields = _properties(spec, node)
        if "data" not in fields or "has_more" not in fields:
            continue
        limit, order = params["limit"], params.get("order") or {}
        found.append(
            ListOperation(
                resource=resource_name(operation.route),
                operation=operation,
                min_limit=limit.get("minimum"),
                max_limit=limit.get("maximum"),
                default_limit=limit.get("default"),
                has_before="before" in params,
                has_order="order" in params,
                default_order=order.get("default"),
                response_fields=frozenset(fields) & {"first_id", "last_id", "has_more", "object"},
            )
        )
    return found
