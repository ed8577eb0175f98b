from django import template

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
