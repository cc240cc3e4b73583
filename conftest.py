"""Loaded by pytest before Django: tests run in the embedded mode unless the environment says otherwise."""

import os

os.environ.setdefault("PARTYHUB_EMBEDDED", "true")
# Playwright's sync API runs an event loop in the test thread; Django's ORM calls from tests stay synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
