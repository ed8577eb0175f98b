from django.shortcuts import render

from members.models import Council


def ceiling(request):
    """The least a Django page can do here: one query, 20 rows, a small base layout.

    Its rate is the ceiling the real pages are compared with (issue 18's definition)."""
    councils = list(Council.objects.order_by("pk")[:20])
    return render(request, "bench/ceiling.html", {"councils": councils})
