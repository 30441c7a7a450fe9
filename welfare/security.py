"""Security pieces shared by the whole project.

- `IdentityNumberRedactingFilter`: a logging filter (installed on every handler in settings
  LOGGING) that masks identity numbers in log lines, as a safety net behind the rule that code
  never logs them.
- `find_identity_numbers`: the detector used by the filter and by the test suite's log check.
- `install_audit_log_guard`: a `post_migrate` handler that makes the audit log append-only in
  the database itself (triggers refusing UPDATE, DELETE and TRUNCATE), not only in the model's methods.
- `acting_as`: run code outside a request (Celery task, management command) so that
  django-simple-history records who made the change.
- `lockout_response`: the django-axes lockout answer (JSON for the API, a page otherwise).
- `server_error`: the 500 handler; a database outage is answered with a clear 503 page.
- `permission_matrix_markdown`: the role x action table of welfare/roles.py, for the docs.

This module is imported while logging is configured, before the apps are ready: keep its
module-level imports free of models.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

# 18 characters: 17 digits and a digit or X, ASCII or full-width, not inside a longer run of
# digits or letters. Candidates are confirmed by the check character, so long numbers that
# are not identity numbers (amounts, timestamps) are left alone.
_DIGIT = "0-9\uff10-\uff19"
_ID_CANDIDATE = re.compile(rf"(?<![{_DIGIT}A-Za-z])[{_DIGIT}]{{17}}[{_DIGIT}Xx\uff38\uff58](?![{_DIGIT}A-Za-z])")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789XX")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"


def _is_identity_number(candidate: str) -> bool:
    number = candidate.translate(_FULL_WIDTH).upper()
    total = sum(int(d) * w for d, w in zip(number[:17], _WEIGHTS, strict=True))
    if _CHECK_CHARS[total % 11] != number[17]:
        return False
    month, day = int(number[10:12]), int(number[12:14])
    return 1 <= month <= 12 and 1 <= day <= 31


def find_identity_numbers(text: str) -> list[str]:
    """Every valid-looking resident identity number in `text`."""
    return [m.group(0) for m in _ID_CANDIDATE.finditer(text or "") if _is_identity_number(m.group(0))]


def redact_identity_numbers(text: str) -> str:
    """`text` with every identity number masked as 370402********123X."""
    if not text:
        return text

    def _mask(match: re.Match) -> str:
        value = match.group(0)
        if not _is_identity_number(value):
            return value
        return value[:6] + "*" * 8 + value[-4:]

    return _ID_CANDIDATE.sub(_mask, text)


class IdentityNumberRedactingFilter(logging.Filter):
    """Masks identity numbers in the message, its arguments and a formatted traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the formatter to report
            return True
        redacted = redact_identity_numbers(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_identity_numbers(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_identity_numbers(record.stack_info)
        return True


# --- the audit log is append-only in the database too -------------------------------------

_PG_GUARD = """
CREATE OR REPLACE FUNCTION welfare_auditlog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'welfare_auditlog is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS welfare_auditlog_append_only ON welfare_auditlog;
CREATE TRIGGER welfare_auditlog_append_only
    BEFORE UPDATE OR DELETE ON welfare_auditlog
    FOR EACH ROW EXECUTE FUNCTION welfare_auditlog_append_only();
CREATE OR REPLACE FUNCTION welfare_auditlog_no_truncate() RETURNS trigger AS $$
BEGIN
    -- Only the test suite's connections set this option (welfare/settings/test.py): its
    -- transactional tests empty every table with TRUNCATE.
    IF current_setting('welfare.allow_audit_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'welfare_auditlog is append-only: TRUNCATE refused'
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS welfare_auditlog_no_truncate ON welfare_auditlog;
CREATE TRIGGER welfare_auditlog_no_truncate
    BEFORE TRUNCATE ON welfare_auditlog
    FOR EACH STATEMENT EXECUTE FUNCTION welfare_auditlog_no_truncate();
"""

# SQLite (the embedded demo) refuses UPDATE only: `manage.py flush` and test flushes empty
# tables with DELETE there, so deletion is refused by the model alone.
_SQLITE_GUARD = [
    """CREATE TRIGGER IF NOT EXISTS welfare_auditlog_no_update BEFORE UPDATE ON welfare_auditlog
       BEGIN SELECT RAISE(ABORT, 'welfare_auditlog is append-only'); END""",
]


def install_audit_log_guard(sender=None, *, using: str = "default", **kwargs) -> None:
    """post_migrate: (re)install the triggers that refuse UPDATE, DELETE and (PostgreSQL) TRUNCATE
    on the audit log. Idempotent; does nothing until the table exists. TRUNCATE passes only on a
    connection that sets `welfare.allow_audit_truncate` to `on` (the test settings, whose
    transactional tests flush tables with it); production relies besides on a database role that
    does not own the table (docs/SECURITY.md)."""
    if sender is not None and getattr(sender, "label", None) != "welfare":
        return
    from django.db import connections

    connection = connections[using]
    with connection.cursor() as cursor:
        if "welfare_auditlog" not in connection.introspection.table_names(cursor):
            return
        if connection.vendor == "postgresql":
            cursor.execute(_PG_GUARD)
        elif connection.vendor == "sqlite":
            for statement in _SQLITE_GUARD:
                cursor.execute(statement)


# --- history of changes made outside a request ----------------------------------------------


@contextmanager
def acting_as(user) -> Iterator[None]:
    """Record `user` as the author of history rows written inside the block, for code that runs
    outside a request (Celery tasks, management commands):

        with acting_as(run.requested_by):
            payout_run_compute(run_id=run.id)
    """
    from simple_history.models import HistoricalRecords

    context = HistoricalRecords.context
    had = hasattr(context, "request")
    previous = getattr(context, "request", None)
    context.request = SimpleNamespace(user=user)
    try:
        yield
    finally:
        if had:
            context.request = previous
        else:
            del context.request


# --- answers ----------------------------------------------------------------------------------


def lockout_response(request, original_response=None, credentials=None):
    """django-axes: too many failed logins. The API gets JSON, pages get a page; 429 either way."""
    from django.conf import settings
    from django.http import JsonResponse
    from django.shortcuts import render
    from django.utils.translation import gettext as _

    status = getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429)
    heading = None
    message = _(
        "Too many failed sign-in attempts. The account is locked for a while; try again later or ask your administrator."
    )
    if getattr(request, "login_address_refused", False):  # welfare/loginguard.py
        heading = _("Sign-in paused")
        message = _(
            "Too many failed sign-in attempts from your network address for different user names. "
            "Sign-in from this address is paused for a while; try again later or ask your administrator."
        )
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status)
    return render(request, "registration/lockout.html", {"message": message, "heading": heading}, status=status)


DATABASE_OUTAGE_ERRORS: tuple[type[BaseException], ...] = ()


def _outage_errors() -> tuple[type[BaseException], ...]:
    global DATABASE_OUTAGE_ERRORS
    if not DATABASE_OUTAGE_ERRORS:
        from django.db import InterfaceError, OperationalError

        errors: list[type[BaseException]] = [OperationalError, InterfaceError]
        try:
            from kombu.exceptions import OperationalError as BrokerError

            errors.append(BrokerError)
        except ImportError:  # pragma: no cover - kombu comes with celery
            pass
        DATABASE_OUTAGE_ERRORS = tuple(errors)
    return DATABASE_OUTAGE_ERRORS


def is_outage(exc: BaseException | None) -> bool:
    """True for errors that mean a service (PostgreSQL, the Redis broker) is unreachable."""
    return exc is not None and isinstance(exc, _outage_errors())


def outage_response(request, exc: BaseException | None = None):
    """503 with a clear message and nothing of the request echoed. Rendered without a request
    context so that nothing in the template touches the database."""
    from django.http import HttpResponse, JsonResponse
    from django.template.loader import render_to_string
    from django.utils.translation import gettext as _

    broker = exc is not None and type(exc).__module__.startswith("kombu")
    if broker:
        message = _(
            "The background job service is not reachable, so the job was not started. Nothing was lost: try again in a few minutes."
        )
    else:
        message = _("The database is not reachable at the moment. Nothing was saved: try again in a few minutes.")
    if request is not None and request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message}, status=503)
    else:
        response = HttpResponse(render_to_string("503.html", {"message": message}), status=503)
    response["Retry-After"] = "60"
    response["Cache-Control"] = "no-store"
    return response


def server_error(request):
    """handler500: an outage gets the clear 503 page, anything else the plain 500 page."""
    import sys

    from django.http import HttpResponseServerError
    from django.template.loader import render_to_string

    exc = sys.exc_info()[1]
    if is_outage(exc):
        return outage_response(request, exc)
    return HttpResponseServerError(render_to_string("500.html"))


# --- documentation ----------------------------------------------------------------------------


def permission_matrix_markdown() -> str:
    """The role x action table of welfare/roles.py as a Markdown table (✓ allowed, – not)."""
    from django.utils import translation

    from welfare.roles import PERMISSIONS, Action, Role

    with translation.override("en"):
        return _matrix(PERMISSIONS, Action, Role)


def _matrix(PERMISSIONS, Action, Role) -> str:  # noqa: N803
    roles = list(Role)
    header = "| action | " + " | ".join(f"`{r.value}`" for r in roles) + " |"
    rule = "|---|" + "|".join(":-:" for _r in roles) + "|"
    lines = [header, rule]
    for action in Action:
        allowed = PERMISSIONS[action]
        cells = " | ".join("✓" if r.value in allowed else "–" for r in roles)
        lines.append(f"| `{action.value}` ({action.label!s}) | {cells} |")
    return "\n".join(lines) + "\n"
