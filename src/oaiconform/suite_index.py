"""Which suite modules a run needs, read from their source without importing them.

Importing and collecting all the suite modules costs about 0.3 s, a quarter of a one-operation
run's start-up; a run of a few features needs one or two of them. Each suite test names its
feature with `@pytest.mark.feature("id")` (a literal), and the generated families with an
f-string whose literal prefix is the family (`feature(f"schema.{op_id}")`). A module with any
other form of `feature(...)` cannot be read this way and is always collected, so the index can
only ever collect too much, never too little; a self-test checks it against real collection.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_FEATURE_CALL = re.compile(r"\bfeature\(")
_LITERAL = re.compile(r'\bfeature\(\s*"([^"\\{}]+)"\s*[,)]')
_FAMILY = re.compile(r'\bfeature\(\s*f"([^"\\{}]+)\{')


@dataclass(frozen=True)
class SuiteModule:
    path: Path
    features: frozenset[str]  # literal ids
    families: frozenset[str]  # id prefixes of generated features, e.g. "schema."
    readable: bool  # every feature(...) of the module is one of the two forms above

    def declares_any(self, wanted: Iterable[str]) -> bool:
        return any(
            feature in self.features or feature.startswith(tuple(self.families))
            for feature in wanted
        )


def read_suite_module(path: Path) -> SuiteModule:
    source = path.read_text(encoding="utf-8")
    literals = frozenset(_LITERAL.findall(source))
    families = frozenset(_FAMILY.findall(source))
    calls = len(_FEATURE_CALL.findall(source))
    readable = calls == len(_LITERAL.findall(source)) + len(_FAMILY.findall(source))
    return SuiteModule(path, literals, families, readable)


def suite_modules_for(suites: Path, wanted: Iterable[str]) -> list[Path]:
    """The suite modules that may hold a test of a wanted feature (all when in doubt)."""
    wanted = tuple(wanted)
    modules = [read_suite_module(path) for path in sorted(suites.glob("test_*.py"))]
    return [m.path for m in modules if not m.readable or m.declares_any(wanted)]
