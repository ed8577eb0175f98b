from django.contrib.syndication.views import Feed
from django.urls import reverse_lazy
from django.utils.feedgenerator import Atom1Feed

from network_portal.markdown import render_markdown

from .models import Update, Visibility


class PublicUpdatesFeed(Feed):
    """Atom feed of public partner updates (members-only ones never appear)."""

    feed_type = Atom1Feed
    title = "Partner updates – Mentally Healthier Councils Network"
    subtitle = "News and opportunities from London's health and care partners."
    link = reverse_lazy("resources:update-list")

    def items(self):
        return (
            Update.objects.published()
            .filter(visibility=Visibility.PUBLIC)
            .select_related("organisation")
            .order_by("-published_at")[:20]
        )

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return render_markdown(item.body)

    def item_pubdate(self, item):
        return item.published_at

    def item_author_name(self, item):
        return item.organisation.name
