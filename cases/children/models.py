"""Children, guardians and category memberships, and what the page forms keep: drafts of a long
form and the one-time tokens of submitted forms."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cases.children.categories import PAID_CATEGORIES, Category
from welfare.crypto import TAIL_HEX
from welfare.fields import BlindIndexField, EncryptedCharField, derived_update_fields, index_of, refresh_indexes
from welfare.idnumber import mask_id_number, normalize_id_number


class ListedQuerySet(models.QuerySet):
    """The queryset of the tables behind the child list API (children, guardians, memberships):
    its set-wise writes retire every cached list page (cases.children.list_cache), since they do not say
    which regions they touched. Single saves and deletes are caught by signals (cases.apps)."""

    def update(self, **kwargs) -> int:
        encrypted = {f.name for f in self.model._meta.concrete_fields if isinstance(f, EncryptedCharField)} & kwargs.keys()
        if encrypted and set(derived_update_fields(self.model._meta, kwargs)) - kwargs.keys():
            # update() would leave the blind indexes behind: save() or bulk_update() keep them.
            raise TypeError(f"{sorted(encrypted)} are encrypted: change them with save() or bulk_update().")
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
        objs = list(objs)
        fields = derived_update_fields(self.model._meta, fields)
        for obj in objs:
            refresh_indexes(obj)
        count = super().bulk_update(objs, fields, *args, **kwargs)
        if count:
            _set_wise_change()
        return count


class MembershipQuerySet(ListedQuerySet):
    """Category memberships, with the one definition of "open on a date" (`membership_open_q`)."""

    def open_on(self, day: datetime.date) -> "MembershipQuerySet":
        """The memberships open on `day`."""
        return self.filter(membership_open_q(day, day))

    def open_during(self, first: datetime.date, last: datetime.date | None = None) -> "MembershipQuerySet":
        """The memberships open on at least one day from `first` to `last`."""
        return self.filter(membership_open_q(first, last))


class ChildQuerySet(ListedQuerySet):
    """Children, with the only ways to find one by identity number: the number is stored
    encrypted, so these look up its blind index (`id_number_index`, `id_number_tail`)."""

    def with_id_number(self, number: str | None) -> "ChildQuerySet":
        """The child recorded with this full number (national deduplication, lookups)."""
        number = normalize_id_number(number)
        return self.filter(id_number_index=index_of(number, purpose="id_number")) if number else self.none()

    def with_id_numbers(self, numbers) -> "ChildQuerySet":
        """The children recorded with any of these full numbers."""
        indexes = [index_of(n, purpose="id_number") for n in {normalize_id_number(n) for n in numbers} if n]
        return self.filter(id_number_index__in=indexes)

    def id_numbers_ending(self, digits: str) -> "ChildQuerySet":
        """Children whose number ends with `digits` (at least ID_TAIL characters; with more, the
        candidates of the last ID_TAIL are decrypted and compared)."""
        digits = normalize_id_number(digits)
        if len(digits) < ID_TAIL:
            return self.none()
        tail = self.filter(id_number_tail=index_of(digits[-ID_TAIL:], purpose="id_number_tail", length=TAIL_HEX))
        if len(digits) == ID_TAIL:
            return tail
        ids = [pk for pk, number in tail.values_list("id", "id_number") if number and number.endswith(digits)]
        return self.filter(id__in=ids)


class GuardianQuerySet(ListedQuerySet):
    """Guardians, found by a phone or identity number through their blind indexes (both are stored encrypted)."""

    def with_phone(self, phone: str) -> "GuardianQuerySet":
        return self.filter(phone_index=index_of(phone, purpose="phone")) if phone else self.none()

    def with_id_number(self, number: str | None) -> "GuardianQuerySet":
        number = normalize_id_number(number)
        return self.filter(id_number_index=index_of(number, purpose="id_number")) if number else self.none()


# The last characters of an identity number kept apart (as a blind index) for the tail search.
ID_TAIL = 4


def membership_open_q(first: datetime.date, last: datetime.date | None) -> Q:
    """Memberships open on at least one day from `first` to `last` (with no `last`: not ended
    before `first`, including those that start later), as a condition for a filter or an
    aggregate. A membership is open from its start date to its end date, both included; without
    an end date it is still open."""
    q = Q(end_date__isnull=True) | Q(end_date__gte=first)
    return q if last is None else q & Q(start_date__lte=last)


def _set_wise_change() -> None:
    from cases.children.list_cache import children_changed

    children_changed(None)


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class IndexedSaveMixin:
    """save(update_fields=[...]) of an encrypted field also writes its blind indexes."""

    def save(self, *args, **kwargs):
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = derived_update_fields(self._meta, kwargs["update_fields"])  # type: ignore[attr-defined]
        super().save(*args, **kwargs)  # type: ignore[misc]


class Child(IndexedSaveMixin, models.Model):
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
    # Stored SM4-encrypted (welfare/fields.py); found by its blind indexes, maintained from it on
    # every save: exact lookups, national deduplication and child_id_number_unique use
    # id_number_index, the search by the last digits id_number_tail (ChildQuerySet).
    id_number = EncryptedCharField(_("identity number"), max_length=18, null=True, blank=True)
    id_number_index = BlindIndexField(source="id_number", purpose="id_number", null=True, blank=True)
    id_number_tail = BlindIndexField(source="id_number", purpose="id_number_tail", tail=ID_TAIL, null=True, blank=True)
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
    # Raised by every change through the services: an edit made offline carries the version it
    # was made from, and a stale one never overwrites (cases/sync/services.py).
    version = models.PositiveIntegerField(_("version"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["check_state", "updated_at", "id_number_index", "id_number_tail"])
    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("child")
        verbose_name_plural = _("children")
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_index"], condition=Q(id_number_index__isnull=False), name="child_id_number_unique"
            ),
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
            # Child search by the last digits of the identity number (ChildQuerySet.id_numbers_ending).
            models.Index(fields=["id_number_tail"], name="child_id_number_tail"),
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


class Guardian(IndexedSaveMixin, models.Model):
    class Relation(models.TextChoices):
        FATHER = "father", _("Father")
        MOTHER = "mother", _("Mother")
        GRANDPARENT = "grandparent", _("Grandparent")
        RELATIVE = "relative", _("Other relative")
        ENTRUSTED = "entrusted", _("Entrusted caregiver")

    child = models.ForeignKey(Child, verbose_name=_("child"), on_delete=models.CASCADE, related_name="guardians")
    name = models.CharField(_("name"), max_length=50)
    relation = models.CharField(_("relation"), max_length=12, choices=Relation.choices)
    # Stored SM4-encrypted, with their blind indexes (welfare/fields.py), as the child's number.
    id_number = EncryptedCharField(_("identity number"), max_length=18, blank=True)
    phone = EncryptedCharField(_("phone"), max_length=20, blank=True)
    id_number_index = BlindIndexField(source="id_number", purpose="id_number", blank=True)
    phone_index = BlindIndexField(source="phone", purpose="phone", blank=True)
    is_migrant_worker = models.BooleanField(_("works away from home"), default=False)
    work_place = models.CharField(_("where they work"), max_length=100, blank=True)
    can_act_as_guardian = models.BooleanField(_("can act as guardian"), default=True)
    # Raised by every change through the services (see Child.version).
    version = models.PositiveIntegerField(_("version"), default=1)
    history = HistoricalRecords(excluded_fields=["id_number_index", "phone_index"])
    objects = GuardianQuerySet.as_manager()

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
    objects = MembershipQuerySet.as_manager()

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
