"""Keeps LibreChat's MongoDB collections and this tool's own tables apart."""

LIBRECHAT_ALIAS = "librechat"
LIBRECHAT_APPS = {"balances"}


class LibreChatRouter:
    def db_for_read(self, model, **hints):
        return LIBRECHAT_ALIAS if model._meta.app_label in LIBRECHAT_APPS else "default"

    db_for_write = db_for_read

    def allow_relation(self, obj1, obj2, **hints):
        return (obj1._meta.app_label in LIBRECHAT_APPS) == (obj2._meta.app_label in LIBRECHAT_APPS)

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # LibreChat owns its schema: never create or alter anything in its database.
        return db != LIBRECHAT_ALIAS and app_label not in LIBRECHAT_APPS
