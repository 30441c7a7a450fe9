from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("welfare.api_urls")),
    path("", include("welfare.page_urls")),
]
