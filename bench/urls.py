from django.urls import path

from network_portal.urls import handler403, handler404  # noqa: F401
from network_portal.urls import urlpatterns as product_urlpatterns

from . import views

urlpatterns = [path("bench/ceiling/", views.ceiling), *product_urlpatterns]
