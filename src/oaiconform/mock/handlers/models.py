"""Models: list, retrieve, and delete (fine-tuned models only, as the API allows)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from oaiconform.mock.config import MODEL_CREATED
from oaiconform.mock.errors import APIError, model_not_found
from oaiconform.mock.handlers._common import PREFIX, state_of


def model_object(model_id: str, index: int) -> dict[str, Any]:
    if model_id.startswith("ft:"):
        owner = "user-oaiconform"
    elif model_id.startswith(("text-embedding", "omni")):
        owner = "system"
    else:
        owner = "openai"
    return {"id": model_id, "object": "model", "created": MODEL_CREATED + index, "owned_by": owner}


def _visible(request: Request) -> tuple[str, ...]:
    state = state_of(request)
    deleted = state.deleted_models.get(request.state.api_key, set())
    return tuple(m for m in state.config.models if m not in deleted)


async def list_models(request: Request) -> Response:
    models = state_of(request).config.models
    return JSONResponse(
        {"object": "list", "data": [model_object(m, models.index(m)) for m in _visible(request)]}
    )


async def retrieve_model(request: Request) -> Response:
    model_id = request.path_params["model"]
    if model_id not in _visible(request):
        raise model_not_found(model_id)
    return JSONResponse(model_object(model_id, state_of(request).config.models.index(model_id)))


async def delete_model(request: Request) -> Response:
    """Only fine-tuned models can be deleted; a base model is 403, an unknown one 404."""
    model_id = request.path_params["model"]
    if model_id not in _visible(request):
        raise model_not_found(model_id)
    if not model_id.startswith("ft:"):
        raise APIError(
            403,
            f"You have insufficient permissions to delete the model {model_id}: "
            "only fine-tuned models you own can be deleted.",
            param="model",
            error_type="invalid_request_error",
            code="insufficient_permissions",
        )
    state_of(request).deleted_models.setdefault(request.state.api_key, set()).add(model_id)
    return JSONResponse({"id": model_id, "object": "model", "deleted": True})


ROUTES = [
    Route(f"{PREFIX}/models", list_models, methods=["GET"]),
    Route(f"{PREFIX}/models/{{model:path}}", retrieve_model, methods=["GET"]),
    Route(f"{PREFIX}/models/{{model:path}}", delete_model, methods=["DELETE"]),
]
