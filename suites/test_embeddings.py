"""Embeddings: `POST /embeddings`."""

from __future__ import annotations

from typing import Any

import pytest

from oaiconform.checks import expect
from oaiconform.checks.embeddings import (
    embedding_list,
    embedding_usage,
    same_input_same_vector,
)
from oaiconform.checks.http import json_object_body, status_code_is
from oaiconform.checks.schema import response_schema_conformance
from oaiconform.exchange import Exchange
from oaiconform.plugin import require_route
from oaiconform.settings import Settings
from oaiconform.spec import Spec
from oaiconform.target import Target

# Independent tests: the first request of each is sent ahead, together (oaiconform.ahead).
pytestmark = pytest.mark.independent

TEXTS = ["The cat sat on the mat.", "Quarterly revenue grew by four percent."]
# Small on purpose: short vectors keep the responses (and any paid run) light.
DIMENSIONS = 64


def embed(target: Target, settings: Settings, text_input: Any, **extra: Any) -> Exchange:
    body = {"model": settings.embedding_model, "input": text_input, **extra}
    exchange = require_route(target.post("embeddings", json=body))
    expect(status_code_is(exchange, 200), json_object_body(exchange))
    return exchange


@pytest.mark.feature("embeddings")
def test_embeddings_of_one_string_are_one_vector_in_a_list(
    target: Target, spec: Spec, settings: Settings
) -> None:
    """One string input gets a `list` with one `embedding` of finite floats, and usage."""
    exchange = embed(target, settings, TEXTS[0])
    expect(
        response_schema_conformance(spec, "createEmbedding", exchange),
        embedding_list(exchange.json(), inputs=1),
        embedding_usage(exchange.json()),
    )


@pytest.mark.feature("embeddings")
def test_embeddings_of_an_array_come_back_one_per_input_in_input_order(
    target: Target, settings: Settings
) -> None:
    """An array of strings gets one vector per input, data[i].index = i, each for input i.

    Each test judges one parameter: `dimensions` is left to its own test, so a server that
    ignores it still has its ordering judged here."""
    batch = embed(target, settings, TEXTS)
    expect(embedding_list(batch.json(), inputs=len(TEXTS)))
    alone = embed(target, settings, [TEXTS[1]])
    expect(same_input_same_vector(batch.json(), alone.json(), position=1, positions=len(TEXTS)))


@pytest.mark.feature("embeddings")
def test_embeddings_have_the_requested_number_of_dimensions(
    target: Target, spec: Spec, settings: Settings
) -> None:
    """`dimensions` sets the length of every vector."""
    exchange = embed(target, settings, TEXTS, dimensions=DIMENSIONS)
    expect(
        response_schema_conformance(spec, "createEmbedding", exchange),
        embedding_list(exchange.json(), inputs=len(TEXTS), dimensions=DIMENSIONS),
    )


@pytest.mark.feature("embeddings")
def test_embeddings_in_base64_are_little_endian_float32(target: Target, settings: Settings) -> None:
    """encoding_format base64 sends each vector as base64 of little-endian float32.

    The description types `embedding` as an array only, although the API (and every SDK)
    sends a string for base64; so this answer is checked by `embedding_list`, not the schema.
    Without `dimensions` (its own test), so that an ignored `dimensions` does not hide how
    base64 is encoded.
    """
    encoded = embed(target, settings, TEXTS[0], encoding_format="base64")
    expect(embedding_list(encoded.json(), inputs=1, encoding="base64"))


@pytest.mark.feature("embeddings")
def test_embeddings_accept_arrays_of_token_ids(target: Target, settings: Settings) -> None:
    """An array of token arrays (the pre-tokenised form) gets one vector per token array."""
    exchange = embed(target, settings, [[791, 8415, 7731], [2028, 374, 264, 1296]])
    expect(embedding_list(exchange.json(), inputs=2), embedding_usage(exchange.json()))
