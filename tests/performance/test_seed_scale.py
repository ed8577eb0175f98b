import pytest
from django.core.management import CommandError, call_command

from meetings.models import Meeting, Registration
from members.models import Member
from resources.models import Download, Resource, Update
from training.models import Booking, Feedback, FollowUp, Session

from .conftest import SMALL

pytestmark = pytest.mark.django_db


def _options(volume):
    return dict(volume)


def test_seed_scale_creates_the_volumes_asked_for(london_councils):
    call_command("seed_scale", **_options(SMALL))

    assert Member.objects.count() == SMALL["members"]
    assert Meeting.objects.count() == SMALL["meetings"]
    assert Registration.objects.count() == SMALL["registrations"]
    assert Session.objects.count() == SMALL["sessions"]
    assert Booking.objects.count() == SMALL["bookings"]
    assert Feedback.objects.count() + FollowUp.objects.count() == SMALL["feedback"]
    assert Resource.objects.count() == SMALL["resources"]
    assert Download.objects.count() == SMALL["downloads"]
    assert Update.objects.count() == SMALL["updates"]


def test_seed_scale_never_overbooks_a_session(london_councils):
    call_command("seed_scale", **_options(SMALL))

    for session in Session.objects.with_counts():
        assert session.confirmed_count <= session.capacity


def test_seed_scale_refuses_to_load_twice(london_councils):
    call_command("seed_scale", **_options(SMALL))
    with pytest.raises(CommandError, match="already loaded"):
        call_command("seed_scale", **_options(SMALL))


def test_no_generated_account_can_sign_in(london_councils):
    call_command("seed_scale", **_options(SMALL))

    assert not any(member.user.has_usable_password() for member in Member.objects.select_related("user"))
