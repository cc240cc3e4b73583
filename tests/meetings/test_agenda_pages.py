"""The agenda editor and the comments page (helper "meet")."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from meetings.models import AgendaDocument, AgendaItem, DraftComment
from meetings.services import agenda as agenda_services
from meetings.services import meetings as meeting_services

from ..documents.factories import registered_incoming
from .meet_factories import invite, make_meeting, no_packets, pdf_upload, private_storage  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(org_tree, clerk, private_storage, no_packets):  # noqa: F811
    return make_meeting(clerk, org_tree["cell_a"])


def test_agenda_editor_adds_items_documents_and_reorders(client, clerk, meeting):
    client.force_login(clerk)
    url = reverse("meetings:agenda", args=[meeting.pk])
    for title in ("Khai mạc", "Thảo luận"):
        response = client.post(
            url, {"action": "add_item", "item-title": title, "item-presenter": "Bí thư", "item-planned_minutes": "15"}
        )
        assert response.status_code == 302
    first, second = AgendaItem.objects.filter(meeting=meeting)
    response = client.post(
        url,
        {
            "action": "add_document",
            "item": second.pk,
            "doc-source": "upload",
            "doc-upload": pdf_upload(),
            "doc-title": "Dự thảo",
        },
    )
    assert response.status_code == 302
    assert AgendaDocument.objects.get().title == "Dự thảo"
    client.post(url, {"action": "move_item", "item": second.pk, "direction": "up"})
    assert list(AgendaItem.objects.filter(meeting=meeting).values_list("title", flat=True)) == ["Thảo luận", "Khai mạc"]
    page = client.get(url).content.decode()
    assert page.index("Thảo luận") < page.index("Khai mạc")
    assert "Dự thảo" in page and "15 minutes" in page
    client.post(url, {"action": "update_item", "item": first.pk, f"item{first.pk}-title": "Khai mạc hội nghị"})
    assert AgendaItem.objects.get(pk=first.pk).title == "Khai mạc hội nghị"
    client.post(url, {"action": "remove_item", "item": first.pk})
    assert list(AgendaItem.objects.filter(meeting=meeting).values_list("order", "title")) == [(1, "Thảo luận")]


def test_agenda_editor_shows_exact_messages_for_bad_input(client, clerk, meeting):
    client.force_login(clerk)
    url = reverse("meetings:agenda", args=[meeting.pk])
    client.post(url, {"action": "add_item", "item-title": "Mục 1"})
    item = AgendaItem.objects.get()
    bad = SimpleUploadedFile("anh.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, content_type="image/png")
    response = client.post(url, {"action": "add_document", "item": item.pk, "doc-source": "upload", "doc-upload": bad})
    assert response.status_code == 400
    assert "Files of this type are not accepted here. Accepted: .pdf." in response.content.decode()
    response = client.post(
        url, {"action": "add_document", "item": item.pk, "doc-source": "incoming", "doc-incoming": ""}
    )
    assert "Choose the document." in response.content.decode()
    response = client.post(url, {"action": "add_item", "item-title": "x", "item-planned_minutes": "0"})
    assert "Enter the planned time in minutes (1 to 600)." in response.content.decode()
    assert not AgendaDocument.objects.exists() and AgendaItem.objects.count() == 1


def test_the_incoming_picker_lists_only_visible_registered_documents(client, clerk, org_tree, meeting):
    mine = registered_incoming(org_tree["commune"], number_symbol="12-CT/TU")
    registered_incoming(org_tree["other_commune"], number_symbol="99-CT/TU")
    agenda_services.agenda_item_add(actor=clerk, meeting=meeting, title="Mục")
    client.force_login(clerk)
    page = client.get(reverse("meetings:agenda", args=[meeting.pk])).content.decode()
    assert "12-CT/TU" in page and "99-CT/TU" not in page
    assert f'value="{mine.pk}"' in page


def test_comments_page_drafter_sees_all_delegates_their_own(client, clerk, leader, delegate, member_user, meeting):
    item = agenda_services.agenda_item_add(actor=clerk, meeting=meeting, title="Dự thảo")
    doc = agenda_services.agenda_document_add(
        actor=clerk,
        item=item,
        source="upload",
        upload=pdf_upload(),
        is_draft=True,
        comments_until=timezone.now() + datetime.timedelta(days=2),
        drafter=leader,
    )
    invite(clerk, meeting, delegate)
    invite(clerk, meeting, member_user)
    meeting_services.meeting_send_invitations(actor=clerk, meeting=meeting)
    url = reverse("meetings:draft_comments", args=[meeting.pk, doc.pk])
    client.force_login(delegate)
    assert client.post(url, {"action": "add", "text": "Ý kiến của đại biểu A", "page": "1"}).status_code == 302
    client.force_login(member_user)
    client.post(url, {"action": "add", "text": "Ý kiến của đảng viên B"})
    page = client.get(url).content.decode()
    assert "Ý kiến của đảng viên B" in page and "Ý kiến của đại biểu A" not in page
    client.force_login(leader)  # the drafter
    page = client.get(url).content.decode()
    assert "2 comments" in page and "Ý kiến của đại biểu A" in page and "Ý kiến của đảng viên B" in page
    # After the deadline: the message, and nothing more is accepted.
    AgendaDocument.objects.filter(pk=doc.pk).update(comments_until=timezone.now() - datetime.timedelta(minutes=5))
    client.force_login(delegate)
    response = client.post(url, {"action": "add", "text": "Trễ"})
    assert response.status_code == 400
    assert "Comments on this draft closed at" in response.content.decode()
    assert DraftComment.objects.count() == 2
