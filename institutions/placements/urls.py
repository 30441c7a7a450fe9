"""Pages of admissions, discharges and care records (namespace "institutions"). Included by
institutions/urls.py."""

from django.urls import path

from institutions.placements import views

urlpatterns: list = [
    path("<int:institution_id>/admit/", views.admit_page, name="admit"),
    path("placements/<int:placement_id>/discharge/", views.discharge_page, name="discharge"),
    path("placements/<int:placement_id>/care/", views.care_record_page, name="care_record"),
]
