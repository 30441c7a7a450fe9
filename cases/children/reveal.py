"""Revealing a full identity number: a logged action (who, when, whose number, from where).

Lists and pages show masked numbers; a user whose role may reveal numbers asks for one record
at a time, and every reveal writes an `id_number.revealed` audit row in the same transaction.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from cases.children.models import Child, Guardian
from cases.children.selectors import child_list, guardian_list
from welfare.audit import audit_record
from welfare.errors import ApplicationError, PermissionDeniedError
from welfare.fields import Unreadable
from welfare.roles import Action, require


def _reveal(*, by, record, visible, missing, request_ip: str | None, detail: dict) -> str:
    """The one rule of a reveal: a role that may reveal, the record in the user's scope, a number
    recorded; one access-log row per reveal."""
    require(by, Action.REVEAL_ID)
    if not visible.filter(pk=record.pk).exists():
        raise PermissionDeniedError(_("This record is outside your area of responsibility."))
    if not record.id_number:
        raise ApplicationError(missing)
    if isinstance(record.id_number, Unreadable):
        # Stored under a key this system no longer holds (welfare/fields.py; logged when read).
        raise ApplicationError(
            _(
                "This identity number cannot be decrypted with the keys configured: "
                "ask the administrator to check FIELD_ENCRYPTION_KEY."
            )
        )
    audit_record(actor=by, action="id_number.revealed", target=record, record_count=1, ip_address=request_ip, detail=detail)
    return record.id_number


@transaction.atomic
def child_id_number_reveal(*, by, child: Child, request_ip: str | None) -> str:
    """The child's full identity number, for a user allowed to reveal it and responsible for
    the child. Logged."""
    return _reveal(
        by=by,
        record=child,
        visible=child_list(user=by),
        missing=_("No identity number is recorded for this child."),
        request_ip=request_ip,
        detail={"record": "child"},
    )


@transaction.atomic
def guardian_id_number_reveal(*, by, guardian: Guardian, request_ip: str | None) -> str:
    """A guardian's full identity number, on the same terms as a child's. Logged."""
    return _reveal(
        by=by,
        record=guardian,
        visible=guardian_list(user=by),
        missing=_("No identity number is recorded for this guardian."),
        request_ip=request_ip,
        detail={"record": "guardian", "child_id": guardian.child_id},
    )
