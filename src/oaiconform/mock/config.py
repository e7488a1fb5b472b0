"""The mock's configuration: accepted keys, models, seed, faults, limits."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_API_KEY = "sk-oaiconform-mock"
# Served besides every model the description names (mock/catalog.py): the run's defaults and a
# fine-tuned model, first in `models.list`, so their `created` stays what it was.
DEFAULT_MODELS = (
    "gpt-4o-mini",
    "gpt-4o",
    "gpt-4.1-mini",
    "gpt-3.5-turbo-instruct",
    "text-embedding-3-small",
    "text-embedding-3-large",
    "omni-moderation-latest",
    # A fine-tuned model: the only kind a key may delete (each key deletes its own view of it).
    "ft:gpt-4o-mini-2024-07-18:oaiconform::mock",
)


@dataclass(frozen=True)
class MockConfig:
    api_keys: tuple[str, ...] = (DEFAULT_API_KEY,)
    models: tuple[str, ...] = DEFAULT_MODELS  # and the description's (`described_models`)
    described_models: bool = True  # False: only `models` (an application's closed world)
    # An unlisted id of a known family (gpt-5.6, o4-mini-2026-01-01) is served by the kind its
    # name implies, as the real API serves models newer than the description (catalog.infer);
    # False with `mock --known-models-only`: the strict catalogue.
    infer_models: bool = True
    # Chat and Responses stream events carry the API's `obfuscation` padding; False for
    # byte-stable fixtures (`mock --no-obfuscation`).
    obfuscation: bool = True
    seed: int = 0
    faults: tuple[str, ...] = ()
    # mock --lenient: any key, any id, any model; every well-formed request succeeds (lenient.py)
    lenient: bool = False
    max_body_bytes: int = 32 * 1024 * 1024
    # Stored objects (files, batches, stored chat completions, responses), per API key.
    max_upload_bytes: int = 8 * 1024 * 1024
    max_objects_per_key: int = 10_000
    max_bytes_per_key: int = 64 * 1024 * 1024
    max_batch_requests: int = 1_000
