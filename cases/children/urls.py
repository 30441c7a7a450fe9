"""Pages of children: find, register, one child, guardians, categories, worklist, review queue.
Included by cases/urls.py at /cases/ (namespace "cases")."""

from django.urls import path

from cases.children import views

urlpatterns: list = [
    path("children/", views.child_search_page, name="child_list"),
    path("children/new/", views.child_register_page, name="child_register"),
    path("children/<int:child_id>/", views.child_detail_page, name="child_detail"),
    path("children/<int:child_id>/edit/", views.child_edit_page, name="child_edit"),
    path("children/<int:child_id>/guardians/new/", views.guardian_add_page, name="guardian_add"),
    path("children/<int:child_id>/categories/", views.child_categories_page, name="child_categories"),
    path("children/<int:child_id>/review/", views.child_review_page, name="child_review"),
    path("drafts/<int:draft_id>/delete/", views.draft_delete_page, name="draft_delete"),
    path("worklist/", views.worklist_page, name="worklist"),
    path("review/", views.review_queue_page, name="review_queue"),
]

# Reveal actions of the pages (POST only), under /cases/reveal/.
urlpatterns += [
    path("reveal/children/<int:child_id>/", views.child_reveal, name="child_reveal"),
    path("reveal/guardians/<int:guardian_id>/", views.guardian_reveal, name="guardian_reveal"),
]
