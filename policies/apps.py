from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "policies"
    verbose_name = "Credit policies"

    def ready(self):
        # balances may not import this app: its lists show each user's policy through this registration.
        from balances.extra_columns import register
        from policies.columns import POLICY_COLUMN

        register(POLICY_COLUMN)
