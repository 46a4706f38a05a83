"""Keeps LibreChat's MongoDB collections and this tool's own tables apart."""

LIBRECHAT_ALIAS = "librechat"
LIBRECHAT_APP = "librechat"


def _is_librechat(model) -> bool:
    # By the concrete model, so the admin's proxies of LibreChat's models (balances.Balance) go there too.
    return model._meta.concrete_model._meta.app_label == LIBRECHAT_APP


class LibreChatRouter:
    def db_for_read(self, model, **hints):
        return LIBRECHAT_ALIAS if _is_librechat(model) else "default"

    db_for_write = db_for_read

    def allow_relation(self, obj1, obj2, **hints):
        return _is_librechat(type(obj1)) == _is_librechat(type(obj2))

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # LibreChat owns its schema: never create or alter anything in its database.
        return db != LIBRECHAT_ALIAS and app_label != LIBRECHAT_APP
