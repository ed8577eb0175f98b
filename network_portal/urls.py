from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("privacy/", views.privacy, name="privacy"),
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
