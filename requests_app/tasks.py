"""The admin mail is composed in the worker: the public page does the same work for every email."""

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from requests_app import mail
from requests_app.models import CreditRequest

# While LibreChat's MongoDB is away the mail cannot show the balance: try again after this long.
RETRY_AFTER = timedelta(seconds=60)


@task()
def notify_admins_of_request(request_pk: int) -> None:
    credit_request = CreditRequest.objects.filter(pk=request_pk).first()
    if credit_request is None or not mail.admins_should_hear_of(credit_request):
        return
    try:
        mail.notify_admins(credit_request)
    except mail.LibreChatUnavailable:
        notify_admins_of_request.using(run_after=timezone.now() + RETRY_AFTER).enqueue(request_pk)
