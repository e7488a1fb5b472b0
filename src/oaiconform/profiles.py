"""Profiles: named sets of features a run covers, each required or optional.

The exit code of a run depends only on the required features of its profile, so a vendor
can gate CI on `chat` while still seeing how it fares on the optional ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from oaiconform._resources import spec_data_dir
from oaiconform.features import UnknownFeatureError, get_feature

DEFAULT_PROFILE = "core"


class ProfileError(ValueError):
    """A profile that does not exist or does not parse."""


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    required: tuple[str, ...]
    optional: tuple[str, ...]

    @property
    def features(self) -> tuple[str, ...]:
        return self.required + self.optional

    def is_required(self, feature_id: str) -> bool:
        return feature_id in self.required


def profiles_dir() -> Path:
    return spec_data_dir() / "profiles"


def available_profiles() -> list[str]:
    return sorted(p.stem for p in profiles_dir().glob("*.yaml"))


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
    required = tuple(str(f) for f in raw.get("required") or ())
    optional = tuple(str(f) for f in raw.get("optional") or ())
    for feature_id in required + optional:
        try:
            get_feature(feature_id)
        except UnknownFeatureError as exc:
            raise ProfileError(f"profile {name!r}: {exc}") from None
    return Profile(name, str(raw.get("description", "")), required, optional)
