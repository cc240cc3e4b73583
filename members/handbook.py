"""Sections of the member handbook that other apps fill: the documents and meetings shared with a member.

The handbook has fixed *slots* (``documents``, ``meetings``) shown with a clear empty state until an app
provides them. An app registers a provider from its ``AppConfig.ready()``::

    from members.handbook import HandbookItem, HandbookSection, register_handbook_section

    def shared_documents(request, member):
        rows = documents_shared_with(request.user)[:10]
        return HandbookSection(
            title=_("Documents shared with you"),
            items=[HandbookItem(title=d.summary, url=d.get_absolute_url(), detail=d.symbol) for d in rows],
            empty_text=_("No documents have been shared with you yet."),
        )

    register_handbook_section(shared_documents, slot="documents")

A provider takes the request and the member, and returns a :class:`HandbookSection` or ``None`` (then the
slot keeps its empty state). Providers without a slot are added after the slots, by ``order``. A provider
that raises is logged and left out, so one broken section never takes the handbook down.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

Text = str | Promise


@dataclass(frozen=True)
class HandbookItem:
    title: Text
    url: str = ""
    detail: Text = ""
    badge: Text = ""


@dataclass(frozen=True)
class HandbookSection:
    title: Text
    items: Sequence[HandbookItem] = field(default_factory=tuple)
    empty_text: Text = ""
    link_url: str = ""
    link_text: Text = ""
    #: The slot it fills (``documents``, ``meetings``) or "" for an extra section.
    slot: str = ""


#: The slots and what they show while no app fills them.
SLOTS: dict[str, HandbookSection] = {
    "documents": HandbookSection(
        title=_("Documents shared with you"),
        empty_text=_("No documents have been shared with you yet, comrade."),
        slot="documents",
    ),
    "meetings": HandbookSection(
        title=_("Meetings"),
        empty_text=_("No meetings have been shared with you yet, comrade."),
        slot="meetings",
    ),
}

HandbookProvider = Callable[..., HandbookSection | None]


@dataclass(frozen=True)
class _Registration:
    provider: HandbookProvider
    slot: str
    order: int


_registry: list[_Registration] = []


def register_handbook_section(provider: HandbookProvider, *, slot: str = "", order: int = 100) -> HandbookProvider:
    """Add ``provider`` (for ``slot``, or as an extra section). Registering the same provider twice is a no-op."""
    if slot and slot not in SLOTS:
        raise ValueError(f"Unknown handbook slot {slot!r}; known: {', '.join(SLOTS)}")
    if not any(reg.provider is provider for reg in _registry):
        _registry.append(_Registration(provider, slot, order))
        _registry.sort(key=lambda reg: reg.order)
    return provider


def unregister_handbook_section(provider: HandbookProvider) -> None:
    _registry[:] = [reg for reg in _registry if reg.provider is not provider]


def _call(reg: _Registration, request, member) -> HandbookSection | None:
    try:
        return reg.provider(request, member)
    except Exception:
        logger.exception("Handbook section %r failed; left out", reg.provider)
        return None


def handbook_sections(request, member) -> list[HandbookSection]:
    """The slots (filled by their provider, or empty) followed by any extra sections."""
    sections: list[HandbookSection] = []
    for slot, default in SLOTS.items():
        filled = None
        for reg in _registry:
            if reg.slot == slot:
                filled = _call(reg, request, member)
                if filled is not None:
                    break
        if filled is None:
            sections.append(default)
        else:
            sections.append(filled if filled.empty_text else _with_empty_text(filled, default.empty_text))
    for reg in _registry:
        if not reg.slot:
            section = _call(reg, request, member)
            if section is not None:
                sections.append(section)
    return sections


def _with_empty_text(section: HandbookSection, text: Text) -> HandbookSection:
    return HandbookSection(
        title=section.title,
        items=section.items,
        empty_text=text,
        link_url=section.link_url,
        link_text=section.link_text,
        slot=section.slot,
    )
