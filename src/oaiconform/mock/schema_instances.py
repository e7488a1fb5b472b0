"""Deterministic, schema-valid instances of the schemas in one OpenAPI/JSON Schema document.

The generic mock handler answers every operation nobody wrote a handler for, and its answers
must validate against the description; the self-tests build request bodies the same way. The
generator is a pure function of the schema (no randomness): it builds a value by construction
(required properties only, the first enum value, bounds respected, a string matching a simple
`pattern`) and asks the document's validator only where construction cannot decide: which
anyOf/oneOf branch fits, whether the parts of an allOf merge cleanly, which member of a type
list works. Recursive schemas end because, past a depth, cheap branches are preferred (null,
empty arrays, branches whose $ref is not already being generated) and a hard limit rejects a
branch so that another is tried.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

Validate = Callable[[str, Any], bool]  # (JSON pointer of a schema, instance) -> valid?

_SHALLOW_DEPTH = 6  # $ref depth after which the cheapest branches are preferred
_HARD_DEPTH = 40  # $ref depth at which a branch is given up (and another one tried)
_UNIX_TIME = 1_700_000_000
_FORMATS = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "00:00:00Z",
    "uri": "https://example.com",
    "url": "https://example.com",
    "email": "user@example.com",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "ipv4": "127.0.0.1",
    "binary": "",
    "byte": "",
}
_OBJECT_KEYS = ("properties", "required", "additionalProperties", "minProperties")
_ARRAY_KEYS = ("items", "prefixItems", "minItems", "maxItems")
_STRING_KEYS = ("minLength", "maxLength", "pattern", "format")
_NUMBER_KEYS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")


class UnsatisfiableSchemaError(Exception):
    """No instance was found for the schema at `pointer` (a bug in the schema or a limit here)."""

    def __init__(self, pointer: str, reason: str) -> None:
        super().__init__(f"{pointer or '/'}: {reason}")
        self.pointer = pointer


def escape_token(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def resolve_pointer(document: Any, pointer: str) -> Any:
    """The node at a JSON pointer such as /components/schemas/Model."""
    node = document
    for token in pointer.split("/")[1:] if pointer else []:
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def merge_instances(first: Any, second: Any) -> Any:
    """Both objects' properties (recursively); for anything else the second, more specific one."""
    if isinstance(first, dict) and isinstance(second, dict):
        merged = dict(first)
        for key, value in second.items():
            merged[key] = merge_instances(merged[key], value) if key in merged else value
        return merged
    return second


@dataclass(frozen=True)
class _Context:
    stack: tuple[str, ...] = ()  # $ref targets being generated, outermost first
    # properties (schema, pointer) that the enclosing schema or its allOf siblings define: a
    # branch such as `anyOf: [{required: [a]}, {required: [b]}]` names properties defined there
    inherited: dict[str, tuple[Any, str]] | None = None

    @property
    def deep(self) -> bool:
        return len(self.stack) >= _SHALLOW_DEPTH

    def enter(self, target: str) -> _Context:
        if len(self.stack) >= _HARD_DEPTH:
            raise UnsatisfiableSchemaError(target, "recursion too deep")
        return _Context((*self.stack, target))

    @property
    def bare(self) -> _Context:
        return _Context(self.stack) if self.inherited else self

    def within(self, properties: dict[str, tuple[Any, str]]) -> _Context:
        return _Context(self.stack, {**(self.inherited or {}), **properties})


def _types_of(node: dict[str, Any]) -> list[str | None]:
    kind = node.get("type")
    if isinstance(kind, str):
        return [kind]
    if isinstance(kind, list):
        return [str(k) for k in kind]
    for name, keys in (
        ("object", _OBJECT_KEYS),
        ("array", _ARRAY_KEYS),
        ("string", _STRING_KEYS),
        ("number", _NUMBER_KEYS),
    ):
        if any(key in node for key in keys):
            return [name]
    return [None]


class InstanceGenerator:
    """Instances of the schemas of `document`, checked by `is_valid` where a choice is made."""

    def __init__(self, document: Any, is_valid: Validate) -> None:
        self.document = document
        self.is_valid = is_valid

    def generate(self, pointer: str) -> Any:
        """A valid instance of the schema at `pointer`, or UnsatisfiableSchemaError."""
        value = self._generate(resolve_pointer(self.document, pointer), pointer, _Context())
        if not self.is_valid(pointer, value):
            raise UnsatisfiableSchemaError(pointer, "the generated instance does not validate")
        return value

    # -- composition -------------------------------------------------------------------------

    def _generate(self, node: Any, pointer: str, ctx: _Context) -> Any:
        if node is True:
            return None
        if not isinstance(node, dict):
            raise UnsatisfiableSchemaError(pointer, "the schema admits no value")
        if "const" in node:
            return node["const"]
        if isinstance(node.get("enum"), list) and node["enum"]:
            values = node["enum"]
            return next((v for v in values if v is not None), values[0])
        parts: list[Any] = []
        composed = any(key in node for key in ("allOf", "anyOf", "oneOf"))
        inner = ctx.within(self._defined_properties(node, pointer, 0)) if composed else ctx
        own = {k: v for k, v in node.items() if k not in ("$ref", "allOf", "anyOf", "oneOf")}
        has_own = any(key in own for key in ("type", *_OBJECT_KEYS, *_ARRAY_KEYS, *_STRING_KEYS))
        if has_own or not (composed or "$ref" in node):
            parts.append(self._typed(own, pointer, ctx))
        if isinstance(node.get("$ref"), str):
            parts.append(self._ref(node["$ref"], pointer, ctx))
        for index, branch in enumerate(node.get("allOf") or []):
            parts.append(self._generate(branch, f"{pointer}/allOf/{index}", inner))
        union_key = "anyOf" if "anyOf" in node else "oneOf" if "oneOf" in node else None
        if union_key is not None:
            return self._union(node, union_key, parts, pointer, inner)
        if len(parts) == 1:
            return parts[0]
        for ordered in (parts, parts[::-1]):
            candidate = _merge_all(ordered)
            if self.is_valid(pointer, candidate):
                return candidate
        raise UnsatisfiableSchemaError(pointer, "the parts of the allOf do not merge")

    def _defined_properties(
        self, node: Any, pointer: str, depth: int
    ) -> dict[str, tuple[Any, str]]:
        """Properties defined by a schema, its $ref and its allOf branches (first one wins)."""
        if not isinstance(node, dict) or depth > 4:
            return {}
        found = {
            name: (schema, f"{pointer}/properties/{escape_token(name)}")
            for name, schema in (node.get("properties") or {}).items()
        }
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#"):
            target = resolve_pointer(self.document, ref[1:])
            inner = self._defined_properties(target, ref[1:], depth + 1)
            found.update({k: v for k, v in inner.items() if k not in found})
        for index, branch in enumerate(node.get("allOf") or []):
            inner = self._defined_properties(branch, f"{pointer}/allOf/{index}", depth + 1)
            found.update({k: v for k, v in inner.items() if k not in found})
        return found

    def _ref(self, ref: str, pointer: str, ctx: _Context) -> Any:
        if not ref.startswith("#"):
            raise UnsatisfiableSchemaError(pointer, f"external $ref {ref!r} is not supported")
        target = ref[1:]
        node = resolve_pointer(self.document, target)
        return self._generate(node, target, ctx.enter(target))

    def _union(
        self, node: dict[str, Any], key: str, parts: list[Any], pointer: str, ctx: _Context
    ) -> Any:
        branches = node[key]
        for index in self._branch_order(branches, ctx):
            try:
                value = self._generate(branches[index], f"{pointer}/{key}/{index}", ctx)
            except UnsatisfiableSchemaError:
                continue
            for candidate in self._candidates(node, branches[index], parts, value):
                if self.is_valid(pointer, candidate):
                    return candidate
        raise UnsatisfiableSchemaError(pointer, f"no {key} branch validates")

    def _branch_order(self, branches: list[Any], ctx: _Context) -> list[int]:
        def cost(index: int) -> tuple[int, int]:
            branch = branches[index]
            is_null = isinstance(branch, dict) and branch.get("type") == "null"
            ref = branch.get("$ref", "") if isinstance(branch, dict) else ""
            recursive = ref.startswith("#") and ref[1:] in ctx.stack
            return (int(recursive), int(is_null) if not ctx.deep else -int(is_null))

        return sorted(range(len(branches)), key=cost)

    def _candidates(
        self, node: dict[str, Any], branch: Any, parts: list[Any], value: Any
    ) -> Iterator[Any]:
        yield _merge_all([*parts, value])
        discriminator = node.get("discriminator")
        if not (isinstance(discriminator, dict) and isinstance(value, dict)):
            return
        name = discriminator.get("propertyName")
        ref = branch.get("$ref") if isinstance(branch, dict) else None
        if not isinstance(name, str) or not isinstance(ref, str):
            return
        mapping = discriminator.get("mapping") or {}
        label = next((k for k, v in mapping.items() if v == ref), ref.rsplit("/", 1)[-1])
        yield _merge_all([*parts, {**value, name: label}])

    # -- one type ----------------------------------------------------------------------------

    def _typed(self, node: dict[str, Any], pointer: str, ctx: _Context) -> Any:
        kinds = _types_of(node)
        if len(kinds) > 1:
            kinds = sorted(kinds, key=lambda k: (k == "null") != ctx.deep)
        errors: list[UnsatisfiableSchemaError] = []
        for kind in kinds:
            try:
                return self._of_type(kind, node, pointer, ctx)
            except UnsatisfiableSchemaError as exc:
                errors.append(exc)
        raise errors[0]

    def _of_type(self, kind: str | None, node: dict[str, Any], pointer: str, ctx: _Context) -> Any:
        if kind == "object":
            return self._object(node, pointer, ctx)
        if kind == "array":
            return self._array(node, pointer, ctx)
        if kind == "string":
            return _string(node, pointer)
        if kind in ("integer", "number"):
            return _number(node, pointer, integer=kind == "integer")
        if kind == "boolean":
            return False
        if kind == "null":
            return None
        if kind is None:
            return {}
        raise UnsatisfiableSchemaError(pointer, f"unknown type {kind!r}")

    def _object(self, node: dict[str, Any], pointer: str, ctx: _Context) -> dict[str, Any]:
        properties = node.get("properties") or {}
        inherited = ctx.inherited or {}
        extra = node.get("additionalProperties", True)
        names = list(dict.fromkeys(node.get("required") or []))  # upstream repeats some
        optional = [name for name in properties if name not in names]
        names += optional[: max(0, int(node.get("minProperties", 0)) - len(names))]
        out: dict[str, Any] = {}
        for name in names:
            if name in properties:
                schema, at = properties[name], f"{pointer}/properties/{escape_token(name)}"
            elif name in inherited:
                schema, at = inherited[name]
            elif isinstance(extra, dict):
                schema, at = extra, f"{pointer}/additionalProperties"
            elif extra is False:
                raise UnsatisfiableSchemaError(pointer, f"required {name!r} is not allowed")
            else:
                schema, at = True, pointer
            out[name] = self._generate(schema, at, ctx.bare)
        return out

    def _array(self, node: dict[str, Any], pointer: str, ctx: _Context) -> list[Any]:
        low = int(node.get("minItems", 0))
        high = node.get("maxItems")
        prefix = node.get("prefixItems") or []
        wanted = max(low, 0 if ctx.deep else 1, len(prefix) if low else 0)
        if isinstance(high, int):
            wanted = min(wanted, high)
        out: list[Any] = []
        items = node.get("items", True)
        for index in range(wanted):
            if index < len(prefix):
                schema, at = prefix[index], f"{pointer}/prefixItems/{index}"
            else:
                schema, at = items, f"{pointer}/items"
            try:
                out.append(self._generate(schema, at, ctx.bare))
            except UnsatisfiableSchemaError:
                if index >= low:
                    break
                raise
        if node.get("uniqueItems") and len(out) > 1 and len({repr(v) for v in out}) < len(out):
            if low > 1:
                raise UnsatisfiableSchemaError(pointer, "cannot make distinct items")
            out = out[:1]
        return out


_CLASS_ESCAPES = {"d": "0", "w": "a", "s": " ", "D": "a", "W": "-", "S": "a"}
_QUANTIFIER = re.compile(r"\{(\d+)(,\d*)?\}|[*+?]")


def _class_member(body: str) -> str | None:
    """A character of a bracket expression such as `a-z0-9_` (or of its complement)."""
    if body.startswith("^"):
        excluded = body[1:]
        return next((c for c in "a0_-xZ" if not re.fullmatch(f"[{excluded}]", c)), None)
    if body.startswith("\\") and len(body) > 1:
        return _CLASS_ESCAPES.get(body[1], body[1])
    return body[0] if body else None


def string_for_pattern(pattern: str) -> str | None:
    """The shortest-ish string of a simple regex (literals, classes, quantifiers), or None."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char in "^$":
            index += 1
            continue
        if char in "()|":
            return None
        if char == "[":
            end = pattern.find("]", index + 2)
            if end < 0:
                return None
            atom, index = _class_member(pattern[index + 1 : end]), end + 1
        elif char == "\\" and index + 1 < len(pattern):
            atom, index = _CLASS_ESCAPES.get(pattern[index + 1], pattern[index + 1]), index + 2
        else:
            atom, index = ("a" if char == "." else char), index + 1
        if atom is None:
            return None
        count = 1
        quantifier = _QUANTIFIER.match(pattern, index)
        if quantifier:
            # one repetition satisfies *, + and ?; a bounded one takes its lower bound
            count = int(quantifier.group(1)) if quantifier.group(1) else 1
            index = quantifier.end()
        out.append(atom * count)
    value = "".join(out) or "a"
    return value if re.search(pattern, value) else None


def _merge_all(parts: list[Any]) -> Any:
    value = parts[0] if parts else {}
    for part in parts[1:]:
        value = merge_instances(value, part)
    return value


def _string(node: dict[str, Any], pointer: str) -> str:
    low = int(node.get("minLength", 0))
    high = node.get("maxLength")
    pattern = node.get("pattern")
    fmt = node.get("format")
    if isinstance(pattern, str):
        value = string_for_pattern(pattern)
        if value is None:
            raise UnsatisfiableSchemaError(pointer, f"cannot build a string for /{pattern}/")
        return value
    value = _FORMATS.get(fmt, "string") if isinstance(fmt, str) else "string"
    hint = next((h for h in (node.get("example"), node.get("default")) if isinstance(h, str)), "")
    if hint and fmt not in _FORMATS and len(hint) <= 64:
        value = hint  # e.g. "list" for a list's `object`: more telling than "string"
    if len(value) < low:
        value += "x" * (low - len(value))
    if isinstance(high, int) and len(value) > high:
        if fmt in _FORMATS and fmt not in ("binary", "byte"):
            raise UnsatisfiableSchemaError(pointer, f"a {fmt} longer than maxLength {high}")
        value = value[:high]
    return value


def _number(node: dict[str, Any], pointer: str, *, integer: bool) -> int | float:
    value: float = _UNIX_TIME if node.get("format") == "unixtime" else 0
    low, high = node.get("minimum"), node.get("maximum")
    ex_low, ex_high = node.get("exclusiveMinimum"), node.get("exclusiveMaximum")
    step = node.get("multipleOf")
    if isinstance(low, int | float) and value < low:
        value = low
    if isinstance(ex_low, int | float) and value <= ex_low:
        value = ex_low + (1 if integer or not isinstance(high, int | float) else 0)
        if not integer and isinstance(high, int | float):
            value = (ex_low + high) / 2
    if isinstance(high, int | float) and value > high:
        value = high
    if isinstance(ex_high, int | float) and value >= ex_high:
        value = ex_high - 1
    if isinstance(step, int | float) and step > 0 and value % step:
        value = (value // step + 1) * step
    if integer:
        if value != int(value):
            raise UnsatisfiableSchemaError(pointer, "no integer within the bounds")
        return int(value)
    return float(value)


__all__ = [
    "InstanceGenerator",
    "UnsatisfiableSchemaError",
    "merge_instances",
    "resolve_pointer",
]
