"""Facts of the delegate's meeting folder that do not depend on who asks (the caller has checked access):
the packet copy a delegate reads, the packet's table of contents as page ranges, and the office's view of
which tablets hold the folder offline."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import OuterRef, Subquery

from .models import Invitation, InviteeKind, Meeting, Packet, PacketStatus


@dataclass(frozen=True)
class ContentsEntry:
    """One line of a packet's table of contents: a document (or the cover/agenda/contents pages) with the
    packet pages it occupies; ``on_paper`` documents have no pages (classified: handled on paper)."""

    document_id: int | None
    title: str
    first_page: int | None
    pages: int
    on_paper: bool

    @property
    def last_page(self) -> int | None:
        if self.first_page is None or not self.pages:
            return None
        return self.first_page + self.pages - 1

    def as_json(self) -> dict:
        return {
            "document": self.document_id,
            "title": self.title,
            "first_page": self.first_page,
            "pages": self.pages,
            "on_paper": self.on_paper,
        }


def _first(entry: dict, *keys):
    for key in keys:
        if key in entry and entry[key] not in (None, ""):
            return entry[key]
    return None


def _int_or_none(value) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def contents_entries(packet: Packet | None) -> list[ContentsEntry]:
    """The packet's ``contents`` JSON read tolerantly (``document``/``document_id``, ``first_page``/``page``,
    ``pages``/``page_count``, ``on_paper``/``paper``)."""
    if packet is None or not isinstance(packet.contents, list):
        return []
    entries = []
    for raw in packet.contents:
        if not isinstance(raw, dict):
            continue
        on_paper = bool(_first(raw, "on_paper", "paper", "handled_on_paper"))
        first_page = _int_or_none(_first(raw, "first_page", "page", "start_page"))
        pages = _int_or_none(_first(raw, "pages", "page_count", "count")) or 0
        if on_paper:
            first_page, pages = None, 0
        entries.append(
            ContentsEntry(
                document_id=_int_or_none(_first(raw, "document_id", "document", "agenda_document", "id")),
                title=str(_first(raw, "title", "name") or ""),
                first_page=first_page,
                pages=max(pages, 0),
                on_paper=on_paper,
            )
        )
    return entries


def contents_by_document(packet: Packet | None) -> dict[int, ContentsEntry]:
    return {e.document_id: e for e in contents_entries(packet) if e.document_id is not None}


def latest_packet(meeting: Meeting) -> Packet | None:
    """The newest ready packet version of ``meeting`` (the one delegates read; their copies of it are made on
    their first request by ``meetings.packets.current_copy``)."""
    return Packet.objects.filter(meeting=meeting, status=PacketStatus.READY).order_by("-version").first()


def with_packet_versions(invitations):
    """Annotate an Invitation queryset with ``latest_version``: the meeting's newest ready packet version (in
    the same query)."""
    return invitations.annotate(
        latest_version=Subquery(
            Packet.objects.filter(meeting_id=OuterRef("meeting_id"), status=PacketStatus.READY)
            .order_by("-version")
            .values("version")[:1]
        )
    )


@dataclass(frozen=True)
class Readiness:
    invitation: Invitation
    latest_version: int | None

    @property
    def ready_version(self) -> int | None:
        return self.invitation.folder_ready_version

    @property
    def state(self) -> str:
        """``ready`` (the newest version is on the tablet), ``outdated`` (an older one), ``missing``."""
        if self.ready_version is None:
            return "missing"
        if self.latest_version is not None and self.ready_version < self.latest_version:
            return "outdated"
        return "ready"


def folder_readiness(meeting: Meeting) -> dict:
    """Per invited person with a user account, whether their tablet holds the folder offline (one query)."""
    rows = list(
        with_packet_versions(
            Invitation.objects.filter(meeting=meeting, user__isnull=False).select_related("user")
        ).order_by("copy_number", "id")
    )
    readiness = [Readiness(r, r.latest_version) for r in rows]
    return {
        "meeting": meeting,
        "rows": readiness,
        "latest_version": next((r.latest_version for r in readiness if r.latest_version is not None), None),
        "ready_count": sum(1 for r in readiness if r.state == "ready"),
        "delegate_count": sum(1 for r in readiness if r.invitation.kind == InviteeKind.DELEGATE),
        "total": len(readiness),
    }
