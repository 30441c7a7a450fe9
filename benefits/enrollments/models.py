"""Enrollments in a paid category and transfers of an allowance between counties (their rules live
in benefits/enrollments/services.py)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cases.children.categories import PAID_CATEGORIES, Category


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


class Transfer(models.Model):
    """A child's allowance moving to another county (跨县转移): asked by the paying (sending) county,
    accepted or refused by the receiving county. Nothing moves before acceptance; on acceptance
    (benefits.enrollments.services.transfer_accept) the sending enrollment ends with the month before
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
