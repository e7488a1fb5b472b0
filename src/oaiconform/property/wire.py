"""From a generated schemathesis `Case` to the bytes our `Target` sends.

Schemathesis serialises bodies (JSON, multipart with generated files, form, binary) into
`requests` keyword arguments; we let `requests` encode them once, keep the prepared request for
schemathesis's checks, and send its method, path, headers and body through the Target, which
adds the run's credentials and applies the budget, timeouts and byte caps.

Generated credentials and transport headers are dropped (the Target owns auth), path
parameters become URL-safe identifiers (so an odd character cannot turn a missing object into a
missing route), and only JSON body negations are kept: a negation elsewhere might not survive
this shaping or be one servers may lawfully tolerate, and a case that is no longer negative must
not be judged as one.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from requests.structures import CaseInsensitiveDict
from schemathesis.core.parameters import ParameterLocation

from oaiconform.property._types import AnyCase
from oaiconform.property.clamp import clamp_costs, make_affordable, without_streaming
from oaiconform.property.requirements import meet

# Headers schemathesis adds for its own transport, or that the Target owns.
_DROPPED_HEADERS = frozenset(
    {
        "authorization",
        "user-agent",
        "accept-encoding",
        "accept",
        "connection",
        "content-length",
        "x-schemathesis-testcaseid",
        "cookie",
    }
)
_REQUEST_KEYS = ("method", "url", "headers", "files", "data", "params", "json")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Only body negations are judged: servers commonly ignore, coerce or take the first of repeated
# query values (`?limit=true&limit=5`, `?include=`), and the description does not forbid that.
_KEPT_NEGATIONS = frozenset({ParameterLocation.BODY})
_PLACEHOLDER_AUTH = "Bearer oaiconform-placeholder"  # valid in form; dropped before sending
_ANNOTATION_KEYWORDS = frozenset({"format", "contentEncoding", "contentMediaType"})


class Discard(Exception):
    """This generated case cannot be sent faithfully; draw another one (no request is made)."""


@dataclass(frozen=True)
class WireRequest:
    method: str
    path: str  # relative to the target's base URL, query string included
    headers: dict[str, str]
    body: bytes | None
    prepared: requests.PreparedRequest  # what schemathesis's checks read as the request


def _only_annotations_broken(case: AnyCase) -> bool:
    """The case's body mutations break nothing but annotation keywords.

    In JSON Schema 2020-12 (OpenAPI 3.1) `format`, `contentEncoding` and `contentMediaType`
    are annotations unless a validator opts into asserting them, so a server that accepts
    `"image_url": ""` against `format: uri` is not wrong; such a case proves nothing.
    """
    phase = case.meta.phase if case.meta is not None else None
    mutations = getattr(getattr(phase, "data", None), "mutations", ()) or ()
    body = [m for m in mutations if m.parameter_location == ParameterLocation.BODY]
    # A mutation with no keyword (a removed required property, a syntax fuzz) is a real one.
    return bool(body) and all(m.keywords and set(m.keywords) <= _ANNOTATION_KEYWORDS for m in body)


def is_negative(case: AnyCase) -> bool:
    return case.meta is not None and case.meta.generation.mode.is_negative


def negated_locations(case: AnyCase) -> set[ParameterLocation]:
    if case.meta is None:
        return set()
    return {loc for loc, info in case.meta.components.items() if info.mode.is_negative}


def safe_identifier(name: str, value: Any) -> str:
    """A path parameter value that names an object without changing the route."""
    text = str(value)
    if _SAFE_ID.match(text):
        return text
    digest = zlib.crc32(repr(value).encode()) % 10**8
    return f"{name}_{digest:08d}"


def _keep_as_generated(case: AnyCase) -> None:
    """Our edits of a positive case keep it positive (clamped values are still valid ones).

    Without this, schemathesis revalidates an edited container on the next `meta` read, and a
    multipart body with files always fails that revalidation, relabelling the case negative.
    """
    record = getattr(case, "_record_starting_state", None)
    if callable(record):
        record()


def shape(
    case: AnyCase,
    model: str | None = None,
    pinned: Mapping[str, str] | None = None,
    tag: Mapping[str, str] | None = None,
    operation_id: str | None = None,
    pins: Mapping[str, Any] | None = None,
) -> None:
    """Make the case affordable and sendable, in place; raise Discard when it cannot be.

    `model`, when given, replaces a generated `model` of a positive body: a random name only
    ever reaches the target's "unknown model" path, never the operation itself. `pinned`
    path parameters (ids of objects created for the run, see objects.py) replace generated
    ones in a positive case, so it reaches the operation's success path; a negative case
    keeps its generated values. `tag`, the run's metadata, replaces the generated `metadata`
    of a positive body that creates an object, so that `oaiconform clean` finds what a
    crashed run left (a valid metadata map for a valid one: the case stays positive). A
    positive body of `operation_id` is repaired to meet the cross-field rules the description
    leaves out (requirements.py), so that it means something to a correct server. `pins`
    (temperature 0, the run's seed: pinning.py) are added to a positive body that does not
    draw them, so a sampling server answers it alike in every run.
    """
    negative = is_negative(case)  # read before any edit: an edit triggers revalidation
    if negative and case.media_type and case.media_type.startswith("multipart/"):
        raise Discard("form fields are text on the wire: most negations vanish when encoded")
    if case.meta is not None and ParameterLocation.HEADER in case.meta.components:
        # The Target sends the real credentials; a generated (or negated) one never leaves.
        headers = CaseInsensitiveDict(
            {k: v for k, v in case.headers.items() if str(k).lower() != "authorization"}
        )
        headers["Authorization"] = _PLACEHOLDER_AUTH
        case.headers = headers
    if case.path_parameters:
        safe = {name: safe_identifier(name, v) for name, v in case.path_parameters.items()}
        if pinned and not negative:
            safe.update((name, value) for name, value in pinned.items() if name in safe)
        if safe != case.path_parameters:
            case.path_parameters = safe
    body = case.body
    if isinstance(body, dict | list):
        if negative:
            if clamp_costs(body) != body:
                raise Discard("a negative body with costly values is not sent")
            shaped = without_streaming(body)
        else:
            shaped = make_affordable(body)
            if (
                model is not None
                and isinstance(shaped, dict)
                and isinstance(shaped.get("model"), str)
            ):
                shaped = {**shaped, "model": model}
            if tag and isinstance(shaped, dict):
                shaped = {**shaped, "metadata": dict(tag)}
            if pins and isinstance(shaped, dict):
                shaped = {**shaped, **{k: v for k, v in pins.items() if k not in shaped}}
            shaped = meet(operation_id, shaped, model)
        if shaped != body:
            case.body = shaped
    if not negative:
        _keep_as_generated(case)
        return
    negated = negated_locations(case)  # revalidated by schemathesis after the edits above
    if not negated & _KEPT_NEGATIONS:
        raise Discard("no negation left that the Target sends as generated")
    if _only_annotations_broken(case):
        raise Discard("only `format`-like annotations are violated; servers may accept that")
    if negated - _KEPT_NEGATIONS - {ParameterLocation.HEADER}:
        raise Discard("a query, path or cookie negation is not judged")


def to_wire(case: AnyCase, base_url: str) -> WireRequest:
    """Encode the (shaped) case as the Target will send it."""
    kwargs = case.as_transport_kwargs(base_url=base_url)
    request_kwargs = {k: kwargs[k] for k in _REQUEST_KEYS if kwargs.get(k) is not None}
    headers = {
        str(k): str(v)
        for k, v in (request_kwargs.get("headers") or {}).items()
        if str(k).lower() not in _DROPPED_HEADERS
    }
    request_kwargs["headers"] = headers
    try:
        prepared = requests.Request(**request_kwargs).prepare()
    except (ValueError, TypeError, UnicodeError) as exc:
        raise Discard(f"requests cannot encode the case: {exc}") from None
    sent_headers = {
        k: v if isinstance(v, str) else v.decode("latin-1")
        for k, v in prepared.headers.items()
        if k.lower() not in _DROPPED_HEADERS
    }
    for value in sent_headers.values():
        if not value.isascii():
            raise Discard("a header value is not ASCII")
    raw = prepared.body
    body = raw.encode() if isinstance(raw, str) else raw if isinstance(raw, bytes) else None
    content_type = sent_headers.get("Content-Type", "")
    if content_type.startswith("multipart/") and b"Content-Disposition" not in (body or b""):
        raise Discard("a multipart body without parts has no valid encoding (RFC 2046)")
    url = prepared.url or ""
    path = url[len(base_url) :] if url.startswith(base_url) else case.formatted_path
    return WireRequest(case.method.upper(), path, sent_headers, body, prepared)
