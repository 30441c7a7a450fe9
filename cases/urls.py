"""Pages of the cases app. Each area has its own urls module, included here."""

from django.urls import include, path

app_name = "cases"
urlpatterns: list = [
    path("", include("cases.children.urls")),
    path("checks/", include("cases.checks.urls")),
    path("applications/", include("cases.applications.urls")),
    path("dashboard/", include("cases.dashboard.urls")),
    path("import/", include("cases.roster.urls")),
    path("protection/", include("cases.protection.urls")),
    path("sync/", include("cases.sync.urls")),
]
