"""Reveal actions of the pages (POST only). Included from cases/urls.py under reveal/."""

from django.urls import path

from cases import views_reveal

urlpatterns = [
    path("children/<int:child_id>/", views_reveal.child_reveal, name="child_reveal"),
    path("guardians/<int:guardian_id>/", views_reveal.guardian_reveal, name="guardian_reveal"),
]
