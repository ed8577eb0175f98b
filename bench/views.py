from django.shortcuts import render

from members.models import Council


def ceiling(request):
    """The least a Django page can do here: one query, one small template.

    Its rate is the ceiling the real pages are compared with."""
    council = Council.objects.order_by("pk").first()
    return render(request, "bench/ceiling.html", {"council": council})
