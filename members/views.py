import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import mark_safe
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from network_portal import caching, fragments
from network_portal.client_address import client_address
from network_portal.http_caching import public_page
from network_portal.signing import InvalidLink, invalid_link_response, read_token

from . import services
from .access import approved_member_required, is_approved_member
from .consents import WORDINGS
from .forms import ConsentForm, ContactForm, DeleteAccountForm, DirectoryFilterForm, ProfileForm, ReconfirmForm
from .models import Appointment, Council, Member, Reconfirmation

# News goes out only to members who agreed to it, so the unsubscribe link may live long.
NEWS_UNSUBSCRIBE_MAX_AGE = timedelta(days=400)

TRAINING_COVERAGE_TEMPLATE = "training/_council_coverage.html"


def _member_or_404(request) -> Member:
    member = getattr(request.user, "member", None)
    if member is None:
        raise Http404("This login has no membership.")
    return member


# --- My account -----------------------------------------------------------------


@login_required
@fragments.kept_sections
def account(request):
    member = getattr(request.user, "member", None)
    consents = [(wording, getattr(member, f"consent_{kind}")) for kind, wording in WORDINGS.items()] if member else []
    return render(request, "members/account.html", {"member": member, "consents": consents})


@login_required
def profile_edit(request):
    member = _member_or_404(request)
    form = ProfileForm(request.POST or None, member=member, initial=ProfileForm.initial_for(member))
    if request.method == "POST" and form.is_valid():
        services.member_profile_update(member=member, **form.cleaned_data)
        messages.success(request, "Your profile has been updated.")
        return redirect("members:account")
    return render(request, "members/profile_form.html", {"form": form, "member": member})


@login_required
@require_POST
def consent_update(request):
    member = _member_or_404(request)
    form = ConsentForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That consent change was not understood, so nothing changed.")
        return redirect("members:account")
    wording = WORDINGS[form.cleaned_data["kind"]]
    granted = form.cleaned_data["granted"]
    services.consent_set(member=member, kind=wording.kind, granted=granted, wording_version=wording.version)
    messages.success(request, f"Saved: {wording.label.lower()} – {'yes' if granted else 'no'}.")
    return redirect("members:account")


@login_required
@require_POST
def data_export(request):
    data = services.member_data_export(user=request.user)
    response = HttpResponse(
        json.dumps(data, indent=2, default=str, ensure_ascii=False), content_type="application/json; charset=utf-8"
    )
    filename = f"my-network-portal-data-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def account_delete(request):
    form = DeleteAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.member_erase(user=request.user)
        logout(request)
        messages.success(request, "Your account has been deleted and your personal details removed.")
        return redirect("home")
    return render(request, "members/account_delete.html", {"form": form})


# --- Directory, champions and councils --------------------------------------------


@approved_member_required
def directory(request):
    # Built only when read: by the base layout's error summary, which an empty query cannot
    # have, and when the cached body is rendered afresh.
    form = SimpleLazyObject(lambda: DirectoryFilterForm(request.GET or None))
    body = caching.versioned(
        _directory_key(request), (caching.DIRECTORY, caching.FILTER_CHOICES), lambda: _directory_body(request, form)
    )
    context = {
        # The cache keeps a plain string; it is the output of our own template, escaped there.
        "body": mark_safe(body),  # noqa: S308  # nosec B308, B703
        "form": form if request.GET else None,
    }
    return render(request, "members/directory.html", context)


def _directory_key(request) -> str:
    """The filter form, the count, the member cards and the page links depend on the query,
    on the DIRECTORY version (bumped by every write to the members, logins, appointments,
    interests and councils they show: see members/signals.py), on FILTER_CHOICES (the
    councils and topics offered) and, by the clock alone, on the date, with which
    appointments start and end. They are the same for every member who may see them."""
    query = hashlib.md5(request.GET.urlencode().encode(), usedforsecurity=False).hexdigest()
    return caching.key_for("members:directory", timezone.localdate(), query)


def _directory_body(request, form) -> str:
    members = Member.objects.in_directory()
    if form.is_bound and form.is_valid():
        members = form.filter(members)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": Paginator(members, settings.MEMBERS_DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page")),
        "query": query.urlencode(),
    }
    return str(render_to_string("members/_directory_body.html", context))


@public_page
def champions(request):
    councils = list(Council.objects.with_current_appointments())
    context = {
        "recorded": [council for council in councils if council.current_appointments],
        "unrecorded": [council for council in councils if not council.current_appointments],
    }
    return render(request, "members/champions.html", context)


@public_page
def council_list(request):
    return render(request, "members/council_list.html", {"councils": Council.objects.order_by("name")})


@public_page
def council_detail(request, slug):
    council = get_object_or_404(Council.objects.with_member_counts(), slug=slug)
    appointments = Appointment.objects.current().filter(council=council).select_related("member__user")
    context = {
        "council": council,
        "appointments": appointments,
        "show_names": is_approved_member(request.user),
        "show_training_coverage": _template_exists(TRAINING_COVERAGE_TEMPLATE),
    }
    return render(request, "members/council_detail.html", context)


def _template_exists(name: str) -> bool:
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return False
    return True


# --- Election cycle -------------------------------------------------------------


def reconfirm(request, token):
    try:
        request_row = read_token(
            token,
            purpose=services.RECONFIRM_PURPOSE,
            queryset=Reconfirmation.objects.select_related("member__user", "member__council"),
        )
    except InvalidLink:
        return invalid_link_response(request)
    form = ReconfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        still_serving = form.cleaned_data["answer"] == "yes"
        try:
            services.reconfirmation_answer(reconfirmation=request_row, still_serving=still_serving)
        except services.MembershipError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _reconfirm_thanks(still_serving))
        return redirect("members:reconfirm", token=token)
    return render(request, "members/reconfirm.html", {"reconfirmation": request_row, "form": form})


def _reconfirm_thanks(still_serving: bool) -> str:
    if still_serving:
        return "Thank you: your membership continues as before."
    return "Thank you for letting us know. You are now a former councillor and keep your training record."


# --- Contact the team -------------------------------------------------------------


def contact(request):
    form = ContactForm(request.POST or None, initial=_contact_initial(request.GET))
    if request.method == "POST" and form.is_valid():
        # Spam gets the same thanks as a real enquiry, so bots learn nothing.
        if not form.is_spam and not _contact_rate_limited(request):
            services.enquiry_create(**form.enquiry_data())
        messages.success(request, "Thank you. Your message has been sent to the Thrive LDN team.")
        return redirect("members:contact")
    return render(request, "members/contact.html", {"form": form})


def _contact_initial(query) -> dict:
    """A link can name the council (by slug) the enquiry is about, as the champions page does."""
    council = Council.objects.filter(slug=query.get("council", "")).first()
    if council is None:
        return {}
    return {"council": council, "message": f"The mental health champion or lead officer for {council.name} is: "}


def _contact_rate_limited(request) -> bool:
    key = f"members:contact:{client_address(request)}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, timeout=3600)
        count = 1
    return count > settings.MEMBERS_CONTACT_RATE_LIMIT


@csrf_exempt  # one-click unsubscribe (RFC 8058) POSTs without a CSRF token; the signed link is the proof
@require_http_methods(["GET", "POST"])
def news_unsubscribe(request, token):
    try:
        member = read_token(
            token,
            purpose=services.NEWS_UNSUBSCRIBE_PURPOSE,
            queryset=Member.objects.select_related("user"),
            max_age=NEWS_UNSUBSCRIBE_MAX_AGE,
        )
    except InvalidLink:
        return invalid_link_response(request)
    done = request.method == "POST"
    if done:
        services.member_news_unsubscribe(member=member)
    return render(request, "members/news_unsubscribe.html", {"member": member, "done": done})
