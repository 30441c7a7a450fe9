"""Settings for the test suite: fast hashing, in-memory e-mail; the database comes from DATABASE_URL."""

from .base import *  # noqa: F403
from .base import env, prepared_statements

# The suite runs on the real PostgreSQL of the machine unless DATABASE_URL says otherwise.
DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/welfare")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The audit log's trigger refuses TRUNCATE (welfare/security.py) unless the connection turns
    # this on: only the suite does, whose transactional tests flush every table with TRUNCATE.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c welfare.allow_audit_truncate=on"
    prepared_statements(DATABASES["default"])

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AXES_ENABLED = True

# The child list API's page cache is on in the suite (one process per xdist worker, so the
# local-memory cache is shared by everything a test does; tests/conftest.py empties it per test):
# every API test that writes and reads again also proves the cache invalidates.
CHILD_LIST_CACHE_SECONDS = 300
