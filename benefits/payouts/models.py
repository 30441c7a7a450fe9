"""Payout runs, payouts and adjustments (their rules live in benefits/payouts/services.py, what
only PostgreSQL holds in benefits/payouts/schema.py)."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from benefits.enrollments.models import Enrollment
from benefits.standards.models import WelfareStandard
from cases.children.categories import Category
from welfare.months import add_months, month_start


class PayoutRun(models.Model):
    """One county's payout for one month (按月发放). Computed by a worker in one transaction,
    approved by the county (then frozen), exported for the bank or payment agency."""

    class Status(models.TextChoices):
        COMPUTING = "computing", _("Computing")
        DRAFT = "draft", _("Draft (waiting for approval)")
        APPROVED = "approved", _("Approved")
        EXPORTED = "exported", _("Exported")
        FAILED = "failed", _("Failed")

    region = models.ForeignKey("welfare.Region", verbose_name=_("county"), on_delete=models.PROTECT, related_name="payout_runs")
    month = models.DateField(_("month"), help_text=_("The first day of the month paid."))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.COMPUTING)
    payout_count = models.PositiveIntegerField(_("payouts"), default=0)
    total_amount = models.DecimalField(_("total (yuan)"), max_digits=16, decimal_places=2, default=0)
    totals_by_category = models.JSONField(_("totals by category"), default=dict, blank=True)
    adjustment_count = models.PositiveIntegerField(_("adjustments"), default=0)
    adjustment_total = models.DecimalField(_("adjustments total (yuan)"), max_digits=16, decimal_places=2, default=0)
    # Education-grant instalments paid in the run (benefits/grants), apart from the allowances.
    grant_count = models.PositiveIntegerField(_("grant instalments"), default=0)
    grant_total = models.DecimalField(_("grant instalments total (yuan)"), max_digits=16, decimal_places=2, default=0)
    # Enrollments that could not be paid because no standard applies: listed for the county.
    problems = models.JSONField(_("problems"), default=list, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("started by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("computation started"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approved by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    exported_at = models.DateTimeField(_("exported at"), null=True, blank=True)
    # Who moved the run on and when (approval, export, recomputation). Payout rows themselves are
    # never edited after insert: corrections are Adjustment rows, which keep history too.
    history = HistoricalRecords(excluded_fields=["totals_by_category", "problems"])

    class Meta:
        verbose_name = _("payout run")
        verbose_name_plural = _("payout runs")
        constraints = [
            models.UniqueConstraint(fields=["region", "month"], name="payout_run_one_per_county_month"),
            models.CheckConstraint(
                condition=Q(status__in=["computing", "draft", "approved", "exported", "failed"]), name="payout_run_status_valid"
            ),
        ]
        indexes = [
            # Dashboards and the run list: runs by month.
            models.Index(fields=["month", "status"], name="payout_run_month_status"),
        ]

    def __str__(self) -> str:
        return f"{self.region.name} {self.month:%Y-%m} ({self.get_status_display()})"

    @property
    def is_frozen(self) -> bool:
        return self.status in (self.Status.APPROVED, self.Status.EXPORTED)


# The payout's key is its child and month (a child is paid at most once a month: DOMAIN's one paid
# enrollment at a time, so also at most once per child, month and category). One bigint folds the
# two: the days from PAYOUT_EPOCH to the month's first day above bit 34, the child's id below it.
# Month-major, so a month's rows sit together at the right-hand end of the primary key and the run
# never touches earlier months' index pages; smaller than 2**53, so exact in JavaScript. On
# PostgreSQL a CHECK constraint holds every row to it (benefits/payouts/schema.py).
PAYOUT_EPOCH = datetime.date(2000, 1, 1)


PAYOUT_CHILD_BITS = 34


def payout_id(child_id: int, month: datetime.date) -> int:
    """The primary key of a child's payout for a month (see PAYOUT_EPOCH)."""
    if not 0 < child_id < 1 << PAYOUT_CHILD_BITS:
        raise ValueError(f"child id {child_id} does not fit a payout key")
    if month < PAYOUT_EPOCH or month.day != 1:
        raise ValueError(f"{month} is not the first day of a month from {PAYOUT_EPOCH:%Y-%m}")
    return payout_month_base(month) | child_id


def payout_month_base(month: datetime.date) -> int:
    """The smallest payout key of a month: a month's keys are [base(month), base(next month))."""
    return (month - PAYOUT_EPOCH).days << PAYOUT_CHILD_BITS


class Payout(models.Model):
    """One child's allowance for one month, with the category and the standard version that
    produced the amount (reproducible: every amount traces to its document). Written only by the
    run.

    An append-only ledger of about a million rows a month, written by one INSERT … SELECT per
    county and category from existing enrollment rows. Double payment is prevented by the database:
    the primary key is the child and month (payout_id), which a CHECK constraint binds to the
    `child` and `month` columns (PostgreSQL, benefits/payouts/schema.py). The foreign keys are PROTECT in
    Django but carry no per-row database trigger (db_constraint=False): their referenced rows are
    never deleted, the insert takes every key from the row it references, and the triggers cost
    more than the insert itself (measured: COMMIT of a 10,000-row county 0.94 s with them, 0.01 s
    without).

    The only index is the primary key (measured on the 1,000,000-row benchmark, see
    benchmarks/payouts.py: each further B-tree costs about half the bare insert, and even a BRIN
    index on `run` cost 2–3 extra buffer accesses per row on PostgreSQL 15, about a tenth of the run):
    - a run's rows (the run page's change from last month, the bank export, the payouts API
      filtered by run, the totals, the recomputation of a draft) through the primary key: the key
      of each child with an enrollment in the run's county, in the run's month (Payout.of_run; an
      enrollment's county and child never change, which the database enforces, so these keys hold
      every row the run wrote);
    - a child's payments (the enrollment page, adjustments' "not more than was paid") through the
      primary key: payout_id of the child and each month;
    - a month's payments (dashboards) through the primary key's range for the month."""

    id = models.BigIntegerField(_("payout number"), primary_key=True, editable=False)
    run = models.ForeignKey(
        PayoutRun,
        verbose_name=_("payout run"),
        on_delete=models.PROTECT,
        related_name="payouts",
        db_index=False,
        db_constraint=False,
    )
    # enrollment, standard: no index — no page or job looks payouts up by them (Django's PROTECT
    # check would scan the table, but enrollments and standard versions are never deleted; nor are
    # children, whose payments the key finds).
    child = models.ForeignKey(
        "cases.Child",
        verbose_name=_("child"),
        on_delete=models.PROTECT,
        related_name="payouts",
        db_index=False,
        db_constraint=False,
    )
    enrollment = models.ForeignKey(
        Enrollment,
        verbose_name=_("enrollment"),
        on_delete=models.PROTECT,
        related_name="payouts",
        db_index=False,
        db_constraint=False,
    )
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    month = models.DateField(_("month"))
    amount = models.DecimalField(_("amount (yuan)"), max_digits=10, decimal_places=2)
    # The version whose amount was paid (after following "refers to" and provincial minimums).
    standard = models.ForeignKey(
        WelfareStandard,
        verbose_name=_("standard"),
        on_delete=models.PROTECT,
        related_name="payouts",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="payout_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.child_id} {self.month:%Y-%m} {self.category} {self.amount}"

    def save(self, *args, **kwargs) -> None:
        if self.id is None:
            self.id = payout_id(self.child_id, self.month)
        super().save(*args, **kwargs)

    @staticmethod
    def of_child(child_id: int) -> Q:
        """A child's payouts, through the primary key: its key in every month from PAYOUT_EPOCH to a
        year from now (a few hundred index probes; there is no index by child)."""
        last = add_months(month_start(timezone.localdate()), 12)
        keys = []
        month = PAYOUT_EPOCH
        while month <= last:
            keys.append(payout_id(child_id, month))
            month = add_months(month, 1)
        return Q(pk__in=keys, child_id=child_id)

    @staticmethod
    def of_run(run: "PayoutRun") -> Q:
        """A run's payouts, through the primary key (there is no index on `run`): the run writes only
        rows of children enrolled in its county, keyed by child and the run's month, so its rows are
        among the keys of the county's enrollments (every one, ended ones too). The database refuses
        changing an enrollment's county or child (benefits/payouts/schema.py), so none is missed."""
        keys = Enrollment.objects.filter(county_id=run.region_id).values(key=F("child_id").bitor(payout_month_base(run.month)))
        return Q(pk__in=keys, run_id=run.id)

    @staticmethod
    def in_months(months) -> Q:
        """Payouts of the given months (first days), as ranges of the primary key: a month's
        payouts are read from its part of the index, not by scanning every month's rows."""
        q = Q(pk__in=[])
        for month in months:
            q |= Q(pk__gte=payout_month_base(month), pk__lt=payout_month_base(add_months(month, 1)), month=month)
        return q


class Adjustment(models.Model):
    """A correction after a month was approved: back pay (补发, positive) or recovery (negative).
    Paid in `month` (the next run of the paying county includes it), correcting `for_month`."""

    child = models.ForeignKey("cases.Child", verbose_name=_("child"), on_delete=models.PROTECT, related_name="adjustments")
    county = models.ForeignKey("welfare.Region", verbose_name=_("paying county"), on_delete=models.PROTECT, related_name="adjustments")
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    month = models.DateField(_("paid in month"))
    for_month = models.DateField(_("corrects month"))
    amount = models.DecimalField(_("amount (yuan)"), max_digits=10, decimal_places=2, help_text=_("Positive: back pay; negative: recovery."))
    reason = models.CharField(_("reason"), max_length=300)
    run = models.ForeignKey(
        PayoutRun, verbose_name=_("included in run"), null=True, blank=True, on_delete=models.PROTECT, related_name="adjustments"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("adjustment")
        verbose_name_plural = _("adjustments")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="adjustment_amount_not_zero"),
        ]
        indexes = [
            # The payout run picks up a county's adjustments not yet included.
            models.Index(fields=["county", "month"], name="adjustment_pending", condition=Q(run__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.child} {self.for_month:%Y-%m} {self.amount} ({self.reason})"
