"""The meeting packet as PDF (issue 6, point 3): compiling the master and stamping each delegate's copy.

Compiling (``compile_packet``)
------------------------------
The master is, in this order: a cover, the agenda, a table of contents, then every document of every agenda item
(items by ``order``, documents by ``order``). A classified document (domain.md §3: PartyHub keeps no file for it)
is one "handled on paper" sheet in its place and is listed in the contents like the others.

The front matter (cover, agenda, contents) and the paper sheets are HTML rendered by WeasyPrint through
``partyhub.pdf`` — the one HTML→PDF module — in the document language (Vietnamese). The contents need page
numbers that depend on how many pages the front matter itself takes, so it is rendered twice: first with
placeholder numbers of the right width to count its pages, then with the real numbers; if the count changed
(it cannot with the fixed-width number column, but a long contents could in theory move a line), again until
it is stable. The documents are copied page by page with pikepdf (qpdf), never re-rendered.

Page numbers ("Trang x/y", bottom centre) are stamped on every page of the master: per page a tiny Form XObject
drawing the text in the standard Times-Roman font (the digits and "Trang" need no embedded font), placed with
qpdf's ``placeFormXObject`` so it stands upright at the bottom of the *visible* page whatever the page's size,
offset or ``/Rotate``. The original content streams are not touched: the page's ``/Contents`` becomes
``[q, original streams…, Q + placement]``.

Delegates' copies (``render_watermarks`` + ``stamp_copy``)
----------------------------------------------------------
A copy is the master with "<name> — Bản số <n> — <date>" on every page. The stamp is rendered ONCE per delegate
by WeasyPrint (one small A4 page: a line at the top, extractable, and the same text large, light and diagonal
across the page; Liberation Serif, so Vietnamese diacritics are exact) — several delegates' stamps in one
WeasyPrint call when copies are made together. That page becomes ONE Form XObject in the copy, referenced by
every page (same object, same resource name ``/PHWatermark``); the per-page work is swapping the ``/Contents``
array, so a copy of a 300-page packet takes a fraction of a second and the master is never re-rendered.
"""

from __future__ import annotations

import contextlib
import io
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from pikepdf import Array, Dictionary, Name, Rectangle

from partyhub import pdf as pdf_rendering
from partyhub.files import private_storage

from .models import AgendaDocument, AgendaItem, Meeting, Packet, PacketStatus

logger = logging.getLogger(__name__)

FRONT_TEMPLATE = "meetings/pdf/packet_front.html"
WATERMARK_TEMPLATE = "meetings/pdf/watermarks.html"
#: How often the front matter may be re-rendered until its page count is stable.
MAX_FRONT_PASSES = 4
PAGE_NUMBER_FONT_SIZE = 10
#: Baseline of the page number above the bottom edge of the visible page (≈ 8 mm).
PAGE_NUMBER_BASELINE = 22.0
PAGE_NUMBER_XOBJECT = Name("/PHPageNumber")
PAGE_NUMBER_FONT = Name("/PHTimes")
WATERMARK_XOBJECT = Name("/PHWatermark")

#: Advance widths (1/1000 em) of Times-Roman for the characters of "Trang 12/345" (Adobe's AFM); others 500.
_TIMES_WIDTHS = {" ": 250, "/": 278, "T": 611, "P": 556, "r": 333, "a": 444, "n": 500, "g": 500, "e": 444}


class PacketError(Exception):
    """The packet cannot be compiled. ``text(language)`` is the message for the office."""

    def __init__(self, message, **params):
        super().__init__(str(message) % params if params else str(message))
        self.message = message
        self.params = params

    def text(self, language: str | None = None) -> str:
        with translation.override(language or settings.LANGUAGE_CODE):
            message = str(self.message)
            return message % self.params if self.params else message


def document_language() -> str:
    return settings.PARTYHUB_DOCUMENT_LANGUAGE


# --- What goes into the packet ------------------------------------------------------------------------------


@dataclass
class PlannedDocument:
    id: int
    title: str
    on_paper: bool
    confidentiality: str
    confidentiality_label: str
    file: object | None  # StoredFile
    item_id: int
    item_order: int
    item_title: str
    # Filled while compiling:
    pages: int = 0
    first_page: int = 0
    sha256: str = ""


@dataclass
class PlannedItem:
    id: int
    order: int
    title: str
    presenter: str
    planned_minutes: int | None
    documents: list[PlannedDocument] = field(default_factory=list)


def packet_plan(meeting: Meeting) -> list[PlannedItem]:
    """The agenda items in order with their documents in order (two queries)."""
    items = list(AgendaItem.objects.filter(meeting=meeting).select_related("presenter_user").order_by("order", "id"))
    documents = (
        AgendaDocument.objects.filter(item__meeting=meeting)
        .select_related("file")
        .order_by("item__order", "item_id", "order", "id")
    )
    by_item: dict[int, list[AgendaDocument]] = {}
    for document in documents:
        by_item.setdefault(document.item_id, []).append(document)
    plan = []
    for item in items:
        planned = PlannedItem(
            id=item.pk,
            order=item.order,
            title=item.title,
            presenter=item.presenter or (item.presenter_user.get_full_name() if item.presenter_user_id else ""),
            planned_minutes=item.planned_minutes,
        )
        for document in by_item.get(item.pk, []):
            on_paper = bool(document.confidentiality)
            planned.documents.append(
                PlannedDocument(
                    id=document.pk,
                    title=document.title,
                    on_paper=on_paper,
                    confidentiality=document.confidentiality,
                    confidentiality_label=document.get_confidentiality_display() if on_paper else "",
                    file=None if on_paper else document.file,
                    item_id=item.pk,
                    item_order=item.order,
                    item_title=item.title,
                    sha256="" if on_paper or document.file is None else document.file.sha256,
                )
            )
        plan.append(planned)
    return plan


def plan_documents(plan: list[PlannedItem]) -> list[PlannedDocument]:
    return [document for item in plan for document in item.documents]


def _fingerprint(meeting: Meeting, plan: list[PlannedItem]) -> dict:
    return {
        "meeting": [
            meeting.organization_id,
            meeting.kind,
            meeting.title,
            meeting.starts_at.isoformat() if meeting.starts_at else "",
            meeting.ends_at.isoformat() if meeting.ends_at else "",
            meeting.place,
            meeting.chair_id,
        ],
        "items": [[i.id, i.order, i.title, i.presenter, i.planned_minutes] for i in plan],
        "documents": plan_fingerprint(plan),
    }


def source_fingerprint(meeting: Meeting) -> dict:
    """Everything a compiled packet shows (cover facts, agenda, documents and their files), to tell whether it
    changed while a version was being compiled."""
    return _fingerprint(meeting, packet_plan(meeting))


def plan_fingerprint(plan: list[PlannedItem]) -> list[dict]:
    """What a compiled packet depends on, per document (compared with a packet's contents to tell whether the
    documents changed since)."""
    return [
        {"agenda_document": d.id, "title": d.title, "on_paper": d.on_paper, "sha256": d.sha256}
        for d in plan_documents(plan)
    ]


# --- Opening the documents -----------------------------------------------------------------------------------


def _copy_to_disk(stored_file, target: Path) -> None:
    with private_storage().open(stored_file.storage_name, "rb") as source, target.open("wb") as out:
        shutil.copyfileobj(source, out, 1024 * 1024)


def open_document(document: PlannedDocument, workdir: Path, stack: contextlib.ExitStack) -> pikepdf.Pdf:
    """The document's PDF, opened with pikepdf and checked; ``PacketError`` with a message naming the document
    when it has no file, is not a PDF, cannot be read, needs a password or has no pages."""
    stored = document.file
    title = document.title
    if stored is None:
        raise PacketError(
            _("“%(title)s” has no PDF file. Attach the file, or mark the document as classified (handled on paper)."),
            title=title,
        )
    if stored.content_type != "application/pdf":
        raise PacketError(_("“%(title)s” is not a PDF file. Attach a PDF copy of it."), title=title)
    path = workdir / f"document-{document.id}.pdf"
    try:
        _copy_to_disk(stored, path)
    except OSError as exc:
        logger.warning("Packet: the file of agenda document %s cannot be read: %s", document.id, exc)
        raise PacketError(_("The file of “%(title)s” is missing from the storage."), title=title) from exc
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError as exc:
        raise PacketError(
            _("“%(title)s” is protected by a password. Attach a copy without a password."), title=title
        ) from exc
    except (pikepdf.PdfError, ValueError, OSError) as exc:
        raise PacketError(_("“%(title)s” is damaged: it cannot be read as a PDF."), title=title) from exc
    stack.callback(pdf.close)
    try:
        pages = len(pdf.pages)
        for page in pdf.pages:  # every page's content must decode: a broken stream fails here, not on a tablet
            contents = page.obj.get("/Contents")
            if contents is None:
                continue
            streams = list(contents) if isinstance(contents, Array) else [contents]
            for stream in streams:
                stream.read_bytes()
    except (pikepdf.PdfError, ValueError, TypeError, AttributeError) as exc:
        raise PacketError(_("“%(title)s” is damaged: it cannot be read as a PDF."), title=title) from exc
    if pages == 0:
        raise PacketError(_("“%(title)s” has no pages."), title=title)
    document.pages = pages
    return pdf


# --- Front matter -------------------------------------------------------------------------------------------


def _organization_header(meeting: Meeting) -> dict:
    organization = meeting.organization
    parent = organization.parent
    return {
        "superior_body": parent.name if parent is not None else "",
        "issuing_body": organization.name,
        "place_name": organization.place_name or (parent.place_name if parent is not None else ""),
    }


def front_context(
    meeting: Meeting, plan: list[PlannedItem], *, version: int | None, numbers: bool, digits: int, agenda_page: int = 2
) -> dict:
    """Context of the front-matter template. ``numbers`` False: placeholders of ``digits`` zeros (pass one)."""

    def number(value: int) -> str:
        return str(value) if numbers else "0" * digits

    toc = [{"kind": "section", "title": gettext("Agenda"), "page": number(agenda_page)}]
    for item in plan:
        toc.append({"kind": "item", "order": item.order, "title": item.title, "page": ""})
        for document in item.documents:
            toc.append(
                {
                    "kind": "document",
                    "title": document.title,
                    "on_paper": document.on_paper,
                    "page": number(document.first_page),
                }
            )
    starts = timezone.localtime(meeting.starts_at)
    ends = timezone.localtime(meeting.ends_at) if meeting.ends_at else None
    return {
        "meeting": meeting,
        "header": _organization_header(meeting),
        "kind": meeting.get_kind_display(),
        "starts": starts,
        "ends": ends,
        "chair": meeting.chair.get_full_name() if meeting.chair_id else "",
        "version": version,
        "compiled_at": timezone.localtime(),
        "items": plan,
        "toc": toc,
        "sheets": [d for d in plan_documents(plan) if d.on_paper],
    }


def render_front(context: dict) -> bytes:
    return pdf_rendering.render_pdf(FRONT_TEMPLATE, context, language=document_language())


# --- Page numbers -------------------------------------------------------------------------------------------


def _visible_box(page: pikepdf.Page) -> Rectangle:
    return Rectangle(page.cropbox)


def _rotation(page: pikepdf.Page) -> int:
    try:
        return int(page.obj.get("/Rotate", 0)) % 360
    except (TypeError, ValueError):
        return 0


def _visible_size(page: pikepdf.Page) -> tuple[float, float]:
    box = _visible_box(page)
    width, height = float(box.width), float(box.height)
    return (height, width) if _rotation(page) in (90, 270) else (width, height)


def _text_width(text: str, size: float) -> float:
    return sum(_TIMES_WIDTHS.get(ch, 500) for ch in text) * size / 1000


def _pdf_string(text: str) -> bytes:
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"(" + escaped.encode("cp1252", "replace") + b")"


def page_number_text(page: int, pages: int) -> str:
    with translation.override(document_language()):
        text = gettext("Page %(page)s/%(pages)s") % {"page": page, "pages": pages}
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:  # the standard font has no glyph for it: numbers only
        text = f"{page}/{pages}"
    return text


def _own_resources(pdf: pikepdf.Pdf, page: pikepdf.Page) -> Dictionary:
    """Give the page its own /Resources and /XObject dictionaries (shallow copies): several pages of one source
    often share them, and each page gets its own page-number XObject under the same name."""
    old = page.obj.get("/Resources")
    resources = Dictionary(dict(old.items())) if old is not None else Dictionary()
    xobjects = resources.get("/XObject")
    resources.XObject = Dictionary(dict(xobjects.items())) if xobjects is not None else Dictionary()
    page.obj.Resources = resources
    return resources


def _wrap_contents(pdf: pikepdf.Pdf, page: pikepdf.Page, head: pikepdf.Object, tail: pikepdf.Object) -> None:
    contents = page.obj.get("/Contents")
    if contents is None:
        streams = []
    elif isinstance(contents, Array):
        streams = list(contents)
    else:
        streams = [contents]
    page.obj.Contents = Array([head, *streams, tail])


def stamp_page_numbers(pdf: pikepdf.Pdf) -> None:
    """Stamp "Trang x/y" at the bottom centre of every page (see the module docstring)."""
    total = len(pdf.pages)
    font = pdf.make_indirect(
        Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name("/Times-Roman"), Encoding=Name.WinAnsiEncoding)
    )
    head = pdf.make_stream(b"q\n")
    for index, page in enumerate(pdf.pages, start=1):
        width, height = _visible_size(page)
        text = page_number_text(index, total)
        x = (width - _text_width(text, PAGE_NUMBER_FONT_SIZE)) / 2
        drawing = b"BT /PHTimes %d Tf %.2f %.2f Td %s Tj ET" % (
            PAGE_NUMBER_FONT_SIZE,
            x,
            PAGE_NUMBER_BASELINE,
            _pdf_string(text),
        )
        form = pdf.make_stream(
            drawing,
            Type=Name.XObject,
            Subtype=Name.Form,
            BBox=Array([0, 0, width, height]),
            Resources=Dictionary(Font=Dictionary({str(PAGE_NUMBER_FONT): font})),
        )
        resources = _own_resources(pdf, page)
        resources.XObject[PAGE_NUMBER_XOBJECT] = form
        placement = page.calc_form_xobject_placement(
            form, PAGE_NUMBER_XOBJECT, _visible_box(page), invert_transformations=True, allow_expand=True
        )
        _wrap_contents(pdf, page, head, pdf.make_stream(b"\nQ\n" + placement + b"\n"))


# --- Compiling ----------------------------------------------------------------------------------------------


@dataclass
class CompiledPacket:
    meeting_id: int
    fingerprint: dict
    path: Path
    page_count: int
    front_pages: int
    contents: list[dict]
    renders: int  # WeasyPrint calls


def _paper_sheet_pages(front: pikepdf.Pdf, sheets: int) -> int:
    front_pages = len(front.pages) - sheets
    if front_pages < 3:  # cover, agenda, contents at least
        raise PacketError(_("The cover, agenda and contents could not be laid out."))
    return front_pages


def _assign_pages(documents: list[PlannedDocument], front_pages: int) -> int:
    cursor = front_pages + 1
    for document in documents:
        document.first_page = cursor
        cursor += document.pages
    return cursor - 1


def compile_packet(meeting: Meeting, *, workdir: Path, version: int | None = None) -> CompiledPacket:
    """Compile the master PDF into ``workdir/packet.pdf``. Raises ``PacketError`` (message for the office)."""
    plan = packet_plan(meeting)
    fingerprint = _fingerprint(meeting, plan)
    if not plan:
        raise PacketError(_("The meeting has no agenda yet: add the agenda items first."))
    documents = plan_documents(plan)
    sheets = [d for d in documents if d.on_paper]
    renders = 0
    with contextlib.ExitStack() as stack:
        sources: dict[int, pikepdf.Pdf] = {}
        for document in documents:
            if document.on_paper:
                document.pages = 1
            else:
                sources[document.id] = open_document(document, workdir, stack)

        # Pass one: placeholders as wide as the final numbers, to count the front matter's pages.
        body_pages = sum(d.pages for d in documents)
        digits = len(str(body_pages + 10))
        context = front_context(meeting, plan, version=version, numbers=False, digits=digits)
        try:
            front_bytes = render_front(context)
            renders += 1
            front = stack.enter_context(pikepdf.open(io.BytesIO(front_bytes)))
            front_pages = _paper_sheet_pages(front, len(sheets))
            for _pass in range(MAX_FRONT_PASSES):
                total = _assign_pages(documents, front_pages)
                digits = max(digits, len(str(total)))
                context = front_context(meeting, plan, version=version, numbers=True, digits=digits)
                front_bytes = render_front(context)
                renders += 1
                front = stack.enter_context(pikepdf.open(io.BytesIO(front_bytes)))
                counted = _paper_sheet_pages(front, len(sheets))
                if counted == front_pages:
                    break
                front_pages = counted
            else:
                raise PacketError(_("The table of contents could not be laid out (its length kept changing)."))
        except pdf_rendering.PdfRenderTimeout as exc:
            raise PacketError(_("Rendering the cover and contents took too long and was stopped.")) from exc
        except pdf_rendering.PdfRenderError as exc:
            logger.exception("Packet front matter of meeting %s could not be rendered", meeting.pk)
            raise PacketError(_("The cover and contents could not be rendered.")) from exc

        master = stack.enter_context(pikepdf.new())
        master.pages.extend(front.pages[:front_pages])
        sheet_pages = iter(range(front_pages, front_pages + len(sheets)))
        for document in documents:
            if document.on_paper:
                master.pages.append(front.pages[next(sheet_pages)])
            else:
                master.pages.extend(sources[document.id].pages)
        if len(master.pages) != total:
            raise PacketError(_("The packet could not be assembled (page count mismatch)."))
        stamp_page_numbers(master)
        _add_outline(master, plan, front_pages)
        with translation.override(document_language()):
            master.docinfo[Name.Title] = f"{gettext('Meeting documents')}: {meeting.title}"
        master.docinfo[Name.Producer] = "PartyHub"
        target = workdir / "packet.pdf"
        master.save(target, object_stream_mode=pikepdf.ObjectStreamMode.generate)

    contents = [
        {
            "agenda_document": d.id,
            "title": d.title,
            "item": d.item_id,
            "item_order": d.item_order,
            "item_title": d.item_title,
            "first_page": d.first_page,
            "pages": d.pages,
            "on_paper": d.on_paper,
            "sha256": d.sha256,
        }
        for d in documents
    ]
    return CompiledPacket(
        meeting_id=meeting.pk,
        fingerprint=fingerprint,
        path=target,
        page_count=total,
        front_pages=front_pages,
        contents=contents,
        renders=renders,
    )


def _add_outline(pdf: pikepdf.Pdf, plan: list[PlannedItem], front_pages: int) -> None:
    """Bookmarks: cover, agenda, then each agenda item with its documents (pdf.js shows them in its sidebar)."""
    with translation.override(document_language()), pdf.open_outline() as outline:
        outline.root.append(pikepdf.OutlineItem(gettext("Cover"), 0))
        outline.root.append(pikepdf.OutlineItem(gettext("Agenda"), 1))
        for item in plan:
            first = item.documents[0].first_page - 1 if item.documents else None
            entry = pikepdf.OutlineItem(f"{item.order}. {item.title}"[:300], first if first is not None else 1)
            for document in item.documents:
                entry.children.append(pikepdf.OutlineItem(document.title[:300], document.first_page - 1))
            outline.root.append(entry)


# --- Changes between versions --------------------------------------------------------------------------------


def contents_changes(previous: list[dict] | None, current: list[dict]) -> list[dict]:
    """What changed in the documents since ``previous`` (a READY version's contents): added, removed, replaced
    (another file, or now/no longer on paper), renamed. ``[]`` for the first version."""
    if previous is None:
        return []
    before = {entry["agenda_document"]: entry for entry in previous}
    after = {entry["agenda_document"]: entry for entry in current}
    changes: list[dict] = []
    for entry in current:
        old = before.get(entry["agenda_document"])
        if old is None:
            changes.append({"change": "added", "title": entry["title"]})
            continue
        if old.get("sha256") != entry.get("sha256") or bool(old.get("on_paper")) != bool(entry.get("on_paper")):
            changes.append({"change": "replaced", "title": entry["title"]})
        elif old.get("title") != entry["title"]:
            changes.append({"change": "renamed", "title": entry["title"], "old_title": old.get("title", "")})
    for entry in previous:
        if entry["agenda_document"] not in after:
            changes.append({"change": "removed", "title": entry["title"]})
    return changes


CHANGE_LABELS = {
    "added": _("Added: %(title)s"),
    "removed": _("Removed: %(title)s"),
    "replaced": _("Replaced: %(title)s"),
    "renamed": _("Renamed: %(old_title)s → %(title)s"),
}


def change_text(change: dict) -> str:
    """One change as a line in the active language."""
    label = CHANGE_LABELS.get(change.get("change"))
    if label is None:
        return change.get("title", "")
    return str(label) % {"title": change.get("title", ""), "old_title": change.get("old_title", "")}


def documents_changed_since(meeting: Meeting, packet: Packet | None) -> bool:
    """Whether the meeting's documents differ from what ``packet`` was compiled from (True without a packet)."""
    if packet is None:
        return True
    fingerprint = plan_fingerprint(packet_plan(meeting))
    compiled = [
        {k: entry.get(k) for k in ("agenda_document", "title", "on_paper", "sha256")} for entry in packet.contents
    ]
    return fingerprint != compiled


# --- Delegates' copies ---------------------------------------------------------------------------------------


def stamp_text(*, name: str, copy_number: int, date) -> str:
    """The stamp of a delegate's copy, "Nguyễn Văn An — Bản số 03 — 05/11/2026", in the document language."""
    with translation.override(document_language()):
        return gettext("%(name)s — Copy No. %(number)s — %(date)s") % {
            "name": name,
            "number": f"{copy_number:02d}",
            "date": date.strftime("%d/%m/%Y"),
        }


def render_watermarks(stamps: list[str]) -> bytes:
    """One A4 page per stamp, in ONE WeasyPrint call (``partyhub.pdf``)."""
    if not stamps:
        raise ValueError("No stamps to render")
    data = pdf_rendering.render_pdf(WATERMARK_TEMPLATE, {"stamps": stamps}, language=document_language())
    with pikepdf.open(io.BytesIO(data)) as check:
        if len(check.pages) != len(stamps):
            raise pdf_rendering.PdfRenderError(
                f"The watermark sheet has {len(check.pages)} pages for {len(stamps)} stamps"
            )
    return data


def stamp_copy(master_path: Path, watermarks: pikepdf.Pdf, index: int) -> bytes:
    """The master with page ``index`` of ``watermarks`` overlaid on every page: one Form XObject, referenced by
    every page; the page contents become ``[q, …, Q + placement]`` (placements shared between pages of the same
    geometry)."""
    with pikepdf.open(master_path) as pdf:
        form = pdf.copy_foreign(watermarks.pages[index].as_form_xobject())
        head = pdf.make_stream(b"q\n")
        tails: dict[tuple, pikepdf.Object] = {}
        for page in pdf.pages:
            resources = page.obj.get("/Resources")
            if resources is None:
                resources = page.obj.Resources = Dictionary()
            xobjects = resources.get("/XObject")
            if xobjects is None:
                resources.XObject = Dictionary()
                xobjects = resources.XObject
            xobjects[WATERMARK_XOBJECT] = form
            box = _visible_box(page)
            key = (float(box.llx), float(box.lly), float(box.urx), float(box.ury), _rotation(page))
            tail = tails.get(key)
            if tail is None:
                placement = page.calc_form_xobject_placement(
                    form, WATERMARK_XOBJECT, box, invert_transformations=True, allow_expand=True
                )
                tail = tails[key] = pdf.make_stream(b"\nQ\n" + placement + b"\n")
            _wrap_contents(pdf, page, head, tail)
        out = io.BytesIO()
        pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return out.getvalue()


def read_master(packet: Packet, target: Path) -> Path:
    """Copy the packet's master file from the storage to ``target`` (pikepdf reads it from disk)."""
    _copy_to_disk(packet.master_file, target)
    return target


# --- Reading the current copy --------------------------------------------------------------------------------


def latest_ready_packet(meeting: Meeting) -> Packet | None:
    return (
        Packet.objects.filter(meeting=meeting, status=PacketStatus.READY)
        .select_related("master_file")
        .order_by("-version")
        .first()
    )


def current_copy(user, meeting: Meeting, *, version: int | None = None):
    """The signed-in delegate's copy of the current READY packet version (or of READY ``version``), made now if
    it does not exist yet; ``None`` when the user is not invited, is outside the access window (or not cleared),
    or there is no such READY version. Access through the meet helper's ``invitation_for`` and
    ``can_open_folder``."""
    from .permissions import can_open_folder
    from .selectors import invitation_for
    from .services.packets import delegate_copy_for

    invitation = invitation_for(user, meeting)
    if invitation is None or not can_open_folder(user, meeting):
        return None
    if version is None:
        packet = latest_ready_packet(meeting)
    else:
        packet = (
            Packet.objects.filter(meeting=meeting, status=PacketStatus.READY, version=version)
            .select_related("master_file")
            .first()
        )
    if packet is None:
        return None
    copy = delegate_copy_for(packet=packet, invitation=invitation)
    copy.packet = packet
    return copy


# --- File access (registered in MeetingsConfig.ready) ---------------------------------------------------------


def packet_file_access(user, stored_file) -> bool | None:
    """``partyhub.files`` access check for packet files.

    * a delegate's copy: the delegate themself while their folder is open (``can_open_folder``), and the
      meeting's managers (``can_manage_meeting``);
    * a master: the meeting's managers.

    Everybody else is vetoed (``False``, superusers included), so the download URL answers 404. Packet files are
    stored without an uploader. Files that are not packet files: ``None`` (not our business).
    """
    from .models import DelegateCopy
    from .permissions import can_manage_meeting, can_open_folder

    copy = DelegateCopy.objects.select_related("invitation", "packet__meeting").filter(file_id=stored_file.pk).first()
    if copy is not None:
        meeting = copy.packet.meeting
        if (
            copy.invitation.user_id is not None
            and copy.invitation.user_id == user.pk
            and can_open_folder(user, meeting)
        ):
            return True
        return bool(can_manage_meeting(user, meeting))
    packet = Packet.objects.select_related("meeting").filter(master_file_id=stored_file.pk).first()
    if packet is not None:
        return bool(can_manage_meeting(user, packet.meeting))
    return None
