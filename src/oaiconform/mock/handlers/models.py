"""Models: list and retrieve."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from oaiconform.mock.config import MODEL_CREATED
from oaiconform.mock.errors import model_not_found
from oaiconform.mock.handlers._common import PREFIX, state_of


def model_object(model_id: str, index: int) -> dict[str, Any]:
    owner = "system" if model_id.startswith(("text-embedding", "omni")) else "openai"
    return {"id": model_id, "object": "model", "created": MODEL_CREATED + index, "owned_by": owner}


async def list_models(request: Request) -> Response:
    models = state_of(request).config.models
    return JSONResponse(
        {"object": "list", "data": [model_object(m, i) for i, m in enumerate(models)]}
    )


async def retrieve_model(request: Request) -> Response:
    model_id = request.path_params["model"]
    models = state_of(request).config.models
    if model_id not in models:
        raise model_not_found(model_id)
    return JSONResponse(model_object(model_id, models.index(model_id)))


ROUTES = [
    Route(f"{PREFIX}/models", list_models, methods=["GET"]),
    Route(f"{PREFIX}/models/{{model:path}}", retrieve_model, methods=["GET"]),
]
