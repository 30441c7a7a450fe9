"""The /api/ tree: each app's api module contributes `routes` (for the router) and `urlpatterns`."""

from importlib import import_module

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from welfare.api import DeviceListView, DeviceView, TokenView

API_MODULES = [
    "welfare.api",
    "cases.children.api",
    "cases.checks.api",
    "cases.applications.api",
    "cases.dashboard.api",
    "cases.protection.api",
    "cases.sync.api",
    "benefits.standards.api",
    "benefits.enrollments.api",
    "benefits.payouts.api",
    "benefits.grants.api",
    "benefits.budget.api",
    "institutions.api",
    "institutions.staffing.api",
    "institutions.placements.api",
    "institutions.inspections.api",
]

router = DefaultRouter()
extra: list = []
for module_name in API_MODULES:
    module = import_module(module_name)
    for prefix, viewset, basename in getattr(module, "routes", []):
        router.register(prefix, viewset, basename=basename)
    extra += getattr(module, "urlpatterns", [])

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("auth/devices/", DeviceListView.as_view(), name="api-devices"),
    path("auth/devices/<str:device_id>/", DeviceView.as_view(), name="api-device"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    *extra,
    *router.urls,
]
