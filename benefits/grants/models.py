"""The orphan education grant (孤儿助学工程): its standards per region, the grants per school year
and their instalments, which are lines of the county's monthly payout run (their rules live in
benefits/grants/services.py)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.expressions import Combinable, CombinedExpression
from django.db.models.functions import Cast, ExtractMonth, ExtractYear, Substr
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from benefits.payouts.models import PAYOUT_CHILD_BITS


class GrantKind(models.TextChoices):
    ORPHAN_EDUCATION = "orphan_education", _("Orphan education grant")


class StudyLevel(models.TextChoices):
    VOCATIONAL = "vocational", _("Vocational school")
    COLLEGE = "college", _("College (junior college)")
    UNIVERSITY = "university", _("University (bachelor's)")
    MASTER = "master", _("Master's degree")


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")


# Instalments per school year (September to August) for each frequency.
INSTALMENTS: dict[str, int] = {Frequency.MONTHLY: 12, Frequency.QUARTERLY: 4}


class GrantStandard(models.Model):
    """The grant per school year for a region from a date (national 10,000 yuan; a province or
    city may set more), how it is paid (monthly or quarterly) and, optionally, the highest age
    (on the school year's first day) up to which it is paid. The most specific region's version
    in force on the school year's first day applies."""

    region = models.ForeignKey("welfare.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="grant_standards")
    kind = models.CharField(_("kind"), max_length=32, choices=GrantKind.choices, default=GrantKind.ORPHAN_EDUCATION)
    annual_amount = models.DecimalField(_("amount per school year (yuan)"), max_digits=10, decimal_places=2)
    frequency = models.CharField(_("paid"), max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY)
    max_age = models.PositiveSmallIntegerField(
        _("highest age"), null=True, blank=True, help_text=_("Empty: the national default (settings GRANT_MAX_AGE).")
    )
    effective_from = models.DateField(_("effective from"))
    document = models.CharField(_("document number"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("grant standard")
        verbose_name_plural = _("grant standards")
        constraints = [
            models.CheckConstraint(condition=Q(annual_amount__gt=0), name="grant_standard_amount_positive"),
            models.CheckConstraint(condition=Q(frequency__in=["monthly", "quarterly"]), name="grant_standard_frequency_valid"),
            models.CheckConstraint(condition=Q(kind__in=["orphan_education"]), name="grant_standard_kind_valid"),
            models.UniqueConstraint(fields=["region", "kind", "effective_from"], name="grant_standard_one_version_per_date"),
        ]

    def __str__(self) -> str:
        return f"{self.region.name} {self.annual_amount} ({self.effective_from})"


class Grant(models.Model):
    """One school year's grant for one young person: filed at a township (received_region),
    decided by the county of household registration, paid in instalments by that county's runs."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        ENDED = "ended", _("Ended")

    child = models.ForeignKey("cases.Child", verbose_name=_("student"), on_delete=models.PROTECT, related_name="grants")
    kind = models.CharField(_("kind"), max_length=32, choices=GrantKind.choices, default=GrantKind.ORPHAN_EDUCATION)
    school = models.CharField(_("school"), max_length=200)
    study_level = models.CharField(_("study level"), max_length=12, choices=StudyLevel.choices)
    school_year = models.CharField(_("school year"), max_length=9, help_text=_("For example 2026-2027."))
    enrolment_proof = models.CharField(_("proof of enrolment"), max_length=300)
    received_region = models.ForeignKey(
        "welfare.Region", verbose_name=_("received at"), on_delete=models.PROTECT, related_name="received_grants"
    )
    filed_by_student = models.BooleanField(_("filed by the student"), default=False, help_text=_("Otherwise by the child director."))
    county = models.ForeignKey("welfare.Region", verbose_name=_("deciding and paying county"), on_delete=models.PROTECT, related_name="grants")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    reason = models.TextField(_("reason"), blank=True)
    # Fixed from the grant standard when the county approves (empty standard: the national amount).
    annual_amount = models.DecimalField(_("amount per school year (yuan)"), max_digits=10, decimal_places=2, null=True, blank=True)
    instalments = models.PositiveSmallIntegerField(_("instalments"), null=True, blank=True)
    standard = models.ForeignKey(
        GrantStandard, verbose_name=_("grant standard"), null=True, blank=True, on_delete=models.PROTECT, related_name="grants"
    )
    bank_account_holder = models.CharField(_("account holder"), max_length=50, blank=True)
    bank_account = models.CharField(_("bank account"), max_length=40, blank=True)
    submitted_on = models.DateField(_("submitted on"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Ended: instalments due after end_month are not paid.
    end_month = models.DateField(_("last month paid"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("education grant")
        verbose_name_plural = _("education grants")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["submitted", "approved", "rejected", "ended"]), name="grant_status_valid"),
            models.CheckConstraint(condition=Q(kind__in=["orphan_education"]), name="grant_kind_valid"),
            models.CheckConstraint(
                condition=Q(study_level__in=["vocational", "college", "university", "master"]), name="grant_study_level_valid"
            ),
            models.CheckConstraint(condition=Q(school_year__regex=r"^[0-9]{4}-[0-9]{4}$"), name="grant_school_year_format"),
            models.CheckConstraint(
                condition=Q(status__in=["submitted", "rejected"]) | Q(annual_amount__isnull=False, instalments__isnull=False),
                name="grant_approved_has_amount",
            ),
            # One grant per student, kind and school year (a rejected one may be filed again).
            models.UniqueConstraint(
                fields=["child", "kind", "school_year"],
                condition=Q(status__in=["submitted", "approved", "ended"]),
                name="grant_one_per_child_school_year",
            ),
        ]
        indexes = [
            # The payout run: a county's approved (or ended) grants; the county's approval queue.
            models.Index(fields=["county", "status"], name="grant_county_status"),
        ]

    def __str__(self) -> str:
        return f"{self.child} {self.school_year} ({self.get_status_display()})"

    @property
    def first_year(self) -> int:
        return int(self.school_year[:4])


def _month_index(field: str):
    return ExtractYear(field) * 12 + ExtractMonth(field)


_YEAR_START = Cast(Substr("school_year", 1, 4), models.IntegerField()) * 12


# A grant line's key is its student, school year and instalment (a student is paid an instalment of a
# school year at most once: the issue's guarantee, held by the primary key itself, as the payouts'
# key holds child and month). One bigint folds the three: the school year's first calendar year
# from GRANT_EPOCH_YEAR and the instalment (1-12, four bits) above bit 34, the student's id below
# it. Year- and instalment-major, so a run's new lines sit together at the right-hand end of the
# key's index; smaller than 2**53, so exact in JavaScript. A CHECK constraint holds every row to it
# (grant_payout_key_is_student_year_instalment), so no writer can pay twice under another key.
GRANT_EPOCH_YEAR = 2000
GRANT_INSTALMENT_BITS = 4


def grant_payout_id(child_id: int, school_year: str, instalment: int) -> int:
    """The primary key of a student's instalment of a school year (see GRANT_EPOCH_YEAR)."""
    if not 0 < child_id < 1 << PAYOUT_CHILD_BITS:
        raise ValueError(f"child id {child_id} does not fit a grant line key")
    first = int(school_year[:4])
    if first < GRANT_EPOCH_YEAR or not 1 <= instalment <= 12:
        raise ValueError(f"{school_year} instalment {instalment} does not fit a grant line key")
    return ((first - GRANT_EPOCH_YEAR) << GRANT_INSTALMENT_BITS | instalment) << PAYOUT_CHILD_BITS | child_id


# The same key as an expression of a row's columns (the CHECK constraint; the migration that keyed
# the lines written before).
_YEAR_AND_INSTALMENT = CombinedExpression(
    (Cast(Substr("school_year", 1, 4), models.BigIntegerField()) - GRANT_EPOCH_YEAR).bitleftshift(GRANT_INSTALMENT_BITS),
    Combinable.BITOR,
    F("instalment"),
)
GRANT_PAYOUT_KEY = CombinedExpression(_YEAR_AND_INSTALMENT.bitleftshift(PAYOUT_CHILD_BITS), Combinable.BITOR, F("child_id"))


class GrantPayout(models.Model):
    """One instalment of a grant, paid as a line of the county's payout run (kept apart from the
    allowance payouts: its own table and totals). Never paid twice: the primary key is the
    student, school year and instalment (grant_payout_id, held by a CHECK constraint); `month` (the
    instalment's month) lies in the school year (September to August), held by a CHECK constraint.

    As on the allowance payouts (benefits.payouts.models.Payout), the foreign keys are PROTECT in
    Django but carry no database trigger (db_constraint=False): the run's one statement takes every
    key from the grant row it pays (and the run it locks), referenced rows are never deleted, and
    the deferred checks cost the run's COMMIT four index probes per line.

    Indexes: the primary key and `run` only (each index is paid for by every line the run writes):
    a grant's lines are found through the key (GrantPayout.of_grant: its student, school year and
    instalments 1-12); a run's lines through `run`, since a grant approved late is paid its earlier
    instalments in a later run, so the key does not tell the run."""

    id = models.BigIntegerField(_("grant line number"), primary_key=True, editable=False)
    run = models.ForeignKey(
        "benefits.PayoutRun", verbose_name=_("payout run"), on_delete=models.PROTECT, related_name="grant_payouts", db_constraint=False
    )  # indexed: the run's lines (totals, the bank file, the run page, a recomputation)
    # No index: a grant's lines are found through the key (of_grant); grants are never deleted.
    grant = models.ForeignKey(
        Grant, verbose_name=_("grant"), on_delete=models.PROTECT, related_name="payouts", db_index=False, db_constraint=False
    )
    child = models.ForeignKey(
        "cases.Child", verbose_name=_("student"), on_delete=models.PROTECT, related_name="grant_payouts", db_index=False, db_constraint=False
    )
    school_year = models.CharField(_("school year"), max_length=9)
    instalment = models.PositiveSmallIntegerField(_("instalment"))
    month = models.DateField(_("instalment month"))
    amount = models.DecimalField(_("amount (yuan)"), max_digits=10, decimal_places=2)
    # The version whose amount is paid; empty: the national amount (settings.GRANT_NATIONAL_AMOUNT).
    standard = models.ForeignKey(
        GrantStandard,
        verbose_name=_("grant standard"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payouts",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        verbose_name = _("grant instalment")
        verbose_name_plural = _("grant instalments")
        constraints = [
            models.CheckConstraint(condition=Q(id=GRANT_PAYOUT_KEY), name="grant_payout_key_is_student_year_instalment"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="grant_payout_amount_not_negative"),
            models.CheckConstraint(condition=Q(instalment__gte=1, instalment__lte=12), name="grant_payout_instalment_range"),
            models.CheckConstraint(
                condition=Q(
                    GreaterThanOrEqual(_month_index("month"), _YEAR_START + 9),
                    LessThanOrEqual(_month_index("month"), _YEAR_START + 20),
                ),
                name="grant_payout_month_in_school_year",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.child_id} {self.school_year} #{self.instalment} {self.amount}"

    def save(self, *args, **kwargs) -> None:
        if self.id is None:
            self.id = grant_payout_id(self.child_id, self.school_year, self.instalment)
        super().save(*args, **kwargs)

    @staticmethod
    def of_grant(grant: Grant) -> Q:
        """A grant's lines, through the primary key (there is no index on `grant`): the keys of its
        student and school year, instalments 1 to 12."""
        keys = [grant_payout_id(grant.child_id, grant.school_year, n) for n in range(1, 13)]
        return Q(pk__in=keys, grant_id=grant.id)
