from django.conf import settings

from api.errors import error_response, generic_error_response, is_json

API_PATH_PREFIX = "/api/"


class ApiErrorsMiddleware:
    """JSON errors for what happens on /api/ outside the API's own handlers.

    Unknown paths (404), wrong methods (405), oversized bodies (413, refused before they are read)
    and errors raised by other middleware would otherwise be Django's HTML pages.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(API_PATH_PREFIX):
            return self.get_response(request)
        try:
            declared_length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error_response(400, "bad_request", "Content-Length is not a number.")
        if declared_length > settings.API_MAX_BODY_BYTES:
            return error_response(
                413, "body_too_large", f"The request body is over {settings.API_MAX_BODY_BYTES} bytes."
            )
        response = self.get_response(request)
        if response.status_code >= 400 and not is_json(response):
            allow = response.get("Allow")
            response = generic_error_response(response.status_code)
            if allow:
                response["Allow"] = allow
        return response
