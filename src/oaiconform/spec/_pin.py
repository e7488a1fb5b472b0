"""The pin: the upstream address and checksum this version of oaiconform is tested against."""

from __future__ import annotations

import json
from dataclasses import dataclass

from oaiconform._resources import spec_data_dir


@dataclass(frozen=True)
class Pin:
    url: str
    sha256: str
    commit: str
    info_version: str
    filename: str


def load_pin() -> Pin:
    raw = json.loads((spec_data_dir() / "pin.json").read_text(encoding="utf-8"))
    return Pin(
        url=raw["url"],
        sha256=raw["sha256"],
        commit=raw["commit"],
        info_version=raw["info_version"],
        filename=raw["filename"],
    )
