"""`run --targets FILE`: the YAML file that names several targets, read and checked.

A targets file is the input of a matrix run: each entry is one server, with its base URL, the
*name* of the variable that holds its key (never the key), its models, the profile that fits it
and extra `run` flags. Everything wrong with the file is found here, before any target is
asked, and said in one line (exit 2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = ["MODEL_FLAGS", "TargetEntry", "TargetsFileError", "load_targets_file"]

# models: key -> the `run` flag that sets it
MODEL_FLAGS = {
    "chat": "--model",
    "embedding": "--embedding-model",
    "completion": "--completion-model",
    "moderation": "--moderation-model",
}
# Flags an entry's own fields set: an entry's `flags` may not set them a second time.
_OWNED_FLAGS = (
    "--target",
    "--targets",
    "--api-key-env",
    "--report-dir",
    "--profile",
    "--dry-run",
    *MODEL_FLAGS.values(),
)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")  # it becomes a directory name
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FIELDS = {"name", "base_url", "key_env", "models", "profile", "flags", "version", "baseline"}


class TargetsFileError(ValueError):
    """A targets file that cannot be used; the message is one line for the user."""


@dataclass(frozen=True)
class TargetEntry:
    name: str  # also the report's directory under --report-dir
    base_url: str
    key_env: str | None = None  # the variable holding its key; None: OPENAI_API_KEY
    models: dict[str, str] = field(default_factory=dict)  # chat/embedding/completion/moderation
    profile: str | None = None
    flags: tuple[str, ...] = ()
    version: str = ""  # what the matrix header says the server is, e.g. "litellm 1.108.7"
    baseline: Path | None = None  # the server's recorded known deviations (vendors/*)

    def run_args(self) -> list[str]:
        """The `oaiconform run` arguments of this target (without --report-dir)."""
        args = ["--target", self.base_url]
        if self.key_env:
            args += ["--api-key-env", self.key_env]
        for kind, model in self.models.items():
            args += [MODEL_FLAGS[kind], model]
        if self.profile:
            args += ["--profile", self.profile]
        return [*args, *self.flags]


def _text(label: str, raw: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = raw.get(key)
    if value is None:
        if required:
            raise TargetsFileError(f"{label}: `{key}` is missing")
        return None
    if not isinstance(value, str) or not value.strip():
        raise TargetsFileError(f"{label}: `{key}` must be a non-empty string, got {value!r}")
    return value.strip()


def _models(label: str, raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise TargetsFileError(f"{label}: `models` must be a mapping such as {{chat: NAME}}")
    unknown = sorted(set(raw) - set(MODEL_FLAGS))
    if unknown:
        raise TargetsFileError(
            f"{label}: unknown model kind {unknown[0]!r} (one of {', '.join(MODEL_FLAGS)})"
        )
    models = {}
    for kind, name in raw.items():
        if not isinstance(name, str) or not name:
            raise TargetsFileError(f"{label}: models.{kind} must be a model name, got {name!r}")
        models[kind] = name
    return models


def _flags(label: str, raw: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(flag, str) for flag in raw):
        raise TargetsFileError(f"{label}: `flags` must be a list of strings")
    for flag in raw:
        if flag.split("=", 1)[0] in _OWNED_FLAGS:
            raise TargetsFileError(
                f"{label}: flags may not set {flag.split('=', 1)[0]} (the entry's own field does)"
            )
    return tuple(raw)


def _entry(position: int, raw: Any, base_dir: Path) -> TargetEntry:
    label = f"target #{position}"
    if not isinstance(raw, dict):
        raise TargetsFileError(f"{label}: expected a mapping, got {type(raw).__name__}")
    name = _text(label, raw, "name", required=True)
    assert name is not None
    if not _NAME.match(name):
        raise TargetsFileError(f"{label}: name {name!r} must be letters, digits, . _ - only")
    label = f"target {name!r}"
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        raise TargetsFileError(f"{label}: unknown field {unknown[0]!r}")
    base_url = _text(label, raw, "base_url", required=True)
    assert base_url is not None
    if not base_url.startswith(("http://", "https://")):
        raise TargetsFileError(f"{label}: base_url must start with http:// or https://")
    key_env = _text(label, raw, "key_env")
    if key_env is not None and not _ENV_NAME.match(key_env):
        raise TargetsFileError(f"{label}: key_env must name a variable, got {key_env!r}")
    baseline = _text(label, raw, "baseline")
    return TargetEntry(
        name=name,
        base_url=base_url,
        key_env=key_env,
        models=_models(label, raw.get("models")),
        profile=_text(label, raw, "profile"),
        flags=_flags(label, raw.get("flags")),
        version=_text(label, raw, "version") or "",
        baseline=(base_dir / baseline) if baseline else None,
    )


def parse_targets(text: str, base_dir: Path) -> tuple[TargetEntry, ...]:
    """The entries of a targets document; `base_dir` resolves relative baseline paths."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise TargetsFileError(f"not valid YAML{where}") from None
    if isinstance(document, dict) and set(document) == {"targets"}:
        document = document["targets"]
    if not isinstance(document, list) or not document:
        raise TargetsFileError("expected a non-empty list of targets (or `targets: [...]`)")
    entries = tuple(_entry(n, raw, base_dir) for n, raw in enumerate(document, start=1))
    seen: set[str] = set()
    for entry in entries:
        if entry.name in seen:
            raise TargetsFileError(f"target {entry.name!r}: the name is used twice")
        seen.add(entry.name)
    return entries


def load_targets_file(path: Path) -> tuple[TargetEntry, ...]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TargetsFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise TargetsFileError(f"{path} is not UTF-8 text") from None
    try:
        return parse_targets(text, path.parent)
    except TargetsFileError as exc:
        raise TargetsFileError(f"{path}: {exc}") from None
