"""Regions, users bound to a region or an institution, and the append-only audit log."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from welfare.names import person_full_name
from welfare.regioncodes import region_code_canonical
from welfare.roles import Role


class RegionCodeModelField(models.CharField):
    """`Region.code`: every value a lookup or a save gives it is made canonical by
    `welfare.regioncodes.region_code_normalize` (a 12-digit statistical code or a short 2- or
    4-digit code finds the region), so each place that takes a code from a user accepts them all.
    A CharField to migrations (no schema change)."""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return region_code_canonical(value) if value not in (None, "") else value

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs


class Region(models.Model):
    """An administrative region node. `path` holds the codes from the province down to this
    node ("370000/370400/370402/"), so a subtree is one prefix query on one index."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("Province")
        CITY = "city", _("City")
        COUNTY = "county", _("County / district")
        TOWNSHIP = "township", _("Township / street")
        VILLAGE = "village", _("Village / community")

    LEVEL_ORDER = ("province", "city", "county", "township", "village")

    code = RegionCodeModelField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="subregions"
    )
    path = models.CharField(_("path"), max_length=80, editable=False)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        indexes = [
            # Region scoping of every page and API: path LIKE 'prefix%'.
            models.Index(fields=["path"], name="region_path_prefix", opclasses=["varchar_pattern_ops"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(level__in=["province", "city", "county", "township", "village"]), name="region_level_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def save(self, *args, **kwargs):
        self.code = region_code_canonical(self.code)
        self.path = self.compute_path()
        super().save(*args, **kwargs)

    def compute_path(self) -> str:
        return (self.parent.path if self.parent is not None else "") + self.code + "/"

    def ancestor_codes(self) -> list[str]:
        """Codes from the province down to this node, this node last."""
        return [c for c in self.path.split("/") if c]

    def ancestors(self, *, include_self: bool = True) -> models.QuerySet["Region"]:
        codes = self.ancestor_codes()
        if not include_self:
            codes = codes[:-1]
        return Region.objects.filter(code__in=codes)

    def ancestor_at(self, level: str) -> "Region | None":
        return self.ancestors().filter(level=level).first()

    def subtree(self) -> models.QuerySet["Region"]:
        return Region.objects.filter(path__startswith=self.path)

    def contains(self, other: "Region | None") -> bool:
        return other is not None and other.path.startswith(self.path)

    @property
    def full_name(self) -> str:
        return "".join(r.name for r in sorted(self.ancestors(), key=lambda r: len(r.path)))


class User(AbstractUser):
    """A person using the system, bound to one region node or one institution."""

    role = models.CharField(_("role"), max_length=24, choices=Role.choices, default=Role.VILLAGE_DIRECTOR)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    institution = models.ForeignKey(
        "institutions.Institution",
        verbose_name=_("institution"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans")

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="user_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_full_name() or self.username} ({self.get_role_display()})"

    def get_full_name(self) -> str:
        """Family name first with no space for a Chinese name (welfare.names): the header, the
        welcome, lists, exports, the admin and the history all show it this way."""
        return person_full_name(family=self.last_name, given=self.first_name)

    def get_short_name(self) -> str:
        """The admin's "Welcome, …": a Chinese given name alone reads oddly, so the full name."""
        return self.get_full_name()

    @property
    def is_admin_role(self) -> bool:
        return self.is_superuser or self.role == Role.ADMIN

    @property
    def scope_path(self) -> str | None:
        """The path prefix of the region subtree the user may see: None means no region (nothing,
        or for institution staff: their institution, see welfare/scoping.py), "" everything."""
        if self.is_admin_role:
            return ""
        if self.role == Role.INSTITUTION_STAFF:
            return None
        return self.region.path if self.region is not None else None


class AuditLog(models.Model):
    """Append-only log of sensitive actions: identity-number reveals, exports, approvals,
    payout runs. Written by services in the same transaction as the change."""

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    target_type = models.CharField(_("target type"), max_length=64, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    target_repr = models.CharField(_("target"), max_length=200, blank=True)
    record_count = models.PositiveIntegerField(_("records"), default=0)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.target_repr}"

    def save(self, *args, **kwargs):
        if self.pk:
            raise ValueError("Audit log entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit log entries are append-only.")


class Notification(models.Model):
    """An in-app notification (and, when e-mail is configured, an e-mail). `dedupe_key` is
    unique, so a job that runs twice the same day creates nothing new."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    link = models.CharField(_("link"), max_length=200, blank=True)
    created_on = models.DateTimeField(_("created on"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    dedupe_key = models.CharField(_("deduplication key"), max_length=120)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            # varchar_pattern_ops: the daily check job also reads a day's rows by key prefix.
            models.UniqueConstraint(fields=["dedupe_key"], name="notification_dedupe_key_unique", opclasses=["varchar_pattern_ops"]),
        ]
        indexes = [
            # The unread badge and the notifications page: a user's latest notifications.
            models.Index(fields=["recipient", "read_at", "created_on"], name="notification_inbox"),
        ]

    def __str__(self) -> str:
        return self.title


class ClientReceipt(models.Model):
    """The answer to a write a client labelled with its own `client_uuid` (a phone's send queue,
    a form sent twice): the same user sending the same label again gets this answer back and
    nothing is done twice (welfare.receipts, welfare.middleware.ClientReceiptMiddleware). Written
    in the same transaction as the write it answers. Per user: another user's label is only a new
    label for whoever sends it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+")
    client_uuid = models.UUIDField(_("client UUID"))
    method = models.CharField(_("method"), max_length=8)
    path = models.CharField(_("path"), max_length=300)
    status_code = models.PositiveSmallIntegerField(_("status code"), default=0)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    location = models.CharField(_("location"), max_length=300, blank=True)
    body = models.TextField(_("body"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("client receipt")
        verbose_name_plural = _("client receipts")
        constraints = [
            # Exactly once: a second write with the same label by the same user waits on this
            # index for the first one's transaction, then reads its receipt.
            models.UniqueConstraint(fields=["user", "client_uuid"], name="client_receipt_user_uuid_unique"),
        ]
        indexes = [
            # The daily clean-up of old receipts (welfare.receipts.client_receipts_delete_expired).
            models.Index(fields=["created_at"], name="client_receipt_created"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.client_uuid}"
