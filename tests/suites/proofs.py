"""Which registered checks the suites call, and which faults of the matrices prove them.

A check is proven when some fault's matrix declares it in `PROVES` and the run under that fault
saw it return a failure (matrix.assert_proves). test_faults_coverage.py holds every check the
suites call to that; these are its parts, kept apart so they can be tested on made-up input.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import typing
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import oaiconform
from oaiconform._resources import suites_dir
from oaiconform.checks import Failure, load_all_checks, registered

CHECKS_PACKAGE = "oaiconform.checks"
# Modules of the package that hold no checks but run them: traffic.py picks the checks that
# apply to one exchange, _soft.py reports a stream event's letter-only violations; their
# failures carry the ids of the checks that found them.
COMPOSERS = frozenset({"traffic", "_soft"})
MATRICES = Path(__file__).parent


def _carries_failures(annotation: Any) -> bool:
    """list[Failure], or a tuple or dataclass holding one: the result shapes of a check."""
    if annotation == list[Failure]:
        return True
    if typing.get_origin(annotation) is tuple:
        return any(_carries_failures(arg) for arg in typing.get_args(annotation))
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return any(h == list[Failure] for h in typing.get_type_hints(annotation).values())
    return False


def returns_failures(function: Callable[..., Any]) -> bool:
    """The function's return annotation says it returns failures (so it must be a check)."""
    hints = typing.get_type_hints(inspect.unwrap(function))
    return _carries_failures(hints.get("return"))


def public_check_modules() -> list[ModuleType]:
    """The modules of oaiconform.checks that hold checks (private ones hold machinery, the
    composers run checks)."""
    load_all_checks()
    package = importlib.import_module(CHECKS_PACKAGE)
    return [
        importlib.import_module(f"{CHECKS_PACKAGE}.{path.stem}")
        for path in sorted(Path(package.__file__ or "").parent.glob("*.py"))
        if not path.stem.startswith("_") and path.stem not in COMPOSERS
    ]


def functions_defined_in(module: ModuleType) -> dict[str, Callable[..., Any]]:
    """The public functions a module defines itself (not the ones it imports)."""
    return {
        name: value
        for name, value in vars(module).items()
        if inspect.isfunction(value)
        and not name.startswith("_")
        and inspect.unwrap(value).__module__ == module.__name__
    }


def _imports_of_checks(source: str, where: str) -> Iterable[tuple[str, str]]:
    """(module, name) of each `from oaiconform.checks... import name` in one source file."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                # A module import would hide which checks are called: the names are the map.
                assert not alias.name.startswith(CHECKS_PACKAGE), (
                    f"{where} imports {alias.name}; import the checks it calls by name"
                )
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(CHECKS_PACKAGE):
            for alias in node.names:
                yield node.module or "", alias.name


@dataclasses.dataclass(frozen=True)
class SuiteChecks:
    called: frozenset[str]  # ids of the registered checks the suites import
    unregistered: frozenset[str]  # imported functions that return failures yet are no check


def checks_called_by_suites(roots: Iterable[Path] | None = None) -> SuiteChecks:
    """Every check the suites call: the names they import from oaiconform.checks, resolved
    through the registry. The property suite's machinery (oaiconform.property) counts as suite
    code: suites/test_schema.py hands its operations to it."""
    load_all_checks()
    if roots is None:
        roots = (suites_dir(), Path(oaiconform.__file__).parent / "property")
    called: set[str] = set()
    unregistered: set[str] = set()
    for root in roots:
        for path in sorted(root.glob("*.py")):
            for module, name in _imports_of_checks(path.read_text(), str(path)):
                value = getattr(importlib.import_module(module), name)
                if not inspect.isfunction(value) or module.rpartition(".")[2] in COMPOSERS:
                    continue  # Failure, Walk, CursorFields...: data; or a composer of checks
                info = registered(value)
                if info is not None:
                    called.add(info.id)
                elif returns_failures(value):
                    unregistered.add(f"{module}.{name}")
    return SuiteChecks(frozenset(called), frozenset(unregistered))


def matrix_modules() -> list[ModuleType]:
    return [
        importlib.import_module(f"tests.suites.{path.stem}")
        for path in sorted(MATRICES.glob("test_faults_*.py"))
    ]


def declared_proofs(modules: Iterable[ModuleType]) -> dict[str, set[str]]:
    """fault -> the check ids its matrix declares it proves, over all matrices."""
    proofs: dict[str, set[str]] = {}
    for module in modules:
        for fault, ids in getattr(module, "PROVES", {}).items():
            proofs.setdefault(fault, set()).update(ids)
    return proofs


def unproven(called: Iterable[str], proofs: Mapping[str, Iterable[str]]) -> list[str]:
    """The called checks no fault declares it proves, sorted."""
    proven = {check_id for ids in proofs.values() for check_id in ids}
    return sorted(set(called) - proven)
