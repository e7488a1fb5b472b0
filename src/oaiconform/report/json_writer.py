"""report.json: the canonical output."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from oaiconform.report.model import Report


def write_atomically(path: Path, text: str) -> None:
    """A reader (CI, a browser) never sees a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would hide reports from CI artifact viewers
    os.replace(tmp, path)


def write_json(report: Report, directory: Path) -> Path:
    path = directory / "report.json"
    write_atomically(path, json.dumps(report.to_dict(), indent=2) + "\n")
    return path
