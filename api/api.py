"""The one NinjaAPI of this project, mounted at /api/. Routers are added here."""

from bson import Decimal128
from csp.decorators import csp_update
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger
from ninja.parser import Parser
from ninja.renderers import JSONRenderer

from api.analytics_routes import router as analytics_router
from api.balance_reads import json_number
from api.balance_routes import router as balance_router
from api.errors import UnsupportedMediaType, install_error_handlers, json_loads_strict


class JsonOnlyParser(Parser):
    def parse_body(self, request: HttpRequest):
        if request.content_type != "application/json":
            raise UnsupportedMediaType(
                f"Send the body as JSON with 'Content-Type: application/json', not {request.content_type or 'none'!r}."
            )
        return json_loads_strict(request.body)


class StrictJSONRenderer(JSONRenderer):
    """JSON without NaN or Infinity (which json.dumps writes by default), whatever LibreChat stored.

    A stored non-finite number or a Decimal128 is answered as its JSON number, or null.
    """

    json_dumps_params = {"allow_nan": False}

    def render(self, request: HttpRequest, data, *, response_status: int):
        return super().render(request, _json_safe(data), response_status=response_status)


def _json_safe(value):
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if isinstance(value, float | Decimal128):
        return json_number(value)
    return value


class StaffOnlySwagger(Swagger):
    """Interactive docs for staff; the OpenAPI document itself is public, like the README."""

    def render_page(self, request, api, **kwargs):
        return staff_member_required(lambda request: super(StaffOnlySwagger, self).render_page(request, api, **kwargs))(
            request
        )


api = NinjaAPI(
    title="LibreChat Balance Manager API",
    version="1.0.0",
    description="LibreChat balances for scripts and billing systems; compatible with LibreChat PR #11754. "
    'Errors are `{"error": CODE, "detail": TEXT}`.',
    urls_namespace="api",
    docs=StaffOnlySwagger(),
    # Swagger UI's stylesheet draws its select arrows, copy buttons and model toggles as data: SVG
    # images: the docs page (and its JSON) allows data: images, and nothing else is loosened.
    docs_decorator=csp_update({"img-src": ["data:"]}),
    parser=JsonOnlyParser(),
    renderer=StrictJSONRenderer(),
)
install_error_handlers(api)
api.add_router("/balance/admin", balance_router)
api.add_router("", analytics_router)
