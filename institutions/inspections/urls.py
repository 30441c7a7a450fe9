"""Pages of inspections, rectifications and safety meetings (namespace "institutions").
Included by institutions/urls.py."""

from django.urls import path

from institutions.inspections import views

urlpatterns: list = [
    path("<int:institution_id>/inspections/new/", views.inspection_new_page, name="inspection_new"),
    path("findings/<int:finding_id>/rectify/", views.rectify_page, name="rectify"),
    path("findings/overdue/", views.findings_overdue_page, name="findings_overdue"),
    path("<int:institution_id>/safety-meetings/new/", views.safety_meeting_page, name="safety_meeting_new"),
]
