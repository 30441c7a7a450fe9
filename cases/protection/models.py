"""Protection casework (个案管理): reports of a child at risk, the case that follows, its
guardianship assessments, versioned case plans with their measures, referrals, follow-ups and
notes. The rules live in cases/protection/services.py; reads in selectors.py."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from cases.checks.models import Check
from cases.children.models import Child

# The risk levels of a case are those of a check (a high-risk check opens a report): one list.
RiskLevel = Check.RiskLevel


class ReviewStatus(models.TextChoices):
    """Assessments and plans: written, submitted by the caseworker, approved or returned by the county."""

    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned")


class CaseReport(models.Model):
    """A concern about a child (线索): a mandatory report, a 12349 hotline ticket, a check that
    found high risk. It goes to the county of the place where it happened, which screens it."""

    class Source(models.TextChoices):
        MANDATORY_REPORT = "mandatory_report", _("Mandatory report (强制报告)")
        HOTLINE = "hotline", _("12349 hotline")
        CHECK = "check", _("Check found a risk")
        WALK_IN = "walk_in", _("Walk-in")
        POLICE = "police", _("Police")
        OTHER = "other", _("Other")

    class ReporterType(models.TextChoices):
        SCHOOL = "school", _("School")
        KINDERGARTEN = "kindergarten", _("Kindergarten")
        HOSPITAL = "hospital", _("Hospital")
        VILLAGE_COMMITTEE = "village_committee", _("Village or residents' committee")
        INSTITUTION = "institution", _("Institution")
        HOTEL = "hotel", _("Hotel")
        RELATIVE = "relative", _("Relative")
        NEIGHBOUR = "neighbour", _("Neighbour")
        SELF = "self", _("The child")
        ANONYMOUS = "anonymous", _("Anonymous")
        OTHER = "other", _("Other")

    class Concern(models.TextChoices):
        ABUSE = "abuse", _("Abuse")
        NEGLECT = "neglect", _("Neglect")
        ABANDONMENT = "abandonment", _("Abandonment")
        DOMESTIC_VIOLENCE = "domestic_violence", _("Domestic violence")
        SEXUAL_ABUSE = "sexual_abuse", _("Sexual abuse")
        TRAFFICKING = "trafficking", _("Trafficking")
        INJURY = "injury", _("Injury")
        MALNUTRITION = "malnutrition", _("Malnutrition")
        GUARDIANSHIP_MISSING = "guardianship_missing", _("No guardian able to act")
        PSYCHOLOGICAL = "psychological", _("Psychological crisis")
        OTHER = "other", _("Other")

    class Urgency(models.TextChoices):
        IMMEDIATE = "immediate", _("Immediate (24 hours)")
        URGENT = "urgent", _("Urgent (3 working days)")
        NORMAL = "normal", _("Normal (10 working days)")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        SCREENED_IN = "screened_in", _("Screened in")
        SCREENED_OUT = "screened_out", _("Screened out")

    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    reporter_type = models.CharField(_("reporter"), max_length=20, choices=ReporterType.choices, default=ReporterType.OTHER)
    reporter_name = models.CharField(_("reporter's name"), max_length=50, blank=True)
    reporter_phone = models.CharField(_("reporter's phone"), max_length=30, blank=True)
    child = models.ForeignKey(
        Child, verbose_name=_("child"), null=True, blank=True, on_delete=models.PROTECT, related_name="case_reports"
    )
    child_name = models.CharField(_("child's name"), max_length=50, blank=True)
    region = models.ForeignKey(
        "welfare.Region", verbose_name=_("where it happened"), on_delete=models.PROTECT, related_name="case_reports"
    )
    county = models.ForeignKey(
        "welfare.Region", verbose_name=_("county that screens it"), on_delete=models.PROTECT, related_name="+"
    )
    concern = models.CharField(_("concern"), max_length=24, choices=Concern.choices)
    serious = models.BooleanField(_("serious injury"), default=False)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    description = models.TextField(_("what was seen or heard"))
    police_notified_at = models.DateTimeField(_("police notified at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"))
    respond_by = models.DateTimeField(_("respond by"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.RECEIVED)
    reason = models.TextField(_("screening reason"), blank=True)
    case = models.ForeignKey(
        "Case", verbose_name=_("case"), null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    check_record = models.OneToOneField(
        "cases.Check", verbose_name=_("check"), null=True, blank=True, on_delete=models.PROTECT, related_name="case_report"
    )
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("filed by"), on_delete=models.PROTECT, related_name="+")
    screened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("screened by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    screened_at = models.DateTimeField(_("screened at"), null=True, blank=True)
    callback_at = models.DateTimeField(_("caller called back at"), null=True, blank=True)
    callback_note = models.TextField(_("callback note"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("case report")
        verbose_name_plural = _("case reports")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["received", "screened_in", "screened_out"]), name="case_report_status_valid"),
            models.CheckConstraint(condition=Q(urgency__in=["immediate", "urgent", "normal"]), name="case_report_urgency_valid"),
            models.CheckConstraint(
                condition=~Q(status="screened_in") | Q(case__isnull=False), name="case_report_screened_in_has_case"
            ),
        ]
        indexes = [
            # The county's screening queue and the daily job: unscreened reports by deadline.
            models.Index(fields=["county", "status", "respond_by"], name="case_report_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.get_concern_display()} · {self.child_name or self.child_id or '-'} ({self.received_at:%Y-%m-%d})"


class Case(models.Model):
    """The case of a child at risk: one open case per child."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("case status", "Open")
        CLOSED = "closed", pgettext_lazy("case status", "Closed")

    class OpenedFrom(models.TextChoices):
        REPORT = "report", _("A report")
        CHECK = "check", _("A check")
        MANUAL = "manual", _("Opened by the county")

    class ClosureReason(models.TextChoices):
        RISK_RESOLVED = "risk_resolved", _("Risk resolved")
        TURNED_18 = "turned_18", _("Turned 18")
        MOVED_AWAY = "moved_away", _("Moved away")
        TRANSFERRED = "transferred", _("Transferred")
        PLACED = "placed", _("Placed in an institution")
        ADOPTED = "adopted", _("Adopted")
        DIED = "died", _("Died")
        OTHER = "other", _("Other")

    child = models.ForeignKey(Child, verbose_name=_("child"), on_delete=models.PROTECT, related_name="protection_cases")
    status = models.CharField(_("status"), max_length=6, choices=Status.choices, default=Status.OPEN)
    risk_level = models.CharField(_("risk level"), max_length=6, choices=RiskLevel.choices, default=RiskLevel.MEDIUM)
    opened_on = models.DateField(_("opened on"))
    opened_from = models.CharField(_("opened from"), max_length=6, choices=OpenedFrom.choices, default=OpenedFrom.REPORT)
    caseworker = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("caseworker"), null=True, blank=True, on_delete=models.PROTECT, related_name="protection_cases"
    )
    next_follow_up_due = models.DateField(_("next follow-up due"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closure_reason = models.CharField(_("closure reason"), max_length=14, choices=ClosureReason.choices, blank=True)
    closure_note = models.TextField(_("closure note"), blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("closed by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["open", "closed"]), name="case_status_valid"),
            models.CheckConstraint(condition=Q(risk_level__in=["low", "medium", "high"]), name="case_risk_level_valid"),
            # One open case per child: screening a second report joins it.
            models.UniqueConstraint(fields=["child"], condition=Q(status="open"), name="case_one_open_per_child"),
        ]
        indexes = [
            # The county's open-case worklist and the daily follow-up job.
            models.Index(fields=["status", "next_follow_up_due"], name="case_open_due"),
        ]

    def __str__(self) -> str:
        return _("Case %(id)s") % {"id": self.pk}


class Reviewed(models.Model):
    """What an assessment and a plan share: written by the team, submitted, then approved or
    returned (with a comment) by a county official other than the submitter."""

    status = models.CharField(_("status"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT)
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("written by"), on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        abstract = True


class Assessment(Reviewed):
    """A guardianship assessment (监护评估) by at least three assessors, with a grade."""

    class Grade(models.TextChoices):
        NORMAL = "normal", _("Normal (正常)")
        INSUFFICIENT = "insufficient", _("Insufficient (不足)")
        IMPROPER = "improper", _("Improper (失当)")
        MISSING = "missing", _("Missing (缺失)")

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="assessments")
    assessed_on = models.DateField(_("assessed on"))
    grade = models.CharField(_("guardianship grade"), max_length=12, choices=Grade.choices)
    risk_level = models.CharField(_("risk level"), max_length=6, choices=RiskLevel.choices)
    assessors = models.JSONField(_("assessors"), default=list)
    needs = models.JSONField(_("needs by domain"), default=dict, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("guardianship assessment")
        verbose_name_plural = _("guardianship assessments")
        constraints = [
            models.CheckConstraint(condition=Q(grade__in=["normal", "insufficient", "improper", "missing"]), name="assessment_grade_valid"),
            models.CheckConstraint(condition=Q(status__in=["draft", "submitted", "approved", "returned"]), name="assessment_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_grade_display()} ({self.assessed_on})"


class CasePlan(Reviewed):
    """One version of the individual case plan (一案一策). An approved version is frozen."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="plans")
    version = models.PositiveIntegerField(_("version"))
    review_on = models.DateField(_("reassess on"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("case plan")
        verbose_name_plural = _("case plans")
        constraints = [
            models.UniqueConstraint(fields=["case", "version"], name="case_plan_version_unique"),
            models.CheckConstraint(condition=Q(status__in=["draft", "submitted", "approved", "returned"]), name="case_plan_status_valid"),
        ]

    def __str__(self) -> str:
        return _("Plan v%(version)s") % {"version": self.version}


class PlanMeasure(models.Model):
    """One measure of a plan: what, who is responsible, by when."""

    class Domain(models.TextChoices):
        SAFETY = "safety", _("Safety")
        HEALTH = "health", _("Health")
        EDUCATION = "education", _("Education")
        PSYCHOLOGICAL = "psychological", _("Psychological")
        LIVING = "living", _("Living conditions")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")

    plan = models.ForeignKey(CasePlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="measures")
    domain = models.CharField(_("domain"), max_length=14, choices=Domain.choices)
    action = models.CharField(_("action"), max_length=300)
    responsible = models.CharField(_("responsible"), max_length=100)
    due_on = models.DateField(_("due on"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PLANNED)

    class Meta:
        verbose_name = _("plan measure")
        verbose_name_plural = _("plan measures")
        indexes = [
            # The daily job: measures past due.
            models.Index(fields=["status", "due_on"], name="plan_measure_due"),
        ]

    def __str__(self) -> str:
        return self.action[:60]


class Referral(models.Model):
    """A referral (转介) to an institution of the system (its staff answer) or to an outside
    agency (the caseworker records the answer)."""

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        COMPLETED = "completed", _("Completed")

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="referrals")
    to_institution = models.ForeignKey(
        "institutions.Institution", verbose_name=_("institution"), null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    to_agency = models.CharField(_("agency"), max_length=100, blank=True)
    service = models.CharField(_("service asked for"), max_length=200)
    consent = models.CharField(_("consent recorded"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SENT)
    reason = models.TextField(_("reason"), blank=True)
    sent_on = models.DateField(_("sent on"))
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("sent by"), on_delete=models.PROTECT, related_name="+")
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("answered by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["sent", "accepted", "declined", "completed"]), name="referral_status_valid"),
            models.CheckConstraint(
                condition=Q(to_institution__isnull=False) | ~Q(to_agency=""), name="referral_has_a_recipient"
            ),
        ]

    def __str__(self) -> str:
        return self.service[:60]


class FollowUp(models.Model):
    """A scheduled follow-up of a case: due on a date, done on another."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="follow_ups")
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("done by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        indexes = [
            # The daily job: open follow-ups past due.
            models.Index(fields=["done_on", "due_on"], name="follow_up_due"),
        ]

    def __str__(self) -> str:
        return f"{self.due_on}"


class CaseNote(models.Model):
    """A dated note on the case's timeline."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="notes")
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("written by"), on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(_("written at"), auto_now_add=True)
    text = models.TextField(_("note"))

    class Meta:
        verbose_name = _("case note")
        verbose_name_plural = _("case notes")

    def __str__(self) -> str:
        return self.text[:60]
