"""Secret ballots: after a secret vote nothing — ORM rows, admin pages, API, audit trail, logs, even the
database's row versions — links a delegate to a choice (issue 6: "nobody, admins included, can see who voted
how in a secret vote")."""

from __future__ import annotations

import json
import logging

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import connection, models
from django.urls import NoReverseMatch, reverse

from meetings.models import Ballot, BallotReceipt, Invitation, SecretTally, Vote, VoteChoice, VoteKind
from meetings.services import room as room_services
from meetings.services import votes as vote_services
from partyhub.models.audit import AuditEntry

from .room_factories import delegate, make_meeting, present

pytestmark = pytest.mark.django_db

CHOICE_WORDS = {"agree", "disagree", "abstain", "Agree", "Disagree", "Abstain", "Tán thành", "Không tán thành"}


@pytest.fixture
def secret_vote(org_tree, cell_secretary, member_user):
    """A closed secret vote: 3 agree, 1 disagree, 1 abstain."""
    meeting = make_meeting(
        org_tree["cell_a"], created_by=cell_secretary, chair=cell_secretary, minute_taker=member_user
    )
    people = [delegate(meeting) for _ in range(5)]
    room_services.meeting_open(actor=cell_secretary, meeting=meeting)
    present(*people)
    vote = vote_services.vote_create(
        actor=cell_secretary, meeting=meeting, question="Đề nghị kỷ luật khiển trách?", kind=VoteKind.SECRET
    )
    vote_services.vote_open(actor=cell_secretary, vote=vote)
    first_audit = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    plan = ["agree", "disagree", "agree", "abstain", "agree"]
    for person, choice in zip(people, plan, strict=True):
        vote_services.ballot_cast(actor=person.user, vote=vote, choice=choice)
    last_audit = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    vote = vote_services.vote_close(actor=cell_secretary, vote=vote)
    return {"vote": vote, "people": people, "plan": plan, "audit_range": (first_audit, last_audit)}


def _links_to_voter(model) -> bool:
    targets = {Invitation, get_user_model()}
    from members.models import Member

    targets.add(Member)
    return any(isinstance(f, models.ForeignKey) and f.related_model in targets for f in model._meta.concrete_fields)


def _stores_a_choice(model) -> bool:
    return any(
        getattr(f, "choices", None) and {c for c, _ in f.choices} >= set(VoteChoice.values)
        for f in model._meta.concrete_fields
    )


def test_no_model_has_both_a_voter_and_a_choice_for_a_secret_vote(secret_vote):
    vote = secret_vote["vote"]
    for model in apps.get_models():
        if _links_to_voter(model) and _stores_a_choice(model):
            # Only the OPEN-vote ballot stores both — and it holds nothing for a secret vote.
            assert model is Ballot, f"{model._meta.label} links a voter to a choice"
    assert not Ballot.objects.filter(vote=vote).exists()
    assert {f.name for f in BallotReceipt._meta.concrete_fields} == {"id", "vote", "invitation"}
    assert {f.name for f in SecretTally._meta.concrete_fields} == {"id", "vote", "choice", "count"}
    assert BallotReceipt.objects.filter(vote=vote).count() == 5
    assert dict(SecretTally.objects.filter(vote=vote).values_list("choice", "count")) == {
        "agree": 3,
        "disagree": 1,
        "abstain": 1,
    }
    assert (vote.agree_count, vote.disagree_count, vote.abstain_count) == (3, 1, 1)


def test_audit_trail_says_a_ballot_was_cast_but_never_the_choice(secret_vote):
    first, last = secret_vote["audit_range"]
    entries = list(AuditEntry.objects.filter(id__gt=first, id__lte=last).order_by("id"))
    voters = {p.user_id for p in secret_vote["people"]}
    # One entry per ballot, about the VOTE, by the voter; nothing about receipts or tallies.
    assert [e.actor_id for e in entries] == [p.user_id for p in secret_vote["people"]]
    for entry in entries:
        assert entry.actor_id in voters
        assert entry.object_type == "meetings.vote" and entry.object_id == str(secret_vote["vote"].pk)
        assert entry.changes == {"event": "secret ballot cast"}
    assert not AuditEntry.objects.filter(object_type__in=["meetings.ballotreceipt", "meetings.secrettally"]).exists()
    for entry in AuditEntry.objects.filter(actor_id__in=voters):
        text = json.dumps(entry.changes, ensure_ascii=False) + entry.object_repr
        assert not any(word in text for word in CHOICE_WORDS), text


def test_tally_rows_all_change_with_every_ballot(org_tree, cell_secretary, member_user):
    """The database's own row versions do not tell which count moved: each ballot rewrites every tally row."""
    if connection.vendor != "postgresql":
        pytest.skip("row versions (xmin) are a PostgreSQL notion")
    meeting = make_meeting(
        org_tree["cell_a"], created_by=cell_secretary, chair=cell_secretary, minute_taker=member_user
    )
    people = [delegate(meeting) for _ in range(2)]
    room_services.meeting_open(actor=cell_secretary, meeting=meeting)
    present(*people)
    vote = vote_services.vote_create(actor=cell_secretary, meeting=meeting, question="Kín?", kind=VoteKind.SECRET)
    vote_services.vote_open(actor=cell_secretary, vote=vote)
    vote_services.ballot_cast(actor=people[0].user, vote=vote, choice="disagree")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT xmin::text, ctid::text FROM {SecretTally._meta.db_table} WHERE vote_id = %s",  # noqa: S608
            [vote.pk],
        )
        rows = cursor.fetchall()
    assert len(rows) == 3
    assert len({xmin for xmin, _ctid in rows}) == 1


def test_nothing_is_logged_about_the_choice(org_tree, cell_secretary, member_user, caplog):
    meeting = make_meeting(
        org_tree["cell_a"], created_by=cell_secretary, chair=cell_secretary, minute_taker=member_user
    )
    people = [delegate(meeting) for _ in range(2)]
    room_services.meeting_open(actor=cell_secretary, meeting=meeting)
    present(*people)
    vote = vote_services.vote_create(actor=cell_secretary, meeting=meeting, question="Kín?", kind=VoteKind.SECRET)
    vote_services.vote_open(actor=cell_secretary, vote=vote)
    with caplog.at_level(logging.DEBUG):
        vote_services.ballot_cast(actor=people[0].user, vote=vote, choice="disagree")
    for record in caplog.records:
        assert "disagree" not in record.getMessage()


def test_pages_and_api_never_show_how_a_delegate_voted(client, secret_vote, cell_secretary, admin_user):
    vote = secret_vote["vote"]
    meeting = vote.meeting
    client.force_login(cell_secretary)
    room_page = client.get(reverse("meetings:room", args=[meeting.pk])).content.decode()
    assert "3/5 in favour (60.0%)" in room_page
    # The room lists people and the result — never a person next to an answer.
    for person in secret_vote["people"]:
        assert person.name in room_page
    assert "Your answer" not in room_page
    # The voter's own tablet after the vote: recorded, not how.
    client.force_login(secret_vote["people"][1].user)
    tablet = client.get(reverse("meetings:vote", args=[meeting.pk])).content.decode()
    assert "Your answer" not in tablet
    # The API's vote resource: totals only.
    try:
        url = reverse("api-meeting-vote-detail", args=[meeting.pk, vote.pk])
    except NoReverseMatch:
        url = None
    if url:
        client.force_login(admin_user)
        data = client.get(url).json()
        assert "ballots" not in data
        assert not any(str(p.user_id) in json.dumps(data.get("receipts", "")) for p in secret_vote["people"])


@pytest.fixture
def admin_client(client, admin_user):
    """A superuser whose session passed the second factor (the admin requires it)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=admin_user, name="test", confirmed=True)
    client.force_login(admin_user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def test_admin_pages_do_not_link_voters_to_choices(admin_client, secret_vote):
    """The admin: receipts show who voted, tallies show counts, the vote shows totals — no page shows a delegate
    with an answer, and the open-vote ballots hold nothing for a secret vote."""
    vote = secret_vote["vote"]
    names = [p.name for p in secret_vote["people"]]
    for model in (BallotReceipt, SecretTally, Ballot, Vote):
        assert model in admin.site._registry, f"{model._meta.label} is not in the admin"
        info = (model._meta.app_label, model._meta.model_name)
        changelist = admin_client.get(reverse("admin:{}_{}_changelist".format(*info)))
        assert changelist.status_code == 200
        html = changelist.content.decode()
        if model is BallotReceipt:
            assert all(name in html for name in names)  # who voted is not secret…
            assert not any(word in html for word in ("Agree", "Disagree", "Abstain"))  # …how they voted is
        else:
            assert not any(name in html for name in names)
    page = admin_client.get(reverse("admin:meetings_vote_change", args=[vote.pk])).content.decode()
    assert not any(name in page for name in names)
    for receipt in BallotReceipt.objects.filter(vote=vote):
        detail = admin_client.get(reverse("admin:meetings_ballotreceipt_change", args=[receipt.pk])).content.decode()
        assert not any(word in detail for word in ("Agree", "Disagree", "Abstain"))


def test_admin_hides_the_counts_of_a_secret_vote_while_it_is_open(admin_client, org_tree, cell_secretary, member_user):
    """Watching the counts change next to the list of receipts would tell who voted how: while the vote is open
    the tally changelist shows no count."""
    meeting = make_meeting(
        org_tree["cell_a"], created_by=cell_secretary, chair=cell_secretary, minute_taker=member_user
    )
    people = [delegate(meeting) for _ in range(3)]
    room_services.meeting_open(actor=cell_secretary, meeting=meeting)
    present(*people)
    vote = vote_services.vote_create(actor=cell_secretary, meeting=meeting, question="Kín?", kind=VoteKind.SECRET)
    vote_services.vote_open(actor=cell_secretary, vote=vote)
    vote_services.ballot_cast(actor=people[0].user, vote=vote, choice="disagree")
    html = admin_client.get(reverse("admin:meetings_secrettally_changelist")).content.decode()
    assert "Hidden until the vote is closed" in html
    tally = SecretTally.objects.get(vote=vote, choice="disagree")
    detail = admin_client.get(reverse("admin:meetings_secrettally_change", args=[tally.pk])).content.decode()
    assert "Hidden until the vote is closed" in detail
