"""Every error on /api/ is JSON `{"error": CODE, "detail": TEXT}` with the right status, never HTML."""

import json
import logging
from http import HTTPStatus

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from librechat.mongo import connection_failure_behind, describe_mongo_error

logger = logging.getLogger(__name__)

# The code of an error that has no more specific one, by status.
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "body_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "server_error",
    503: "unavailable",
}


class ErrorOut(Schema):
    error: str
    detail: str


class ApiError(Exception):
    """An answer other than success, raised anywhere an API request is handled."""

    def __init__(self, status: int, code: str, detail: str, headers: dict | None = None):
        super().__init__(detail)
        self.status, self.code, self.detail, self.headers = status, code, detail, headers or {}


class UnsupportedMediaType(Exception):
    """A request body that is not declared as JSON (raised by the parser, answered with 415)."""


def error_response(status: int, code: str, detail: str, headers: dict | None = None) -> HttpResponse:
    response = JsonResponse({"error": code, "detail": detail}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def generic_error_response(status: int) -> HttpResponse:
    """For errors raised outside the API's own code (unknown paths, wrong methods, server errors)."""
    code = CODES.get(status, "server_error" if status >= 500 else "bad_request")
    try:
        detail = HTTPStatus(status).phrase
    except ValueError:
        detail = "Error"
    return error_response(status, code, f"{detail}.")


def install_error_handlers(api: NinjaAPI) -> None:
    """Replace django-ninja's default handlers (422 lists, plain-text tracebacks) with our JSON shape."""
    api.add_exception_handler(ApiError, _api_error)
    api.add_exception_handler(ValidationError, _validation_error)
    api.add_exception_handler(HttpError, _http_error)
    api.add_exception_handler(Http404, lambda request, exc: error_response(404, "not_found", "Not found."))
    api.add_exception_handler(Exception, _unexpected_error)


def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return error_response(exc.status, exc.code, exc.detail, exc.headers)


def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    problems = []
    for error in exc.errors:
        # ("body", "payload", "amount") -> "amount"; ("query", "email") -> "email"
        location = ".".join(str(part) for part in error["loc"][1:] if part != "payload") or "body"
        message = str(error.get("msg", "invalid"))
        if error.get("type") == "extra_forbidden":
            message = "unknown field"
        elif error.get("type") == "missing":
            message = "required"
        problems.append(f"{location}: {message.removeprefix('Value error, ')}")
    return error_response(400, "invalid_request", "; ".join(problems) or "Invalid request.")


def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc, AuthenticationError):
        return error_response(
            401, "unauthorized", "Send an API key in the x-api-key header or as 'Authorization: Bearer <key>'."
        )
    cause = exc.__cause__
    if isinstance(cause, UnsupportedMediaType):
        return error_response(415, "unsupported_media_type", str(cause))
    if isinstance(cause, ValueError):  # json.loads: malformed JSON or bytes that are not UTF-8
        return error_response(400, "malformed_json", "The request body is not valid JSON.")
    return error_response(exc.status_code, CODES.get(exc.status_code, "bad_request"), exc.message)


def _unexpected_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    failure = connection_failure_behind(exc)
    if failure is not None:
        # The reason names MongoDB's address: for the log, not for API clients.
        logger.error("API request failed: %s", describe_mongo_error(failure))
        return error_response(503, "mongo_unavailable", "LibreChat's database is unreachable; try again later.")
    if isinstance(exc, RequestDataTooBig):
        return error_response(413, "body_too_large", "The request body is too large.")
    logger.exception("Unexpected error on %s %s", request.method, request.path, exc_info=exc)
    return error_response(500, "server_error", "Unexpected server error; it was logged.")


def is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


def json_loads_strict(body: bytes):
    """json.loads refusing NaN and Infinity, which are not JSON."""
    return json.loads(body, parse_constant=_refuse_constant)


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")
