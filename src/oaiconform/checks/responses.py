"""Checks of the Responses API: the response object, its output, conversations and tool calls."""

from __future__ import annotations

import json
from typing import Any

from oaiconform.checks._failure import Failure
from oaiconform.checks._registry import Impact, check, register
from oaiconform.checks._schemas import offline_validator
from oaiconform.checks.schema import object_value

# Rules the suites judge themselves.
OUTPUT_TEXT = register(
    "responses.output_text_present",
    title="A completed response to a text prompt has output_text in its output",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="the response carries no answer to the prompt",
).id
STORED = register(
    "responses.response_stored",
    title="GET /responses/{id} answers the response that was created",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="the stored response contradicts the one created (store defaults to true)",
).id

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


@check(
    title=(
        "A response has an `id`, a known `status`, an `output` list, the asked model and "
        "usage that adds up"
    ),
    impact=Impact.WRONG_BEHAVIOUR,
    reason="the object contradicts the request or misstates usage",
)
def response_object_fields(body: Any, *, model: str | None = None) -> list[Failure]:
    """`object` "response", an id, a known status, an output list and consistent usage."""
    if not isinstance(body, dict):
        return [
            Failure(
                "response_object",
                f"expected a response object, got {type(body).__name__}",
                where="body",
            )
        ]
    failures: list[Failure] = []
    failures += object_value(body, "response")
    if not isinstance(body.get("id"), str) or not body.get("id"):
        failures.append(
            Failure("response_object", f"`id` must be a string, got {body.get('id')!r}", where="id")
        )
    if body.get("status") not in STATUSES:
        failures.append(
            Failure(
                "response_object",
                f"unknown `status` {body.get('status')!r}",
                where="status",
                found=repr(body.get("status")),
            )
        )
    if not isinstance(body.get("output"), list):
        failures.append(
            Failure("response_object", "`output` must be a list of items", where="output")
        )
    if model is not None and not str(body.get("model", "")).startswith(model):
        failures.append(
            Failure(
                "response_object",
                f"`model` must name {model!r}, got {body.get('model')!r}",
                where="model",
                expected=model,
                found=repr(body.get("model")),
            )
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
                    where="usage.total_tokens",
                    expected=str(parts[0] + parts[1]),  # type: ignore[operator]
                    found=str(parts[2]),
                )
            )
    return failures


@check(
    title="A response cut by max_output_tokens is `incomplete` with reason max_output_tokens",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="the limit was ignored, or a cut answer is presented as complete",
)
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
                where="status",
                expected="incomplete",
                found=repr(body.get("status")),
            )
        )
    used = (body.get("usage") or {}).get("output_tokens")
    if isinstance(used, int) and used > limit:
        failures.append(
            Failure(
                "max_output_tokens",
                f"usage.output_tokens {used} exceeds max_output_tokens {limit}",
                where="usage.output_tokens",
                expected=f"<= {limit}",
                found=str(used),
            )
        )
    return failures


@check(
    title="A follow-up with previous_response_id continues that conversation",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="the parameter was silently ignored",
)
def continues_conversation(first: dict[str, Any], second: dict[str, Any]) -> list[Failure]:
    """A follow-up names its previous response and counts the earlier turn as input."""
    failures = []
    if second.get("previous_response_id") != first.get("id"):
        failures.append(
            Failure(
                "previous_response_id",
                f"the follow-up must echo previous_response_id {first.get('id')!r}, "
                f"got {second.get('previous_response_id')!r}",
                where="previous_response_id",
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
                where="usage.input_tokens",
            )
        )
    return failures


@check(
    title=(
        "A function_call item calls the offered tool, with a call_id and JSON arguments "
        "of its schema"
    ),
    impact=Impact.BREAKS_CLIENTS,
    reason="an application cannot run the call or send back its output without them",
)
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
            Failure(
                "function_call",
                f"expected a function_call output item, got items {kinds}",
                where="output",
            )
        ]
    failures = []
    for position, call in enumerate(calls):
        at = f"output[{position}]"
        if call.get("name") != tool["name"]:
            failures.append(
                Failure(
                    "function_call",
                    f"called {call.get('name')!r}, expected {tool['name']!r}",
                    where=f"{at}.name",
                    expected=tool["name"],
                    found=repr(call.get("name")),
                )
            )
        if not isinstance(call.get("call_id"), str) or not call.get("call_id"):
            failures.append(
                Failure(
                    "function_call", "the function_call has no `call_id`", where=f"{at}.call_id"
                )
            )
        arguments = call.get("arguments")
        if not isinstance(arguments, str):
            failures.append(
                Failure(
                    "function_call",
                    f"`arguments` must be a JSON-encoded string, got a {type(arguments).__name__}",
                    where=f"{at}.arguments",
                    expected="string",
                    found=type(arguments).__name__,
                )
            )
            continue
        try:
            parsed = json.loads(arguments)
        except ValueError:
            failures.append(
                Failure(
                    "function_call",
                    f"`arguments` is not JSON: {arguments[:80]!r}",
                    where=f"{at}.arguments",
                )
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
                    where=f"{at}.arguments",
                )
            )
    return failures


@check(
    title="GET /responses/{id}/input_items lists the message that was sent",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="the stored input contradicts what the application sent",
)
def input_items_echo(listing: Any, text: str) -> list[Failure]:
    """GET /responses/{id}/input_items lists the message that was sent."""
    data = listing.get("data") if isinstance(listing, dict) else None
    if not isinstance(data, list):
        return [Failure("input_items", "the input item list has no `data` array", where="data")]
    for item in data:
        if isinstance(item, dict) and item.get("type") == "message":
            parts = item.get("content") or []
            sent = "".join(str(p.get("text", "")) for p in parts if isinstance(p, dict))
            if sent == text:
                return []
    return [
        Failure(
            "input_items",
            f"no input message with the text {text!r} is listed",
            where="data[].content",
        )
    ]
