import os
import subprocess
import sys

import pytest
from django.conf import settings

from librechat.embedded_mongo import free_port


def test_manage_py_check_names_the_uri_in_one_line():
    uri = f"mongodb://backup:s3cret@127.0.0.1:{free_port()}/LibreChat"
    env = {**os.environ, "MONGO_URI": uri, "MONGO_TIMEOUT_MS": "200", "DEBUG": "1"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if "balancemgr.W001" in line]
    assert len(lines) == 1
    assert "Cannot reach LibreChat's MongoDB at mongodb://backup:***@127.0.0.1" in lines[0]
    assert "s3cret" not in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.django_db(databases=["default", "librechat"])
def test_admin_pages_say_mongo_is_unreachable(admin_client, unreachable_mongo):
    response = admin_client.get("/admin/balances/librechatuser/")
    assert response.status_code == 503
    assert f"Cannot reach LibreChat&#x27;s MongoDB at {unreachable_mongo}" in response.content.decode()
