"""API: reveal one full identity number (POST, logged). Registered by welfare/api_urls.py.

POST /api/children/<id>/reveal/   -> {"id_number": "370402201503140011"}
POST /api/guardians/<id>/reveal/  -> {"id_number": "..."}
"""

from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.reveal import child_id_number_reveal, guardian_id_number_reveal
from cases.selectors import child_get, guardian_list
from welfare.audit import client_ip
from welfare.scoping import get_in_scope_or_404

_RevealOutput = inline_serializer("IdNumberRevealOutput", fields={"id_number": serializers.CharField()})


class _RevealView(APIView):
    permission_classes = [IsAuthenticated]

    @staticmethod
    def _answer(number: str) -> Response:
        response = Response({"id_number": number})
        response["Cache-Control"] = "no-store"
        return response


class ChildRevealApi(_RevealView):
    """Reveal a child's full identity number (writes an access-log row)."""

    @extend_schema(request=None, responses=_RevealOutput)
    def post(self, request, child_id: int):
        child = child_get(user=request.user, child_id=child_id)
        return self._answer(child_id_number_reveal(by=request.user, child=child, request_ip=client_ip(request)))


class GuardianRevealApi(_RevealView):
    """Reveal a guardian's full identity number (writes an access-log row)."""

    @extend_schema(request=None, responses=_RevealOutput)
    def post(self, request, guardian_id: int):
        guardian = get_in_scope_or_404(guardian_list(user=request.user), id=guardian_id)
        return self._answer(
            guardian_id_number_reveal(by=request.user, guardian=guardian, request_ip=client_ip(request))
        )


routes: list = []
urlpatterns = [
    path("children/<int:child_id>/reveal/", ChildRevealApi.as_view(), name="api-child-reveal"),
    path("guardians/<int:guardian_id>/reveal/", GuardianRevealApi.as_view(), name="api-guardian-reveal"),
]
