"""The home page: the signed-in user's pending work, gathered from every app.

Apps add a section from their ``AppConfig.ready()``::

    from partyhub.home import HomeItem, HomeSection, register_section

    def incoming_to_handle(request):
        if "handler" not in roles_for(request.user):
            return None                      # not this user's business: no section at all
        rows = documents_assigned_to(request.user)[:10]
        return HomeSection(
            title=_("Documents to handle"),
            items=[HomeItem(title=d.summary, url=d.get_absolute_url(), detail=d.symbol) for d in rows],
            empty_text=_("No documents waiting for you."),
            link_url=reverse("documents:assigned"),
            link_text=_("All assigned documents"),
        )

    register_section(incoming_to_handle, order=10)

A provider takes the request and returns a :class:`HomeSection`, or ``None`` to show nothing. Providers must
read through their app's selectors (what the user may see) and keep to a few queries. A provider that raises
is logged and left out, so one broken section never takes the home page down.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.http import HttpRequest
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

Text = str | Promise

NOTHING_TO_HANDLE = _("Nothing to handle.")


@dataclass(frozen=True)
class HomeItem:
    """One line of pending work."""

    title: Text
    url: str = ""
    detail: Text = ""
    #: A short marker shown next to the title ("Khẩn", a deadline …).
    badge: Text = ""
    #: ``"urgent"`` or ``"overdue"`` colours the badge; anything else is neutral.
    tone: str = ""


@dataclass(frozen=True)
class HomeSection:
    """A block of the home page. ``empty_text`` is shown when ``items`` is empty."""

    title: Text
    items: Sequence[HomeItem] = field(default_factory=tuple)
    empty_text: Text = NOTHING_TO_HANDLE
    link_url: str = ""
    link_text: Text = ""


SectionProvider = Callable[[HttpRequest], HomeSection | None]


@dataclass(frozen=True)
class _Registration:
    provider: SectionProvider
    order: int


_registry: list[_Registration] = []


def register_section(provider: SectionProvider, *, order: int = 100) -> SectionProvider:
    """Add ``provider`` to the home page (lower ``order`` first). Registering twice is a no-op.

    Returns the provider, so it can be used as a decorator (``@register_section``) as well.
    """
    if any(reg.provider is provider for reg in _registry):
        return provider
    _registry.append(_Registration(provider, order))
    _registry.sort(key=lambda reg: reg.order)
    return provider


def unregister_section(provider: SectionProvider) -> None:
    """Remove ``provider`` (tests, or an app that is switched off)."""
    _registry[:] = [reg for reg in _registry if reg.provider is not provider]


def registered_providers() -> list[SectionProvider]:
    return [reg.provider for reg in _registry]


def sections_for(request: HttpRequest) -> list[HomeSection]:
    """Every section the registered providers give for this request, in order."""
    sections = []
    for provider in registered_providers():
        try:
            section = provider(request)
        except Exception:
            logger.exception("Home page section %r failed; left out", provider)
            continue
        if section is not None:
            sections.append(section)
    return sections


@dataclass(frozen=True)
class HeldRole:
    """A current position of the user, for "your organizations and roles"."""

    title: str
    organization: str


def member_record(user):
    """The user's member record with its organization (one query), or ``None``."""
    from members.models import Member

    if not user.is_authenticated:
        return None
    return Member.objects.select_related("organization").filter(user_id=user.pk).first()


def held_positions(member) -> list[HeldRole]:
    """The member's current positions (title in organization), read through the members app."""
    from members.selectors import current_positions

    if member is None:
        return []
    return [
        HeldRole(title=position.title.name, organization=position.organization.name)
        for position in current_positions(member=member)
    ]


def home_view(request: HttpRequest):
    """``/``: pending work of the signed-in user, and who they are in the organization."""
    from members.models import Role
    from members.selectors import roles_for

    sections = sections_for(request)
    member = member_record(request.user)
    roles = roles_for(request.user)
    role_labels = [label for value, label in Role.choices if value in roles]
    context = {
        "sections": sections,
        "has_pending_work": any(section.items for section in sections),
        "positions": held_positions(member),
        "member_organization": member.organization if member is not None else None,
        "role_labels": role_labels,
    }
    return render(request, "partyhub/home.html", context)
