"""Pages of the three-monthly checks, under /cases/checks/ (namespace `cases`)."""

from django.urls import path

from cases.checks import views

urlpatterns: list = [
    path("", views.checks_mine, name="checks_mine"),
    path("child/<int:child_id>/new/", views.check_new, name="check_new"),
    path("overdue/", views.checks_overdue, name="checks_overdue"),
    path("completion/", views.checks_completion, name="checks_completion"),
    path("campaigns/", views.campaign_list, name="campaigns"),
    path("campaigns/new/", views.campaign_new, name="campaign_new"),
    path("campaigns/<int:campaign_id>/", views.campaign_detail, name="campaign_detail"),
    path("notifications/", views.notifications, name="check_notifications"),
    path("notifications/<int:notification_id>/read/", views.notification_read, name="check_notification_read"),
]
