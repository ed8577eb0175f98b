from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from . import mfa_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("privacy/", views.privacy, name="privacy"),
    # Privileged accounts set up their authenticator app only through an invitation;
    # this replaces allauth's set-up page at the same address (network_portal.mfa_views).
    path("accounts/2fa/totp/activate/", mfa_views.activate_totp, name="mfa_activate_totp"),
    path("accounts/invitation/<str:token>/", mfa_views.invitation_open, name="mfa-invitation"),
    path("accounts/2fa/setup-needed/", mfa_views.setup_needed, name="mfa-setup-needed"),
    path("staff/door-registers/", views.door_registers_today, name="door-registers-today"),
    path("accounts/", include("allauth.urls")),
    path(settings.ADMIN_PATH, admin.site.urls),
    # Each app's urls.py spells out its full paths (/meetings/..., /calendar/..., /updates/...).
    path("", include("members.urls")),
    path("", include("meetings.urls")),
    path("", include("training.urls")),
    path("", include("resources.urls")),
]

handler403 = "network_portal.views.error_403"
handler404 = "network_portal.views.error_404"
