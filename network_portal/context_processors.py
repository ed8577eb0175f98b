from django.conf import settings

# The Centre for Mental Health's page for the national network London's is part of.
NATIONAL_NETWORK_URL = "https://www.centreformentalhealth.org.uk/mentally-healthier-councils-network/"


def site(request):
    return {
        "CONTACT_EMAIL": settings.CONTACT_EMAIL,
        "DEMO_MODE": settings.DEMO_MODE,
        "NATIONAL_NETWORK_URL": NATIONAL_NETWORK_URL,
    }
