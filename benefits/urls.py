from django.urls import path

from benefits import views

app_name = "benefits"
urlpatterns: list = [
    path("", views.payout_run_list, name="index"),
    path("standards/", views.standard_list, name="standard_list"),
    path("standards/raise/", views.standard_raise, name="standard_raise"),
    path("runs/", views.payout_run_list, name="payout_run_list"),
    path("runs/<int:pk>/", views.payout_run_detail, name="payout_run_detail"),
    path("runs/<int:pk>/approve/", views.payout_run_approve, name="payout_run_approve"),
    path("runs/<int:pk>/recompute/", views.payout_run_recompute, name="payout_run_recompute"),
    path("runs/<int:pk>/export.<str:fmt>", views.payout_run_export, name="payout_run_export"),
    path("enrollments/", views.enrollment_list, name="enrollment_list"),
    path("enrollments/<int:pk>/", views.enrollment_detail, name="enrollment_detail"),
    path("transfers/", views.transfer_list, name="transfer_list"),
    path("transfers/<int:pk>/accept/", views.transfer_accept, name="transfer_accept"),
    path("transfers/<int:pk>/refuse/", views.transfer_refuse, name="transfer_refuse"),
]
