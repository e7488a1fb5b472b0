"""The mock's stored objects (files, batches, chat completions, responses), per API key.

Every object belongs to the key that created it: another key can neither fetch nor list it (the
API answers 404 as if it did not exist). One lock guards all keys; handlers never hold it across
an `await`, so the server's concurrent clients see whole objects and consistent lists. Memory is
bounded by the configured limits: an upload or an object over them is refused with the error
envelope (413 for bytes, 400 for the object count), never with a 5xx.
"""

from __future__ import annotations

import copy
import itertools
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from oaiconform.mock.config import MockConfig
from oaiconform.mock.errors import APIError

# (created_at, creation sequence): objects created in the same second keep creation order.
SortKey = tuple[int, int]

# How many cursors of deleted objects are remembered per key and kind, so that a walk whose
# `after` object was deleted meanwhile goes on from where it was instead of failing.
_TOMBSTONES_PER_KIND = 4096


@dataclass
class StoredObject:
    """One stored object: its API representation plus what the mock keeps beside it."""

    id: str
    created_at: int
    body: dict[str, Any]
    data: bytes = b""  # a file's content
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. a completion's messages
    sequence: int = 0  # the store's creation counter, set when it is added

    @property
    def sort_key(self) -> SortKey:
        return (self.created_at, self.sequence)

    def size(self) -> int:
        return len(self.data) + len(json.dumps([self.body, self.extra], default=str))


@dataclass
class _Tenant:
    objects: dict[str, dict[str, StoredObject]] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)  # object id -> accounted bytes
    tombstones: dict[str, OrderedDict[str, SortKey]] = field(default_factory=dict)

    @property
    def total_bytes(self) -> int:
        return sum(self.sizes.values())


class Store:
    """Objects per (API key, kind, id); copies go in and out, so callers never share state."""

    def __init__(self, config: MockConfig) -> None:
        self.max_objects = config.max_objects_per_key
        self.max_bytes = config.max_bytes_per_key
        self._tenants: dict[str, _Tenant] = {}
        self._lock = threading.RLock()
        self._sequence = itertools.count(1)

    def _tenant(self, key: str) -> _Tenant:
        return self._tenants.setdefault(key, _Tenant())

    def add(self, key: str, kind: str, obj: StoredObject) -> None:
        """Keep `obj` for `key`, or raise the envelope when the key's limits would be exceeded."""
        size = obj.size()
        with self._lock:
            tenant = self._tenant(key)
            if len(tenant.sizes) >= self.max_objects:
                raise APIError(
                    400,
                    f"This API key already stores {self.max_objects} objects, the mock's limit; "
                    "delete some before creating more.",
                    code="storage_limit_exceeded",
                )
            if tenant.total_bytes + size > self.max_bytes:
                raise APIError(
                    413,
                    f"Storing {size} more bytes would exceed this API key's limit of "
                    f"{self.max_bytes} bytes; delete some objects first.",
                    code="storage_limit_exceeded",
                )
            kept = copy.deepcopy(obj)
            kept.sequence = next(self._sequence)
            tenant.objects.setdefault(kind, {})[obj.id] = kept
            tenant.sizes[obj.id] = size

    def get(self, key: str, kind: str, object_id: str) -> StoredObject | None:
        with self._lock:
            obj = self._tenant(key).objects.get(kind, {}).get(object_id)
            return copy.deepcopy(obj) if obj is not None else None

    def require(self, key: str, kind: str, object_id: str, message: str) -> StoredObject:
        """The object, or the 404 envelope with `message` (also for another key's object)."""
        obj = self.get(key, kind, object_id)
        if obj is None:
            raise APIError(404, message, code=None)
        return obj

    def update(
        self, key: str, kind: str, object_id: str, change: Callable[[StoredObject], None]
    ) -> StoredObject | None:
        """Apply `change` to the stored object atomically; the changed copy, or None if absent."""
        with self._lock:
            tenant = self._tenant(key)
            obj = tenant.objects.get(kind, {}).get(object_id)
            if obj is None:
                return None
            changed = copy.deepcopy(obj)
            change(changed)
            tenant.objects[kind][object_id] = changed
            tenant.sizes[object_id] = changed.size()
            return copy.deepcopy(changed)

    def delete(self, key: str, kind: str, object_id: str) -> bool:
        with self._lock:
            tenant = self._tenant(key)
            obj = tenant.objects.get(kind, {}).pop(object_id, None)
            if obj is None:
                return False
            tenant.sizes.pop(object_id, None)
            graves = tenant.tombstones.setdefault(kind, OrderedDict())
            graves[object_id] = obj.sort_key
            while len(graves) > _TOMBSTONES_PER_KIND:
                graves.popitem(last=False)
            return True

    def list(self, key: str, kind: str) -> list[StoredObject]:
        """A consistent snapshot of the key's objects of one kind, in no particular order."""
        with self._lock:
            return [copy.deepcopy(o) for o in self._tenant(key).objects.get(kind, {}).values()]

    def position(self, key: str, kind: str, object_id: str) -> SortKey | None:
        """Where an object (present or recently deleted) sits in the list order, for cursors."""
        with self._lock:
            tenant = self._tenant(key)
            obj = tenant.objects.get(kind, {}).get(object_id)
            if obj is not None:
                return obj.sort_key
            return tenant.tombstones.get(kind, OrderedDict()).get(object_id)

    def usage(self, key: str) -> tuple[int, int]:
        """(objects, bytes) stored for a key."""
        with self._lock:
            tenant = self._tenant(key)
            return len(tenant.sizes), tenant.total_bytes

    def save_chat_completion(
        self, key: str, request: dict[str, Any], completion: dict[str, Any]
    ) -> None:
        """Keep a chat completion created with `store: true` (else do nothing).

        A streamed one comes here as the non-streamed completion its deltas join to, so a
        retrieve answers the content the stream delivered.
        """
        if request.get("store") is not True:
            return
        messages = [
            {**message, "id": f"{completion['id']}-{index}"}
            for index, message in enumerate(request.get("messages") or [])
            if isinstance(message, dict)
        ]
        body = {**completion, "metadata": dict(request.get("metadata") or {})}
        self.add(
            key,
            "chat.completion",
            StoredObject(
                completion["id"], int(completion["created"]), body, extra={"messages": messages}
            ),
        )
