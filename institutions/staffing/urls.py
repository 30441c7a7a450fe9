"""Pages of an institution's staff and their trainings (namespace "institutions"). Included by
institutions/urls.py."""

from django.urls import path

from institutions.staffing import views

urlpatterns: list = [
    path("<int:institution_id>/staff/new/", views.staff_add_page, name="staff_add"),
    path("staff/<int:staff_id>/end/", views.staff_end_page, name="staff_end"),
    path("staff/<int:staff_id>/trainings/new/", views.training_add_page, name="training_add"),
]
