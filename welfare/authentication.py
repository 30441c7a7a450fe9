"""API authentication (its own module: DRF imports it while setting itself up)."""

from django.utils.translation import gettext_lazy
from rest_framework import authentication, exceptions


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication (same rules and messages), reading the user's region and
    institution with the token in one query: every API request needs the caller's scope."""

    def authenticate_credentials(self, key):
        model = self.get_model()
        try:
            token = model.objects.select_related("user", "user__region", "user__institution__region").get(key=key)
        except model.DoesNotExist:
            raise exceptions.AuthenticationFailed(gettext_lazy("Invalid token.")) from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(gettext_lazy("User inactive or deleted."))
        return (token.user, token)
