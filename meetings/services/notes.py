"""A delegate's private page notes in the meeting folder (issue 6, point 4).

A note belongs to the delegate's :class:`~meetings.models.Invitation` and is read by its author only: no
other delegate, no manager of the meeting and no administrator reads it (not in the API, not in the pages,
not in the audit trail — these services switch the automatic field audit off and record what happened
without the text).

``page`` is the page *within the document* when the note is on an agenda document, or the page of the
packet when ``document`` is empty (the cover, the agenda, the table of contents). Notes written on a
tablet without Wi-Fi carry a ``client_id`` (a UUID made on the tablet) and the tablet's
``client_updated_at``: :func:`page_notes_sync` is idempotent by ``client_id`` and the latest
``client_updated_at`` wins (a deletion is kept as a tombstone so that an older copy never brings the note
back). A time from a tablet whose clock runs ahead is taken as the server's time.

Permission failures raise ``PermissionDenied`` (views have answered 404 before calling); bad input raises a
``ValidationError`` with translated messages and nothing is written.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from partyhub import audit

from ..models import AgendaDocument, Invitation, Meeting, PageNote

__all__ = [
    "MAX_NOTE_CHARS",
    "MAX_SYNC_BATCH",
    "SyncResult",
    "note_author_invitation",
    "page_note_create",
    "page_note_delete",
    "page_note_update",
    "page_notes_sync",
]

MAX_NOTE_CHARS = 5000
MAX_SYNC_BATCH = 500
MAX_PAGE = 100_000


def note_author_invitation(actor, meeting: Meeting) -> Invitation | None:
    """The invitation under which ``actor`` writes notes in ``meeting``: invited, folder open for them
    (window, clearance). ``None`` otherwise — managers and administrators who are not invited have no notes."""
    from ..permissions import can_open_folder
    from ..selectors import invitation_for

    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    invitation = invitation_for(actor, meeting)
    if invitation is None or invitation.user_id != actor.pk:
        return None
    if not can_open_folder(actor, meeting):
        return None
    return invitation


def _require_invitation(actor, meeting: Meeting, *, lock: bool = False) -> Invitation:
    invitation = note_author_invitation(actor, meeting)
    if invitation is None:
        raise PermissionDenied
    if lock:
        # One sync at a time per delegate: two tablets of the same person never race on a client id.
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    return invitation


# --- parsing ----------------------------------------------------------------------------------------------


@dataclass
class _Item:
    client_id: uuid.UUID
    document_id: int | None
    page: int
    text: str
    client_updated_at: datetime.datetime
    deleted: bool


def _prefix(index: int | None, message):
    if index is None:
        return message
    return format_lazy(_("Note {number}: {message}"), number=index + 1, message=message)


def _parse_client_id(value, index):
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        raise ValidationError(_prefix(index, _("The note's client id must be a UUID.")), code="client_id") from None


def _parse_page(value, index):
    if isinstance(value, bool) or value in (None, ""):
        raise ValidationError(_prefix(index, _("Give the page number of the note.")), code="page")
    try:
        page = int(value)
    except (TypeError, ValueError):
        page = None
    if page is None or str(value).strip() not in (str(page), f"{page}.0") or not (1 <= page <= MAX_PAGE):
        raise ValidationError(_prefix(index, _("The page must be a whole number from 1 to 100000.")), code="page")
    return page


def _parse_time(value, index):
    if isinstance(value, datetime.datetime):
        moment = value
    else:
        try:
            moment = parse_datetime(str(value)) if value not in (None, "") else None
        except ValueError:
            moment = None
    if moment is None:
        raise ValidationError(
            _prefix(index, _("The time the note was written must be a date and time (ISO 8601).")),
            code="client_updated_at",
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, datetime.UTC)
    return moment


def _parse_text(value, deleted, index):
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(_prefix(index, _("The note's text must be text.")), code="text")
    text = value.replace("\x00", "").strip()
    if len(text) > MAX_NOTE_CHARS:
        raise ValidationError(_prefix(index, _("A note can be at most 5000 characters long.")), code="text")
    if not text and not deleted:
        raise ValidationError(_prefix(index, _("Write the note's text, or delete the note.")), code="text")
    return "" if deleted else text


def _parse_deleted(value, index):
    if value in (None, "", False, 0, "false", "0"):
        return False
    if value in (True, 1, "true", "1"):
        return True
    raise ValidationError(_prefix(index, _("“deleted” must be true or false.")), code="deleted")


def _parse_document(value, documents: dict[int, AgendaDocument], index):
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        value = None
    try:
        document_id = int(value)
    except (TypeError, ValueError):
        document_id = None
    if document_id is None or document_id not in documents:
        raise ValidationError(_prefix(index, _("The document is not on the agenda of this meeting.")), code="document")
    return document_id


def _meeting_documents(meeting: Meeting) -> dict[int, AgendaDocument]:
    return {d.pk: d for d in AgendaDocument.objects.filter(item__meeting=meeting).only("id", "item_id")}


def _parse_item(raw, documents, index, now) -> _Item:
    if not isinstance(raw, dict):
        raise ValidationError(_prefix(index, _("Each note must be an object.")), code="invalid")
    deleted = _parse_deleted(raw.get("deleted"), index)
    moment = _parse_time(raw.get("client_updated_at"), index)
    return _Item(
        client_id=_parse_client_id(raw.get("client_id"), index),
        document_id=_parse_document(raw.get("document"), documents, index),
        page=_parse_page(raw.get("page"), index),
        text=_parse_text(raw.get("text"), deleted, index),
        client_updated_at=min(moment, now),
        deleted=deleted,
    )


# --- writing ----------------------------------------------------------------------------------------------


def _record(invitation: Invitation, actor, **counts) -> None:
    # Never the text: the trail only says that the delegate's notes changed, and how many.
    audit.record(
        action=audit.AuditAction.UPDATE,
        obj=invitation,
        actor=actor,
        changes={"page_notes": {key: value for key, value in counts.items() if value}},
    )


def _apply(note: PageNote, item: _Item) -> None:
    note.document_id = item.document_id
    note.page = item.page
    note.text = item.text
    note.deleted = item.deleted
    note.client_updated_at = item.client_updated_at


@transaction.atomic
def page_note_create(
    *,
    actor,
    meeting: Meeting,
    page,
    text,
    document=None,
    client_id=None,
    client_updated_at=None,
) -> PageNote:
    """A new note of ``actor`` on a page (``document`` an AgendaDocument, its id, or ``None``)."""
    invitation = _require_invitation(actor, meeting, lock=True)
    now = timezone.now()
    documents = _meeting_documents(meeting)
    item = _parse_item(
        {
            "client_id": client_id or uuid.uuid4(),
            "document": getattr(document, "pk", document),
            "page": page,
            "text": text,
            "client_updated_at": client_updated_at or now,
        },
        documents,
        None,
        now,
    )
    existing = PageNote.objects.filter(invitation=invitation, client_id=item.client_id).first()
    if existing is not None:
        raise ValidationError(_("A note with this client id exists already; change it instead."), code="client_id")
    note = PageNote(invitation=invitation, client_id=item.client_id)
    _apply(note, item)
    with audit.suppressed():
        note.save()
    _record(invitation, actor, created=1)
    return note


@transaction.atomic
def page_note_update(*, actor, note: PageNote, text, page=None, client_updated_at=None) -> PageNote:
    """Change the text (and optionally the page) of one of ``actor``'s own notes."""
    invitation = _require_invitation(actor, note.invitation.meeting, lock=True)
    note = PageNote.objects.select_for_update().filter(pk=note.pk, invitation=invitation).order_by("pk").first()
    if note is None:
        raise PermissionDenied
    now = timezone.now()
    item = _Item(
        client_id=note.client_id,
        document_id=note.document_id,
        page=_parse_page(page, None) if page is not None else note.page,
        text=_parse_text(text, False, None),
        client_updated_at=min(_parse_time(client_updated_at, None), now) if client_updated_at else now,
        deleted=False,
    )
    if item.client_updated_at < note.client_updated_at:
        item.client_updated_at = now  # an edit made here and now is the latest one
    _apply(note, item)
    with audit.suppressed():
        note.save()
    _record(invitation, actor, updated=1)
    return note


@transaction.atomic
def page_note_delete(*, actor, note: PageNote) -> PageNote:
    """Delete one of ``actor``'s notes: the text is erased, a tombstone keeps the client id (for the sync)."""
    invitation = _require_invitation(actor, note.invitation.meeting, lock=True)
    note = PageNote.objects.select_for_update().filter(pk=note.pk, invitation=invitation).order_by("pk").first()
    if note is None:
        raise PermissionDenied
    note.text = ""
    note.deleted = True
    note.client_updated_at = max(timezone.now(), note.client_updated_at)
    with audit.suppressed():
        note.save()
    _record(invitation, actor, deleted=1)
    return note


@dataclass
class SyncResult:
    invitation: Invitation
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    notes: list[PageNote] = field(default_factory=list)


@transaction.atomic
def page_notes_sync(*, actor, meeting: Meeting, notes) -> SyncResult:
    """Apply a batch of notes from a tablet: ``[{client_id, document, page, text, client_updated_at,
    deleted}]``. Idempotent by ``client_id``; for a note already on the server the later
    ``client_updated_at`` wins (equal times keep the server's). All or nothing: one bad note rejects the
    batch with a message naming it. Returns the delegate's notes of the meeting as the server now has them
    (deleted ones included, so that the tablet drops them)."""
    invitation = _require_invitation(actor, meeting, lock=True)
    if not isinstance(notes, list | tuple):
        raise ValidationError({"notes": [_("Send the notes as a list.")]}, code="invalid")
    if len(notes) > MAX_SYNC_BATCH:
        raise ValidationError(
            {"notes": [_("Send at most 500 notes at a time.")]},
            code="too_many",
        )
    now = timezone.now()
    documents = _meeting_documents(meeting)
    items: dict[uuid.UUID, _Item] = {}
    errors = []
    for index, raw in enumerate(notes):
        try:
            item = _parse_item(raw, documents, index, now)
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        previous = items.get(item.client_id)
        if previous is None or item.client_updated_at > previous.client_updated_at:
            items[item.client_id] = item
    if errors:
        raise ValidationError({"notes": errors}, code="invalid")

    result = SyncResult(invitation=invitation)
    existing = {
        n.client_id: n
        for n in PageNote.objects.select_for_update()
        .filter(invitation=invitation, client_id__in=list(items))
        .order_by("pk")
    }
    with audit.suppressed():
        for client_id, item in items.items():
            note = existing.get(client_id)
            if note is None:
                note = PageNote(invitation=invitation, client_id=client_id)
                _apply(note, item)
                note.save()
                result.created += 1
                continue
            if item.client_updated_at <= note.client_updated_at:
                result.unchanged += 1
                continue
            was_deleted = note.deleted
            _apply(note, item)
            note.save()
            if item.deleted and not was_deleted:
                result.deleted += 1
            else:
                result.updated += 1
    if result.created or result.updated or result.deleted:
        _record(invitation, actor, created=result.created, updated=result.updated, deleted=result.deleted)
    result.notes = list(PageNote.objects.filter(invitation=invitation).order_by("document_id", "page", "id"))
    return result
