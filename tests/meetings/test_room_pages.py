"""The room screen, check-in by QR (room code → URL; personal code → secretary's device), the secretary's ticks,
the live polls, and the delegate's tablet vote page."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from meetings.models import Attendance, BallotReceipt, MeetingStatus, Vote, VoteStatus
from meetings.services import room as room_services
from meetings.services import votes as vote_services
from members.models import MemberStatus

from .room_factories import delegate, make_meeting, present

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def meeting(org_tree, cell_secretary, member_user):
    return make_meeting(org_tree["cell_a"], created_by=cell_secretary, chair=cell_secretary, minute_taker=member_user)


def _login(client, user):
    client.force_login(user)
    return client


def test_room_screen_shows_the_checkin_qr_code_to_the_chair_only(client, meeting, cell_secretary, outsider):
    d = delegate(meeting)
    response = _login(client, cell_secretary).get(reverse("meetings:room", args=[meeting.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and 'class="qr-code"' in html
    token = room_services.room_token(meeting)
    assert f"/meetings/{meeting.pk}/checkin/{token}/" in html
    assert d.name in html
    for user in (outsider, d.user):
        client.force_login(user)
        assert client.get(reverse("meetings:room", args=[meeting.pk])).status_code == 404


def test_minute_taker_runs_the_room_too(client, meeting, member_user):
    assert _login(client, member_user).get(reverse("meetings:room", args=[meeting.pk])).status_code == 200


def test_delegate_checks_in_by_opening_the_room_code(client, meeting):
    d = delegate(meeting)
    url = reverse("meetings:checkin", args=[meeting.pk, room_services.room_token(meeting)])
    _login(client, d.user)
    page = client.get(url)
    assert page.status_code == 200
    assert "I am here" in page.content.decode()
    d.refresh_from_db()
    assert d.attendance == ""  # opening the link alone changes nothing
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("meetings:vote", args=[meeting.pk])
    d.refresh_from_db()
    assert d.attendance == Attendance.PRESENT and d.checked_in_by == d.user and d.checked_in_at is not None


def test_expired_room_code_is_refused_with_a_clear_message(client, meeting, settings):
    d = delegate(meeting)
    old = room_services.room_token(meeting, at=1_000_000.0)
    response = _login(client, d.user).post(reverse("meetings:checkin", args=[meeting.pk, old]))
    assert response.status_code == 400
    assert "This check-in code has expired. Scan the code on the room screen again." in response.content.decode()
    d.refresh_from_db()
    assert d.attendance == ""


def test_room_code_of_the_previous_period_still_works(meeting):
    now = 2_000_000.0
    previous = room_services.room_token(meeting, at=now - 60)
    assert room_services.room_token_valid(meeting, previous, at=now)
    assert not room_services.room_token_valid(meeting, room_services.room_token(meeting, at=now - 130), at=now)


def test_uninvited_user_and_anonymous_get_nothing_from_the_room_code(client, meeting, outsider, member_user):
    url = reverse("meetings:checkin", args=[meeting.pk, room_services.room_token(meeting)])
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    assert _login(client, outsider).post(url).status_code == 404


def test_secretary_device_opens_a_delegates_personal_code(client, meeting, member_user):
    d = delegate(meeting)
    other = delegate(meeting)
    url = reverse("meetings:checkin_code", args=[meeting.pk, d.checkin_token])
    # Another delegate opening the code (e.g. a photo of it) gets nothing.
    assert _login(client, other.user).post(url).status_code == 404
    _login(client, member_user)  # the minute-taker
    assert d.name in client.get(url).content.decode()
    response = client.post(url)
    assert response.status_code == 302
    d.refresh_from_db()
    assert d.attendance == Attendance.PRESENT and d.checked_in_by == member_user
    assert client.get(reverse("meetings:checkin_code", args=[meeting.pk, "not-a-code"])).status_code == 404


def test_secretary_ticks_names_and_sees_the_summary(client, meeting, member_user):
    people = [delegate(meeting) for _ in range(3)]
    _login(client, member_user)
    url = reverse("meetings:room_attendance_set", args=[meeting.pk, people[0].pk])
    html = client.post(url, {"attendance": "present"}, **HTMX).content.decode()
    assert re.search(r"data-present>\s*1\s*<", html)
    response = client.post(
        reverse("meetings:room_attendance_set", args=[meeting.pk, people[1].pk]),
        {"attendance": "absent_excused"},
        **HTMX,
    )
    assert "Give the reason for the absence." in response.content.decode()
    html = client.post(
        reverse("meetings:room_attendance_set", args=[meeting.pk, people[1].pk]),
        {"attendance": "absent_excused", "reason": "Ốm"},
        **HTMX,
    ).content.decode()
    assert re.search(r"data-absent-excused>\s*1\s*<", html)
    client.post(
        reverse("meetings:room_attendance_set", args=[meeting.pk, people[2].pk]), {"attendance": "absent_unexcused"}
    )
    people[1].refresh_from_db()
    people[2].refresh_from_db()
    assert (people[1].attendance, people[1].absence_reason) == (Attendance.ABSENT_EXCUSED, "Ốm")
    assert people[2].attendance == Attendance.ABSENT_UNEXCUSED
    summary = room_services.attendance_summary(meeting)
    assert (summary.present, summary.absent_excused, summary.absent_unexcused, summary.quorum_reached) == (
        1,
        1,
        1,
        False,
    )


def test_attendance_poll_answers_204_while_nothing_changed(client, meeting, cell_secretary):
    d = delegate(meeting)
    _login(client, cell_secretary)
    url = reverse("meetings:room_attendance", args=[meeting.pk])
    first = client.get(url, **HTMX)
    state = re.search(r"state=([0-9a-f]+)", first.content.decode()).group(1)
    assert client.get(url + f"?state={state}", **HTMX).status_code == 204
    present(d)
    changed = client.get(url + f"?state={state}", **HTMX)
    assert changed.status_code == 200 and re.search(r"data-present>\s*1\s*<", changed.content.decode())


def test_attendance_panel_query_count_does_not_grow_with_the_delegates(client, meeting, cell_secretary):
    for _ in range(3):
        delegate(meeting)
    _login(client, cell_secretary)
    url = reverse("meetings:room_attendance", args=[meeting.pk])
    client.get(url)  # warm caches (sessions, permissions)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(12):
        delegate(meeting)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_chair_opens_the_meeting_and_runs_a_vote_through_the_pages(client, meeting, cell_secretary):
    people = [delegate(meeting) for _ in range(3)]
    _login(client, cell_secretary)
    client.post(reverse("meetings:room_state", args=[meeting.pk, "open"]))
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.IN_PROGRESS
    present(*people)
    html = client.post(
        reverse("meetings:room_vote_new", args=[meeting.pk]),
        {"vote-question": "Thông qua nghị quyết?", "vote-kind": "secret", "vote-rule": "majority"},
        **HTMX,
    ).content.decode()
    vote = Vote.objects.get(meeting=meeting)
    assert "Thông qua nghị quyết?" in html and vote.kind == "secret"
    client.post(reverse("meetings:room_vote_action", args=[meeting.pk, vote.pk, "open"]), **HTMX)
    vote.refresh_from_db()
    assert vote.status == VoteStatus.OPEN

    # Two delegates vote on their tablets.
    for inv, choice in ((people[0], "agree"), (people[1], "disagree")):
        client.force_login(inv.user)
        page = client.get(reverse("meetings:vote", args=[meeting.pk])).content.decode()
        assert 'data-choice="agree"' in page
        answer = client.post(reverse("meetings:vote_cast", args=[meeting.pk, vote.pk]), {"choice": choice}, **HTMX)
        text = answer.content.decode()
        assert "Your vote is recorded." in text
        # Nothing about the answer comes back for a secret ballot.
        for label in ("Agree", "Disagree", "Abstain", "agree", "disagree", "abstain"):
            assert label not in text
        again = client.post(reverse("meetings:vote_cast", args=[meeting.pk, vote.pk]), {"choice": "agree"}, **HTMX)
        assert "You have already voted. Each delegate answers only once." in again.content.decode()
    assert BallotReceipt.objects.filter(vote=vote).count() == 2

    client.force_login(cell_secretary)
    live = client.get(reverse("meetings:room_votes", args=[meeting.pk]), **HTMX).content.decode()
    assert "2 delegates have voted on a tablet" in live
    assert "in favour" not in live  # no count while the secret ballot is open
    html = client.post(
        reverse("meetings:room_vote_action", args=[meeting.pk, vote.pk, "close"]), **HTMX
    ).content.decode()
    assert "1/3 in favour (33.3%)" in html and "Not passed" in html

    # The delegates' tablets show the last result.
    client.force_login(people[2].user)
    tablet = client.get(reverse("meetings:vote", args=[meeting.pk])).content.decode()
    assert "No vote is open now." in tablet and "1/3 in favour (33.3%)" in tablet


def test_probationary_delegate_sees_no_buttons_and_a_clear_message(client, meeting, cell_secretary):
    people = [delegate(meeting) for _ in range(2)]
    probationary = delegate(meeting, status=MemberStatus.PROBATIONARY)
    room_services.meeting_open(actor=cell_secretary, meeting=meeting)
    present(*people, probationary)
    vote = vote_services.vote_create(actor=cell_secretary, meeting=meeting, question="Thông qua?")
    vote_services.vote_open(actor=cell_secretary, vote=vote)
    client.force_login(probationary.user)
    page = client.get(reverse("meetings:vote", args=[meeting.pk])).content.decode()
    assert "only official members vote" in page and 'data-choice="agree"' not in page
    forced = client.post(reverse("meetings:vote_cast", args=[meeting.pk, vote.pk]), {"choice": "agree"}, **HTMX)
    assert "Probationary members do not vote" in forced.content.decode()


def test_vote_page_of_another_meeting_is_404(client, meeting, org_tree, cell_secretary):
    d = delegate(meeting)
    other = make_meeting(org_tree["cell_a"], created_by=cell_secretary, title="Họp khác")
    client.force_login(d.user)
    assert client.get(reverse("meetings:vote", args=[other.pk])).status_code == 404
    assert client.get(reverse("meetings:vote", args=[meeting.pk])).status_code == 200


def test_vote_panel_poll_answers_204_until_a_vote_opens(client, meeting, cell_secretary):
    people = [delegate(meeting) for _ in range(2)]
    room_services.meeting_open(actor=cell_secretary, meeting=meeting)
    present(*people)
    client.force_login(people[0].user)
    url = reverse("meetings:vote_panel", args=[meeting.pk])
    state = re.search(r"state=([0-9a-f]+)", client.get(url, **HTMX).content.decode()).group(1)
    assert client.get(url + f"?state={state}", **HTMX).status_code == 204
    vote = vote_services.vote_create(actor=cell_secretary, meeting=meeting, question="Thông qua?")
    vote_services.vote_open(actor=cell_secretary, vote=vote)
    opened = client.get(url + f"?state={state}", **HTMX)
    assert opened.status_code == 200 and "Thông qua?" in opened.content.decode()


def test_meeting_page_panels(client, meeting, cell_secretary, member_user):
    people = [delegate(meeting) for _ in range(3)]
    room_services.meeting_open(actor=cell_secretary, meeting=meeting)
    present(*people[:2])
    vote = vote_services.vote_create(actor=cell_secretary, meeting=meeting, question="Thông qua kế hoạch?")
    vote_services.vote_open(actor=cell_secretary, vote=vote)
    for person in people[:2]:
        vote_services.ballot_cast(actor=person.user, vote=vote, choice="agree")
    vote_services.vote_close(actor=cell_secretary, vote=vote)
    url = reverse("meetings:detail", args=[meeting.pk])

    client.force_login(cell_secretary)
    html = " ".join(client.get(url).content.decode().split())
    assert "2 of 3 members present" in html and "Quorum reached" in html
    assert "Thông qua kế hoạch?" in html and "2/3 in favour (66.7%)" in html
    assert reverse("meetings:room", args=[meeting.pk]) in html
    assert reverse("meetings:minutes", args=[meeting.pk]) in html and "Not assembled yet" in html

    client.force_login(people[0].user)
    html = client.get(url).content.decode()
    assert reverse("meetings:vote", args=[meeting.pk]) in html
    assert reverse("meetings:room", args=[meeting.pk]) not in html
    assert reverse("meetings:minutes", args=[meeting.pk]) not in html


@pytest.fixture
def room_catalogue(tmp_path, settings):
    from .room_factories import compile_room_catalogue

    compile_room_catalogue(tmp_path, settings)


@pytest.mark.vietnamese
def test_result_is_shown_as_x_of_y_tan_thanh_in_vietnamese(client, meeting, cell_secretary, room_catalogue):
    people = [delegate(meeting) for _ in range(9)]
    room_services.meeting_open(actor=cell_secretary, meeting=meeting)
    present(*people)
    vote = vote_services.vote_create(
        actor=cell_secretary, meeting=meeting, question="Kết nạp đảng viên mới?", rule_code="two_thirds"
    )
    vote_services.vote_open(actor=cell_secretary, vote=vote)
    for person, choice in zip(people, ["agree"] * 6 + ["disagree"] * 3, strict=True):
        vote_services.ballot_cast(actor=person.user, vote=vote, choice=choice)
    vote_services.vote_close(actor=cell_secretary, vote=vote)
    cell_secretary.preferred_language = "vi"
    cell_secretary.save(update_fields=["preferred_language"])
    client.force_login(cell_secretary)
    html = client.get(reverse("meetings:room", args=[meeting.pk])).content.decode()
    html = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "6/9 tán thành (66,7%) — Thông qua" in html
    assert "Đủ số lượng để tiến hành" in html


def test_votes_panel_query_count_does_not_grow_with_the_votes(client, meeting, cell_secretary):
    people = [delegate(meeting) for _ in range(2)]
    room_services.meeting_open(actor=cell_secretary, meeting=meeting)
    present(*people)

    def add_vote(kind):
        vote = vote_services.vote_create(actor=cell_secretary, meeting=meeting, question="Q?", kind=kind)
        vote_services.vote_open(actor=cell_secretary, vote=vote)
        vote_services.ballot_cast(actor=people[0].user, vote=vote, choice="agree")
        vote_services.vote_close(actor=cell_secretary, vote=vote)

    add_vote("open")
    client.force_login(cell_secretary)
    url = reverse("meetings:room_votes", args=[meeting.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert "1/2 in favour (50.0%)" in client.get(url).content.decode()
    for kind in ("open", "secret", "secret", "open"):
        add_vote(kind)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)
