"""Builders for the packet tests (helper "packet"): meetings with an agenda whose documents are real PDFs in a
private storage of the test's own, and readers of the compiled PDFs. Rows are created directly (the agenda
services are tested in their own files)."""

from __future__ import annotations

import datetime
import io
import itertools
import secrets
from pathlib import Path

import pikepdf
import pytest
from django.utils import timezone
from pikepdf import Array, Dictionary, Name
from pypdf import PdfReader

from meetings.models import AgendaDocument, AgendaItem, Invitation, InviteeKind, Meeting, MeetingKind, MeetingStatus
from partyhub.files import private_storage, store_bytes

from ..factories import UserFactory

_counter = itertools.count(1)


@pytest.fixture(name="packet_env")
def _packet_env(settings, tmp_path) -> Path:
    """A private storage of the test's own; the packet rendered in English (the tests' language: the product
    renders it in Vietnamese, ``PARTYHUB_DOCUMENT_LANGUAGE``)."""
    root = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}},
    }
    settings.PARTYHUB_X_ACCEL_PREFIX = ""
    settings.PARTYHUB_DOCUMENT_LANGUAGE = "en"
    return root


def stored_names(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def make_pdf(marker: str, pages: int, *, rotate: int = 0, size=(595, 842)) -> bytes:
    """A PDF of ``pages`` pages; page i carries the text "<marker> page <i>" (Helvetica, extractable)."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name("/Helvetica"), Encoding=Name.WinAnsiEncoding)
    )
    resources = pdf.make_indirect(Dictionary(Font=Dictionary(F1=font)))  # shared by all pages, like many PDFs
    for i in range(1, pages + 1):
        text = f"{marker} page {i}".encode()
        page = Dictionary(
            Type=Name.Page,
            MediaBox=Array([0, 0, *size]),
            Resources=resources,
            Contents=pdf.make_stream(b"BT /F1 18 Tf 72 600 Td (" + text + b") Tj ET"),
        )
        if rotate:
            page.Rotate = rotate
        pdf.pages.append(pikepdf.Page(page))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def encrypted_pdf(marker: str = "SECRET") -> bytes:
    with pikepdf.open(io.BytesIO(make_pdf(marker, 2))) as pdf:
        out = io.BytesIO()
        pdf.save(out, encryption=pikepdf.Encryption(user="open-sesame", owner="owner-pw"))
        return out.getvalue()


def broken_pdf() -> bytes:
    return b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" + secrets.token_bytes(400) + b"\n%%EOF\n"


def make_meeting(organization, *, created_by, **extra) -> Meeting:
    now = timezone.now()
    values = {
        "organization": organization,
        "kind": MeetingKind.CELL_REGULAR,
        "title": "Sinh hoạt chi bộ tháng 11",
        "starts_at": now + datetime.timedelta(days=2),
        "ends_at": now + datetime.timedelta(days=2, hours=3),
        "place": "Hội trường ấp Phước Hưng",
        "status": MeetingStatus.INVITED,
        "created_by": created_by,
        "invitations_sent_at": now - datetime.timedelta(days=1),
    }
    values.update(extra)
    return Meeting.objects.create(**values)


def invite(meeting, user=None, *, name: str = "", invited=True, **extra) -> Invitation:
    number = (meeting.invitations.order_by("-copy_number").values_list("copy_number", flat=True).first() or 0) + 1
    return Invitation.objects.create(
        meeting=meeting,
        kind=InviteeKind.DELEGATE,
        user=user,
        name=name or (user.get_full_name() if user else f"Khách {number}"),
        copy_number=number,
        checkin_token=secrets.token_urlsafe(24),
        invited_at=timezone.now() if invited else None,
        **extra,
    )


def new_delegate(meeting, name: str) -> Invitation:
    user = UserFactory(username=f"pk{next(_counter)}-{secrets.token_hex(3)}", full_name=name)
    return invite(meeting, user, name=name)


def item(meeting, title: str, order: int | None = None, **extra) -> AgendaItem:
    return AgendaItem.objects.create(meeting=meeting, order=order or meeting.agenda.count() + 1, title=title, **extra)


def pdf_file(data: bytes, *, name: str = "document.pdf", actor=None):
    return store_bytes(data, name=name, content_type="application/pdf", actor=actor)


def document(
    agenda_item, title: str, *, pages: int = 1, added_by, marker: str | None = None, data=None, no_file=False, **extra
):
    """An agenda document with a PDF of ``pages`` pages whose page i reads "<marker> page i" (classified ones and
    ``no_file`` ones without a file, unless ``data`` is given)."""
    marker = marker or f"DOC{next(_counter)}"
    if data is None and not extra.get("confidentiality") and not no_file:
        data = make_pdf(marker, pages)
    stored = pdf_file(data, name=f"{title}.pdf", actor=added_by) if data is not None else None
    order = agenda_item.documents.count() + 1
    doc = AgendaDocument.objects.create(
        item=agenda_item, order=order, title=title, file=stored, added_by=added_by, **extra
    )
    doc.marker = marker
    return doc


def read_pdf(stored_file) -> bytes:
    with private_storage().open(stored_file.storage_name, "rb") as f:
        return f.read()


def page_texts(data: bytes) -> list[str]:
    """The text of every page (pypdf)."""
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]


def text_boxes(layout):
    """Every text box of a pdfminer page layout, also inside figures (Form XObjects: the stamps)."""
    from pdfminer.layout import LTFigure, LTTextContainer

    for element in layout:
        if isinstance(element, LTTextContainer):
            yield element
        elif isinstance(element, LTFigure):
            yield from text_boxes(element)


def pdfminer_layouts(data: bytes):
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams

    return list(extract_pages(io.BytesIO(data), laparams=LAParams(all_texts=True)))


def page_texts_pdfminer(data: bytes) -> list[str]:
    """The text of every page (pdfminer.six, text inside Form XObjects included)."""
    return [" ".join(box.get_text() for box in text_boxes(layout)) for layout in pdfminer_layouts(data)]
