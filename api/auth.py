"""API-key authentication with a required scope, for every router of the API.

router = Router(auth=ApiKeyAuth("read"))
"""

from django.conf import settings
from django.http import HttpRequest
from ninja.security import APIKeyHeader

from api.errors import ApiError
from api.models import ApiKey, Scope
from web.ratelimit import seconds_until_allowed


class ApiKeyAuth(APIKeyHeader):
    """A key in `x-api-key` (as LibreChat PR #11754 sends it) or `Authorization: Bearer <key>`.

    No key: 401 from django-ninja. Unknown key: 401. Revoked, expired or lacking `scope`: 403.
    Over API_RATE_LIMIT_PER_MINUTE: 429 with Retry-After. The key becomes `request.auth`.
    """

    param_name = "x-api-key"
    openapi_description = "An API key from the admin or `manage.py create_api_key`; `Authorization: Bearer` works too."

    def __init__(self, scope: str):
        if scope not in Scope.values:
            raise ValueError(f"Unknown scope {scope!r}; expected one of {Scope.values}.")
        self.scope = scope
        super().__init__()

    def _get_key(self, request: HttpRequest) -> str | None:
        key = request.headers.get(self.param_name)
        if key is None:
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            key = token.strip() if scheme.lower() == "bearer" else None
        return key or None

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiKey | None:
        if key is None:
            return None
        api_key = ApiKey.find(key)
        if api_key is None:
            raise ApiError(401, "invalid_api_key", "This API key is not valid.")
        if api_key.status == "revoked":
            raise ApiError(403, "key_revoked", f"The API key {api_key.name!r} was revoked.")
        if api_key.status == "expired":
            raise ApiError(403, "key_expired", f"The API key {api_key.name!r} has expired.")
        if self.scope not in api_key.scope_list:
            raise ApiError(403, "insufficient_scope", f"The API key {api_key.name!r} lacks the {self.scope!r} scope.")
        wait_seconds = seconds_until_allowed(
            f"api-key:{api_key.pk}", limit=settings.API_RATE_LIMIT_PER_MINUTE, window_seconds=60
        )
        if wait_seconds:
            raise ApiError(
                429,
                "rate_limited",
                f"Over {settings.API_RATE_LIMIT_PER_MINUTE} requests a minute for this key; retry in {wait_seconds} s.",
                headers={"Retry-After": str(wait_seconds)},
            )
        api_key.mark_used()
        return api_key
