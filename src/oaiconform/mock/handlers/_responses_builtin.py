"""Built-in tools of the Responses API, as the mock pretends to run them.

The answer kind `builtin` (answers.py) makes the model use the first built-in tool the request
offers (web search, file search, code interpreter, image generation) once, then answer in
words, as the real API's output shows it: the tool's call item before the message, with the
call's own stream events (tests/corpus/real_api/). Nothing is searched, run or drawn: the
items carry generated text and an empty 1x1 PNG.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from oaiconform.mock.text import below, generate_tokens

# The smallest valid PNG (1x1, transparent), as an image generation's `result`.
_PNG_1X1 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
BUILTIN_TYPES = ("web_search", "web_search_preview", "file_search", "code_interpreter",
                 "image_generation")  # fmt: skip


def offered_builtin(body: dict[str, Any]) -> str | None:
    """The type of the first built-in tool the request offers, if any."""
    for tool in body.get("tools") or ():
        if isinstance(tool, dict) and tool.get("type") in BUILTIN_TYPES:
            return str(tool["type"])
    return None


def _words(rng: random.Random, low: int, spread: int) -> str:
    return "".join(generate_tokens(rng, low + below(rng, spread))).strip()


def builtin_call(kind: str, new_id: Any, rng: random.Random, include: Any = ()) -> dict[str, Any]:
    """The finished call item of a built-in tool of type `kind`; with the code interpreter's
    `outputs` (its logs) and the file search's `results` when `include` asks for them."""
    call = _call(kind, new_id, rng)
    asked = include if isinstance(include, list) else []
    if kind == "code_interpreter" and "code_interpreter_call.outputs" in asked:
        call["outputs"] = [{"type": "logs", "logs": "42"}]
    if kind == "file_search" and "file_search_call.results" in asked:
        call["results"] = [
            {
                "attributes": {},
                "file_id": new_id("file").replace("file_", "file-", 1),
                "filename": "document.txt",
                "score": round(0.5 + rng.random() / 2, 4),
                "text": _words(rng, 12, 12),
            }
        ]
    return call


def _call(kind: str, new_id: Any, rng: random.Random) -> dict[str, Any]:
    if kind.startswith("web_search"):
        query = _words(rng, 3, 5)
        action = {"type": "search", "query": query, "queries": [query]}
        return {"id": new_id("ws"), "type": "web_search_call", "status": "completed",
                "action": action}  # fmt: skip
    if kind == "file_search":
        return {"id": new_id("fs"), "type": "file_search_call", "status": "completed",
                "queries": [_words(rng, 3, 5)], "results": None}  # fmt: skip
    if kind == "code_interpreter":
        return {"id": new_id("ci"), "type": "code_interpreter_call", "status": "completed",
                "code": "print(6 * 7)", "container_id": new_id("cntr"),
                "outputs": None}  # fmt: skip
    return {
        "id": new_id("ig"),
        "type": "image_generation_call",
        "status": "completed",
        "action": "generate",
        "background": "opaque",
        "output_format": "png",
        "quality": "high",
        "result": _PNG_1X1,
        "revised_prompt": _words(rng, 8, 8),
        "size": "1024x1024",
    }


def url_citation(text: str) -> dict[str, Any]:
    """The annotation a web search answer carries on its text."""
    return {"type": "url_citation", "start_index": 0, "end_index": len(text),
            "title": "Example Domain", "url": "https://example.com/"}  # fmt: skip


_PROGRESS = {
    "web_search_call": ("in_progress", "searching", "completed"),
    "file_search_call": ("in_progress", "searching", "completed"),
    "code_interpreter_call": ("in_progress",),
    "image_generation_call": ("in_progress", "generating"),
}


def builtin_events(call: dict[str, Any], where: dict[str, int]) -> Iterator[dict[str, Any]]:
    """The call's stream events, as the API sends them (sequence numbers added later)."""
    kind = call["type"]
    opening: dict[str, Any] = {"id": call["id"], "type": kind, "status": "in_progress"}
    if kind == "code_interpreter_call":  # the members its schema requires, before they are known
        opening.update(code="", container_id=call["container_id"], outputs=None)
    elif kind == "image_generation_call":
        opening["result"] = None
    elif kind == "file_search_call":
        opening["queries"] = []
    yield {"type": "response.output_item.added", **where, "item": opening}
    ids = {"item_id": call["id"], **where}
    for step in _PROGRESS[kind]:
        yield {"type": f"response.{kind}.{step}", **ids}
    if kind == "code_interpreter_call":
        yield {"type": "response.code_interpreter_call_code.delta", **ids, "delta": call["code"]}
        yield {"type": "response.code_interpreter_call_code.done", **ids, "code": call["code"]}
        yield {"type": "response.code_interpreter_call.interpreting", **ids}
        yield {"type": "response.code_interpreter_call.completed", **ids}
    if kind == "image_generation_call":
        yield {"type": "response.image_generation_call.completed", **ids}
    yield {"type": "response.output_item.done", **where, "item": call}


__all__ = ["BUILTIN_TYPES", "builtin_call", "builtin_events", "offered_builtin", "url_citation"]
