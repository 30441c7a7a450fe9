"""API authentication (its own module: DRF imports it while setting itself up)."""

from functools import cache

from django.db import connection
from django.utils.translation import gettext_lazy
from rest_framework import authentication, exceptions


def _columns(model, alias: str) -> list[str]:
    q = connection.ops.quote_name
    return [f"{alias}.{q(f.column)}" for f in model._meta.concrete_fields]


@cache
def _token_sql() -> str:
    """The token, its user and the user's region in one statement, written once per process from
    the models' own column lists (what select_related would send, without compiling the query on
    every request: that compilation was a third of a cached list page's time)."""
    from rest_framework.authtoken.models import Token

    from welfare.models import Region, User

    q = connection.ops.quote_name
    columns = ", ".join(_columns(Token, "t") + _columns(User, "u") + _columns(Region, "r"))
    return (
        f"SELECT {columns} FROM {q(Token._meta.db_table)} t "  # noqa: S608 - identifiers from the models, the key is a parameter
        f"JOIN {q(User._meta.db_table)} u ON u.{q('id')} = t.{q('user_id')} "
        f"LEFT JOIN {q(Region._meta.db_table)} r ON r.{q('id')} = u.{q('region_id')} "
        f"WHERE t.{q('key')} = %s"
    )


def _instance(model, db: str, values):
    return model.from_db(db, [f.attname for f in model._meta.concrete_fields], values)


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication (same rules and messages), reading the user and the user's
    region with the token in one statement: every API request needs the caller's scope."""

    def authenticate_credentials(self, key):
        if connection.vendor != "postgresql":
            # Elsewhere (the embedded SQLite) raw values would need the backend's converters:
            # the ORM does the same in a few more microseconds.
            return self._authenticate_orm(key)
        from rest_framework.authtoken.models import Token

        from welfare.models import Region, User

        with connection.cursor() as cur:
            cur.execute(_token_sql(), [key])
            row = cur.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed(gettext_lazy("Invalid token."))
        n_token, n_user = len(Token._meta.concrete_fields), len(User._meta.concrete_fields)
        db = connection.alias
        token = _instance(Token, db, row[:n_token])
        user = _instance(User, db, row[n_token : n_token + n_user])
        region_values = row[n_token + n_user :]
        if region_values[0] is not None:
            user._state.fields_cache["region"] = _instance(Region, db, region_values)
        token._state.fields_cache["user"] = user
        if not user.is_active:
            raise exceptions.AuthenticationFailed(gettext_lazy("User inactive or deleted."))
        return (user, token)

    def _authenticate_orm(self, key):
        model = self.get_model()
        try:
            token = model.objects.select_related("user", "user__region").get(key=key)
        except model.DoesNotExist:
            raise exceptions.AuthenticationFailed(gettext_lazy("Invalid token.")) from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(gettext_lazy("User inactive or deleted."))
        return (token.user, token)
