from django.urls import path

from . import views

app_name = "training"

urlpatterns = [
    path("training/", views.index, name="index"),
    path("training/courses/<slug:slug>/", views.course_detail, name="course-detail"),
    path("training/sessions/<int:pk>/", views.session_detail, name="session-detail"),
    path("training/sessions/<int:pk>.ics", views.session_ics, name="session-ics"),
    path("training/sessions/<int:pk>/book/", views.session_book, name="session-book"),
    path("training/bookings/<int:pk>/cancel/", views.booking_cancel, name="booking-cancel"),
    path("training/bookings/<int:pk>/feedback/", views.feedback_logged_in, name="feedback"),
    path("training/bookings/<int:pk>/follow-up/<str:wave>/", views.followup_logged_in, name="followup"),
    path("training/feedback/<int:pk>/withdraw-testimonial/", views.testimonial_withdraw, name="testimonial-withdraw"),
    path("training/bookings/<int:pk>/certificate/", views.certificate, name="certificate"),
    path("training/certificates/<str:token>/", views.certificate_verify, name="certificate-verify"),
    path("training/feedback/<str:token>/", views.feedback_by_link, name="feedback-link"),
    path("training/follow-up/<str:wave>/<str:token>/", views.followup_by_link, name="followup-link"),
    path("training/councils/<slug:slug>/report/", views.commitment_report, name="commitment-report"),
    path("training/commitments/<int:pk>/evidence/", views.commitment_evidence, name="commitment-evidence"),
    path("training/sessions/<int:pk>/door/", views.door_register_page, name="door-register"),
    path("training/sessions/<int:pk>/door/walk-in/", views.door_walk_in, name="door-walk-in"),
    path("training/sessions/<int:pk>/door/<int:booking_pk>/", views.door_mark, name="door-mark"),
    path("training/coverage/", views.coverage, name="coverage"),
    path("training/coverage.csv", views.coverage_csv, name="coverage-csv"),
    path("training/dashboard/", views.dashboard, name="dashboard"),
    path("training/dashboard/outcomes/", views.outcomes, name="outcomes"),
    path("training/dashboard/outcomes/<slug:table>.csv", views.outcomes_csv, name="outcomes-csv"),
    path("training/research/", views.research, name="research"),
    path("training/research/projects/<int:pk>/package.zip", views.research_package, name="research-package"),
]
