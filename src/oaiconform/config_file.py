"""The configuration file of `oaiconform run`: `--config FILE`, else `oaiconform.toml` in the
working folder, else the `[tool.oaiconform]` table of its pyproject.toml.

Every `run` flag has a key, spelled as the flag without its dashes (`report-dir`, `budget-requests`;
`report_dir` works too); a repeatable flag takes a list (`feature = ["chat.basic"]`), a switch a
boolean. Precedence is flag > environment > file > default (settings.build_settings). Relative
paths are read from the file's folder, as a file that names `known.yaml` means the one beside it.
An unknown key is an error naming it: a misspelt key silently ignored would change a gate.
"""

from __future__ import annotations

import argparse
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from oaiconform.settings import ConfigValues, SettingsError

__all__ = ["CONFIG_NAME", "find_config", "load_config"]

CONFIG_NAME = "oaiconform.toml"
# Flags that are no settings: the file itself, and the one-off actions.
_NOT_KEYS = frozenset({"help", "config", "dry_run"})
# Keys whose values are paths, read from the configuration file's folder.
_PATH_KEYS = frozenset({"report_dir", "baseline", "overlays", "ca_bundle", "targets", "spec"})


def find_config(explicit: str | None, cwd: Path) -> tuple[Path, str | None] | None:
    """(file, table) to read: table None for the whole file, "tool.oaiconform" for pyproject."""
    if explicit:
        path = Path(explicit)
        return path, "tool.oaiconform" if path.name == "pyproject.toml" else None
    own = cwd / CONFIG_NAME
    if own.is_file():
        return own, None
    pyproject = cwd / "pyproject.toml"
    if pyproject.is_file():
        try:
            document = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            return None  # not ours to judge: a pyproject.toml without our table is no config
        if isinstance(document.get("tool"), dict) and "oaiconform" in document["tool"]:
            return pyproject, "tool.oaiconform"
    return None


def _options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """Key -> the flag's action: its long name without dashes, and its destination."""
    options: dict[str, argparse.Action] = {}
    for action in parser._actions:
        if action.dest in _NOT_KEYS or not action.option_strings:
            continue
        for flag in action.option_strings:
            if flag.startswith("--"):
                options[flag[2:]] = action
                options.setdefault(flag[2:].replace("-", "_"), action)
    return options


def _value(key: str, raw: Any, action: argparse.Action, folder: Path) -> Any:
    def path(value: str) -> str:
        if action.dest not in _PATH_KEYS or "://" in value:
            return value
        return str((folder / value).expanduser())

    if isinstance(action, argparse._StoreTrueAction):
        if not isinstance(raw, bool):
            raise SettingsError(f"{key}: expected true or false, got {raw!r}")
        return raw or None  # false is the default: "not given"
    if isinstance(action, argparse._AppendAction):
        items = [raw] if isinstance(raw, str) else raw
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise SettingsError(f"{key}: expected a list of strings, got {raw!r}")
        return [path(i) for i in items]
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise SettingsError(f"{key}: expected a string or a number, got {raw!r}")
    return action.type(str(raw)) if callable(action.type) else path(str(raw))


def load_config(path: Path, table: str | None, run_parser: argparse.ArgumentParser) -> ConfigValues:
    """The file's values keyed by the flags' destinations; SettingsError says what is wrong."""
    try:
        document: Mapping[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(f"--config: cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"{path}: not valid TOML ({exc})") from None
    for part in (table or "").split(".") if table else ():
        found = document.get(part, {})
        if not isinstance(found, dict):
            raise SettingsError(f"{path}: [{table}] must be a table")
        document = found
    options = _options(run_parser)
    unknown = sorted(k for k in document if k not in options)
    if unknown:
        where = f"[{table}] of {path}" if table else str(path)
        raise SettingsError(
            f"{where}: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
            "(the keys are the `oaiconform run` flags without their dashes)"
        )
    values: dict[str, Any] = {}
    for key, raw in document.items():
        action = options[key]
        try:
            value = _value(key, raw, action, path.parent)
        except (TypeError, ValueError) as exc:
            raise SettingsError(f"{path}: {key}: {exc}") from None
        except SettingsError as exc:
            raise SettingsError(f"{path}: {exc}") from None
        if value is not None:
            values[action.dest] = value
    return ConfigValues(path.resolve(), values)
