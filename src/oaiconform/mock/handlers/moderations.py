"""Moderations: `POST /moderations`, deterministic scores with a small trigger-word list.

The categories (and the input types each may apply to) are read from the description's
response schema, so the answer always has every category the spec requires. Benign text scores
low; a trigger word raises its categories above the flagging threshold, and `flagged` is true
exactly when some category is. The same results make the `moderation` a chat completion or a
response carries when the request asks for one (`moderated`).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from oaiconform.mock.handlers._common import PREFIX, read_json_object, require_model, state_of
from oaiconform.mock.text import rng_for
from oaiconform.spec import Spec

DEFAULT_MODEL = "omni-moderation-latest"
THRESHOLD = 0.5
# word -> categories it makes fire; small on purpose, enough to show flagging works
TRIGGERS: dict[str, tuple[str, ...]] = {
    "kill": ("violence",),
    "murder": ("violence",),
    "shoot": ("violence",),
    "stab": ("violence", "violence/graphic"),
    "gore": ("violence/graphic",),
    "idiot": ("harassment",),
    "loser": ("harassment",),
    "threaten": ("harassment/threatening",),
    "suicide": ("self-harm",),
    "shoplift": ("illicit",),
    "bomb": ("illicit/violent", "violence"),
    "explicit": ("sexual",),
}
_WORD = re.compile(r"[a-z]+")


@cache
def categories_of(spec: Spec) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(category, input types it may apply to) for every category the response schema lists."""
    results = spec.document["components"]["schemas"]["CreateModerationResponse"]["properties"]
    item = results["results"]["items"]["properties"]
    names = list(item["categories"].get("required") or item["categories"]["properties"])
    applied = item.get("category_applied_input_types", {}).get("properties", {})
    return tuple(
        (name, tuple(applied.get(name, {}).get("items", {}).get("enum", ["text"])))
        for name in names
    )


def _inputs(raw: Any) -> list[tuple[str, bool]]:
    """(text, has an image) per result: strings each get one, a multi-modal array gets one."""
    if isinstance(raw, str):
        return [(raw, False)]
    if all(isinstance(x, str) for x in raw):
        return [(x, False) for x in raw]
    text = " ".join(str(part.get("text", "")) for part in raw if part.get("type") == "text")
    return [(text, any(part.get("type") == "image_url" for part in raw))]


def _result(seed: int, spec: Spec, model: str, text: str, has_image: bool) -> dict[str, Any]:
    words = set(_WORD.findall(text.lower()))
    fired = {category for word in words for category in TRIGGERS.get(word, ())}
    categories: dict[str, bool] = {}
    scores: dict[str, float] = {}
    applied: dict[str, list[str]] = {}
    for name, input_types in categories_of(spec):
        rng = rng_for(seed, "moderation", model, name, text)
        hit = name in fired
        scores[name] = round(rng.uniform(0.9, 0.999) if hit else rng.uniform(0.0, 0.01), 6)
        categories[name] = scores[name] >= THRESHOLD
        types = ["text"] if text else []
        if has_image and "image" in input_types:
            types.append("image")
        applied[name] = types
    return {
        "flagged": any(categories.values()),
        "categories": categories,
        "category_scores": scores,
        "category_applied_input_types": applied,
    }


def moderated(
    seed: int, spec: Spec, asked: Any, input_text: str, output_text: str, *, chat: bool
) -> dict[str, Any] | None:
    """The `moderation` a chat completion or a response carries when the request asks for it
    (`moderation: {"model": ...}`): the input's and the output's results, each as a chat
    completion nests it (a `moderation_results` list) or a response (one `moderation_result`),
    as the real API answers (tests/corpus/real_api/); None when not asked."""
    if not isinstance(asked, dict):
        return None
    model = str(asked.get("model") or DEFAULT_MODEL)
    found: dict[str, Any] = {}
    for side, text in (("input", input_text), ("output", output_text)):
        result = {"type": "moderation_result", "model": model,
                  **_result(seed, spec, model, text, False)}  # fmt: skip
        found[side] = (
            {"type": "moderation_results", "model": model, "results": [result]} if chat else result
        )
    return found


async def create_moderation(request: Request) -> Response:
    state = state_of(request)
    body = await read_json_object(request)
    # read_json_object validated the body against this operation's request schema.
    model = body.get("model") or DEFAULT_MODEL
    require_model(request, model, "moderations")
    results = [
        _result(state.config.seed, state.spec, model, text, has_image)
        for text, has_image in _inputs(body["input"])
    ]
    return JSONResponse({"id": state.new_id("modr"), "model": model, "results": results})


ROUTES = [Route(f"{PREFIX}/moderations", create_moderation, methods=["POST"])]
