"""Sign-in protection on top of django-axes (settings AXES_HANDLER).

axes locks a (user name, address) pair after AXES_FAILURE_LIMIT wrong passwords, the address
being `welfare.clientip.client_ip`: wrong passwords from one client never lock the user out
for another client, even behind the same proxy. On its own that would let one address guess a
few passwords for every user name; so an address that has failed for LOGIN_ADDRESS_USERNAME_LIMIT
different user names within the cool-off (AXES_COOLOFF_TIME) is refused altogether, the right
password included, until the cool-off has passed. A user name whose owner then signs in from
that address no longer counts (axes deletes the pair's failures on success), so colleagues
behind one office address who mistype are not taken for an attack.

The refusal is axes' own lockout (`welfare.security.lockout_response`, 429), whether it comes
from the page login, the admin's or `POST /api/auth/token/`.
"""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings


class AxesHandler(AxesDatabaseHandler):
    def is_locked(self, request, credentials: dict | None = None) -> bool:
        return super().is_locked(request, credentials) or address_refused(request)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is not None and not request.axes_locked_out and address_refused(request):
            request.axes_locked_out = True  # AxesMiddleware answers with the lockout response
            request.axes_credentials = credentials


def address_refused(request) -> bool:
    """True when the request's address has failed for too many user names within the cool-off.
    Marks the request (`login_address_refused`) so the lockout answer can say why."""
    address = getattr(request, "axes_ip_address", None)
    limit = settings.LOGIN_ADDRESS_USERNAME_LIMIT
    if not address or limit <= 0:
        return False
    names = (
        AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=get_cool_off_threshold(request))
        .values("username")
        .distinct()
        .count()
    )
    request.login_address_refused = names >= limit
    return request.login_address_refused
