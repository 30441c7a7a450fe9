"""The budget page, listed in benefits/urls.py (namespace `benefits`) under /benefits/budget/."""

from django.urls import path

from benefits.budget import views

urlpatterns: list = [
    path("budget/", views.budget_page, name="budget"),
    path("budget/export/<slug:table>.xlsx", views.budget_export, name="budget_export"),
]
