import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from analytics.management.commands import refresh_usage as refresh_usage_command
from analytics.models import RollupState, UsageRollup
from analytics.testing import spend
from librechat.testing import create_user

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


def refresh(*args) -> str:
    out = io.StringIO()
    call_command("refresh_usage", *args, stdout=out)
    return out.getvalue()


def rollup_rows() -> set[tuple]:
    return set(UsageRollup.objects.values_list(*[f.name for f in UsageRollup._meta.fields]))


@pytest.fixture
def alice(mongo):
    alice = create_user("alice@example.com", 0)
    for hours in (1, 30, 60):
        spend(alice, timezone.now() - timedelta(hours=hours))
    return alice


def test_it_rolls_up_and_says_how_far(alice):
    output = refresh()
    assert output.startswith("Usage rolled up to ")
    assert sum(UsageRollup.objects.values_list("rows", flat=True)) == 3
    assert RollupState.load().covered_until > timezone.now() - timedelta(minutes=1)


def test_running_it_twice_changes_nothing(alice):
    refresh()
    before = rollup_rows()
    refresh()
    assert rollup_rows() == before


def test_rebuild_shows_progress_and_equals_the_incremental_rollups(alice):
    refresh()
    incremental = {row[1:] for row in rollup_rows()}  # without the primary keys
    output = refresh("--rebuild")
    assert "Rebuilding the usage rollups from scratch." in output
    assert "[##############################] 100%" in output
    assert {row[1:] for row in rollup_rows()} == incremental


def test_loop_refreshes_until_interrupted(alice, monkeypatch):
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) == 2:
            raise KeyboardInterrupt
        spend(alice, timezone.now())

    # Only the command's own pause: pymongo's threads sleep too.
    monkeypatch.setattr(refresh_usage_command, "sleep", sleep)
    with pytest.raises(KeyboardInterrupt):
        refresh("--loop", "5")
    assert sleeps == [5, 5]
    assert sum(UsageRollup.objects.values_list("rows", flat=True)) == 4


def test_it_refuses_a_loop_shorter_than_a_second(mongo):
    with pytest.raises(CommandError, match="--loop needs a number of seconds of at least 1"):
        refresh("--loop", "0")
    assert not RollupState.objects.exists()
