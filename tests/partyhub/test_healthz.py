"""/healthz: public JSON on the database and Redis; 503 when a configured dependency is down; no secrets."""

from __future__ import annotations

import os
import socket
import time

import pytest
from django.db import connection


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_healthy_without_redis_configured(client, db, settings):
    settings.REDIS_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    data = response.json()
    assert data["status"] == "ok"
    assert data["checks"]["database"]["status"] == "ok"
    assert data["checks"]["database"]["vendor"] == connection.vendor
    assert data["checks"]["redis"] == {"status": "not configured"}


@pytest.mark.redis
def test_healthy_with_redis(client, db, settings):
    settings.REDIS_URL = os.environ["REDIS_URL"]
    response = client.get("/healthz")
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "ok"
    assert data["checks"]["redis"]["status"] == "ok"
    assert isinstance(data["checks"]["redis"]["latency_ms"], float)


def test_redis_down_is_503_without_secrets(client, db, settings):
    settings.REDIS_URL = f"redis://:s3cret-pass@127.0.0.1:{closed_port()}/0"
    started = time.monotonic()
    response = client.get("/healthz")
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    data = response.json()
    assert data["status"] == "error"
    assert data["checks"]["database"]["status"] == "ok"
    assert data["checks"]["redis"]["status"] == "error"
    assert data["checks"]["redis"]["error"] == "ConnectionError"
    body = response.content.decode()
    assert "s3cret" not in body
    assert "127.0.0.1" not in body


def test_database_down_is_503(client, db, settings, monkeypatch):
    settings.REDIS_URL = ""
    if connection.vendor == "sqlite":
        monkeypatch.setitem(connection.settings_dict, "NAME", "/nonexistent-dir/partyhub.sqlite3")
    else:
        monkeypatch.setitem(connection.settings_dict, "HOST", "127.0.0.1")
        monkeypatch.setitem(connection.settings_dict, "PORT", str(closed_port()))
        monkeypatch.setitem(connection.settings_dict, "PASSWORD", "db-secret-password")
    started = time.monotonic()
    response = client.get("/healthz")
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    data = response.json()
    assert data["status"] == "error"
    assert data["checks"]["database"]["status"] == "error"
    assert data["checks"]["database"]["error"] == "OperationalError"
    assert "nonexistent" not in response.content.decode()
    assert "db-secret" not in response.content.decode()


def test_public_but_read_only(client, db, settings):
    settings.REDIS_URL = ""
    assert client.get("/healthz").status_code == 200  # no login, no redirect
    assert client.post("/healthz").status_code == 405
