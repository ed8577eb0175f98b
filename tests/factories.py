import importlib

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.utils.text import slugify

from members.models import Council, Member, Topic

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified(user, create, extracted, **kwargs):
        """Users can log in only with a verified email (allauth's EmailAddress row)."""
        if create and extracted is not False:
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)


class CouncilFactory(factory.django.DjangoModelFactory):
    """A council outside the 33, for tests that need one of their own."""

    class Meta:
        model = Council

    gss_code = factory.Sequence(lambda n: f"X{n:08d}")
    name = factory.Sequence(lambda n: f"Test Council {n}")
    official_name = factory.LazyAttribute(lambda o: f"The {o.name}")
    abbr = "Tst"
    slug = factory.Sequence(lambda n: f"test-council-{n}")
    email_domains = factory.Sequence(lambda n: f"council{n}.test")
    grid_col = factory.Sequence(lambda n: 100 + n)
    grid_row = 100


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    user = factory.SubFactory(UserFactory)
    role = Member.Role.COUNCILLOR
    council = factory.SubFactory(CouncilFactory)
    ward = "Central"
    status = Member.Status.APPROVED


def approved_member(**kwargs) -> Member:
    return MemberFactory(status=Member.Status.APPROVED, **kwargs)


def service_area_topics():
    """The ten service areas the migrations load. Transactional tests flush them, so load them again."""
    if not Topic.objects.exists():
        names = importlib.import_module("resources.migrations.0002_service_area_topics").TOPICS
        for position, name in enumerate(names):
            Topic.objects.update_or_create(slug=slugify(name), defaults={"name": name, "position": position})
    return Topic.objects.all()
