"""Checks of the error envelope and of authentication."""

from __future__ import annotations

from oaiconform.checks._failure import Failure, is_soft
from oaiconform.checks._registry import Impact, check
from oaiconform.exchange import Exchange

# Shown in full, a key lets anyone who reads a log use it. The API masks all but a few chars.
_ECHO_MIN_LEN = 12


@check(
    title="Error bodies are JSON with the `error` object: a string message and type",
    impact=Impact.BREAKS_CLIENTS,
    reason=(
        "the SDKs build their exceptions from `error`: without it code, type and param "
        "reach the application as None"
    ),
)
def error_envelope(exchange: Exchange) -> list[Failure]:
    """application/json and {"error": {message: str, type: str, param: str|null, code: str|null}}.

    Applications branch on this shape (the SDKs build their exception classes from it), so every
    other shape is named in the failure to make the fix obvious.
    """
    where = exchange.describe()
    if exchange.media_type != "application/json":
        found = exchange.header("content-type") or "no Content-Type"
        return [
            Failure(
                "error_envelope",
                f"{where}: error served as {found} with "
                f"{exchange.body_excerpt()}, expected application/json "
                'with the {"error": {...}} envelope',
                where="header:content-type",
                expected="application/json",
                found=found,
            )
        ]
    if not exchange.is_json:
        return [
            Failure(
                "error_envelope",
                f"{where}: error body is not JSON: {exchange.body_excerpt()}",
                where="body",
            )
        ]
    body = exchange.json()
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        if isinstance(body, dict) and "detail" in body:
            found = 'a FastAPI-style {"detail": ...} body'
        elif isinstance(body, dict) and "message" in body:
            found = 'a flat envelope (message at the top level, no "error" object)'
        elif isinstance(body, dict) and isinstance(body.get("error"), str):
            found = '"error" as a string instead of an object'
        else:
            found = exchange.body_excerpt()
        return [
            Failure(
                "error_envelope",
                f'{where}: expected {{"error": {{message, type, param, code}}}}, found {found}',
                where="error",
            )
        ]
    error = body["error"]
    failures = []
    for name, nullable in (("message", False), ("type", False), ("param", True), ("code", True)):
        if name not in error:
            if not nullable:
                failures.append(
                    Failure(
                        "error_envelope",
                        f"{where}: error.{name} is missing",
                        where=f"error.{name}",
                        found="absent",
                    )
                )
        elif not (isinstance(error[name], str) or (nullable and error[name] is None)):
            kind = "a string or null" if nullable else "a string"
            failures.append(
                Failure(
                    "error_envelope",
                    f"{where}: error.{name} must be {kind}, got {error[name]!r:.60}",
                    where=f"error.{name}",
                    expected=kind,
                    found=type(error[name]).__name__,
                )
            )
    return failures + error_nullable_fields(exchange)


@check(
    title="The error object carries `param` and `code`, as null when they do not apply",
    impact=Impact.SPEC_LITERAL,
    reason="the SDKs read an absent param or code as None, what null says: the meaning is intact",
)
def error_nullable_fields(exchange: Exchange) -> list[Failure]:
    """error.param and error.code are present (the description requires both, nullable)."""
    body = exchange.json() if exchange.is_json else None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return []  # error_envelope reports the envelope
    return [
        Failure(
            "error_envelope",
            f"{exchange.describe()}: error.{name} is missing; send it as null",
            where=f"error.{name}",
            expected="null",
            found="absent",
        )
        for name in ("param", "code")
        if name not in error
    ]


@check(
    title="`error.code` is the code the API uses for the condition",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="applications branch on the code: another one sends them down the wrong path",
)
def error_code_is(exchange: Exchange, code: str) -> list[Failure]:
    """The envelope's `error.code` is the one the API uses for this condition."""
    body = exchange.json() if exchange.is_json else None
    error = body.get("error") if isinstance(body, dict) else None
    found = error.get("code") if isinstance(error, dict) else None
    if found == code:
        return []
    return [
        Failure(
            "error_code",
            f"{exchange.describe()}: expected error.code {code!r}, got {found!r}",
            where="error.code",
            expected=code,
            found=repr(found),
        )
    ]


@check(
    title="A request without valid credentials is refused with 401",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="authentication is not enforced, or refused with the wrong status",
)
def unauthorized(exchange: Exchange) -> list[Failure]:
    """A request without valid credentials is refused with 401 and the envelope."""
    if exchange.status == 401:
        return error_envelope(exchange)
    if 200 <= exchange.status < 300:
        return [
            Failure(
                "auth_required",
                f"{exchange.describe()}: the request was served without "
                "valid credentials; expected 401",
                where="status",
                expected="401",
                found=str(exchange.status),
            )
        ]
    return [
        Failure(
            "auth_required",
            f"{exchange.describe()}: expected 401 for missing or invalid "
            f"credentials, got {exchange.status}",
            where="status",
            expected="401",
            found=str(exchange.status),
        )
    ]


@check(
    title="A response never contains the submitted API key in full",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="the key ends up in logs and error reports, where the API masks it",
)
def key_not_echoed(exchange: Exchange, submitted_key: str) -> list[Failure]:
    """The response does not contain the submitted key in full."""
    if len(submitted_key) < _ECHO_MIN_LEN:
        return []
    if submitted_key.encode() in exchange.body or any(
        submitted_key in value for _, value in exchange.headers
    ):
        return [
            Failure(
                "key_echoed",
                f"{exchange.describe()}: the response echoes the submitted "
                "API key in full; mask all but its last characters",
                where="body",
            )
        ]
    return []


def _error_field(exchange: Exchange, name: str) -> object:
    body = exchange.json() if exchange.is_json else None
    error = body.get("error") if isinstance(body, dict) else None
    return error.get(name) if isinstance(error, dict) else None


@check(
    title="A request the API refuses gets an error status (4xx or 5xx)",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="the target accepts what the API refuses",
)
def error_response(exchange: Exchange) -> list[Failure]:
    """A request the API refuses gets an error status (4xx/5xx), and then the envelope."""
    if exchange.status >= 400:
        return error_envelope(exchange)
    return [
        Failure(
            "error_status",
            f"{exchange.describe()}: expected an error status for this request, got "
            f"{exchange.status} with {exchange.body_excerpt()}",
            where="status",
            expected="4xx",
            found=str(exchange.status),
        )
    ]


@check(
    title="An unknown route gets 404 (a wrong method 404 or 405)",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="wrong status for an error",
)
def route_not_found(exchange: Exchange, *, wrong_method: bool = False) -> list[Failure]:
    """An unknown route gets 404 (a known route with a wrong method 404 or 405), enveloped."""
    allowed = (404, 405) if wrong_method else (404,)
    if exchange.status in allowed:
        return error_envelope(exchange)
    wanted = " or ".join(str(s) for s in allowed)
    return [
        Failure(
            "route_not_found",
            f"{exchange.describe()}: expected {wanted} for a route the API does not have, got "
            f"{exchange.status} with {exchange.body_excerpt()}",
            where="status",
            expected=wanted,
            found=str(exchange.status),
        )
    ]


@check(
    title="An invalid request gets exactly 400 (not 422 or a 5xx)",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="wrong status for an error: the SDKs raise another exception class for 422 or 5xx",
)
def bad_request(exchange: Exchange) -> list[Failure]:
    """Exactly 400 with the envelope: the status the API and its SDKs use for a bad request.

    422 is named on its own: it is FastAPI's default, and the SDKs map it to a different
    exception class (UnprocessableEntityError) than the API's BadRequestError.
    """
    if exchange.status == 400:
        return error_envelope(exchange)
    where = exchange.describe()
    if exchange.status == 422:
        found = "422 (the framework's validation status; the API answers 400)"
    elif exchange.status >= 500:
        found = f"a server error {exchange.status}: the request, not the server, is at fault"
    elif 200 <= exchange.status < 300:
        found = f"{exchange.status}: the request was accepted"
    else:
        found = str(exchange.status)
    return [
        Failure(
            "bad_request",
            f"{where}: expected 400 with the error envelope, got {found}, body "
            f"{exchange.body_excerpt()}",
            where="status",
            expected="400",
            found=str(exchange.status),
        )
    ]


@check(
    title="A JSON body declared as text/plain is refused, as the API does",
    impact=Impact.ADVISORY,
    reason="the API refuses it with 400; a server that reads the JSON anyway breaks no client",
)
def declared_text_refused(exchange: Exchange) -> list[Failure]:
    """A request whose Content-Type is not JSON is not read as JSON: 400 (the API) or 415."""
    if not 200 <= exchange.status < 300:
        return []
    return [
        Failure(
            "declared_text_refused",
            f"{exchange.describe()}: a JSON body sent as text/plain was accepted; the API "
            "answers 400 (415 is as good)",
            where="status",
            expected="400 or 415",
            found=str(exchange.status),
        )
    ]


@check(
    title="An invalid request gets a 4xx, never a 5xx or a 2xx",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="wrong status for an error: a 5xx is retried by the SDKs, a 2xx accepts it",
)
def client_error(exchange: Exchange) -> list[Failure]:
    """A 4xx with the envelope: an invalid request is the client's fault, never a 5xx or a 2xx."""
    if 400 <= exchange.status < 500:
        return error_envelope(exchange)
    kind = "a server error" if exchange.status >= 500 else "a success"
    return [
        Failure(
            "client_error",
            f"{exchange.describe()}: an invalid request got {kind} ({exchange.status}), expected "
            f"a 4xx with the error envelope; body {exchange.body_excerpt()}",
            where="status",
            expected="4xx",
            found=str(exchange.status),
        )
    ]


def normalize_param(param: str) -> str:
    """`messages.[0].role`, `messages.0.role` and `messages[0].role` are one path."""
    out: list[str] = []
    for part in param.replace(".[", "[").replace("/", ".").split("."):
        if part.isdigit() and out:
            out[-1] += f"[{part}]"
        else:
            out.append(part)
    return ".".join(out)


@check(
    title="`error.param` names the field the client must fix",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="the error points at the wrong field",
)
def error_param_names(
    exchange: Exchange, expected: str, *, nullable: bool = False
) -> list[Failure]:
    """`error.param` names the offending field: the path itself, or a field that contains it.

    "messages" for an invalid "messages[0].role" names the field a client must fix, so an
    ancestor path is accepted; null or another field is not (unless `nullable`: the API itself
    sends null for some errors, e.g. a missing model).
    """
    found = _error_field(exchange, "param")
    if found is None and nullable:
        return []
    if isinstance(found, str):
        param, wanted = normalize_param(found), normalize_param(expected)
        if param == wanted or (param and wanted.startswith((param + ".", param + "["))):
            return []
    return [
        Failure(
            "error_param",
            f"{exchange.describe()}: expected error.param to name {expected!r}, got {found!r}",
            where="error.param",
            expected=expected,
            found=repr(found),
        )
    ]


@check(
    title="An unknown model gets 404 with code model_not_found",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="wrong status or code for an error: clients take it for another condition",
)
def model_not_found(exchange: Exchange) -> list[Failure]:
    """An unknown model: 404 with the envelope and code "model_not_found".

    Clients tell "no such model" from "no such route" by this code (and SDKs raise
    NotFoundError on 404); a 400 or a 5xx sends them down the wrong path.
    """
    if exchange.status != 404:
        return [
            Failure(
                "model_not_found",
                f"{exchange.describe()}: expected 404 for an unknown model, got "
                f"{exchange.status} with {exchange.body_excerpt()}",
                where="status",
                expected="404",
                found=str(exchange.status),
            )
        ]
    envelope = error_envelope(exchange)
    if any(not is_soft(f) for f in envelope):
        return envelope
    return envelope + error_code_is(exchange, "model_not_found")
