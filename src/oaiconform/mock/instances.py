"""Deterministic, schema-valid JSON instances of a JSON Schema: the mock's one generator.

Two kinds of caller share it. The generic handler (and the self-tests' request builder) asks for
an instance of a schema of the OpenAPI description by JSON pointer, judged by the description's
compiled validators: `InstanceGenerator(document, is_valid).generate(pointer)`. Without a random
generator the answer is minimal and a pure function of the schema: required properties only, the
first enum value, bounds respected, a string matching a simple `pattern`. Handlers that stand in
for a model (tool-call arguments, structured outputs) call `instance_for(schema, rng)` with the
client's schema and a seeded rng: the values vary with the seed (enum members, words, numbers
within bounds, optional properties near the top) and are the same for the same seed.

Values are built by construction; the validator is asked only where construction cannot decide:
which anyOf/oneOf branch fits, whether the parts of an allOf merge cleanly, which member of a type
list works. Recursive schemas end because, past a depth, cheap branches are preferred (null,
empty arrays, branches whose $ref is not already being generated) and a hard limit rejects a
branch so that another is tried. A schema that is invalid or cannot be satisfied raises
`SchemaNotSatisfiableError`, which the model handlers turn into the API's 400.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import jsonschema_rs

from oaiconform.mock.text import WORDS

Validate = Callable[[str, Any], bool]  # (JSON pointer of a schema, instance) -> valid?

_SHALLOW_DEPTH = 6  # $ref depth after which the cheapest branches are preferred
_HARD_DEPTH = 40  # $ref depth at which a branch is given up (and another one tried)
_VARIED_LEVELS = 4  # nesting up to which an rng adds optional properties and array items
_UNIX_TIME = 1_700_000_000
_FORMATS = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "00:00:00Z",
    "duration": "PT1H",
    "uri": "https://example.com",
    "url": "https://example.com",
    "hostname": "example.com",
    "email": "user@example.com",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "ipv4": "127.0.0.1",
    "ipv6": "2001:db8::1",
    "binary": "",
    "byte": "",
}
_PATTERN_FALLBACKS = ("abc", "a", "A", "0", "123", "a1", "ABC", "2024-05-17", "x-y", "a_b")
_OBJECT_KEYS = ("properties", "required", "additionalProperties", "minProperties")
_ARRAY_KEYS = ("items", "prefixItems", "minItems", "maxItems")
_STRING_KEYS = ("minLength", "maxLength", "pattern", "format")
_NUMBER_KEYS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
_LOCAL_URI = "urn:oaiconform:instance"
_URI_SAFE = "/$~!&'()*+,;=:@-._"  # what a JSON pointer keeps unescaped in a URI fragment
_SUPPORTED = (
    "the mock supports types, enum, const, properties, items, bounds, formats and simple patterns"
)


class SchemaNotSatisfiableError(ValueError):
    """The schema (at `pointer`) is invalid or asks for something the generator cannot build."""

    def __init__(self, pointer: str, reason: str) -> None:
        super().__init__(f"{pointer}: {reason}" if pointer else reason)
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


# -- a client's schema -------------------------------------------------------------------------


def instance_for(schema: Any, rng: random.Random) -> Any:
    """A value that validates against a standalone `schema`, the same one for the same rng state."""
    validator = _StandaloneValidator(schema)
    value = InstanceGenerator(schema, validator, rng).build("")
    errors = validator.errors(value)
    if errors:
        reason = f"no instance could be generated ({errors[0]}); {_SUPPORTED}"
        raise SchemaNotSatisfiableError("", reason)
    return value


class _StandaloneValidator:
    """Validity at any pointer of one schema, compiled once per pointer; never fetches a $ref."""

    def __init__(self, schema: Any) -> None:
        remote = _remote_ref(schema)
        if remote is not None:  # the mock makes no outbound requests
            raise SchemaNotSatisfiableError("", f"only local $ref is supported, got {remote!r}")
        try:
            root = jsonschema_rs.validator_for(schema, offline=True)
        except (jsonschema_rs.ValidationError, ValueError, TypeError) as exc:
            first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise SchemaNotSatisfiableError("", f"the schema is not valid: {first_line}") from None
        self.schema = schema
        self.validators: dict[str, Any] = {"": root}
        self.registry: Any = None

    def errors(self, value: Any, pointer: str = "") -> list[str]:
        if pointer not in self.validators:
            self.validators[pointer] = self._compile(pointer)
        validator = self.validators[pointer]
        if validator is None:
            return []  # unchecked here; the whole instance is checked at the root
        # iter_errors, as Spec.validate: is_valid refuses every instance of a schema whose
        # `required` repeats a name, while iter_errors reports nothing
        return [error.message for error in validator.iter_errors(value)]

    def _compile(self, pointer: str) -> Any:
        try:
            if self.registry is None:
                self.registry = jsonschema_rs.Registry([(_LOCAL_URI, self.schema)])
            uri = f"{_LOCAL_URI}#{quote(pointer, safe=_URI_SAFE)}"
            return jsonschema_rs.validator_for({"$ref": uri}, registry=self.registry)
        except (jsonschema_rs.ValidationError, ValueError, TypeError):
            return None

    def __call__(self, pointer: str, value: Any) -> bool:
        return not self.errors(value, pointer)


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


# -- the generator -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    stack: tuple[str, ...] = ()  # $ref targets being generated, outermost first
    # properties (schema, pointer) that the enclosing schema or its allOf siblings define: a
    # branch such as `anyOf: [{required: [a]}, {required: [b]}]` names properties defined there
    inherited: dict[str, tuple[Any, str]] | None = None
    level: int = 0  # how deep in the value (objects and arrays) this schema's instance sits

    @property
    def deep(self) -> bool:
        return len(self.stack) >= _SHALLOW_DEPTH

    def enter(self, target: str) -> _Context:
        if len(self.stack) >= _HARD_DEPTH:
            raise SchemaNotSatisfiableError(target, "recursion too deep")
        return _Context((*self.stack, target), level=self.level)

    def child(self) -> _Context:
        return _Context(self.stack, level=self.level + 1)

    def within(self, properties: dict[str, tuple[Any, str]]) -> _Context:
        return _Context(self.stack, {**(self.inherited or {}), **properties}, self.level)


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
    """Instances of the schemas of `document`, checked by `is_valid` where a choice is made.

    Without `rng`, the minimal instance; with one, varied values that depend on its state.
    """

    def __init__(self, document: Any, is_valid: Validate, rng: random.Random | None = None) -> None:
        self.document = document
        self.is_valid = is_valid
        self.rng = rng

    def generate(self, pointer: str) -> Any:
        """A valid instance of the schema at `pointer`, or SchemaNotSatisfiableError."""
        value = self.build(pointer)
        if not self.is_valid(pointer, value):
            raise SchemaNotSatisfiableError(pointer, "the generated instance does not validate")
        return value

    def build(self, pointer: str) -> Any:
        """An instance of the schema at `pointer`, valid wherever a choice was checked."""
        return self._generate(resolve_pointer(self.document, pointer), pointer, _Context())

    def _variety(self, ctx: _Context) -> random.Random | None:
        """The rng where optional content is added: near the top of the value."""
        return self.rng if ctx.level < _VARIED_LEVELS and not ctx.deep else None

    # -- composition -------------------------------------------------------------------------

    def _generate(self, node: Any, pointer: str, ctx: _Context) -> Any:
        if node is True:
            return None if self.rng is None else _words(self.rng, 1)
        if not isinstance(node, dict):
            raise SchemaNotSatisfiableError(pointer, "the schema admits no value")
        if "const" in node:
            return node["const"]
        if isinstance(node.get("enum"), list) and node["enum"]:
            values = node["enum"]
            if self.rng is not None:
                return self.rng.choice(values)
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
            if _annotation_only(branch):  # `{nullable: true, description}` beside a $ref
                continue
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
        raise SchemaNotSatisfiableError(pointer, "the parts of the allOf do not merge")

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
            target = self._target(ref, pointer)
            inner = self._defined_properties(target[1], target[0], depth + 1)
            found.update({k: v for k, v in inner.items() if k not in found})
        for index, branch in enumerate(node.get("allOf") or []):
            inner = self._defined_properties(branch, f"{pointer}/allOf/{index}", depth + 1)
            found.update({k: v for k, v in inner.items() if k not in found})
        return found

    def _target(self, ref: str, pointer: str) -> tuple[str, Any]:
        """(pointer, schema) that a local $ref names."""
        if ref != "#" and not ref.startswith("#/"):
            raise SchemaNotSatisfiableError(pointer, f"only local $ref is supported, got {ref!r}")
        try:
            return ref[1:], resolve_pointer(self.document, ref[1:])
        except (KeyError, IndexError, ValueError, TypeError):
            raise SchemaNotSatisfiableError(pointer, f"$ref {ref!r} does not resolve") from None

    def _ref(self, ref: str, pointer: str, ctx: _Context) -> Any:
        target, node = self._target(ref, pointer)
        return self._generate(node, target, ctx.enter(target))

    def _union(
        self, node: dict[str, Any], key: str, parts: list[Any], pointer: str, ctx: _Context
    ) -> Any:
        branches = node[key]
        for index in self._branch_order(branches, ctx):
            try:
                value = self._generate(branches[index], f"{pointer}/{key}/{index}", ctx)
            except SchemaNotSatisfiableError:
                continue
            for candidate in self._candidates(node, branches[index], parts, value):
                if self.is_valid(pointer, candidate):
                    return candidate
        raise SchemaNotSatisfiableError(pointer, f"no {key} branch validates")

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
        errors: list[SchemaNotSatisfiableError] = []
        for kind in kinds:
            try:
                return self._of_type(kind, node, pointer, ctx)
            except SchemaNotSatisfiableError as exc:
                errors.append(exc)
        raise errors[0]

    def _of_type(self, kind: str | None, node: dict[str, Any], pointer: str, ctx: _Context) -> Any:
        if kind == "object":
            return self._object(node, pointer, ctx)
        if kind == "array":
            return self._array(node, pointer, ctx)
        if kind == "string":
            return self._string(node, pointer)
        if kind in ("integer", "number"):
            return _number(node, pointer, integer=kind == "integer", rng=self.rng)
        if kind == "boolean":
            return self.rng is not None and self.rng.random() < 0.5
        if kind == "null":
            return None
        if kind is None:
            return {} if self.rng is None else _words(self.rng, 1)
        raise SchemaNotSatisfiableError(pointer, f"unknown type {kind!r}")

    def _object(self, node: dict[str, Any], pointer: str, ctx: _Context) -> dict[str, Any]:
        properties = node.get("properties") or {}
        inherited = ctx.inherited or {}
        extra = node.get("additionalProperties", True)
        names = list(dict.fromkeys(node.get("required") or []))  # upstream repeats some
        optional = [name for name in properties if name not in names]
        wanted = int(node.get("minProperties", 0))
        if self._variety(ctx) is not None:  # the optional properties too, within maxProperties
            limit = node.get("maxProperties")
            wanted = max(wanted, len(names) + len(optional))
            if isinstance(limit, int):
                wanted = min(wanted, max(limit, len(names)))
        names += optional[: max(0, wanted - len(names))]
        names += [f"key_{n}" for n in range(len(names), wanted) if extra is not False]
        out: dict[str, Any] = {}
        for name in names:
            if name in properties:
                schema, at = properties[name], f"{pointer}/properties/{escape_token(name)}"
            elif name in inherited:
                schema, at = inherited[name]
            elif isinstance(extra, dict):
                schema, at = extra, f"{pointer}/additionalProperties"
            elif extra is False:
                raise SchemaNotSatisfiableError(pointer, f"required {name!r} is not allowed")
            else:
                schema, at = True, pointer
            out[name] = self._generate(schema, at, ctx.child())
        return out

    def _array(self, node: dict[str, Any], pointer: str, ctx: _Context) -> list[Any]:
        low = int(node.get("minItems", 0))
        high = node.get("maxItems")
        prefix = node.get("prefixItems") or []
        rng = self._variety(ctx)
        some = 0 if ctx.deep else 1 + (rng.randint(0, 1) if rng is not None else 0)
        wanted = max(low, some, 0 if ctx.deep else len(prefix))
        if isinstance(high, int):
            wanted = min(wanted, high)
        items = node.get("items", True)
        out: list[Any] = []
        seen: set[str] = set()
        attempts = 0
        while len(out) < wanted and attempts < wanted * 8:
            attempts, index = attempts + 1, len(out)
            if index < len(prefix):
                schema, at = prefix[index], f"{pointer}/prefixItems/{index}"
            else:
                schema, at = items, f"{pointer}/items"
            try:
                value = self._generate(schema, at, ctx.child())
            except SchemaNotSatisfiableError:
                if index >= low:
                    break
                raise
            key = json.dumps(value, sort_keys=True)
            if node.get("uniqueItems") and key in seen:
                if self.rng is None:
                    break  # the same schema gives the same value again
                continue
            seen.add(key)
            out.append(value)
        if len(out) < low:
            raise SchemaNotSatisfiableError(pointer, "cannot make distinct items")
        return out

    def _string(self, node: dict[str, Any], pointer: str) -> str:
        pattern = node.get("pattern")
        if isinstance(pattern, str):
            return _string_matching(pattern, pointer)
        low = int(node.get("minLength", 0))
        high = node.get("maxLength")
        fmt = node.get("format")
        if isinstance(fmt, str) and fmt in _FORMATS:
            value = _FORMATS[fmt]
        elif self.rng is not None:
            value = _words(self.rng, self.rng.randint(1, 3))
        else:  # an example such as "list" for a list's `object` says more than "string"
            hints = (node.get("example"), node.get("default"))
            value = next((h for h in hints if isinstance(h, str) and len(h) <= 64), "string")
        if len(value) < low:
            value += "x" * (low - len(value))
        if isinstance(high, int) and len(value) > high:
            if fmt in _FORMATS and fmt not in ("binary", "byte"):
                raise SchemaNotSatisfiableError(pointer, f"a {fmt} longer than maxLength {high}")
            value = value[:high]
        return value


def _words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(count))


_ANNOTATIONS = frozenset(
    {"description", "title", "nullable", "deprecated", "example", "examples", "default"}
)


def _annotation_only(node: Any) -> bool:
    """A schema that constrains nothing but says something (an allOf member that only adds a
    description or `nullable`, prepared as `anyOf: [{description}, {type: null}]`): an
    instance of it would be any value, merged over the rest."""
    if not isinstance(node, dict):
        return False
    if set(node) == {"anyOf"} and isinstance(node["anyOf"], list):
        return all(b == {"type": "null"} or _annotation_only(b) for b in node["anyOf"])
    return all(key in _ANNOTATIONS or key.startswith("x-") for key in node)


def _merge_all(parts: list[Any]) -> Any:
    value = parts[0] if parts else {}
    for part in parts[1:]:
        value = merge_instances(value, part)
    return value


def _bound(node: dict[str, Any], key: str) -> float | None:
    value = node.get(key)
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _interval(node: dict[str, Any], *, integer: bool) -> tuple[float | None, float | None]:
    """The inclusive ends within which a number satisfies the bounds (None: unbounded)."""
    low, high = _bound(node, "minimum"), _bound(node, "maximum")
    ex_low, ex_high = _bound(node, "exclusiveMinimum"), _bound(node, "exclusiveMaximum")
    if integer:
        ends = [math.ceil(low)] if low is not None else []
        ends += [math.floor(ex_low) + 1] if ex_low is not None else []
        starts = [math.floor(high)] if high is not None else []
        starts += [math.ceil(ex_high) - 1] if ex_high is not None else []
        return (max(ends) if ends else None), (min(starts) if starts else None)
    # a strict end becomes a point inside: half way to the other end, else one unit in
    if ex_low is not None and (low is None or ex_low >= low):
        other = high if high is not None else ex_high
        low = (ex_low + other) / 2 if other is not None and other > ex_low else ex_low + 1
    if ex_high is not None and (high is None or ex_high <= high):
        other = low if low is not None else ex_low
        high = (other + ex_high) / 2 if other is not None and other < ex_high else ex_high - 1
    return low, high


def _number(
    node: dict[str, Any], pointer: str, *, integer: bool, rng: random.Random | None
) -> int | float:
    low, high = _interval(node, integer=integer)
    kind = "integer" if integer else "number"
    if low is not None and high is not None and low > high:
        raise SchemaNotSatisfiableError(pointer, f"no {kind} within the bounds")
    if rng is None:
        value: float = _UNIX_TIME if node.get("format") == "unixtime" else 0
    else:
        start = low if low is not None else (high - 100 if high is not None else 0)
        end = high if high is not None else start + 100
        value = rng.randint(int(start), int(end)) if integer else round(rng.uniform(start, end), 2)
    value = max(value, low) if low is not None else value
    value = min(value, high) if high is not None else value
    step = _bound(node, "multipleOf")
    if step is not None and step > 0 and value % step:
        near = (math.ceil(value / step) * step, math.floor(value / step) * step)
        inside = [m for m in near if (low is None or m >= low) and (high is None or m <= high)]
        if not inside:
            raise SchemaNotSatisfiableError(pointer, "no multiple of multipleOf within the bounds")
        value = inside[0]
    if integer:
        if value != int(value):
            raise SchemaNotSatisfiableError(pointer, "no integer within the bounds")
        return int(value)
    return float(value)


# -- strings for patterns ----------------------------------------------------------------------

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


def _string_matching(pattern: str, pointer: str) -> str:
    try:
        compiled = re.compile(pattern)
        built = string_for_pattern(pattern)
    except re.error:
        reason = f"the pattern {pattern!r} is not supported"
        raise SchemaNotSatisfiableError(pointer, reason) from None
    candidates = (built,) if built is not None else _PATTERN_FALLBACKS
    found = next((c for c in candidates if compiled.search(c)), None)
    if found is None:
        reason = f"no string matching the pattern {pattern!r} was found"
        raise SchemaNotSatisfiableError(pointer, reason)
    return found


__all__ = [
    "InstanceGenerator",
    "SchemaNotSatisfiableError",
    "escape_token",
    "instance_for",
    "merge_instances",
    "resolve_pointer",
    "string_for_pattern",
]
