"""Deterministic JSON instances of a JSON Schema, for tool-call arguments and structured output.

A model constrained by a schema answers with a value that validates; the mock does the same
without a model: it walks the schema (types, enums, const, required and optional properties,
numeric and length bounds, nested objects and arrays, local `$ref`s, anyOf/oneOf/allOf) with a
seeded random generator, then validates the result with jsonschema-rs. A schema it cannot
satisfy (or one that is not a valid JSON Schema) raises `SchemaNotSatisfiableError`, which the
handlers turn into the 400 the API answers for a schema it rejects.
"""

from __future__ import annotations

import random
import re
from typing import Any

import jsonschema_rs

from oaiconform.mock.text import WORDS

_MAX_DEPTH = 6  # recursive schemas stop here: no optional properties, empty arrays, null
_FORMATS = {
    "date": "2024-05-17",
    "date-time": "2024-05-17T12:00:00Z",
    "time": "12:00:00Z",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uuid": "123e4567-e89b-42d3-a456-426614174000",
    "duration": "PT1H",
}
_PATTERN_CANDIDATES = ("abc", "a", "A", "0", "123", "a1", "ABC", "2024-05-17", "x-y", "a_b")


class SchemaNotSatisfiableError(ValueError):
    """The schema is invalid or asks for something the generator cannot produce."""


def instance_for(schema: Any, rng: random.Random) -> Any:
    """A value that validates against `schema`, the same one for the same rng state."""
    remote = _remote_ref(schema)
    if remote is not None:  # never fetched: the mock makes no outbound requests
        raise SchemaNotSatisfiableError(f"only local $ref is supported, got {remote!r}")
    try:
        validator = jsonschema_rs.validator_for(schema, offline=True)
    except (jsonschema_rs.ValidationError, ValueError, TypeError) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SchemaNotSatisfiableError(f"the schema is not valid: {first_line}") from None
    value = _Generator(schema, rng).value(schema, 0)
    errors = list(validator.iter_errors(value))
    if errors:
        raise SchemaNotSatisfiableError(
            f"no instance could be generated ({errors[0].message}); the mock supports types, "
            "enum, const, properties, items, bounds, formats and simple patterns"
        )
    return value


class _Generator:
    def __init__(self, root: Any, rng: random.Random) -> None:
        self.root = root
        self.rng = rng

    def resolve(self, schema: dict[str, Any]) -> Any:
        ref = schema.get("$ref")
        if not isinstance(ref, str):
            return schema
        if not ref.startswith("#"):
            raise SchemaNotSatisfiableError(f"only local $ref is supported, got {ref!r}")
        node: Any = self.root
        for token in [t for t in ref[1:].split("/") if t]:
            token = token.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or token not in node:
                raise SchemaNotSatisfiableError(f"$ref {ref!r} does not resolve")
            node = node[token]
        siblings = {k: v for k, v in schema.items() if k != "$ref"}
        return {**node, **siblings} if isinstance(node, dict) and siblings else node

    def value(self, schema: Any, depth: int) -> Any:
        if schema is True or schema == {}:
            return self.words(1)
        if not isinstance(schema, dict):
            raise SchemaNotSatisfiableError("a schema must be an object or a boolean")
        if depth > _MAX_DEPTH * 4:
            raise SchemaNotSatisfiableError("the schema nests too deeply")
        schema = self.resolve(schema)
        if not isinstance(schema, dict):
            return self.value(schema, depth + 1)
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return self.rng.choice(schema["enum"])
        if isinstance(schema.get("allOf"), list):
            merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
            for part in schema["allOf"]:
                part = self.resolve(part) if isinstance(part, dict) else {}
                merged = _merge(merged, part)
            return self.value(merged, depth + 1)
        for key in ("anyOf", "oneOf"):
            branches = schema.get(key)
            if isinstance(branches, list) and branches:
                return self.branch(schema, key, branches, depth)
        kind = schema.get("type")
        if isinstance(kind, list):
            kinds = [k for k in kind if k != "null"] or kind
            kind = kinds[0] if depth <= _MAX_DEPTH else ("null" if "null" in kind else kinds[0])
        if kind is None:
            kind = _implied_type(schema)
        return self.typed(kind, schema, depth)

    def branch(self, schema: dict[str, Any], key: str, branches: list[Any], depth: int) -> Any:
        base = {k: v for k, v in schema.items() if k != key}
        deep = depth > _MAX_DEPTH  # deep in a recursive schema, the null branch ends it

        def is_null(branch: Any) -> bool:
            return isinstance(branch, dict) and branch.get("type") == "null"

        ordered = sorted(branches, key=lambda b: is_null(b) != deep)
        last: SchemaNotSatisfiableError | None = None
        for candidate in ordered:
            merged = _merge(base, self.resolve(candidate) if isinstance(candidate, dict) else {})
            try:
                value = self.value(merged, depth + 1)
            except SchemaNotSatisfiableError as exc:
                last = exc
                continue
            if key == "anyOf" or _matches_exactly_one(value, branches, self.root):
                return value
        raise last or SchemaNotSatisfiableError(f"no branch of {key} could be satisfied")

    def typed(self, kind: Any, schema: dict[str, Any], depth: int) -> Any:
        if kind == "object":
            return self.object(schema, depth)
        if kind == "array":
            return self.array(schema, depth)
        if kind == "string":
            return self.string(schema)
        if kind in ("integer", "number"):
            return self.number(schema, integer=kind == "integer")
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind == "null":
            return None
        raise SchemaNotSatisfiableError(f"unknown type {kind!r}")

    def object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        properties = schema.get("properties") or {}
        required = [r for r in schema.get("required") or [] if isinstance(r, str)]
        limit = schema.get("maxProperties")
        names = list(required)
        if depth < _MAX_DEPTH:
            names += [name for name in properties if name not in required]
        if isinstance(limit, int):
            names = names[: max(limit, len(required))]
        result: dict[str, Any] = {}
        for name in names:
            sub = properties.get(name, schema.get("additionalProperties", True))
            if sub is False:
                sub = True
            result[name] = self.value(sub, depth + 1)
        minimum = schema.get("minProperties")
        extra = schema.get("additionalProperties", True)
        while isinstance(minimum, int) and len(result) < minimum and extra is not False:
            result[f"key_{len(result)}"] = self.value(extra, depth + 1)
        return result

    def array(self, schema: dict[str, Any], depth: int) -> list[Any]:
        prefix_items = schema.get("prefixItems")
        prefix: list[Any] = prefix_items if isinstance(prefix_items, list) else []
        items = schema.get("items", True)
        low = int(schema.get("minItems", 0) or 0)
        high = schema.get("maxItems")
        count = max(low, len(prefix), 0 if depth > _MAX_DEPTH else 1 + self.rng.randint(0, 1))
        if isinstance(high, int):
            count = min(count, high)
        values = [self.value(s, depth + 1) for s in prefix[:count]]
        attempts = 0
        while len(values) < count and attempts < count * 8:
            attempts += 1
            candidate = self.value(items if items is not False else True, depth + 1)
            if schema.get("uniqueItems") and candidate in values:
                continue
            values.append(candidate)
        return values

    def string(self, schema: dict[str, Any]) -> str:
        if isinstance(schema.get("format"), str) and schema["format"] in _FORMATS:
            return _FORMATS[schema["format"]]
        low = int(schema.get("minLength", 0) or 0)
        high = schema.get("maxLength")
        text = self.words(self.rng.randint(1, 3))
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            text = _pattern_match(pattern, (text, *_PATTERN_CANDIDATES))
        while len(text) < low:
            text += self.rng.choice(WORDS)
        if isinstance(high, int) and len(text) > high:
            text = text[:high]
        return text

    def number(self, schema: dict[str, Any], *, integer: bool) -> int | float:
        low = schema.get("minimum")
        high = schema.get("maximum")
        if isinstance(schema.get("exclusiveMinimum"), int | float):
            low = schema["exclusiveMinimum"] + (1 if integer else 0.5)
        if isinstance(schema.get("exclusiveMaximum"), int | float):
            high = schema["exclusiveMaximum"] - (1 if integer else 0.5)
        low = low if isinstance(low, int | float) else (high - 100 if high is not None else 0)
        high = high if isinstance(high, int | float) else low + 100
        step = schema.get("multipleOf")
        if isinstance(step, int | float) and step > 0:
            first = -(-low // step)
            last = high // step
            if first > last:
                raise SchemaNotSatisfiableError("no multiple of multipleOf within the bounds")
            multiple = step * self.rng.randint(int(first), int(last))
            return int(multiple) if integer or float(multiple).is_integer() else multiple
        if integer:
            first_int, last_int = -int(-low // 1), int(high // 1)
            if first_int > last_int:
                raise SchemaNotSatisfiableError("no integer within the bounds")
            return self.rng.randint(first_int, last_int)
        return round(self.rng.uniform(low, high), 2) if high > low else low

    def words(self, count: int) -> str:
        return " ".join(self.rng.choice(WORDS) for _ in range(max(count, 1)))


def _remote_ref(schema: Any) -> str | None:
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            return ref
        children: Any = schema.values()
    elif isinstance(schema, list):
        children = schema
    else:
        return None
    return next((r for r in map(_remote_ref, children) if r is not None), None)


def _implied_type(schema: dict[str, Any]) -> str:
    if "properties" in schema or "required" in schema or "additionalProperties" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    if any(k in schema for k in ("minimum", "maximum", "multipleOf")):
        return "number"
    return "string"


def _merge(base: dict[str, Any], extra: Any) -> dict[str, Any]:
    if not isinstance(extra, dict):
        return base
    merged = {**base, **extra}
    if isinstance(base.get("properties"), dict) and isinstance(extra.get("properties"), dict):
        merged["properties"] = {**base["properties"], **extra["properties"]}
    if isinstance(base.get("required"), list) and isinstance(extra.get("required"), list):
        merged["required"] = list(dict.fromkeys([*base["required"], *extra["required"]]))
    return merged


def _matches_exactly_one(value: Any, branches: list[Any], root: Any) -> bool:
    matches = 0
    for branch in branches:
        schema = branch
        if isinstance(root, dict) and isinstance(branch, dict):  # keep local $refs resolvable
            defs = {k: root[k] for k in ("$defs", "definitions") if k in root}
            schema = {**defs, **branch}
        try:
            if jsonschema_rs.is_valid(schema, value, offline=True):
                matches += 1
        except (jsonschema_rs.ValidationError, ValueError, TypeError):
            continue
    return matches == 1


def _pattern_match(pattern: str, candidates: tuple[str, ...]) -> str:
    try:
        compiled = re.compile(pattern)
    except re.error:
        raise SchemaNotSatisfiableError(f"the pattern {pattern!r} is not supported") from None
    for candidate in candidates:
        if compiled.search(candidate):
            return candidate
    raise SchemaNotSatisfiableError(f"no string matching the pattern {pattern!r} was found")
