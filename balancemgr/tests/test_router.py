import pytest
from django.apps import apps
from django.db import connections, router

from librechat.models import Agent, Balance, LibreChatUser, Transaction

LIBRECHAT_MODELS = [LibreChatUser, Balance, Transaction, Agent]


@pytest.mark.django_db
def test_no_librechat_collection_is_created_in_sqlite():
    tables = set(connections["default"].introspection.table_names())
    assert not tables & {"users", "balances", "transactions", "agents"}
    assert "audit_balancechange" in tables


@pytest.mark.parametrize("model", LIBRECHAT_MODELS)
def test_librechat_models_read_and_write_mongo(model):
    assert router.db_for_read(model) == "librechat"
    assert router.db_for_write(model) == "librechat"
    assert model._meta.managed is False


def test_our_models_stay_in_the_default_database():
    from ledger.models import BalanceChange

    assert router.db_for_write(BalanceChange) == "default"


def test_no_migration_ever_touches_mongo():
    for app_config in apps.get_app_configs():
        for model in app_config.get_models():
            assert not router.allow_migrate("librechat", app_config.label, model_name=model._meta.model_name)
    for model in LIBRECHAT_MODELS:
        assert not router.allow_migrate("default", model._meta.app_label, model_name=model._meta.model_name)


def test_the_admins_proxies_of_librechat_models_read_and_write_mongo():
    from balances import models as admin_proxies

    for model in (admin_proxies.LibreChatUser, admin_proxies.Balance, admin_proxies.Transaction):
        assert router.db_for_read(model) == "librechat"
        assert router.db_for_write(model) == "librechat"


def test_relations_stay_within_one_database():
    from ledger.models import ChangeBatch

    assert router.allow_relation(Balance(), LibreChatUser())
    assert not router.allow_relation(Balance(), ChangeBatch())
