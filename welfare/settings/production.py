"""Production: PostgreSQL, Redis, gunicorn behind a TLS proxy. Refuses to start without a secret and hosts."""

from django.core.exceptions import ImproperlyConfigured

from welfare.crypto import LOCAL_ENCRYPTION_KEY, LOCAL_INDEX_KEY, parse_encryption_keys, parse_index_key

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = env("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set in production.")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in production.")
# How many reverse proxies add to X-Forwarded-For (welfare/clientip.py): stated, never assumed.
# Too few and every client has the proxy's address (one client's wrong passwords would pause
# sign-in for all); too many and clients choose their own address.
if "TRUSTED_PROXY_COUNT" not in env:
    raise ImproperlyConfigured(
        "TRUSTED_PROXY_COUNT must be set in production: 1 behind one TLS proxy, 0 if clients connect directly."
    )

# The keys of the identity and phone numbers encrypted at rest (welfare/crypto.py): required, well
# formed, and never the public local-only keys of the embedded default.
FIELD_ENCRYPTION_KEY = env("FIELD_ENCRYPTION_KEY", default="")
FIELD_INDEX_KEY = env("FIELD_INDEX_KEY", default="")
_field_key_id, _field_keys = parse_encryption_keys(FIELD_ENCRYPTION_KEY)
if parse_index_key(FIELD_INDEX_KEY) == parse_index_key(LOCAL_INDEX_KEY) or (
    parse_encryption_keys(LOCAL_ENCRYPTION_KEY)[1]["local1"] in _field_keys.values()
):
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEY / FIELD_INDEX_KEY:生产环境不得使用公开的本地测试密钥。 / "
        "production must not use the public local-only keys."
    )

DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content security policy: everything is served locally, so only 'self' is allowed.
CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
MIDDLEWARE = [*MIDDLEWARE, "welfare.middleware.ContentSecurityPolicyMiddleware"]  # noqa: F405
