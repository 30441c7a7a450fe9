"""Roles and the permission matrix (role x action). Services call `require(user, action)`."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from welfare.errors import PermissionDeniedError


class Role(models.TextChoices):
    VILLAGE_DIRECTOR = "village_director", _("Village child director")
    TOWNSHIP_SUPERVISOR = "township_supervisor", _("Township child supervisor")
    COUNTY_OFFICIAL = "county_official", _("County civil-affairs official")
    CITY_OFFICIAL = "city_official", _("City civil-affairs official")
    PROVINCE_OFFICIAL = "province_official", _("Province civil-affairs official")
    INSTITUTION_STAFF = "institution_staff", _("Institution staff")
    ADMIN = "admin", _("Administrator")


class Action(models.TextChoices):
    VIEW = "view", _("View records in scope")
    CREATE = "create", _("Create children, guardians and checks")
    EDIT = "edit", _("Edit children, guardians and checks")
    APPLY = "apply", _("File applications")
    REVIEW = "review", _("Review (township)")
    APPROVE = "approve", _("Approve or reject (county)")
    ENROLL = "enroll", _("Enroll an existing caseload")
    RUN_PAYOUTS = "run_payouts", _("Compute and approve payout runs")
    SET_STANDARDS = "set_standards", _("Set allowance standards")
    EXPORT = "export", _("Export lists")
    REVEAL_ID = "reveal_id", _("Reveal full identity numbers")
    IMPORT = "import", _("Import rosters")
    LAUNCH_CAMPAIGN = "launch_campaign", _("Launch check campaigns")
    ADMINISTER = "administer", _("Administer users and regions")
    PROJECT_BUDGET = "project_budget", _("Project the allowance and grant budget")


R = Role
PERMISSIONS: dict[str, frozenset[str]] = {
    Action.VIEW: frozenset(R.values),
    Action.CREATE: frozenset({R.VILLAGE_DIRECTOR, R.TOWNSHIP_SUPERVISOR, R.INSTITUTION_STAFF, R.ADMIN}),
    Action.EDIT: frozenset({R.VILLAGE_DIRECTOR, R.TOWNSHIP_SUPERVISOR, R.COUNTY_OFFICIAL, R.INSTITUTION_STAFF, R.ADMIN}),
    Action.APPLY: frozenset({R.VILLAGE_DIRECTOR, R.TOWNSHIP_SUPERVISOR, R.ADMIN}),
    Action.REVIEW: frozenset({R.TOWNSHIP_SUPERVISOR, R.ADMIN}),
    Action.APPROVE: frozenset({R.COUNTY_OFFICIAL, R.ADMIN}),
    Action.ENROLL: frozenset({R.COUNTY_OFFICIAL, R.ADMIN}),
    Action.RUN_PAYOUTS: frozenset({R.COUNTY_OFFICIAL, R.ADMIN}),
    Action.SET_STANDARDS: frozenset({R.COUNTY_OFFICIAL, R.CITY_OFFICIAL, R.PROVINCE_OFFICIAL, R.ADMIN}),
    Action.EXPORT: frozenset({R.TOWNSHIP_SUPERVISOR, R.COUNTY_OFFICIAL, R.CITY_OFFICIAL, R.PROVINCE_OFFICIAL, R.ADMIN}),
    Action.REVEAL_ID: frozenset({R.VILLAGE_DIRECTOR, R.TOWNSHIP_SUPERVISOR, R.COUNTY_OFFICIAL, R.INSTITUTION_STAFF, R.ADMIN}),
    Action.IMPORT: frozenset({R.COUNTY_OFFICIAL, R.ADMIN}),
    Action.LAUNCH_CAMPAIGN: frozenset({R.COUNTY_OFFICIAL, R.CITY_OFFICIAL, R.PROVINCE_OFFICIAL, R.ADMIN}),
    Action.ADMINISTER: frozenset({R.ADMIN}),
    Action.PROJECT_BUDGET: frozenset({R.COUNTY_OFFICIAL, R.CITY_OFFICIAL, R.PROVINCE_OFFICIAL, R.ADMIN}),
}


def can(user, action: str) -> bool:
    """True when the user's role may perform the action (scope is checked separately)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.role in PERMISSIONS[action]


def require(user, action: str) -> None:
    """Raise PermissionDeniedError unless the user's role may perform the action."""
    if not can(user, action):
        raise PermissionDeniedError(_("Your role is not allowed to do this."))
