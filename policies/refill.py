"""LibreChat's own auto-refill beside a policy: find the members who have it on, and switch it off, audited."""

from bson import ObjectId

from balances.forms import RefillForm
from balances.models import Balance
from ledger.plans import chunks
from librechat.mongo import librechat_db
from policies.membership import members_of
from policies.models import Policy

REFILL_FIELDS = RefillForm.Meta.fields


def balances_with_auto_refill(policy: Policy) -> list[Balance]:
    """Members whose balance (the earliest document, the one LibreChat reads) has auto-refill on."""
    found_ids: list[ObjectId] = []
    for chunk in chunks((target.user_id for target in members_of(policy)), 2000):
        earliest: dict[ObjectId, dict] = {}
        documents = librechat_db().balances.find({"user": {"$in": chunk}}, {"user": 1, "autoRefillEnabled": 1})
        for document in documents.sort("_id", 1):
            earliest.setdefault(document["user"], document)
        found_ids += [document["_id"] for document in earliest.values() if document.get("autoRefillEnabled") is True]
    return list(Balance.objects.filter(pk__in=found_ids).select_related("user").order_by("pk"))


def switch_off_auto_refill(balances: list[Balance], actor: str) -> tuple[int, list[str]]:
    """(how many were switched off, why others were not), each as the balance page's refill edit does it."""
    switched, problems = 0, []
    for balance in balances:
        data = {name: getattr(balance, name) for name in REFILL_FIELDS}
        data = {name: "" if value is None else value for name, value in data.items()}
        form = RefillForm({**data, "auto_refill_enabled": "false"}, instance=balance)
        if not form.is_valid():
            email = balance.user.email if balance.user else str(balance.user_id)
            problems.append(f"{email}: {'; '.join(error for errors in form.errors.values() for error in errors)}")
            continue
        balance.save(update_fields=["auto_refill_enabled"])
        form.record_changes(actor=actor)
        switched += 1
    return switched, problems
