"""Known deviations of real OpenAI-compatible servers, and which one a failure looks like.

`known_deviations.yaml` (shipped in the package) lists deviations that servers such as vLLM,
llama.cpp or Ollama actually shipped, each with the public issue that reports it. A problem of
a report (one registered check id, one normalized location) that matches an entry can then say
"looks like vllm-project/vllm#7262: ...", so a vendor sees at once that the defect is known.

Pure: the file is read once per process (cached); matching does no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from fnmatch import fnmatchcase
from functools import cache
from importlib import resources
from typing import Any

import yaml

from oaiconform.checks._failure import normalize_where  # one normalization for both sides

__all__ = [
    "KnownDeviation",
    "load_known_deviations",
    "match_known_deviation",
    "normalize_where",
]

_FILE = "known_deviations.yaml"
_REFERENCE = re.compile(r"^(?P<repo>[\w.-]+/[\w.-]+)#(?P<number>\d+)$")
_REQUIRED = ("id", "check", "description", "reference", "servers")


@dataclass(frozen=True)
class KnownDeviation:
    id: str  # a unique slug, e.g. "vllm-stream-usage-every-chunk"
    check: str  # the registered check id that catches it, e.g. "stream_usage.chat_stream_usage"
    description: str  # one line, in our own words
    reference: str  # "owner/repo#N": the public issue or pull request
    servers: tuple[str, ...]
    where: str | None = None  # glob (* and ?) on the normalized location; [] is literal
    message: str | None = None  # regex searched (case-insensitive) in the failure message
    fixed_in: str | None = None

    @property
    def url(self) -> str:
        """The thread on GitHub (an /issues/N address also opens a pull request)."""
        found = _REFERENCE.match(self.reference)
        if found is None:  # load_known_deviations rejects such entries; a hand-built one
            raise ValueError(f"known deviation {self.id!r}: bad reference {self.reference!r}")
        return f"https://github.com/{found['repo']}/issues/{found['number']}"

    def matches(self, check_id: str, where: str, message: str) -> bool:
        if check_id != self.check:
            return False
        if self.where is not None and not fnmatchcase(normalize_where(where), _glob(self.where)):
            return False
        return self.message is None or re.search(self.message, message, re.IGNORECASE) is not None


def _glob(where: str) -> str:
    """`[]` in a `where` is an array's index, never a character class (`*` and `?` still are)."""
    return where.replace("[]", "[[][]]")


def _entry(position: int, raw: Any) -> KnownDeviation:
    name = raw.get("id") if isinstance(raw, dict) else None
    label = f"known deviation #{position} ({name!r})" if name else f"known deviation #{position}"
    if not isinstance(raw, dict):
        raise ValueError(f"{label}: expected a mapping, got {type(raw).__name__}")
    allowed = {f.name for f in fields(KnownDeviation)}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ValueError(f"{label}: unknown fields {unknown}")
    missing = [key for key in _REQUIRED if not raw.get(key)]
    if missing:
        raise ValueError(f"{label}: missing {missing}")
    for key in allowed - {"servers"}:
        if key in raw and raw[key] is not None and not isinstance(raw[key], str):
            raise ValueError(f"{label}: {key} must be a string, got {raw[key]!r}")
    servers = raw["servers"]
    if not isinstance(servers, list) or not all(isinstance(s, str) and s for s in servers):
        raise ValueError(f"{label}: servers must be a list of names, got {servers!r}")
    if not _REFERENCE.match(raw["reference"]):
        raise ValueError(f"{label}: reference must be owner/repo#N, got {raw['reference']!r}")
    if raw.get("message") is not None:
        try:
            re.compile(raw["message"], re.IGNORECASE)
        except re.error as exc:
            raise ValueError(f"{label}: message is not a regex ({exc})") from None
    return KnownDeviation(**{**raw, "servers": tuple(servers)})


def parse_known_deviations(text: str) -> tuple[KnownDeviation, ...]:
    """The entries of a known-deviations document; ValueError names the first bad entry."""
    document = yaml.safe_load(text)
    if not isinstance(document, list):
        raise ValueError(f"{_FILE}: expected a list of entries, got {type(document).__name__}")
    entries = tuple(_entry(position, raw) for position, raw in enumerate(document, start=1))
    seen: set[str] = set()
    for entry in entries:
        if entry.id in seen:
            raise ValueError(f"known deviation {entry.id!r}: the id is used twice")
        seen.add(entry.id)
    return entries


@cache
def load_known_deviations() -> tuple[KnownDeviation, ...]:
    """The packaged entries, in file order (read and validated once per process)."""
    text = resources.files("oaiconform").joinpath(_FILE).read_text(encoding="utf-8")
    return parse_known_deviations(text)


def match_known_deviation(
    check_id: str, where: str, message: str, *, server: str | None = None
) -> KnownDeviation | None:
    """The first entry (in file order) that this failure looks like, or None.

    Several servers shipped the same defect; `server` (the target's kind, when the report
    knows it) prefers the entries listing that server, then falls back to any entry.
    """
    candidates = [e for e in load_known_deviations() if e.matches(check_id, where, message)]
    if server is not None:
        preferred = [e for e in candidates if server in e.servers]
        candidates = preferred or candidates
    return candidates[0] if candidates else None
