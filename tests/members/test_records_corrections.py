"""Correction requests: the member asks from the handbook, the office and the cell secretary are notified,
the clerk answers, the member is notified; and the home-page sections of the registry."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation

from members.models import CorrectionRequest, Member
from partyhub.home import sections_for
from partyhub.models import Notification
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def ask(client, user, message="My date of birth is 15/03/1980, not 1981.", field_name="date_of_birth"):
    client.force_login(user)
    return client.post(reverse("members:handbook_correction"), {"field_name": field_name, "message": message})


def test_member_asks_and_clerk_and_cell_secretary_are_notified(
    client, member_user, clerk, cell_secretary, leader, outsider
):
    response = ask(client, member_user)
    assert response.status_code == 302
    request = CorrectionRequest.objects.get()
    assert request.member.user == member_user
    assert request.status == "open"
    assert request.field_name == "date_of_birth"
    notified = set(
        Notification.objects.filter(kind="member_correction_requested").values_list("recipient__username", flat=True)
    )
    assert notified == {"clerk", "cellsec"}
    note = Notification.objects.filter(recipient=clerk).get()
    assert note.url == reverse("members:correction_list")
    assert "correction" in note.title


def test_empty_request_is_refused_with_a_message(client, member_user, clerk):
    client.force_login(member_user)
    response = client.post(reverse("members:handbook_correction"), {"field_name": "", "message": "   "})
    assert response.status_code == 400
    assert "Write what is wrong and what it should be." in response.content.decode()
    assert not CorrectionRequest.objects.exists()
    assert not Notification.objects.exists()


def test_too_many_open_requests(client, member_user):
    for _ in range(5):
        assert ask(client, member_user).status_code == 302
    response = ask(client, member_user)
    assert response.status_code == 400
    assert "You already have 5 requests waiting" in response.content.decode()


def test_clerk_rejects_with_an_answer_and_member_is_notified(client, member_user, clerk):
    ask(client, member_user)
    request = CorrectionRequest.objects.get()
    client.force_login(clerk)
    page = client.get(reverse("members:correction_list"))
    assert page.status_code == 200
    assert "My date of birth is 15/03/1980" in page.content.decode()
    url = reverse("members:correction_resolve", args=[request.pk])
    prefix = f"c{request.pk}"
    response = client.post(url, {f"{prefix}-status": "rejected", f"{prefix}-response": ""})
    assert response.status_code == 400
    assert "Explain to the member why the request is rejected." in response.content.decode()
    request.refresh_from_db()
    assert request.status == "open"
    response = client.post(
        url, {f"{prefix}-status": "rejected", f"{prefix}-response": "Your birth certificate says 1981."}
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "rejected"
    assert request.resolved_by == clerk
    assert request.resolved_at is not None
    note = Notification.objects.get(recipient=member_user, kind="member_correction_answered")
    assert note.title == "Your correction request was not accepted"
    assert note.body == "Your birth certificate says 1981."
    # Answered once only.
    response = client.post(url, {f"{prefix}-status": "done", f"{prefix}-response": ""})
    assert response.status_code == 400
    # The member sees the answer in the handbook.
    client.force_login(member_user)
    assert "Your birth certificate says 1981." in client.get(reverse("members:handbook")).content.decode()


def test_cell_secretary_resolves_for_their_cell_only(client, member_user, cell_secretary, org_tree):
    ask(client, member_user)
    request = CorrectionRequest.objects.get()
    other = MemberFactory(organization=org_tree["cell_b"])
    foreign = CorrectionRequest.objects.create(member=other, requested_by=member_user, message="x")
    client.force_login(cell_secretary)
    listed = client.get(reverse("members:correction_list")).context["open_rows"]
    assert [row[0].pk for row in listed] == [request.pk]
    prefix = f"c{foreign.pk}"
    response = client.post(reverse("members:correction_resolve", args=[foreign.pk]), {f"{prefix}-status": "done"})
    assert response.status_code == 404
    prefix = f"c{request.pk}"
    response = client.post(reverse("members:correction_resolve", args=[request.pk]), {f"{prefix}-status": "done"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "done"
    assert Notification.objects.get(recipient=member_user, kind="member_correction_answered").title == (
        "Your member record was corrected as you asked"
    )


@pytest.mark.parametrize("role", ["handler", "delegate", "member_user", "outsider"])
def test_correction_pages_are_closed_to_others(client, request, role, member_user):
    ask(client, member_user)
    item = CorrectionRequest.objects.get()
    user = request.getfixturevalue(role)
    client.force_login(user)
    assert client.get(reverse("members:correction_list")).status_code == 404
    prefix = f"c{item.pk}"
    response = client.post(reverse("members:correction_resolve", args=[item.pk]), {f"{prefix}-status": "done"})
    assert response.status_code == 404
    item.refresh_from_db()
    assert item.status == "open"


def test_home_section_lists_open_requests_for_the_clerk(client, rf, member_user, clerk, handler):
    home_request = rf.get("/")
    home_request.user = clerk
    assert "Correction requests from members" not in {str(s.title) for s in sections_for(home_request)}
    ask(client, member_user)
    home_request = rf.get("/")
    home_request.user = clerk
    titles = {str(s.title): s for s in sections_for(home_request)}
    section = titles["Correction requests from members"]
    assert [item.title for item in section.items] == [Member.objects.get(user=member_user).full_name]
    home_request.user = handler
    assert "Correction requests from members" not in {str(s.title) for s in sections_for(home_request)}


def test_home_section_lists_members_due_for_recognition_for_the_cell_secretary(rf, cell_secretary, clerk, org_tree):
    today = datetime.date.today()
    due = MemberFactory(
        full_name="Lý Văn Dự Bị",
        organization=org_tree["cell_a"],
        status="probationary",
        recognition_due_date=today + datetime.timedelta(days=5),
    )
    MemberFactory(
        full_name="Lý Văn Còn Xa",
        organization=org_tree["cell_a"],
        status="probationary",
        recognition_due_date=today + datetime.timedelta(days=200),
    )
    MemberFactory(
        full_name="Lý Văn Khác Chi Bộ",
        organization=org_tree["cell_b"],
        status="probationary",
        recognition_due_date=today + datetime.timedelta(days=5),
    )
    home_request = rf.get("/")
    home_request.user = cell_secretary
    section = {str(s.title): s for s in sections_for(home_request)}["Members due for recognition"]
    assert [item.title for item in section.items] == [due.full_name]
    assert section.items[0].url == reverse("members:detail", args=[due.pk])
    home_request.user = clerk
    assert "Members due for recognition" not in {str(s.title) for s in sections_for(home_request)}


@pytest.mark.postgres
def test_trigram_index_exists_on_postgresql():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'member_search_text_trgm'")
        row = cursor.fetchone()
    assert row is not None and "gin_trgm_ops" in row[0]
