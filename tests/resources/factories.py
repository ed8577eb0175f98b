from datetime import timedelta

import factory
from django.utils import timezone

from network_portal import uploads
from resources.models import CaseStudy, Organisation, Resource, Update, Visibility
from tests.factories import CouncilFactory, UserFactory

from . import files


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Partner Organisation {n}")
    slug = factory.Sequence(lambda n: f"partner-organisation-{n}")


class ResourceFactory(factory.django.DjangoModelFactory):
    """A published, members-only resource with a link. Use with_file=True for a stored PDF."""

    class Meta:
        model = Resource
        skip_postgeneration_save = True

    class Params:
        with_file = factory.Trait(
            url="",
            # Stored only for this trait, so a link resource leaves no file behind.
            stored=factory.LazyAttribute(
                lambda o: uploads.store_bytes(files.pdf(o.title), display_name=o.download_name, folder="resources")
            ),
            file=factory.LazyAttribute(lambda o: o.stored.name),
            file_name=factory.LazyAttribute(lambda o: o.stored.display_name),
            file_size=factory.LazyAttribute(lambda o: o.stored.size),
        )
        stored = None
        download_name = "briefing.pdf"

    title = factory.Sequence(lambda n: f"Resource number {n}")
    slug = factory.Sequence(lambda n: f"resource-number-{n}")
    summary = "A short summary of the resource."
    body = "The body of the resource."
    kind = Resource.Kind.GUIDE
    source = factory.SubFactory(OrganisationFactory)
    url = "https://example.org/resource"
    visibility = Visibility.MEMBERS
    status = Resource.Status.PUBLISHED
    published_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))

    @factory.post_generation
    def topics(resource, create, extracted, **kwargs):
        if create and extracted:
            resource.topics.set(extracted)


class UpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Update

    title = factory.Sequence(lambda n: f"Partner update {n}")
    slug = factory.Sequence(lambda n: f"partner-update-{n}")
    body = "News from a partner."
    organisation = factory.SubFactory(OrganisationFactory)
    visibility = Visibility.PUBLIC
    status = Update.Status.PUBLISHED
    published_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))


class CaseStudyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseStudy

    title = factory.Sequence(lambda n: f"Case study {n}")
    council = factory.SubFactory(CouncilFactory)
    what_we_did = "We trained housing officers in mental health first aid."
    outcome = "Referrals to early support doubled."
    may_contact = True
    submitter = factory.SubFactory(UserFactory)
