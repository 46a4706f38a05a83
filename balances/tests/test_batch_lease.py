"""A batch another process holds: the batch commands say who holds it and until when, and apply nothing.

Taking over a killed runner's lease and `--wait` run real processes: ledger/tests/test_crash_recovery.py.
"""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from ledger.models import ChangeBatch
from librechat.testing import create_user, credits_of

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


def test_a_batch_held_on_another_host_names_its_holder_and_when_it_frees(mongo):
    alice = create_user("alice@example.com", 100)
    args = ["bulk_topup", "--all", "--add", "5", "--yes", "--batch-id", "held"]
    call_command(*args, stdout=io.StringIO(), stderr=io.StringIO())
    bob = create_user("bob@example.com", 100)
    frees_at = timezone.now() + timedelta(seconds=45)
    ChangeBatch.objects.update(lease_owner="worker-7[4026531836]:4242:ab12cd34", lease_expires_at=frees_at)

    with pytest.raises(CommandError) as raised:
        call_command(*args, stdout=io.StringIO(), stderr=io.StringIO())

    assert raised.value.returncode == 2
    message = str(raised.value)
    assert "being applied by process 4242 on host worker-7 (1 user done so far)" in message
    assert f"its lease frees at {frees_at:%Y-%m-%d %H:%M:%S} UTC" in message and "--wait" in message
    assert (credits_of(alice), credits_of(bob)) == (105, 100)
