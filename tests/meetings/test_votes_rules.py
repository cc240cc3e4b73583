"""Voting rights and the rules of domain.md §5: who votes, the denominator, more than half, two thirds,
paper ballots, the result text "x/y tán thành (z%)"."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from meetings.models import Attendance, Ballot, MeetingStatus, VoteKind, VoteStatus
from meetings.services import room as room_services
from meetings.services import votes as vote_services
from meetings.services.minutes import vietnamese_result_text
from members.models import MemberActivity, MemberStatus

from .room_factories import agenda_item, delegate, invite, make_meeting, present

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(org_tree, cell_secretary, member_user):
    return make_meeting(org_tree["cell_a"], created_by=cell_secretary, chair=cell_secretary, minute_taker=member_user)


def _open_meeting(meeting, chair):
    return room_services.meeting_open(actor=chair, meeting=meeting)


def _cast(vote, invitations, choice):
    for inv in invitations:
        vote_services.ballot_cast(actor=inv.user, vote=vote, choice=choice)


def test_meeting_open_fixes_voting_rights_from_member_records(meeting, cell_secretary):
    official = delegate(meeting)
    probationary = delegate(meeting, status=MemberStatus.PROBATIONARY)
    suspended = delegate(meeting, activity=MemberActivity.SUSPENDED)
    away = delegate(meeting, activity=MemberActivity.TEMPORARY_OUT)
    visiting = delegate(meeting, activity=MemberActivity.TEMPORARY_IN)
    exempted = delegate(meeting, activity=MemberActivity.EXEMPTED)
    guest = invite(meeting, name="Đại diện Mặt trận", kind="guest")

    opened = _open_meeting(meeting, cell_secretary)

    assert opened.status == MeetingStatus.IN_PROGRESS and opened.opened_at is not None
    rights = {}
    for inv in (official, probationary, suspended, away, visiting, exempted, guest):
        inv.refresh_from_db()
        rights[inv.pk] = (inv.may_vote, inv.counts_for_quorum)
    assert rights[official.pk] == (True, True)
    assert rights[probationary.pk] == (False, False)
    assert rights[suspended.pk] == (False, False)
    assert rights[away.pk] == (True, False)
    assert rights[visiting.pk] == (False, False)
    assert rights[exempted.pk] == (True, True)
    assert rights[guest.pk] == (False, False)
    # Exempted members start as "exempted" (absent, out of the denominator) until they come.
    assert exempted.attendance == Attendance.EXEMPTED


def test_only_the_chair_or_the_office_opens_the_meeting(meeting, member_user, outsider):
    for user in (member_user, outsider):
        with pytest.raises(PermissionDenied):
            room_services.meeting_open(actor=user, meeting=meeting)


def test_denominator_leaves_out_temporary_out_suspended_and_absent_exempted(meeting, cell_secretary):
    counted = [delegate(meeting) for _ in range(4)]
    delegate(meeting, activity=MemberActivity.TEMPORARY_OUT)
    delegate(meeting, activity=MemberActivity.SUSPENDED)
    exempted = delegate(meeting, activity=MemberActivity.EXEMPTED)
    delegate(meeting, status=MemberStatus.PROBATIONARY)
    _open_meeting(meeting, cell_secretary)

    summary = room_services.attendance_summary(meeting)
    assert summary.total_members == 8
    assert summary.denominator == 4  # exempted and absent: not counted
    assert summary.exempted == 1

    present(*counted[:3])
    room_services.attendance_set(actor=cell_secretary, invitation=exempted, attendance=Attendance.PRESENT)
    summary = room_services.attendance_summary(meeting)
    assert summary.denominator == 5  # exempted but present: counted
    assert summary.counted_present == 4
    assert summary.present == 4
    assert summary.exempted == 0


def test_quorum_two_thirds_of_counted_members_present(meeting, cell_secretary):
    people = [delegate(meeting) for _ in range(9)]
    _open_meeting(meeting, cell_secretary)
    present(*people[:5])
    summary = room_services.attendance_summary(meeting)
    assert (summary.counted_present, summary.denominator, summary.quorum_needed) == (5, 9, 6)
    assert summary.quorum_reached is False
    vote = vote_services.vote_create(actor=cell_secretary, meeting=meeting, question="Thông qua nghị quyết?")
    with pytest.raises(ValidationError) as exc:
        vote_services.vote_open(actor=cell_secretary, vote=vote)
    assert "The quorum is not reached: 5 of 9 counted members are present, 6 needed." in exc.value.messages
    present(people[5])
    assert room_services.attendance_summary(meeting).quorum_reached is True
    assert vote_services.vote_open(actor=cell_secretary, vote=vote).status == VoteStatus.OPEN


@pytest.mark.parametrize(("agree", "passed"), [(5, False), (6, True)])
def test_majority_needs_strictly_more_than_half(meeting, cell_secretary, agree, passed):
    people = [delegate(meeting) for _ in range(10)]
    _open_meeting(meeting, cell_secretary)
    present(*people)
    vote = vote_services.vote_create(
        actor=cell_secretary, meeting=meeting, question="Thông qua nghị quyết?", item=agenda_item(meeting)
    )
    vote_services.vote_open(actor=cell_secretary, vote=vote)
    _cast(vote, people[:agree], "agree")
    _cast(vote, people[agree:], "disagree")
    vote = vote_services.vote_close(actor=cell_secretary, vote=vote)
    assert (vote.agree_count, vote.disagree_count, vote.abstain_count, vote.base_count) == (agree, 10 - agree, 0, 10)
    assert vote.passed is passed
    assert vote_services.result_text(vote) == f"{agree}/10 in favour ({agree * 10}.0%)"
    assert vietnamese_result_text(vote) == f"{agree}/10 tán thành ({agree * 10},0%)"


def test_majority_denominator_is_the_counted_members_not_those_present(meeting, cell_secretary):
    """6 of 10 counted members agree while 2 are absent: 6/10 passes; 5/10 would not even if all present agree."""
    people = [delegate(meeting) for _ in range(10)]
    delegate(meeting, activity=MemberActivity.TEMPORARY_OUT)  # never in the denominator
    _open_meeting(meeting, cell_secretary)
    present(*people[:8])
    vote = vote_services.vote_create(actor=cell_secretary, meeting=meeting, question="Thông qua?")
    vote_services.vote_open(actor=cell_secretary, vote=vote)
    _cast(vote, people[:5], "agree")
    _cast(vote, people[5:8], "abstain")
    vote = vote_services.vote_close(actor=cell_secretary, vote=vote)
    assert vote.base_count == 10 and vote.agree_count == 5 and vote.passed is False
    assert vote_services.result_text(vote) == "5/10 in favour (50.0%)"


@pytest.mark.parametrize(("agree", "passed"), [(6, True), (5, False)])
def test_two_thirds_of_all_official_members(meeting, cell_secretary, agree, passed):
    """Admission needs at least 2/3 of ALL official members: 9 official members (one of them suspended and one
    away — both still official members of the cell) → 6/9 passes, 5/9 fails."""
    people = [delegate(meeting) for _ in range(7)]
    delegate(meeting, activity=MemberActivity.SUSPENDED)
    delegate(meeting, activity=MemberActivity.TEMPORARY_OUT)
    delegate(meeting, status=MemberStatus.PROBATIONARY)  # not an official member: not in the base
    _open_meeting(meeting, cell_secretary)
    present(*people)
    vote = vote_services.vote_create(
        actor=cell_secretary,
        meeting=meeting,
        question="Kết nạp quần chúng Lê Văn Tốt vào Đảng?",
        kind=VoteKind.SECRET,
        rule_code="two_thirds",
    )
    vote_services.vote_open(actor=cell_secretary, vote=vote)
    _cast(vote, people[:agree], "agree")
    _cast(vote, people[agree:], "disagree")
    vote = vote_services.vote_close(actor=cell_secretary, vote=vote)
    assert vote.base_count == 9
    assert vote.passed is passed
    assert vietnamese_result_text(vote) == ("6/9 tán thành (66,7%)" if passed else "5/9 tán thành (55,6%)")


def test_probationary_member_cannot_vote_with_a_clear_message(meeting, cell_secretary):
    people = [delegate(meeting) for _ in range(3)]
    probationary = delegate(meeting, status=MemberStatus.PROBATIONARY)
    _open_meeting(meeting, cell_secretary)
    present(*people, probationary)
    vote = vote_services.vote_create(actor=cell_secretary, meeting=meeting, question="Thông qua?")
    vote_services.vote_open(actor=cell_secretary, vote=vote)
    with pytest.raises(ValidationError) as exc:
        vote_services.ballot_cast(actor=probationary.user, vote=vote, choice="agree")
    assert exc.value.messages == [
        "Probationary members do not vote: only official members vote (Party Statute, article 3). "
        "You may still take part in the discussion."
    ]
    assert not Ballot.objects.filter(vote=vote).exists()


def test_absent_delegate_and_uninvited_user_cannot_vote(meeting, cell_secretary, outsider):
    people = [delegate(meeting) for _ in range(4)]
    _open_meeting(meeting, cell_secretary)
    present(*people[:3])
    vote = vote_services.vote_create(actor=cell_secretary, meeting=meeting, question="Thông qua?")
    vote_services.vote_open(actor=cell_secretary, vote=vote)
    with pytest.raises(ValidationError) as exc:
        vote_services.ballot_cast(actor=people[3].user, vote=vote, choice="agree")
    assert exc.value.messages == ["Check in first: only delegates present in the room vote."]
    with pytest.raises(PermissionDenied):
        vote_services.ballot_cast(actor=outsider, vote=vote, choice="agree")


def test_one_answer_per_delegate_and_only_while_open(meeting, cell_secretary):
    people = [delegate(meeting) for _ in range(3)]
    _open_meeting(meeting, cell_secretary)
    present(*people)
    vote = vote_services.vote_create(actor=cell_secretary, meeting=meeting, question="Thông qua?")
    with pytest.raises(ValidationError, match=r"This vote is not open\."):
        vote_services.ballot_cast(actor=people[0].user, vote=vote, choice="agree")
    vote_services.vote_open(actor=cell_secretary, vote=vote)
    vote_services.ballot_cast(actor=people[0].user, vote=vote, choice="agree")
    with pytest.raises(ValidationError) as exc:
        vote_services.ballot_cast(actor=people[0].user, vote=vote, choice="disagree")
    assert exc.value.messages == ["You have already voted. Each delegate answers only once."]
    with pytest.raises(ValidationError):
        vote_services.ballot_cast(actor=people[1].user, vote=vote, choice="maybe")
    assert list(Ballot.objects.filter(vote=vote).values_list("choice", flat=True)) == ["agree"]
    vote_services.vote_close(actor=cell_secretary, vote=vote)
    with pytest.raises(ValidationError, match=r"This vote is not open\."):
        vote_services.ballot_cast(actor=people[1].user, vote=vote, choice="agree")


def test_paper_ballots_are_added_to_the_count(meeting, cell_secretary):
    people = [delegate(meeting) for _ in range(6)]
    _open_meeting(meeting, cell_secretary)
    present(*people)
    vote = vote_services.vote_create(actor=cell_secretary, meeting=meeting, question="Thông qua?")
    vote_services.vote_open(actor=cell_secretary, vote=vote)
    _cast(vote, people[:2], "agree")
    vote_services.paper_ballots_add(actor=cell_secretary, vote=vote, agree=2, disagree=1)
    vote_services.paper_ballots_add(actor=cell_secretary, vote=vote, abstain="1")
    with pytest.raises(ValidationError) as exc:
        vote_services.paper_ballots_add(actor=cell_secretary, vote=vote, agree=1)
    assert exc.value.messages == [
        "Too many ballots: 6 already counted, 6 delegates with a vote are present. Check the paper count."
    ]
    with pytest.raises(ValidationError) as exc:
        vote_services.paper_ballots_add(actor=cell_secretary, vote=vote, agree=-1)
    assert exc.value.message_dict == {"agree": ["Enter a number between 0 and 10000."]}
    vote = vote_services.vote_close(actor=cell_secretary, vote=vote)
    assert (vote.agree_count, vote.disagree_count, vote.abstain_count) == (4, 1, 1)
    assert vote.passed is True  # 4 of 6 counted members: more than half


def test_delegate_invited_after_the_opening_gets_their_rights_at_check_in(meeting, cell_secretary, member_user):
    people = [delegate(meeting) for _ in range(2)]
    _open_meeting(meeting, cell_secretary)
    present(*people)
    late = delegate(meeting)  # invited while the meeting runs
    probationary_late = delegate(meeting, status=MemberStatus.PROBATIONARY)
    for inv in (late, probationary_late):
        room_services.attendance_set(actor=member_user, invitation=inv, attendance=Attendance.PRESENT)
        inv.refresh_from_db()
    assert (late.may_vote, late.counts_for_quorum) == (True, True)
    assert (probationary_late.may_vote, probationary_late.counts_for_quorum) == (False, False)
    assert room_services.attendance_summary(meeting).denominator == 3
