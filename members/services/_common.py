"""Helpers shared by the service modules of the members app."""

from __future__ import annotations

import datetime
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from partyhub import request_context


@contextmanager
def _as(actor):
    """Bind ``actor`` for the audit trail when a service runs outside that actor's request."""
    if actor is None or request_context.current().user == actor:
        yield
        return
    with request_context.acting_as(actor):
        yield


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("You are not allowed to do this."))


def _d(value: datetime.date | None) -> str:
    return date_format(value, "SHORT_DATE_FORMAT") if value else "…"
