"""Pages of offline entry under /cases/sync/ (namespace `cases`); the service worker and the
manifest are at the site's root (cases/sync/root_urls.py)."""

from django.urls import path

from cases.sync import views

urlpatterns: list = [
    path("app/", views.offline_app_page, name="offline_app"),
    path("conflicts/", views.conflict_queue_page, name="conflict_queue"),
    path("conflicts/<int:conflict_id>/resolve/", views.conflict_resolve_page, name="conflict_resolve"),
]
