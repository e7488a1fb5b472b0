"""Checks of the Files API: the file object, its content, and its lifecycle in the list."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from oaiconform.checks._failure import Failure
from oaiconform.checks._registry import Impact, check
from oaiconform.checks.schema import integer_timestamp, object_value
from oaiconform.exchange import Exchange


@check(
    title="A file object states the uploaded file's id, name, purpose and exact size",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="the object misdescribes what was uploaded",
)
def file_object_fields(
    body: Any, *, filename: str, purpose: str, size: int, file_id: str | None = None
) -> list[Failure]:
    """A file object describes what was uploaded: name, purpose, exact size, integer time."""
    if not isinstance(body, dict):
        return [
            Failure(
                "file_object", f"expected a file object, got {type(body).__name__}", where="body"
            )
        ]
    failures: list[Failure] = []
    failures += object_value(body, "file")
    if not isinstance(body.get("id"), str) or not body.get("id"):
        failures.append(
            Failure(
                "file_object",
                f"`id` must be a non-empty string, got {body.get('id')!r}",
                where="id",
            )
        )
    elif file_id is not None and body["id"] != file_id:
        failures.append(
            Failure(
                "file_object",
                f"asked for {file_id!r}, got id {body['id']!r}",
                where="id",
                expected=file_id,
                found=str(body["id"]),
            )
        )
    if body.get("bytes") != size:
        failures.append(
            Failure(
                "file_bytes",
                f"`bytes` must be the uploaded size {size}, got {body.get('bytes')!r}",
                where="bytes",
                expected=str(size),
                found=repr(body.get("bytes")),
            )
        )
    if body.get("filename") != filename:
        failures.append(
            Failure(
                "file_object",
                f"`filename` must be {filename!r}, got {body.get('filename')!r}",
                where="filename",
            )
        )
    if body.get("purpose") != purpose:
        failures.append(
            Failure(
                "file_object",
                f"`purpose` must be {purpose!r}, got {body.get('purpose')!r}",
                where="purpose",
                expected=purpose,
                found=repr(body.get("purpose")),
            )
        )
    failures += integer_timestamp(body, "created_at")
    return failures


@check(
    title="GET /files/{id}/content answers the uploaded bytes themselves",
    impact=Impact.BREAKS_CLIENTS,
    reason="the SDK hands the application other bytes than the file it stored",
)
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
            where="body",
        )
    ]


def listed_ids(body: Any) -> list[str]:
    data = body.get("data") if isinstance(body, dict) else None
    return [str(item.get("id")) for item in data or [] if isinstance(item, dict)]


@check(
    title="GET /files lists a file while it exists and not after its deletion",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="the listing contradicts what the application created or deleted",
)
def file_listed(ids: Iterable[str], file_id: str, *, expected: bool, when: str) -> list[Failure]:
    """The file is (or, after its deletion, is no longer) in GET /files."""
    present = file_id in set(ids)
    if present == expected:
        return []
    state = "missing from" if expected else "still in"
    return [
        Failure("file_listed", f"{when}, file {file_id} is {state} GET /files", where="data[].id")
    ]


@check(
    title="A delete answers the object's id with `deleted: true`",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="applications read `deleted` to know the object is gone",
)
def deletion_confirmed(body: Any, object_id: str, object_name: str) -> list[Failure]:
    """A delete answers {"id": <id>, "object": <name>, "deleted": true}."""
    expected = {"id": object_id, "object": object_name, "deleted": True}
    if isinstance(body, dict) and all(body.get(k) == v for k, v in expected.items()):
        return []
    if not isinstance(body, dict):
        wrong = "body"
    else:
        wrong = next((k for k in ("deleted", "id") if body.get(k) != expected[k]), "")
    if not wrong:  # only `object` differs: a spec-literal defect of its own
        return object_value(body, object_name)
    return [
        Failure(
            "deletion",
            f"expected {json.dumps(expected)}, got {json.dumps(body)[:200]}",
            where=wrong,
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
