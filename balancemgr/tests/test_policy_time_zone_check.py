"""A start-up check for the credit policies' time zone."""

from balancemgr.checks import check_policy_time_zone


def test_an_unknown_policy_time_zone_is_an_error(settings):
    settings.POLICY_TIME_ZONE = "Mars/Olympus_Mons"
    (error,) = check_policy_time_zone(None)
    assert error.id == "balancemgr.E020" and "Mars/Olympus_Mons" in error.msg


def test_an_iana_time_zone_passes(settings):
    settings.POLICY_TIME_ZONE = "Europe/Berlin"
    assert check_policy_time_zone(None) == []
