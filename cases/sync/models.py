"""An offline edit that clashed with a change made meanwhile: kept for the township supervisor
with both values, never applied on its own (cases/sync/services.py)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class EditConflict(models.Model):
    """One field of a child's or a guardian's record that a director changed from an older
    version while someone else changed the same field: the server keeps the other change, and the
    supervisor picks the value (`edit_conflict_resolve`)."""

    class RecordType(models.TextChoices):
        CHILD = "child", _("Child")
        GUARDIAN = "guardian", _("Guardian")

    class Status(models.TextChoices):
        OPEN = "open", _("Awaiting supervisor")
        RESOLVED = "resolved", _("Resolved")

    class Choice(models.TextChoices):
        CURRENT = "current", _("Kept the value on the server")
        PROPOSED = "proposed", _("Took the value sent from the phone")

    record_type = models.CharField(_("record"), max_length=10, choices=RecordType.choices)
    child = models.ForeignKey("cases.Child", verbose_name=_("child"), on_delete=models.CASCADE, related_name="edit_conflicts")
    guardian = models.ForeignKey(
        "cases.Guardian", verbose_name=_("guardian"), null=True, blank=True, on_delete=models.CASCADE, related_name="edit_conflicts"
    )
    field = models.CharField(_("field"), max_length=40)
    base_version = models.PositiveIntegerField(_("version edited"))
    base_value = models.JSONField(_("value when read"), null=True, blank=True)
    current_value = models.JSONField(_("value on the server"), null=True, blank=True)
    proposed_value = models.JSONField(_("value sent"), null=True, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sent by"), on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("resolved by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    choice = models.CharField(_("decision"), max_length=10, choices=Choice.choices, blank=True)

    class Meta:
        verbose_name = _("edit conflict")
        verbose_name_plural = _("edit conflicts")
        constraints = [
            models.CheckConstraint(condition=Q(record_type__in=["child", "guardian"]), name="edit_conflict_record_type_valid"),
            models.CheckConstraint(condition=Q(status__in=["open", "resolved"]), name="edit_conflict_status_valid"),
            models.CheckConstraint(condition=Q(choice__in=["", "current", "proposed"]), name="edit_conflict_choice_valid"),
        ]
        indexes = [
            # The supervisor's queue and the director's "awaiting supervisor": open ones, oldest first.
            models.Index(fields=["status", "proposed_at"], name="edit_conflict_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.get_record_type_display()} {self.field} ({self.get_status_display()})"
