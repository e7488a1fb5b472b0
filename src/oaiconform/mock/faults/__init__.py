"""Fault switches: named deviations applied around the correct mock.

Each area keeps its faults in a module of this package (errors, objects, ...) as a `FAULTS`
tuple; this registry joins them. `oaiconform mock --list-faults` prints them.
"""

from __future__ import annotations

from oaiconform.mock.faults import (
    errors,
    grammar,
    http,
    inference,
    objects,
    pagination,
    params,
    schema,
    storage,
    streaming,
    tenancy,
)
from oaiconform.mock.faults._core import (
    Fault,
    FaultLayer,
    ResponseParts,
    StreamRewriter,
    error_message,
    json_rewrite,
)

_MODULES = (
    errors,
    objects,
    streaming,
    http,
    storage,
    inference,
    pagination,
    schema,
    tenancy,
    params,
    grammar,
)

FAULTS: dict[str, Fault] = {}
for _module in _MODULES:
    for _fault in _module.FAULTS:
        if _fault.name in FAULTS:
            raise RuntimeError(f"fault {_fault.name!r} is defined twice")
        FAULTS[_fault.name] = _fault


class UnknownFaultError(ValueError):
    def __str__(self) -> str:
        return f"unknown fault {self.args[0]!r}; known faults: {', '.join(sorted(FAULTS))}"


def resolve_faults(names: tuple[str, ...]) -> tuple[Fault, ...]:
    for name in names:
        if name not in FAULTS:
            raise UnknownFaultError(name)
    return tuple(FAULTS[name] for name in names)


__all__ = [
    "FAULTS",
    "Fault",
    "FaultLayer",
    "ResponseParts",
    "StreamRewriter",
    "UnknownFaultError",
    "error_message",
    "json_rewrite",
    "resolve_faults",
]
