"""Pages of the cases app. Each area has its own urls module, included here."""

from django.urls import include, path

app_name = "cases"
urlpatterns: list = [
    path("", include("cases.urls_children")),
    path("checks/", include("cases.urls_checks")),
    path("applications/", include("cases.urls_applications")),
    path("dashboard/", include("cases.urls_dashboard")),
    path("import/", include("cases.urls_import")),
    path("reveal/", include("cases.urls_reveal")),
]
