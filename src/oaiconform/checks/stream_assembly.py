"""Assembling streamed chat deltas as a client does: tool calls, and equality with the plain answer.

The SDKs join `delta.content` per choice and `function.arguments` per tool-call index; these
checks do the same, so a stream that a client cannot assemble (a missing index, an id that comes
late, arguments that do not parse) fails here with the delta that broke it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from oaiconform.checks._failure import Failure, capped
from oaiconform.checks._registry import Impact, check
from oaiconform.checks._schemas import offline_validator
from oaiconform.checks.streaming import as_dict, data_events, request_body
from oaiconform.exchange import Exchange, StreamExchange


@dataclass
class ToolCall:
    id: Any = None
    type: Any = None
    name: Any = None
    arguments: str = ""


@dataclass
class AssembledChoice:
    content: str = ""
    finish_reason: Any = None
    tool_calls: dict[int, ToolCall] = field(default_factory=dict)


@check(
    title="Each tool-call delta has an index, and its first delta the call's id, type and name",
    impact=Impact.BREAKS_CLIENTS,
    reason="the SDKs assemble tool calls by index: a delta they cannot place is dropped",
)
def assemble_chat(stream: StreamExchange) -> tuple[dict[int, AssembledChoice], list[Failure]]:
    """Choices as a client assembles them, and every tool-call delta it could not place."""
    where = stream.describe()
    choices: dict[int, AssembledChoice] = {}
    failures: list[Failure] = []
    for number, chunk in data_events(stream).objects:
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict) or not isinstance(choice.get("index"), int):
                continue
            assembled = choices.setdefault(choice["index"], AssembledChoice())
            delta = as_dict(choice.get("delta"))
            if isinstance(delta.get("content"), str):
                assembled.content += delta["content"]
            if choice.get("finish_reason") is not None:
                assembled.finish_reason = choice["finish_reason"]
            for part in delta.get("tool_calls") or []:
                failures += _add_tool_delta(where, number, assembled, part)
    return choices, failures


def _add_tool_delta(where: str, number: int, choice: AssembledChoice, part: Any) -> list[Failure]:
    if not isinstance(part, dict) or not isinstance(part.get("index"), int):
        return [
            Failure(
                "tool_call_delta",
                f"{where}: event #{number}: a tool-call delta has no integer `index` "
                f"({json.dumps(part)[:120]}); clients cannot tell which call it extends",
                where=f"events[{number}].choices[].delta.tool_calls[].index",
            )
        ]
    function = as_dict(part.get("function"))
    call = choice.tool_calls.get(part["index"])
    if call is None:
        call = choice.tool_calls[part["index"]] = ToolCall(
            part.get("id"), part.get("type"), function.get("name")
        )
        problems = []
        if not isinstance(call.id, str) or not call.id:
            problems.append(f"`id` (got {call.id!r})")
        if call.type != "function":
            problems.append(f'`type` "function" (got {call.type!r})')
        if not isinstance(call.name, str) or not call.name:
            problems.append(f"`function.name` (got {call.name!r})")
        if problems:
            return [
                Failure(
                    "tool_call_delta",
                    f"{where}: event #{number}: the first delta of tool call {part['index']} "
                    f"must carry {', '.join(problems)}",
                    where=f"events[{number}].choices[].delta.tool_calls[{part['index']}]",
                )
            ]
    if isinstance(function.get("arguments"), str):
        call.arguments += function["arguments"]
    return []


def _tool_parameters(body: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for tool in body.get("tools") or []:
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            out[function["name"]] = function.get("parameters") or {"type": "object"}
    return out


@check(
    title=(
        "Streamed tool calls join into JSON arguments of the offered tool, and end with tool_calls"
    ),
    impact=Impact.BREAKS_CLIENTS,
    reason="the call an application assembles cannot be run",
)
def chat_tool_call_stream(stream: StreamExchange) -> list[Failure]:
    """Tool calls stream as indexed deltas that join into JSON arguments of the tool's schema."""
    if not stream.is_event_stream:
        return []
    where = stream.describe()
    body = request_body(stream)
    parameters = _tool_parameters(body)
    choice_policy = body.get("tool_choice")
    named = isinstance(choice_policy, dict)
    choices, failures = assemble_chat(stream)
    if not choices:
        failures.append(
            Failure(
                "tool_calls",
                f"{where}: the stream carried no chunk with a choice",
                where="events[].choices",
            )
        )
    for index, choice in sorted(choices.items()):
        if not choice.tool_calls:
            if choice_policy == "required" or named:
                failures.append(
                    Failure(
                        "tool_calls",
                        f"{where}: tool_choice {json.dumps(choice_policy)} was given, but "
                        f"choice {index} streamed no tool call",
                        where=f"events[].choices[{index}].delta.tool_calls",
                    )
                )
            continue
        if choice.finish_reason == "length":
            continue  # cut by max_tokens: the arguments may well be incomplete JSON
        allowed = ("tool_calls", "stop") if named else ("tool_calls",)
        if choice.finish_reason not in allowed:
            failures.append(
                Failure(
                    "tool_calls",
                    f"{where}: choice {index} streamed tool calls but finished with "
                    f'{choice.finish_reason!r}, expected "tool_calls"',
                    where=f"events[].choices[{index}].finish_reason",
                    expected="tool_calls",
                    found=repr(choice.finish_reason),
                )
            )
        for call_index, call in sorted(choice.tool_calls.items()):
            failures += _arguments(where, index, call_index, call, parameters)
    return capped(failures)


def _arguments(
    where: str, index: int, call_index: int, call: ToolCall, parameters: dict[str, Any]
) -> list[Failure]:
    what = f"{where}: choice {index} tool call {call_index} ({call.name!r})"
    if call.name not in parameters:
        return [
            Failure(
                "tool_calls",
                f"{what}: not one of the tools offered",
                where=f"events[].choices[{index}].delta.tool_calls[{call_index}].function.name",
            )
        ]
    try:
        arguments = json.loads(call.arguments)
    except ValueError:
        return [
            Failure(
                "tool_call_arguments",
                f"{what}: the joined arguments are not JSON: {call.arguments[:120]!r}",
                where=f"events[].choices[{index}].delta.tool_calls[{call_index}].function.arguments",
            )
        ]
    validator, unusable = offline_validator(parameters[call.name], what=f"{what}: its schema")
    if validator is None:
        return unusable
    return [
        Failure(
            "tool_call_arguments",
            f"{what}: arguments {error.message}",
            where=f"events[].choices[{index}].delta.tool_calls[{call_index}].function.arguments",
        )
        for error in list(validator.iter_errors(arguments))[:3]
    ]


def _plain_choices(exchange: Exchange) -> dict[int, dict[str, Any]]:
    body = exchange.json() if exchange.is_json else {}
    choices = body.get("choices") if isinstance(body, dict) else None
    return {
        c["index"]: c
        for c in choices or []
        if isinstance(c, dict) and isinstance(c.get("index"), int)
    }


@check(
    title="For the same request and seed, the stream assembles to the non-streamed answer",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="streaming changes the answer the application gets",
)
def stream_matches_completion(stream: StreamExchange, exchange: Exchange) -> list[Failure]:
    """For the same request and seed, the stream assembles to the non-streamed answer."""
    where = stream.describe()
    streamed, _ = assemble_chat(stream)
    plain = _plain_choices(exchange)
    failures = []
    if sorted(streamed) != sorted(plain):
        failures.append(
            Failure(
                "stream_equivalence",
                f"{where}: streamed choice indexes {sorted(streamed)} differ from the "
                f"non-streamed ones {sorted(plain)}",
                where="events[].choices[].index",
                expected=str(sorted(plain)),
                found=str(sorted(streamed)),
            )
        )
    for index in sorted(set(streamed) & set(plain)):
        got, want = streamed[index], plain[index]
        message = as_dict(want.get("message"))
        pairs = [
            ("content", got.content, message.get("content") or ""),
            ("finish_reason", got.finish_reason, want.get("finish_reason")),
            (
                "tool calls",
                [(c.name, c.arguments) for _, c in sorted(got.tool_calls.items())],
                [
                    (
                        (c.get("function") or {}).get("name"),
                        (c.get("function") or {}).get("arguments"),
                    )
                    for c in message.get("tool_calls") or []
                    if isinstance(c, dict)
                ],
            ),
        ]
        for name, streamed_value, plain_value in pairs:
            if streamed_value != plain_value:
                failures.append(
                    Failure(
                        "stream_equivalence",
                        f"{where}: choice {index}: streamed {name} {streamed_value!r:.120} "
                        f"differs from the non-streamed {plain_value!r:.120}",
                        where=f"events[].choices[{index}].delta.{name.replace(' ', '_')}",
                    )
                )
    return failures
