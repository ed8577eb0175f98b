"""Retire every member's cached downloads and submissions on My account
(resources.templatetags.resources.my_resources) on any save or delete of what they
show: through a service, the admin or a cascade. Bulk update() sends no signal, so
the services that use it bump MY_RESOURCES themselves."""

from network_portal import caching

from .models import CaseStudy, Download, Resource, Update

caching.bump_on_writes(caching.MY_RESOURCES, [Download, CaseStudy, Update, Resource])
