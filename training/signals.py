"""Retire every member's cached "My training" (training.templatetags.training.my_training)
on any save or delete of what it shows: through a service, the admin or a cascade.
Bulk update() sends no signal, so the services that use it bump MY_TRAINING themselves."""

from django.db.models.signals import post_delete, post_save

from network_portal import caching

from .models import Booking, Course, Feedback, FollowUp, Session


def _retire_my_training(**kwargs) -> None:
    caching.bump(caching.MY_TRAINING)


# Any member's booking counts: it moves the others' places on the waiting list.
for model in (Booking, Session, Course, Feedback, FollowUp):
    for signal in (post_save, post_delete):
        signal.connect(_retire_my_training, sender=model, dispatch_uid=f"my-training-{model.__name__}")
