"""The OpenAPI description: where it comes from, how it is loaded, and what it says."""

from pathlib import Path

from oaiconform.spec._errors import SpecError, SpecUnavailableError
from oaiconform.spec._lists import ListOperation, list_operations
from oaiconform.spec._model import Operation, SchemaViolation, Spec
from oaiconform.spec._overlay import AppliedOverlay
from oaiconform.spec._pin import Pin, load_pin
from oaiconform.spec._source import SpecSource, resolve_spec_source

__all__ = [
    "AppliedOverlay",
    "ListOperation",
    "Operation",
    "Pin",
    "SchemaViolation",
    "Spec",
    "SpecError",
    "SpecSource",
    "SpecUnavailableError",
    "list_operations",
    "load_pin",
    "load_spec",
    "resolve_spec_source",
]


def load_spec(source: SpecSource, vendor_overlays: tuple[Path, ...] = ()) -> Spec:
    """Parse, correct (overlays) and index a resolved description, once per process."""
    return Spec.load(source, vendor_overlays)
