from django.urls import path

from . import feeds, views

app_name = "resources"

urlpatterns = [
    path("resources/", views.library, name="list"),
    path("resources/<slug:slug>/", views.resource_detail, name="detail"),
    path("resources/<slug:slug>/download/", views.resource_download, name="download"),
    path("updates/", views.update_list, name="update-list"),
    path("updates/feed/", feeds.PublicUpdatesFeed(), name="update-feed"),
    path("updates/new/", views.update_create, name="update-create"),
    path("updates/digest/unsubscribe/<str:token>/", views.digest_unsubscribe, name="digest-unsubscribe"),
    path("updates/<slug:slug>/", views.update_detail, name="update-detail"),
    path("case-studies/new/", views.casestudy_create, name="casestudy-create"),
    path("case-studies/<int:pk>/attachment/", views.casestudy_attachment, name="casestudy-attachment"),
]
