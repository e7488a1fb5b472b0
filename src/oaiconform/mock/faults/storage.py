"""Faults of stored resources: files, batches and responses."""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import replace
from typing import Any

from starlette.types import Scope

from oaiconform.mock.faults._core import Fault, ResponseParts, json_rewrite

_FILE_PATH = re.compile(r"^/v1/files/([^/]+)$")
_CONTENT_PATH = re.compile(r"^/v1/files/([^/]+)/content$")
_INPUT_ITEMS_PATH = re.compile(r"^/v1/responses/([^/]+)/input_items$")
_KEPT = "~kept"  # marks a DELETE that the fault turned into a no-op
# The files `soft-deleted-files-listed` flagged as deleted. Module state, shared by the mocks of
# one process, which is harmless: file ids are unique. Bounded, oldest forgotten first.
_SOFT_DELETED: dict[str, None] = {}
_SOFT_DELETED_MAX = 10_000


def _delete_does_nothing(scope: Scope, keys: tuple[str, ...]) -> None:
    if scope["method"] == "DELETE" and _FILE_PATH.match(scope["path"]):
        scope["path"] += _KEPT  # an id that does not exist: nothing is deleted


def _confirm_the_delete(parts: ResponseParts) -> ResponseParts:
    match = _FILE_PATH.match(parts.path)
    if parts.method != "DELETE" or match is None or not parts.path.endswith(_KEPT):
        return parts
    file_id = match.group(1)[: -len(_KEPT)]
    body = json.dumps({"id": file_id, "object": "file", "deleted": True}).encode()
    return replace(parts, status=200, body=body).with_header(b"content-type", b"application/json")


def _content_as_metadata(scope: Scope, keys: tuple[str, ...]) -> None:
    match = _CONTENT_PATH.match(scope["path"])
    if scope["method"] == "GET" and match:
        scope["path"] = f"/v1/files/{match.group(1)}"
        scope["raw_path"] = scope["path"].encode()


def _file_bytes_base64(value: Any) -> Any:
    """`bytes` as the size of the base64 text the server stored instead of the file's size."""
    if (
        isinstance(value, dict)
        and value.get("object") == "file"
        and isinstance(value.get("bytes"), int)
    ):
        return {**value, "bytes": (value["bytes"] + 2) // 3 * 4}
    if isinstance(value, dict) and isinstance(value.get("data"), list):
        return {**value, "data": [_file_bytes_base64(v) for v in value["data"]]}
    return value


def _drop_last_output_line(parts: ResponseParts) -> ResponseParts:
    if parts.method != "GET" or not _CONTENT_PATH.match(parts.path) or parts.status != 200:
        return parts
    lines = parts.body.decode("utf-8", errors="replace").splitlines()
    try:
        records = [json.loads(line) for line in lines if line.strip()]
    except ValueError:
        return parts
    is_output = all(isinstance(r, dict) and "response" in r and "custom_id" in r for r in records)
    if not records or not is_output:
        return parts
    kept = "".join(line + "\n" for line in lines[:-1])
    return replace(parts, body=kept.encode())


def _counts_never_updated(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    counts = value.get("request_counts")
    if value.get("object") == "batch" and isinstance(counts, dict):
        return {**value, "request_counts": {**counts, "completed": 0, "failed": 0}}
    return value


def _previous_response_dropped(value: Any) -> Any:
    if isinstance(value, dict) and value.get("object") == "response":
        return {**value, "previous_response_id": None}
    return value


def _arguments_as_object(value: Any) -> Any:
    if not (isinstance(value, dict) and value.get("object") == "response"):
        return value
    output = []
    for item in value.get("output") or []:
        if isinstance(item, dict) and item.get("type") == "function_call":
            with contextlib.suppress(ValueError, TypeError, KeyError):
                item = {**item, "arguments": json.loads(item["arguments"])}
        output.append(item)
    return {**value, "output": output}


def _incomplete_as_completed(value: Any) -> Any:
    if (
        isinstance(value, dict)
        and value.get("object") == "response"
        and (value.get("status") == "incomplete")
    ):
        return {**value, "status": "completed", "incomplete_details": None}
    return value


def _soft_delete(scope: Scope, keys: tuple[str, ...]) -> None:
    """DELETE only flags the file: nothing is removed, and retrieve treats it as gone."""
    match = _FILE_PATH.match(scope["path"])
    if match is None or scope["method"] not in ("GET", "DELETE"):
        return
    file_id = match.group(1)
    if scope["method"] == "DELETE":
        _SOFT_DELETED[file_id] = None
        while len(_SOFT_DELETED) > _SOFT_DELETED_MAX:
            del _SOFT_DELETED[next(iter(_SOFT_DELETED))]
    if file_id in _SOFT_DELETED:
        scope["path"] += _KEPT  # an id that does not exist: a 404, or nothing deleted


def _soft_delete_response(parts: ResponseParts) -> ResponseParts:
    if parts.method != "DELETE":
        return parts  # a retrieve of a flagged file keeps the mock's own 404
    return _confirm_the_delete(parts)


def _deleted_object_misnamed(parts: ResponseParts) -> ResponseParts:
    if parts.method != "DELETE" or not _FILE_PATH.match(parts.path) or parts.status != 200:
        return parts
    return json_rewrite(lambda body: {**body, "object": "file.deleted"})(parts)


def _endpoint_unversioned(value: Any) -> Any:
    if isinstance(value, dict) and value.get("object") == "batch":
        endpoint = value.get("endpoint")
        if isinstance(endpoint, str) and endpoint.startswith("/v1/"):
            return {**value, "endpoint": endpoint.removeprefix("/v1")}
    if isinstance(value, dict) and isinstance(value.get("data"), list):
        return {**value, "data": [_endpoint_unversioned(v) for v in value["data"]]}
    return value


def _response_total_is_output(value: Any) -> Any:
    if not (isinstance(value, dict) and value.get("object") == "response"):
        return value
    usage = value.get("usage")
    if not isinstance(usage, dict):
        return value
    return {**value, "usage": {**usage, "total_tokens": usage.get("output_tokens")}}


def _without_cache_write_tokens(value: Any) -> Any:
    if not (isinstance(value, dict) and value.get("object") == "response"):
        return value
    usage = value.get("usage")
    details = usage.get("input_tokens_details") if isinstance(usage, dict) else None
    if not isinstance(usage, dict) or not isinstance(details, dict):
        return value
    details = {k: v for k, v in details.items() if k != "cache_write_tokens"}
    return {**value, "usage": {**usage, "input_tokens_details": details}}


def _input_items_dropped(parts: ResponseParts) -> ResponseParts:
    if parts.method != "GET" or not _INPUT_ITEMS_PATH.match(parts.path) or parts.status != 200:
        return parts
    # The ids of an empty page as the mock sends them (the description types them as strings).
    empty: dict[str, Any] = {"data": [], "first_id": "", "last_id": "", "has_more": False}
    return json_rewrite(lambda body: {**body, **empty})(parts)


FAULTS = (
    Fault(
        "delete-keeps-file",
        "DELETE /files/{id} confirms the deletion but the file stays (retrievable and listed)",
        "OpenAI-compatible file stores that acknowledge deletes before (or without) doing them",
        request=_delete_does_nothing,
        response=_confirm_the_delete,
    ),
    Fault(
        "content-as-metadata",
        "GET /files/{id}/content answers the file's JSON metadata instead of its bytes",
        "servers whose content route falls through to the retrieve handler",
        request=_content_as_metadata,
    ),
    Fault(
        "file-bytes-wrong",
        "a file object's `bytes` is the size of its base64 encoding, not of the file",
        "servers that store uploads base64-encoded and report the stored size",
        response=json_rewrite(_file_bytes_base64, success_only=True),
    ),
    Fault(
        "batch-output-missing-lines",
        "a batch's output file lacks its last line",
        "batch runners that lose the last buffered result when they close the output file",
        response=_drop_last_output_line,
    ),
    Fault(
        "batch-counts-not-updated",
        "request_counts.completed and .failed stay 0, also in a completed batch",
        "batch implementations that set the counts only at creation",
        response=json_rewrite(_counts_never_updated, success_only=True),
    ),
    Fault(
        "previous-response-ignored",
        "previous_response_id is dropped: the response is not a continuation",
        "stateless Responses API shims that accept but ignore previous_response_id",
        response=json_rewrite(_previous_response_dropped, success_only=True),
    ),
    Fault(
        "function-arguments-as-object",
        "function_call `arguments` is a JSON object instead of a JSON-encoded string",
        "local inference servers that return parsed tool-call arguments",
        response=json_rewrite(_arguments_as_object, success_only=True),
    ),
    Fault(
        "incomplete-as-completed",
        "a response cut by max_output_tokens reports status completed",
        "servers that ignore max_output_tokens when they set the status",
        response=json_rewrite(_incomplete_as_completed, success_only=True),
    ),
    Fault(
        "soft-deleted-files-listed",
        "a deleted file is gone from retrieve, but GET /files still lists it",
        "file stores that soft-delete (a deleted flag) and filter it in retrieve, not in lists",
        request=_soft_delete,
        response=_soft_delete_response,
    ),
    Fault(
        "delete-object-misnamed",
        'DELETE /files/{id} answers object "file.deleted" instead of "file"',
        "servers that name every deletion result `<resource>.deleted`, as the Assistants API does",
        response=_deleted_object_misnamed,
    ),
    Fault(
        "batch-endpoint-unversioned",
        'a batch reports its endpoint without the version: "/chat/completions"',
        "servers that store the path their router saw after stripping the /v1 prefix",
        response=json_rewrite(_endpoint_unversioned, success_only=True),
    ),
    Fault(
        "response-usage-total-wrong",
        "a response's usage.total_tokens counts only the output tokens",
        "Responses API shims that copy completion_tokens into total_tokens",
        response=json_rewrite(_response_total_is_output, success_only=True),
    ),
    Fault(
        "cache-write-tokens-absent",
        "a response's usage.input_tokens_details has no cache_write_tokens",
        "servers that follow the description from before mid-2026, when the member was added",
        response=json_rewrite(_without_cache_write_tokens, success_only=True),
    ),
    Fault(
        "input-items-dropped",
        "GET /responses/{id}/input_items answers an empty list: the input was not stored",
        "Responses API shims that store the output of a response but not its input items",
        response=_input_items_dropped,
    ),
)
