"""Profiles: named sets of features a run covers, each required or optional.

The exit code of a run depends only on the required features of its profile, so a vendor can
gate CI on `chat` while still seeing how it fares on the optional ones. Besides catalog ids, a
profile picks `schema.<operationId>` features by the description's tags (`operations:`), so a
profile stays right when the pinned description gains operations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from oaiconform._resources import spec_data_dir
from oaiconform.features import UnknownFeatureError, get_feature

DEFAULT_PROFILE = "core"
ALL_TAGS = "*"
UNTAGGED = "(untagged)"


class ProfileError(ValueError):
    """A profile that does not exist or does not parse."""


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    required_tags: tuple[str, ...] = ()  # schema.<operationId> of operations with these tags
    optional_tags: tuple[str, ...] = ()

    @property
    def features(self) -> tuple[str, ...]:
        return self.required + self.optional

    def is_required(self, feature_id: str) -> bool:
        return feature_id in self.required

    def resolve(self, operation_tags: Mapping[str, tuple[str, ...]]) -> Profile:
        """This profile with its tag selections expanded to schema.<operationId> features."""

        def pick(tags: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(
                f"schema.{op_id}"
                for op_id, op_tags in operation_tags.items()
                if ALL_TAGS in tags or set(op_tags or (UNTAGGED,)) & set(tags)
            )

        required = self.required + pick(self.required_tags)
        optional = self.optional + tuple(f for f in pick(self.optional_tags) if f not in required)
        return Profile(self.name, self.description, required, optional)


def profiles_dir() -> Path:
    return spec_data_dir() / "profiles"


def available_profiles() -> list[str]:
    return sorted(p.stem for p in profiles_dir().glob("*.yaml"))


def _strings(raw: Any, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise ProfileError(f"{where} must be a list of strings")
    return tuple(raw)


def load_profile(name: str) -> Profile:
    path = profiles_dir() / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(available_profiles())
        raise ProfileError(f"unknown profile {name!r}; available profiles: {known}")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ProfileError(f"profile {path} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ProfileError(f"profile {path} must be a mapping")
    required = _strings(raw.get("required"), f"profile {name}: required")
    optional = _strings(raw.get("optional"), f"profile {name}: optional")
    for feature_id in required + optional:
        try:
            get_feature(feature_id)
        except UnknownFeatureError as exc:
            raise ProfileError(f"profile {name!r}: {exc}") from None
    operations = raw.get("operations") or {}
    if not isinstance(operations, dict):
        raise ProfileError(f"profile {name}: operations must map required/optional to tags")
    return Profile(
        name,
        str(raw.get("description", "")),
        required,
        optional,
        _strings(operations.get("required"), f"profile {name}: operations.required"),
        _strings(operations.get("optional"), f"profile {name}: operations.optional"),
    )
