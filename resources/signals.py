"""Retire every member's cached downloads and submissions on My account
(resources.templatetags.resources.my_resources) on any save or delete of what they
show: through a service, the admin or a cascade. Bulk update() sends no signal, so
the services that use it bump MY_RESOURCES themselves."""

from django.db.models.signals import post_delete, post_save

from network_portal import caching

from .models import CaseStudy, Download, Resource, Update


def _retire_my_resources(**kwargs) -> None:
    caching.bump(caching.MY_RESOURCES)


for model in (Download, CaseStudy, Update, Resource):
    for signal in (post_save, post_delete):
        signal.connect(_retire_my_resources, sender=model, dispatch_uid=f"my-resources-{model.__name__}")
