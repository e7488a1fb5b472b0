"""The client's side of an exchange: does the request the application sent meet the description?

Judged against the description as the mock reads requests (`mock.request_schemas`: no stricter
than the API), so a request the API accepts is never a finding. These findings are the
client's, reported apart from the server's.
"""

from __future__ import annotations

from oaiconform.checks import Failure, Impact, register
from oaiconform.exchange import Exchange
from oaiconform.mock.request_schemas import request_spec
from oaiconform.spec import Spec
from oaiconform.spec._model import Operation

REQUEST_BODY = register(
    "client.request_body",
    title="The client's request body meets the description's request schema",
    impact=Impact.WRONG_BEHAVIOUR,
    reason="the API refuses such a request with a 400, or reads it otherwise than meant",
).id
_LIMIT = 5


def client_failures(spec: Spec, operation: Operation, exchange: Exchange) -> list[Failure]:
    """What the request breaks; [] for a body the description does not describe as JSON."""
    request = exchange.request
    media_type = (request.header("content-type") or "").split(";")[0].strip().lower()
    relaxed = request_spec(spec)
    pointer = relaxed.request_schema_pointer(operation.operation_id)
    if pointer is None or media_type != "application/json":
        return []
    where = f"{request.method} {operation.route}"
    parsed = Exchange(request, 0, (("content-type", "application/json"),), request.body)
    if not parsed.is_json:
        return [
            Failure(
                "request_body",
                f"{where}: the request body is not JSON ({parsed.json_error})",
                where="request.body",
                check_id=REQUEST_BODY,
            )
        ]
    return [
        Failure(
            "request_body",
            f"{where}: the request breaks the schema at {v.path or '(root)'}: {v.message}"[:400],
            where="request" + v.path.removeprefix("$"),
            check_id=REQUEST_BODY,
        )
        for v in relaxed.validate(pointer, parsed.json(), limit=_LIMIT)
    ]
