"""API resources of this app (registered by welfare/api_urls.py)."""

routes: list = []
urlpatterns: list = []
