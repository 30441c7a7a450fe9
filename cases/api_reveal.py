"""API resources (registered by welfare/api_urls.py)."""

routes: list = []
urlpatterns: list = []
