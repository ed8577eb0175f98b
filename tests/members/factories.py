from datetime import timedelta

import factory
from django.utils import timezone

from members.models import Appointment, ContactEnquiry, Member
from tests.factories import MemberFactory, UserFactory


def member_at(council, *, status=Member.Status.APPROVED, role=Member.Role.COUNCILLOR, **kwargs) -> Member:
    """A member of a real council, with an address on a personal domain unless given."""
    details = {"ward": "Central"} if role == Member.Role.COUNCILLOR else {"ward": "", "job_title": "Policy officer"}
    return MemberFactory(council=council, status=status, role=role, **{**details, **kwargs})


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appointment

    member = factory.SubFactory(MemberFactory)
    council = factory.SelfAttribute("member.council")
    role = Appointment.Role.CHAMPION
    since = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=100))


class ContactEnquiryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactEnquiry

    name = factory.Faker("name", locale="en_GB")
    email = factory.Sequence(lambda n: f"enquirer{n}@example.org")
    role = ContactEnquiry.Role.OTHER
    message = "Could you tell me more about the training?"


__all__ = ["AppointmentFactory", "ContactEnquiryFactory", "MemberFactory", "UserFactory", "member_at"]
