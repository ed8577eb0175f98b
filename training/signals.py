"""Retire every member's cached "My training" (training.templatetags.training.my_training)
on any save or delete of what it shows: through a service, the admin or a cascade.
Bulk update() sends no signal, so the services that use it bump MY_TRAINING themselves."""

from network_portal import caching

from .models import Booking, Course, Feedback, FollowUp, Session

# Any member's booking counts: it moves the others' places on the waiting list.
caching.bump_on_writes(caching.MY_TRAINING, [Booking, Session, Course, Feedback, FollowUp])
