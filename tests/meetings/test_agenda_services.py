"""Agenda and documents (helper "meet"): ordered items, documents picked from the incoming and outgoing
registers or uploaded (a copy of the PDF that follows the meeting's access rule), classified ones on paper,
packet requests on every change, comments on drafts until their deadline."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from documents.models import DocumentFile, FileRole, OutgoingDocument, OutgoingStatus
from meetings.models import AgendaDocument, AgendaItem, DraftComment
from meetings.services import agenda as agenda_services
from meetings.services import meetings as meeting_services
from partyhub.files import can_download, store_bytes
from partyhub.models import Notification, StoredFile

from ..documents.factories import registered_incoming
from .meet_factories import at, clear, invite, make_meeting, make_pdf_bytes, no_packets, pdf_upload, private_storage  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(org_tree, clerk, private_storage):  # noqa: F811
    return make_meeting(clerk, org_tree["commune"], kind="committee_conference", title="Hội nghị Ban Chấp hành")


def _item(meeting, clerk, title="Báo cáo"):
    return agenda_services.agenda_item_add(actor=clerk, meeting=meeting, title=title)


# --- items ------------------------------------------------------------------------------------------------------


def test_items_are_numbered_moved_and_removed(meeting, clerk, no_packets, settings):  # noqa: F811
    settings.PARTYHUB_DOCUMENT_LANGUAGE = "en"  # the packet's reasons are written in the documents' language
    a = agenda_services.agenda_item_add(
        actor=clerk, meeting=meeting, title="Khai mạc", presenter="Bí thư", planned_minutes=10
    )
    b = _item(meeting, clerk, "Báo cáo tình hình")
    c = _item(meeting, clerk, "Biểu quyết")
    assert [(i.order, i.title) for i in AgendaItem.objects.filter(meeting=meeting)] == [
        (1, "Khai mạc"),
        (2, "Báo cáo tình hình"),
        (3, "Biểu quyết"),
    ]
    agenda_services.agenda_item_move(actor=clerk, item=c, direction="up")
    agenda_services.agenda_item_move(actor=clerk, item=a, position=3)
    assert list(AgendaItem.objects.filter(meeting=meeting).values_list("title", flat=True)) == [
        "Biểu quyết",
        "Báo cáo tình hình",
        "Khai mạc",
    ]
    agenda_services.agenda_item_remove(actor=clerk, item=b)
    assert list(AgendaItem.objects.filter(meeting=meeting).values_list("order", "title")) == [
        (1, "Biểu quyết"),
        (2, "Khai mạc"),
    ]
    assert [reason for _pk, reason in no_packets] == [
        "Agenda item added: Khai mạc",
        "Agenda item added: Báo cáo tình hình",
        "Agenda item added: Biểu quyết",
        "Agenda reordered: Biểu quyết",
        "Agenda reordered: Khai mạc",
        "Agenda item removed: Báo cáo tình hình",
    ]


def test_item_bad_inputs(meeting, clerk, no_packets):  # noqa: F811
    with pytest.raises(ValidationError) as caught:
        agenda_services.agenda_item_add(actor=clerk, meeting=meeting, title=" ")
    assert caught.value.message_dict == {"title": ["Give the agenda item a title."]}
    with pytest.raises(ValidationError) as caught:
        agenda_services.agenda_item_add(actor=clerk, meeting=meeting, title="x", planned_minutes=0)
    assert caught.value.message_dict == {"planned_minutes": ["Enter the planned time in minutes (1 to 600)."]}
    item = _item(meeting, clerk)
    with pytest.raises(ValidationError) as caught:
        agenda_services.agenda_item_move(actor=clerk, item=item, position=5)
    assert caught.value.message_dict == {"position": ["Choose a position on the agenda."]}
    assert AgendaItem.objects.count() == 1


def test_only_managers_change_the_agenda(meeting, clerk, delegate, no_packets):  # noqa: F811
    with pytest.raises(PermissionDenied):
        agenda_services.agenda_item_add(actor=delegate, meeting=meeting, title="x")


def test_changes_ask_the_packet_area_for_a_new_version(meeting, clerk, celery_eager, monkeypatch):
    calls = []
    monkeypatch.setattr(
        "meetings.services.packets.packet_request_build",
        lambda *, meeting, actor, reason: calls.append((meeting.pk, actor, reason)),
    )
    item = _item(meeting, clerk, "Tờ trình " + "rất dài " * 60)
    agenda_services.agenda_document_add(actor=clerk, item=item, source="upload", upload=pdf_upload())
    assert len(calls) == 2 and all(actor == clerk for _pk, actor, _r in calls)
    assert all(len(reason) <= 200 for _pk, _a, reason in calls)


# --- documents --------------------------------------------------------------------------------------------------


def test_upload_keeps_a_pdf_with_its_page_count(meeting, clerk, no_packets):  # noqa: F811
    item = _item(meeting, clerk)
    doc = agenda_services.agenda_document_add(actor=clerk, item=item, source="upload", upload=pdf_upload(pages=3))
    assert (doc.title, doc.page_count, doc.order) == ("du-thao-nghi-quyet", 3, 1)
    assert doc.file.content_type == "application/pdf"
    second = agenda_services.agenda_document_add(
        actor=clerk, item=item, source="upload", upload=pdf_upload(), title="Phụ lục"
    )
    assert second.order == 2
    agenda_services.agenda_document_move(actor=clerk, document=second, direction="up")
    assert list(AgendaDocument.objects.filter(item=item).values_list("title", flat=True)) == [
        "Phụ lục",
        "du-thao-nghi-quyet",
    ]


def test_a_non_pdf_upload_is_refused_and_nothing_is_kept(meeting, clerk, no_packets, private_storage):  # noqa: F811
    item = _item(meeting, clerk)
    files_before = StoredFile.objects.count()
    bad = SimpleUploadedFile("bien-ban.docx", b"PK\x03\x04 not really", content_type="application/octet-stream")
    with pytest.raises(ValidationError) as caught:
        agenda_services.agenda_document_add(actor=clerk, item=item, source="upload", upload=bad)
    assert caught.value.message_dict == {"upload": ["Files of this type are not accepted here. Accepted: .pdf."]}
    fake_pdf = SimpleUploadedFile("gia.pdf", b"this is plain text, not a PDF at all", content_type="application/pdf")
    with pytest.raises(ValidationError) as caught:
        agenda_services.agenda_document_add(actor=clerk, item=item, source="upload", upload=fake_pdf)
    assert caught.value.message_dict == {
        "upload": ["The content of the file is not a type accepted here. Accepted: .pdf."]
    }
    with pytest.raises(ValidationError) as caught:
        agenda_services.agenda_document_add(actor=clerk, item=item, source="upload")
    assert caught.value.message_dict == {"upload": ["Choose the PDF file to upload."]}
    assert not AgendaDocument.objects.exists()
    assert StoredFile.objects.count() == files_before


def test_pick_an_incoming_document_copies_its_searchable_pdf(meeting, clerk, org_tree, delegate, no_packets):  # noqa: F811
    incoming = registered_incoming(org_tree["commune"], number_symbol="57-NQ/TU", summary="Về chuyển đổi số")
    original = store_bytes(make_pdf_bytes(1), name="scan.pdf", content_type="application/pdf", actor=clerk)
    searchable = store_bytes(make_pdf_bytes(4), name="ocr.pdf", content_type="application/pdf", actor=clerk)
    DocumentFile.objects.create(incoming=incoming, stored_file=original, role=FileRole.ORIGINAL)
    DocumentFile.objects.create(incoming=incoming, stored_file=searchable, role=FileRole.SEARCHABLE)
    item = _item(meeting, clerk)
    doc = agenda_services.agenda_document_add(actor=clerk, item=item, source="incoming", incoming=incoming.pk)
    assert doc.incoming == incoming and doc.title == "57-NQ/TU — Về chuyển đổi số"
    assert doc.page_count == 4
    assert doc.file_id not in (original.pk, searchable.pk)  # the meeting's own copy …
    assert doc.file.sha256 == searchable.sha256  # … of the searchable PDF
    # Delegates never download the unstamped copy (they read their watermarked packet copy), nor the register's
    # file; the meeting's managers do.
    invite(clerk, meeting, delegate)
    meeting_services.meeting_send_invitations(actor=clerk, meeting=meeting)
    assert not can_download(delegate, doc.file)
    assert not can_download(delegate, searchable)
    assert can_download(clerk, doc.file)


def test_pick_only_what_the_actor_may_see(meeting, clerk, org_tree, no_packets):  # noqa: F811
    foreign = registered_incoming(org_tree["other_commune"])
    item = _item(meeting, clerk)
    with pytest.raises(ValidationError) as caught:
        agenda_services.agenda_document_add(actor=clerk, item=item, source="incoming", incoming=foreign.pk)
    assert caught.value.message_dict == {"incoming": ["Unknown document."]}
    no_file = registered_incoming(org_tree["commune"])
    with pytest.raises(ValidationError) as caught:
        agenda_services.agenda_document_add(actor=clerk, item=item, source="incoming", incoming=no_file.pk)
    assert caught.value.message_dict == {"incoming": ["This document has no PDF file to put in the packet."]}


def test_a_classified_incoming_document_is_handled_on_paper(meeting, clerk, org_tree, no_packets):  # noqa: F811
    clear(clerk, "mat", clerk)
    secret = registered_incoming(org_tree["commune"], confidentiality="mat", summary="Tài liệu mật")
    item = _item(meeting, clerk)
    doc = agenda_services.agenda_document_add(actor=clerk, item=item, source="incoming", incoming=secret.pk)
    assert (doc.confidentiality, doc.file, doc.page_count) == ("mat", None, None)


def test_paper_entries_and_classified_uploads(meeting, clerk, no_packets):  # noqa: F811
    item = _item(meeting, clerk)
    clear(clerk, "mat", clerk)
    with pytest.raises(ValidationError) as caught:
        agenda_services.agenda_document_add(
            actor=clerk, item=item, source="upload", upload=pdf_upload(), confidentiality="mat", title="Mật"
        )
    assert caught.value.message_dict == {
        "upload": ["Classified documents are handled on paper: their files are not kept."]
    }
    with pytest.raises(ValidationError) as caught:
        agenda_services.agenda_document_add(actor=clerk, item=item, source="paper", title="Giấy")
    assert caught.value.message_dict == {
        "confidentiality": ["Only classified documents are handled on paper; upload the PDF instead."]
    }
    doc = agenda_services.agenda_document_add(
        actor=clerk, item=item, source="paper", title="Báo cáo mật", confidentiality="mat"
    )
    assert doc.file is None and doc.confidentiality == "mat"
    with pytest.raises(ValidationError) as caught:
        agenda_services.agenda_document_add(
            actor=clerk, item=item, source="paper", title="Tối mật", confidentiality="toi_mat"
        )
    assert caught.value.message_dict == {"confidentiality": ["You are not cleared for this classification level."]}


def test_pick_an_issued_outgoing_document(meeting, clerk, org_tree, document_types, no_packets):  # noqa: F811
    issued = store_bytes(make_pdf_bytes(2), name="nq.pdf", content_type="application/pdf", actor=clerk)
    outgoing = OutgoingDocument.objects.create(
        organization=org_tree["commune"],
        document_type=document_types["Nghị quyết"],
        status=OutgoingStatus.ISSUED,
        summary="Về phát triển kinh tế",
        drafted_by=clerk,
        number_symbol="05-NQ/ĐU",
        issued_file=issued,
    )
    item = _item(meeting, clerk)
    doc = agenda_services.agenda_document_add(actor=clerk, item=item, source="outgoing", outgoing=outgoing.pk)
    assert doc.outgoing == outgoing and doc.title == "05-NQ/ĐU — Về phát triển kinh tế"
    assert doc.file.sha256 == issued.sha256 and doc.file_id != issued.pk and doc.page_count == 2


def test_replacing_a_draft_with_a_new_version(meeting, clerk, no_packets, settings):  # noqa: F811
    settings.PARTYHUB_DOCUMENT_LANGUAGE = "en"
    item = _item(meeting, clerk)
    doc = agenda_services.agenda_document_add(actor=clerk, item=item, source="upload", upload=pdf_upload(pages=2))
    old_file = doc.file_id
    doc = agenda_services.agenda_document_update(actor=clerk, document=doc, upload=pdf_upload(pages=5))
    assert doc.file_id != old_file and doc.page_count == 5
    assert no_packets[-1][1].startswith("Document replaced by a new version")


def test_removing_a_document(meeting, clerk, no_packets):  # noqa: F811
    item = _item(meeting, clerk)
    first = agenda_services.agenda_document_add(actor=clerk, item=item, source="upload", upload=pdf_upload(), title="A")
    agenda_services.agenda_document_add(actor=clerk, item=item, source="upload", upload=pdf_upload(), title="B")
    agenda_services.agenda_document_remove(actor=clerk, document=first)
    assert list(AgendaDocument.objects.filter(item=item).values_list("order", "title")) == [(1, "B")]


# --- comments on drafts ----------------------------------------------------------------------------------------


@pytest.fixture
def draft(meeting, clerk, delegate, leader, no_packets):  # noqa: F811
    item = _item(meeting, clerk, "Dự thảo nghị quyết")
    doc = agenda_services.agenda_document_add(
        actor=clerk,
        item=item,
        source="upload",
        upload=pdf_upload(pages=3),
        is_draft=True,
        comments_until=timezone.now() + datetime.timedelta(days=1),
        drafter=leader,
    )
    invite(clerk, meeting, delegate)
    meeting_services.meeting_send_invitations(actor=clerk, meeting=meeting)
    return doc


def test_delegates_comment_and_the_drafter_is_told(draft, delegate, leader):
    comment = agenda_services.draft_comment_add(actor=delegate, document=draft, text="Đề nghị bổ sung mục 3", page=2)
    assert (comment.author, comment.page) == (delegate, 2)
    note = Notification.objects.get(recipient=leader, kind="meeting_draft_comment")
    assert note.title == f"New comment on the draft: {draft.title}"
    assert note.url == f"/meetings/{draft.item.meeting_id}/agenda/{draft.pk}/comments/"
    agenda_services.draft_comment_update(actor=delegate, comment=comment, text="Đề nghị bổ sung mục 3 và 4")
    comment.refresh_from_db()
    assert comment.text == "Đề nghị bổ sung mục 3 và 4"


def test_comment_bad_inputs(draft, delegate, member_user):
    with pytest.raises(ValidationError) as caught:
        agenda_services.draft_comment_add(actor=delegate, document=draft, text="  ")
    assert caught.value.message_dict == {"text": ["Write your comment."]}
    with pytest.raises(ValidationError) as caught:
        agenda_services.draft_comment_add(actor=delegate, document=draft, text="x", page=9)
    assert caught.value.message_dict == {"page": ["Enter a page number of the draft."]}
    with pytest.raises(PermissionDenied):
        agenda_services.draft_comment_add(actor=member_user, document=draft, text="Tôi không được mời")
    assert not DraftComment.objects.exists()


def test_comments_close_at_the_deadline_with_a_clear_message(draft, delegate):
    comment = agenda_services.draft_comment_add(actor=delegate, document=draft, text="Kịp hạn")
    deadline = timezone.now() - datetime.timedelta(minutes=1)
    AgendaDocument.objects.filter(pk=draft.pk).update(comments_until=deadline)
    draft.refresh_from_db()
    when = timezone.localtime(deadline).strftime("%H:%M %d/%m/%Y")
    with pytest.raises(ValidationError) as caught:
        agenda_services.draft_comment_add(actor=delegate, document=draft, text="Trễ hạn")
    assert caught.value.message_dict == {"text": [f"Comments on this draft closed at {when}."]}
    with pytest.raises(ValidationError):
        agenda_services.draft_comment_update(actor=delegate, comment=comment, text="Sửa trễ")
    with pytest.raises(ValidationError):
        agenda_services.draft_comment_delete(actor=delegate, comment=comment)
    assert DraftComment.objects.get().text == "Kịp hạn"


def test_only_the_author_changes_a_comment(draft, delegate, clerk):
    comment = agenda_services.draft_comment_add(actor=delegate, document=draft, text="Của tôi")
    with pytest.raises(PermissionDenied):
        agenda_services.draft_comment_update(actor=clerk, comment=comment, text="Sửa hộ")
    agenda_services.draft_comment_delete(actor=delegate, comment=comment)
    assert not DraftComment.objects.exists()


def test_the_deadline_must_be_in_the_future(meeting, clerk, no_packets):  # noqa: F811
    item = _item(meeting, clerk)
    with pytest.raises(ValidationError) as caught:
        agenda_services.agenda_document_add(
            actor=clerk,
            item=item,
            source="upload",
            upload=pdf_upload(),
            is_draft=True,
            comments_until=timezone.now() - datetime.timedelta(hours=1),
        )
    assert caught.value.message_dict == {"comments_until": ["The deadline for comments must be in the future."]}
