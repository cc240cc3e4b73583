"""The meetings API (helper "meet"): meetings, invitations, agenda, documents, comments, schedule — checked
through the selectors (404 for what the caller may not see) with the services' messages on bad input."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from meetings.models import AgendaDocument, Meeting
from meetings.services import agenda as agenda_services
from meetings.services import meetings as meeting_services

from .meet_factories import at, invite, make_meeting, no_packets, pdf_upload, private_storage  # noqa: F401

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_create_list_and_change_a_meeting(clerk, org_tree, delegate):
    client = api(clerk)
    body = {
        "organization": org_tree["cell_a"].pk,
        "kind": "cell_regular",
        "title": "Sinh hoạt chi bộ",
        "starts_at": "2030-05-05T08:00:00+07:00",
        "ends_at": "2030-05-05T07:00:00+07:00",
    }
    response = client.post("/api/v1/meetings/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"ends_at": ["The meeting cannot end before it starts."]}
    body["ends_at"] = "2030-05-05T11:00:00+07:00"
    body["chair"] = 999999
    response = client.post("/api/v1/meetings/", body, format="json")
    assert response.status_code == 400 and response.json() == {"chair": ["Unknown user."]}
    del body["chair"]
    response = client.post("/api/v1/meetings/", {**body, "organization": org_tree["other_cell"].pk}, format="json")
    assert response.status_code == 400 and response.json() == {"organization": ["Unknown organization."]}
    response = client.post("/api/v1/meetings/", body, format="json")
    assert response.status_code == 201
    pk = response.json()["id"]
    assert response.json()["agenda"] == []
    listed = client.get("/api/v1/meetings/", {"when": "upcoming"}).json()
    assert [m["id"] for m in listed["results"]] == [pk]
    response = client.patch(f"/api/v1/meetings/{pk}/", {"place": "Hội trường"}, format="json")
    assert response.status_code == 200 and response.json()["place"] == "Hội trường"
    # A delegate (not invited) does not even see it; an invited one sees, but cannot change it.
    assert api(delegate).get(f"/api/v1/meetings/{pk}/").status_code == 404
    meeting = Meeting.objects.get(pk=pk)
    invite(clerk, meeting, delegate)
    meeting_services.meeting_send_invitations(actor=clerk, meeting=meeting)
    assert api(delegate).get(f"/api/v1/meetings/{pk}/").status_code == 200
    assert api(delegate).patch(f"/api/v1/meetings/{pk}/", {"place": "x"}, format="json").status_code == 404
    assert api(delegate).get(f"/api/v1/meetings/{pk}/invitations/").status_code == 404


def test_list_query_count_is_pinned(clerk, org_tree, django_assert_num_queries):
    for i in range(2):
        make_meeting(clerk, org_tree["cell_a"], title=f"Họp {i}")
    client = api(clerk)
    client.get("/api/v1/meetings/")
    # The caller's access facts are cached on the user object: a count and a page.
    with django_assert_num_queries(2) as captured:
        assert client.get("/api/v1/meetings/").status_code == 200
    for i in range(2, 12):
        make_meeting(clerk, org_tree["cell_b"], title=f"Họp {i}")
    with django_assert_num_queries(len(captured.captured_queries)):
        assert client.get("/api/v1/meetings/").json()["count"] == 12


def test_invitations_api(clerk, org_tree, member_user):
    meeting = make_meeting(clerk, org_tree["cell_a"])
    client = api(clerk)
    url = f"/api/v1/meetings/{meeting.pk}/invitations/"
    assert client.post(url, {"user": 999999}, format="json").json() == {"user": ["Unknown user."]}
    assert client.post(url, {"member": 999999}, format="json").json() == {"member": ["Unknown member."]}
    assert client.post(url, {"name": "Khách"}, format="json").json() == {"email": ["Enter the guest's e-mail address."]}
    created = client.post(url, {"member": member_user.member.pk}, format="json")
    assert (
        created.status_code == 201 and created.json()["copy_number"] == 1 and created.json()["user"] == member_user.pk
    )
    assert "checkin_token" not in created.json()
    guest = client.post(url, {"name": "Khách", "email": "khach@example.test"}, format="json").json()
    assert guest["kind"] == "guest" and guest["copy_number"] == 2
    response = client.post(f"/api/v1/meetings/{meeting.pk}/send-invitations/")
    assert response.json() == {"sent": 2}
    response = client.delete(f"{url}{guest['id']}/")
    assert response.status_code == 204
    assert [i["name"] for i in client.get(url).json()] == [member_user.member.full_name]


def test_agenda_documents_and_comments_api(clerk, org_tree, delegate, private_storage, no_packets):  # noqa: F811
    meeting = make_meeting(clerk, org_tree["cell_a"])
    client = api(clerk)
    item = client.post(
        f"/api/v1/meetings/{meeting.pk}/agenda/", {"title": "Dự thảo", "planned_minutes": 20}, format="json"
    )
    assert item.status_code == 201 and item.json()["order"] == 1
    item_id = item.json()["id"]
    bad = SimpleUploadedFile("x.txt", b"hello", content_type="text/plain")
    response = client.post(
        f"/api/v1/meetings/{meeting.pk}/agenda/{item_id}/documents/",
        {"source": "upload", "upload": bad},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json() == {"upload": ["Files of this type are not accepted here. Accepted: .pdf."]}
    until = (timezone.now() + datetime.timedelta(days=1)).isoformat()
    response = client.post(
        f"/api/v1/meetings/{meeting.pk}/agenda/{item_id}/documents/",
        {"source": "upload", "upload": pdf_upload(pages=2), "is_draft": True, "comments_until": until},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    doc = response.json()
    assert doc["page_count"] == 2 and doc["file_url"].startswith("/files/") and doc["on_paper"] is False
    agenda = client.get(f"/api/v1/meetings/{meeting.pk}/agenda/").json()
    assert [d["id"] for d in agenda[0]["documents"]] == [doc["id"]]
    invite(clerk, meeting, delegate)
    meeting_services.meeting_send_invitations(actor=clerk, meeting=meeting)
    comments_url = f"/api/v1/meetings/{meeting.pk}/documents/{doc['id']}/comments/"
    response = api(delegate).post(comments_url, {"text": "Góp ý", "page": 1}, format="json")
    assert response.status_code == 201 and response.json()["author"]["id"] == delegate.pk
    assert [c["text"] for c in client.get(comments_url).json()] == ["Góp ý"]  # the office reads them all
    AgendaDocument.objects.filter(pk=doc["id"]).update(comments_until=timezone.now() - datetime.timedelta(hours=1))
    response = api(delegate).post(comments_url, {"text": "Trễ"}, format="json")
    assert response.status_code == 400 and response.json()["text"][0].startswith("Comments on this draft closed at")
    moved = client.post(f"/api/v1/meetings/{meeting.pk}/agenda/{item_id}/move/", {"direction": "down"}, format="json")
    assert moved.status_code == 200


def test_schedule_api(clerk, member_user, org_tree):
    client = api(clerk)
    response = client.post(
        "/api/v1/schedule/",
        {
            "organization": org_tree["commune"].pk,
            "title": "Giao ban",
            "starts_at": at(1, 7).isoformat(),
            "published": True,
        },
        format="json",
    )
    assert response.status_code == 201
    week = at(1).date().isoformat()
    assert [e["title"] for e in api(member_user).get("/api/v1/schedule/", {"week": week}).json()] == ["Giao ban"]
    entry_id = response.json()["id"]
    assert api(member_user).patch(f"/api/v1/schedule/{entry_id}/", {"title": "x"}, format="json").status_code == 404
    response = client.patch(f"/api/v1/schedule/{entry_id}/", {"ends_at": at(1, 6).isoformat()}, format="json")
    assert response.status_code == 400 and response.json() == {"ends_at": ["It cannot end before it starts."]}


def test_the_schema_documents_the_meetings_api(admin_user):
    response = api(admin_user).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/meetings/",
        "/api/v1/meetings/{id}/",
        "/api/v1/meetings/{id}/agenda/",
        "/api/v1/meetings/{id}/invitations/",
        "/api/v1/meetings/{id}/documents/{doc_pk}/comments/",
        "/api/v1/schedule/",
    ):
        assert path in paths, path


def test_agenda_of_a_meeting_of_another_commune_is_404(clerk, outsider, org_tree, private_storage, no_packets):  # noqa: F811
    meeting = make_meeting(clerk, org_tree["cell_a"])
    agenda_services.agenda_item_add(actor=clerk, meeting=meeting, title="Mục")
    assert api(outsider).get(f"/api/v1/meetings/{meeting.pk}/agenda/").status_code == 404
    assert (
        api(outsider).post(f"/api/v1/meetings/{meeting.pk}/agenda/", {"title": "x"}, format="json").status_code == 404
    )
