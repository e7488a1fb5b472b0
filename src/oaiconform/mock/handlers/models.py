"""Models: list, retrieve, and delete (fine-tuned models only, as the API allows).

The served models are the state's catalog (mock/catalog.py): the configured ids and every model
the description names, each with a fixed `created`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from oaiconform.mock.catalog import ModelInfo
from oaiconform.mock.errors import APIError, model_not_found
from oaiconform.mock.handlers._common import PREFIX, state_of


def _visible(request: Request, model_id: str) -> ModelInfo:
    """The model as the caller's key sees it (a key's deleted fine-tuned model is gone)."""
    state = state_of(request)
    info = state.catalog.get(model_id)
    if info is None or model_id in state.deleted_models.get(request.state.api_key, set()):
        raise model_not_found(model_id)
    return info


async def list_models(request: Request) -> Response:
    state = state_of(request)
    deleted = state.deleted_models.get(request.state.api_key, set())
    data = [info.json() for info in state.catalog if info.id not in deleted]
    return JSONResponse({"object": "list", "data": data})


async def retrieve_model(request: Request) -> Response:
    return JSONResponse(_visible(request, request.path_params["model"]).json())


async def delete_model(request: Request) -> Response:
    """Only fine-tuned models can be deleted; a base model is 403, an unknown one 404."""
    model_id = _visible(request, request.path_params["model"]).id
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
