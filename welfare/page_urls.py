"""Server-rendered pages. Each app contributes its own urls module."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from welfare import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", views.set_language, name="set_language"),
    path("cases/", include("cases.urls")),
    path("benefits/", include("benefits.urls")),
    path("institutions/", include("institutions.urls")),
]
