from datetime import timedelta
from urllib.parse import quote

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from requests_app import decisions, intake, links
from requests_app.forms import CreditRequestForm, CustomAmountForm, RejectForm
from requests_app.models import CreditRequest
from web.client_ip import client_ip
from web.i18n import in_visitor_language

DECISION_FORMS = {links.CUSTOM: CustomAmountForm, links.REJECT: RejectForm}


@in_visitor_language
@require_http_methods(["GET", "POST"])
def request_credits(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        # Low-balance mails link here with the user's address filled in (escaped by the template).
        form = CreditRequestForm(initial={"email": request.GET.get("email", "")[:254]})
        return render(request, "requests_app/public/request_form.html", {"form": form})
    form = CreditRequestForm(request.POST)
    if form.is_bot:
        return redirect("requests_app:sent")
    # Only valid posts count against the limits: a typo must not lock out everyone behind one address.
    if not form.is_valid():
        return render(request, "requests_app/public/request_form.html", {"form": form}, status=400)
    ip = client_ip(request)
    email = form.cleaned_data["email"]
    if wait_seconds := intake.seconds_until_email_allowed(email, ip) or intake.seconds_until_ip_allowed(ip):
        return _too_many_requests(request, form, wait_seconds)
    intake.record_request(
        email=email,
        reference=form.cleaned_data["reference"],
        amount_wished_credits=form.cleaned_data["amount_wished"],
        reason=form.cleaned_data["reason"],
        client_ip=ip,
    )
    return redirect("requests_app:sent")


@in_visitor_language
def request_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "requests_app/public/request_sent.html")


@require_http_methods(["GET", "POST"])
def decide(request: HttpRequest, request_id: int, action: str, token: str) -> HttpResponse:
    """A signed link from the admin mail: GET only shows what will happen (mail scanners open links), POST decides."""
    try:
        link = links.read_link(request_id, action, token)
    except links.ExpiredLink:
        admin_url = reverse("admin:requests_app_creditrequest_change", args=[request_id])
        return _notice(request, "This link has expired", "Decide the request in the admin instead.", 410, admin_url)
    except links.BadLink as exc:
        return _notice(request, "This link is not valid", str(exc), status=400)
    if settings.APPROVAL_LINKS_REQUIRE_LOGIN and not request.user.has_perm("requests_app.change_creditrequest"):
        if not request.user.is_authenticated:
            return redirect(f"{reverse('admin:login')}?next={quote(request.get_full_path())}")
        return _notice(request, "Not allowed", "Your account may not decide credit requests.", status=403)
    credit_request = CreditRequest.objects.filter(pk=request_id).first()
    if credit_request is None:
        return _notice(request, "No such request", "This request no longer exists.", status=404)
    if credit_request.status != CreditRequest.Status.PENDING:
        status = 409 if request.method == "POST" else 200
        return _notice(request, "Already decided", decisions.already_decided(credit_request), status=status)
    form_class = DECISION_FORMS.get(link.action)
    initial = {"amount": credit_request.amount_wished_credits}
    form = form_class(request.POST if request.method == "POST" else None, initial=initial) if form_class else None
    context = {
        "credit_request": credit_request,
        "link": link,
        "form": form,
        "reference_label": settings.REQUEST_REFERENCE_LABEL,
        "decided_by": _decided_by(request, link),
    }
    if request.method == "GET" or (form is not None and not form.is_valid()):
        status = 200 if request.method == "GET" else 400
        return render(request, "requests_app/public/decide_confirm.html", context, status=status)
    try:
        _apply(credit_request, link, form, context["decided_by"])
    except decisions.DecisionRefused as exc:
        return _notice(request, "Not decided", str(exc), status=409)
    return render(request, "requests_app/public/decide_done.html", context)


def _decided_by(request: HttpRequest, link: links.Link) -> str:
    # Signed in to confirm: the staff member who pressed the button decided, whoever the mail went to.
    if settings.APPROVAL_LINKS_REQUIRE_LOGIN:
        return request.user.get_username()
    return link.recipient


def _apply(credit_request: CreditRequest, link: links.Link, form, decided_by: str) -> None:
    channel = CreditRequest.Channel.EMAIL_LINK
    if link.action == links.REJECT:
        decisions.reject(credit_request, note=form.cleaned_data["note"], decided_by=decided_by, channel=channel)
        return
    amount = link.amount_credits if link.action == links.APPROVE else form.cleaned_data["amount"]
    decisions.approve(credit_request, amount_credits=amount, decided_by=decided_by, channel=channel)


def _too_many_requests(request: HttpRequest, form: CreditRequestForm, wait_seconds: int) -> HttpResponse:
    """The form again with what was typed, and when it may be sent."""
    minutes = max(1, round(wait_seconds / 60))
    retry_at = timezone.localtime(timezone.now() + timedelta(seconds=wait_seconds))
    too_many = ngettext("%(minutes)d minute", "%(minutes)d minutes", minutes) % {"minutes": minutes}
    context = {"form": form, "too_many": too_many, "retry_at": retry_at}
    response = render(request, "requests_app/public/request_form.html", context, status=429)
    response["Retry-After"] = str(wait_seconds)
    return response


def _notice(request, title: str, message: str, status: int, admin_url: str = "") -> HttpResponse:
    context = {"title": title, "message": message, "admin_url": admin_url}
    return render(request, "requests_app/public/notice.html", context, status=status)
