"""Checks of embeddings: one vector per input, in order, of the asked length and encoding."""

from __future__ import annotations

import base64
import binascii
import math
import struct
from typing import Any, TypeGuard

from oaiconform.checks._failure import Failure
from oaiconform.checks._registry import Impact, check
from oaiconform.checks.schema import object_value


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def decode_vector(embedding: Any) -> list[float] | None:
    """The floats of an embedding, float list or base64 (little-endian float32); None if neither."""
    if isinstance(embedding, list) and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in embedding
    ):
        return [float(v) for v in embedding]
    if isinstance(embedding, str):
        try:
            raw = base64.b64decode(embedding, validate=True)
        except (binascii.Error, ValueError):
            return None
        if len(raw) % 4:
            return None
        return list(struct.unpack(f"<{len(raw) // 4}f", raw))
    return None


@check(
    title="One embedding per input, indexed in input order, of the asked length and encoding",
    impact=Impact.BREAKS_CLIENTS,
    reason=(
        "the SDK decodes base64 itself and applications index vectors by input: a wrong "
        "size or order is other data"
    ),
)
def embedding_list(
    body: Any,
    *,
    inputs: int,
    dimensions: int | None = None,
    encoding: str = "float",
) -> list[Failure]:
    """`object: list` of `inputs` embedding objects, index 0..n-1 in order, one vector length.

    `encoding` "base64" expects each embedding as a base64 string of little-endian float32
    values (what the SDKs decode); "float" expects a JSON array of numbers.
    """
    if not isinstance(body, dict):
        return [
            Failure(
                "embeddings", f"expected a JSON object, got {type(body).__name__}", where="body"
            )
        ]
    failures: list[Failure] = []
    failures += object_value(body, "list")
    data = body.get("data")
    if not isinstance(data, list):
        return [
            *failures,
            Failure("embeddings", f"`data` must be an array, got {data!r:.80}", where="data"),
        ]
    if len(data) != inputs:
        failures.append(
            Failure(
                "embeddings",
                f"expected {inputs} embeddings (one per input), got {len(data)}",
                where="data",
                expected=str(inputs),
                found=str(len(data)),
            )
        )
    indexes = [item.get("index") if isinstance(item, dict) else None for item in data]
    if indexes != list(range(len(data))):
        failures.append(
            Failure(
                "embeddings",
                f"data[i].index must be i (the input's position, in order): expected "
                f"{list(range(len(data)))}, got {indexes}",
                where="data[].index",
            )
        )
    lengths = set()
    for position, item in enumerate(data):
        if not isinstance(item, dict):
            failures.append(
                Failure(
                    "embeddings", f"data[{position}] is not an object", where=f"data[{position}]"
                )
            )
            continue
        failures.extend(_embedding_object(item, position, encoding))
        vector = decode_vector(item.get("embedding"))
        if vector is not None:
            lengths.add(len(vector))
    if len(lengths) > 1:
        failures.append(
            Failure(
                "embeddings",
                f"vectors have different lengths: {sorted(lengths)}",
                where="data[].embedding",
                found=str(sorted(lengths)),
            )
        )
    if dimensions is not None and lengths and lengths != {dimensions}:
        failures.append(
            Failure(
                "embeddings",
                f"with dimensions {dimensions}, expected vectors of {dimensions} values, "
                f"got {sorted(lengths)}",
                where="data[].embedding",
                expected=str(dimensions),
                found=str(sorted(lengths)),
            )
        )
    return failures


def _embedding_object(item: dict[str, Any], position: int, encoding: str) -> list[Failure]:
    where = f"data[{position}]"
    failures: list[Failure] = []
    failures += object_value(item, "embedding", at=where)
    embedding = item.get("embedding")
    if encoding == "base64" and not isinstance(embedding, str):
        kind = "an array of floats" if isinstance(embedding, list) else type(embedding).__name__
        failures.append(
            Failure(
                "embeddings",
                f"{where}: with encoding_format base64, expected the vector as a base64 "
                f"string, got {kind}",
                where=f"{where}.embedding",
                expected="base64 string",
                found=kind,
            )
        )
        return failures
    if encoding == "float" and not isinstance(embedding, list):
        failures.append(
            Failure(
                "embeddings",
                f"{where}: expected the vector as an array of floats, got "
                f"{type(embedding).__name__}",
                where=f"{where}.embedding",
                expected="array",
                found=type(embedding).__name__,
            )
        )
        return failures
    vector = decode_vector(embedding)
    if vector is None:
        failures.append(
            Failure(
                "embeddings",
                f"{where}.embedding is neither numbers nor base64 of little-endian float32",
                where=f"{where}.embedding",
            )
        )
    elif not vector:
        failures.append(
            Failure("embeddings", f"{where}.embedding is empty", where=f"{where}.embedding")
        )
    elif not all(math.isfinite(v) for v in vector):
        bad = next(v for v in vector if not math.isfinite(v))
        failures.append(
            Failure(
                "embeddings",
                f"{where}.embedding contains {bad} (not finite)",
                where=f"{where}.embedding",
            )
        )
    return failures


@check(
    title="Embeddings usage counts the prompt tokens, and total_tokens equals prompt_tokens",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="usage arithmetic that does not add up misstates what a request used and costs",
)
def embedding_usage(body: Any) -> list[Failure]:
    """usage.prompt_tokens > 0 for non-empty input, and total_tokens = prompt_tokens."""
    usage = body.get("usage") if isinstance(body, dict) else None
    if not isinstance(usage, dict):
        return [Failure("usage", f"`usage` must be an object, got {usage!r:.80}", where="usage")]
    prompt, total = usage.get("prompt_tokens"), usage.get("total_tokens")
    if not (_is_int(prompt) and _is_int(total)):
        return [
            Failure(
                "usage",
                f"usage.prompt_tokens and usage.total_tokens must be integers, got "
                f"{prompt!r} and {total!r}",
                where="usage",
            )
        ]
    failures = []
    if prompt <= 0:
        failures.append(
            Failure(
                "usage",
                f"usage.prompt_tokens is {prompt} for a non-empty input",
                where="usage.prompt_tokens",
                found=str(prompt),
            )
        )
    if total != prompt:
        failures.append(
            Failure(
                "usage",
                f"usage.total_tokens {total} differs from prompt_tokens {prompt} "
                "(embeddings generate no tokens)",
                where="usage.total_tokens",
                expected=str(prompt),
                found=str(total),
            )
        )
    return failures


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    norms = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norms if norms else 0.0


_TIE = 1e-9


@check(
    title="Each vector of a batch embeds the input at the same position",
    impact=Impact.BREAKS_CLIENTS,
    reason=(
        "applications pair vectors with inputs by position: a shuffled batch hands them other data"
    ),
)
def same_input_same_vector(
    batch: Any, single: Any, *, position: int, positions: int
) -> list[Failure]:
    """The batch vector at `position` is the one closest to the same input embedded alone.

    Servers that gather a batch out of order (and renumber `index`) pass every per-item check;
    comparing against the input embedded alone finds them. Real models are not bit-exact across
    batches, so the check asks for the nearest vector, not an equal one.
    """
    try:
        vectors = [decode_vector(item["embedding"]) for item in batch["data"]]
        alone = decode_vector(single["data"][0]["embedding"])
    except (KeyError, IndexError, TypeError):
        return []  # embedding_list reports the shape
    if alone is None or len(vectors) != positions or any(v is None for v in vectors):
        return []
    scores = [cosine(v, alone) for v in vectors if v is not None]
    best = max(range(len(scores)), key=scores.__getitem__)
    # A tie (the inputs got the same vector, as fixture servers give) tells no order apart.
    if best == position or scores[position] >= scores[best] - _TIE:
        return []
    return [
        Failure(
            "embeddings_order",
            f"data[{position}] should embed input {position} (in input order), but the vector "
            f"closest to that input embedded alone is data[{best}] (cosine {scores[best]:.3f} "
            f"vs {scores[position]:.3f})",
            where="data[].embedding",
        )
    ]
