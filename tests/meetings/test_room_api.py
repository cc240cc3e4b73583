"""The room's API: attendance, check-in, votes (create/open/cast/close/result), paper ballots."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from meetings.models import Attendance, VoteStatus
from meetings.services import room as room_services

from .room_factories import delegate, make_meeting, present

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(org_tree, cell_secretary, member_user):
    return make_meeting(org_tree["cell_a"], created_by=cell_secretary, chair=cell_secretary, minute_taker=member_user)


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_attendance_api_for_the_room_only(meeting, member_user, outsider):
    people = [delegate(meeting) for _ in range(3)]
    present(people[0])
    url = reverse("api-meeting-attendance", args=[meeting.pk])
    data = api(member_user).get(url).json()
    assert data["summary"]["present"] == 1 and data["summary"]["total_members"] == 3
    assert data["summary"]["denominator"] == 3 and data["summary"]["quorum_reached"] is False
    assert [p["name"] for p in data["people"]] == [p.name for p in people]
    assert api(outsider).get(url).status_code == 404
    assert api(people[1].user).get(url).status_code == 404

    tick = api(member_user).post(
        reverse("api-meeting-attendance-set", args=[meeting.pk, people[1].pk]),
        {"attendance": "absent_excused"},
        format="json",
    )
    assert tick.status_code == 400 and tick.json() == {"reason": ["Give the reason for the absence."]}
    tick = api(member_user).post(
        reverse("api-meeting-attendance-set", args=[meeting.pk, people[1].pk]),
        {"attendance": "absent_excused", "reason": "Đi công tác"},
        format="json",
    )
    assert tick.status_code == 200 and tick.json()["attendance"] == Attendance.ABSENT_EXCUSED


def test_checkin_api(meeting):
    d = delegate(meeting)
    url = reverse("api-meeting-checkin", args=[meeting.pk])
    bad = api(d.user).post(url, {"token": "nope"}, format="json")
    assert bad.status_code == 400
    assert bad.json() == {
        "non_field_errors": ["This check-in code has expired. Scan the code on the room screen again."]
    }
    ok = api(d.user).post(url, {"token": room_services.room_token(meeting)}, format="json")
    assert ok.status_code == 200 and ok.json()["attendance"] == "present"


def test_vote_lifecycle_through_the_api(meeting, cell_secretary, outsider):
    people = [delegate(meeting) for _ in range(4)]
    room_services.meeting_open(actor=cell_secretary, meeting=meeting)
    present(*people)
    chair = api(cell_secretary)
    created = chair.post(
        reverse("api-meeting-vote-list", args=[meeting.pk]),
        {"question": "Thông qua nghị quyết?", "kind": "open", "rule": "majority"},
        format="json",
    )
    assert created.status_code == 201
    vote_id = created.json()["id"]
    assert created.json()["status"] == VoteStatus.DRAFT and created.json()["rule"] == "majority"
    # A delegate cannot create or open votes: 404 as for a missing thing.
    assert (
        api(people[0].user)
        .post(reverse("api-meeting-vote-list", args=[meeting.pk]), {"question": "x"}, format="json")
        .status_code
        == 404
    )
    assert api(people[0].user).post(reverse("api-meeting-vote-open", args=[meeting.pk, vote_id])).status_code == 404
    assert chair.post(reverse("api-meeting-vote-open", args=[meeting.pk, vote_id])).json()["status"] == "open"

    cast = reverse("api-meeting-vote-cast", args=[meeting.pk, vote_id])
    for person, choice in zip(people[:3], ["agree", "agree", "disagree"], strict=True):
        answer = api(person.user).post(cast, {"choice": choice}, format="json")
        assert answer.status_code == 201 and answer.json() == {"recorded": True}
    again = api(people[0].user).post(cast, {"choice": "agree"}, format="json")
    assert again.status_code == 400
    assert again.json() == {"non_field_errors": ["You have already voted. Each delegate answers only once."]}
    assert api(outsider).post(cast, {"choice": "agree"}, format="json").status_code == 404

    detail = api(people[0].user).get(reverse("api-meeting-vote-detail", args=[meeting.pk, vote_id])).json()
    assert detail["voted"] == 3 and detail["has_voted"] is True and detail["result"] is None

    paper = chair.post(reverse("api-meeting-vote-paper", args=[meeting.pk, vote_id]), {"abstain": 1}, format="json")
    assert paper.status_code == 200
    closed = chair.post(reverse("api-meeting-vote-close", args=[meeting.pk, vote_id])).json()
    assert closed["status"] == "closed"
    assert closed["result"]["agree"] == 2 and closed["result"]["base"] == 4 and closed["result"]["passed"] is False
    assert closed["result"]["text"] == "2/4 in favour (50.0%)"
    listed = api(people[3].user).get(reverse("api-meeting-vote-list", args=[meeting.pk])).json()
    assert [v["id"] for v in listed] == [vote_id] and listed[0]["has_voted"] is False
