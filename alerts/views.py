"""The pages behind alert links. GET only shows what will happen (mail scanners open links); POST acts."""

from urllib.parse import quote

from bson import ObjectId
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from alerts import links
from alerts.preferences import set_low_balance_mails
from ledger.changes import Kind, LedgerError, Target, change_one
from ledger.models import ChangeBatch
from librechat.credits import format_credits_and_usd
from web.i18n import in_visitor_language


@require_http_methods(["GET", "POST"])
@in_visitor_language
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user_id, email = links.read_unsubscribe(token)
    except links.BadLink as exc:
        return _notice(request, "This link is not valid", str(exc), status=400)
    if request.method == "GET":
        return render(request, "alerts/unsubscribe_confirm.html", {"email": email})
    set_low_balance_mails(user_id, email, wanted=False)
    message = _("%(email)s gets no more low-balance mails.") % {"email": email}
    return _notice(request, _("Unsubscribed"), message, status=200)


@require_http_methods(["GET", "POST"])
def top_up(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = links.read_top_up(token)
    except links.ExpiredLink:
        return _notice(request, "This link has expired", "Top the user up in the admin instead.", status=410)
    except links.BadLink as exc:
        return _notice(request, "This link is not valid", str(exc), status=400)
    if settings.APPROVAL_LINKS_REQUIRE_LOGIN and not request.user.has_perm("balances.change_credits"):
        if not request.user.is_authenticated:
            return redirect(f"{reverse('admin:login')}?next={quote(request.get_full_path())}")
        return _notice(request, "Not allowed", "Your account may not top up balances.", status=403)
    context = {"link": link, "amount": format_credits_and_usd(link.amount_credits, " credits")}
    if request.method == "GET":
        return render(request, "alerts/top_up_confirm.html", context)
    actor = request.user.get_username() if request.user.is_authenticated else link.recipient
    if ChangeBatch.objects.filter(batch_id=link.batch_id).exists():
        return _notice(request, "Already used", "This link has already topped the user up once.", status=409)
    target = Target(user_id=ObjectId(link.user_id), email=link.email)
    try:
        change = change_one(
            target,
            kind=Kind.ADD,
            amount_credits=link.amount_credits,
            source=ChangeBatch.Source.ALERT,
            actor=actor,
            reason="Top-up from a low-balance digest link",
            batch_id=link.batch_id,
        )
    except LedgerError as exc:
        return _notice(request, "Not topped up", str(exc), status=409)
    return render(request, "alerts/top_up_done.html", {**context, "change": change})


def _notice(request, title: str, message: str, status: int) -> HttpResponse:
    return render(request, "alerts/notice.html", {"title": title, "message": message}, status=status)
