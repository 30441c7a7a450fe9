"""API tokens (django-rest-knox): one hashed token per signed-in device.

A token lapses after `API_TOKEN_IDLE_HOURS` without use and `API_TOKEN_MAX_AGE_HOURS` after the
login at the latest (`REST_KNOX` in the settings; welfare.authentication checks both on every
request). A device is logged out by `DELETE /api/auth/token/`, by its user from the device list,
or by an administrator in the admin. Every token of a user is revoked when their password, role,
region, institution or superuser flag changes or they are disabled: `_user_changes_revoke_tokens`
watches every save of a user (services, the admin, `manage.py changepassword` alike).
"""

import datetime

from django.db import models, transaction
from django.db.models.signals import post_save, pre_save
from django.utils import timezone
from knox.models import AuthToken
from knox.settings import knox_settings

from welfare.audit import audit_record

# The device id shown to users: the start of the token's hash (its primary key), never of the
# token itself. 16 hex digits are unique among one user's devices for all practical purposes.
DEVICE_ID_LENGTH = 16


def device_id(token: AuthToken) -> str:
    return token.digest[:DEVICE_ID_LENGTH]


def token_latest_expiry(token: AuthToken) -> datetime.datetime:
    """The end of the token's absolute lifetime, however much it is used."""
    return token.created + knox_settings.AUTO_REFRESH_MAX_TTL


def token_is_live(token: AuthToken, *, now: datetime.datetime) -> bool:
    """Used within the idle period, and within its lifetime."""
    if token.expiry is None or token.expiry <= now:
        return False
    return token_latest_expiry(token) > now


def token_renewed_expiry(token: AuthToken, *, now: datetime.datetime) -> datetime.datetime | None:
    """The expiry a request at `now` gives the token (the idle period starts again, never past
    the lifetime), or None when the stored one is recent enough to leave alone (one write a
    minute at most per device)."""
    new_expiry = min(now + knox_settings.TOKEN_TTL, token_latest_expiry(token))
    if token.expiry is not None and (new_expiry - token.expiry).total_seconds() <= knox_settings.MIN_REFRESH_INTERVAL:
        return None
    return new_expiry


@transaction.atomic
def api_token_issue(*, user) -> str:
    """A new token for one more device of `user` (the caller has checked the password). The
    user's lapsed tokens are cleared on the way."""
    AuthToken.objects.filter(user=user, expiry__lte=timezone.now()).delete()
    _instance, key = AuthToken.objects.create(user=user, expiry=knox_settings.TOKEN_TTL)
    return key


def api_token_revoke(*, token: AuthToken) -> None:
    """Log the token's device out."""
    AuthToken.objects.filter(digest=token.digest).delete()


def api_device_list(*, user) -> models.QuerySet[AuthToken]:
    """The user's signed-in devices (live tokens), newest first."""
    now = timezone.now()
    return (
        AuthToken.objects.filter(user=user, expiry__gt=now, created__gt=now - knox_settings.AUTO_REFRESH_MAX_TTL)
        .order_by("-created", "digest")
    )


@transaction.atomic
def api_device_revoke(*, user, device: str) -> bool:
    """Log out one of `user`'s own devices; False when `device` is not one of them."""
    if len(device) != DEVICE_ID_LENGTH or device.strip("0123456789abcdef"):
        return False
    deleted, _ = AuthToken.objects.filter(user=user, digest__startswith=device).delete()
    if deleted:
        audit_record(actor=user, action="api_token.revoked", target=user, detail={"device": device})
    return bool(deleted)


def api_tokens_revoke_all(*, user) -> int:
    """Log every device of `user` out."""
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted


# --- Changes to a user that revoke their tokens ------------------------------------------------

# Fields whose change makes every token of the user invalid: who they are (password), what they
# may do (role, superuser) and where (region, institution), and whether they may sign in at all.
REVOKING_FIELDS = ("password", "role", "region", "institution", "is_superuser", "is_active")


def _watched(model, update_fields) -> list[str]:
    attnames = [model._meta.get_field(name).attname for name in REVOKING_FIELDS]
    if update_fields is None:
        return attnames
    return [a for name, a in zip(REVOKING_FIELDS, attnames, strict=True) if name in update_fields or a in update_fields]


def _is_password_rehash(user, update_fields) -> bool:
    """Django stores a password again with a newer hasher at login (`check_password`): same
    password, new hash, `_password` cleared, only the password saved. Not a change."""
    return (
        update_fields is not None
        and set(update_fields) == {"password"}
        and getattr(user, "_password", None) is None
        and user.has_usable_password()
    )


def _user_changes_revoke_tokens(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    """pre_save of User: compare with the stored row; post_save deletes the tokens (in the same
    transaction as the change, so a rolled-back change keeps them)."""
    instance._revoke_api_tokens = False
    if raw or instance._state.adding or instance.pk is None:
        return
    fields = _watched(sender, update_fields)
    if not fields:
        return  # e.g. last_login at every login: no query
    stored = sender._default_manager.filter(pk=instance.pk).values(*fields).first()
    if stored is None:
        return
    changed = {f for f in fields if stored[f] != getattr(instance, f)}
    if "password" in changed and _is_password_rehash(instance, update_fields):
        changed.discard("password")
    instance._revoke_api_tokens = bool(changed)


def _revoke_after_user_change(sender, instance, raw=False, **kwargs) -> None:
    if getattr(instance, "_revoke_api_tokens", False):
        instance._revoke_api_tokens = False
        api_tokens_revoke_all(user=instance)


def connect_signals() -> None:
    from welfare.models import User

    pre_save.connect(_user_changes_revoke_tokens, sender=User, dispatch_uid="welfare_user_tokens_check")
    post_save.connect(_revoke_after_user_change, sender=User, dispatch_uid="welfare_user_tokens_revoke")
