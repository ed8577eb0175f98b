"""The wording of each consent, with a version.

The version is stored with every ConsentRecord, so we can show exactly what a
member agreed to. Change the version whenever the wording changes.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class ConsentWording:
    kind: str
    version: str
    label: str
    help_text: str


WORDINGS = {
    "directory": ConsentWording(
        kind="directory",
        version="directory-2026-11",
        label="List me in the members' directory",
        help_text="Other approved members can see your name, role, council and areas of interest. "
        "Your email address is never shown.",
    ),
    "digest": ConsentWording(
        kind="digest",
        version="digest-2026-11",
        label="Send me the monthly partner-updates digest",
        help_text="One email a month with news from health and care partners.",
    ),
    "research": ConsentWording(
        kind="research",
        version="research-2026-11",
        label="I am happy to be contacted for research and evaluation",
        help_text="Independent evaluators may receive a pseudonymised record of your training and feedback, "
        "and may ask you about the network's impact.",
    ),
    "public": ConsentWording(
        kind="public",
        version="public-2026-11",
        label="Name me on public pages if I am a champion or lead officer",
        help_text="Your name and council appear on the public champions page and your council's page.",
    ),
}

SIGNUP_KINDS = ("directory", "digest", "research")


def wording_for(kind: str) -> ConsentWording:
    return WORDINGS[kind]
