"""How long loading and preparing the pinned description takes, beside reference loaders.

Each round runs every contender once, in turn, in this process, so machine noise hits them
alike; the table gives the median and the ratio to json.load (the floor: parsing alone).

    python benchmarks/bench_spec_load.py --spec ../shared/spec/openapi.json [--rounds 7] [--yaml]

"prepare" is what `oaiconform run` does before the first request: parse, apply the overlays in
spec/overlays/, translate `nullable`, index the 288 operations, build the validator registry and
compile one response validator.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from oaiconform.spec import SpecSource, resolve_spec_source
from oaiconform.spec._model import Spec


def prepare(source: SpecSource) -> None:
    Spec._cache.clear()  # measure the work, not the per-process cache
    spec = Spec.load(source)
    pointer = spec.response_schema_pointer("createChatCompletion", 200)
    assert pointer is not None
    spec.validate(pointer, {})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default=os.environ.get("OAICONFORM_SPEC"))
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--yaml",
        action="store_true",
        help="also time PyYAML on openapi.yaml beside the JSON file (slow)",
    )
    args = parser.parse_args()
    source = resolve_spec_source(args.spec, env_value=None)
    contenders: dict[str, Callable[[], object]] = {
        "json.load (floor)": lambda: json.loads(source.content),
        "oaiconform prepare": lambda: prepare(source),
    }
    yaml_path = Path(source.location).with_suffix(".yaml")
    if args.yaml and yaml_path.is_file():
        text = yaml_path.read_bytes()
        contenders["PyYAML CSafeLoader"] = lambda: yaml.load(text, Loader=yaml.CSafeLoader)
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.rounds):
        for name, run in contenders.items():
            started = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - started)
    floor = statistics.median(times["json.load (floor)"])
    print(f"{'contender':<24} {'median s':>9} {'min s':>8} {'max s':>8} {'x floor':>8}")
    for name, values in times.items():
        median = statistics.median(values)
        print(
            f"{name:<24} {median:>9.3f} {min(values):>8.3f} {max(values):>8.3f} "
            f"{median / floor:>8.1f}"
        )
    print(f"rounds: {args.rounds}; spec sha256 {source.sha256[:12]}; {len(source.content):,} bytes")


if __name__ == "__main__":
    main()
