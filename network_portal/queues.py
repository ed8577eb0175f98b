"""First come, first served waiting lists (training bookings, meeting registrations):
a waiting row's place in its queue, 1 for the next to be offered a seat."""

from django.db.models import Case, Count, OuterRef, Q, QuerySet, Subquery, When


def at_or_ahead(created_at, pk) -> Q:
    # The id breaks a tie between rows made in the same instant.
    return Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lte=pk)


def place(waiting: QuerySet, row, *, queue: str) -> int:
    """row's place among waiting (the queue's waiting rows), by queue (its event's field)."""
    return waiting.filter(at_or_ahead(row.created_at, row.pk), **{queue: getattr(row, queue)}).count()


def place_annotation(waiting: QuerySet, *, queue: str, waiting_status: str) -> Case:
    """place() of every row of a queryset, read in the same query:
    `rows.annotate(waitlist_position=place_annotation(...))`; None for rows not waiting."""
    ahead = (
        waiting.filter(at_or_ahead(OuterRef("created_at"), OuterRef("pk")), **{queue: OuterRef(queue)})
        .order_by()
        .values(queue)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Case(When(status=waiting_status, then=Subquery(ahead)), default=None)
