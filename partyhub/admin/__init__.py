"""Admin registrations of the core app, one module per area."""

from . import audit, files, notifications, users  # noqa: F401
