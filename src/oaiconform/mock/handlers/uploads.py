"""Uploads: a large file in parts (create, add parts, complete or cancel), per API key.

What the SDK's `uploads.upload_file_chunked` drives: the Upload keeps the declared filename,
purpose and size; each part keeps its bytes; `complete` joins the named parts in the order given
into a File (as an upload through POST /files would store it) and answers the Upload
`completed` with that File. The API's 400s: a size that differs from the declared `bytes`, an
unknown part, a part added to an Upload that is no longer pending. Each part is bounded by the
mock's upload limit, and so is the joined file.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from oaiconform.mock.errors import APIError
from oaiconform.mock.handlers._common import PREFIX, read_json_object, state_of
from oaiconform.mock.handlers._multipart import parse_multipart, read_body
from oaiconform.mock.handlers.files import store_file
from oaiconform.mock.store import StoredObject

KIND = "upload"
PART_KIND = "upload.part"
_EXPIRES_IN_S = 3600  # an Upload expires an hour after it was created, as the API documents


def _require(request: Request) -> StoredObject:
    upload_id = request.path_params["upload_id"]
    return state_of(request).store.require(
        request.state.api_key, KIND, upload_id, f"No such Upload: {upload_id}"
    )


def _pending(upload: StoredObject) -> None:
    status = upload.body["status"]
    if status != "pending":
        raise APIError(400, f"Upload {upload.id} is already {status}.", param="upload_id")


async def create_upload(request: Request) -> Response:
    state = state_of(request)
    body = await read_json_object(request)  # validated against CreateUploadRequest
    upload_id = state.new_id("upload").replace("upload-", "upload_", 1)
    created = int(time.time())
    upload: dict[str, Any] = {
        "id": upload_id,
        "object": "upload",
        "bytes": body["bytes"],
        "created_at": created,
        "filename": body["filename"],
        "purpose": body["purpose"],
        "status": "pending",
        "expires_at": created + _EXPIRES_IN_S,
        "file": None,
    }
    key = request.state.api_key
    extra = {"mime_type": body["mime_type"], "parts": []}
    state.store.add(key, KIND, StoredObject(upload_id, created, upload, extra=extra))
    return JSONResponse(upload)


async def add_part(request: Request) -> Response:
    state = state_of(request)
    upload = _require(request)
    _pending(upload)
    raw = await read_body(request, state.config.max_upload_bytes + 64 * 1024)
    parts = parse_multipart(request.headers.get("content-type", ""), raw)
    data = next((p.data for p in parts if p.name == "data"), None)
    if data is None:
        raise APIError(400, "Missing required parameter: 'data'.", param="data")
    part_id = state.new_id("part").replace("part-", "part_", 1)
    created = int(time.time())
    part = {"id": part_id, "object": "upload.part", "created_at": created, "upload_id": upload.id}
    state.store.add(request.state.api_key, PART_KIND, StoredObject(part_id, created, part, data))
    return JSONResponse(part)


async def complete_upload(request: Request) -> Response:
    state = state_of(request)
    key = request.state.api_key
    upload = _require(request)
    body = await read_json_object(request)  # validated against CompleteUploadRequest
    _pending(upload)
    chunks = []
    for part_id in body["part_ids"]:
        part = state.store.get(key, PART_KIND, part_id)
        if part is None or part.body["upload_id"] != upload.id:
            raise APIError(400, f"No such part in this Upload: {part_id}", param="part_ids")
        chunks.append(part.data)
    data = b"".join(chunks)
    if len(data) != upload.body["bytes"]:
        raise APIError(
            400,
            f"The parts hold {len(data)} bytes, but the Upload was created with "
            f"bytes={upload.body['bytes']}.",
            param="part_ids",
        )
    file = store_file(state, key, upload.body["filename"], upload.body["purpose"], data)
    for part_id in body["part_ids"]:
        state.store.delete(key, PART_KIND, part_id)
    return JSONResponse(_finish(request, upload, "completed", file))


async def cancel_upload(request: Request) -> Response:
    upload = _require(request)
    _pending(upload)
    return JSONResponse(_finish(request, upload, "cancelled", None))


def _finish(
    request: Request, upload: StoredObject, status: str, file: dict[str, Any] | None
) -> dict[str, Any]:
    def change(stored: StoredObject) -> None:
        stored.body = {**stored.body, "status": status, "file": file}

    state_of(request).store.update(request.state.api_key, KIND, upload.id, change)
    return {**upload.body, "status": status, "file": file}


ROUTES = [
    Route(f"{PREFIX}/uploads", create_upload, methods=["POST"]),
    Route(f"{PREFIX}/uploads/{{upload_id}}/parts", add_part, methods=["POST"]),
    Route(f"{PREFIX}/uploads/{{upload_id}}/complete", complete_upload, methods=["POST"]),
    Route(f"{PREFIX}/uploads/{{upload_id}}/cancel", cancel_upload, methods=["POST"]),
]
