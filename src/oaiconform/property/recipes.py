"""Hand-written minimal creation requests for the collections the suites know.

A generated body rarely creates anything on a real server (a random model, an unknown file
id, a `purpose` the upload does not fit), and the description's examples name objects that
do not exist; for these collections the smallest request that works on the API is written out.
Bodies are cheap on a live API (a few tokens at most) and the same for the same seed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from oaiconform.checks.files import multipart_body

DEFAULT_MODEL = "gpt-4o-mini"
_PROMPT = "Say hi."
_BATCH_ENDPOINT = "/v1/chat/completions"


@dataclass(frozen=True)
class RecipeInputs:
    models: Mapping[str, str]  # operation id -> model, as in PropertyOptions.models
    token: str  # per run and operation: names files, separates multipart parts
    needed: Mapping[str, str]  # collection route -> id of the object created for the body
    to_cancel: bool = False  # the operation cancels the object: it must still be running
    run_id: str = ""  # names and tags what is created (cleanup.py); "" outside a run

    def tag(self) -> dict[str, Any]:
        """The run's metadata for a body whose object has `metadata` (nothing outside a run)."""
        return {"metadata": {"oaiconform_run": self.run_id}} if self.run_id else {}

    def name(self) -> str:
        return f"{self.run_id or 'oaiconform'}-{self.token}"

    def chat_model(self) -> str:
        return self.models.get("createChatCompletion") or DEFAULT_MODEL

    def response_model(self) -> str:
        return self.models.get("createResponse") or self.chat_model()


Body = tuple[bytes, str]  # encoded body, Content-Type


def _json(value: Any) -> Body:
    return json.dumps(value).encode(), "application/json"


@dataclass(frozen=True)
class Recipe:
    collection: str  # the route it creates in
    build: Callable[[RecipeInputs], Body]
    needs: tuple[str, ...] = ()  # collections whose objects the body refers to
    leaves_files: bool = False  # the object names output files to delete with it


def _jsonl_line(inputs: RecipeInputs) -> bytes:
    line = {
        "custom_id": inputs.name(),
        "method": "POST",
        "url": _BATCH_ENDPOINT,
        "body": {
            "model": inputs.chat_model(),
            "max_tokens": 1,
            "messages": [{"role": "user", "content": _PROMPT}],
        },
    }
    return (json.dumps(line) + "\n").encode()


def _file(inputs: RecipeInputs) -> Body:
    # Purpose `batch` with one JSONL request: accepted everywhere, and a batch can run it.
    return multipart_body(
        {"purpose": "batch"},
        f"{inputs.name()}.jsonl",
        _jsonl_line(inputs),
        f"oaiconform{inputs.token}",
    )


def _batch(inputs: RecipeInputs) -> Body:
    return _json(
        {
            "input_file_id": inputs.needed["/files"],
            "endpoint": _BATCH_ENDPOINT,
            "completion_window": "24h",
            **inputs.tag(),
        }
    )


def _chat_completion(inputs: RecipeInputs) -> Body:
    return _json(
        {
            "model": inputs.chat_model(),
            "messages": [{"role": "user", "content": _PROMPT}],
            "store": True,  # only stored completions can be retrieved
            "max_completion_tokens": 16,
            **inputs.tag(),
        }
    )


def _response(inputs: RecipeInputs) -> Body:
    body: dict[str, Any] = {
        "model": inputs.response_model(),
        "input": _PROMPT,
        "store": True,
        "max_output_tokens": 16,
        **inputs.tag(),
    }
    if inputs.to_cancel:
        body["background"] = True  # only background responses can be cancelled
    return _json(body)


def _assistant(inputs: RecipeInputs) -> Body:
    return _json({"model": inputs.chat_model(), "name": inputs.name()})


def _named(inputs: RecipeInputs) -> Body:
    return _json({"name": inputs.name()})


def _empty(inputs: RecipeInputs) -> Body:
    return _json({})


# Collections whose objects carry the run's metadata tag (their create bodies have `metadata`).
TAGGED = frozenset({"/batches", "/chat/completions", "/responses"})

RECIPES: dict[str, Recipe] = {
    recipe.collection: recipe
    for recipe in (
        Recipe("/files", _file),
        Recipe("/batches", _batch, needs=("/files",), leaves_files=True),
        Recipe("/chat/completions", _chat_completion),
        Recipe("/responses", _response),
        Recipe("/assistants", _assistant),
        Recipe("/threads", _empty),
        Recipe("/conversations", _empty),
        Recipe("/vector_stores", _named),
    )
}
