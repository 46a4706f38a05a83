from django.db import migrations, models


def flag_later_pending_requests_as_duplicates(apps, schema_editor):
    # Requests sent at the same moment before this constraint could both be pending and mailed;
    # the earliest stays the one answered, the others become the duplicates they were.
    CreditRequest = apps.get_model("requests_app", "CreditRequest")
    seen_emails = set()
    pending = CreditRequest.objects.filter(status="pending", is_duplicate=False).order_by("created_at", "id")
    for credit_request in pending.only("id", "email").iterator():
        if credit_request.email in seen_emails:
            CreditRequest.objects.filter(pk=credit_request.pk).update(is_duplicate=True)
        seen_emails.add(credit_request.email)


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0001_credit_requests"),
    ]

    operations = [
        migrations.RunPython(flag_later_pending_requests_as_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="creditrequest",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_duplicate", False), ("status", "pending")),
                fields=("email",),
                name="one_mailed_pending_request_per_email",
            ),
        ),
    ]
