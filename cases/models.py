"""Children, guardians, category memberships, recognition applications and checks."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cases.categories import PAID_CATEGORIES, Category
from welfare.idnumber import mask_id_number


class ListedQuerySet(models.QuerySet):
    """The queryset of the tables behind the child list API (children, guardians, memberships):
    its set-wise writes retire every cached list page (cases.list_cache), since they do not say
    which regions they touched. Single saves and deletes are caught by signals (cases.apps)."""

    def update(self, **kwargs) -> int:
        count = super().update(**kwargs)
        if count:
            _set_wise_change()
        return count

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        if created:
            _set_wise_change()
        return created

    def bulk_update(self, objs, fields, *args, **kwargs) -> int:
        count = super().bulk_update(objs, fields, *args, **kwargs)
        if count:
            _set_wise_change()
        return count


def _set_wise_change() -> None:
    from cases.list_cache import children_changed

    children_changed(None)


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Child(models.Model):
    """A child, recorded once nationally (keyed by the identity number when there is one)."""

    class CheckState(models.TextChoices):
        OK = "ok", _("Checked")
        DUE_SOON = "due_soon", _("Check due soon")
        OVERDUE = "overdue", _("Check overdue")

    class ReviewStatus(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Reviewed")
        RETURNED = "returned", _("Returned for correction")

    name = models.CharField(_("name"), max_length=50)
    id_number = models.CharField(_("identity number"), max_length=18, null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"))
    # Indexed by child_region_order below (region, id), not by db_index.
    region = models.ForeignKey(
        "welfare.Region", verbose_name=_("residence village"), on_delete=models.PROTECT, related_name="children", db_index=False
    )
    household_region = models.ForeignKey(
        "welfare.Region",
        verbose_name=_("household registration"),
        on_delete=models.PROTECT,
        related_name="registered_children",
    )
    school = models.CharField(_("school"), max_length=100, blank=True)
    health_notes = models.TextField(_("health"), blank=True)
    disability_notes = models.TextField(_("disability"), blank=True)
    registered_on = models.DateField(_("registered on"))
    died_on = models.DateField(_("died on"), null=True, blank=True)
    # Three-monthly checks of left-behind children: the due date is stored, the state derived
    # from it by the daily job (and at query time).
    next_check_due = models.DateField(_("next check due"), null=True, blank=True)
    check_state = models.CharField(_("check state"), max_length=10, choices=CheckState.choices, null=True, blank=True)
    review_status = models.CharField(
        _("review status"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    review_comment = models.CharField(_("review comment"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["check_state", "updated_at"])
    objects = ListedQuerySet.as_manager()

    class Meta:
        verbose_name = _("child")
        verbose_name_plural = _("children")
        constraints = [
            models.UniqueConstraint(fields=["id_number"], condition=Q(id_number__isnull=False), name="child_id_number_unique"),
            models.CheckConstraint(condition=Q(sex__in=["M", "F"]), name="child_sex_valid"),
            models.CheckConstraint(
                condition=Q(check_state__isnull=True) | Q(check_state__in=["ok", "due_soon", "overdue"]),
                name="child_check_state_valid",
            ),
        ]
        indexes = [
            # Daily overdue-check job and the worklists: children by due date.
            models.Index(fields=["next_check_due"], name="child_next_check_due"),
            # Daily overdue-check job: only the rows whose state changes today are read
            # (state = 'ok' AND due <= today + 14, ...); also the check_state filter of the list API.
            models.Index(fields=["check_state", "next_check_due"], name="child_check_state_due"),
            # Child search by name on the director's and supervisor's pages.
            models.Index(fields=["name"], name="child_name"),
            # A region's children in id order: the pages of the list API read their ids from the
            # index alone (no table read, no sort of whole rows), and its counts too.
            models.Index(fields=["region", "id"], name="child_region_order"),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def from_db(cls, db, field_names, values):
        child = super().from_db(db, field_names, values)
        # The village it was read with: a move changes the child lists of both villages.
        child._loaded_region_id = child.__dict__.get("region_id")
        return child

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)


class Guardian(models.Model):
    class Relation(models.TextChoices):
        FATHER = "father", _("Father")
        MOTHER = "mother", _("Mother")
        GRANDPARENT = "grandparent", _("Grandparent")
        RELATIVE = "relative", _("Other relative")
        ENTRUSTED = "entrusted", _("Entrusted caregiver")

    child = models.ForeignKey(Child, verbose_name=_("child"), on_delete=models.CASCADE, related_name="guardians")
    name = models.CharField(_("name"), max_length=50)
    relation = models.CharField(_("relation"), max_length=12, choices=Relation.choices)
    id_number = models.CharField(_("identity number"), max_length=18, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    is_migrant_worker = models.BooleanField(_("works away from home"), default=False)
    work_place = models.CharField(_("where they work"), max_length=100, blank=True)
    can_act_as_guardian = models.BooleanField(_("can act as guardian"), default=True)
    history = HistoricalRecords()
    objects = ListedQuerySet.as_manager()

    class Meta:
        verbose_name = _("guardian")
        verbose_name_plural = _("guardians")
        constraints = [
            models.CheckConstraint(
                condition=Q(relation__in=["father", "mother", "grandparent", "relative", "entrusted"]),
                name="guardian_relation_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_relation_display()})"

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)


class CategoryMembership(models.Model):
    """A child belongs to a category from one date to another. Paid categories exclude each
    other (one open paid membership per child, enforced by a partial unique index)."""

    child = models.ForeignKey(Child, verbose_name=_("child"), on_delete=models.CASCADE, related_name="memberships")
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    sub_category = models.CharField(_("sub-category"), max_length=50, blank=True)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    end_reason = models.CharField(_("end reason"), max_length=200, blank=True)
    history = HistoricalRecords()
    objects = ListedQuerySet.as_manager()

    class Meta:
        verbose_name = _("category membership")
        verbose_name_plural = _("category memberships")
        constraints = [
            models.CheckConstraint(condition=Q(category__in=Category.values), name="membership_category_valid"),
            models.CheckConstraint(condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")), name="membership_dates_ordered"),
            models.UniqueConstraint(
                fields=["child"],
                condition=Q(category__in=PAID_CATEGORIES, end_date__isnull=True),
                name="membership_one_open_paid_category",
            ),
            models.UniqueConstraint(
                fields=["child", "category"], condition=Q(end_date__isnull=True), name="membership_one_open_per_category"
            ),
        ]
        indexes = [
            # Dashboard counts by category at a date.
            models.Index(fields=["category", "start_date", "end_date"], name="membership_category_dates"),
        ]

    def __str__(self) -> str:
        return f"{self.child} – {self.get_category_display()}"


class Application(models.Model):
    """A recognition application (认定): received at a township, routed to the county of the
    child's household registration, reviewed by the township, decided by the county."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        REVIEWED = "reviewed", _("Reviewed by the township")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    child = models.ForeignKey(Child, verbose_name=_("child"), on_delete=models.PROTECT, related_name="applications")
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    received_region = models.ForeignKey(
        "welfare.Region", verbose_name=_("received at"), on_delete=models.PROTECT, related_name="received_applications"
    )
    county = models.ForeignKey(
        "welfare.Region", verbose_name=_("deciding county"), on_delete=models.PROTECT, related_name="county_applications"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    reason = models.TextField(_("reason"), blank=True)
    submitted_on = models.DateField(_("submitted on"))
    due_on = models.DateField(_("decide by"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_on = models.DateField(_("reviewed on"), null=True, blank=True)
    review_comment = models.TextField(_("review comment"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["submitted", "reviewed", "approved", "rejected"]), name="application_status_valid"),
            models.CheckConstraint(condition=Q(category__in=PAID_CATEGORIES), name="application_category_paid"),
            models.UniqueConstraint(
                fields=["child", "category"],
                condition=Q(status__in=["submitted", "reviewed"]),
                name="application_one_open_per_child_category",
            ),
        ]
        indexes = [
            # County approval queue and the past-time-limit list.
            models.Index(fields=["county", "status", "due_on"], name="application_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.child} – {self.get_category_display()} ({self.get_status_display()})"


class Check(models.Model):
    """A check (home visit, 走访) of a child, usually a left-behind child every three months."""

    class Kind(models.TextChoices):
        ROUTINE = "routine", _("Routine three-monthly check")
        SAFETY = "safety", _("Summer / flood-season safety check")
        FOLLOW_UP = "follow_up", _("Follow-up")
        INCIDENT = "incident", _("Incident")

    class RiskLevel(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")

    child = models.ForeignKey(Child, verbose_name=_("child"), on_delete=models.PROTECT, related_name="checks")
    checked_on = models.DateField(_("checked on"))
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("checked by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ROUTINE)
    caregiver = models.CharField(_("who actually cares for the child"), max_length=100, blank=True)
    father_away = models.BooleanField(_("father works away"), null=True, blank=True)
    father_work_place = models.CharField(_("father works in"), max_length=100, blank=True)
    mother_away = models.BooleanField(_("mother works away"), null=True, blank=True)
    mother_work_place = models.CharField(_("mother works in"), max_length=100, blank=True)
    attends_school = models.BooleanField(_("attends school"), null=True, blank=True)
    health = models.CharField(_("health"), max_length=200, blank=True)
    safety_risk = models.CharField(_("safety risks"), max_length=200, blank=True)
    guardianship_risk = models.CharField(_("guardianship risks"), max_length=200, blank=True)
    risk_level = models.CharField(_("risk level"), max_length=6, choices=RiskLevel.choices, default=RiskLevel.LOW)
    notes = models.TextField(_("notes"), blank=True)
    follow_up = models.TextField(_("follow-up actions"), blank=True)
    campaign = models.ForeignKey(
        "Campaign", verbose_name=_("campaign"), null=True, blank=True, on_delete=models.PROTECT, related_name="checks"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    # Not a column: True on the check that cases.checks.check_record answers a repeated request with.
    is_repeat = False

    class Meta:
        verbose_name = _("check")
        verbose_name_plural = _("checks")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["routine", "safety", "follow_up", "incident"]), name="check_kind_valid"),
            models.CheckConstraint(condition=Q(risk_level__in=["low", "medium", "high"]), name="check_risk_level_valid"),
        ]
        indexes = [
            # Last check per child (due dates) and quarter completion.
            models.Index(fields=["child", "checked_on"], name="check_child_date"),
        ]

    def __str__(self) -> str:
        return f"{self.child} {self.checked_on}"


class Draft(models.Model):
    """A long form (the registration of a child with guardians) saved half-way by its author.
    Only the author sees it; it is deleted when the form is finally submitted."""

    class Kind(models.TextChoices):
        CHILD_REGISTRATION = "child_registration", _("Child registration")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=100, blank=True)
    data = models.JSONField(_("data"), default=dict)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("draft")
        verbose_name_plural = _("drafts")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["child_registration"]), name="draft_kind_valid"),
        ]
        indexes = [
            # The child director's worklist: "my drafts", newest first.
            models.Index(fields=["user", "kind", "updated_at"], name="draft_user_kind"),
        ]

    def __str__(self) -> str:
        return self.title or f"{self.get_kind_display()} {self.updated_at:%Y-%m-%d %H:%M}"


class FormSubmission(models.Model):
    """The one-time token of a submitted page form. A second submit of the same form (double
    click, a retry on a patchy connection) finds the record the first one created."""

    token = models.CharField(_("token"), max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=32)
    object_id = models.BigIntegerField(_("object id"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("form submission")
        verbose_name_plural = _("form submissions")

    def __str__(self) -> str:
        return f"{self.kind} {self.token[:8]}…"


class Campaign(models.Model):
    """A one-off check round launched by a county or province (e.g. the summer flood-season
    safety checks, 暑期汛期安全保护): every child of the chosen categories in the region is to
    be checked between `starts_on` and `deadline`."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind of check"), max_length=10, choices=Check.Kind.choices, default=Check.Kind.SAFETY)
    region = models.ForeignKey("welfare.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="campaigns")
    categories = models.JSONField(_("categories"), default=list)
    starts_on = models.DateField(_("starts on"))
    deadline = models.DateField(_("deadline"))
    description = models.TextField(_("description"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("launched by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("check campaign")
        verbose_name_plural = _("check campaigns")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["routine", "safety", "follow_up", "incident"]), name="campaign_kind_valid"),
            models.CheckConstraint(condition=Q(deadline__gte=F("starts_on")), name="campaign_dates_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.starts_on} – {self.deadline})"


class DashboardSnapshot(models.Model):
    """Dashboard figures of one township or county on one day (`day`), or of one county at the
    end of one month (`month`: categories and money paid only), computed by cases/dashboard.py.
    County, city and province dashboards add these rows up; the task in cases/tasks_dashboard.py
    refreshes them and the page shows `computed_at`. Derived data: safe to delete, recomputed
    on demand."""

    class Kind(models.TextChoices):
        DAY = "day", _("Figures on a day")
        MONTH = "month", _("Figures at a month's end")

    region = models.ForeignKey("welfare.Region", verbose_name=_("region"), on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices)
    on = models.DateField(_("date"))
    figures = models.JSONField(_("figures"), default=dict)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("dashboard snapshot")
        verbose_name_plural = _("dashboard snapshots")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["day", "month"]), name="dashboard_snapshot_kind_valid"),
            models.UniqueConstraint(fields=["region", "kind", "on"], name="dashboard_snapshot_one_per_region_day"),
        ]
        indexes = [
            # County, city and province dashboards (/cases/dashboard/): the rows of a day.
            models.Index(fields=["kind", "on"], name="dashboard_snapshot_day"),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.kind} {self.on}"
