"""The roster import page (county officials), included at /cases/import/."""

from django.urls import path

from cases.roster import views as views_import

urlpatterns: list = [
    path("", views_import.import_page, name="import"),
    path("template.xlsx", views_import.import_template, name="import_template"),
]
