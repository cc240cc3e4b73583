"""The agenda of a meeting, its documents, and comments on drafts (issue 6, point 2; domain.md §5).

* Agenda items are ordered (1, 2, …), with a presenter and a planned time.
* Each item carries documents **picked** from the incoming register (what the actor may see), the outgoing
  register, the library, or **uploaded** (PDF only). The PDF that goes into the packet is *copied* into a new
  private file (``AgendaDocument.file``): a picked document's own files keep the register's access rule, the
  copy follows the meeting's (``meetings.apps`` registers :func:`agenda_file_access`: the meeting's managers
  and invited delegates within the window; everyone else is vetoed).
* A classified document (domain.md §3) keeps no file: the packet lists it as "handled on paper".
* Every change of the documents asks the packet area for a new packet version
  (``meetings.services.packets.packet_request_build``, when present).
* Drafts under consultation (góp ý dự thảo) take comments from invited delegates until ``comments_until``;
  the drafter (and the meeting's managers) read them together and are told of each new one.
"""

from __future__ import annotations

import datetime
import importlib
import importlib.util
import io

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from documents.models import Confidentiality
from partyhub.files import read_bytes, split_extension, store_bytes, store_upload
from partyhub.notifications import notify

from ..models import AgendaDocument, AgendaItem, DraftComment, Meeting, MeetingStatus
from ..permissions import can_comment, can_manage_meeting, comments_open

__all__ = [
    "DOCUMENT_SOURCES",
    "agenda_document_add",
    "agenda_document_move",
    "agenda_document_remove",
    "agenda_document_update",
    "agenda_file_access",
    "agenda_item_add",
    "agenda_item_move",
    "agenda_item_remove",
    "agenda_item_update",
    "draft_comment_add",
    "draft_comment_delete",
    "draft_comment_update",
]

DOCUMENT_SOURCES = ("incoming", "outgoing", "publication", "upload", "paper")
ITEM_FIELDS = ("title", "presenter", "presenter_user", "planned_minutes", "description")
DOCUMENT_FIELDS = ("title", "is_draft", "comments_until", "drafter")
MAX_COMMENT = 5000
#: A packet-change reason is kept short (the packet area takes at most 300 characters).
REASON_LIMIT = 200


# --- helpers ---------------------------------------------------------------------------------------------------


def _lock_meeting(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update(of=("self",)).select_related("organization").get(pk=meeting.pk)


def _require(actor, meeting: Meeting) -> Meeting:
    meeting = _lock_meeting(meeting)
    if not can_manage_meeting(actor, meeting):
        raise PermissionDenied
    if meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError(_("This meeting was cancelled; it can no longer be changed."), code="cancelled")
    if meeting.status == MeetingStatus.CLOSED:
        raise ValidationError(_("This meeting is closed; it can no longer be changed."), code="closed")
    return meeting


def request_packet(meeting: Meeting, actor, reason: str) -> None:
    """Ask the packet area for a new packet version (skipped quietly while that area is not installed)."""
    name = "meetings.services.packets"
    if importlib.util.find_spec(name) is None:
        return
    build = getattr(importlib.import_module(name), "packet_request_build", None)
    if build is None:
        return
    reason = " ".join(str(reason).split())
    if len(reason) > REASON_LIMIT:
        reason = reason[: REASON_LIMIT - 1] + "…"
    build(meeting=meeting, actor=actor, reason=reason)


def _reason(message, title: str) -> str:
    """A packet-change reason, written in the documents' language (Vietnamese) like the packet itself."""
    from django.conf import settings
    from django.utils import translation

    with translation.override(getattr(settings, "PARTYHUB_DOCUMENT_LANGUAGE", "vi")):
        return str(format_lazy(message, title=title))


def _text(value, field: str, limit: int, *, required_message=None) -> str:
    text = (value or "").strip()
    if required_message is not None and not text:
        raise ValidationError({field: [required_message]})
    if len(text) > limit:
        raise ValidationError({field: [format_lazy(_("Keep it under {limit} characters."), limit=limit)]})
    return text


def _renumber_items(meeting: Meeting, ordered: list[AgendaItem]) -> None:
    for index, item in enumerate(ordered, start=1):
        if item.order != index:
            item.order = index
            item.save(update_fields=["order"])


def _renumber_documents(ordered: list[AgendaDocument]) -> None:
    for index, doc in enumerate(ordered, start=1):
        if doc.order != index:
            doc.order = index
            doc.save(update_fields=["order", "updated_at"])


def _clean_item(values: dict) -> dict:
    cleaned = dict(values)
    if "title" in cleaned:
        cleaned["title"] = _text(cleaned["title"], "title", 500, required_message=_("Give the agenda item a title."))
    if "presenter" in cleaned:
        cleaned["presenter"] = _text(cleaned["presenter"], "presenter", 150)
    if "description" in cleaned:
        cleaned["description"] = _text(cleaned["description"], "description", 5000)
    if "planned_minutes" in cleaned:
        minutes = cleaned["planned_minutes"]
        if minutes in ("", None):
            cleaned["planned_minutes"] = None
        else:
            try:
                minutes = int(minutes)
            except (TypeError, ValueError):
                minutes = -1
            if minutes < 1 or minutes > 600:
                raise ValidationError({"planned_minutes": [_("Enter the planned time in minutes (1 to 600).")]})
            cleaned["planned_minutes"] = minutes
    if "presenter_user" in cleaned and cleaned["presenter_user"] is not None:
        user = cleaned["presenter_user"]
        if not user.is_active:
            raise ValidationError({"presenter_user": [_("This user account is not active.")]})
        if not cleaned.get("presenter"):
            cleaned["presenter"] = user.get_full_name()
    return cleaned


# --- agenda items ----------------------------------------------------------------------------------------------


@transaction.atomic
def agenda_item_add(
    *,
    actor,
    meeting: Meeting,
    title: str,
    presenter: str = "",
    presenter_user=None,
    planned_minutes: int | None = None,
    description: str = "",
) -> AgendaItem:
    """Add an item at the end of the agenda."""
    meeting = _require(actor, meeting)
    values = _clean_item(
        {
            "title": title,
            "presenter": presenter,
            "presenter_user": presenter_user,
            "planned_minutes": planned_minutes,
            "description": description,
        }
    )
    order = (AgendaItem.objects.filter(meeting=meeting).aggregate(top=Max("order"))["top"] or 0) + 1
    item = AgendaItem.objects.create(meeting=meeting, order=order, **values)
    request_packet(meeting, actor, _reason(_("Agenda item added: {title}"), item.title))
    return item


@transaction.atomic
def agenda_item_update(*, actor, item: AgendaItem, **changes) -> AgendaItem:
    unknown = set(changes) - set(ITEM_FIELDS)
    if unknown:
        raise TypeError(f"Unknown agenda item fields: {', '.join(sorted(unknown))}")
    meeting = _require(actor, item.meeting)
    item = AgendaItem.objects.select_for_update().get(pk=item.pk, meeting=meeting)
    cleaned = _clean_item(changes)
    dirty = [name for name, value in cleaned.items() if getattr(item, name) != value]
    if not dirty:
        return item
    for name in dirty:
        setattr(item, name, cleaned[name])
    item.save()
    if set(dirty) & {"title", "presenter", "presenter_user", "planned_minutes"}:
        request_packet(meeting, actor, _reason(_("Agenda item changed: {title}"), item.title))
    return item


@transaction.atomic
def agenda_item_move(*, actor, item: AgendaItem, position: int | None = None, direction: str = "") -> AgendaItem:
    """Move an item to ``position`` (1-based) or one place ``"up"``/``"down"``; the agenda is renumbered."""
    meeting = _require(actor, item.meeting)
    items = list(AgendaItem.objects.select_for_update().filter(meeting=meeting).order_by("order", "id"))
    current = next((i for i in items if i.pk == item.pk), None)
    if current is None:
        raise PermissionDenied
    index = items.index(current)
    if direction == "up":
        target = index - 1
    elif direction == "down":
        target = index + 1
    elif position is not None:
        try:
            target = int(position) - 1
        except (TypeError, ValueError):
            target = -1
        if target < 0 or target >= len(items):
            raise ValidationError({"position": [_("Choose a position on the agenda.")]})
    else:
        raise ValidationError({"position": [_("Choose a position on the agenda.")]})
    target = max(0, min(target, len(items) - 1))
    if target == index:
        return current
    items.pop(index)
    items.insert(target, current)
    _renumber_items(meeting, items)
    request_packet(meeting, actor, _reason(_("Agenda reordered: {title}"), current.title))
    return current


@transaction.atomic
def agenda_item_remove(*, actor, item: AgendaItem) -> None:
    """Remove an item (and its documents, their comments and notes); the agenda is renumbered."""
    meeting = _require(actor, item.meeting)
    item = AgendaItem.objects.select_for_update().get(pk=item.pk, meeting=meeting)
    title = item.title
    item.delete()
    _renumber_items(meeting, list(AgendaItem.objects.filter(meeting=meeting).order_by("order", "id")))
    request_packet(meeting, actor, _reason(_("Agenda item removed: {title}"), title))


# --- agenda documents ------------------------------------------------------------------------------------------


def _pdf_page_count(data: bytes) -> int:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ValueError("encrypted")
        return len(reader.pages)
    except Exception:
        raise ValidationError({"file": [_("The PDF could not be read (damaged or password-protected).")]}) from None


def _store_pdf(upload, *, actor):
    """Store an uploaded PDF (the file rules of ``partyhub.files``), its refusal keyed by the upload field."""
    try:
        return store_upload(upload, actor=actor, kinds={"pdf"})
    except ValidationError as exc:
        raise ValidationError({"upload": exc.messages}, code=getattr(exc, "code", None)) from None


def _read(stored_file) -> bytes:
    return read_bytes(stored_file)


def _copy_pdf(stored_file, *, actor, name: str):
    """A new private file with the same bytes (the meeting's own copy) and its page count."""
    data = _read(stored_file)
    pages = _pdf_page_count(data)
    stem, _ext = split_extension(name or stored_file.original_name)
    return store_bytes(data, name=f"{stem[:150] or 'document'}.pdf", content_type="application/pdf", actor=actor), pages


def _incoming_pdf(document):
    """The searchable copy of an incoming document, else its PDF original (``None``: no PDF)."""
    from documents.models import DocumentFile, FileRole

    files = list(
        DocumentFile.objects.filter(
            incoming=document, role__in=[FileRole.SEARCHABLE, FileRole.ORIGINAL, FileRole.RENDITION]
        )
        .select_related("stored_file")
        .order_by("order", "id")
    )
    for role in (FileRole.SEARCHABLE, FileRole.RENDITION, FileRole.ORIGINAL):
        for document_file in files:
            if document_file.role == role and document_file.stored_file.content_type == "application/pdf":
                return document_file.stored_file
    return None


def _outgoing_pdf(document):
    return document.issued_file or document.signed_file or document.final_file


def _visible(selector_path: str, actor):
    module_name, _sep, function = selector_path.rpartition(".")
    if importlib.util.find_spec(module_name) is None:
        return None
    selector = getattr(importlib.import_module(module_name), function, None)
    return selector(actor) if selector is not None else None


def _pick(source: str, *, actor, incoming=None, outgoing=None, publication=None):
    """The picked document (checked through its app's selector), its PDF, title and classification."""
    unknown = ValidationError({source: [_("Unknown document.")]}, code="unknown_document")
    if source == "incoming":
        from documents.selectors import incoming_visible_to

        pk = getattr(incoming, "pk", incoming)
        document = incoming_visible_to(actor).filter(pk=pk).first() if pk else None
        if document is None:
            raise unknown
        title = " — ".join(x for x in (document.number_symbol, (document.summary or "")[:300]) if x)
        return document, _incoming_pdf(document), title or str(document), document.confidentiality or ""
    if source == "outgoing":
        visible = _visible("documents.selectors.outgoing_visible_to", actor)
        pk = getattr(outgoing, "pk", outgoing)
        document = visible.filter(pk=pk).first() if (visible is not None and pk) else None
        if document is None:
            raise unknown
        title = " — ".join(x for x in (document.number_symbol, (document.summary or "")[:300]) if x)
        return document, _outgoing_pdf(document), title or str(document), document.confidentiality or ""
    if source == "publication":
        visible = _visible("documents.library.publications_visible_to", actor)
        pk = getattr(publication, "pk", publication)
        item = visible.filter(pk=pk).first() if (visible is not None and pk) else None
        if item is None or item.withdrawn_at is not None:
            raise unknown
        document = item.document
        title = item.title or " — ".join(x for x in (document.number_symbol, (document.summary or "")[:300]) if x)
        return item, _outgoing_pdf(document), title, document.confidentiality or ""
    raise ValidationError({"source": [_("Choose where the document comes from.")]})


def _clean_draft(is_draft: bool, comments_until, drafter, *, actor, now=None) -> tuple[bool, object, object]:
    if not is_draft:
        return False, None, None
    now = now or timezone.now()
    if comments_until is not None and comments_until <= now:
        raise ValidationError({"comments_until": [_("The deadline for comments must be in the future.")]})
    drafter = drafter or actor
    if not drafter.is_active:
        raise ValidationError({"drafter": [_("This user account is not active.")]})
    return True, comments_until, drafter


@transaction.atomic
def agenda_document_add(
    *,
    actor,
    item: AgendaItem,
    source: str,
    incoming=None,
    outgoing=None,
    publication=None,
    upload=None,
    title: str = "",
    confidentiality: str = "",
    is_draft: bool = False,
    comments_until: datetime.datetime | None = None,
    drafter=None,
) -> AgendaDocument:
    """Put a document on an agenda item: picked (``incoming``/``outgoing``/``publication``), uploaded
    (``upload``: a PDF), or a classified paper-only entry (``paper``: a title and a level, no file)."""
    meeting = _require(actor, item.meeting)
    item = AgendaItem.objects.get(pk=item.pk, meeting=meeting)
    if source not in DOCUMENT_SOURCES:
        raise ValidationError({"source": [_("Choose where the document comes from.")]})
    title = _text(title, "title", 500)
    is_draft, comments_until, drafter = _clean_draft(is_draft, comments_until, drafter, actor=actor)
    links = {"incoming": None, "outgoing": None, "publication": None}
    stored = None
    pages = None
    if source in ("incoming", "outgoing", "publication"):
        picked, pdf, picked_title, level = _pick(
            source, actor=actor, incoming=incoming, outgoing=outgoing, publication=publication
        )
        links[source] = picked
        title = title or picked_title[:500]
        confidentiality = level
        if not level:
            if pdf is None:
                raise ValidationError({source: [_("This document has no PDF file to put in the packet.")]})
            stored, pages = _copy_pdf(pdf, actor=actor, name=title)
    else:
        confidentiality = confidentiality or ""
        if confidentiality not in Confidentiality.values:
            raise ValidationError({"confidentiality": [_("Choose a classification level.")]})
        if source == "paper" and not confidentiality:
            raise ValidationError(
                {"confidentiality": [_("Only classified documents are handled on paper; upload the PDF instead.")]}
            )
        if confidentiality:
            if upload is not None:
                raise ValidationError(
                    {"upload": [_("Classified documents are handled on paper: their files are not kept.")]}
                )
            if not title:
                raise ValidationError({"title": [_("Give the document a title.")]})
        else:
            if upload is None:
                raise ValidationError({"upload": [_("Choose the PDF file to upload.")]})
            stored = _store_pdf(upload, actor=actor)
            pages = _pdf_page_count(_read(stored))
            if not title:
                title = split_extension(stored.original_name)[0][:500] or gettext("Document")
    if confidentiality and not _cleared(actor, confidentiality):
        raise ValidationError({"confidentiality": [_("You are not cleared for this classification level.")]})
    order = (AgendaDocument.objects.filter(item=item).aggregate(top=Max("order"))["top"] or 0) + 1
    document = AgendaDocument.objects.create(
        item=item,
        order=order,
        title=title,
        file=stored,
        confidentiality=confidentiality,
        page_count=pages,
        is_draft=is_draft,
        comments_until=comments_until,
        drafter=drafter,
        added_by=actor,
        **links,
    )
    request_packet(meeting, actor, _reason(_("Document added: {title}"), document.title))
    return document


def _cleared(actor, level: str) -> bool:
    from documents.permissions import cleared_for

    return cleared_for(actor, level)


@transaction.atomic
def agenda_document_update(*, actor, document: AgendaDocument, upload=None, **changes) -> AgendaDocument:
    """Change a document's title or draft settings, or replace an uploaded PDF by a new one (a new version of
    a draft: the packet is rebuilt and delegates are told)."""
    unknown = set(changes) - set(DOCUMENT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown agenda document fields: {', '.join(sorted(unknown))}")
    meeting = _require(actor, document.item.meeting)
    document = AgendaDocument.objects.select_for_update().get(pk=document.pk, item__meeting=meeting)
    if "title" in changes:
        changes["title"] = _text(changes["title"], "title", 500, required_message=_("Give the document a title."))
    if {"is_draft", "comments_until", "drafter"} & set(changes):
        is_draft = changes.get("is_draft", document.is_draft)
        until = changes.get("comments_until", document.comments_until)
        drafter = changes.get("drafter", document.drafter)
        if until != document.comments_until or is_draft != document.is_draft:
            is_draft, until, drafter = _clean_draft(is_draft, until, drafter, actor=actor)
        else:
            is_draft, until, drafter = (is_draft, until, drafter if is_draft else None)
        changes.update(is_draft=is_draft, comments_until=until, drafter=drafter)
    dirty = [name for name, value in changes.items() if getattr(document, name) != value]
    for name in dirty:
        setattr(document, name, changes[name])
    replaced = False
    if upload is not None:
        if document.confidentiality:
            raise ValidationError(
                {"upload": [_("Classified documents are handled on paper: their files are not kept.")]}
            )
        stored = _store_pdf(upload, actor=actor)
        document.page_count = _pdf_page_count(_read(stored))
        document.file = stored
        replaced = True
    if dirty or replaced:
        document.save()
    if replaced:
        request_packet(meeting, actor, _reason(_("Document replaced by a new version: {title}"), document.title))
    elif "title" in dirty:
        request_packet(meeting, actor, _reason(_("Document renamed: {title}"), document.title))
    return document


@transaction.atomic
def agenda_document_move(*, actor, document: AgendaDocument, direction: str) -> AgendaDocument:
    """Move a document one place up or down within its item."""
    meeting = _require(actor, document.item.meeting)
    docs = list(AgendaDocument.objects.select_for_update().filter(item_id=document.item_id).order_by("order", "id"))
    current = next((d for d in docs if d.pk == document.pk), None)
    if current is None or direction not in ("up", "down"):
        raise ValidationError({"direction": [_("Choose up or down.")]})
    index = docs.index(current)
    target = index - 1 if direction == "up" else index + 1
    if target < 0 or target >= len(docs):
        return current
    docs.pop(index)
    docs.insert(target, current)
    _renumber_documents(docs)
    request_packet(meeting, actor, _reason(_("Documents reordered: {title}"), current.title))
    return current


@transaction.atomic
def agenda_document_remove(*, actor, document: AgendaDocument) -> None:
    """Take a document off the agenda (its comments and delegates' notes on it go too)."""
    meeting = _require(actor, document.item.meeting)
    document = AgendaDocument.objects.select_for_update().get(pk=document.pk, item__meeting=meeting)
    title, item_id = document.title, document.item_id
    document.delete()
    _renumber_documents(list(AgendaDocument.objects.filter(item_id=item_id).order_by("order", "id")))
    request_packet(meeting, actor, _reason(_("Document removed: {title}"), title))


# --- the file access rule --------------------------------------------------------------------------------------


def agenda_file_access(user, stored_file) -> bool | None:
    """``partyhub.files`` access check: the PDF of an agenda document is downloadable by whoever may open the
    meeting's folder (managers; invited delegates within the window, cleared for the level) and its drafter;
    everybody else is vetoed. Files of no agenda document are not our business (``None``)."""
    from ..permissions import can_download_agenda_file

    document = (
        AgendaDocument.objects.select_related("item__meeting").filter(file_id=stored_file.pk).order_by("-id").first()
    )
    if document is None:
        return None
    return can_download_agenda_file(user, document)


# --- comments on drafts ----------------------------------------------------------------------------------------


def _comment_text(text) -> str:
    return _text(text, "text", MAX_COMMENT, required_message=_("Write your comment."))


def _closed_message(document: AgendaDocument):
    when = formats.date_format(timezone.localtime(document.comments_until), "DATETIME_FORMAT")
    return format_lazy(_("Comments on this draft closed at {when}."), when=when)


def _page(page, document: AgendaDocument):
    if page in (None, ""):
        return None
    try:
        page = int(page)
    except (TypeError, ValueError):
        page = 0
    if page < 1 or (document.page_count and page > document.page_count):
        raise ValidationError({"page": [_("Enter a page number of the draft.")]})
    return page


@transaction.atomic
def draft_comment_add(*, actor, document: AgendaDocument, text: str, page=None) -> DraftComment:
    """A delegate's comment on a draft under consultation; refused after ``comments_until``. The drafter is
    told (they read all comments together on the draft's comments page)."""
    document = AgendaDocument.objects.select_related("item__meeting", "drafter").get(pk=document.pk)
    if not can_comment(actor, document):
        raise PermissionDenied
    now = timezone.now()
    if not comments_open(document, now):
        raise ValidationError({"text": [_closed_message(document)]}, code="closed")
    comment = DraftComment.objects.create(
        document=document, author=actor, text=_comment_text(text), page=_page(page, document)
    )
    if document.drafter_id is not None:
        meeting = document.item.meeting
        notify(
            recipients=[document.drafter],
            title=format_lazy(_("New comment on the draft: {title}"), title=document.title[:120]),
            body=format_lazy(_("{author} commented on the draft."), author=actor.get_full_name()),
            url=reverse("meetings:draft_comments", args=[meeting.pk, document.pk]),
            kind="meeting_draft_comment",
            actor=actor,
        )
    return comment


def _own_comment(actor, comment: DraftComment) -> DraftComment:
    comment = (
        DraftComment.objects.select_for_update(of=("self",))
        .select_related("document__item__meeting")
        .get(pk=comment.pk)
    )
    if comment.author_id != actor.pk or not can_comment(actor, comment.document):
        raise PermissionDenied
    if not comments_open(comment.document):
        raise ValidationError({"text": [_closed_message(comment.document)]}, code="closed")
    return comment


@transaction.atomic
def draft_comment_update(*, actor, comment: DraftComment, text: str, page=None) -> DraftComment:
    """The author changes their comment (until the deadline)."""
    comment = _own_comment(actor, comment)
    comment.text = _comment_text(text)
    comment.page = _page(page, comment.document)
    comment.save()
    return comment


@transaction.atomic
def draft_comment_delete(*, actor, comment: DraftComment) -> None:
    """The author withdraws their comment (until the deadline)."""
    comment = _own_comment(actor, comment)
    comment.delete()
