"""API of offline entry: the copy of the village a director's phone keeps (`GET
/api/offline/village/`), and the 409 answer of an edit sent from a stale version. Thin: reads
through cases.sync.selectors; the versioned edits are in cases/children/api.py (PATCH with
`version`) and their rules in cases/sync/services.py."""

from django.conf import settings
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.sync import selectors
from cases.sync.services import PatchOutcome
from cases.sync.views import shown
from welfare.idnumber import mask_id_number


def conflict_answer(outcome: PatchOutcome, record: dict) -> Response:
    """409: the fields that clashed (both values, identity numbers masked), kept for the
    supervisor and not applied; the fields that were applied; the record as it is now."""
    return Response(
        {
            "code": "edit_conflict",
            "detail": _("Someone changed the same field meanwhile: your change waits for the township supervisor (awaiting supervisor)."),
            "status_label": _("Awaiting supervisor"),
            "conflicts": {
                c.field: {"id": c.id, "yours": shown(c, c.proposed_value), "current": shown(c, c.current_value)}
                for c in outcome.conflicts
            },
            "applied": outcome.applied,
            "record": record,
        },
        status=status.HTTP_409_CONFLICT,
    )


def _guardian(g) -> dict:
    return {
        "id": g.id,
        "name": g.name,
        "relation": g.relation,
        "id_number": mask_id_number(g.id_number),
        "phone": g.phone,
        "is_migrant_worker": g.is_migrant_worker,
        "work_place": g.work_place,
        "can_act_as_guardian": g.can_act_as_guardian,
        "version": g.version,
    }


class OfflineVillageApi(APIView):
    """The village director's own village for the phone: children (identity numbers masked, no
    health or disability notes), guardians, recent checks (no notes), the director's edits
    awaiting the supervisor. Never cached by the browser (the phone keeps it in IndexedDB)."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="The village a director's phone keeps offline")
    def get(self, request):
        from cases.children.api import current_memberships_prefetch  # that module imports this one

        user = request.user
        village = selectors.offline_village(user)
        if village is None:
            raise PermissionDenied(_("Offline use is for village child directors."))
        children = selectors.offline_children(user=user, village=village).prefetch_related(current_memberships_prefetch())
        body = {
            "user": {"id": user.id, "username": user.username, "name": user.get_full_name() or user.username},
            "village": {"code": village.code, "name": village.name},
            "generated_at": timezone.now().isoformat(),
            "max_age_days": settings.OFFLINE_MAX_AGE_DAYS,
            "children": [
                {
                    "id": c.id,
                    "name": c.name,
                    "id_number": mask_id_number(c.id_number) or None,
                    "sex": c.sex,
                    "birth_date": c.birth_date.isoformat(),
                    "categories": [m.category for m in c.current_memberships],
                    "check_state": c.check_state,
                    "next_check_due": c.next_check_due.isoformat() if c.next_check_due else None,
                    "review_status": c.review_status,
                    "version": c.version,
                    "guardians": [_guardian(g) for g in c.guardians.all()],
                }
                for c in children
            ],
            "checks": [
                {"id": k.id, "child": k.child_id, "checked_on": k.checked_on.isoformat(), "kind": k.kind, "risk_level": k.risk_level}
                for k in selectors.offline_checks(user=user, village=village)
            ],
            "conflicts": [
                {
                    "id": c.id,
                    "child": c.child_id,
                    "guardian": c.guardian_id,
                    "field": c.field,
                    "status": c.status,
                    "status_label": str(c.get_status_display()),
                    "proposed": shown(c, c.proposed_value),
                    "proposed_at": c.proposed_at.isoformat(),
                }
                for c in selectors.edit_conflicts_sent_by(user=user)[:100]
            ],
        }
        response = Response(body)
        response["Cache-Control"] = "no-store"
        return response


routes: list = []
urlpatterns = [path("offline/village/", OfflineVillageApi.as_view(), name="api-offline-village")]
