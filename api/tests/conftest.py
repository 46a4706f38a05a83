import json

import pytest

from api.models import ApiKey
from librechat.testing import create_user

GET_BALANCE = "/api/balance/admin/get-balance"
SET_BALANCE = "/api/balance/admin/set-balance"
ADD_BALANCE = "/api/balance/admin/add-balance"
USERS = "/api/balance/admin/users"


def issue_key(name: str, scopes: list[str], **fields) -> str:
    return ApiKey(name=name, scopes=",".join(scopes), **fields).issue(created_by="test")


@pytest.fixture
def read_key(db) -> str:
    return issue_key("reports", ["read"])


@pytest.fixture
def write_key(db) -> str:
    return issue_key("billing", ["read", "write"])


@pytest.fixture
def alice(mongo):
    return create_user("alice@example.com", 20_000)


def post_json(client, path: str, body, key: str | None = None, **headers):
    if key:
        headers["x-api-key"] = key
    content = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(path, content, content_type="application/json", headers=headers)


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error", "detail"} and body["error"] == code, body
    return body
