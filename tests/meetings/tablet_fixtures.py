"""Builders for the tablet folder and notes tests (helper "tablet"): a commune meeting with an agenda (two
documents in the packet, one classified document handled on paper), a ready packet version whose table of
contents places the documents, and the people of the access matrix. Rows are created directly (the packet
compiler and the meetings services are tested in their own files); the browser test builds a real packet."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.utils import timezone

from documents.models import Confidentiality
from meetings.models import DelegateCopy, Packet, PacketStatus

from ..factories import UserFactory
from .packet_factories import _packet_env, document, invite, item, make_meeting, make_pdf, pdf_file  # noqa: F401


def ready_packet(meeting, *, version: int, contents: list[dict], pages: int, actor) -> Packet:
    master = pdf_file(make_pdf(f"PACKET{version}", pages), name=f"packet-v{version}.pdf", actor=actor)
    return Packet.objects.create(
        meeting=meeting,
        version=version,
        status=PacketStatus.READY,
        master_file=master,
        page_count=pages,
        contents=contents,
        built_at=timezone.now(),
    )


def copy_for(packet: Packet, invitation, *, actor) -> DelegateCopy:
    data = make_pdf(f"COPY{packet.version}-{invitation.copy_number}", packet.page_count or 1)
    stored = pdf_file(data, name=f"copy-{invitation.copy_number}.pdf", actor=actor)
    return DelegateCopy.objects.create(
        packet=packet, invitation=invitation, file=stored, stamp_text=f"{invitation.name} · {invitation.copy_number}"
    )


@pytest.fixture(name="other_delegate")
def _other_delegate(org_tree):
    return UserFactory(username="otherdelegate", full_name="Trần Thị Bình")


@pytest.fixture(name="folder_meeting")
def _folder_meeting(packet_env, org_tree, clerk, delegate, other_delegate):
    """A commune meeting in two days: the delegate and another delegate invited; agenda with two documents in
    packet version 1 (pages 4–6 and 7–8 of 8) and a classified one on paper."""
    meeting = make_meeting(
        org_tree["commune"],
        created_by=clerk,
        title="Hội nghị Ban Chấp hành Đảng bộ xã tháng 11",
        place="Hội trường Đảng ủy xã",
    )
    first = item(meeting, "Báo cáo tình hình kinh tế - xã hội", presenter="Nguyễn Văn An", planned_minutes=30)
    second = item(meeting, "Công tác cán bộ")
    report = document(first, "Báo cáo số 12-BC/ĐU", pages=3, added_by=clerk)
    plan = document(first, "Kế hoạch số 5-KH/ĐU", pages=2, added_by=clerk, is_draft=True)
    secret = document(second, "Tờ trình nhân sự", added_by=clerk, confidentiality=Confidentiality.SECRET)
    mine = invite(meeting, delegate, name="Lê Văn Đại Biểu")
    theirs = invite(meeting, other_delegate, name="Trần Thị Bình")
    contents = [
        {"agenda_document": report.pk, "title": report.title, "first_page": 4, "pages": 3, "on_paper": False},
        {"agenda_document": plan.pk, "title": plan.title, "first_page": 7, "pages": 2, "on_paper": False},
        {"agenda_document": secret.pk, "title": secret.title, "first_page": None, "pages": 0, "on_paper": True},
    ]
    packet = ready_packet(meeting, version=1, contents=contents, pages=8, actor=clerk)
    return {
        "meeting": meeting,
        "items": (first, second),
        "report": report,
        "plan": plan,
        "secret": secret,
        "mine": mine,
        "theirs": theirs,
        "packet": packet,
        "contents": contents,
    }


def days(n: float) -> datetime.timedelta:
    return datetime.timedelta(days=n)


@pytest.fixture(name="tablet_catalogue")
def _tablet_catalogue(tmp_path, settings):
    """The project's Vietnamese catalogue (plus a fragment locale/pending/tablet.po if one is waiting to be
    merged) — compiled afresh."""
    import shutil
    import subprocess

    msgfmt, msgcat = shutil.which("msgfmt"), shutil.which("msgcat")
    if msgfmt is None or msgcat is None:
        pytest.skip("needs gettext's msgfmt and msgcat (Debian package gettext)")
    base = Path(settings.BASE_DIR) / "locale"
    target = tmp_path / "locale" / "vi" / "LC_MESSAGES"
    target.mkdir(parents=True)
    merged = tmp_path / "merged.po"
    sources = [str(base / "vi" / "LC_MESSAGES" / "django.po")]
    if (base / "pending" / "tablet.po").exists():
        sources.append(str(base / "pending" / "tablet.po"))
    subprocess.run([msgcat, "--use-first", "-o", str(merged), *sources], check=True)
    subprocess.run([msgfmt, "--check-format", "-o", str(target / "django.mo"), str(merged)], check=True)
    settings.LOCALE_PATHS = [tmp_path / "locale", *settings.LOCALE_PATHS]
