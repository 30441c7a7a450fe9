"""Pages of allowances, under /benefits/ (namespace `benefits`): standards, payout runs,
enrollments and transfers between counties."""

from django.urls import path

from benefits.budget.urls import urlpatterns as budget_urls
from benefits.enrollments import views as enrollments_views
from benefits.grants.urls import urlpatterns as grant_urls
from benefits.payouts import views as payouts_views
from benefits.standards import views as standards_views

app_name = "benefits"
urlpatterns: list = [
    path("", payouts_views.payout_run_list, name="index"),
    path("standards/", standards_views.standard_list, name="standard_list"),
    path("standards/raise/", standards_views.standard_raise, name="standard_raise"),
    path("runs/", payouts_views.payout_run_list, name="payout_run_list"),
    path("runs/<int:pk>/", payouts_views.payout_run_detail, name="payout_run_detail"),
    path("runs/<int:pk>/approve/", payouts_views.payout_run_approve, name="payout_run_approve"),
    path("runs/<int:pk>/recompute/", payouts_views.payout_run_recompute, name="payout_run_recompute"),
    path("runs/<int:pk>/export.<str:fmt>", payouts_views.payout_run_export, name="payout_run_export"),
    path("enrollments/", enrollments_views.enrollment_list, name="enrollment_list"),
    path("enrollments/<int:pk>/", enrollments_views.enrollment_detail, name="enrollment_detail"),
    path("transfers/", enrollments_views.transfer_list, name="transfer_list"),
    path("transfers/<int:pk>/accept/", enrollments_views.transfer_accept, name="transfer_accept"),
    path("transfers/<int:pk>/refuse/", enrollments_views.transfer_refuse, name="transfer_refuse"),
    *budget_urls,
    *grant_urls,
]
