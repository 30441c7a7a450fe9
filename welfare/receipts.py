"""Exactly once: a write labelled with a `client_uuid` (made on the phone) is done once per user.

Any unsafe request (POST, and PUT, PATCH, DELETE) may carry `client_uuid`: in the header
`X-Client-UUID`, a form field or a top-level JSON field. `ClientReceiptMiddleware` claims the
label before the view runs by inserting a `ClientReceipt` row inside the request's transaction
(`AtomicWritesMiddleware`); a second request with the same label by the same user waits on the
unique index until the first one's transaction ends, then finds its receipt and answers it again
without running the view. A successful answer is kept in the receipt; a refused one (a 4xx other
than 409) gives the label back, so the corrected request can be sent with it again.

The label is per user: another user's label is simply a new label for whoever sends it, and the
answer kept for one user is never given to another.
"""

import datetime
import json
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from welfare.models import ClientReceipt
from welfare.parsers import json_depth, json_max_depth

HEADER = "HTTP_X_CLIENT_UUID"
FIELD = "client_uuid"
# The largest answer kept whole (a page's redirect or an API record is far smaller).
MAX_BODY_CHARS = 256 * 1024


class InvalidClientUuid(ValueError):
    pass


def client_uuid_of(request) -> uuid.UUID | None:
    """The label a request carries, or None. Raises InvalidClientUuid for one that is not a UUID."""
    raw = request.META.get(HEADER)
    if raw is None:
        content_type = request.META.get("CONTENT_TYPE", "")
        if content_type.startswith("application/json"):
            try:
                text = request.body.decode("utf-8")
                if json_depth(text) > json_max_depth():
                    return None  # the parser refuses the body with a 400 before it is read
                data = json.loads(text or "null")
            except (ValueError, UnicodeDecodeError, RecursionError):
                return None  # the view answers the malformed body
            raw = data.get(FIELD) if isinstance(data, dict) else None
        elif content_type.startswith("application/x-www-form-urlencoded") or content_type.startswith("multipart/"):
            raw = request.POST.get(FIELD)
    if raw in (None, ""):
        return None
    try:
        return uuid.UUID(str(raw))
    except (ValueError, AttributeError, TypeError):
        raise InvalidClientUuid(str(raw)[:50]) from None


def invalid_answer(request) -> HttpResponse:
    message = _("client_uuid must be a UUID made by the client, such as 3f2b8c1e-5d4a-4b6e-9a7c-1e2d3c4b5a69.")
    if request.path.startswith("/api/"):
        return JsonResponse({FIELD: [message]}, status=400)
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


def receipt_claim(*, user, client_uuid: uuid.UUID, method: str, path: str) -> ClientReceipt | None:
    """Claim `client_uuid` for `user` inside the current transaction: the new, empty receipt, or
    None when the label is taken (then `receipt_get` reads the first request's receipt). A
    concurrent request with the same label blocks here until the first one commits or rolls back."""
    try:
        with transaction.atomic():
            return ClientReceipt.objects.create(user=user, client_uuid=client_uuid, method=method, path=path[:300])
    except IntegrityError:
        return None


def receipt_get(*, user, client_uuid: uuid.UUID) -> ClientReceipt | None:
    return ClientReceipt.objects.filter(user=user, client_uuid=client_uuid).first()


def is_kept(*, path: str, status_code: int) -> bool:
    """Whether an answer is the result of the write (kept and answered again) or a refusal (the
    label is given back). The API's results: 2xx, and 409 (a conflict recorded for the
    supervisor). A page's result: a redirect (a page answering 200 to a POST shows its form again
    with errors)."""
    if path.startswith("/api/"):
        return 200 <= status_code < 300 or status_code == 409
    return 300 <= status_code < 400


def receipt_complete(*, receipt: ClientReceipt, response) -> None:
    """Keep the answer in the receipt, or give the label back when the answer is a refusal."""
    if getattr(response, "streaming", False) or not is_kept(path=receipt.path, status_code=response.status_code):
        receipt.delete()
        return
    content = response.content.decode(response.charset or "utf-8", errors="replace")
    receipt.status_code = response.status_code
    receipt.content_type = (response.get("Content-Type") or "")[:100]
    receipt.location = (response.get("Location") or "")[:300]
    receipt.body = content if len(content) <= MAX_BODY_CHARS else ""
    receipt.save(update_fields=["status_code", "content_type", "location", "body"])


def receipt_answer(*, request, receipt: ClientReceipt | None) -> HttpResponse:
    """The first answer again. A label used for another kind of request answers 409 and says so;
    a receipt gone (cleaned up) answers 409 too, and nothing is done."""
    if receipt is None or receipt.method != request.method or receipt.path != request.path[:300] or not receipt.status_code:
        message = _("This client_uuid was already used for another request: make a new one.")
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message, "code": "client_uuid_used"}, status=409)
        return HttpResponse(message, status=409, content_type="text/plain; charset=utf-8")
    response = HttpResponse(receipt.body, status=receipt.status_code, content_type=receipt.content_type or None)
    if receipt.location:
        response["Location"] = receipt.location
    response["Client-UUID-Replayed"] = "true"
    response["Cache-Control"] = "no-store"
    return response


def client_receipts_delete_expired(*, now: datetime.datetime | None = None) -> int:
    """Delete receipts older than CLIENT_RECEIPT_DAYS (a phone's queue is long gone by then)."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.CLIENT_RECEIPT_DAYS)
    deleted, _per_model = ClientReceipt.objects.filter(created_at__lt=cutoff).delete()
    return deleted
