"""Compiling the meeting packet (issue 6, point 3): page count, table of contents pointing at the right pages
(also when the contents take several pages), page numbers on every page, classified documents handled on
paper, versions with what changed and the delegates told, failures with a message and no file left behind."""

from __future__ import annotations

import datetime
import re

import pikepdf
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from meetings import packets as packet_pdf
from meetings.models import DelegateCopy, Packet, PacketStatus
from meetings.services import packets as services
from partyhub.models import Notification, StoredFile

from .packet_factories import (
    _packet_env,  # noqa: F401 (the packet_env fixture)
    broken_pdf,
    document,
    encrypted_pdf,
    item,
    make_meeting,
    make_pdf,
    new_delegate,
    page_texts,
    page_texts_pdfminer,
    pdf_file,
    pdfminer_layouts,
    read_pdf,
    stored_names,
    text_boxes,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("packet_env")]


def compile_version(meeting, actor, *, copies: bool = False) -> Packet:
    """A new version compiled now (what the task does), without a broker."""
    version = (
        Packet.objects.filter(meeting=meeting).order_by("-version").values_list("version", flat=True).first() or 0
    ) + 1
    packet = Packet.objects.create(meeting=meeting, version=version, requested_by=actor)
    services.packet_build(packet_id=packet.pk)
    if copies:
        services.delegate_copies_make(packet_id=packet.pk)
    packet.refresh_from_db()
    return packet


def normalized(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def meeting(org_tree, clerk):
    return make_meeting(org_tree["cell_a"], created_by=clerk, chair=clerk)


@pytest.fixture
def agenda(meeting, clerk):
    """Three items: two documents (3 and 2 pages), a classified one (handled on paper), one more (1 page)."""
    first = item(meeting, "Báo cáo tình hình tháng 10", presenter="Đ/c Bí thư", planned_minutes=30)
    second = item(meeting, "Công tác phát triển đảng viên")
    third = item(meeting, "Nghị quyết tháng 11")
    docs = {
        "report": document(first, "Báo cáo số 12-BC/CB", pages=3, added_by=clerk, marker="REPORTDOC"),
        "annex": document(first, "Phụ lục số liệu", pages=2, added_by=clerk, marker="ANNEXDOC"),
        "secret": document(second, "Hồ sơ đề nghị kết nạp (Mật)", added_by=clerk, confidentiality="mat"),
        "resolution": document(third, "Dự thảo nghị quyết tháng 11", pages=1, added_by=clerk, marker="RESOLUTIONDOC"),
    }
    return docs


# --- The master ------------------------------------------------------------------------------------------------


def test_packet_has_cover_agenda_contents_every_document_and_page_numbers(meeting, agenda, clerk):
    packet = compile_version(meeting, clerk)

    assert packet.status == PacketStatus.READY, packet.message
    data = read_pdf(packet.master_file)
    texts = page_texts(data)
    assert len(texts) == packet.page_count
    entries = {entry["agenda_document"]: entry for entry in packet.contents}
    front_pages = entries[agenda["report"].pk]["first_page"] - 1
    # cover + agenda + contents (+ nothing else) before the documents; then 3 + 2 + 1 (paper sheet) + 1 pages.
    assert front_pages >= 3
    assert packet.page_count == front_pages + 3 + 2 + 1 + 1
    assert [e["agenda_document"] for e in packet.contents] == [d.pk for d in agenda.values()]
    assert [(e["pages"], e["on_paper"]) for e in packet.contents] == [(3, False), (2, False), (1, True), (1, False)]

    cover = normalized(texts[0])
    assert "MEETING DOCUMENTS" in cover.upper()
    assert "Sinh hoạt chi bộ tháng 11" in cover
    assert "Chi bộ ấp Phước Hưng".upper() in cover.upper()
    assert "Hội trường ấp Phước Hưng" in cover
    assert "Cell regular meeting" in cover
    start = timezone.localtime(meeting.starts_at)
    assert f"{start:%H:%M}" in cover and f"day {start:%d} month {start:%m} year {start:%Y}" in cover
    assert "Version 1" in cover
    assert "AGENDA" in texts[1].upper() and "Báo cáo tình hình tháng 10" in texts[1] and "30 minutes" in texts[1]

    # Every document starts on the page the contents say, and its pages follow in order.
    for key in ("report", "annex", "resolution"):
        entry = entries[agenda[key].pk]
        for offset in range(entry["pages"]):
            assert f"{agenda[key].marker} page {offset + 1}" in texts[entry["first_page"] - 1 + offset]
        assert agenda[key].marker not in texts[entry["first_page"] - 2]

    # Page numbers on every page, bottom centre.
    for number, text in enumerate(texts, start=1):
        assert f"Page {number}/{packet.page_count}" in text

    # The table of contents lists every document with the page it starts on.
    toc_text = normalized(" ".join(t for t in texts[:front_pages] if "TABLE OF CONTENTS" in t.upper()))
    for doc in agenda.values():
        first_page = entries[doc.pk]["first_page"]
        assert re.search(re.escape(doc.title) + r"(?: \(handled on paper\))? " + str(first_page) + r"\b", toc_text), (
            doc.title,
            first_page,
            toc_text,
        )
    assert re.search(r"Agenda 2\b", toc_text)


def test_classified_document_is_a_paper_sheet_and_its_file_never_enters_the_packet(meeting, clerk):
    first = item(meeting, "Kiểm điểm")
    classified = document(
        first, "Báo cáo kiểm tra (Tối mật)", added_by=clerk, confidentiality="toi_mat", data=make_pdf("LEAKED", 2)
    )
    packet = compile_version(meeting, clerk)

    assert packet.status == PacketStatus.READY, packet.message
    texts = page_texts(read_pdf(packet.master_file))
    assert not any("LEAKED" in text for text in texts)
    (entry,) = packet.contents
    assert entry == {
        "agenda_document": classified.pk,
        "title": "Báo cáo kiểm tra (Tối mật)",
        "item": first.pk,
        "item_order": 1,
        "item_title": "Kiểm điểm",
        "first_page": packet.page_count,
        "pages": 1,
        "on_paper": True,
        "sha256": "",
    }
    sheet = normalized(texts[-1])
    assert "Báo cáo kiểm tra (Tối mật)" in sheet
    assert "handled on paper" in sheet
    assert "Top secret (Tối mật)".upper() in sheet.upper()
    assert "Agenda item 1: Kiểm điểm" in sheet


def test_contents_taking_several_pages_still_point_at_the_right_pages(meeting, clerk):
    docs = []
    for n in range(1, 9):
        agenda_item = item(meeting, f"Nội dung số {n}: thảo luận và cho ý kiến về các vấn đề của chi bộ")
        for m in range(1, 8):
            docs.append(
                document(
                    agenda_item,
                    f"Văn bản {n}.{m} — báo cáo chuyên đề về công tác xây dựng Đảng và hệ thống chính trị ở cơ sở",
                    pages=1 + (m % 2),
                    added_by=clerk,
                    marker=f"MARK{n:02d}X{m:02d}",
                )
            )
    packet = compile_version(meeting, clerk)

    assert packet.status == PacketStatus.READY, packet.message
    texts = page_texts(read_pdf(packet.master_file))
    contents_start = next(i for i, text in enumerate(texts) if "TABLE OF CONTENTS" in text.upper())
    first_doc_page = packet.contents[0]["first_page"]
    assert first_doc_page - 1 - contents_start >= 2, "the contents should take at least two pages here"
    toc_text = normalized(" ".join(texts[contents_start : first_doc_page - 1]))
    for doc, entry in zip(docs, packet.contents, strict=True):
        assert f"{doc.marker} page 1" in texts[entry["first_page"] - 1]
        assert re.search(re.escape(doc.title) + r" " + str(entry["first_page"]) + r"\b", toc_text), doc.title
    assert packet.page_count == len(texts) == first_doc_page - 1 + sum(e["pages"] for e in packet.contents)
    assert all(f"Page {n}/{len(texts)}" in t for n, t in enumerate(texts, start=1))


def test_page_numbers_stand_at_the_bottom_of_rotated_and_odd_sized_pages(meeting, clerk):
    agenda_item = item(meeting, "Tài liệu khổ khác")
    document(agenda_item, "Bản đồ (xoay)", added_by=clerk, data=make_pdf("ROTATED", 2, rotate=90))
    document(agenda_item, "Bảng ngang", added_by=clerk, data=make_pdf("LANDSCAPE", 1, size=(842, 595)))
    packet = compile_version(meeting, clerk)
    assert packet.status == PacketStatus.READY, packet.message

    import io

    data = read_pdf(packet.master_file)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        rotations = [int(page.obj.get("/Rotate", 0)) for page in pdf.pages]
    for index, layout in enumerate(pdfminer_layouts(data)):
        boxes = [box for box in text_boxes(layout) if "Page " in box.get_text()]
        assert boxes, index
        box = boxes[-1]
        # pdfminer lays a page out as it is shown (its /Rotate applied): bottom centre of the visible page.
        width = layout.width
        assert box.y0 < 40, (index, box)
        assert abs((box.x0 + box.x1) / 2 - width / 2) < 30, (index, box)
        if rotations[index] == 90:
            assert width > layout.height  # a portrait media box turned: shown as landscape
    assert 90 in rotations


def test_page_texts_read_the_same_with_pdfminer(meeting, agenda, clerk):
    packet = compile_version(meeting, clerk)
    texts = page_texts_pdfminer(read_pdf(packet.master_file))
    assert len(texts) == packet.page_count
    for number, text in enumerate(texts, start=1):
        assert f"Page {number}/{packet.page_count}" in text


# --- Failures -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (broken_pdf(), "“Tờ trình hỏng” is damaged: it cannot be read as a PDF."),
        (encrypted_pdf(), "“Tờ trình hỏng” is protected by a password. Attach a copy without a password."),
    ],
    ids=["broken", "encrypted"],
)
def test_a_bad_pdf_fails_the_version_with_a_message_and_leaves_no_file(meeting, clerk, packet_env, data, message):
    first = item(meeting, "Nội dung 1")
    document(first, "Báo cáo tốt", pages=2, added_by=clerk)
    document(first, "Tờ trình hỏng", added_by=clerk, data=data)
    files_before = stored_names(packet_env)
    rows_before = StoredFile.objects.count()

    packet = compile_version(meeting, clerk, copies=True)

    assert packet.status == PacketStatus.FAILED
    assert packet.message == message
    assert packet.master_file is None and packet.page_count is None and packet.contents == []
    assert stored_names(packet_env) == files_before
    assert StoredFile.objects.count() == rows_before
    assert not DelegateCopy.objects.exists()


def test_a_document_without_a_file_fails_with_its_name(meeting, clerk):
    first = item(meeting, "Nội dung 1")
    document(first, "Chưa có tệp", added_by=clerk, no_file=True)
    packet = compile_version(meeting, clerk)
    assert packet.status == PacketStatus.FAILED
    assert packet.message.startswith("“Chưa có tệp” has no PDF file.")


def test_failure_message_is_in_the_language_of_who_asked(meeting, clerk):
    clerk.preferred_language = "vi"
    clerk.save()
    first = item(meeting, "Nội dung 1")
    document(first, "Tờ trình hỏng", added_by=clerk, data=broken_pdf())
    packet = compile_version(meeting, clerk)
    assert packet.status == PacketStatus.FAILED
    assert "Tờ trình hỏng" in packet.message


def test_an_unexpected_error_fails_the_version_and_stores_nothing(meeting, agenda, clerk, packet_env, monkeypatch):
    files_before = stored_names(packet_env)

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(packet_pdf, "stamp_page_numbers", boom)
    packet = compile_version(meeting, clerk)
    assert packet.status == PacketStatus.FAILED
    assert packet.message.startswith("The packet could not be compiled because of an unexpected error.")
    assert stored_names(packet_env) == files_before


def test_a_meeting_without_agenda_fails_with_a_clear_message(meeting, clerk):
    packet = compile_version(meeting, clerk)
    assert packet.status == PacketStatus.FAILED
    assert packet.message == "The meeting has no agenda yet: add the agenda items first."


def test_building_twice_has_one_effect(meeting, agenda, clerk):
    packet = compile_version(meeting, clerk)
    master = packet.master_file_id
    assert services.packet_build(packet_id=packet.pk) == PacketStatus.READY
    packet.refresh_from_db()
    assert packet.master_file_id == master
    assert services.packet_build(packet_id=999999) == "missing"


# --- Versions, changes, notifications ------------------------------------------------------------------------


def test_a_changed_document_makes_a_new_version_listing_the_changes_and_the_delegates_are_told(meeting, agenda, clerk):
    an = new_delegate(meeting, "Nguyễn Văn An")
    binh = new_delegate(meeting, "Trần Thị Bình")
    not_invited_yet = new_delegate(meeting, "Lê Văn Chưa")
    not_invited_yet.invited_at = None
    not_invited_yet.save()

    first = compile_version(meeting, clerk)
    assert first.version == 1 and first.changes == []
    notes = Notification.objects.filter(kind="meeting_packet").order_by("recipient_id")
    assert {n.recipient_id for n in notes} == {an.user_id, binh.user_id}
    assert all(n.title == "The meeting documents are ready: Sinh hoạt chi bộ tháng 11" for n in notes)
    assert all(n.url == f"/meetings/{meeting.pk}/folder/" for n in notes)

    # Replace the annex's file, drop the resolution, add a new document, rename the report.
    annex = agenda["annex"]
    annex.file = pdf_file(make_pdf("ANNEX-V2", 4), actor=clerk)
    annex.save()
    agenda["resolution"].delete()
    document(agenda["report"].item, "Tờ trình bổ sung", pages=1, added_by=clerk)
    report = agenda["report"]
    report.title = "Báo cáo số 12-BC/CB (sửa đổi)"
    report.save()

    second = compile_version(meeting, clerk)
    assert second.version == 2 and second.status == PacketStatus.READY
    assert second.changes == [
        {"change": "renamed", "title": "Báo cáo số 12-BC/CB (sửa đổi)", "old_title": "Báo cáo số 12-BC/CB"},
        {"change": "replaced", "title": "Phụ lục số liệu"},
        {"change": "added", "title": "Tờ trình bổ sung"},
        {"change": "removed", "title": "Dự thảo nghị quyết tháng 11"},
    ]
    latest = Notification.objects.filter(kind="meeting_packet", recipient=an.user).order_by("-id").first()
    assert latest.title == "Packet version 2: Sinh hoạt chi bộ tháng 11"
    assert latest.body.splitlines() == [
        "Renamed: Báo cáo số 12-BC/CB → Báo cáo số 12-BC/CB (sửa đổi)",
        "Replaced: Phụ lục số liệu",
        "Added: Tờ trình bổ sung",
        "Removed: Dự thảo nghị quyết tháng 11",
    ]
    assert not Notification.objects.filter(recipient=not_invited_yet.user).exists()
    # The new version has the new annex (4 pages), the old one is unchanged.
    texts = page_texts(read_pdf(second.master_file))
    entry = next(e for e in second.contents if e["agenda_document"] == annex.pk)
    assert entry["pages"] == 4 and "ANNEX-V2 page 1" in texts[entry["first_page"] - 1]
    assert first.master_file_id != second.master_file_id


def test_changes_are_counted_from_the_last_ready_version(meeting, agenda, clerk):
    compile_version(meeting, clerk)
    failed_doc = document(agenda["report"].item, "Hỏng", added_by=clerk, data=broken_pdf())
    failed = compile_version(meeting, clerk)
    assert failed.status == PacketStatus.FAILED
    failed_doc.delete()
    document(agenda["report"].item, "Mới", added_by=clerk)
    third = compile_version(meeting, clerk)
    assert third.version == 3 and third.changes == [{"change": "added", "title": "Mới"}]


def test_no_document_change_says_so(meeting, agenda, clerk):
    delegate = new_delegate(meeting, "Nguyễn Văn An")
    compile_version(meeting, clerk)
    meeting.place = "Nhà văn hóa ấp"
    meeting.save()
    second = compile_version(meeting, clerk)
    assert second.changes == []
    note = Notification.objects.filter(recipient=delegate.user).order_by("-id").first()
    assert note.body == "The documents did not change; the cover or the agenda was updated."
    assert "Nhà văn hóa ấp" in page_texts(read_pdf(second.master_file))[0]


# --- Requesting versions ----------------------------------------------------------------------------------------


def test_request_build_creates_the_next_version_and_runs_the_task_after_commit(
    meeting, agenda, clerk, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        packet = services.packet_request_build(meeting=meeting, actor=clerk, reason="Bổ sung tờ trình")
    assert packet.version == 1 and packet.status == PacketStatus.BUILDING and packet.message == "Bổ sung tờ trình"
    assert callbacks, "the task is sent only after the commit"
    for callback in callbacks:
        callback()
    packet.refresh_from_db()
    assert packet.status == PacketStatus.READY


def test_a_request_while_compiling_joins_that_version(meeting, agenda, clerk):
    first = services.packet_request_build(meeting=meeting, actor=clerk, reason="Thêm phụ lục")
    again = services.packet_request_build(meeting=meeting, actor=clerk, reason="Sửa tờ trình")
    assert again.pk == first.pk
    assert again.message == "Thêm phụ lục; Sửa tờ trình"
    assert Packet.objects.filter(meeting=meeting).count() == 1


def test_a_stale_building_version_is_replaced(meeting, agenda, clerk):
    stale = services.packet_request_build(meeting=meeting, actor=clerk)
    Packet.objects.filter(pk=stale.pk).update(created_at=timezone.now() - datetime.timedelta(hours=1))
    fresh = services.packet_request_build(meeting=meeting, actor=clerk)
    stale.refresh_from_db()
    assert fresh.version == 2 and fresh.status == PacketStatus.BUILDING
    assert stale.status == PacketStatus.FAILED
    assert stale.message.startswith("Stopped:")


def test_request_build_is_refused_to_others_and_for_cancelled_meetings(meeting, agenda, clerk, delegate):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.packet_request_build(meeting=meeting, actor=delegate)
    meeting.status = "cancelled"
    meeting.save()
    with pytest.raises(ValidationError) as excinfo:
        services.packet_request_build(meeting=meeting, actor=clerk)
    assert excinfo.value.messages == ["This meeting was cancelled: its packet can no longer be compiled."]
    assert not Packet.objects.exists()


def test_a_change_while_compiling_is_compiled_in(meeting, agenda, clerk, monkeypatch):
    real = packet_pdf.compile_packet
    calls = []

    def compile_and_change(meeting_arg, **kwargs):
        compiled = real(meeting_arg, **kwargs)
        calls.append(compiled)
        if len(calls) == 1:  # the office renames a document while the first compilation runs
            agenda["annex"].title = "Phụ lục số liệu (bản cuối)"
            agenda["annex"].save()
        return compiled

    monkeypatch.setattr(packet_pdf, "compile_packet", compile_and_change)
    packet = compile_version(meeting, clerk)
    assert len(calls) == 2
    assert packet.status == PacketStatus.READY
    assert "Phụ lục số liệu (bản cuối)" in [e["title"] for e in packet.contents]


def test_documents_changed_since_tells_the_panel(meeting, agenda, clerk):
    packet = compile_version(meeting, clerk)
    assert not packet_pdf.documents_changed_since(meeting, packet)
    agenda["annex"].file = pdf_file(make_pdf("NEW", 1), actor=clerk)
    agenda["annex"].save()
    assert packet_pdf.documents_changed_since(meeting, packet)
