"""Batches: run an uploaded JSONL file of requests against the mock itself.

Lifecycle, deterministic: POST /batches checks the input file and answers `validating` (or
`failed`, with `errors`, when a line is malformed). The first GET /batches/{id} after that runs
every line in-process, in order, against the correct app with the same API key, writes the
output and error files (purpose `batch_output`) and answers `completed` with in_progress_at,
finalizing_at and completed_at set. A batch cancelled before it ran becomes `cancelling`, then
`cancelled` on the next retrieve. GET /batches lists batches as they are stored (it runs none).
"""

from __future__ import annotations

import json
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message

from oaiconform.mock.errors import APIError
from oaiconform.mock.handlers._common import PREFIX, read_json_object, state_of
from oaiconform.mock.handlers.files import KIND as FILE_KIND
from oaiconform.mock.handlers.files import store_file
from oaiconform.mock.pagination import BATCHES, paginate, parse_page_request
from oaiconform.mock.state import MockState
from oaiconform.mock.store import StoredObject

KIND = "batch"
_FINAL = ("completed", "failed", "cancelled", "expired")


def _underscored(state: MockState, prefix: str) -> str:
    return state.new_id(prefix).replace(f"{prefix}-", f"{prefix}_", 1)


def _line_errors(data: bytes, endpoint: str, limit: int) -> tuple[list[dict[str, Any]], int]:
    """Problems of the input file (as BatchError objects) and its number of requests."""
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    lines = [line for line in data.decode("utf-8", errors="replace").splitlines() if line.strip()]

    def error(number: int, message: str, param: str | None = None) -> None:
        errors.append(
            {"code": "invalid_request", "message": message, "param": param, "line": number}
        )

    if not lines:
        error(1, "The input file contains no requests.")
    if len(lines) > limit:
        error(limit + 1, f"The input file has {len(lines)} requests; the limit is {limit}.")
    for number, line in enumerate(lines, start=1):
        try:
            request = json.loads(line)
        except ValueError:
            error(number, "This line is not valid JSON.")
            continue
        if not isinstance(request, dict):
            error(number, "This line is not a JSON object.")
            continue
        custom_id = request.get("custom_id")
        if not isinstance(custom_id, str) or not custom_id:
            error(number, "Missing or invalid 'custom_id'.", "custom_id")
        elif custom_id in seen:
            error(number, f"The custom_id {custom_id!r} is used twice.", "custom_id")
        else:
            seen.add(custom_id)
        if request.get("method") != "POST":
            error(number, "'method' must be POST.", "method")
        if request.get("url") != endpoint:
            error(number, f"'url' must equal the batch's endpoint {endpoint}.", "url")
        if not isinstance(request.get("body"), dict):
            error(number, "'body' must be a JSON object.", "body")
    return errors[:100], len(lines)


async def create_batch(request: Request) -> Response:
    state = state_of(request)
    key = request.state.api_key
    body = await read_json_object(request)
    # read_json_object validated the body against this operation's request schema.
    file_id = body["input_file_id"]
    source = state.store.get(key, FILE_KIND, file_id)
    if source is None:
        raise APIError(400, f"No such File object: {file_id}", param="input_file_id")
    if source.body["purpose"] != "batch":
        raise APIError(
            400,
            f"The input file must have purpose 'batch', not {source.body['purpose']!r}.",
            param="input_file_id",
        )
    errors, total = _line_errors(source.data, body["endpoint"], state.config.max_batch_requests)
    batch_id = _underscored(state, "batch")
    created = int(time.time())
    batch: dict[str, Any] = {
        "id": batch_id,
        "object": "batch",
        "endpoint": body["endpoint"],
        "input_file_id": file_id,
        "completion_window": body["completion_window"],
        "status": "validating",
        "created_at": created,
        "expires_at": created + 24 * 3600,
        "request_counts": {"total": total, "completed": 0, "failed": 0},
        "metadata": body.get("metadata"),
    }  # the optional timestamps and file ids appear once they have a value
    if errors:
        batch.update(status="failed", failed_at=created, errors={"object": "list", "data": errors})
        batch["request_counts"]["total"] = 0
    state.store.add(key, KIND, StoredObject(batch_id, created, batch))
    return JSONResponse(batch)


async def _call(app: ASGIApp, key: str, path: str, payload: bytes) -> tuple[int, bytes]:
    """One POST to the correct app, in-process, as `key` (no network, no fault layer)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
        ],
        "client": ("127.0.0.1", 0),
        "server": ("127.0.0.1", 0),
        "state": {"api_key": key},
    }
    sent = False
    status = 500
    chunks: list[bytes] = []

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": payload, "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


async def _run(app: ASGIApp, state: MockState, key: str, batch: dict[str, Any]) -> dict[str, Any]:
    """Execute every line; the changes to the batch (counts, file ids, timestamps)."""
    source = state.store.get(key, FILE_KIND, batch["input_file_id"])
    lines = source.data.decode("utf-8").splitlines() if source is not None else []
    outputs: list[str] = []
    failures: list[str] = []
    for line in (line for line in lines if line.strip()):
        item = json.loads(line)
        status, raw = await _call(app, key, item["url"], json.dumps(item["body"]).encode())
        try:
            answer: Any = json.loads(raw)
        except ValueError:
            answer = raw.decode("utf-8", errors="replace")
        record = {
            "id": _underscored(state, "batch_req"),
            "custom_id": item["custom_id"],
            "response": {
                "status_code": status,
                "request_id": f"req_{item['custom_id']}",
                "body": answer,
            },
            "error": None,
        }
        (outputs if status < 400 else failures).append(json.dumps(record))
    changes: dict[str, Any] = {
        "request_counts": {
            "total": len(outputs) + len(failures),
            "completed": len(outputs),
            "failed": len(failures),
        }
    }
    for name, records in (("output_file_id", outputs), ("error_file_id", failures)):
        if records:
            data = ("\n".join(records) + "\n").encode()
            filename = f"{batch['id']}_{name.split('_')[0]}.jsonl"
            changes[name] = store_file(state, key, filename, "batch_output", data)["id"]
    return changes


async def retrieve_batch(request: Request) -> Response:
    state = state_of(request)
    key = request.state.api_key
    batch_id = request.path_params["batch_id"]
    now = int(time.time())
    claimed = False

    def advance(obj: StoredObject) -> None:
        nonlocal claimed
        if obj.body["status"] == "validating":
            obj.body.update(status="in_progress", in_progress_at=now)
            claimed = True
        elif obj.body["status"] == "cancelling" and "in_progress_at" not in obj.body:
            obj.body.update(status="cancelled", cancelled_at=now)

    stored = state.store.update(key, KIND, batch_id, advance)
    if stored is None:
        raise APIError(404, f"No such Batch object: {batch_id}", param="batch_id")
    if not claimed:
        return JSONResponse(stored.body)
    changes = await _run(request.app, state, key, stored.body)

    def finish(obj: StoredObject) -> None:
        obj.body.update(changes, finalizing_at=now)
        if obj.body["status"] == "cancelling":
            obj.body.update(status="cancelled", cancelled_at=now)
        else:
            obj.body.update(status="completed", completed_at=now)

    finished = state.store.update(key, KIND, batch_id, finish)
    return JSONResponse((finished or stored).body)


async def cancel_batch(request: Request) -> Response:
    state = state_of(request)
    batch_id = request.path_params["batch_id"]
    refused: list[str] = []

    def cancel(obj: StoredObject) -> None:
        status = obj.body["status"]
        if status in _FINAL:
            refused.append(status)
        elif status != "cancelling":
            obj.body.update(status="cancelling", cancelling_at=int(time.time()))

    stored = state.store.update(request.state.api_key, KIND, batch_id, cancel)
    if stored is None:
        raise APIError(404, f"No such Batch object: {batch_id}", param="batch_id")
    if refused:
        raise APIError(400, f"Cannot cancel a batch with status '{refused[0]}'.")
    return JSONResponse(stored.body)


async def list_batches(request: Request) -> Response:
    state = state_of(request)
    key = request.state.api_key
    page = parse_page_request(request.query_params, BATCHES)
    entries = [(obj.sort_key, obj.body) for obj in state.store.list(key, KIND)]
    listing = paginate(entries, page, lambda cursor: state.store.position(key, KIND, cursor))
    if not listing["data"]:  # first_id and last_id are optional here: absent when empty
        del listing["first_id"], listing["last_id"]
    return JSONResponse(listing)


ROUTES = [
    Route(f"{PREFIX}/batches", create_batch, methods=["POST"]),
    Route(f"{PREFIX}/batches", list_batches, methods=["GET"]),
    Route(f"{PREFIX}/batches/{{batch_id}}", retrieve_batch, methods=["GET"]),
    Route(f"{PREFIX}/batches/{{batch_id}}/cancel", cancel_batch, methods=["POST"]),
]
