"""What the generic handler answers: the documented 2xx, built once per operation, then
personalised per request (ids from the path, a fresh id for a creation, echoed request fields,
the members the real API answers a creation with beyond the examples (`_CREATED_WITH`),
a `status` of "completed" ("cancelled" for a cancel) and no `file_counts.in_progress` where the
schema allows it: a job the mock does not run is done).

The JSON body is the description's own example (`x-oaiMeta.examples[].response`) when it parses
and validates against the response schema, else an instance from the schema generator; either
is cached per operation, so a request costs a shallow copy and, when something was personalised,
one validation. Personalisations that would break the schema are dropped, never sent.
"""

from __future__ import annotations

import json
import random
import re
import threading
from typing import Any

import jsonschema_rs
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from oaiconform.mock.handlers._common import state_of
from oaiconform.mock.instances import (
    InstanceGenerator,
    SchemaNotSatisfiableError,
    resolve_pointer,
)
from oaiconform.mock.state import MockState
from oaiconform.spec import Operation, Spec

_SSE = "text/event-stream"
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")
_ID_PREFIX = re.compile(r"([A-Za-z][A-Za-z0-9]*)([_-])")
# A few valid bytes of each binary media type the description documents.
_WAV = b"RIFF$\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\xc0]\x00\x00\x80\xbb\x00\x00"
_AUDIO = {
    "mp3": b"ID3\x04\x00\x00\x00\x00\x00\x00\xff\xfb\x90\x00",
    "wav": _WAV + b"\x02\x00\x10\x00data\x00\x00\x00\x00",
    "opus": b"OggS\x00\x02" + b"\x00" * 20,
    "aac": b"\xff\xf1\x50\x80\x00\x1f\xfc",
    "flac": b"fLaC\x80\x00\x00\x22" + b"\x00" * 34,
    "pcm": b"\x00\x00" * 8,
}
_BINARY = {
    "video/mp4": b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom",
    "image/webp": b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11"
    b"\x11\x88\x88\xfe\x07\x00",
    "application/zip": b"PK\x05\x06" + b"\x00" * 18,
    "application/sdp": b"v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n",
}


def success_status(operation: Operation) -> int | None:
    """The documented 2xx: 200 when documented, else the lowest."""
    codes = sorted(int(code) for code in operation.raw.get("responses") or {} if _is_2xx(code))
    return 200 if 200 in codes else (codes[0] if codes else None)


def _is_2xx(code: str) -> bool:
    return len(code) == 3 and code.startswith("2") and code.isdigit()


def wants_stream(body: dict[str, Any] | None) -> bool:
    if not isinstance(body, dict):
        return False
    return body.get("stream") in (True, "true") or body.get("stream_format") == "sse"


def choose_media_type(content: dict[str, Any], body: dict[str, Any] | None, accept: str) -> str:
    """The event stream if asked for, else the Accept-named type, else the first documented."""
    if wants_stream(body) and _SSE in content:
        return _SSE
    plain = [media for media in content if media != _SSE]
    if not plain:
        return _SSE
    accepted = {item.split(";")[0].strip().lower() for item in accept.split(",")}
    return next((media for media in plain if media in accepted), plain[0])


def binary_body(media_type: str, body: dict[str, Any] | None) -> bytes:
    if media_type in _BINARY:
        return _BINARY[media_type]
    if media_type == "application/octet-stream" or media_type.startswith("audio/"):
        audio_format = (body or {}).get("response_format")
        return _AUDIO.get(audio_format if isinstance(audio_format, str) else "mp3", _AUDIO["mp3"])
    return b""


def parse_example(text: Any) -> Any:
    """An example's JSON (tolerating the trailing commas upstream writes), or None."""
    if not isinstance(text, str):
        return None
    for candidate in (text, _TRAILING_COMMA.sub(r"\1", text)):
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        return value if isinstance(value, dict | list) else None
    return None


def example_texts(operation: Operation) -> list[Any]:
    """The response texts of the operation's documented examples (`x-oaiMeta.examples`)."""
    examples = (operation.raw.get("x-oaiMeta") or {}).get("examples")
    if isinstance(examples, dict):
        examples = [examples]
    return [e["response"] for e in examples or [] if isinstance(e, dict) and "response" in e]


def _id_parameter(template: str, body: dict[str, Any], path: dict[str, str]) -> str | None:
    """The path parameter naming the object answered: by its `object` type, else the last one."""
    label = str(body.get("object") or "").replace(".", "_")
    names = [name for name in re.findall(r"\{([^}]+)\}", template) if name in path]
    for name in reversed(names):
        if label and label.endswith(name.removesuffix("_id")):
            return str(name)
    return names[-1] if names and template.endswith("}") else None


def fresh_id(state: MockState, example: str) -> str:
    """A new id shaped like the example's (`vs_abc123` -> `vs_<hex>`)."""
    match = _ID_PREFIX.match(example)
    prefix, separator = (match.group(1), match.group(2)) if match else ("id", "_")
    return f"{prefix}{separator}{state.new_id(prefix).rsplit('-', 1)[-1]}"


class GenericResponder:
    """The documented success answer of any operation, with per-operation caches."""

    def __init__(self, spec: Spec, *, full: bool = False) -> None:
        self.spec = spec
        self.generator = InstanceGenerator(spec.document, self.is_valid)
        # mock --lenient: bodies with the optional members too (SDK test suites read them)
        self.full = full
        self._templates: dict[tuple[str, int, str], tuple[str | None, Any]] = {}
        self._lock = threading.Lock()
        self._success: dict[str, tuple[int, dict[str, Any]]] = {}

    def is_valid(self, pointer: str, value: Any, *, unchecked: bool = True) -> bool:
        """Valid for the schema; `unchecked` if the schema does not compile (upstream defect)."""
        try:
            return not self.spec.validate(pointer, value)
        except jsonschema_rs.ValidationError:
            return unchecked

    def respond(
        self,
        request: Request,
        operation: Operation,
        path: dict[str, str],
        body: dict[str, Any] | None,
    ) -> Response:
        status, content = self.success(operation)
        if not content:
            return Response(status_code=status)
        media_type = choose_media_type(content, body, request.headers.get("accept", ""))
        if media_type == _SSE:
            _, event = self.template(operation, status, _SSE)
            kind = event.get("type") if isinstance(event, dict) else None
            head = f"event: {kind}\n" if isinstance(kind, str) else ""
            text = f"{head}data: {json.dumps(event, separators=(',', ':'))}\n\n"
            return Response(text, status, media_type=_SSE, headers={"Cache-Control": "no-cache"})
        if media_type != "application/json" and not media_type.endswith("+json"):
            return Response(binary_body(media_type, body), status, media_type=media_type)
        pointer, value = self.template(operation, status, media_type)
        value = self.personalise(request, operation, path, body, pointer, value)
        return JSONResponse(value, status_code=status)

    def success(self, operation: Operation) -> tuple[int, dict[str, Any]]:
        """The documented success status and its content map (cached)."""
        cached = self._success.get(operation.operation_id)
        if cached is None:
            status = success_status(operation)
            response = (operation.raw.get("responses") or {}).get(str(status)) or {}
            while isinstance(response.get("$ref"), str):
                response = resolve_pointer(self.spec.document, response["$ref"][1:])
            cached = (status or 204, response.get("content") or {})
            self._success[operation.operation_id] = cached
        return cached

    def template(
        self, operation: Operation, status: int, media_type: str
    ) -> tuple[str | None, Any]:
        """(schema pointer, cached body) for an operation's answer; built on first use."""
        key = (operation.operation_id, status, media_type)
        with self._lock:
            cached = self._templates.get(key)
            if cached is None:
                cached = self._templates[key] = self._build(operation, status, media_type)
            return cached

    def _build(self, operation: Operation, status: int, media_type: str) -> tuple[str | None, Any]:
        pointer = self.spec.response_schema_pointer(operation.operation_id, status, media_type)
        if pointer is None:
            return None, {}
        filled = self._full_instance(pointer) if self.full else None
        if media_type == "application/json":
            for text in example_texts(operation):
                example = parse_example(text)
                if example is not None and self.is_valid(pointer, example, unchecked=False):
                    merged = _filled(example, filled) if filled is not None else example
                    return pointer, merged if self.is_valid(pointer, merged) else example
        if filled is not None:
            return pointer, filled
        try:
            return pointer, self.generator.generate(pointer)
        except SchemaNotSatisfiableError:
            return pointer, {}

    def _full_instance(self, pointer: str) -> Any:
        """An instance with the optional members near the top (a fixed seed), or None."""
        generator = InstanceGenerator(self.spec.document, self.is_valid, random.Random(0))
        try:
            return _without_nulls(generator.generate(pointer))
        except SchemaNotSatisfiableError:
            return None

    def personalise(
        self,
        request: Request,
        operation: Operation,
        path: dict[str, str],
        body: dict[str, Any] | None,
        pointer: str | None,
        template: Any,
    ) -> Any:
        """The template with the request's ids and fields, keeping only what stays valid."""
        if not isinstance(template, dict) or pointer is None:
            return template
        changes = self._changes(request, operation, path, body, template)
        if not changes:
            return template
        value = {**template, **changes}
        if self.is_valid(pointer, value):
            return value
        value = dict(template)
        for name, change in changes.items():  # one by one: keep those the schema allows
            candidate = {**value, name: change}
            if self.is_valid(pointer, candidate):
                value = candidate
        return value

    def _changes(
        self,
        request: Request,
        operation: Operation,
        path: dict[str, str],
        body: dict[str, Any] | None,
        template: dict[str, Any],
    ) -> dict[str, Any]:
        changes: dict[str, Any] = _created_with(operation, body)
        for name, value in (body or {}).items():
            if name in template and name != "id" and _echoable(name, value):
                changes[name] = value
        for name, value in path.items():
            if name in template and name != "id":
                changes[name] = value
        # An object created without metadata has none (the example's is the example's): the
        # real API answers `{}` (tests/corpus/real_api/: conversations).
        created = operation.method == "POST" and not path
        if (
            created
            and isinstance(template.get("metadata"), dict)
            and "metadata" not in (body or {})
        ):
            changes["metadata"] = {}
        items = template.get("data")
        if isinstance(items, list) and any(
            isinstance(item, dict) and name in item for item in items for name in path
        ):
            changes["data"] = [
                {**item, **{k: v for k, v in path.items() if k in item and k != "id"}}
                if isinstance(item, dict)
                else item
                for item in items
            ]
        if isinstance(template.get("id"), str):
            id_name = _id_parameter(operation.path.partition("?")[0], template, path)
            if id_name is not None:
                changes["id"] = path[id_name]
            elif operation.method == "POST":
                changes["id"] = fresh_id(state_of(request), template["id"])
        if operation.method == "DELETE" and template.get("deleted") is False:
            changes["deleted"] = True
        if isinstance(template.get("status"), str) and operation.method != "DELETE":
            # Finished at once (kept only where the schema allows it), so that the SDK's
            # polling helpers (create_and_poll, upload_and_poll, ...) end on the first poll.
            cancelled = operation.path.partition("?")[0].endswith("/cancel")
            changes["status"] = "cancelled" if cancelled else "completed"
        counts = template.get("file_counts")
        if isinstance(counts, dict) and isinstance(counts.get("in_progress"), int):
            done = int(counts.get("completed") or 0) + counts["in_progress"]
            changes["file_counts"] = {**counts, "in_progress": 0, "completed": done}
        return {
            name: value
            for name, value in changes.items()
            if name not in template or template[name] != value
        }


# What the real API answers on creating these objects beyond the description's examples
# (tests/corpus/real_api/: vector stores and their files): members echoing the request, with
# the API's value when the request leaves them out.
_STATIC_CHUNKING = {
    "type": "static",
    "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400},
}
_CREATED_WITH: dict[str, dict[str, Any]] = {
    "createVectorStore": {"description": None, "expires_after": None, "expires_at": None},
    "createVectorStoreFile": {"attributes": {}, "chunking_strategy": _STATIC_CHUNKING},
}


def _created_with(operation: Operation, body: dict[str, Any] | None) -> dict[str, Any]:
    """The members a creation answers (`_CREATED_WITH`): the request's, else the default; an
    `auto` chunking strategy is answered as the static one it stands for."""
    members = dict(_CREATED_WITH.get(operation.operation_id) or {})
    for name in members:
        given = (body or {}).get(name)
        if given is not None:
            members[name] = given
    chunking = members.get("chunking_strategy")
    if isinstance(chunking, dict) and chunking.get("type") == "auto":
        members["chunking_strategy"] = _STATIC_CHUNKING
    return members


def _filled(example: Any, instance: Any) -> Any:
    """The example, with what it leaves out or null taken from the generated instance."""
    if isinstance(example, dict) and isinstance(instance, dict):
        merged = dict(instance)
        for key, value in example.items():
            merged[key] = _filled(value, instance[key]) if key in instance else value
        return merged
    return instance if example is None else example


def _without_nulls(value: Any) -> Any:
    """The instance without null members: an SDK reads an absent optional member as None, but
    may refuse an explicit null where its type has none (`error: null` for an error object)."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _echoable(name: str, value: Any) -> bool:
    if name == "metadata":
        return isinstance(value, dict)
    return isinstance(value, str | int | float | bool) and name not in ("stream", "object")


__all__ = ["GenericResponder", "binary_body", "choose_media_type", "success_status"]
