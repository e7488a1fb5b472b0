"""What the running mock knows: its config, the spec, counters for unique ids, stored objects."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from oaiconform.mock.catalog import Catalog, catalog_for
from oaiconform.mock.config import MockConfig
from oaiconform.mock.errors import APIError
from oaiconform.mock.request_schemas import request_spec
from oaiconform.mock.store import Store
from oaiconform.mock.text import rng_for
from oaiconform.spec import Spec


@dataclass
class MockState:
    config: MockConfig
    spec: Spec
    _counter: itertools.count[int] = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    store: Store = field(init=False)  # stored objects per API key
    catalog: Catalog = field(init=False)  # the served models
    deleted_models: dict[str, set[str]] = field(default_factory=dict)  # per API key

    def __post_init__(self) -> None:
        self.store = Store(self.config)
        self.catalog = catalog_for(
            self.spec if self.config.described_models else None, self.config.models
        )

    @property
    def request_spec(self) -> Spec:
        """The description as requests are judged: no stricter than the API (request_schemas)."""
        return request_spec(self.spec)

    def new_id(self, prefix: str) -> str:
        """Unique per server, and the same sequence for the same seed."""
        with self._lock:
            number = next(self._counter)
        return f"{prefix}-{rng_for(self.config.seed, prefix, number).getrandbits(96):024x}"

    def validate_request(self, operation_id: str, body: Any) -> None:
        """400 naming the first offending parameter when the body breaks the request schema."""
        pointer = self.spec.request_schema_pointer(operation_id)
        if pointer is None:
            return
        violations = self.request_spec.validate(pointer, body)
        if violations:
            first = violations[0]
            param = first.path[2:] if first.path.startswith("$.") else None
            raise APIError(
                400,
                f"Invalid request: {first.path[2:] or 'body'}: {first.message}",
                param=param or None,
            )
