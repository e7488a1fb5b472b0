"""Turning the OpenAPI 3.1 document into plain JSON Schema 2020-12 before validation.

The pinned description still carries the OpenAPI 3.0 keyword `nullable: true` in 111 places,
beside 3.1's `type: [..., "null"]`. A JSON Schema validator ignores `nullable`, so without this
translation a correct `null` (which the real API sends) would be reported as a violation.
"""

from __future__ import annotations

from typing import Any


def _nullable_to_null_type(node: dict[str, Any]) -> dict[str, Any]:
    node = dict(node)
    del node["nullable"]
    kind = node.get("type")
    if isinstance(kind, str):
        node["type"] = [kind, "null"]
    elif isinstance(kind, list):
        if "null" not in kind:
            node["type"] = [*kind, "null"]
    else:
        return {"anyOf": [node, {"type": "null"}]}
    if isinstance(node.get("enum"), list) and None not in node["enum"]:
        node["enum"] = [*node["enum"], None]
    return node


def translate_nullable(document: dict[str, Any]) -> int:
    """Rewrite every `nullable: true` in place; returns how many were rewritten."""
    rewritten = 0
    stack: list[Any] = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, dict) and value.get("nullable") is True:
                    value = node[key] = _nullable_to_null_type(value)
                    rewritten += 1
                if isinstance(value, dict | list):
                    stack.append(value)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                if isinstance(value, dict) and value.get("nullable") is True:
                    value = node[index] = _nullable_to_null_type(value)
                    rewritten += 1
                if isinstance(value, dict | list):
                    stack.append(value)
    return rewritten
