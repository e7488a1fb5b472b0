"""Type aliases for schemathesis's generic classes (we never depend on their parameters)."""

from __future__ import annotations

from typing import Any, TypeAlias

from schemathesis import Case
from schemathesis.schemas import APIOperation

AnyCase: TypeAlias = Case[Any]
AnyOperation: TypeAlias = APIOperation[Any, Any, Any, Any]
