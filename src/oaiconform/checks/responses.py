"""Checks of the Responses API: the response object, its output, conversations and tool calls."""

from __future__ import annotations

import json
from typing import Any

from oaiconform.checks._failure import Failure
from oaiconform.checks._registry import check
from oaiconform.checks._schemas import offline_validator

STATUSES = ("completed", "failed", "in_progress", "cancelled", "queued", "incomplete")


def output_text(body: dict[str, Any]) -> str:
    """The text of all output_text parts of the output messages (the SDKs' `output_text`)."""
    texts = []
    for item in body.get("output") or []:
        if isinstance(item, dict) and item.get("type") == "message":
            for part in item.get("content") or []:
                if isinstance(part, dict) and part.get("type") == "output_text":
                    texts.append(str(part.get("text", "")))
    return "".join(texts)


@check
def response_object_fields(body: Any, *, model: str | None = None) -> list[Failure]:
    """`object` "response", an id, a known status, an output list and consistent usage."""
    if not isinstance(body, dict):
        return [
            Failure("response_object", f"expected a response object, got {type(body).__name__}")
        ]
    failures = []
    if body.get("object") != "response":
        failures.append(
            Failure("response_object", f'`object` must be "response", got {body.get("object")!r}')
        )
    if not isinstance(body.get("id"), str) or not body.get("id"):
        failures.append(
            Failure("response_object", f"`id` must be a string, got {body.get('id')!r}")
        )
    if body.get("status") not in STATUSES:
        failures.append(Failure("response_object", f"unknown `status` {body.get('status')!r}"))
    if not isinstance(body.get("output"), list):
        failures.append(Failure("response_object", "`output` must be a list of items"))
    if model is not None and not str(body.get("model", "")).startswith(model):
        failures.append(
            Failure("response_object", f"`model` must name {model!r}, got {body.get('model')!r}")
        )
    usage = body.get("usage")
    if isinstance(usage, dict):
        parts = (usage.get("input_tokens"), usage.get("output_tokens"), usage.get("total_tokens"))
        if all(isinstance(p, int) for p in parts) and parts[0] + parts[1] != parts[2]:  # type: ignore[operator]
            failures.append(
                Failure(
                    "response_usage",
                    f"usage.total_tokens ({parts[2]}) must equal input_tokens ({parts[0]}) + "
                    f"output_tokens ({parts[1]})",
                )
            )
    return failures


@check
def incomplete_at_max_output_tokens(body: dict[str, Any], limit: int) -> list[Failure]:
    """A response cut by max_output_tokens is `incomplete` with reason max_output_tokens."""
    failures = []
    details = body.get("incomplete_details") or {}
    if body.get("status") != "incomplete" or details.get("reason") != "max_output_tokens":
        failures.append(
            Failure(
                "max_output_tokens",
                f"with max_output_tokens {limit} and a long answer, expected status "
                f'"incomplete" with reason "max_output_tokens", got {body.get("status")!r} '
                f"with incomplete_details {body.get('incomplete_details')!r}",
            )
        )
    used = (body.get("usage") or {}).get("output_tokens")
    if isinstance(used, int) and used > limit:
        failures.append(
            Failure(
                "max_output_tokens", f"usage.output_tokens {used} exceeds max_output_tokens {limit}"
            )
        )
    return failures


@check
def continues_conversation(first: dict[str, Any], second: dict[str, Any]) -> list[Failure]:
    """A follow-up names its previous response and counts the earlier turn as input."""
    failures = []
    if second.get("previous_response_id") != first.get("id"):
        failures.append(
            Failure(
                "previous_response_id",
                f"the follow-up must echo previous_response_id {first.get('id')!r}, "
                f"got {second.get('previous_response_id')!r}",
            )
        )
    before = first.get("usage") or {}
    after = second.get("usage") or {}
    earlier = before.get("input_tokens"), before.get("output_tokens")
    now = after.get("input_tokens")
    if all(isinstance(n, int) for n in (*earlier, now)) and now < earlier[0] + earlier[1]:  # type: ignore[operator]
        failures.append(
            Failure(
                "previous_response_id",
                f"the follow-up's input_tokens ({now}) must include the earlier turn "
                f"({earlier[0]} input + {earlier[1]} output tokens): the conversation was not "
                "continued",
            )
        )
    return failures


@check
def function_call_matches(body: dict[str, Any], tool: dict[str, Any]) -> list[Failure]:
    """A function_call item calls the tool, with a call_id and arguments valid for its schema."""
    calls = [
        i
        for i in body.get("output") or []
        if isinstance(i, dict) and i.get("type") == "function_call"
    ]
    if not calls:
        kinds = [i.get("type") for i in body.get("output") or [] if isinstance(i, dict)]
        return [
            Failure("function_call", f"expected a function_call output item, got items {kinds}")
        ]
    failures = []
    for call in calls:
        if call.get("name") != tool["name"]:
            failures.append(
                Failure("function_call", f"called {call.get('name')!r}, expected {tool['name']!r}")
            )
        if not isinstance(call.get("call_id"), str) or not call.get("call_id"):
            failures.append(Failure("function_call", "the function_call has no `call_id`"))
        arguments = call.get("arguments")
        if not isinstance(arguments, str):
            failures.append(
                Failure(
                    "function_call",
                    f"`arguments` must be a JSON-encoded string, got a {type(arguments).__name__}",
                )
            )
            continue
        try:
            parsed = json.loads(arguments)
        except ValueError:
            failures.append(
                Failure("function_call", f"`arguments` is not JSON: {arguments[:80]!r}")
            )
            continue
        validator, unusable = offline_validator(
            tool["parameters"], what=f"the parameters schema of {tool['name']!r}"
        )
        if validator is None:
            failures += unusable
            continue
        errors = list(validator.iter_errors(parsed))
        if errors:
            failures.append(
                Failure(
                    "function_call",
                    f"`arguments` {arguments[:80]} do not match the tool's parameters: "
                    f"{errors[0].message}",
                )
            )
    return failures


@check
def input_items_echo(listing: Any, text: str) -> list[Failure]:
    """GET /responses/{id}/input_items lists the message that was sent."""
    data = listing.get("data") if isinstance(listing, dict) else None
    if not isinstance(data, list):
        return [Failure("input_items", "the input item list has no `data` array")]
    for item in data:
        if isinstance(item, dict) and item.get("type") == "message":
            parts = item.get("content") or []
            sent = "".join(str(p.get("text", "")) for p in parts if isinstance(p, dict))
            if sent == text:
                return []
    return [Failure("input_items", f"no input message with the text {text!r} is listed")]
