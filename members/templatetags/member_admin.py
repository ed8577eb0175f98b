"""Tags for the member changelist: members/admin_list.py says why each exists."""

from django import template
from django.contrib.admin.templatetags.admin_list import result_list
from django.template.loader import get_template

from members import admin_list

register = template.Library()


@register.simple_tag(takes_context=True)
def member_result_list(context, cl):
    """The results table: its head kept by admin_list.table_head, its rows from admin_list.result_rows."""
    rows = admin_list.result_rows(cl)
    if rows is None:
        return get_template("admin/change_list_results.html").render(result_list(cl))
    thead = admin_list.table_head(cl, context["request"]) if rows else ""
    return get_template("members/admin/member_change_list_results.html").render({"thead": thead, "rows": rows})


@register.inclusion_tag("admin/date_hierarchy.html")
def member_date_hierarchy(cl):
    return admin_list.date_hierarchy(cl)


@register.simple_tag(takes_context=True)
def member_filter_sidebar(context, cl):
    return admin_list.filter_sidebar(cl, context["request"])


@register.simple_tag
def member_action_fields(action_form):
    return admin_list.action_fields(action_form)


@register.simple_tag(takes_context=True)
def member_object_tools(context):
    return admin_list.object_tools(context)
