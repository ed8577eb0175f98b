from datetime import timedelta

import factory
from django.utils import timezone

from meetings.models import Action, Meeting, Paper, Registration
from tests.factories import UserFactory


def _in(days: int, hour: int = 18):
    """A London wall-clock time `days` from now, on the hour."""
    local = timezone.localtime() + timedelta(days=days)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    title = factory.Sequence(lambda n: f"Network meeting {n}")
    slug = factory.Sequence(lambda n: f"network-meeting-{n}")
    starts_at = factory.LazyFunction(lambda: _in(30))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=2))
    format = Meeting.Format.HYBRID
    venue_name = "City Hall"
    venue_address = "Kamal Chunchie Way\nLondon E16 1ZE"
    joining_url = factory.Sequence(lambda n: f"https://meet.example.net/secret-room-{n}")
    joining_notes = "Passcode 4815"
    chair = "Chief Executive, Centre for Mental Health"
    summary = "Our quarterly meeting."
    agenda = "1. Welcome\n2. Updates"
    status = Meeting.Status.PUBLISHED


class RegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Registration

    meeting = factory.SubFactory(MeetingFactory)
    user = factory.SubFactory(UserFactory)
    mode = Registration.Mode.ONLINE
    status = Registration.Status.REGISTERED


class ActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Action

    meeting = factory.SubFactory(MeetingFactory)
    description = factory.Sequence(lambda n: f"Circulate briefing {n}")
    owner_text = "Thrive LDN"


class PaperLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Paper

    meeting = factory.SubFactory(MeetingFactory)
    title = factory.Sequence(lambda n: f"Paper {n}")
    kind = Paper.Kind.AGENDA_PACK
    visibility = Paper.Visibility.PUBLIC
    link = "https://example.org/papers/agenda.pdf"
