"""The corpus's structures as committed facts: `structures.json`, built from the corpus.

    python -m tests.corpus.real_api.structures          # rewrite structures.json
    python -m tests.corpus.real_api.structures --check  # exit 1 when it is stale

What the mock's fidelity self-test (tests/mock/test_fidelity.py) compares the mock with: per
operation, each distinct answer structure the real API sent (status, media type, key paths
with their JSON types, stream event kinds; fidelity.py), the exchanges that had it (source
file, cassette and interaction: where it was recorded), and the model's choices the replay
asks the mock for. No recorded text, id or number is kept.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tests.corpus.real_api import CORPUS_DIR, Recorded, load_corpus
from tests.corpus.real_api.fidelity import Fact, Structure, fact_of, operation_label

STRUCTURES = CORPUS_DIR / "structures.json"


def build(corpus: list[Recorded]) -> dict[str, Any]:
    """{operation: [{structure..., "exchanges": [{key, cassette, steering}]}]}."""
    operations: dict[str, dict[str, dict[str, Any]]] = {}
    for recorded in corpus:
        fact = fact_of(recorded)
        structure = fact.structure
        streamed = structure.media_type == "text/event-stream"
        operation = operation_label(recorded.raw["method"], recorded.raw["path"], streamed)
        encoded = json.dumps(structure.as_fact(), sort_keys=True)
        entry = operations.setdefault(operation, {}).setdefault(
            encoded, {**structure.as_fact(), "exchanges": []}
        )
        entry["exchanges"].append(
            {
                "key": recorded.key,
                "cassette": recorded.raw["cassette"],
                "steering": dict(fact.steering),
            }
        )
    return {
        operation: list(structures.values()) for operation, structures in sorted(operations.items())
    }


def load_facts(path: Path = STRUCTURES) -> dict[str, Fact]:
    """Each exchange's fact, by key, from structures.json."""
    facts: dict[str, Fact] = {}
    for structures in json.loads(path.read_text(encoding="utf-8")).values():
        for entry in structures:
            structure = Structure.from_fact(entry)
            for exchange in entry["exchanges"]:
                steering = tuple(sorted(exchange["steering"].items()))
                facts[exchange["key"]] = Fact(structure, steering)
    return facts


def render(built: dict[str, Any]) -> str:
    return json.dumps(built, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when stale")
    args = parser.parse_args()
    text = render(build(load_corpus()))
    if args.check:
        stale = not STRUCTURES.exists() or STRUCTURES.read_text(encoding="utf-8") != text
        print("structures.json is stale" if stale else "structures.json is up to date")
        return 1 if stale else 0
    STRUCTURES.write_text(text, encoding="utf-8")
    print(f"wrote {STRUCTURES} ({len(text) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
