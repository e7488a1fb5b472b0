"""report.json: the canonical output, and reading it back (`report markdown`, `baseline write`)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from oaiconform.report.model import Report


class ReportReadError(ValueError):
    """A report.json that cannot be read; one line for the user."""


def read_report_json(path: Path) -> dict[str, Any]:
    """A report.json (or the one in a report directory), as data."""
    if path.is_dir():
        path = path / "report.json"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReportReadError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ReportReadError(
            f"{path}: not JSON (expected a report.json of `oaiconform run`)"
        ) from None
    if not isinstance(document, dict) or "features" not in document or "problems" not in document:
        raise ReportReadError(f"{path}: not a report.json of `oaiconform run`")
    return document


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
