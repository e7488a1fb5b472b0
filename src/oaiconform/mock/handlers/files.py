"""Files: upload (multipart), list, retrieve, download and delete, per API key."""

from __future__ import annotations

import functools
import json
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from oaiconform.mock.errors import APIError
from oaiconform.mock.handlers._common import PREFIX, state_of
from oaiconform.mock.handlers._multipart import Part, parse_multipart, read_body
from oaiconform.mock.pagination import FILES, paginate, parse_page_request
from oaiconform.mock.state import MockState
from oaiconform.mock.store import StoredObject
from oaiconform.spec import Spec

KIND = "file"
# Room for the multipart framing and the other fields around the file's bytes.
_FORM_OVERHEAD_BYTES = 64 * 1024


def file_not_found(file_id: str) -> APIError:
    return APIError(404, f"No such File object: {file_id}", param="id")


def store_file(
    state: MockState,
    key: str,
    filename: str,
    purpose: str,
    data: bytes,
    *,
    expires_in: int | None = None,
) -> dict[str, Any]:
    """Keep a file for `key` (uploads and batch output alike) and return its file object."""
    file_id = state.new_id("file")
    created = int(time.time())
    body = {
        "id": file_id,
        "object": "file",
        "bytes": len(data),
        "created_at": created,
        "filename": filename,
        "purpose": purpose,
        "status": "processed",
        # as the API answers them (spec/overlays/012 allows the nulls)
        "expires_at": None if expires_in is None else created + expires_in,
        "status_details": None,
    }
    state.store.add(key, KIND, StoredObject(file_id, created, body, data=data))
    return body


@functools.cache
def _purposes(spec: Spec, schema: str) -> frozenset[str]:
    node = spec.document["components"]["schemas"][schema]["properties"]["purpose"]
    return frozenset(node.get("enum") or ())


def _storable_purposes(state: MockState) -> frozenset[str]:
    """Upload purposes the file object may carry too: the description lists `evals` for
    uploads but not in OpenAIFile.purpose, so an `evals` file could not be answered validly."""
    return _purposes(state.spec, "CreateFileRequest") & _purposes(state.spec, "OpenAIFile")


def _is_jsonl(data: bytes) -> bool:
    try:
        lines = [line for line in data.decode("utf-8").splitlines() if line.strip()]
        return bool(lines) and all(isinstance(json.loads(line), dict) for line in lines)
    except ValueError:  # UnicodeDecodeError is a ValueError too
        return False


def _field(parts: list[Part], name: str) -> Part | None:
    return next((p for p in parts if p.name == name), None)


def _form_object(parts: list[Part]) -> dict[str, Any]:
    """The non-file fields as a JSON object (nested `a[b]` names and JSON values unfolded),
    with the file as a placeholder string, to validate against the request schema."""
    form: dict[str, Any] = {}
    for part in parts:
        if part.name == "file":
            form["file"] = ""
            continue
        text = part.data.decode("utf-8", errors="replace")
        try:
            value: Any = json.loads(text)
        except ValueError:
            value = text
        if not isinstance(value, dict | int):
            value = text
        outer, bracket, inner = part.name.partition("[")
        if bracket and inner.endswith("]"):
            nested = form.setdefault(outer, {})
            if isinstance(nested, dict):
                nested[inner[:-1]] = value
        else:
            form[part.name] = value
    return form


async def create_file(request: Request) -> Response:
    state = state_of(request)
    limit = state.config.max_upload_bytes
    raw = await read_body(request, limit + _FORM_OVERHEAD_BYTES)
    parts = parse_multipart(request.headers.get("content-type", ""), raw)
    upload = _field(parts, "file")
    if upload is None or upload.filename is None:
        raise APIError(400, "Missing required parameter: 'file'.", param="file")
    form = _form_object(parts)
    pointer = state.spec.request_schema_pointer("createFile", "multipart/form-data")
    violations = state.request_spec.validate(pointer, form) if pointer else []
    if violations:
        where = violations[0].path[2:] or "body"
        raise APIError(
            400,
            f"Invalid request: {where}: {violations[0].message}",
            param=where.split(".")[0] if where != "body" else None,
        )
    purpose = form["purpose"]
    if purpose not in _storable_purposes(state):
        raise APIError(
            400,
            f"Invalid 'purpose': the description's file object cannot carry {purpose!r} "
            "(it is an upload purpose only), so the mock does not store it.",
            param="purpose",
        )
    if len(upload.data) > limit:
        raise APIError(
            413, f"The file of {len(upload.data)} bytes exceeds the limit of {limit} bytes."
        )
    if purpose == "batch" and not _is_jsonl(upload.data):
        raise APIError(
            400,
            "Invalid file format for Batch API. Must be .jsonl with one JSON object per line.",
            param="file",
        )
    expires = form.get("expires_after")
    seconds = expires.get("seconds") if isinstance(expires, dict) else None
    body = store_file(
        state,
        request.state.api_key,
        upload.filename,
        purpose,
        upload.data,
        expires_in=seconds if isinstance(seconds, int) else None,
    )
    return JSONResponse(body)


async def list_files(request: Request) -> Response:
    state = state_of(request)
    key = request.state.api_key
    page = parse_page_request(request.query_params, FILES)
    purpose = request.query_params.get("purpose")
    entries = [
        (obj.sort_key, obj.body)
        for obj in state.store.list(key, KIND)
        if purpose is None or obj.body["purpose"] == purpose
    ]
    return JSONResponse(
        paginate(entries, page, lambda cursor: state.store.position(key, KIND, cursor))
    )


def _require(request: Request) -> StoredObject:
    file_id = request.path_params["file_id"]
    return state_of(request).store.require(
        request.state.api_key, KIND, file_id, f"No such File object: {file_id}"
    )


async def retrieve_file(request: Request) -> Response:
    return JSONResponse(_require(request).body)


async def download_file(request: Request) -> Response:
    return Response(_require(request).data, media_type="application/octet-stream")


async def delete_file(request: Request) -> Response:
    file_id = request.path_params["file_id"]
    if not state_of(request).store.delete(request.state.api_key, KIND, file_id):
        raise file_not_found(file_id)
    return JSONResponse({"id": file_id, "object": "file", "deleted": True})


ROUTES = [
    Route(f"{PREFIX}/files", create_file, methods=["POST"]),
    Route(f"{PREFIX}/files", list_files, methods=["GET"]),
    Route(f"{PREFIX}/files/{{file_id}}", retrieve_file, methods=["GET"]),
    Route(f"{PREFIX}/files/{{file_id}}", delete_file, methods=["DELETE"]),
    Route(f"{PREFIX}/files/{{file_id}}/content", download_file, methods=["GET"]),
]
