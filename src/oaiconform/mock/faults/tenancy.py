"""Faults of tenant isolation."""

from __future__ import annotations

from starlette.types import Scope

from oaiconform.mock.faults._core import Fault


def _one_tenant(scope: Scope, valid_keys: tuple[str, ...]) -> None:
    """Every accepted key acts as the first one: all keys share one store."""
    if not valid_keys:
        return
    first = f"Bearer {valid_keys[0]}".encode()
    accepted = {f"Bearer {k}".encode() for k in valid_keys}
    scope["headers"] = [
        (k, first if k.lower() == b"authorization" and v in accepted else v)
        for k, v in scope["headers"]
    ]


FAULTS = (
    Fault(
        "shared-tenancy",
        "every accepted key sees and changes the same objects",
        "proxies that forward every client to one upstream account",
        request=_one_tenant,
    ),
)
