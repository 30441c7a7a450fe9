"""Pages of protection casework, under /cases/protection/ (namespace "cases", names
"protection_…"). Included by cases/urls.py."""

from django.urls import path

from cases.protection import views

urlpatterns: list = [
    path("report/", views.report_new, name="protection_report_new"),
    path("reports/<int:report_id>/", views.report_receipt, name="protection_report_receipt"),
    path("screening/", views.screening_queue, name="protection_screening"),
    path("screening/<int:report_id>/", views.screening_page, name="protection_screen"),
    path("screening/<int:report_id>/in/", views.screen_in, name="protection_screen_in"),
    path("screening/<int:report_id>/out/", views.screen_out, name="protection_screen_out"),
    path("screening/<int:report_id>/reporter/", views.reporter_reveal, name="protection_reporter_reveal"),
    path("mine/", views.my_cases, name="protection_my_cases"),
    path("cases/<int:case_id>/", views.case_page, name="protection_case"),
    path("cases/<int:case_id>/note/", views.case_note, name="protection_case_note"),
    path("cases/<int:case_id>/follow-up/", views.case_follow_up, name="protection_case_follow_up"),
    path("cases/<int:case_id>/assessment/", views.case_assessment, name="protection_case_assessment"),
    path("cases/<int:case_id>/plan/", views.case_plan, name="protection_case_plan"),
    path("cases/<int:case_id>/referral/", views.case_referral, name="protection_case_referral"),
    path("cases/<int:case_id>/assign/", views.case_assign, name="protection_case_assign"),
    path("cases/<int:case_id>/close/", views.case_close, name="protection_case_close"),
    path("cases/<int:case_id>/reopen/", views.case_reopen, name="protection_case_reopen"),
    path("assessments/<int:assessment_id>/review/", views.assessment_review, name="protection_assessment_review"),
    path("plans/<int:plan_id>/review/", views.plan_review, name="protection_plan_review"),
    path("measures/<int:measure_id>/progress/", views.measure_progress, name="protection_measure_progress"),
    path("referrals/", views.referral_inbox, name="protection_referrals"),
    path("referrals/<int:referral_id>/answer/", views.referral_answer, name="protection_referral_answer"),
    path("hotline/", views.hotline_page, name="protection_hotline"),
    path("hotline/<int:report_id>/callback/", views.hotline_callback, name="protection_hotline_callback"),
]
