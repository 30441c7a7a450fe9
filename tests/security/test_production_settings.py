# ruff: noqa: S603 - runs fixed commands (manage.py, pg_ctl) of this test only
"""Production settings: `manage.py check --deploy` is clean, and answers carry HSTS, the
content security policy and secure cookies. Run in subprocesses (settings load once a process)."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DJANGO_SETTINGS_MODULE="welfare.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="welfare.example.gov.cn",
        TRUSTED_PROXY_COUNT="1",
        FIELD_ENCRYPTION_KEY="k1:" + secrets.token_hex(16),
        FIELD_INDEX_KEY=secrets.token_hex(32),
        DATABASE_URL=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
    )
    return env


def test_it_passes_the_deployment_checks():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_refuses_to_start_without_a_secret_key():
    env = _env()
    env["SECRET_KEY"] = ""
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("FIELD_ENCRYPTION_KEY", None, "未设置字段加密密钥"),
        ("FIELD_ENCRYPTION_KEY", "k1:1234", "32 位十六进制"),
        ("FIELD_ENCRYPTION_KEY", "local1:000102030405060708090a0b0c0d0e0f", "本地测试密钥"),
        ("FIELD_INDEX_KEY", None, "64 位十六进制"),
        ("FIELD_INDEX_KEY", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "本地测试密钥"),
    ],
)
def test_it_refuses_to_start_without_well_formed_field_encryption_keys(variable, value, says):
    env = _env()
    if value is None:
        del env[variable]
    else:
        env[variable] = value
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert variable in result.stderr and says in result.stderr


def test_it_refuses_to_start_without_being_told_how_many_proxies_to_trust():
    env = _env()
    del env["TRUSTED_PROXY_COUNT"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "TRUSTED_PROXY_COUNT" in result.stderr


PROBE = r"""
import json, django
django.setup()
from django.conf import settings
from django.test import Client
client = Client(HTTP_HOST="welfare.example.gov.cn")
plain = client.get("/login/")
secure = client.get("/login/", secure=True)
print(json.dumps({
    "plain_status": plain.status_code,
    "plain_location": plain.get("Location", ""),
    "status": secure.status_code,
    "headers": dict(secure.headers),
    "cookies": {k: {"secure": bool(v["secure"]), "httponly": bool(v["httponly"]), "samesite": v["samesite"]} for k, v in secure.cookies.items()},
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "session_cookie_httponly": settings.SESSION_COOKIE_HTTPONLY,
    "session_cookie_age": settings.SESSION_COOKIE_AGE,
}))
"""


def test_it_sends_hsts_csp_and_secure_cookies():
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["plain_status"] == 301 and seen["plain_location"].startswith("https://")
    assert seen["status"] == 200
    headers = {k.lower(): v for k, v in seen["headers"].items()}
    assert "max-age=31536000" in headers["strict-transport-security"]
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert seen["cookies"]["csrftoken"]["secure"] is True
    assert seen["session_cookie_secure"] and seen["session_cookie_httponly"]
    assert seen["session_cookie_age"] == 30 * 60
