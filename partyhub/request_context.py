"""Who is acting, and from where, for code that has no request at hand (audit signal handlers)."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Actor:
    user: Any = None
    ip_address: str | None = None
    user_agent: str = ""


_current: ContextVar[Actor | None] = ContextVar("partyhub_actor", default=None)


def client_ip(request) -> str | None:
    """The client address: REMOTE_ADDR, or nginx's X-Real-IP when PARTYHUB_TRUST_X_REAL_IP is on."""
    from django.conf import settings

    if settings.PARTYHUB_TRUST_X_REAL_IP and request.META.get("HTTP_X_REAL_IP"):
        return request.META["HTTP_X_REAL_IP"].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def bind(request) -> Token:
    # request.user is resolved lazily by AuthenticationMiddleware; read it when the audit asks.
    return _current.set(
        Actor(
            user=_RequestUser(request),
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        )
    )


def reset(token: Token) -> None:
    _current.reset(token)


class _RequestUser:
    """Defers reading request.user until needed, so binding costs no query."""

    def __init__(self, request):
        self._request = request

    def resolve(self):
        user = getattr(self._request, "user", None)
        return user if user is not None and user.is_authenticated else None


def current() -> Actor:
    actor = _current.get()
    if actor is None:
        return Actor()
    user = actor.user.resolve() if isinstance(actor.user, _RequestUser) else actor.user
    return Actor(user=user, ip_address=actor.ip_address, user_agent=actor.user_agent)


@contextmanager
def acting_as(user, ip_address: str | None = None):
    """For services called outside a request (tasks, commands): ``with acting_as(user): ...``."""
    outer = _current.get()
    token = _current.set(
        Actor(
            user=user,
            ip_address=ip_address or (outer.ip_address if outer else None),
            user_agent=outer.user_agent if outer else "",
        )
    )
    try:
        yield
    finally:
        _current.reset(token)
