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
from welfare.roles import Action, require


def _require_record_in_scope(by, queryset, pk) -> None:
    if not queryset.filter(pk=pk).exists():
        raise PermissionDeniedError(_("This record is outside your area of responsibility."))


@transaction.atomic
def child_id_number_reveal(*, by, child: Child, request_ip: str | None) -> str:
    """The child's full identity number, for a user allowed to reveal it and responsible for
    the child. Logged."""
    require(by, Action.REVEAL_ID)
    _require_record_in_scope(by, child_list(user=by), child.pk)
    if not child.id_number:
        raise ApplicationError(_("No identity number is recorded for this child."))
    audit_record(
        actor=by,
        action="id_number.revealed",
        target=child,
        record_count=1,
        ip_address=request_ip,
        detail={"record": "child"},
    )
    return child.id_number


@transaction.atomic
def guardian_id_number_reveal(*, by, guardian: Guardian, request_ip: str | None) -> str:
    """A guardian's full identity number, on the same terms as a child's. Logged."""
    require(by, Action.REVEAL_ID)
    _require_record_in_scope(by, guardian_list(user=by), guardian.pk)
    if not guardian.id_number:
        raise ApplicationError(_("No identity number is recorded for this guardian."))
    audit_record(
        actor=by,
        action="id_number.revealed",
        target=guardian,
        record_count=1,
        ip_address=request_ip,
        detail={"record": "guardian", "child_id": guardian.child_id},
    )
    return guardian.id_number
