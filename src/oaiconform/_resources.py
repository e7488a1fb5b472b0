"""Where the suites and the spec pin live, in a wheel and in a checkout.

A wheel carries them under `oaiconform/_data/`; an editable install or a plain checkout reads
them from the root of the repository, so that there is one copy to edit.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _data_root() -> Path:
    packaged = _PACKAGE_DIR / "_data"
    if packaged.is_dir():
        return packaged
    return _PACKAGE_DIR.parent.parent  # src/oaiconform -> checkout root


def suites_dir() -> Path:
    return _data_root() / "suites"


def spec_data_dir() -> Path:
    return _data_root() / "spec"
