from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import SimpleLazyObject
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from members.access import approved_member_required, is_approved_member, membership_refused
from members.models import Member
from network_portal import caching, uploads
from network_portal.http_caching import public_page
from network_portal.ratelimit import rate_limit
from network_portal.signing import InvalidLink, invalid_link_response, read_token

from . import services
from .forms import CaseStudyForm, LibraryFilterForm, PartnerUpdateForm
from .models import CaseStudy, Resource, Update

RESOURCES_PER_PAGE = 20
UPDATES_PER_PAGE = 10
# A year: digests are monthly and old emails are kept, so links must outlive 60 days.
UNSUBSCRIBE_LINK_MAX_AGE_DAYS = 400


@public_page
def library(request):
    form = LibraryFilterForm(request.GET)
    query = request.GET.copy()
    query.pop("page", None)
    # Topics, sources, councils and resources are saved through services that bump FILTER_CHOICES.
    version = caching.version(caching.FILTER_CHOICES)
    context = {
        "form": form,
        # Read only when the cached results below are rendered afresh.
        "page": SimpleLazyObject(lambda: _library_page(request, form)),
        "searching": form.is_valid() and bool(form.cleaned_data["q"]),
        "query": query.urlencode(),
        "form_key": f"{version}:{query.urlencode()}",
        "results_key": _results_key(request, version),
        "fragment_seconds": caching.fragment_seconds(),
    }
    return render(request, "resources/list.html", context)


def _library_page(request, form):
    resources = Resource.objects.visible_to(request.user).for_listing()
    if form.is_valid():
        data = form.cleaned_data
        resources = resources.filtered(
            topic=data["topic"], kind=data["kind"], source=data["source"], visibility=data["visibility"]
        ).search(data["q"])
        by_relevance = bool(data["q"]) and data["sort"] != "newest"
        resources = resources.order_by(*(["-rank"] if by_relevance else []), "-published_at", "-pk")
    else:
        resources = resources.none()
    return Paginator(resources, RESOURCES_PER_PAGE).get_page(request.GET.get("page"))


def _results_key(request, version: int) -> str:
    """What the results depend on besides the writes that bump the version: whether
    drafts are shown (staff), and the next scheduled publication, when the list
    changes by the clock alone."""
    staff = request.user.is_authenticated and request.user.is_staff
    next_publication = caching.next_change(
        caching.key_for("resources:next-publication", version), Resource.objects.first_scheduled
    )
    return f"{version}:{next_publication}:{staff}:{request.GET.urlencode()}"


@public_page
def resource_detail(request, slug):
    resource = get_object_or_404(
        Resource.objects.visible_to(request.user).select_related("source", "council", "case_study__submitter"),
        slug=slug,
    )
    return render(
        request,
        "resources/detail.html",
        {"resource": resource, "may_download": resource.may_download(request.user)},
    )


def resource_download(request, slug):
    resource = get_object_or_404(Resource.objects.visible_to(request.user), slug=slug)
    if not resource.may_download(request.user):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return membership_refused(request)
    if not (resource.has_file or resource.url):
        raise Http404("This resource has nothing to download.")
    services.download_record(resource=resource, user=request.user)
    if resource.has_file:
        return uploads.download_response(file=resource.file, display_name=resource.file_name)
    return redirect(resource.url)


@public_page
def update_list(request):
    updates = Update.objects.visible_to(request.user).order_by("-published_at", "-pk")
    page = Paginator(updates, UPDATES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "resources/update_list.html", {"page": page})


@public_page
def update_detail(request, slug):
    update = get_object_or_404(Update.objects.published().select_related("organisation"), slug=slug)
    if update.members_only and not is_approved_member(request.user):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return membership_refused(request)
    return render(request, "resources/update_detail.html", {"update": update})


@approved_member_required
def update_create(request):
    member = getattr(request.user, "member", None)
    if member is None or member.role != Member.Role.PARTNER or not member.organisation:
        raise PermissionDenied("Only health and care partner members can draft updates.")
    form = PartnerUpdateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.update_submit(member=member, **form.cleaned_data)
        messages.success(request, "Thank you. Staff will check your update before it is published.")
        return redirect("members:account")
    return render(request, "resources/update_form.html", {"form": form, "organisation": member.organisation})


@csrf_exempt  # one-click unsubscribe (RFC 8058) POSTs without a CSRF token; the signed link is the proof
@require_http_methods(["GET", "POST"])
def digest_unsubscribe(request, token):
    try:
        member = read_token(
            token,
            purpose=services.DIGEST_UNSUBSCRIBE_PURPOSE,
            queryset=Member.objects.select_related("user"),
            max_age=timedelta(days=UNSUBSCRIBE_LINK_MAX_AGE_DAYS),
        )
    except InvalidLink:
        return invalid_link_response(request)
    if request.method == "POST":
        services.digest_unsubscribe(member=member)
        return render(request, "resources/digest_unsubscribed.html", {"member": member})
    return render(request, "resources/digest_unsubscribe.html", {"member": member})


@approved_member_required
@rate_limit("casestudy")
def casestudy_create(request):
    member = getattr(request.user, "member", None)
    form = CaseStudyForm(request.POST or None, request.FILES or None, initial={"council": member and member.council})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.casestudy_submit(
            user=request.user,
            council=data["council"],
            title=data["title"],
            topics=data["topics"],
            what_we_did=data["what_we_did"],
            outcome=data["outcome"],
            may_contact=data["may_contact"],
            upload=data["attachment"],
        )
        messages.success(request, "Thank you for sharing your case study. Staff will review it and email you.")
        return redirect("members:account")
    return render(request, "resources/casestudy_form.html", {"form": form})


def casestudy_attachment(request, pk):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    case_study = get_object_or_404(CaseStudy.objects.exclude(file=""), pk=pk)
    if not (request.user.is_staff or case_study.submitter_id == request.user.pk):
        raise PermissionDenied
    return uploads.download_response(file=case_study.file, display_name=case_study.file_name)
