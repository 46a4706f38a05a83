from django.template.response import TemplateResponse

from librechat.mongo import connection_failure_behind, describe_mongo_error


class MongoUnavailableMiddleware:
    """Turns an unreachable LibreChat MongoDB into one clear line instead of a stack trace."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        failure = connection_failure_behind(exception)
        if failure is None:
            return None
        context = {"reason": describe_mongo_error(failure), "title": "LibreChat database unavailable"}
        return TemplateResponse(request, "mongo_unavailable.html", context, status=503).render()
