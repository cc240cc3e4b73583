"""Loaded by pytest before Django: tests run in the embedded mode unless the environment says otherwise."""

import os

import pytest

os.environ.setdefault("PARTYHUB_EMBEDDED", "true")
# Playwright's sync API runs an event loop in the test thread; Django's ORM calls from tests stay synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _redis_reachable() -> bool:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _softhsm_available() -> bool:
    import importlib.util
    import shutil

    from tests.documents.pkcs11_token import softhsm_library

    return bool(shutil.which("softhsm2-util") and softhsm_library() and importlib.util.find_spec("pkcs11"))


def pytest_runtest_setup(item):
    """Tests marked `postgres`, `redis`, `imap` or `softhsm` skip with a reason without the service — and fail in CI
    instead."""
    import pytest
    from django.db import connection

    needs = []
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        needs.append("PostgreSQL (set DATABASE_URL)")
    if item.get_closest_marker("redis") and not _redis_reachable():
        needs.append("Redis (set REDIS_URL)")
    if item.get_closest_marker("imap") and not os.access("/usr/sbin/dovecot", os.X_OK):
        needs.append("an IMAP server (Debian's dovecot-imapd: /usr/sbin/dovecot)")
    if item.get_closest_marker("softhsm") and not _softhsm_available():
        needs.append("a PKCS#11 software token (Debian's softhsm2 and the python-pkcs11 package)")
    if needs:
        message = "needs " + " and ".join(needs)
        if _in_ci():
            pytest.fail(f"{message}: CI must provide it, so this test may not be skipped", pytrace=False)
        pytest.skip(message)


def _is_browser_test(item) -> bool:
    return item.get_closest_marker("e2e") is not None or "browser" in getattr(item, "fixturenames", ())


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Browser tests run last. Playwright's sync API keeps an event loop running in the main thread for the
    rest of the session (so ``asyncio.run`` in code such as pyHanko's fails after it), and their live server's
    flush empties the tables that data migrations seeded."""
    items.sort(key=_is_browser_test)
