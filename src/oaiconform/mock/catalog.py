"""The models the mock serves: every model id the pinned description names, by kind.

The description lists model ids in enums beside each request's `model` (ModelIdsShared for chat
and Responses, ModelIdsResponses for the Responses-only ones, CreateEmbeddingRequest,
CreateModerationRequest, the audio, image, realtime and video requests). Each id gets the kind
of the first list naming it, and a kind says which endpoints serve it: an embedding model on
chat completions gets the 404 the API answers for a model that is not a chat model.

Ids the description does not name (the mock's defaults, `--model ID`, the run's models) get a
kind from their name (`kind_of_name`). A model's `created` is fixed by its place in the served
list, so `models.list` answers the same bytes in every run.

A request naming an id the catalog does not list (a model newer than the pinned description:
gpt-5.6, o4-mini-deep-research...) is served as the real API serves it, by the kind its name
implies, when the name is a known family (`FAMILIES`) followed by a version and words the
listed ids use (`Catalog.infer`): `gpt-5.6` is served, `gpt-5.2-proo` (a typo the real API
refuses, as recorded in tests/corpus/real_api/) and `no-such-model` are not.
`mock --known-models-only` switches the inference off (`MockConfig.infer_models`).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Literal

from oaiconform.spec import Spec

Kind = Literal[
    "chat", "reasoning", "completion", "embedding", "moderation", "audio", "image", "realtime",
    "video",
]  # fmt: skip
# The endpoint families of the mock's own handlers, and the kinds each serves.
Endpoint = Literal["chat", "responses", "completions", "embeddings", "moderations"]
SERVED_BY: dict[Endpoint, frozenset[Kind]] = {
    "chat": frozenset({"chat", "reasoning"}),
    "responses": frozenset({"chat", "reasoning"}),
    "completions": frozenset({"completion"}),
    "embeddings": frozenset({"embedding"}),
    "moderations": frozenset({"moderation"}),
}
# (component schema, kind): where the description lists model ids, in the order ids get their
# kind. A `None` kind means "by the id's name" (the shared list mixes chat and reasoning).
_SOURCES: tuple[tuple[str, Kind | None], ...] = (
    ("ModelIdsShared", None),
    ("ModelIdsResponses", None),
    ("AssistantSupportedModels", None),
    ("CreateCompletionRequest", "completion"),
    ("CreateEmbeddingRequest", "embedding"),
    ("CreateModerationRequest", "moderation"),
    ("CreateSpeechRequest", "audio"),
    ("CreateTranscriptionRequest", "audio"),
    ("CreateTranslationRequest", "audio"),
    ("AudioTranscription", "audio"),
    ("CreateImageRequest", "image"),
    ("CreateImageEditRequest", "image"),
    ("CreateImageVariationRequest", "image"),
    ("RealtimeSessionCreateRequestGA", "realtime"),
    ("RealtimeSession", "realtime"),
    ("VideoModel", "video"),
)
# Native vector sizes, as OpenAI documents them; only text-embedding-3 takes `dimensions`.
EMBEDDING_DIMENSIONS = {
    "text-embedding-ada-002": 1536,
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
}
MODEL_CREATED = 1_700_000_000  # the first model's `created`; each next one a second later

# Reasoning models: the o-series and gpt-5 (not its `-chat-latest` variants, which are chat
# models), and codex models.
_REASONING = re.compile(r"^(o\d|gpt-5(?!.*chat-latest)|codex-|gpt-daybreak|computer-use)")
_BY_NAME: tuple[tuple[re.Pattern[str], Kind], ...] = (
    (re.compile(r"embedding"), "embedding"),
    (re.compile(r"moderation"), "moderation"),
    (re.compile(r"-instruct|^davinci|^babbage"), "completion"),
    (re.compile(r"whisper|tts|transcribe"), "audio"),
    (re.compile(r"dall-e|image"), "image"),
    (re.compile(r"realtime"), "realtime"),
    (re.compile(r"^sora"), "video"),
    (_REASONING, "reasoning"),
)


# The model families of the API: an unlisted id must start with one of them to be served.
FAMILIES = re.compile(
    r"^(gpt-|chatgpt-|o\d|text-embedding-|omni-moderation|text-moderation|dall-e|whisper|"
    r"tts-|codex-|computer-use|davinci|babbage|sora)"
)
# A version or a date part of an id: 5.6, 4o, 3.5, 2025, 04, 0125.
_VERSION_WORD = re.compile(r"^\d+(\.\d+)?[a-z]?$")


def kind_of_name(model_id: str) -> Kind:
    """A kind for an id from its name alone (a fine-tuned `ft:BASE:...` has its base's)."""
    name = model_id.split(":")[1] if model_id.startswith("ft:") else model_id
    for pattern, kind in _BY_NAME:
        if pattern.search(name):
            return kind
    return "chat"


@dataclass(frozen=True)
class ModelInfo:
    id: str
    kind: Kind
    created: int
    responses_only: bool = False  # the description lists it for the Responses API only

    @property
    def owned_by(self) -> str:
        if self.id.startswith("ft:"):
            return "user-oaiconform"
        return "system" if self.kind in ("embedding", "moderation") else "openai"

    @property
    def dimensions(self) -> int | None:
        """An embedding model's native vector size (1536 for one the mock does not know)."""
        return EMBEDDING_DIMENSIONS.get(self.id, 1536) if self.kind == "embedding" else None

    def json(self) -> dict[str, Any]:
        created, owner = self.created, self.owned_by
        return {"id": self.id, "object": "model", "created": created, "owned_by": owner}


def _enum_ids(node: Any) -> list[str]:
    """The string enum values under a schema (its own, its `model` property's, its anyOf's)."""
    if not isinstance(node, dict):
        return []
    if "properties" in node:
        return _enum_ids(node["properties"].get("model"))
    found = [v for v in node.get("enum") or () if isinstance(v, str)]
    for branch in node.get("anyOf") or node.get("oneOf") or ():
        found += _enum_ids(branch)
    return found


def described_models(spec: Spec) -> dict[str, tuple[Kind, bool]]:
    """Every model id the description names: id -> (kind, Responses-only)."""
    schemas = spec.document.get("components", {}).get("schemas", {})
    named: dict[str, tuple[Kind, bool]] = {}
    for schema, kind in _SOURCES:
        for model_id in _enum_ids(schemas.get(schema)):
            if model_id not in named:
                named[model_id] = (kind or kind_of_name(model_id), schema == "ModelIdsResponses")
    return named


class Catalog:
    """The served models: the configured ids first (their `created` as before), then the
    description's; lookups by id."""

    def __init__(self, extra: tuple[str, ...], described: dict[str, tuple[Kind, bool]]) -> None:
        ids = list(dict.fromkeys((*extra, *described)))
        self.models: dict[str, ModelInfo] = {}
        for index, model_id in enumerate(ids):
            kind, responses_only = described.get(model_id, (kind_of_name(model_id), False))
            self.models[model_id] = ModelInfo(model_id, kind, MODEL_CREATED + index, responses_only)
        # The words of the listed ids ("mini", "nano", "pro", "realtime", "sol"...): what an
        # unlisted id may be made of besides its family, versions and dates.
        self._words = frozenset(
            word for model_id in ids for word in re.split(r"[-:.]", model_id) if word.isalpha()
        )

    def infer(self, model_id: str) -> ModelInfo | None:
        """An unlisted id the real API would serve, by its family's kind, else None."""
        base = model_id.split(":")[1] if model_id.startswith("ft:") else model_id
        if not FAMILIES.match(base):
            return None
        words = [word for word in re.split(r"-", base) if word]
        family_words = {"gpt", "chatgpt", "text", "embedding", "omni", "moderation", "dall", "e"}
        for word in words:
            if word in family_words or word in self._words or _VERSION_WORD.match(word):
                continue
            if re.fullmatch(r"o\d(-?\w+)?", word) and word == words[0]:
                continue
            return None
        return ModelInfo(model_id, kind_of_name(model_id), MODEL_CREATED)

    def get(self, model_id: str) -> ModelInfo | None:
        return self.models.get(model_id)

    def __contains__(self, model_id: object) -> bool:
        return model_id in self.models

    def __iter__(self) -> Any:
        return iter(self.models.values())


@functools.lru_cache(maxsize=8)
def catalog_for(spec: Spec | None, extra: tuple[str, ...]) -> Catalog:
    """One catalog per (description, configured ids): built once, read on every request.
    Without a description, only the configured ids."""
    return Catalog(extra, described_models(spec) if spec is not None else {})


__all__ = [
    "EMBEDDING_DIMENSIONS",
    "FAMILIES",
    "MODEL_CREATED",
    "SERVED_BY",
    "Catalog",
    "Endpoint",
    "Kind",
    "ModelInfo",
    "catalog_for",
    "described_models",
    "kind_of_name",
]
