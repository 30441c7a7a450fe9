"""The offline web app's service worker and manifest, at the site's root (the worker's scope is
the directory it is served from). Included by welfare/page_urls.py. Public: they hold no data."""

from django.urls import path

from cases.sync import views

urlpatterns: list = [
    path("sw.js", views.service_worker, name="service_worker"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
]
