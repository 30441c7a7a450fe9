"""Language choice and the production content security policy."""

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers

SUPPORTED = {code for code, _name in settings.LANGUAGES}


class UserLanguageMiddleware:
    """Pages speak Simplified Chinese unless the user chose English (stored on the user and in
    the language cookie). The API follows Accept-Language, so scripts can ask for English."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = self._choose(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", language)
        return response

    @staticmethod
    def _choose(request) -> str:
        cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if request.path.startswith("/api/"):
            return translation.get_language_from_request(request, check_path=False)
        if cookie in SUPPORTED:
            return cookie
        return settings.LANGUAGE_CODE


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response


class AtomicWritesMiddleware:
    """A write request (POST, PUT, PATCH, DELETE) runs in one transaction with the answer built
    from it: the services' own transactions become savepoints inside it, and an answer of 500
    (an error after a service has done its work, e.g. while reading the record back) rolls
    everything back. A refused or failed write therefore never leaves data behind an error.
    Reads stay outside any transaction. Placed last, so it wraps the view only."""

    UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in self.UNSAFE:
            return self.get_response(request)
        from django.db import transaction

        with transaction.atomic():
            response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
        return response


class ServiceUnavailableMiddleware:
    """A view that hits a database outage (PostgreSQL restarting) or an unreachable Celery
    broker answers 503 with a clear message instead of a 500 trace; the service's transaction
    has rolled back, so nothing was half-saved. Outages raised outside views are answered the
    same way by the 500 handler (welfare.security.server_error)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from welfare.security import is_outage, outage_response

        if is_outage(exception):
            import logging

            logging.getLogger("welfare.outage").error("Service unavailable: %s", type(exception).__name__)
            return outage_response(request, exception)
        return None


class RequestSizeLimitMiddleware:
    """Refuse bodies over UPLOAD_MAX_BYTES (file uploads) or DATA_UPLOAD_MAX_MEMORY_SIZE (any
    other body, including JSON that DRF reads without Django's own size check) with 413, before
    anything reads them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        content_type = request.META.get("CONTENT_TYPE", "")
        if content_type.startswith("multipart/"):
            limit = settings.UPLOAD_MAX_BYTES + 64 * 1024  # the file plus the form's envelope
        else:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or length
        if length > limit:
            return self._too_large(request, limit)
        return self.get_response(request)

    @staticmethod
    def _too_large(request, limit: int):
        from django.http import HttpResponse, JsonResponse
        from django.template.loader import render_to_string
        from django.utils.translation import gettext as _

        message = _("The upload is too large: at most %(mb)s MB is accepted.") % {"mb": round(limit / 1024 / 1024, 1)}
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message}, status=413)
        return HttpResponse(render_to_string("413.html", {"message": message}), status=413)


class RejectNulCharactersMiddleware:
    """A NUL character in the address or the query (`?search=%00`) cannot be stored or searched
    in PostgreSQL text: answer 400 at once instead of failing deep inside a view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any("\x00" in k or "\x00" in v for k, values in request.GET.lists() for v in values):
            from django.http import HttpResponseBadRequest, JsonResponse
            from django.utils.translation import gettext as _

            message = _("The request contains a character that is not allowed.")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponseBadRequest(message)
        return self.get_response(request)


class ClientReceiptMiddleware:
    """Exactly once (welfare/receipts.py): a write labelled with a `client_uuid` claims the label
    in the request's transaction before the view runs (after the CSRF check: process_view), and
    the answer is kept with it; the same label sent again by the same user answers the kept
    answer and runs nothing. Placed after AtomicWritesMiddleware, inside its transaction."""

    UNSAFE = AtomicWritesMiddleware.UNSAFE

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        receipt = getattr(request, "_client_receipt", None)
        if receipt is not None and response.status_code < 500:
            from welfare.receipts import receipt_complete

            receipt_complete(receipt=receipt, response=response)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method not in self.UNSAFE:
            return None
        from welfare import receipts

        try:
            label = receipts.client_uuid_of(request)
        except receipts.InvalidClientUuid:
            return receipts.invalid_answer(request)
        if label is None:
            return None
        user = self._user(request)
        if user is None:
            return None  # anonymous: the view refuses it anyway
        receipt = receipts.receipt_claim(user=user, client_uuid=label, method=request.method, path=request.path)
        if receipt is None:
            return receipts.receipt_answer(request=request, receipt=receipts.receipt_get(user=user, client_uuid=label))
        request._client_receipt = receipt
        return None

    @staticmethod
    def _user(request):
        """The signed-in user: the page's session (CSRF checked by then), or for the API a token,
        or the session with the CSRF check the API makes (Django's, on the plain request: the
        body is not parsed here). None when nobody is signed in."""
        user = getattr(request, "user", None)
        if not request.path.startswith("/api/"):
            return user if user is not None and user.is_authenticated else None
        from django.middleware.csrf import CsrfViewMiddleware
        from rest_framework.exceptions import APIException
        from rest_framework.request import Request

        from welfare.authentication import TokenAuthentication

        try:
            found = TokenAuthentication().authenticate(Request(request))
        except APIException:
            return None
        if found is not None:
            return found[0]
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        refused = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
        return user if refused is None else None
