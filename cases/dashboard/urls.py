"""Dashboard pages, included at /cases/dashboard/ (namespace `cases`)."""

from django.urls import path

from cases.dashboard import views

urlpatterns: list = [
    path("", views.dashboard_page, name="dashboard"),
    path("villages/", views.villages_without_director_page, name="dashboard_villages"),
    path("export/<slug:table>.xlsx", views.dashboard_export, name="dashboard_export"),
    path("export/<slug:table>.csv", views.dashboard_export, {"fmt": "csv"}, name="dashboard_export_csv"),
]
