from django.apps import AppConfig


class RequestsAppConfig(AppConfig):
    name = "requests_app"
    verbose_name = "Credit requests"

    def ready(self):
        from outbox.sending import attempt_finished
        from requests_app.mail import record_outcome

        # The outbox knows nothing of credit requests: each send attempt's outcome is written back here.
        attempt_finished.connect(
            lambda sender, message, **kwargs: record_outcome(message),
            dispatch_uid="requests_app.record_mail_outcome",
            weak=False,
        )
