"""Roster files between their trial run and their import."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RosterUpload(models.Model):
    """A roster file between its trial run and the confirmed import (the import page, and the
    admin's import through django-import-export). Kept in the database, not in a web node's temp
    directory, so that whichever node answers the confirm finds it. Found by `token` together with
    the uploading user (another user's token finds nothing) until `expires_at`
    (ROSTER_UPLOAD_TTL_MINUTES after the upload); the import deletes its row, and expired rows are
    deleted at each new upload and by the beat job `cases.roster_uploads_delete_expired`.
    Transient: safe to delete."""

    token = models.CharField(_("token"), max_length=64, unique=True, default=secrets.token_urlsafe, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.CASCADE, related_name="+"
    )
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    data = models.BinaryField(_("file"))
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("roster upload")
        verbose_name_plural = _("roster uploads")
        indexes = [
            # The clean-up (roster_uploads_delete_expired: the beat job and each new upload).
            models.Index(fields=["expires_at"], name="roster_upload_expires_at"),
        ]

    def __str__(self) -> str:
        return f"{self.file_name or self.token[:8]} ({self.uploaded_by_id})"
