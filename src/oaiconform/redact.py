"""Redaction of credentials: applied once where data leaves the process (report, logs, repro)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

MASK = "***"
# Anything that looks like an OpenAI-style key, even one we were not told about.
_KEY_PATTERN = re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}")
# A bearer token in a header, unless it is a shell variable reference such as `$OPENAI_API_KEY`.
_BEARER_PATTERN = re.compile(r"(?i)(authorization:\s*bearer\s+)(?!\$)[^\s'\"]+")


def strip_userinfo(url: str) -> str:
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, f"{MASK}@{host}", parts.path, parts.query, parts.fragment))


def environment_keys(environ: Mapping[str, str]) -> tuple[str, ...]:
    """The values of the environment's `*_KEY` variables: what a command that reads reports
    (not a run, which knows its own keys) masks, should a report have kept one."""
    return tuple(v for k, v in environ.items() if k.endswith("_KEY") and len(v) >= 8)


class Redactor:
    """Replaces known secret values, key-shaped strings and bearer tokens with `***`."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret that contains another is masked whole.
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def text(self, value: str) -> str:
        for secret in self._secrets:
            value = value.replace(secret, MASK)
        value = _KEY_PATTERN.sub(MASK, value)
        value = _BEARER_PATTERN.sub(lambda m: m.group(1) + MASK, value)
        return value

    def deep(self, value: Any) -> Any:
        """Redact every string inside a JSON-like structure."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.deep(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.deep(v) for v in value]
        return value


def redact_files(paths: Iterable[Path], redactor: Redactor) -> int:
    """Redact files that other writers made (JUnit, allure): a last sweep before the run ends.

    Bytes that are not UTF-8 are kept as they are (surrogateescape), so an attachment is only
    changed where it holds a secret. Returns how many files were changed.
    """
    changed = 0
    for path in paths:
        try:
            raw = path.read_bytes()
        except OSError:
            continue
        text = raw.decode("utf-8", errors="surrogateescape")
        clean = redactor.text(text)
        if clean != text:
            temporary = path.with_name(path.name + ".redacting")
            temporary.write_bytes(clean.encode("utf-8", errors="surrogateescape"))
            temporary.replace(path)
            changed += 1
    return changed
