"""The models of the cases app, defined in its sub-packages (app label `cases`, tables unchanged)."""

from cases.applications.models import Application
from cases.checks.models import Campaign, Check
from cases.children.models import CategoryMembership, Child, Draft, FormSubmission, Guardian, ListedQuerySet, Sex
from cases.dashboard.models import DashboardSnapshot
from cases.protection.models import Assessment, Case, CaseNote, CasePlan, CaseReport, FollowUp, PlanMeasure, Referral
from cases.roster.models import RosterUpload
from cases.sync.models import EditConflict

__all__ = [
    "Application",
    "Assessment",
    "Case",
    "CaseNote",
    "CasePlan",
    "CaseReport",
    "FollowUp",
    "PlanMeasure",
    "Referral",
    "Campaign",
    "CategoryMembership",
    "Check",
    "Child",
    "DashboardSnapshot",
    "EditConflict",
    "Draft",
    "FormSubmission",
    "Guardian",
    "ListedQuerySet",
    "RosterUpload",
    "Sex",
]
