"""What was exchanged with a target: the data every check is a pure function of.

The suites build exchanges through the Target, the proxy will build them from live traffic,
and the self-tests build them by hand; a check never knows which.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

_NOT_JSON = object()


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)


@dataclass(frozen=True)
class Exchange:
    request: RecordedRequest
    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    elapsed_s: float = 0.0
    truncated: bool = False  # the body hit the byte cap
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)

    def header_values(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    @property
    def media_type(self) -> str:
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    @cached_property
    def _parsed(self) -> Any:
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            return _NOT_JSON

    @property
    def is_json(self) -> bool:
        return self._parsed is not _NOT_JSON

    def json(self) -> Any:
        """The parsed body; raises ValueError when it is not JSON (checks test `is_json` first)."""
        if self._parsed is _NOT_JSON:
            raise ValueError("response body is not JSON")
        return self._parsed

    def describe(self) -> str:
        return f"{self.request.method} {self.request.url} -> {self.status}"

    def body_excerpt(self, limit: int = 200) -> str:
        text = self.body[:limit].decode("utf-8", errors="replace")
        if not text:
            return "an empty body"
        return repr(text) + ("..." if len(self.body) > limit else "")
