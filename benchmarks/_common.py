"""What the benchmarks share (imported by the scripts beside it, which run with this folder on
sys.path): the database they build in (created when missing, or recreated empty), Django set up
on it, the production schema rebuilt, and COPY of generated rows."""

import io
import os
from urllib.parse import urlsplit, urlunsplit


def db_url(base: str, name: str) -> str:
    """`base` (a postgres:// URL) naming the database `name` instead."""
    return urlunsplit(urlsplit(base)._replace(path="/" + name))


def ensure_database(url: str) -> None:
    """Create the database named by `url` when it is missing (its data, if any, stay)."""
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def recreate_database(admin_url: str, name: str) -> None:
    """Drop the database `name` (whoever is connected) and create it empty: the benchmarks' one way
    to start from an empty database. `admin_url` names a database of the same server to do it
    from."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str, **environ: str) -> None:
    """Django on the database at `url`, with the test settings and no persistent connections
    unless the environment says otherwise; `environ`: more such defaults (LOG_LEVEL…)."""
    os.environ["DATABASE_URL"] = url
    for key, value in {"DJANGO_SETTINGS_MODULE": "welfare.settings.test", "CONN_MAX_AGE": "0", **environ}.items():
        os.environ.setdefault(key, value)
    import django

    django.setup()


def build_schema() -> None:
    """The production schema, from an empty public schema: every migration, then what
    post_migrate installs (the payout run's triggers, paid_through, the key check and the indexes
    of benefits/payouts/schema.py)."""
    from django.core.management import call_command
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    call_command("migrate", verbosity=0, interactive=False)


def copy_lines(cur, table: str, columns: list[str], lines) -> int:
    """Stream text lines (tab-separated, \\N for NULL, newline-terminated) into COPY in chunks of
    20,000 (memory stays flat); answers how many lines were sent."""
    n = 0
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        buf = io.StringIO()
        for line in lines:
            buf.write(line)
            n += 1
            if n % 20000 == 0:
                copy.write(buf.getvalue())
                buf = io.StringIO()
        copy.write(buf.getvalue())
    return n
