import logging

from django.template.response import TemplateResponse

from librechat.mongo import connection_failure_behind, describe_mongo_error

log = logging.getLogger(__name__)


class MongoUnavailableMiddleware:
    """Turns an unreachable LibreChat MongoDB into one clear line instead of a stack trace.

    Only staff in the admin see the reason; it names MongoDB's address, which public pages
    (the request form, the decision links) never show.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        failure = connection_failure_behind(exception)
        if failure is None:
            return None
        reason = describe_mongo_error(failure)
        if not _is_staff_in_the_admin(request):
            log.error("%s %s failed: %s", request.method, request.path, reason)
            return TemplateResponse(request, "mongo_unavailable_public.html", status=503).render()
        context = {"reason": reason, "title": "LibreChat database unavailable"}
        return TemplateResponse(request, "mongo_unavailable.html", context, status=503).render()


def _is_staff_in_the_admin(request) -> bool:
    user = getattr(request, "user", None)
    return request.path_info.startswith("/admin/") and user is not None and user.is_active and user.is_staff
