"""Checks of tool calls in chat completions: shape, ids, names, arguments and tool_choice."""

from __future__ import annotations

import json
from typing import Any

from oaiconform.checks._failure import Failure
from oaiconform.checks._registry import Impact, check
from oaiconform.checks._schemas import offline_validator

ToolChoice = str | dict[str, Any]


def _choices(body: Any) -> list[dict[str, Any]]:
    choices = body.get("choices") if isinstance(body, dict) else None
    return [c for c in choices or [] if isinstance(c, dict)]


def _calls(choice: dict[str, Any]) -> list[Any]:
    message = choice.get("message")
    calls = message.get("tool_calls") if isinstance(message, dict) else None
    return list(calls) if isinstance(calls, list) else []


def _declared(tools: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        t["function"]["name"]: t["function"].get("parameters") or {}
        for t in tools
        if t.get("type") == "function"
    }


def _named(tool_choice: ToolChoice) -> str | None:
    if isinstance(tool_choice, dict) and tool_choice.get("type") == "function":
        name = tool_choice.get("function", {}).get("name")
        return name if isinstance(name, str) else None
    return None


@check(
    title=(
        "Each tool call has a unique id, type function, a declared name and JSON "
        "arguments of its schema"
    ),
    impact=Impact.BREAKS_CLIENTS,
    reason=(
        "the SDK's parse helpers raise on such arguments, and an application cannot run "
        "or answer the call"
    ),
)
def tool_calls_well_formed(body: Any, tools: list[dict[str, Any]]) -> list[Failure]:
    """Each call: a unique non-empty id, type "function", a declared name, and arguments that
    parse as a JSON object valid against that function's `parameters` schema."""
    declared = _declared(tools)
    failures: list[Failure] = []
    seen: set[str] = set()
    for choice in _choices(body):
        if choice.get("finish_reason") == "length" and _calls(choice):
            failures.append(
                Failure(
                    "tool_calls",
                    f"choices[{choice.get('index')}]: the tool calls were cut by max_tokens "
                    "(finish_reason length), so their arguments cannot be checked",
                    where=f"choices[{choice.get('index')}].finish_reason",
                    found="length",
                )
            )
            continue
        for k, call in enumerate(_calls(choice)):
            where = f"choices[{choice.get('index')}].message.tool_calls[{k}]"
            if not isinstance(call, dict):
                failures.append(Failure("tool_calls", f"{where} is not an object", where=where))
                continue
            call_id = call.get("id")
            if not isinstance(call_id, str) or not call_id:
                failures.append(
                    Failure(
                        "tool_calls",
                        f"{where}.id must be a non-empty string, got {call_id!r}",
                        where=f"{where}.id",
                    )
                )
            elif call_id in seen:
                failures.append(
                    Failure(
                        "tool_calls",
                        f"{where}.id {call_id!r} is used by another tool call",
                        where=f"{where}.id",
                    )
                )
            else:
                seen.add(call_id)
            if call.get("type") != "function":
                failures.append(
                    Failure(
                        "tool_calls",
                        f'{where}.type must be "function", got {call.get("type")!r}',
                        where=f"{where}.type",
                        expected="function",
                        found=repr(call.get("type")),
                    )
                )
            failures.extend(_function(call.get("function"), where, declared))
    return failures


def _function(function: Any, where: str, declared: dict[str, Any]) -> list[Failure]:
    if not isinstance(function, dict):
        return [
            Failure(
                "tool_calls",
                f"{where}.function must be an object, got {function!r:.60}",
                where=f"{where}.function",
            )
        ]
    name = function.get("name")
    if name not in declared:
        return [
            Failure(
                "tool_calls",
                f"{where} calls {name!r}, which is not among the declared tools "
                f"({', '.join(sorted(declared))})",
                where=f"{where}.function.name",
                found=repr(name),
            )
        ]
    arguments = function.get("arguments")
    if not isinstance(arguments, str):
        return [
            Failure(
                "tool_calls",
                f"{where}.function.arguments must be a JSON-encoded string, got "
                f"{type(arguments).__name__}",
                where=f"{where}.function.arguments",
                expected="string",
                found=type(arguments).__name__,
            )
        ]
    try:
        value = json.loads(arguments)
    except json.JSONDecodeError as exc:
        # JSON that ends unfinished was cut short: by max_tokens, though finish_reason (not
        # "length") did not say so.
        unfinished = exc.pos >= len(arguments.rstrip()) or exc.msg.startswith("Unterminated")
        cut = " (it ends unfinished: cut short?)" if unfinished else ""
        return [
            Failure(
                "tool_calls",
                f"{where}: the arguments of {name} are not valid JSON ({exc}){cut}: "
                f"{arguments!r:.80}",
                where=f"{where}.function.arguments",
            )
        ]
    if not isinstance(value, dict):
        return [
            Failure(
                "tool_calls",
                f"{where}: the arguments of {name} are not a JSON object",
                where=f"{where}.function.arguments",
            )
        ]
    validator, unusable = offline_validator(
        declared[name], what=f"{where}: the parameters schema of {name}"
    )
    if validator is None:
        return unusable
    errors = list(validator.iter_errors(value))
    if errors:
        path = "".join(f"[{p!r}]" for p in errors[0].instance_path) or "(root)"
        return [
            Failure(
                "tool_calls",
                f"{where}: the arguments of {name} do not match its parameters schema: "
                f"{path}: {errors[0].message}",
                where=f"{where}.function.arguments",
            )
        ]
    return []


@check(
    title=(
        "tool_choice is obeyed (none, required, a named function); calls end with "
        "finish_reason tool_calls"
    ),
    impact=Impact.WRONG_BEHAVIOUR,
    reason="the request's tool_choice was ignored",
)
def tool_choice_honoured(body: Any, tool_choice: ToolChoice) -> list[Failure]:
    """none: no call, text content; required: a call; named: calls to that function only;
    a choice with calls ends with finish_reason "tool_calls" ("stop" is allowed when a named
    function is forced, as the API answers then)."""
    failures = []
    named = _named(tool_choice)
    for choice in _choices(body):
        calls = [c for c in _calls(choice) if isinstance(c, dict)]
        names = [(c.get("function") or {}).get("name") for c in calls]
        where = f"choices[{choice.get('index')}]"
        reason = choice.get("finish_reason")
        if tool_choice == "none":
            if calls:
                failures.append(
                    Failure(
                        "tool_choice",
                        f'tool_choice is "none", but {where} calls {", ".join(map(str, names))}',
                        where=f"{where}.message.tool_calls",
                    )
                )
            continue
        forced = tool_choice == "required" or named is not None
        if forced and not calls:
            content = (choice.get("message") or {}).get("content")
            failures.append(
                Failure(
                    "tool_choice",
                    f"tool_choice is {json.dumps(tool_choice)}, but {where} has no tool call "
                    f"(content {content!r:.80})",
                    where=f"{where}.message.tool_calls",
                )
            )
            continue
        if named is not None and any(n != named for n in names):
            failures.append(
                Failure(
                    "tool_choice",
                    f"tool_choice names {named!r}, but {where} calls {', '.join(map(str, names))}",
                    where=f"{where}.message.tool_calls[].function.name",
                    expected=named,
                )
            )
        allowed = ("tool_calls", "stop", "length") if named else ("tool_calls", "length")
        if calls and reason not in allowed:
            failures.append(
                Failure(
                    "tool_choice",
                    f'{where} has tool calls, so finish_reason must be "tool_calls", '
                    f"got {reason!r}",
                    where=f"{where}.finish_reason",
                    expected="tool_calls",
                    found=repr(reason),
                )
            )
    return failures


# How chat templates mark a call (Hermes/Qwen, Mistral, Llama 3.1) when a server leaves it as text.
_WRITTEN_CALL_MARKUP = ("<tool_call>", "[TOOL_CALLS]", "<|python_tag|>")


def calls_written_as_content(body: Any, tools: list[dict[str, Any]]) -> bool:
    """Whether a choice wrote a tool call as text instead of making one (a chat template's
    `<tool_call>` markup, or JSON naming a declared tool with its arguments): not a check, the
    premise of one. A plain answer in words under tool_choice auto is the model's right."""
    names = [str((t.get("function") or {}).get("name")) for t in tools if isinstance(t, dict)]
    for choice in _choices(body):
        content = (choice.get("message") or {}).get("content")
        if not isinstance(content, str) or _calls(choice):
            continue
        marked = any(markup in content for markup in _WRITTEN_CALL_MARKUP)
        named = any(name in content for name in names) and '"arguments"' in content
        if marked or named:
            return True
    return False


@check(
    title="A request that clearly needs a tool is answered with a tool call",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="tool calling was ignored: the declared tools had no effect",
)
def tool_call_made(body: Any) -> list[Failure]:
    """Every choice calls a tool (for a request that clearly needs one)."""
    failures = []
    for choice in _choices(body):
        if not _calls(choice):
            content = (choice.get("message") or {}).get("content")
            failures.append(
                Failure(
                    "tool_calls",
                    f"choices[{choice.get('index')}] answers without a tool call "
                    f"(finish_reason {choice.get('finish_reason')!r}, content {content!r:.80})",
                    where=f"choices[{choice.get('index')}].message.tool_calls",
                )
            )
    return failures


@check(
    title="With parallel_tool_calls false, a choice calls at most one tool",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="the parameter was silently ignored",
)
def at_most_one_call(body: Any) -> list[Failure]:
    """parallel_tool_calls false: no choice calls more than one tool."""
    return [
        Failure(
            "parallel_tool_calls",
            f"parallel_tool_calls is false, but choices[{choice.get('index')}] has "
            f"{len(_calls(choice))} tool calls",
            where=f"choices[{choice.get('index')}].message.tool_calls",
            expected="1",
            found=str(len(_calls(choice))),
        )
        for choice in _choices(body)
        if len(_calls(choice)) > 1
    ]
