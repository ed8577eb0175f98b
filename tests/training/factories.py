from datetime import timedelta

import factory
from django.utils import timezone

from tests.factories import MemberFactory, UserFactory
from training.models import Booking, Course, Feedback, FollowUp, Rating, ResearchProject, Session


def _whole_minute(moment):
    return moment.replace(second=0, microsecond=0)


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    title = factory.Sequence(lambda n: f"Mental Health and Wellbeing Training {n}")
    slug = factory.Sequence(lambda n: f"mental-health-training-{n}")
    summary = "A two-hour session on mental health for councillors."
    trainer = "Thrive LDN"
    learning_outcomes = "Spot the signs\nSignpost residents\nLook after yourself"


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    course = factory.SubFactory(CourseFactory)
    council = None
    starts_at = factory.LazyFunction(lambda: _whole_minute(timezone.now() + timedelta(days=21)))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=2))
    mode = Session.Mode.IN_PERSON
    venue = "Committee Room 1, Town Hall"
    capacity = 20
    status = Session.Status.PUBLISHED


class PastSessionFactory(SessionFactory):
    starts_at = factory.LazyFunction(lambda: _whole_minute(timezone.now() - timedelta(days=7)))


def past_session(**kwargs) -> Session:
    starts = _whole_minute(timezone.now() - timedelta(days=kwargs.pop("days_ago", 7)))
    return SessionFactory(starts_at=starts, ends_at=starts + timedelta(hours=2), **kwargs)


class BookingFactory(factory.django.DjangoModelFactory):
    """A booking row written directly, for fixtures of history; live bookings go through the service."""

    class Meta:
        model = Booking

    session = factory.SubFactory(SessionFactory)
    member = factory.SubFactory(MemberFactory)
    # The snapshots booking_create takes, so reports count factory rows too.
    council = factory.SelfAttribute("member.council")
    role = factory.SelfAttribute("member.role")
    status = Booking.Status.CONFIRMED


class FeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feedback

    booking = factory.SubFactory(
        BookingFactory, attended=Booking.Attended.YES, session=factory.SubFactory(PastSessionFactory)
    )
    rating = Rating.EXCELLENT
    usefulness = 4
    confidence_residents_before = 2
    confidence_residents_after = 4
    confidence_self_before = 3
    confidence_self_after = 4


class FollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUp

    booking = factory.SubFactory(
        BookingFactory, attended=Booking.Attended.YES, session=factory.SubFactory(PastSessionFactory)
    )
    wave = FollowUp.Wave.THREE_MONTHS
    raised_in_meeting = True
    influenced_policy = False
    became_champion = False
    changed_own_wellbeing = True
    would_recommend = FollowUp.Recommend.YES


def feedback_answers(**overrides) -> dict:
    answers = {
        "rating": "excellent",
        "usefulness": "4",
        "confidence_residents_before": "2",
        "confidence_residents_after": "4",
        "confidence_self_before": "3",
        "confidence_self_after": "5",
        "will_do_differently": "Ask about mental health in every scrutiny meeting.",
        "testimonial": "Practical and kind.",
        "testimonial_consent": "anonymous",
        "research_consent": "on",
    }
    answers.update(overrides)
    return {key: value for key, value in answers.items() if value is not None}


def researcher_group():
    """The group the data migration creates. Transactional tests flush it, so recreate it the same way."""
    import importlib

    from django.apps import apps
    from django.contrib.auth.models import Group

    importlib.import_module("training.migrations.0002_researcher_group").create_group(apps, None)
    return Group.objects.get(name="Researcher")


class ResearchProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResearchProject

    name = factory.Sequence(lambda n: f"Evaluation {n}")
    evaluator_organisation = "A national health research institute"
    purpose = "To evaluate whether the training changed council policy."
    agreement_signed_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))
    expires_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=365))
    k = 5


def researcher_on_project():
    """A user in the Researcher group, named on a new research project."""
    researcher = UserFactory()
    researcher.groups.add(researcher_group())
    project = ResearchProjectFactory()
    project.researchers.add(researcher)
    return researcher, project
