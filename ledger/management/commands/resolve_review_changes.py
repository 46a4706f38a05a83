from bson import ObjectId

from ledger.changes import run_batch
from ledger.models import BalanceChange
from librechat.commands import LibreChatCommand
from librechat.documents import credits_number
from librechat.mongo import librechat_db

Status = BalanceChange.Status


class Command(LibreChatCommand):
    help = (
        "Settle 'needs review' changes left by versions before the change-id marker: an add interrupted "
        "after LibreChat's transaction row was written. Where the user's balance has not moved since, "
        "it tells applied from not applied (balance equals the recorded after, or the before); anything "
        "else is listed for a person. Dry run unless --apply. Exit codes: 0 done, 1 MongoDB unreachable."
    )

    def add_arguments(self, parser):
        parser.add_argument("--apply", action="store_true", help="Record the verdicts and finish unapplied adds.")

    def handle(self, *args, apply: bool, **options):
        changes = list(BalanceChange.objects.filter(status=Status.REVIEW).select_related("batch"))
        if not changes:
            self.stdout.write("No changes need review.")
            return
        to_finish = []
        for change in changes:
            verdict = review_verdict(change)
            self.stdout.write(f"{change.email} (batch {change.batch.batch_id}): {verdict}")
            if apply and verdict == "applied":
                BalanceChange.objects.filter(pk=change.pk, status=Status.REVIEW).update(status=Status.APPLIED)
            elif apply and verdict == "not applied":
                BalanceChange.objects.filter(pk=change.pk, status=Status.REVIEW).update(status=Status.PENDING)
                to_finish.append(change.batch)
        for batch in {batch.pk: batch for batch in to_finish}.values():
            run_batch(batch)  # the transaction row exists; the guarded $inc applies the credit once
        if not apply:
            self.stdout.write("Dry run: nothing was changed. Re-run with --apply.")


def review_verdict(change: BalanceChange) -> str:
    """'applied', 'not applied', or why a person must decide."""
    if change.batch.kind != "add" or change.after_credits is None:
        return "needs a person: not an add with recorded before/after"
    database = librechat_db()
    user_id, transaction_id = ObjectId(change.librechat_user_id), ObjectId(change.transaction_id)
    if database.transactions.count_documents({"_id": transaction_id}) == 0:
        return "not applied"  # its transaction row never landed, so neither did the balance update
    if database.transactions.count_documents({"user": user_id, "_id": {"$gt": transaction_id}}, limit=1):
        return "needs a person: the user has transactions since the change"
    document = database.balances.find_one({"user": user_id}, {"tokenCredits": 1}, sort=[("_id", 1)])
    current = credits_number((document or {}).get("tokenCredits", 0))
    if current == change.after_credits:
        return "applied"
    if current == (change.before_credits or 0):
        return "not applied"
    return f"needs a person: the balance {current!r} is neither the before nor the after"
