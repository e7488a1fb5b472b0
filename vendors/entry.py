"""One server of the matrix, as its `vendors/<name>/vendor.yaml` declares it.

An entry says how to install the server (pip packages into a venv of its own, or npm packages)
into a cache folder, how to start it on 127.0.0.1 and a given port, when it is ready, which
variable carries its key, its models and the profile that fits it. Placeholders in `start`,
`env` and `install` are filled at start time:

    {venv} {prefix} {site}   its venv, its cache folder, the venv's site-packages
    {here}                   its folder under vendors/ (config files, fixtures)
    {port} {key} {base_url}  its port, the key drawn for this run, its base URL
    {key:NAME} {base_url:NAME}  another server's (a gateway's engines, listed in `needs`)
    {spec} {wheels}          the OpenAPI description; the folder of cached wheels
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

VENDORS_DIR = Path(__file__).resolve().parent
_FIELDS = {
    "name",
    "version",
    "kind",
    "install",
    "needs",
    "start",
    "env",
    "port",
    "base_url",
    "ready",
    "models",
    "profile",
    "flags",
    "baseline",
}
_PLACEHOLDER = re.compile(r"\{([a-z_]+)(?::([A-Za-z0-9._-]+))?\}")


class VendorError(ValueError):
    """A vendor entry that cannot be used; one line."""


@dataclass(frozen=True)
class Install:
    pip: tuple[str, ...] = ()
    pip_no_deps: tuple[str, ...] = ()  # installed after, without their dependencies
    npm: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)

    def fingerprint(self) -> str:
        return repr((self.pip, self.pip_no_deps, self.npm, sorted(self.env.items())))


@dataclass(frozen=True)
class Vendor:
    name: str
    version: str
    kind: str
    install: Install
    start: tuple[str, ...]
    port: int
    base_url_template: str
    ready_path: str
    ready_status: int | None  # None: any HTTP answer means ready
    ready_timeout_s: float
    env: dict[str, str] = field(default_factory=dict)
    needs: tuple[str, ...] = ()
    models: dict[str, str] = field(default_factory=dict)
    profile: str = "core"
    flags: tuple[str, ...] = ()
    baseline: Path | None = None

    @property
    def here(self) -> Path:
        return VENDORS_DIR / self.name

    @property
    def key_env(self) -> str:
        """The variable that carries its key to `oaiconform run`."""
        return re.sub(r"[^A-Z0-9]", "_", self.name.upper()) + "_KEY"

    @property
    def base_url(self) -> str:
        return self.base_url_template.replace("{port}", str(self.port))


def fill(template: str, values: dict[str, str], others: dict[str, dict[str, str]]) -> str:
    """`template` with its placeholders replaced; an unknown one is a VendorError."""

    def one(match: re.Match[str]) -> str:
        name, other = match.group(1), match.group(2)
        source = others.get(other, {}) if other else values
        if name not in source:
            raise VendorError(f"unknown placeholder {match.group(0)} in {template!r}")
        return source[name]

    return _PLACEHOLDER.sub(one, template)


def _strings(label: str, raw: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise VendorError(f"{label} must be a list of strings")
    return tuple(raw)


def _mapping(label: str, raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise VendorError(f"{label} must be a mapping")
    return {str(k): str(v) for k, v in raw.items()}


def parse_vendor(raw: Any, here: Path) -> Vendor:
    label = f"vendors/{here.name}/vendor.yaml"
    if not isinstance(raw, dict):
        raise VendorError(f"{label}: expected a mapping")
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        raise VendorError(f"{label}: unknown field {unknown[0]!r}")
    if raw.get("name") != here.name:
        raise VendorError(f"{label}: name must be its folder's, {here.name!r}")
    install = raw.get("install") or {}
    ready = raw.get("ready") or {}
    status = ready.get("status", 200)
    baseline = raw.get("baseline")
    try:
        return Vendor(
            name=here.name,
            version=str(raw["version"]),
            kind=str(raw.get("kind", "")),
            install=Install(
                _strings(f"{label}: install.pip", install.get("pip")),
                _strings(f"{label}: install.pip_no_deps", install.get("pip_no_deps")),
                _strings(f"{label}: install.npm", install.get("npm")),
                _mapping(f"{label}: install.env", install.get("env")),
            ),
            start=_strings(f"{label}: start", raw["start"]),
            port=int(raw["port"]),
            base_url_template=str(raw["base_url"]),
            ready_path=str(ready.get("path", "/models")),
            ready_status=None if status == "any" else int(status),
            ready_timeout_s=float(ready.get("timeout_s", 120)),
            env=_mapping(f"{label}: env", raw.get("env")),
            needs=_strings(f"{label}: needs", raw.get("needs")),
            models=_mapping(f"{label}: models", raw.get("models")),
            profile=str(raw.get("profile", "core")),
            flags=_strings(f"{label}: flags", raw.get("flags")),
            baseline=(here / str(baseline)) if baseline else None,
        )
    except KeyError as exc:
        raise VendorError(f"{label}: {exc.args[0]!r} is missing") from None
    except (TypeError, ValueError) as exc:
        raise VendorError(f"{label}: {exc}") from None


def load_vendors(only: tuple[str, ...] = ()) -> list[Vendor]:
    """The entries under vendors/, the ones named in `only` (and what they need), in an
    order where every server comes after the ones it needs."""
    found: dict[str, Vendor] = {}
    for path in sorted(VENDORS_DIR.glob("*/vendor.yaml")):
        found[path.parent.name] = parse_vendor(yaml.safe_load(path.read_text()), path.parent)
    unknown = [name for name in only if name not in found]
    if unknown:
        raise VendorError(f"no vendor named {unknown[0]!r} (there are: {', '.join(found)})")
    ordered: list[Vendor] = []

    def add(name: str, chain: tuple[str, ...]) -> None:
        if name in chain:
            raise VendorError(f"{name} needs itself: {' -> '.join((*chain, name))}")
        if name not in found:
            raise VendorError(f"{chain[-1]} needs {name!r}, which has no entry")
        for need in found[name].needs:
            add(need, (*chain, name))
        if found[name] not in ordered:
            ordered.append(found[name])

    for name in only or tuple(found):
        add(name, ())
    return ordered
