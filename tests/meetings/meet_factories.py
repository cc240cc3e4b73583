"""Builders for the meetings-core tests (helper "meet"): meetings made through the services, PDFs, clearances,
and readers of the .ics e-mailed with invitations."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from icalendar import Calendar

from documents.models import Clearance
from meetings.models import Meeting, MeetingKind
from meetings.services import meetings as meeting_services


def at(days: int = 3, hour: int = 8, minute: int = 0) -> datetime.datetime:
    """A local time ``days`` days from today at ``hour``:``minute``."""
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def make_meeting(actor, organization, **values) -> Meeting:
    values.setdefault("kind", MeetingKind.CELL_REGULAR)
    values.setdefault("title", "Sinh hoạt chi bộ thường kỳ tháng 11")
    values.setdefault("starts_at", at(3, 8))
    values.setdefault("ends_at", at(3, 11))
    values.setdefault("place", "Hội trường ấp Phước Hưng")
    return meeting_services.meeting_create(actor=actor, organization=organization, **values)


def invite(actor, meeting, user, **kwargs):
    return meeting_services.invitation_add(actor=actor, meeting=meeting, user=user, **kwargs)


def clear(user, level: str, granted_by) -> Clearance:
    from documents.selectors import forget_document_access

    clearance = Clearance.objects.create(
        user=user, level=level, granted_by=granted_by, valid_from=timezone.localdate() - datetime.timedelta(days=1)
    )
    forget_document_access(user)
    return clearance


def make_pdf_bytes(pages: int = 2, marker: str = "Du thao") -> bytes:
    import pikepdf
    from pikepdf import Array, Dictionary, Name

    pdf = pikepdf.new()
    font = pdf.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name("/Helvetica")))
    for i in range(1, pages + 1):
        page = Dictionary(
            Type=Name.Page,
            MediaBox=Array([0, 0, 595, 842]),
            Resources=Dictionary(Font=Dictionary(F1=font)),
            Contents=pdf.make_stream(f"BT /F1 18 Tf 72 600 Td ({marker} {i}) Tj ET".encode()),
        )
        pdf.pages.append(pikepdf.Page(page))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def pdf_upload(name: str = "du-thao-nghi-quyet.pdf", pages: int = 2) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, make_pdf_bytes(pages), content_type="application/pdf")


def ics_attachments(message) -> list[Calendar]:
    """The calendars attached to an e-mail message."""
    found = []
    for attachment in message.attachments:
        name, content, _mimetype = attachment
        if name.endswith(".ics"):
            data = content.encode() if isinstance(content, str) else content
            found.append(Calendar.from_ical(data))
    return found


def only_event(calendar: Calendar):
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    return events[0]


@pytest.fixture
def private_storage(settings, tmp_path):
    """A private storage of the test's own."""
    root = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}},
    }
    settings.PARTYHUB_X_ACCEL_PREFIX = ""
    return root


@pytest.fixture
def no_packets(monkeypatch):
    """Record the packet requests of the agenda services instead of compiling packets."""
    calls = []

    def fake(meeting, actor, reason):
        calls.append((meeting.pk, reason))

    monkeypatch.setattr("meetings.services.agenda.request_packet", fake)
    return calls
