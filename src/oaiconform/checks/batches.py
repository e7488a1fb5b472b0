"""Checks of the Batch API: the batch object, its counts, and the output file's lines."""

from __future__ import annotations

import json
from typing import Any

from oaiconform.checks._failure import Failure
from oaiconform.checks._registry import Impact, check, register
from oaiconform.checks.schema import object_value

BATCH_LISTED = register(  # judged by the suite, on the batch it created
    "batches.batch_listed",
    title="GET /batches lists a batch just created",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="the listing contradicts what the application created",
).id

STATUSES = (
    "validating",
    "failed",
    "in_progress",
    "finalizing",
    "completed",
    "expired",
    "cancelling",
    "cancelled",
)


@check(
    title=(
        "A batch object names the endpoint and input file it was created with, and a known status"
    ),
    impact=Impact.WRONG_BEHAVIOUR,
    reason="the object contradicts the request that created it",
)
def batch_object_fields(body: Any, *, endpoint: str, input_file_id: str) -> list[Failure]:
    """A batch names its endpoint and input file, with a known status."""
    if not isinstance(body, dict):
        return [
            Failure(
                "batch_object", f"expected a batch object, got {type(body).__name__}", where="body"
            )
        ]
    failures: list[Failure] = []
    failures += object_value(body, "batch")
    if body.get("endpoint") != endpoint:
        failures.append(
            Failure(
                "batch_object",
                f"`endpoint` must be {endpoint!r}, got {body.get('endpoint')!r}",
                where="endpoint",
                expected=endpoint,
                found=repr(body.get("endpoint")),
            )
        )
    if body.get("input_file_id") != input_file_id:
        failures.append(
            Failure(
                "batch_object",
                f"`input_file_id` must be {input_file_id!r}, got {body.get('input_file_id')!r}",
                where="input_file_id",
            )
        )
    if body.get("status") not in STATUSES:
        failures.append(
            Failure(
                "batch_object",
                f"unknown `status` {body.get('status')!r}",
                where="status",
                found=repr(body.get("status")),
            )
        )
    return failures


@check(
    title="A completed batch counts every request and names its output file",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="applications read the counts and output_file_id to collect results",
)
def completed_batch_counts(body: dict[str, Any], requests: int) -> list[Failure]:
    """A completed batch counts every request and names an output file."""
    failures = []
    counts = body.get("request_counts")
    if not isinstance(counts, dict):
        return [
            Failure(
                "batch_counts", f"`request_counts` missing, got {counts!r}", where="request_counts"
            )
        ]
    total, done, failed = counts.get("total"), counts.get("completed"), counts.get("failed")
    if total != requests:
        failures.append(
            Failure(
                "batch_counts",
                f"request_counts.total must be {requests}, got {total!r}",
                where="request_counts.total",
                expected=str(requests),
                found=repr(total),
            )
        )
    if not isinstance(done, int) or not isinstance(failed, int) or done + failed != total:
        failures.append(
            Failure(
                "batch_counts",
                f"request_counts.completed ({done!r}) + failed ({failed!r}) must equal "
                f"total ({total!r})",
                where="request_counts",
            )
        )
    elif done != requests:
        failures.append(
            Failure(
                "batch_counts",
                f"all {requests} valid requests must complete, got {done}",
                where="request_counts.completed",
                expected=str(requests),
                found=str(done),
            )
        )
    if not isinstance(body.get("output_file_id"), str) or not body["output_file_id"]:
        failures.append(
            Failure(
                "batch_output",
                "a completed batch with successful requests has no output_file_id",
                where="output_file_id",
            )
        )
    return failures


@check(
    title="The output file answers each input line once, by custom_id, with a 200 response",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="results are lost or unmatched: the batch did not do what was asked",
)
def output_answers_inputs(content: bytes, custom_ids: list[str]) -> list[Failure]:
    """Each input line is answered by exactly one output line with its custom_id and a 200."""
    answered: list[str] = []
    failures = []
    for number, line in enumerate(content.decode("utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            failures.append(
                Failure(
                    "batch_output",
                    f"output line {number} is not JSON: {line[:80]!r}",
                    where=f"output[{number}]",
                )
            )
            continue
        if not isinstance(record, dict):
            failures.append(
                Failure(
                    "batch_output",
                    f"output line {number} is not a JSON object",
                    where=f"output[{number}]",
                )
            )
            continue
        answered.append(str(record.get("custom_id")))
        response = record.get("response")
        if not isinstance(response, dict) or response.get("status_code") != 200:
            failures.append(
                Failure(
                    "batch_output",
                    f"output line {number} ({record.get('custom_id')!r}) has no 200 response",
                    where=f"output[{number}].response.status_code",
                )
            )
        elif not isinstance(response.get("body"), dict):
            failures.append(
                Failure(
                    "batch_output",
                    f"output line {number} has no JSON response body",
                    where=f"output[{number}].response.body",
                )
            )
    missing = sorted(set(custom_ids) - set(answered))
    extra = sorted(set(answered) - set(custom_ids))
    duplicated = sorted({c for c in answered if answered.count(c) > 1})
    if missing:
        failures.append(
            Failure(
                "batch_output",
                f"no output line answers custom_id(s) {missing}",
                where="output[].custom_id",
            )
        )
    if extra:
        failures.append(
            Failure(
                "batch_output",
                f"output lines for unknown custom_id(s) {extra}",
                where="output[].custom_id",
            )
        )
    if duplicated:
        failures.append(
            Failure(
                "batch_output",
                f"custom_id(s) answered twice: {duplicated}",
                where="output[].custom_id",
            )
        )
    return failures
