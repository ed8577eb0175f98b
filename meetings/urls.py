from django.urls import path

from . import views

app_name = "meetings"

urlpatterns = [
    path("meetings/", views.meeting_list, name="list"),
    # Before the slug routes, which it would otherwise look like.
    path("meetings/feedback/<str:token>/", views.feedback, name="feedback"),
    path("meetings/<slug:slug>.ics", views.meeting_ics, name="ics"),
    path("meetings/<slug:slug>/", views.meeting_detail, name="detail"),
    path("meetings/<slug:slug>/register/", views.register, name="register"),
    path("meetings/<slug:slug>/cancel/", views.cancel, name="cancel"),
    path("meetings/<slug:slug>/papers/<int:pk>/", views.paper_download, name="paper"),
    path("meetings/<slug:slug>/door/", views.door_register_page, name="door-register"),
    path("meetings/<slug:slug>/door/walk-in/", views.door_walk_in, name="door-walk-in"),
    path("meetings/<slug:slug>/door/<int:registration_pk>/", views.door_mark, name="door-mark"),
    path("meetings/<slug:slug>/feedback-summary/", views.feedback_summary, name="feedback-summary"),
    path("calendar/regenerate/", views.calendar_regenerate, name="calendar-regenerate"),
    path("calendar/<slug:token>.ics", views.calendar_feed, name="calendar-feed"),
]
