"""Server-rendered pages. Each app contributes its own urls module."""

from django.urls import include, path

from welfare import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("language/", views.set_language, name="set_language"),
    path("cases/", include("cases.urls")),
    path("benefits/", include("benefits.urls")),
    path("institutions/", include("institutions.urls")),
    # The offline web app's service worker and manifest (their scope is the whole site).
    path("", include("cases.sync.root_urls")),
]
