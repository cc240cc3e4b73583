"""One vote per delegate under concurrent requests (real threads on PostgreSQL, each with its own connection):
a delegate's tablet sending the same ballot many times at once, and a whole room voting at once."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connections

from meetings.models import Ballot, BallotReceipt, SecretTally, Vote, VoteKind
from meetings.services import room as room_services
from meetings.services import votes as vote_services

from .room_factories import delegate, make_meeting, present

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SAME_DELEGATE_REQUESTS = 12


def _run_together(jobs):
    """Run each job in its own thread, all released at once; returns the results (value or exception)."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def worker(index, job):
        try:
            barrier.wait(timeout=30)
            results[index] = ("ok", job())
        except BaseException as exc:  # reported to the test, never lost
            results[index] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a voter hung (deadlock?)"
    return results


def _room(org_tree, cell_secretary, member_user, size):
    meeting = make_meeting(
        org_tree["cell_a"], created_by=cell_secretary, chair=cell_secretary, minute_taker=member_user
    )
    people = [delegate(meeting) for _ in range(size)]
    room_services.meeting_open(actor=cell_secretary, meeting=meeting)
    present(*people)
    return meeting, people


def _cast_job(user_pk, vote_pk, choice):
    def job():
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.get(pk=user_pk)
        vote = Vote.objects.select_related("meeting").get(pk=vote_pk)
        vote_services.ballot_cast(actor=user, vote=vote, choice=choice)
        return choice

    return job


@pytest.mark.parametrize("kind", [VoteKind.SECRET, VoteKind.OPEN])
def test_concurrent_double_submissions_count_exactly_once(org_tree, cell_secretary, member_user, kind):
    meeting, people = _room(org_tree, cell_secretary, member_user, 3)
    vote = vote_services.vote_create(actor=cell_secretary, meeting=meeting, question="Thông qua?", kind=kind)
    vote_services.vote_open(actor=cell_secretary, vote=vote)
    choices = ["agree", "disagree", "abstain"]
    jobs = [_cast_job(people[0].user_id, vote.pk, choices[i % 3]) for i in range(SAME_DELEGATE_REQUESTS)]

    results = _run_together(jobs)

    accepted = [value for status, value in results if status == "ok"]
    refused = [value for status, value in results if status == "error"]
    assert len(accepted) == 1
    assert len(refused) == SAME_DELEGATE_REQUESTS - 1
    for exc in refused:
        assert isinstance(exc, ValidationError), repr(exc)
        assert exc.messages == ["You have already voted. Each delegate answers only once."]
    if kind == VoteKind.SECRET:
        assert BallotReceipt.objects.filter(vote=vote).count() == 1
        tallies = dict(SecretTally.objects.filter(vote=vote).values_list("choice", "count"))
        assert sum(tallies.values()) == 1 and tallies[accepted[0]] == 1
    else:
        assert list(Ballot.objects.filter(vote=vote).values_list("choice", flat=True)) == accepted
    closed = vote_services.vote_close(actor=cell_secretary, vote=vote)
    assert closed.agree_count + closed.disagree_count + closed.abstain_count == 1


def test_a_whole_room_voting_at_once_is_counted_fully(org_tree, cell_secretary, member_user):
    meeting, people = _room(org_tree, cell_secretary, member_user, 16)
    vote = vote_services.vote_create(actor=cell_secretary, meeting=meeting, question="Thông qua?", kind=VoteKind.SECRET)
    vote_services.vote_open(actor=cell_secretary, vote=vote)
    plan = ["agree"] * 10 + ["disagree"] * 4 + ["abstain"] * 2
    # Every delegate sends their ballot twice at the same moment (a double tap on a slow network).
    jobs = [_cast_job(p.user_id, vote.pk, c) for p, c in zip(people, plan, strict=True)] * 2

    results = _run_together(jobs)

    assert sum(1 for status, _ in results if status == "ok") == 16
    assert BallotReceipt.objects.filter(vote=vote).count() == 16
    closed = vote_services.vote_close(actor=cell_secretary, vote=vote)
    assert (closed.agree_count, closed.disagree_count, closed.abstain_count, closed.base_count) == (10, 4, 2, 16)
    assert closed.passed is True
    assert vote_services.result_text(closed) == "10/16 in favour (62.5%)"
