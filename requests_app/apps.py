from django.apps import AppConfig


class RequestsAppConfig(AppConfig):
    name = "requests_app"
    verbose_name = "Credit requests"

    def ready(self):
        from outbox.sending import attempt_finished

        attempt_finished.connect(_record_mail_outcome, dispatch_uid="requests_app.record_mail_outcome")


def _record_mail_outcome(sender, message, **kwargs):
    from requests_app.mail import record_outcome

    record_outcome(message)
