"""Allowance standards and enrollments (their rules live in benefits/services.py)."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from benefits.months import add_months, month_start
from cases.categories import PAID_CATEGORIES, Category


class WelfareStandard(models.Model):
    """A monthly allowance standard for one region and category from a date: an amount, or
    "refers to" another category's standard in the same region and month. Provincial
    minimums (最低标准, "not lower than") are standards with `is_minimum` set."""

    region = models.ForeignKey("welfare.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="standards")
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    monthly_amount = models.DecimalField(_("monthly amount (yuan)"), max_digits=10, decimal_places=2, null=True, blank=True)
    refers_to = models.CharField(_("refers to category"), max_length=32, choices=Category.choices, null=True, blank=True)
    effective_from = models.DateField(_("effective from"))
    is_minimum = models.BooleanField(_("minimum for lower levels"), default=False)
    document = models.CharField(_("document number"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("allowance standard")
        verbose_name_plural = _("allowance standards")
        constraints = [
            models.CheckConstraint(condition=Q(category__in=PAID_CATEGORIES), name="standard_category_paid"),
            models.CheckConstraint(
                condition=(Q(monthly_amount__isnull=False, refers_to__isnull=True) | Q(monthly_amount__isnull=True, refers_to__isnull=False)),
                name="standard_amount_xor_refers",
            ),
            models.CheckConstraint(condition=Q(monthly_amount__isnull=True) | Q(monthly_amount__gte=0), name="standard_amount_not_negative"),
            models.CheckConstraint(condition=~Q(refers_to=F("category")), name="standard_not_self_referring"),
            models.UniqueConstraint(
                fields=["region", "category", "effective_from", "is_minimum"], name="standard_one_version_per_date"
            ),
        ]
        indexes = [
            # Standard resolution in the payout run: by region and category, newest first.
            models.Index(fields=["region", "category", "effective_from"], name="standard_lookup"),
        ]

    def __str__(self) -> str:
        what = f"{self.monthly_amount}" if self.monthly_amount is not None else f"→ {self.get_refers_to_display()}"
        return f"{self.region.name} {self.get_category_display()} {what} ({self.effective_from})"


class Enrollment(models.Model):
    """A child enrolled in a paid category (纳入保障) from a start month, paid by a county."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ENDED = "ended", _("Ended")

    class EndReason(models.TextChoices):
        AGE = "age", _("Turned 18")
        DEATH = "death", _("Died")
        ADOPTION = "adoption", _("Adopted")
        INELIGIBLE = "ineligible", _("No longer eligible")
        MOVED = "moved", _("Moved to another county")
        CATEGORY_CHANGE = "category_change", _("Changed category")

    child = models.ForeignKey("cases.Child", verbose_name=_("child"), on_delete=models.PROTECT, related_name="enrollments")
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    county = models.ForeignKey("welfare.Region", verbose_name=_("paying county"), on_delete=models.PROTECT, related_name="enrollments")
    start_month = models.DateField(_("first month"))
    end_month = models.DateField(_("last month"), null=True, blank=True)
    end_reason = models.CharField(_("end reason"), max_length=20, choices=EndReason.choices, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    application = models.ForeignKey(
        "cases.Application", verbose_name=_("application"), null=True, blank=True, on_delete=models.PROTECT, related_name="enrollments"
    )
    # Where the money goes (the bank or payment agency file of the payout run).
    bank_account_holder = models.CharField(_("account holder"), max_length=50, blank=True)
    bank_account = models.CharField(_("bank account"), max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        constraints = [
            models.CheckConstraint(condition=Q(category__in=PAID_CATEGORIES), name="enrollment_category_paid"),
            models.CheckConstraint(condition=Q(status__in=["active", "ended"]), name="enrollment_status_valid"),
            models.CheckConstraint(condition=Q(end_month__isnull=True) | Q(end_month__gte=F("start_month")), name="enrollment_months_ordered"),
            models.UniqueConstraint(fields=["child"], condition=Q(status="active"), name="enrollment_one_active_per_child"),
        ]
        indexes = [
            # The monthly payout run: a county's enrollments active in a month.
            models.Index(fields=["county", "start_month", "end_month"], name="enrollment_payout_run"),
        ]

    def __str__(self) -> str:
        return f"{self.child} – {self.get_category_display()} ({self.start_month:%Y-%m})"


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
# PostgreSQL a CHECK constraint holds every row to it (benefits/schema.py).
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
    `child` and `month` columns (PostgreSQL, benefits/schema.py). The foreign keys are PROTECT in
    Django but carry no per-row database trigger (db_constraint=False): their referenced rows are
    never deleted, the insert takes every key from the row it references, and the triggers cost
    more than the insert itself (measured: COMMIT of a 10,000-row county 0.94 s with them, 0.01 s
    without).

    The only B-tree is the primary key (measured on the 1,000,000-row benchmark, see
    benchmarks/payouts.py: each further B-tree costs about half the bare insert):
    - a run's rows (the run page's change from last month, the bank export, the payouts API
      filtered by run, the totals, the recomputation of a draft) are found through a BRIN index on
      `run` (benefits/schema.py; a run's rows are written together, so they lie together);
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


class Transfer(models.Model):
    """A child's allowance moving to another county (跨县转移): asked by the paying (sending) county,
    accepted or refused by the receiving county. Nothing moves before acceptance; on acceptance
    (benefits.services.transfer_accept) the sending enrollment ends with the month before
    `effective_month`, a new one in the receiving county starts at it, and the child's record moves
    to `region`, a village of the receiving county."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        ACCEPTED = "accepted", _("Accepted")
        REFUSED = "refused", _("Refused")

    enrollment = models.ForeignKey(Enrollment, verbose_name=_("enrollment"), on_delete=models.PROTECT, related_name="transfers")
    child = models.ForeignKey("cases.Child", verbose_name=_("child"), on_delete=models.PROTECT, related_name="transfers")
    # The transfers pages and API of a county: its requests out and in (the foreign keys' indexes).
    from_county = models.ForeignKey(
        "welfare.Region", verbose_name=_("sending county"), on_delete=models.PROTECT, related_name="transfers_out"
    )
    to_county = models.ForeignKey(
        "welfare.Region", verbose_name=_("receiving county"), on_delete=models.PROTECT, related_name="transfers_in"
    )
    requested_on = models.DateField(_("requested on"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    # The request's reason; on refusal, the refusal's (the request's stays in the history).
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    # Set on acceptance: the first month the receiving county pays, the village the child lives in
    # now (in the receiving county) and the enrollment opened there.
    effective_month = models.DateField(_("first month paid by the receiving county"), null=True, blank=True)
    region = models.ForeignKey(
        "welfare.Region", verbose_name=_("new village"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    new_enrollment = models.ForeignKey(
        Enrollment, verbose_name=_("new enrollment"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("allowance transfer")
        verbose_name_plural = _("allowance transfers")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["requested", "accepted", "refused"]), name="transfer_status_valid"),
            models.CheckConstraint(
                condition=Q(status="accepted", effective_month__isnull=False) | (~Q(status="accepted") & Q(effective_month__isnull=True)),
                name="transfer_month_set_on_acceptance",
            ),
            models.UniqueConstraint(fields=["enrollment"], condition=Q(status="requested"), name="transfer_one_open_per_enrollment"),
        ]

    def __str__(self) -> str:
        return f"{self.child} {self.from_county.name} → {self.to_county.name} ({self.get_status_display()})"
