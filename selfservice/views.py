"""/me/: LibreChat users sign in by email link and read their statement."""

from collections.abc import Callable
from functools import wraps

from bson import ObjectId
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST
from pymongo.errors import PyMongoError

from alerts.preferences import low_balance_mails_on, set_low_balance_mails
from librechat.mongo import connection_failure_behind
from requests_app import intake
from selfservice import signin
from selfservice.forms import SignInForm, VerifiedRequestForm
from selfservice.statement import PERIOD_DAYS, statement_for
from web.client_ip import client_ip
from web.i18n import in_visitor_language


def public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """In the visitor's language; an unreachable LibreChat says "later" without any address or error text."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Exception as exc:
            if not isinstance(exc, PyMongoError) and connection_failure_behind(exc) is None:
                raise
            return _notice(request, _("Please try again later"), _("Your credits cannot be shown right now."), 503)

    return in_visitor_language(wrapper)


@public_page
@require_http_methods(["GET", "POST"])
def statement(request: HttpRequest) -> HttpResponse:
    session = signin.current_session(request)
    if session is None:
        return _sign_in(request)
    return _statement_page(request, session, VerifiedRequestForm())


def _sign_in(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "selfservice/sign_in.html", {"form": SignInForm()})
    form = SignInForm(request.POST)
    # Only valid posts count against the limits, as on /request/: a typo sends nothing.
    if not form.is_valid():
        return render(request, "selfservice/sign_in.html", {"form": form}, status=400)
    email = form.cleaned_data["email"]
    if wait_seconds := signin.seconds_until_email_allowed(email) or signin.seconds_until_ip_allowed(client_ip(request)):
        return _too_many_requests(request, wait_seconds)
    signin.send_sign_in_link(email)
    return redirect("selfservice:sent")


@public_page
def link_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "selfservice/link_sent.html", {"ttl_minutes": settings.ME_LINK_TTL_MINUTES})


@public_page
@require_http_methods(["GET", "POST"])
def open_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET only shows a Continue button (mail scanners open links); its POST signs in."""
    try:
        if request.method == "GET":
            link = signin.check_link(token)
            return render(request, "selfservice/continue.html", {"email": link.email})
        session = signin.redeem_link(token)
    except signin.ExpiredLink:
        return _notice(request, _("This link has expired"), _("Ask for a new sign-in link."), 410)
    except signin.UsedLink:
        return _notice(request, _("This link was already used"), _("Ask for a new sign-in link."), 410)
    except signin.BadLink:
        return _notice(request, _("This link is not valid"), _("Ask for a new sign-in link."), 400)
    response = redirect("selfservice:statement")
    signin.set_session_cookie(request, response, session)
    return response


@public_page
@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    signin.end_session(request)
    response = redirect("selfservice:statement")
    signin.delete_session_cookie(response)
    return response


@public_page
@require_POST
def request_credits(request: HttpRequest) -> HttpResponse:
    session = signin.current_session(request)
    if session is None:
        return redirect("selfservice:statement")
    form = VerifiedRequestForm(request.POST)
    if not form.is_valid():
        return _statement_page(request, session, form, status=400)
    if wait_seconds := intake.seconds_until_email_allowed(session.email, client_ip(request)):
        return _too_many_requests(request, wait_seconds)
    intake.record_request(
        email=session.email,
        reference=form.cleaned_data["reference"],
        amount_wished_credits=form.cleaned_data["amount_wished"],
        reason=form.cleaned_data["reason"],
        client_ip=client_ip(request),
        email_verified=True,
    )
    return redirect(f"{reverse('selfservice:statement')}?requested=1#requests")


@public_page
@require_POST
def low_balance_mails(request: HttpRequest) -> HttpResponse:
    """The user's own switch for the low-balance mails (the same opt-out as the mails' unsubscribe link)."""
    session = signin.current_session(request)
    if session is None:
        return redirect("selfservice:statement")
    set_low_balance_mails(session.librechat_user_id, session.email, wanted=request.POST.get("wanted") == "on")
    return redirect(f"{reverse('selfservice:statement')}#mails")


def _statement_page(request: HttpRequest, session, form: VerifiedRequestForm, status: int = 200) -> HttpResponse:
    days_text = request.GET.get("days", "")
    days = int(days_text) if days_text in {str(days) for days in PERIOD_DAYS} else PERIOD_DAYS[0]
    context = {
        "session": session,
        "statement": statement_for(ObjectId(session.librechat_user_id), session.email, days),
        "period_days": PERIOD_DAYS,
        "form": form,
        "requested": request.GET.get("requested") == "1",
        "low_balance_mails": low_balance_mails_on(session.librechat_user_id),
    }
    return render(request, "selfservice/statement.html", context, status=status)


def _too_many_requests(request: HttpRequest, wait_seconds: int) -> HttpResponse:
    minutes = max(1, round(wait_seconds / 60))
    message = ngettext(
        "Too many requests. Please try again in %(minutes)d minute.",
        "Too many requests. Please try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}
    response = _notice(request, _("Too many requests"), message, status=429)
    response["Retry-After"] = str(wait_seconds)
    return response


def _notice(request: HttpRequest, title: str, message: str, status: int) -> HttpResponse:
    return render(request, "requests_app/public/notice.html", {"title": title, "message": message}, status=status)
