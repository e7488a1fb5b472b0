"""Embeddings: `POST /embeddings`, deterministic unit vectors from a hash of each input.

A vector depends only on the server seed, the model and the input, so the same text embeds to
the same vector in every request (clients cache on that), and `dimensions` keeps the first d
components renormalised, as OpenAI's shortened text-embedding-3 vectors do. base64 is the
little-endian float32 array OpenAI sends; the float list holds the same float32 values, so both
encodings decode to identical numbers.
"""

from __future__ import annotations

import base64
import math
import struct
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from oaiconform.mock.catalog import EMBEDDING_DIMENSIONS
from oaiconform.mock.errors import APIError
from oaiconform.mock.handlers._common import PREFIX, read_json_object, require_model, state_of
from oaiconform.mock.text import count_tokens, rng_for

MAX_INPUT_TOKENS = 8192


def native_dimensions(model: str) -> int:
    """The vector size of a model (mock/catalog.py: as documented; for another id, 3072 for
    a "large" one, else 1536)."""
    return EMBEDDING_DIMENSIONS.get(model, 3072 if "large" in model else 1536)


def _inputs(raw: Any) -> list[str | list[int]]:
    """The request's input as a list of items: strings or token arrays."""
    if isinstance(raw, str):
        return [raw]
    if raw and all(isinstance(x, int) for x in raw):
        return [list(raw)]
    return list(raw)


def _tokens(item: str | list[int]) -> int:
    return len(item) if isinstance(item, list) else count_tokens(item)


def vector(seed: int, model: str, item: str | list[int], dimensions: int) -> list[float]:
    """The first `dimensions` components of the input's full vector, unit-normalised, float32."""
    rng = rng_for(seed, "embedding", model, item)
    values = [rng.gauss(0.0, 1.0) for _ in range(dimensions)]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    packed = struct.pack(f"<{dimensions}f", *(v / norm for v in values))
    return list(struct.unpack(f"<{dimensions}f", packed))


def _check(body: dict[str, Any], items: list[str | list[int]]) -> int:
    model = body["model"]
    dimensions = body.get("dimensions")
    if dimensions is not None and not model.startswith("text-embedding-3"):
        raise APIError(
            400, "This model does not support specifying dimensions.", param="dimensions"
        )
    native = native_dimensions(model)
    if dimensions is not None and dimensions > native:
        raise APIError(
            400,
            f"This model's maximum number of dimensions is {native}, "
            f"but {dimensions} were requested.",
            param="dimensions",
        )
    for position, item in enumerate(items):
        if item == "":
            raise APIError(400, f"'$.input[{position}]' must not be empty.", param="input")
        if _tokens(item) > MAX_INPUT_TOKENS:
            raise APIError(
                400,
                f"This model's maximum context length is {MAX_INPUT_TOKENS} tokens, however "
                f"you requested {_tokens(item)} tokens in input {position}.",
                param="input",
            )
    return int(dimensions or native)


async def create_embedding(request: Request) -> Response:
    state = state_of(request)
    body = await read_json_object(request)
    # read_json_object validated the body against this operation's request schema.
    require_model(request, body["model"], "embeddings", state)
    items = _inputs(body["input"])
    dimensions = _check(body, items)
    as_base64 = body.get("encoding_format") == "base64"
    data = []
    for index, item in enumerate(items):
        values = vector(state.config.seed, body["model"], item, dimensions)
        embedding: Any = values
        if as_base64:
            embedding = base64.b64encode(struct.pack(f"<{dimensions}f", *values)).decode()
        data.append({"object": "embedding", "index": index, "embedding": embedding})
    tokens = sum(_tokens(item) for item in items)
    return JSONResponse(
        {
            "object": "list",
            "data": data,
            "model": body["model"],
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
    )


ROUTES = [Route(f"{PREFIX}/embeddings", create_embedding, methods=["POST"])]
