"""The client's network address, decided in one place for the access log, the login lockout
(django-axes, `AXES_CLIENT_IP_CALLABLE`) and API throttling (`ClientIpThrottleMixin`).

Only `TRUSTED_PROXY_COUNT` reverse proxies are believed (0 by default: no header at all, the
address of the connection, REMOTE_ADDR). Each proxy appends the address it received the
connection from to `X-Forwarded-For`, so behind N proxies the last N entries were written by
them and the N-th from the right is the client; everything to its left came from the client
and may be forged:

    client 203.0.113.7 sends  X-Forwarded-For: 6.6.6.6
    the TLS proxy forwards    X-Forwarded-For: 6.6.6.6, 203.0.113.7   REMOTE_ADDR: <proxy>
    TRUSTED_PROXY_COUNT=1  -> 203.0.113.7

python-ipware parses and validates the addresses (ports, brackets, IPv4-mapped IPv6). Two of
its habits are handled here: its `proxy_count` counts the proxies whose own addresses are in
the header, so N trusted proxies are its `proxy_count=N-1`; and it reads quoted strings in the
header (RFC 7239 syntax), so a client sending `X-Forwarded-For: 6.6.6.6, "` would make the
unclosed quote swallow the entry the proxy appends. Only the N entries the proxies wrote are
therefore handed to it, cut off by a plain comma split. When those entries are missing or
invalid (a request that did not come through the proxies), the connection's address is used.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from python_ipware import IpWare


def client_ip(request) -> str | None:
    """The address of the client that sent `request`, or None when it cannot be told."""
    if request is None:
        return None
    meta = request.META
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        hops = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(hops) >= count and all(hops[-count:]):
            trusted = ", ".join(hops[-count:])
            ip, _route = _behind_proxies(count).get_client_ip({"HTTP_X_FORWARDED_FOR": trusted}, strict=True)
            if ip is not None:
                return str(ip)
    ip, _route = _connection().get_client_ip({"REMOTE_ADDR": meta.get("REMOTE_ADDR") or ""})
    return str(ip) if ip is not None else None


@cache
def _behind_proxies(count: int) -> IpWare:
    # strict: exactly `count` valid entries, the first of them being the client.
    return IpWare(precedence=("HTTP_X_FORWARDED_FOR",), proxy_count=count - 1)


@cache
def _connection() -> IpWare:
    return IpWare(precedence=("REMOTE_ADDR",))


class ClientIpThrottleMixin:
    """For every DRF throttle of the project: the anonymous caller is told apart by `client_ip`,
    not by DRF's own reading of X-Forwarded-For. Put it first:
    `class LookupThrottle(ClientIpThrottleMixin, UserRateThrottle)`."""

    def get_ident(self, request) -> str:
        return client_ip(request) or ""
