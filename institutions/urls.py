"""Pages of the institutions app, included at /institutions/ (namespace `institutions`): the list
and one institution's page here; the forms of each sub-domain in its own urls module."""

from django.urls import include, path

from institutions import views

app_name = "institutions"
urlpatterns: list = [
    path("", views.institution_list_page, name="institution_list"),
    path("mine/", views.my_institution_page, name="mine"),
    path("<int:institution_id>/", views.institution_page, name="institution"),
    path("", include("institutions.placements.urls")),
    path("", include("institutions.inspections.urls")),
    path("", include("institutions.staffing.urls")),
]
