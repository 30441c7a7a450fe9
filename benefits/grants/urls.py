"""Pages of the education grant, included by benefits/urls.py under /benefits/grants/."""

from django.urls import path

from benefits.grants import views

urlpatterns = [
    path("grants/", views.grant_list, name="grant_list"),
    path("grants/new/", views.grant_new, name="grant_new"),
    path("grants/<int:pk>/", views.grant_detail, name="grant_detail"),
]
