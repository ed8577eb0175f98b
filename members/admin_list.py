"""The member changelist's costly parts, done once per page instead of once per cell.

Django's `result_list` looks each of the 450 cells up, formats and escapes it on its
own, and reverses a URL per row; its date hierarchy reads every member to find the
years that have any; its filter sidebar and column heads build some eighty links on
each request. Here the rows are written out in Python with the same markup, the years
are found by index probes, and the sidebar, the table head and the council choices are
kept in the cache: the first two are made from the query string alone, and all three
are used only while the FILTER_CHOICES version that council writes bump is unchanged.
The count and the dates that hold members are kept likewise on the DIRECTORY version,
which every write to members bumps.
`tests/members/test_admin_list.py` holds the markup to Django's own, cell for cell.
"""

import datetime
import hashlib
import html
from collections.abc import Sequence
from itertools import pairwise

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.templatetags.admin_list import date_hierarchy as stock_date_hierarchy
from django.contrib.admin.templatetags.admin_list import result_headers
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.views.main import ERROR_FLAG, PAGE_VAR
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import Exists, Max, Min
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import dateformat, formats, timezone
from django.utils.functional import cached_property
from django.utils.html import conditional_escape, escape
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from network_portal import caching

from .models import Member

# The columns `result_rows` writes out, in list_display order after the checkbox.
COLUMNS = ["name", "email", "role", "council", "status", "appointment", "joined", "last_login"]
# The fields those columns read (MemberAdmin.get_paginator loads only these).
LOADED_FIELDS = [
    "role",
    "status",
    "created_at",
    "user__first_name",
    "user__last_name",
    "user__email",
    "user__last_login",
    "council__name",
]
PARTS_KEY = "fragments:admin-member-list"
# What the rows show: members, their logins and sign-ins, appointments and councils.
ROWS_VERSIONS = [caching.DIRECTORY, caching.LOGINS, caching.FILTER_CHOICES]
_action_fields: dict[tuple, str] = {}  # a handful of action sets: see action_fields
COUNCILS_KEY = "fragments:admin-member-filter-councils"
# The date hierarchy's year probes: the years before this one that are looked at in one query.
YEARS_PROBED = 10
EARLIEST = datetime.datetime.min.replace(tzinfo=datetime.UTC) + datetime.timedelta(days=1)
LATEST = datetime.datetime.max.replace(tzinfo=datetime.UTC) - datetime.timedelta(days=1)


def checkbox(member) -> SafeString:
    """The row's action checkbox, labelled with the member's name (ModelAdmin's own markup)."""
    return mark_safe(  # noqa: S308 - the one interpolated text is escaped  # nosec B308, B703
        f'<input type="checkbox" name="{ACTION_CHECKBOX_NAME}" value="{member.pk}" class="action-select" '
        f'aria-label="Select this object for an action - {_text(member)}">'
    )


def _text(value) -> str:
    """Escaped text for the rows: Django's escape() without its lazy-string wrapper, per cell."""
    return html.escape(str(value))


def result_rows(cl) -> SafeString | None:
    """The table body, or None when the page is not the plain list these rows are written for
    (an editable list, a popup, other columns), so Django's own rendering takes over. The
    rows are kept like the count, for each query string and page, while no member, login,
    sign-in or council has been written since: the page's members are then never read."""
    if cl.formset or cl.is_popup or list(cl.list_display) != ["action_checkbox", *COLUMNS]:
        return None
    if list(cl.list_display_links) != ["name"]:
        return None
    where = (cl.page_num, get_language(), timezone.get_current_timezone_name())
    key = caching.key_for("admin:member-rows", rows_digest(cl.params, *where))
    rows = caching.versioned(key, ROWS_VERSIONS, lambda: _rows(cl))
    return mark_safe(rows)  # noqa: S308 - every text and URL is escaped in _rows  # nosec B308, B703


def _rows(cl) -> str:
    admin = cl.model_admin
    empty = conditional_escape(admin.get_empty_value_display())
    roles, statuses = _labels("role"), _labels("status")
    head, tail = _change_url_parts(cl)
    when = _DateTimes()
    rows = [
        "\n\n<tr>"
        f'<td class="action-checkbox">{checkbox(member)}</td>'
        f'<th class="field-name"><a href="{head}{member.pk}{tail}">{_text(admin.name(member))}</a></th>'
        f'<td class="field-email">{_text(admin.email(member))}</td>'
        f'<td class="field-role">{roles.get(member.role, empty)}</td>'
        f"{_council_cell(member, empty)}"
        f'<td class="field-status">{statuses.get(member.status, empty)}</td>'
        f'<td class="field-appointment">{_text(admin.appointment(member))}</td>'
        f"{_when_cell('joined', admin.joined(member), empty, when)}"
        f"{_when_cell('last_login', admin.last_login(member), empty, when)}"
        "</tr>\n"
        for member in cl.result_list
    ]
    return "".join(rows)


def _labels(field_name: str) -> dict[str, str]:
    return {value: escape(label) for value, label in Member._meta.get_field(field_name).flatchoices}


def _change_url_parts(cl) -> tuple[str, str]:
    """The change link around the pk, with the list's filters kept: reversed once a page."""
    url = reverse(
        f"admin:{cl.opts.app_label}_{cl.opts.model_name}_change",
        args=["PK"],
        current_app=cl.model_admin.admin_site.name,
    )
    url = add_preserved_filters({"preserved_filters": cl.preserved_filters, "opts": cl.opts}, url)
    head, tail = url.split("PK", 1)
    return escape(head), escape(tail)


def _council_cell(member, empty: str) -> str:
    council = member.council
    return f'<td class="field-council nowrap">{empty if council is None else _text(council)}</td>'


def _when_cell(name: str, value: datetime.datetime | None, empty: str, when) -> str:
    if value is None:
        return f'<td class="field-{name}">{empty}</td>'
    return f'<td class="field-{name} nowrap">{_text(when(value))}</td>'


class _DateTimes:
    """What display_for_value shows for a datetime (local time, DATETIME_FORMAT), with the zone
    looked up and the format split into its parts once a page rather than once a cell: the same
    steps as dateformat.format, less its per-call parsing."""

    def __init__(self):
        self.zone = timezone.get_current_timezone()
        parts = dateformat.re_formatchars.split(str(formats.get_format("DATETIME_FORMAT")))
        self.codes = [
            (bool(i % 2), part if i % 2 else dateformat.re_escaped.sub(r"\1", part)) for i, part in enumerate(parts)
        ]

    def __call__(self, value: datetime.datetime) -> str:
        local = dateformat.DateFormat(timezone.localtime(value, self.zone))
        return "".join(str(getattr(local, part)()) if code else part for code, part in self.codes)


def action_fields(action_form) -> str:
    """The action form's fields: the labelled action select and the hidden select-across box.
    Unbound, they show nothing but the actions offered, so a copy is kept in this process for
    each set (which follows the user's permissions): a deploy's new processes start afresh."""

    def render():
        return render_to_string("members/admin/member_action_fields.html", {"action_form": action_form})

    if action_form.is_bound:
        return render()
    choices = tuple((name, str(label)) for name, label in action_form.fields["action"].choices)
    key = (get_language(), choices)
    html = _action_fields.get(key)
    if html is None:
        html = _action_fields[key] = render()
    return html


def date_hierarchy(cl) -> dict | None:
    """Django's date hierarchy context, with the years, months or days that hold members found
    by one query of EXISTS probes (an index range scan each) rather than a DISTINCT over every
    member's date. A single day needs no query, so Django's own code serves it."""
    field_name = cl.date_hierarchy
    names = [f"{field_name}__{part}" for part in ("year", "month", "day")]
    year, month, day = (cl.params.get(name) for name in names)
    if "__" in field_name or day:
        return stock_date_hierarchy(cl)
    if year:
        return _days(cl, names, int(year), int(month)) if month else _months(cl, names, int(year))
    years = _years_held(cl)
    if len(years) != 1 or month:  # a month without a year is a plain filter: Django lists the years
        choices = [{"link": _link(cl, names, str(y)), "title": str(y)} for y in years]
        return {"show": True, "back": None, "choices": choices}
    # Every member joined in one year: start a level down, as Django does.
    months = _held(cl, _month_bounds(years[0]))
    if len(months) == 1:
        return _days(cl, names, years[0], months[0].month)
    return _months(cl, names, years[0], months)


def _years_held(cl) -> list[int]:
    """The years in which the list has members. The probes cover the last YEARS_PROBED years and
    the next; should anyone have joined outside them, the span is read first, as Django does."""
    this_year = timezone.localdate().year
    probed = range(this_year - YEARS_PROBED, this_year + 2)
    bounds = [EARLIEST, *(_start(y) for y in probed), _start(probed.stop), LATEST]
    held = _held(cl, bounds)
    if held and (held[0] == EARLIEST or held[-1] == bounds[-2]):
        span = cl.queryset.aggregate(first=Min(cl.date_hierarchy), last=Max(cl.date_hierarchy))
        first, last = timezone.localtime(span["first"]).year, timezone.localtime(span["last"]).year
        held = _held(cl, [_start(y) for y in range(first, last + 2)])
    return [timezone.localtime(start).year for start in held]


def _link(cl, names, *values) -> str:
    return cl.get_query_string(dict(zip(names, values, strict=False)), [f"{cl.date_hierarchy}__"])


def _months(cl, names, year: int, months=None) -> dict:
    months = months if months is not None else _held(cl, _month_bounds(year))
    choices = [
        {"link": _link(cl, names, year, m.month), "title": capfirst(formats.date_format(m, "YEAR_MONTH_FORMAT"))}
        for m in months
    ]
    return {"show": True, "back": {"link": _link(cl, names), "title": _("All dates")}, "choices": choices}


def _month_bounds(year: int) -> list:
    return [_start(year, m) for m in range(1, 13)] + [_start(year + 1)]


def _days(cl, names, year: int, month: int) -> dict:
    bounds = [_start(year, month, d) for d in range(1, 32)] + [_start(year + month // 12, month % 12 + 1)]
    days = _held(cl, bounds)
    choices = [
        {"link": _link(cl, names, year, month, d.day), "title": capfirst(formats.date_format(d, "MONTH_DAY_FORMAT"))}
        for d in days
    ]
    return {"show": True, "back": {"link": _link(cl, names, year), "title": str(year)}, "choices": choices}


def _start(year: int, month: int = 1, day: int = 1) -> datetime.datetime | None:
    """Midnight local time starting that day, or None for a day the month has not (31 April)."""
    try:
        return timezone.make_aware(datetime.datetime(year, month, day))
    except ValueError:
        return None


def _held(cl, bounds: list) -> list[datetime.datetime]:
    """_probe() of the list's members, kept like the count (KeptCountPaginator)."""
    key = caching.key_for("admin:member-dates", rows_digest(cl.params, bounds))
    return caching.versioned(key, [caching.DIRECTORY], lambda: _probe(cl.queryset, cl.date_hierarchy, bounds))


def rows_digest(params, *more) -> str:
    """For a cache key: which members the list holds. The query string decides it (every
    staff user's list starts from the same queryset), and so does the date, since the
    champion filter follows appointments that start and end with the date alone."""
    shown = sorted((name, value) for name, value in params.items() if name != PAGE_VAR)
    return hashlib.sha256(repr((shown, timezone.localdate(), *more)).encode()).hexdigest()[:32]


def _probe(queryset, field_name: str, bounds: list) -> list[datetime.datetime]:
    """The starts of the periods [bounds[i], bounds[i + 1]) in which the queryset has a row, from one
    query: SELECT EXISTS(<the queryset in period 1>), EXISTS(<... period 2>), ... Each EXISTS is an
    index range scan. The queryset is compiled once, for the first period, and only the two bound
    parameters change from one period to the next: building each EXISTS through the ORM instead
    clones and relabels the whole queryset, annotations and all, once per period."""
    periods = list(pairwise(bound for bound in bounds if bound is not None))
    connection = connections[queryset.db]
    adapt = connection.ops.adapt_datetimefield_value
    first_start, first_end = periods[0]
    probe = queryset.order_by().filter(**{f"{field_name}__gte": first_start, f"{field_name}__lt": first_end})
    sql, params = probe.values("pk")[:1].query.get_compiler(connection=connection).as_sql()
    if list(params[-2:]) != [adapt(first_start), adapt(first_end)]:
        return _held_by_orm(queryset, field_name, periods)  # the bounds are not where expected
    params = [value for start, end in periods for value in [*params[:-2], adapt(start), adapt(end)]]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join([f"EXISTS({sql})"] * len(periods)), params)
        held = cursor.fetchone()
    return [start for (start, _end), found in zip(periods, held, strict=True) if found]


def _held_by_orm(queryset, field_name: str, periods: list) -> list[datetime.datetime]:
    probes = {
        f"p{i}": Exists(queryset.filter(**{f"{field_name}__gte": start, f"{field_name}__lt": end}))
        for i, (start, end) in enumerate(periods)
    }
    found = queryset.model._base_manager.using(queryset.db).order_by().annotate(**probes).values(*probes)[:1]
    held = next(iter(found), {})
    return [start for i, (start, _end) in enumerate(periods) if held.get(f"p{i}")]


def filter_sidebar(cl, request) -> str:
    """The filter sidebar. It shows the query string's choices and the councils, so a copy is
    kept for each query string and used while the FILTER_CHOICES version that council saves bump
    is the one it was rendered at. With facet counts asked for, it shows live figures: rendered
    afresh."""
    if not cl.has_filters:
        return ""

    def render():
        return render_to_string("members/admin/member_change_list_filters.html", {"cl": cl})

    if cl.add_facets:
        return render()
    return _kept(request, _query_key(request, "filters"), render)  # a SafeString, in the cache as out of it


def council_choices(request, build) -> list:
    """The council filter's (pk, name) choices, fetched with the sidebar: no query of their own."""
    return _kept(request, COUNCILS_KEY, build)


def table_head(cl, request) -> str:
    """The results table's <thead>: the column titles and their sort links. Like the sidebar, it
    is made from the query string alone (the sort order and the links that keep the filters)."""

    def render():
        headers = list(result_headers(cl))
        context = {
            "result_headers": headers,
            "num_sorted_fields": sum(1 for header in headers if header["sortable"] and header["sorted"]),
        }
        return render_to_string("members/admin/member_change_list_thead.html", context)

    return _kept(request, _query_key(request, "thead"), render)


def object_tools(context) -> str:
    """The export link and the add link: made from the query string alone (the add link keeps
    all of it, page number too), and the add link shown to those who may add members."""
    request = context["request"]
    template = context.template.engine.get_template("members/admin/member_object_tools.html")
    return _kept(request, _tools_key(request, context.get("has_add_permission")), lambda: template.render(context))


def _tools_key(request, can_add) -> str:
    query = hashlib.sha256(request.GET.urlencode().encode()).hexdigest()[:32]
    return caching.key_for(PARTS_KEY, f"tools-{int(bool(can_add))}", get_language(), query)


def _query_key(request, part: str) -> str:
    """A key for a part made from the query string less the page number, which is all ChangeList
    builds its links from (its filter_params), and the language."""
    params = {name: values for name, values in request.GET.lists() if name not in (PAGE_VAR, ERROR_FLAG)}
    query = urlencode(sorted(params.items()), doseq=True)
    return caching.key_for(PARTS_KEY, part, get_language(), hashlib.sha256(query.encode()).hexdigest()[:32])


def _kept(request, key: str, build):
    """The copy kept under key if it was built at the current FILTER_CHOICES version, else build
    and keep it. Copies carry their version in the value, not the key, so that one round trip
    fetches the version with every copy the page needs (see _copies)."""
    if not caching.fragment_seconds():
        return build()
    copies = _copies(request)
    version = copies[caching.FILTER_CHOICES]
    kept = copies.get(key)
    if kept is not None and kept[0] == version:
        return kept[1]
    value = build()
    cache.set(key, (version, value), caching.fragment_seconds())
    return value


def _copies(request) -> dict:
    copies = getattr(request, "_member_filter_copies", None)
    if copies is None:
        parts = [_query_key(request, "filters"), _query_key(request, "thead")]
        tools = [_tools_key(request, can_add) for can_add in (False, True)]
        keys = [caching.FILTER_CHOICES, COUNCILS_KEY, *parts, *tools]
        copies = cache.get_many(keys)
        if caching.FILTER_CHOICES not in copies:
            copies[caching.FILTER_CHOICES] = caching.version(caching.FILTER_CHOICES)
        request._member_filter_copies = copies
    return copies


class KeptCountPaginator(Paginator):
    """Django's paginator, with the count of the filtered members kept on the DIRECTORY
    version, which every write to members, their logins, email addresses, consents and
    appointments bumps: unfiltered, the count reads the whole table (about 10 ms at
    100,000 members). params: the changelist's query string (see rows_digest)."""

    def __init__(self, *args, params, **kwargs):
        super().__init__(*args, **kwargs)
        self.params = params

    @cached_property
    def count(self) -> int:
        key = caching.key_for("admin:member-count", rows_digest(self.params))
        return caching.versioned(key, [caching.DIRECTORY], lambda: Paginator.count.func(self))

    def _get_page(self, object_list, number, paginator) -> Page:
        # The bounds Paginator.page() sliced object_list with.
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return Page(_PageMembers(object_list, top - bottom), number, paginator)


class _PageMembers(Sequence):
    """A page's members, read from the database when first iterated. Until then the
    changelist only asks how many there are ("0 of 50 selected"), which the kept count
    answers, so a page whose rows are kept (result_rows) reads no member at all."""

    def __init__(self, queryset, size: int):
        self.queryset = queryset
        self.size = size

    @cached_property
    def members(self) -> list:
        return list(self.queryset)

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index):
        return self.members[index]

    def __iter__(self):
        return iter(self.members)
