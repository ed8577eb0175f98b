from django import template

from network_portal import admin_nav, site_layout
from network_portal.markdown import render_markdown
from network_portal.mfa_views import continue_url

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text):
    return render_markdown(text)


@register.simple_tag(takes_context=True)
def mfa_continue_url(context):
    """Where someone who has just set up an authenticator app was going."""
    return continue_url(context["request"])


@register.inclusion_tag("_error_summary.html")
def error_summary(form):
    """The list of a form's problems, each linking to its field, for the top of the page."""
    errors = []
    if hasattr(form, "non_field_errors"):
        errors = [{"message": message, "anchor": None} for message in form.non_field_errors()]
        for field in form:
            for message in field.errors:
                errors.append({"message": f"{field.label}: {message}", "anchor": _field_anchor(field)})
    return {"errors": errors}


def _field_anchor(field) -> str:
    # Radio and checkbox lists have no single labelled input: point at the first choice.
    return field.id_for_label or f"{field.auto_id}_0"


@register.simple_tag(takes_context=True)
def admin_nav_sidebar(context):
    """The admin's navigation sidebar, from network_portal.admin_nav's copies."""
    return admin_nav.nav_sidebar(context)


@register.simple_tag(takes_context=True)
def site_header(context):
    """The site's header and main navigation (network_portal.site_layout)."""
    return site_layout.render(context, "_site_header.html")


@register.simple_tag(takes_context=True)
def site_footer(context):
    """The site's footer (network_portal.site_layout)."""
    return site_layout.render(context, "_site_footer.html")
