"""The roster import page (county officials), included at /cases/import/."""

from django.urls import path

from cases.roster import views

urlpatterns: list = [
    path("", views.import_page, name="import"),
    path("template.xlsx", views.import_template, name="import_template"),
]
