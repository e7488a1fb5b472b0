"""Every example the pinned description gives, paired with the schema it illustrates.

A server that answers exactly like one of the description's own examples must pass our checks,
so the self-test judges each example the way the checks judge an answer (`split_violations`:
the hard violations of `schema.response_schema_conformance` and the spec-literal
`schema.required_nullable_absent`), on the description as the tool loads it (overlays applied,
`nullable` translated). The kinds:

- `operation`: an operation's documented answer (`x-oaiMeta.examples[].response`), against the
  schema of its success status;
- `event`: one event of a documented stream, against the schema the stream checks use (chat
  chunks, typed Responses events, the documented `text/event-stream` schema, the Assistants
  `{event, data}` union);
- `object`: a component's object example (`x-oaiMeta.example`, the docs' "The ... object");
- `schema`: an `example` keyword of a schema, against that schema;
- `parameter`, `media-type`: the `example`/`examples` of a parameter or media type, against its
  `schema`.

An example that is not JSON at all (elided with `...`, a JavaScript literal, a missing comma, an
empty string) is `Unreadable`: the self-test lists each by name with the reason, so a new one is
noticed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from oaiconform.checks.stream_responses import event_schemas
from oaiconform.checks.streaming import CHUNK_SCHEMA
from oaiconform.mock.generic_responses import example_texts, parse_example, success_status
from oaiconform.spec import Operation, Spec
from oaiconform.sse import parse_stream

ASSISTANT_EVENTS = "/components/schemas/AssistantStreamEvent"
_SSE = "text/event-stream"
_JSON = "application/json"
# Keys whose values are data or names, never schemas holding examples.
_NOT_SCHEMAS = ("example", "examples", "default", "enum", "const", "discriminator", "required")
_NAME_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")


@dataclass(frozen=True)
class Example:
    kind: str
    name: str  # where it is, for a reader: "createBatch: 'title'", a JSON pointer, ...
    pointer: str  # the schema it is judged against
    instance: Any


@dataclass(frozen=True)
class Unreadable:
    kind: str
    name: str


def collect(spec: Spec) -> tuple[list[Example], list[Unreadable]]:
    examples: list[Example] = []
    unreadable: list[Unreadable] = []
    sources = [operation_examples(spec, op) for op in spec.operations.values()]
    for found in (item for source in [*sources, object_examples(spec)] for item in source):
        if isinstance(found, Example):
            examples.append(found)
        else:
            unreadable.append(found)
    examples += keyword_examples(spec.document, "")
    return examples, unreadable


def _example_name(operation: Operation, index: int) -> str:
    raw = (operation.raw.get("x-oaiMeta") or {}).get("examples")
    entries = [raw] if isinstance(raw, dict) else (raw or [])
    titled = [e for e in entries if isinstance(e, dict) and "response" in e]
    title = titled[index].get("title") if index < len(titled) else None
    return f"{operation.operation_id}: {title or f'example {index}'}"


def operation_examples(spec: Spec, operation: Operation) -> Iterator[Example | Unreadable]:
    status = success_status(operation)
    for index, text in enumerate(example_texts(operation)):
        name = _example_name(operation, index)
        if not isinstance(text, str) or not text.strip():
            yield Unreadable("operation", f"{name} (empty)")
            continue
        stripped = text.lstrip()
        if stripped.startswith(("event:", "data:")):
            yield from sse_events(spec, operation, name, text)
            continue
        if operation.operation_id == "createChatCompletion" and "\n\n" in stripped.strip():
            yield from chat_chunks(name, text)
            continue
        pointer = (
            None
            if status is None
            else spec.response_schema_pointer(operation.operation_id, status, _JSON)
        )
        value = parse_example(text)
        if pointer is None:
            yield Unreadable("operation", f"{name} (no JSON schema documented: not JSON)")
        elif value is None:
            yield Unreadable("operation", name)
        else:
            yield Example("operation", name, pointer, value)


def chat_chunks(name: str, text: str) -> Iterator[Example | Unreadable]:
    """A chat stream written as chunks separated by blank lines, `....` for the ones left out."""
    for number, block in enumerate(b.strip() for b in text.split("\n\n")):
        if not block or set(block) == {"."}:
            continue  # an elision, the convention of this example
        value = parse_example(block)
        if value is None:
            yield Unreadable("event", f"{name} #{number}")
        else:
            yield Example("event", f"{name} #{number}", CHUNK_SCHEMA, value)


def sse_events(
    spec: Spec, operation: Operation, name: str, text: str
) -> Iterator[Example | Unreadable]:
    """Each event of an example written as an event stream, against its event schema."""
    events, _ = parse_stream([text.encode()])
    documented = spec.response_schema_pointer(operation.operation_id, 200, _SSE)
    typed = _typed_events(spec, operation, documented)
    for number, event in enumerate(events):
        if event.data.strip() == "[DONE]":
            continue
        value = parse_example(event.data)
        label = f"{name} #{number} ({event.event})"
        if value is None:
            yield Unreadable("event", label)
            continue
        kind = (
            event.event if documented is None or not isinstance(value, dict) else value.get("type")
        )
        pointer = typed.get(str(kind)) or documented
        if pointer is None:
            yield Unreadable("event", f"{label} (no schema documents this event)")
        else:
            yield Example("event", label, pointer, value)


def _typed_events(spec: Spec, operation: Operation, documented: str | None) -> dict[str, str]:
    """Event type -> schema pointer, where the stream checks pick the schema by type.

    Responses: the check's own mapping (`event_schemas`). The Assistants streams document no
    event-stream schema; their `AssistantStreamEvent` union pairs each `event:` name with the
    schema of its `data`, which is what such a stream sends.
    """
    if operation.operation_id == "createResponse":
        return event_schemas(spec)
    if documented is not None:
        return {}
    out: dict[str, str] = {}
    union = spec.deref(spec.document["components"]["schemas"]["AssistantStreamEvent"])
    for group in union.get("oneOf") or union.get("anyOf") or []:
        resolved = spec.deref(group)
        for branch in resolved.get("oneOf") or resolved.get("anyOf") or [resolved]:
            branch = spec.deref(branch)
            properties = branch.get("properties") or {}
            data = (properties.get("data") or {}).get("$ref")
            for name in (properties.get("event") or {}).get("enum") or []:
                out[name] = data[1:] if isinstance(data, str) else ASSISTANT_EVENTS
    return out


def object_examples(spec: Spec) -> Iterator[Example | Unreadable]:
    """The docs' object example of each component schema (`x-oaiMeta.example`)."""
    for schema_name, schema in spec.document["components"]["schemas"].items():
        meta = schema.get("x-oaiMeta") if isinstance(schema, dict) else None
        text = meta.get("example") if isinstance(meta, dict) else None
        if text is None:
            continue
        name = f"{schema_name} (x-oaiMeta.example)"
        value = parse_example(text) if isinstance(text, str) else text
        if value is None:
            yield Unreadable("object", name)
        else:
            yield Example("object", name, f"/components/schemas/{_escape(schema_name)}", value)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def keyword_examples(node: Any, pointer: str, *, names: bool = False) -> list[Example]:
    """Every `example`/`examples` keyword under `node` (a schema's, a parameter's or a media
    type's), with the schema it sits in or describes. `names`: `node` maps names to schemas
    (`properties`), so a key `example` there is a property, not the keyword."""
    found: list[Example] = []
    if isinstance(node, list):
        for index, item in enumerate(node):
            found += keyword_examples(item, f"{pointer}/{index}")
        return found
    if not isinstance(node, dict):
        return found
    if not names:
        found += _own_examples(node, pointer)
    for key, value in node.items():
        if key.startswith("x-") or (not names and key in _NOT_SCHEMAS):
            continue
        child = f"{pointer}/{_escape(key)}"
        found += keyword_examples(value, child, names=not names and key in _NAME_MAPS)
    return found


def _own_examples(node: dict[str, Any], pointer: str) -> list[Example]:
    described = "schema" in node and isinstance(node["schema"], dict)
    kind = _holder_kind(node) if described else "schema"
    target = f"{pointer}/schema" if described else pointer
    found = []
    if "example" in node:
        found.append(Example(kind, f"{pointer}/example", target, node["example"]))
    examples = node.get("examples")
    if isinstance(examples, dict):  # OpenAPI: named Example Objects with a `value`
        for key, entry in examples.items():
            if isinstance(entry, dict) and "value" in entry:
                name = f"{pointer}/examples/{_escape(key)}"
                found.append(Example(kind, name, target, entry["value"]))
    elif isinstance(examples, list):  # JSON Schema: a list of instances
        for index, value in enumerate(examples):
            found.append(Example(kind, f"{pointer}/examples/{index}", target, value))
    return found


def _holder_kind(node: dict[str, Any]) -> str:
    return "parameter" if "in" in node and "name" in node else "media-type"
