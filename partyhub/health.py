"""Dependency checks behind ``/healthz``: each answers quickly (≤ 2 s) and never reveals configuration."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

CHECK_TIMEOUT_SECONDS = 2


def _elapsed_ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


def _short_timeout_settings(settings_dict: dict[str, Any]) -> dict[str, Any]:
    """A copy of the connection settings with connect/statement timeouts of at most CHECK_TIMEOUT_SECONDS."""
    fresh = dict(settings_dict)
    options = dict(fresh.get("OPTIONS") or {})
    engine = fresh.get("ENGINE", "")
    if "postgresql" in engine:
        options["connect_timeout"] = CHECK_TIMEOUT_SECONDS
        options["options"] = f"{options.get('options', '')} -c statement_timeout={CHECK_TIMEOUT_SECONDS * 1000}".strip()
        options.pop("pool", None)
    elif "sqlite" in engine:
        options["timeout"] = CHECK_TIMEOUT_SECONDS
    fresh["OPTIONS"] = options
    fresh["CONN_MAX_AGE"] = 0
    return fresh


def check_database(alias: str = DEFAULT_DB_ALIAS) -> dict[str, Any]:
    """``SELECT 1`` on a fresh connection with short timeouts (a stuck pooled connection cannot hide an outage)."""
    started = time.monotonic()
    base = connections[alias]
    connection = type(base)(_short_timeout_settings(base.settings_dict), alias)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            row = cursor.fetchone()
        if not row or row[0] != 1:
            return {"status": "error", "error": "unexpected answer", "vendor": base.vendor}
        return {"status": "ok", "vendor": base.vendor, "latency_ms": _elapsed_ms(started)}
    except Exception as exc:
        return {
            "status": "error",
            "vendor": base.vendor,
            "error": type(exc).__name__,
            "latency_ms": _elapsed_ms(started),
        }
    finally:
        connection.close()


def check_redis() -> dict[str, Any]:
    """PING the Redis at ``REDIS_URL``; "not configured" when it is not set."""
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return {"status": "not configured"}
    import redis

    started = time.monotonic()
    client = redis.Redis.from_url(
        url, socket_connect_timeout=CHECK_TIMEOUT_SECONDS, socket_timeout=CHECK_TIMEOUT_SECONDS, retry_on_timeout=False
    )
    try:
        if client.ping() is not True:
            return {"status": "error", "error": "unexpected answer"}
        return {"status": "ok", "latency_ms": _elapsed_ms(started)}
    except Exception as exc:
        return {"status": "error", "error": type(exc).__name__, "latency_ms": _elapsed_ms(started)}
    finally:
        client.close()


def run_checks() -> tuple[bool, dict[str, dict[str, Any]]]:
    checks = {"database": check_database(), "redis": check_redis()}
    healthy = all(check["status"] != "error" for check in checks.values())
    return healthy, checks
