"""API authentication (its own module: DRF imports it while setting itself up)."""

from functools import cache
from hmac import compare_digest

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy
from knox import auth as knox_auth
from knox.crypto import hash_token
from knox.settings import CONSTANTS
from rest_framework import exceptions

# Longer than any token knox issues (prefix + 64 hex digits): refused before hashing.
MAX_TOKEN_LENGTH = 200


def _columns(model, alias: str) -> list[str]:
    q = connection.ops.quote_name
    return [f"{alias}.{q(f.column)}" for f in model._meta.concrete_fields]


@cache
def _token_sql() -> str:
    """The token, its user and the user's region in one statement, written once per process from
    the models' own column lists (what select_related would send, without compiling the query on
    every request: that compilation was a third of a cached list page's time)."""
    from knox.models import AuthToken

    from welfare.models import Region, User

    q = connection.ops.quote_name
    columns = ", ".join(_columns(AuthToken, "t") + _columns(User, "u") + _columns(Region, "r"))
    return (
        f"SELECT {columns} FROM {q(AuthToken._meta.db_table)} t "  # noqa: S608 - identifiers from the models, the key is a parameter
        f"JOIN {q(User._meta.db_table)} u ON u.{q('id')} = t.{q('user_id')} "
        f"LEFT JOIN {q(Region._meta.db_table)} r ON r.{q('id')} = u.{q('region_id')} "
        f"WHERE t.{q('token_key')} = %s"
    )


def _instance(model, db: str, values):
    return model.from_db(db, [f.attname for f in model._meta.concrete_fields], values)


class TokenAuthentication(knox_auth.TokenAuthentication):
    """knox's token authentication (`Authorization: Token <key>`, same messages): the token is
    found by its first characters and compared by its hash, and refused once it has been idle
    for `API_TOKEN_IDLE_HOURS` or is older than `API_TOKEN_MAX_AGE_HOURS` (a lapsed token is
    deleted). Each use starts the idle period again. The user and the user's region are read
    with the token in one statement: every API request needs the caller's scope.

    Unlike knox's own class it does not read the user's other tokens on every request to clear
    lapsed ones: a login clears them (welfare.tokens.api_token_issue)."""

    def authenticate_credentials(self, token):
        from knox.models import AuthToken

        from welfare import tokens

        invalid = gettext_lazy("Invalid token.")
        try:
            key = token.decode("utf-8")
        except UnicodeError:
            raise exceptions.AuthenticationFailed(invalid) from None
        if not key or len(key) > MAX_TOKEN_LENGTH:
            raise exceptions.AuthenticationFailed(invalid)
        digest = hash_token(key)
        found = None
        for candidate in self._candidates(key[: CONSTANTS.TOKEN_KEY_LENGTH]):
            if compare_digest(digest, candidate.digest):
                found = candidate
                break
        if found is None:
            raise exceptions.AuthenticationFailed(invalid)
        now = timezone.now()
        if not tokens.token_is_live(found, now=now):
            tokens.api_token_revoke(token=found)
            raise exceptions.AuthenticationFailed(invalid)
        user = found.user
        if not user.is_active:
            raise exceptions.AuthenticationFailed(gettext_lazy("User inactive or deleted."))
        renewed = tokens.token_renewed_expiry(found, now=now)
        if renewed is not None:
            AuthToken.objects.filter(digest=found.digest).update(expiry=renewed)
            found.expiry = renewed
        return (user, found)

    def _candidates(self, token_key: str) -> list:
        """The tokens starting like the one presented (almost always one), each with its user
        and the user's region loaded."""
        from knox.models import AuthToken

        from welfare.models import Region, User

        if connection.vendor != "postgresql":
            # Elsewhere (the embedded SQLite) raw values would need the backend's converters:
            # the ORM does the same in a few more microseconds.
            return list(AuthToken.objects.filter(token_key=token_key).select_related("user", "user__region"))
        with connection.cursor() as cur:
            cur.execute(_token_sql(), [token_key])
            rows = cur.fetchall()
        n_token, n_user = len(AuthToken._meta.concrete_fields), len(User._meta.concrete_fields)
        db = connection.alias
        out = []
        for row in rows:
            token = _instance(AuthToken, db, row[:n_token])
            user = _instance(User, db, row[n_token : n_token + n_user])
            region_values = row[n_token + n_user :]
            if region_values[0] is not None:
                user._state.fields_cache["region"] = _instance(Region, db, region_values)
            else:
                user._state.fields_cache["region"] = None
            token._state.fields_cache["user"] = user
            out.append(token)
        return out
