"""Pages of the recognition workflow, under /cases/applications/ (namespace `cases`)."""

from django.urls import path

from cases.applications import views

urlpatterns: list = [
    path("", views.application_list, name="application_list"),
    path("new/", views.application_new, name="application_new"),
    path("township/", views.application_township_queue, name="application_township_queue"),
    path("county/", views.application_county_queue, name="application_county_queue"),
    path("<int:pk>/", views.application_detail, name="application_detail"),
]
