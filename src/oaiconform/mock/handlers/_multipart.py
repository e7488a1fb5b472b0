"""A small, strict multipart/form-data reader for uploads.

The mock does not depend on python-multipart; uploads are bounded in size anyway. A part without
a Content-Type header is a valid part (RFC 7578 defaults it to text/plain); some mock servers
crash on it, this one must not. Anything malformed is a 400 envelope.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.requests import Request

from oaiconform.mock.errors import APIError

_DISPOSITION_PARAM = re.compile(r';\s*([A-Za-z*]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))')


@dataclass(frozen=True)
class Part:
    name: str
    filename: str | None
    content_type: str | None
    data: bytes


def _boundary(content_type: str) -> bytes:
    media, _, params = content_type.partition(";")
    if media.strip().lower() != "multipart/form-data":
        raise APIError(
            400,
            f"Invalid Content-Type header ({media.strip() or 'none'}), "
            "expected multipart/form-data.",
            code="invalid_content_type",
        )
    match = re.search(r'boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))', params)
    if match is None:
        raise APIError(400, "The multipart/form-data Content-Type has no boundary.")
    return (match.group(1) or match.group(2)).encode("latin-1")


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or 413 as soon as it grows past `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise APIError(413, f"The upload of {declared} bytes exceeds the limit of {limit} bytes.")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise APIError(413, f"The upload exceeds the limit of {limit} bytes.")
    return bytes(raw)


def _parse_part(chunk: bytes) -> Part:
    head, sep, data = chunk.partition(b"\r\n\r\n")
    if not sep:
        raise APIError(400, "A multipart part has no header/body separator.")
    headers: dict[str, str] = {}
    for line in head.decode("utf-8", errors="replace").split("\r\n"):
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    disposition = headers.get("content-disposition", "")
    if not disposition.lower().startswith("form-data"):
        raise APIError(400, "A multipart part has no `Content-Disposition: form-data` header.")
    params = {
        m.group(1).lower(): (m.group(2) if m.group(2) is not None else m.group(3).strip())
        for m in _DISPOSITION_PARAM.finditer(disposition)
    }
    if "name" not in params:
        raise APIError(400, "A multipart part has no field name.")
    filename = params.get("filename")
    return Part(params["name"], filename, headers.get("content-type"), data)


def parse_multipart(content_type: str, body: bytes) -> list[Part]:
    """The parts of a multipart/form-data body, in order."""
    delimiter = b"--" + _boundary(content_type)
    sections = body.split(delimiter)
    if len(sections) < 3 or not sections[-1].startswith(b"--"):
        raise APIError(400, "The multipart/form-data body is malformed (no closing boundary).")
    parts = []
    for section in sections[1:-1]:
        if not section.startswith(b"\r\n") or not section.endswith(b"\r\n"):
            raise APIError(400, "The multipart/form-data body is malformed.")
        parts.append(_parse_part(section[2:-2]))
    return parts
