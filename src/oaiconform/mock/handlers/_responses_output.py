"""What a Responses API answer is made of: input items, output items, the object, its events.

Kept apart from the routes (responses.py) so that the plain answer and the event stream are
built from one generation: the stream's deltas join to exactly the stored text.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from oaiconform.mock.answers import REFUSAL_TEXT, AnswerKind, answer_length, last_user_text
from oaiconform.mock.errors import APIError
from oaiconform.mock.handlers._chat_choices import Logprob, logprob_entry
from oaiconform.mock.handlers._model_defaults import message_phase, reasoning_effort
from oaiconform.mock.handlers._responses_builtin import (
    builtin_call,
    builtin_events,
    offered_builtin,
    url_citation,
)
from oaiconform.mock.handlers._responses_tools import (
    Search,
    called_function,
    planned_search,
    search_items,
)
from oaiconform.mock.instances import SchemaNotSatisfiableError, instance_for
from oaiconform.mock.text import (
    below,
    count_tokens,
    generate_tokens,
    rng_for,
    split_tokens,
    text_of,
    token_logprobs,
)


def input_items(raw: Any, new_id: Any) -> list[dict[str, Any]]:
    """The request's `input` as stored items, each with an id (what input_items lists)."""
    if isinstance(raw, str):
        raw = [{"type": "message", "role": "user", "content": raw}]
    items = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        kind = item.get("type") or ("message" if "role" in item else None)
        if kind == "message":
            role = item.get("role", "user")
            part_type = "output_text" if role == "assistant" else "input_text"
            content = item.get("content")
            parts = [{"type": part_type, "text": content}] if isinstance(content, str) else content
            if role == "assistant":
                parts = [{**p, "annotations": p.get("annotations", [])} for p in parts or []]
            items.append(
                {
                    "id": item.get("id") or new_id("msg"),
                    "type": "message",
                    "role": role,
                    "status": "completed",
                    "content": parts or [],
                }
            )
        elif kind == "function_call_output":
            items.append(
                {
                    "id": item.get("id") or new_id("fco"),
                    "type": "function_call_output",
                    "call_id": item.get("call_id", ""),
                    "output": item.get("output", ""),
                    "status": "completed",
                }
            )
        elif kind == "function_call":
            items.append({"status": "completed", **item, "id": item.get("id") or new_id("fc")})
    return items


def count_item_tokens(items: list[dict[str, Any]]) -> int:
    total = 0
    for item in items:
        if item.get("type") == "message":
            total += 4 + count_tokens(text_of(item.get("content")))
        elif item.get("type") == "function_call_output":
            total += 4 + count_tokens(str(item.get("output", "")))
        elif item.get("type") == "function_call":
            total += 4 + count_tokens(str(item.get("arguments", "")))
    return total


@dataclass(frozen=True)
class Generated:
    """One response's output: either a message of tokens or one function call."""

    item_id: str
    tokens: tuple[str, ...] = ()
    incomplete: bool = False
    call: dict[str, Any] | None = None  # the function_call item
    refusal: bool = False  # the tokens are a refusal
    reasoning_tokens: int = 0  # a reasoning model's hidden tokens (in usage only)
    incomplete_reason: str = "max_output_tokens"  # or "content_filter" (answers.py)
    reasoning_model: bool = False  # answered by a reasoning model (its effort is echoed)
    reasoning_item: dict[str, Any] | None = None  # the `reasoning` item before the answer
    phase: str | None = None  # the message's `phase`, for the models that mark it
    builtin: dict[str, Any] | None = None  # a built-in tool's call before the answer
    logprobs: tuple[Logprob, ...] | None = None  # per token, when `include` asks for them
    search: tuple[dict[str, Any], ...] = ()  # a tool search's items before the answer
    ends_at_search: bool = False  # a client-executed search: the response ends with its call

    @property
    def text(self) -> str:
        return "".join(self.tokens)

    @property
    def output_tokens(self) -> int:
        if self.call is not None:
            return count_tokens(self.call["arguments"]) + self.reasoning_tokens
        return len(self.tokens) + self.reasoning_tokens


def _arguments(tool: dict[str, Any], rng: random.Random) -> Any:
    """Arguments valid for the function's parameters, or the 400 for a schema it cannot meet."""
    schema = tool.get("parameters") or {"type": "object", "properties": {}}
    try:
        return instance_for(schema, rng)
    except SchemaNotSatisfiableError as exc:
        message = f"Invalid schema for function '{tool.get('name', '')}': {exc}"
        raise APIError(400, message, param="tools") from None


def generate(
    seed: int,
    body: dict[str, Any],
    context: list[dict[str, Any]],
    new_id: Any,
    kind: AnswerKind = "normal",
    reasoning: bool = False,
    shows_reasoning: bool | None = None,
) -> Generated:
    """The output for a request (`_generate`), with what a reasoning model adds: when it
    reasons (effort not "none"), a `reasoning` item before the answer (its summary and its
    `content` empty, as the API's are; `encrypted_content` when `include` asks for it); and
    the message's `phase`."""
    effort = ((body.get("reasoning") or {}).get("effort")) or reasoning_effort(body["model"])
    shown = reasoning if shows_reasoning is None else reasoning and shows_reasoning
    thinks = shown and (effort != "none" or shows_reasoning is True)
    search = planned_search(body) if kind in ("normal", "tool_call", "text") else None
    searched: list[dict[str, Any]] = []
    if search is not None:
        searched = search_items(search, new_id, _search_arguments(seed, search))
    if search is not None and search.execution == "client":
        generated = Generated(new_id("msg"), ends_at_search=True)
    else:
        loaded = str(search.function.get("name")) if search is not None else None
        generated = _generate(seed, body, context, new_id, kind, thinks, loaded)
    item = None
    if thinks:
        item = {"id": new_id("rs"), "type": "reasoning", "summary": [], "content": []}
        if (body.get("reasoning") or {}).get("summary") in ("auto", "concise", "detailed"):
            summary_rng = rng_for(seed, "summary", item["id"])
            text = "".join(generate_tokens(summary_rng, 12 + below(summary_rng, 12)))
            item["summary"] = [{"type": "summary_text", "text": text}]
        if "reasoning.encrypted_content" in (body.get("include") or ()):
            rng = rng_for(seed, "encrypted", item["id"])
            item["encrypted_content"] = "gAAAAA" + base64.urlsafe_b64encode(
                rng.randbytes(96)
            ).decode().rstrip("=")
    builtin = None
    offered = offered_builtin(body) if kind == "builtin" else None
    if offered is not None and generated.call is None:
        rng = rng_for(seed, "builtin", generated.item_id)
        builtin = builtin_call(offered, new_id, rng, body.get("include"))
    logprobs = None
    if _LOGPROBS in (body.get("include") or ()) and generated.call is None:
        asked_top = body.get("top_logprobs")
        top = asked_top if isinstance(asked_top, int) else 0
        rng = rng_for(seed, "logprobs", generated.item_id)
        logprobs = tuple(token_logprobs(rng, list(generated.tokens), top))
    return replace(
        generated,
        search=tuple(searched),
        logprobs=logprobs,
        reasoning_model=reasoning,
        reasoning_item=item,
        phase=message_phase(body["model"]),
        builtin=builtin,
    )


def _search_arguments(seed: int, search: Search) -> Any:
    """A client-executed search's arguments: valid for the parameters its tool declares, else
    the queries the API's own search takes."""
    rng = rng_for(seed, "search", search.function.get("name"))
    parameters = search.tool.get("parameters")
    if isinstance(parameters, dict):
        try:
            return instance_for(parameters, rng)
        except SchemaNotSatisfiableError:
            pass
    return {"queries": ["".join(generate_tokens(rng, 4)).strip()]}


_LOGPROBS = "message.output_text.logprobs"  # the `include` asking for the text's logprobs


def _generate(
    seed: int,
    body: dict[str, Any],
    context: list[dict[str, Any]],
    new_id: Any,
    kind: AnswerKind = "normal",
    reasoning: bool = False,
    searched: str | None = None,
) -> Generated:
    """The output for a request whose whole conversation (earlier turns + input) is `context`
    (`searched`: the function a tool search of this response loaded).

    With function tools (and tool_choice not "none") the model calls the first (or chosen) tool,
    unless the conversation's last item already is a function call's output: then it answers.
    """
    contents = [{k: v for k, v in item.items() if k != "id"} for item in context]  # ids vary
    rng = rng_for(seed, body.get("model"), contents, body.get("instructions"), body.get("tools"))
    called = called_function(body, searched)
    if kind == "text" and body.get("tool_choice", "auto") == "auto":
        called = None  # the model answers in words (answers.py)
    if kind == "builtin" and offered_builtin(body) is not None:
        called = None  # it uses the built-in tool (which meets `tool_choice: required` too)
    answered_tool = bool(context) and context[-1].get("type") == "function_call_output"
    if called is not None and (not answered_tool or kind == "tool_call"):
        arguments = _arguments(called.tool, rng)
        call = {
            "id": new_id("fc"),
            "type": "function_call",
            "status": "completed",
            "arguments": json.dumps(arguments, separators=(",", ":")),
            "call_id": new_id("call"),
            "name": called.tool.get("name", ""),
        }
        if called.namespace is not None:
            call["namespace"] = called.namespace
        return Generated(call["id"], call=call, reasoning_tokens=_thought(rng, reasoning))
    limit = body.get("max_output_tokens")
    if kind == "refusal":
        tokens = split_tokens(REFUSAL_TEXT)
    else:
        tokens = _answer_tokens(rng, body, last_user_text(context), kind)
    thought = _thought(rng, reasoning)
    if isinstance(limit, int):  # reasoning spends the limit first; the answer still fits it
        thought = max(min(thought, limit - len(tokens)), 0)
        limit -= thought
    incomplete = isinstance(limit, int) and limit < len(tokens)
    if incomplete:
        tokens = tokens[:limit]
    if kind == "content_filter":  # the answer stops half-way, as a filtered one does
        tokens = tokens[: len(tokens) // 2]
        return Generated(new_id("msg"), tuple(tokens), True, None, False, thought, kind)
    return Generated(new_id("msg"), tuple(tokens), incomplete, None, kind == "refusal", thought)


def _thought(rng: random.Random, reasoning: bool) -> int:
    return 8 + below(rng, 17) if reasoning else 0


def _answer_tokens(
    rng: random.Random, body: dict[str, Any], prompt: str, kind: AnswerKind
) -> list[str]:
    """Text (answers.py sizes it), or JSON valid for a `text.format` json_schema/json_object."""
    text_format = (body.get("text") or {}).get("format") or {}
    if text_format.get("type") == "json_schema":
        schema = text_format.get("schema") or {"type": "object"}
        try:
            value = instance_for(schema, rng)
        except SchemaNotSatisfiableError as exc:
            raise APIError(400, f"Invalid schema for text.format: {exc}", param="text") from None
        return split_tokens(json.dumps(value, separators=(",", ":"), ensure_ascii=False))
    if text_format.get("type") == "json_object":
        return split_tokens('{"answer":"ok"}')
    return generate_tokens(rng, answer_length(rng, prompt, kind))


def message_item(generated: Generated, *, done: bool) -> dict[str, Any]:
    """The message; when done, its text with the logprobs asked for (the API's finished item
    carries them, its `content_part.done` event does not)."""
    status = "incomplete" if generated.incomplete else "completed"
    part = _part(generated, generated.text)
    if generated.logprobs is not None and part["type"] == "output_text":
        part["logprobs"] = [logprob_entry(*entry) for entry in generated.logprobs]
    item = {
        "id": generated.item_id,
        "type": "message",
        "status": status if done else "in_progress",
        "role": "assistant",
        "content": [part] if done else [],
    }
    if generated.phase is not None:
        item["phase"] = generated.phase
    return item


def _part(generated: Generated, text: str) -> dict[str, Any]:
    if generated.refusal:
        return {"type": "refusal", "refusal": text}
    part = text_part(text)
    if text and generated.builtin is not None and generated.builtin["type"] == "web_search_call":
        part["annotations"] = [url_citation(text)]
    return part


def text_part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def output_items(generated: Generated) -> list[dict[str, Any]]:
    first = [generated.reasoning_item] if generated.reasoning_item is not None else []
    first += [*generated.search]
    first += [generated.builtin] if generated.builtin is not None else []
    if generated.ends_at_search:
        return first
    if generated.call is not None:
        return [*first, generated.call]
    return [*first, message_item(generated, done=True)]


def unfinished(response: dict[str, Any], status: str) -> dict[str, Any]:
    """The response as it is before it finishes (queued, in progress) or when cancelled: no
    output, `usage` null (as the API sends it; spec/overlays/011 allows the null)."""
    return {
        **{k: v for k, v in response.items() if k != "billing"},  # billed when finished
        "usage": None,
        "status": status,
        "output": [],
        "completed_at": None,
        "incomplete_details": None,
    }


def _summary_events(reasoning: dict[str, Any], where: dict[str, int]) -> Iterator[dict[str, Any]]:
    """A reasoning summary's parts, streamed as the API streams them."""
    for index, part in enumerate(reasoning["summary"]):
        ids = {"item_id": reasoning["id"], **where, "summary_index": index}
        yield {
            "type": "response.reasoning_summary_part.added",
            **ids,
            "part": {"type": "summary_text", "text": ""},
        }
        for token in split_tokens(part["text"]):
            yield {"type": "response.reasoning_summary_text.delta", **ids, "delta": token}
        yield {"type": "response.reasoning_summary_text.done", **ids, "text": part["text"]}
        yield {"type": "response.reasoning_summary_part.done", **ids, "part": part}


def stream_events(response: dict[str, Any], generated: Generated) -> Iterator[dict[str, Any]]:
    """The typed events of a streamed response, without sequence numbers (the caller adds them).

    `response` is the finished object; the first events carry it in progress with no output.
    """
    pending = unfinished(response, "in_progress")
    if response.get("background") is True:  # the API queues it first
        queued = unfinished(response, "queued")
        yield {"type": "response.created", "response": queued}
        yield {"type": "response.queued", "response": queued}
    else:
        yield {"type": "response.created", "response": pending}
    yield {"type": "response.in_progress", "response": pending}
    where = {"output_index": 0}
    if generated.reasoning_item is not None:
        reasoning = generated.reasoning_item
        yield {"type": "response.output_item.added", **where, "item": {**reasoning, "summary": []}}
        yield from _summary_events(reasoning, where)
        yield {"type": "response.output_item.done", **where, "item": reasoning}
        where = {"output_index": 1}
    for searched in generated.search:  # opened (in progress, a call's arguments not yet known)
        opening = {**searched, "status": "in_progress"}
        if searched["type"] == "tool_search_call":
            opening["arguments"] = {}
        yield {"type": "response.output_item.added", **where, "item": opening}
        yield {"type": "response.output_item.done", **where, "item": searched}
        where = {"output_index": where["output_index"] + 1}
    if generated.ends_at_search:
        yield {"type": "response.completed", "response": response}
        return
    if generated.builtin is not None:
        yield from builtin_events(generated.builtin, where)
        where = {"output_index": where["output_index"] + 1}
    if generated.call is not None:
        call = generated.call
        yield {
            "type": "response.output_item.added",
            **where,
            "item": {**call, "status": "in_progress", "arguments": ""},
        }
        ids = {"item_id": call["id"], **where}
        yield {"type": "response.function_call_arguments.delta", **ids, "delta": call["arguments"]}
        # no `name`: the API's event has none (the item names the function; spec/overlays/011)
        yield {
            "type": "response.function_call_arguments.done",
            **ids,
            "arguments": call["arguments"],
        }
        yield {"type": "response.output_item.done", **where, "item": call}
    else:
        yield {
            "type": "response.output_item.added",
            **where,
            "item": message_item(generated, done=False),
        }
        ids = {"item_id": generated.item_id, **where, "content_index": 0}
        yield {"type": "response.content_part.added", **ids, "part": _part(generated, "")}
        if generated.refusal:
            for token in generated.tokens:
                yield {"type": "response.refusal.delta", **ids, "delta": token}
            yield {"type": "response.refusal.done", **ids, "refusal": generated.text}
            yield {
                "type": "response.content_part.done",
                **ids,
                "part": _part(generated, generated.text),
            }
            yield {
                "type": "response.output_item.done",
                **where,
                "item": message_item(generated, done=True),
            }
            yield {"type": "response.completed", "response": response}
            return
        entries = [logprob_entry(*entry) for entry in generated.logprobs or ()]
        for index, token in enumerate(generated.tokens):
            logprobs = entries[index : index + 1]
            yield {
                "type": "response.output_text.delta",
                **ids,
                "delta": token,
                "logprobs": logprobs,
            }
        done_part = _part(generated, generated.text)
        for index, annotation in enumerate(done_part["annotations"]):
            yield {
                "type": "response.output_text.annotation.added",
                **ids,
                "annotation_index": index,
                "annotation": annotation,
            }
        yield {
            "type": "response.output_text.done",
            **ids,
            "text": generated.text,
            "logprobs": entries,
        }
        yield {"type": "response.content_part.done", **ids, "part": done_part}
        yield {
            "type": "response.output_item.done",
            **where,
            "item": message_item(generated, done=True),
        }
    terminal = "response.incomplete" if generated.incomplete else "response.completed"
    yield {"type": terminal, "response": response}
