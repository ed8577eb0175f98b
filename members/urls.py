from django.urls import path

from . import views

app_name = "members"

urlpatterns = [
    path("account/", views.account, name="account"),
    path("account/profile/", views.profile_edit, name="profile-edit"),
    path("account/consents/", views.consent_update, name="consent-update"),
    path("account/my-data/", views.data_export, name="data-export"),
    path("account/delete/", views.account_delete, name="account-delete"),
    path("members/directory/", views.directory, name="directory"),
    path("champions/", views.champions, name="champions"),
    path("councils/", views.council_list, name="council-list"),
    path("councils/<slug:slug>/", views.council_detail, name="council-detail"),
    path("still-serving/<str:token>/", views.reconfirm, name="reconfirm"),
    path("contact/", views.contact, name="contact"),
    path("news/unsubscribe/<str:token>/", views.news_unsubscribe, name="news-unsubscribe"),
]
