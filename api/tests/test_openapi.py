"""The OpenAPI description: public, generated from the code, and true to what the API answers."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from librechat.testing import create_user

API_PATHS = [
    "/api/balance/admin/get-balance",
    "/api/balance/admin/set-balance",
    "/api/balance/admin/add-balance",
    "/api/balance/admin/users",
    *(
        f"/api/{name}"
        for name in ("summary", "top-users", "top-models", "top-agents", "cost-breakdown", "usage-over-time")
    ),
]
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())


def test_the_description_is_public_json_naming_every_endpoint_and_the_key_header(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    description = response.json()
    assert description["openapi"].startswith("3.") and sorted(description["paths"]) == sorted(API_PATHS)
    [scheme] = description["components"]["securitySchemes"].values()
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "x-api-key")


@pytest.mark.django_db
def test_the_interactive_docs_are_for_staff_only(client, admin_client):
    assert client.get("/api/docs").status_code == 302
    response = admin_client.get("/api/docs")
    assert response.status_code == 200 and b"swagger-ui" in response.content


# Schemathesis calls the WSGI app itself, whose request_finished closes the connection: commit for real.
@pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_gets_a_server_error_or_an_answer_its_description_does_not_allow(case, write_key, mongo, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 0
    if not mongo.users.find_one({"email": "alice@example.com"}):
        create_user("alice@example.com", 20_000)
    case.call_and_validate(
        headers={"x-api-key": write_key},
        checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance],
    )
