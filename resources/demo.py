"""Demo resources, partner updates and a case study for `seed_demo`. Idempotent.

The subjects are the ones the network really covers, but every file is a
one-page PDF generated here that says it is a demo stand-in: none of them is,
or claims to be, the original publication."""

import textwrap
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from members.models import Member
from network_portal import uploads

from .models import CaseStudy, Organisation, Resource, Topic, Update, Visibility

DEMO_NOTE = "Demo content: a made-up stand-in generated for this demonstration, not the original publication."

ORGANISATIONS = ["Thrive LDN", "Centre for Mental Health", "London Councils", "NHS partner (demo)"]

# (title, kind, source, topics, visibility, summary)
RESOURCES = [
    (
        "A councillor's workbook: mentally healthier places",
        Resource.Kind.TOOLKIT,
        "Centre for Mental Health",
        ["public-health", "housing", "environment"],
        Visibility.PUBLIC,
        "Exercises to help councillors look at how their ward and council shape residents' mental health.",
    ),
    (
        "10 questions for your council about mental health",
        Resource.Kind.BRIEFING,
        "Thrive LDN",
        ["public-health", "social-care"],
        Visibility.PUBLIC,
        "Ten questions any councillor can ask to find out how their council promotes good mental health.",
    ),
    (
        "Housing and mental health: a briefing for councils",
        Resource.Kind.BRIEFING,
        "London Councils",
        ["housing"],
        Visibility.MEMBERS,
        "How housing services, homelessness prevention and tenancy support affect residents' mental health.",
    ),
    (
        "Employment, money worries and mental health: a briefing",
        Resource.Kind.BRIEFING,
        "Thrive LDN",
        ["employment"],
        Visibility.MEMBERS,
        "What councils can do as employers and through employment support to protect residents' mental health.",
    ),
    (
        "Debt, rent arrears and mental health: advice for housing teams",
        Resource.Kind.GUIDE,
        "London Councils",
        ["housing", "employment"],
        Visibility.PUBLIC,
        "How housing officers can spot money worries early, and where debt advice helps tenants' mental health.",
    ),
    (
        "Suicide prevention: what every council can do",
        Resource.Kind.BRIEFING,
        "Thrive LDN",
        ["suicide-prevention", "public-health"],
        Visibility.PUBLIC,
        "The council's part in local suicide prevention plans, from public spaces to bereavement support.",
    ),
    (
        "Mental Health and Wellbeing Training for Councillors: evaluation summary",
        Resource.Kind.TRAINING,
        "Thrive LDN",
        ["workforce-wellbeing"],
        Visibility.MEMBERS,
        "A summary of trainee feedback and what councillors said they would do differently afterwards.",
    ),
    (
        "Children and young people's mental health: network meeting slides",
        Resource.Kind.SLIDES,
        "NHS partner (demo)",
        ["children-and-young-people", "education"],
        Visibility.MEMBERS,
        "Slides from a quarterly network meeting on schools, youth services and early support.",
    ),
]

UPDATES = [
    (
        "New bereavement support offer for London boroughs",
        "NHS partner (demo)",
        Visibility.PUBLIC,
        40,
        "A free bereavement support service is now open to residents referred by council teams.",
    ),
    (
        "Training dates for the spring term",
        "Thrive LDN",
        Visibility.PUBLIC,
        20,
        "New dates for Mental Health and Wellbeing Training for Councillors are open for booking.",
    ),
    (
        "Call for case studies on workforce wellbeing",
        "Centre for Mental Health",
        Visibility.MEMBERS,
        5,
        "We would like to hear how your council supports the mental health of its own staff.",
    ),
]


def seed(stdout) -> None:
    with transaction.atomic():
        organisations = {name: _organisation(name) for name in ORGANISATIONS}
        topics = {topic.slug: topic for topic in Topic.objects.all()}
        created = sum(_resource(row, organisations, topics) for row in RESOURCES)
        created += _link_resource(organisations["Thrive LDN"], topics)
        updates = sum(_update(row, organisations) for row in UPDATES)
        case_studies = _case_study(topics)
    stdout.write(
        f"resources: {created} demo resources, {updates} demo partner updates, "
        f"{case_studies} demo case study added (files are generated stand-ins)."
    )


def _organisation(name: str) -> Organisation:
    organisation, _ = Organisation.objects.get_or_create(name=name, defaults={"slug": slugify(name)})
    return organisation


def _resource(row, organisations, topics) -> int:
    title, kind, source, topic_slugs, visibility, summary = row
    slug = slugify(f"{title} demo")[:200]
    if Resource.objects.filter(slug=slug).exists():
        return 0
    stored = uploads.store_bytes(
        make_pdf(f"{title} (DEMO)", [DEMO_NOTE, "", summary]),
        display_name=f"{slugify(title)}-demo.pdf",
        folder="resources",
    )
    resource = Resource.objects.create(
        title=f"{title} (demo)",
        slug=slug,
        summary=f"{summary} {DEMO_NOTE}",
        body=f"{summary}\n\n*{DEMO_NOTE}*",
        kind=kind,
        source=organisations[source],
        file=stored.name,
        file_name=stored.display_name,
        file_size=stored.size,
        visibility=visibility,
        status=Resource.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(days=len(title)),
    )
    resource.topics.set([topics[s] for s in topic_slugs if s in topics])
    return 1


def _link_resource(organisation, topics) -> int:
    _, created = Resource.objects.get_or_create(
        slug="thrive-ldn-website-demo",
        defaults={
            "title": "Thrive LDN: London's mental health movement (demo link)",
            "summary": f"A link to Thrive LDN's own website. {DEMO_NOTE}",
            "kind": Resource.Kind.LINK,
            "source": organisation,
            "url": "https://thriveldn.co.uk/",
            "visibility": Visibility.PUBLIC,
            "status": Resource.Status.PUBLISHED,
            "published_at": timezone.now() - timedelta(days=3),
        },
    )
    return int(created)


def _update(row, organisations) -> int:
    title, organisation, visibility, days_ago, text = row
    _, created = Update.objects.get_or_create(
        slug=slugify(f"{title} demo"),
        defaults={
            "title": f"{title} (demo)",
            "body": f"{text}\n\n*Demo content: this update is made up for the demonstration.*",
            "organisation": organisations[organisation],
            "visibility": visibility,
            "status": Update.Status.PUBLISHED,
            "published_at": timezone.now() - timedelta(days=days_ago),
        },
    )
    return int(created)


def _case_study(topics) -> int:
    member = Member.objects.approved().exclude(council=None).select_related("user", "council").first()
    if member is None or CaseStudy.objects.filter(title__endswith="(demo)").exists():
        return 0
    case_study = CaseStudy.objects.create(
        submitter=member.user,
        council=member.council,
        title="Mental health first aid for housing officers (demo)",
        what_we_did="Demo content. We trained frontline housing officers to spot signs of distress and refer early.",
        outcome="Demo content. Officers reported more confidence, and referrals to support doubled in six months.",
        may_contact=True,
    )
    case_study.topics.set([topics[s] for s in ("housing", "workforce-wellbeing") if s in topics])
    return 1


def make_pdf(title: str, lines: list[str]) -> bytes:
    """A small, valid one-page PDF with the title and wrapped lines of text."""
    text = ["BT", "/F1 16 Tf", "56 780 Td", f"({_pdf_text(title)}) Tj", "/F1 11 Tf", "0 -28 Td"]
    for line in lines:
        for part in textwrap.wrap(line, 95) or [""]:
            text += [f"({_pdf_text(part)}) Tj", "0 -15 Td"]
    text.append("ET")
    stream = "\n".join(text).encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _pdf_text(value: str) -> str:
    value = value.replace("’", "'").replace("“", '"').replace("”", '"').replace("–", "-")
    return value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
