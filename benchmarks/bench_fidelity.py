"""How closely the mock answers like the real API, on recorded api.openai.com traffic.

    OAICONFORM_SPEC=PATH python benchmarks/bench_fidelity.py [--top 25] [--list-refused]
        [--known-models-only] [--no-obfuscation] [--json FILE]

Replays every exchange of tests/corpus/real_api/ (pydantic-ai's, llm's and ruby-openai's VCR
cassettes, see SOURCES.md) against the embedded mock, in process (httpx over the ASGI app, no
socket), each cassette in its recorded order with the real API's ids mapped to the mock's, and
compares the answers structurally (tests/corpus/real_api/fidelity.py: status, content type,
JSON key paths with their types, stream event sequences; text, ids and numbers aside).

Prints: exchanges compared, structurally identical (count and share), requests the real API
accepted but the mock refused (each listed), those that could not be compared (with the
reason), and the differences ranked by how many exchanges each hits. The figure is a share, not
a timing: the machine's load does not change it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: tests.corpus

from tests.corpus.real_api import load_corpus
from tests.corpus.real_api.fidelity import Outcome, replay, summarize

from oaiconform.mock import DEFAULT_API_KEY, MockConfig, create_app
from oaiconform.spec import load_spec, resolve_spec_source


async def replay_against_mock(config: MockConfig) -> list[Outcome]:
    spec = load_spec(resolve_spec_source(None, env_value=os.environ.get("OAICONFORM_SPEC")))
    transport = httpx.ASGITransport(app=create_app(config, spec))
    headers = {"Authorization": f"Bearer {config.api_keys[0]}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://127.0.0.1", headers=headers, timeout=60
    ) as client:
        return await replay(load_corpus(), client)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--top", type=int, default=25, help="rows of the ranked differences")
    parser.add_argument("--list-refused", action="store_true", help="each refusal's answer")
    parser.add_argument("--known-models-only", action="store_true")
    parser.add_argument("--no-obfuscation", action="store_true")
    parser.add_argument("--json", type=Path, help="write every outcome here")
    args = parser.parse_args()
    config = MockConfig(api_keys=(DEFAULT_API_KEY,))
    options = {"known_models_only": args.known_models_only, "obfuscation": not args.no_obfuscation}
    config = replace(config, **{k: v for k, v in options.items() if hasattr(config, k)})
    started = time.perf_counter()
    outcomes = asyncio.run(replay_against_mock(config))
    elapsed = time.perf_counter() - started
    summary = summarize(outcomes)
    print(f"exchanges in the corpus:   {summary.total}  (replayed in {elapsed:.1f} s)")
    print(f"not comparable:            {len(summary.not_comparable)}")
    print(f"compared:                  {summary.compared}")
    print(f"structurally identical:    {summary.identical}  ({100 * summary.identical_share:.1f}%)")
    print(f"refused (real API 2xx):    {len(summary.refused)}")
    for outcome in summary.refused:
        detail = f"  {outcome.reason}" if args.list_refused else ""
        print(f"  - {outcome.key}  {outcome.operation}{detail}")
    if summary.not_comparable:
        print("not comparable:")
        for outcome in summary.not_comparable:
            print(f"  - {outcome.key}  {outcome.operation}: {outcome.reason}")
    print(f"\ndifferences, by exchanges hit (top {args.top}):")
    for label, count in summary.ranked[: args.top]:
        print(f"  {count:5d}  {label}")
    if args.json:
        rows = [
            {"key": o.key, "operation": o.operation, "verdict": o.verdict,
             "differences": o.differences, "reason": o.reason}
            for o in outcomes
        ]  # fmt: skip
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
