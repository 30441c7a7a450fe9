from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("welfare.api_urls")),
    path("", include("welfare.page_urls")),
]

# A database or broker outage anywhere in the stack is answered with a clear 503 page.
handler500 = "welfare.security.server_error"
