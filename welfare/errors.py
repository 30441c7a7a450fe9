"""The error types services raise; views and the API turn them into 400 / 403 answers."""

from django.core.exceptions import PermissionDenied


class ApplicationError(Exception):
    """A business rule refused the request. `message` is user-facing and translatable;
    `field_errors` maps field names to messages when the error belongs to fields."""

    def __init__(self, message, *, field_errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}


def field_error(field: str, message) -> ApplicationError:
    """A refusal that belongs to one field: the message, also shown beside that field."""
    return ApplicationError(message, field_errors={field: message})


class PermissionDeniedError(PermissionDenied):
    """The user may not do this here (role or region). Answered with 403."""
