"""Faults of the fields of response objects (models, chat completions)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from oaiconform.mock.faults._core import Fault, ResponseParts, json_rewrite


def _created_as_string(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: (str(v) if k == "created" and isinstance(v, int) else _created_as_string(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_created_as_string(v) for v in value]
    return value


def _object_misnamed(value: Any) -> Any:
    if isinstance(value, dict) and isinstance(value.get("object"), str):
        value = {**value, "object": value["object"] + "s"}
    if isinstance(value, dict) and isinstance(value.get("data"), list):
        value = {**value, "data": [_object_misnamed(v) for v in value["data"]]}
    return value


def _usage_total_wrong(value: Any) -> Any:
    usage = value.get("usage") if isinstance(value, dict) else None
    if isinstance(usage, dict) and "completion_tokens" in usage:
        value = {**value, "usage": {**usage, "total_tokens": usage["completion_tokens"]}}
    return value


def _refusal_absent(value: Any) -> Any:
    choices = value.get("choices") if isinstance(value, dict) else None
    if not isinstance(choices, list):
        return value
    kept = []
    for choice in choices:
        message = choice.get("message") if isinstance(choice, dict) else None
        if isinstance(message, dict):
            message = {k: v for k, v in message.items() if k != "refusal"}
            choice = {**choice, "message": message}
        kept.append(choice)
    return {**value, "choices": kept}


def _usage_details_null(value: Any) -> Any:
    usage = value.get("usage") if isinstance(value, dict) else None
    if isinstance(usage, dict) and "completion_tokens" in usage:
        value = {**value, "usage": {**usage, "completion_tokens_details": None}}
    return value


def _first_model_answer_incomplete(parts: ResponseParts) -> ResponseParts:
    """The first answer to each GET /models/{model} lacks `owned_by`; the repeats are whole."""
    if parts.method != "GET" or not parts.path.startswith("/v1/models/") or parts.status != 200:
        return parts
    if parts.earlier_answers:
        return parts
    body = json.loads(parts.body)
    if isinstance(body, dict):
        body.pop("owned_by", None)
    return replace(parts, body=json.dumps(body).encode())


FAULTS = (
    Fault(
        "created-as-string",
        "`created` is a string instead of integer seconds",
        "servers that serialise timestamps with a string type",
        response=json_rewrite(_created_as_string, success_only=True),
    ),
    Fault(
        "object-misnamed",
        '`object` has a wrong value (e.g. "lists", "chat.completions")',
        "servers whose object names drifted from the API",
        response=json_rewrite(_object_misnamed, success_only=True),
    ),
    Fault(
        "usage-total-wrong",
        "usage.total_tokens equals completion_tokens",
        "servers that forget prompt tokens in the total",
        response=json_rewrite(_usage_total_wrong, success_only=True),
    ),
    Fault(
        "usage-details-null",
        "chat usage carries `completion_tokens_details: null` (optional, not nullable)",
        "proxies that serialise every optional field, null included (LiteLLM)",
        response=json_rewrite(_usage_details_null, success_only=True),
    ),
    Fault(
        "refusal-absent",
        "chat messages leave out `refusal` (required, nullable) instead of sending null",
        "servers that omit null fields when serialising (llama.cpp, many proxies)",
        response=json_rewrite(_refusal_absent, success_only=True),
    ),
    Fault(
        "model-first-answer-incomplete",
        "the first answer to each GET /models/{model} lacks `owned_by` (required); "
        "asked again, the answer is whole (a flaky target for --reruns)",
        "fleets behind a load balancer where one replica runs an older build, and caches "
        "that answer a cold entry from a partial record",
        response=_first_model_answer_incomplete,
    ),
)
