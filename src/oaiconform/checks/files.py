"""Checks of the Files API: the file object, its content, and its lifecycle in the list."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from oaiconform.checks._failure import Failure
from oaiconform.checks._registry import check
from oaiconform.exchange import Exchange


@check
def file_object_fields(
    body: Any, *, filename: str, purpose: str, size: int, file_id: str | None = None
) -> list[Failure]:
    """A file object describes what was uploaded: name, purpose, exact size, integer time."""
    if not isinstance(body, dict):
        return [Failure("file_object", f"expected a file object, got {type(body).__name__}")]
    failures = []
    if body.get("object") != "file":
        failures.append(
            Failure("file_object", f'`object` must be "file", got {body.get("object")!r}')
        )
    if not isinstance(body.get("id"), str) or not body.get("id"):
        failures.append(
            Failure("file_object", f"`id` must be a non-empty string, got {body.get('id')!r}")
        )
    elif file_id is not None and body["id"] != file_id:
        failures.append(Failure("file_object", f"asked for {file_id!r}, got id {body['id']!r}"))
    if body.get("bytes") != size:
        failures.append(
            Failure(
                "file_bytes", f"`bytes` must be the uploaded size {size}, got {body.get('bytes')!r}"
            )
        )
    if body.get("filename") != filename:
        failures.append(
            Failure("file_object", f"`filename` must be {filename!r}, got {body.get('filename')!r}")
        )
    if body.get("purpose") != purpose:
        failures.append(
            Failure("file_object", f"`purpose` must be {purpose!r}, got {body.get('purpose')!r}")
        )
    created = body.get("created_at")
    if not isinstance(created, int) or isinstance(created, bool):
        failures.append(
            Failure("file_object", f"`created_at` must be integer Unix seconds, got {created!r}")
        )
    return failures


@check
def file_content_is(exchange: Exchange, expected: bytes) -> list[Failure]:
    """GET /files/{id}/content answers the uploaded bytes themselves, not a description."""
    if exchange.body == expected:
        return []
    if exchange.is_json and isinstance(exchange.json(), dict) and "object" in exchange.json():
        found = f"a JSON object with object={exchange.json()['object']!r} (metadata, not content)"
    else:
        found = f"{len(exchange.body)} bytes: {exchange.body_excerpt(80)}"
    return [
        Failure(
            "file_content",
            f"{exchange.describe()}: expected the {len(expected)} uploaded bytes, got {found}",
        )
    ]


def listed_ids(body: Any) -> list[str]:
    data = body.get("data") if isinstance(body, dict) else None
    return [str(item.get("id")) for item in data or [] if isinstance(item, dict)]


@check
def file_listed(ids: Iterable[str], file_id: str, *, expected: bool, when: str) -> list[Failure]:
    """The file is (or, after its deletion, is no longer) in GET /files."""
    present = file_id in set(ids)
    if present == expected:
        return []
    state = "missing from" if expected else "still in"
    return [Failure("file_listed", f"{when}, file {file_id} is {state} GET /files")]


@check
def deletion_confirmed(body: Any, object_id: str, object_name: str) -> list[Failure]:
    """A delete answers {"id": <id>, "object": <name>, "deleted": true}."""
    expected = {"id": object_id, "object": object_name, "deleted": True}
    if isinstance(body, dict) and all(body.get(k) == v for k, v in expected.items()):
        return []
    return [
        Failure(
            "deletion",
            f"expected {json.dumps(expected)}, got {json.dumps(body)[:200]}",
        )
    ]


def multipart_body(
    fields: dict[str, str], filename: str, data: bytes, boundary: str
) -> tuple[bytes, str]:
    """A multipart/form-data upload (fields, then `file`) and its Content-Type: what the
    suites send to POST /files. Built by hand so the repro shows every byte that was sent."""
    lines: list[bytes] = []
    for name, value in fields.items():
        lines += [
            f"--{boundary}".encode(),
            f'Content-Disposition: form-data; name="{name}"'.encode(),
            b"",
            value.encode(),
        ]
    lines += [
        f"--{boundary}".encode(),
        f'Content-Disposition: form-data; name="file"; filename="{filename}"'.encode(),
        b"Content-Type: application/octet-stream",
        b"",
        data,
        f"--{boundary}--".encode(),
        b"",
    ]
    return b"\r\n".join(lines), f"multipart/form-data; boundary={boundary}"
