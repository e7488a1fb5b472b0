"""The linters run with the tests, so CI refuses what `tox -e lint` would refuse."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, check=False, timeout=300
    )


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(("ruff", "check", "."), id="ruff-check"),
        pytest.param(("ruff", "format", "--check", "."), id="ruff-format"),
    ],
)
def test_ruff(command: tuple[str, ...]) -> None:
    executable = shutil.which("ruff", path=str(Path(sys.executable).parent)) or "ruff"
    result = _run(executable, *command[1:])
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict() -> None:
    result = _run(sys.executable, "-m", "mypy")
    assert result.returncode == 0, result.stdout + result.stderr


def test_architecture_names_every_module() -> None:
    """ARCHITECTURE.md is the map: a module it does not name is a module nobody can find."""
    architecture = (ROOT / "ARCHITECTURE.md").read_text()
    unnamed = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "src" / "oaiconform").rglob("*.py"))
        if path.stem != "__init__" and not re.search(rf"\b{re.escape(path.stem)}\b", architecture)
    ]
    assert unnamed == []


def test_suites_import_no_private_module() -> None:
    """The suites are the public face of the tool's API: no `oaiconform.x._private` imports."""
    private = [
        f"{path.name}: {line.strip()}"
        for path in sorted((ROOT / "suites").glob("*.py"))
        for line in path.read_text().splitlines()
        if re.match(r"\s*(from|import) oaiconform(\.\w+)*\._\w+", line)
    ]
    assert private == []
