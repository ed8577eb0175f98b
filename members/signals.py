"""allauth and model hooks. A handler only calls a service: no email or I/O here."""

from allauth.account.models import EmailAddress
from allauth.account.signals import email_confirmed
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from .models import Appointment, Council, Member, Topic, User
from .services import directory_changed, login_details_changed, login_recorded, member_email_verified

# Saves that name only these fields leave the directory as it was: a login, a new password.
USER_FIELDS_NOT_LISTED = frozenset({"last_login", "password"})


@receiver(email_confirmed, dispatch_uid="members.email_confirmed")
def _on_email_confirmed(sender, request, email_address, **kwargs):
    member_email_verified(user=email_address.user, email=email_address.email)


# The directory is cached whole (members.views.directory). Every save and delete of what it
# shows retires it, whoever writes: services, admin, allauth, imports. (Deleting a login
# deletes its membership, which signals.) QuerySet.update() sends no signal: the services
# that use it on these rows call directory_changed() themselves.


@receiver(post_save, sender=Member, dispatch_uid="members.directory.member_saved")
@receiver(post_delete, sender=Member, dispatch_uid="members.directory.member_deleted")
@receiver(post_save, sender=Appointment, dispatch_uid="members.directory.appointment_saved")
@receiver(post_delete, sender=Appointment, dispatch_uid="members.directory.appointment_deleted")
@receiver(post_save, sender=Council, dispatch_uid="members.directory.council_saved")
@receiver(post_delete, sender=Council, dispatch_uid="members.directory.council_deleted")
@receiver(post_save, sender=Topic, dispatch_uid="members.directory.topic_saved")
@receiver(post_delete, sender=Topic, dispatch_uid="members.directory.topic_deleted")
def _on_listed_row_written(sender, **kwargs):
    directory_changed()


@receiver(post_save, sender=User, dispatch_uid="members.directory.user_saved")
def _on_user_saved(sender, update_fields=None, **kwargs):
    if update_fields is None or not update_fields <= USER_FIELDS_NOT_LISTED:
        login_details_changed()
    if update_fields is None or "last_login" in update_fields:
        login_recorded()


@receiver(post_save, sender=EmailAddress, dispatch_uid="members.directory.email_saved")
@receiver(post_delete, sender=EmailAddress, dispatch_uid="members.directory.email_deleted")
def _on_email_address_written(sender, **kwargs):
    # Staff's member list filters and counts by verified email (members.admin_list).
    directory_changed()


@receiver(m2m_changed, sender=Member.interests.through, dispatch_uid="members.directory.interests_changed")
def _on_interests_changed(sender, action, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        directory_changed()
