"""The OpenAI error envelope, the only shape in which the mock ever reports an error."""

from __future__ import annotations

from starlette.responses import JSONResponse

_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "invalid_request_error",
    404: "invalid_request_error",
    405: "invalid_request_error",
    409: "invalid_request_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    429: "rate_limit_exceeded",
    500: "server_error",
}


class APIError(Exception):
    """Raised by handlers; rendered by the app as the envelope with its status."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        error_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code
        self.error_type = error_type or _TYPES.get(status, "invalid_request_error")
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        body = {
            "error": {
                "message": self.message,
                "type": self.error_type,
                "param": self.param,
                "code": self.code,
            }
        }
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def model_not_found(model: str, endpoint: str | None = None) -> APIError:
    """The real API's answer to an unknown model: on Responses a 400 naming `model`; on the
    other generation endpoints a 404 with `param` null (tests/corpus/real_api/: pydantic-ai's
    test_model_name_suggestion, llm's test_embed_error); a model's own routes name it."""
    if endpoint == "responses":
        return APIError(
            400,
            f"The requested model '{model}' does not exist.",
            param="model",
            code="model_not_found",
        )
    if endpoint is not None:
        return APIError(
            404,
            f"The model `{model}` does not exist or you do not have access to it.",
            code="model_not_found",
        )
    return APIError(
        404,
        f"The model `{model}` does not exist or you do not have access to it.",
        param="model",
        code="model_not_found",
    )
