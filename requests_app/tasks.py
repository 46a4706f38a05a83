"""What happens to a new request in the worker: who sent it, and the admin mail.

The public page only stores the request and queues this task, the same work for every email; looking
the email up in LibreChat (a case-insensitive scan for emails not found at once) and composing the mail
would make its response time tell who has an account.
"""

from datetime import timedelta

from django.utils import timezone
from django_tasks import task
from pymongo.errors import PyMongoError

from ledger.changes import targets_for_emails
from librechat.mongo import connection_failure_behind, describe_mongo_error
from librechat.queries import tenant_ids
from requests_app import mail
from requests_app.models import CreditRequest

# While LibreChat's MongoDB is away the request cannot be matched or the mail show the balance.
RETRY_AFTER = timedelta(seconds=60)


@task()
def identify_and_notify_admins(request_pk: int) -> None:
    credit_request = CreditRequest.objects.filter(pk=request_pk, status=CreditRequest.Status.PENDING).first()
    if credit_request is None:
        return
    try:
        _identify(credit_request)
        if mail.admins_should_hear_of(credit_request):
            mail.notify_admins(credit_request)
    except mail.LibreChatUnavailable:
        identify_and_notify_admins.using(run_after=timezone.now() + RETRY_AFTER).enqueue(request_pk)


def _identify(credit_request: CreditRequest) -> None:
    """Set the LibreChat user of the request's email; stays empty when no single user has it."""
    try:
        targets, _unknown, _ambiguous = targets_for_emails([credit_request.email])
        tenants = tenant_ids([targets[0].user_id]) if targets else {}
    except Exception as exc:
        if not isinstance(exc, PyMongoError) and connection_failure_behind(exc) is None:
            raise
        credit_request.notify_error = f"LibreChat's MongoDB: {describe_mongo_error(exc)}"
        credit_request.save(update_fields=["notify_error"])
        raise mail.LibreChatUnavailable from exc
    credit_request.librechat_user_id = str(targets[0].user_id) if targets else ""
    tenant_id = tenants.get(targets[0].user_id) if targets else None
    credit_request.tenant_id = tenant_id if isinstance(tenant_id, str) else ""
    credit_request.save(update_fields=["librechat_user_id", "tenant_id"])
