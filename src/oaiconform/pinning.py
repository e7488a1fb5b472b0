"""Deterministic inference requests: `temperature: 0` and a `seed` derived from the run's seed.

A sampling server (llama.cpp, vLLM at its default temperature) answers the same request
differently each time, so a check on its answer could pass in one run and fail in the next.
The suites pin both on every inference request whose check does not depend on sampling; a test
about those parameters sets them itself, and what a body already holds is never replaced. The
Responses API has no `seed` (its request schema lacks one): there only `temperature` is pinned.
The curl repro of a failing test shows the pins, since it is built from the request sent.
"""

from __future__ import annotations

import zlib
from typing import Any

from oaiconform.settings import Settings

# Below 2**31: servers keep seeds in 32-bit (llama.cpp) or signed (vLLM) integers.
_SEED_RANGE = 2**31


def request_seed(run_seed: int) -> int:
    """The `seed` every pinned request of a run sends: the same for the same `--seed`."""
    return zlib.crc32(f"{run_seed}:inference".encode()) % _SEED_RANGE


def pinned(settings: Settings, body: dict[str, Any], *, seed: bool = True) -> dict[str, Any]:
    """`body` with `temperature: 0` and (unless `seed=False`, for Responses) the run's
    `seed`, each added only when the body does not set it already; unchanged with
    `--no-pinning` (models that refuse any temperature but the default)."""
    if not settings.pin_sampling:
        return body
    pins: dict[str, Any] = {"temperature": 0}
    if seed:
        pins["seed"] = request_seed(settings.seed)
    return {**body, **{key: value for key, value in pins.items() if key not in body}}
