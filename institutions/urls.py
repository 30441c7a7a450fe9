"""Pages of the institutions app, included at /institutions/ (namespace `institutions`)."""

from django.urls import path

from institutions import views

app_name = "institutions"
urlpatterns: list = [
    path("", views.institution_list_page, name="institution_list"),
]
