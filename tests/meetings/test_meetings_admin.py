"""The admin of every meetings model (helper "meet"): lists open, writes go through the services (read-only
here, vote rules excepted), classified meetings need a clearance, and a secret vote shows who voted and the
counts — never who voted how. Private notes and tokens are never shown."""

from __future__ import annotations

import uuid

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from meetings.models import (
    BallotReceipt,
    CalendarFeed,
    PageNote,
    SecretTally,
    Vote,
    VoteChoice,
    VoteKind,
    VoteRule,
)
from meetings.services import schedule as schedule_services

from .meet_factories import clear, invite, make_meeting

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    device = TOTPDevice.objects.create(user=admin_user, name="test", confirmed=True)
    client.force_login(admin_user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def test_every_meetings_model_is_registered():
    missing = [m.__name__ for m in apps.get_app_config("meetings").get_models() if not admin.site.is_registered(m)]
    assert missing == []


@pytest.fixture
def secret_vote(org_tree, clerk, delegate, member_user):
    meeting = make_meeting(clerk, org_tree["cell_a"], title="Họp xét kỷ luật")
    first = invite(clerk, meeting, delegate)
    second = invite(clerk, meeting, member_user)
    rule = VoteRule.objects.get(code="majority")
    vote = Vote.objects.create(meeting=meeting, question="Kỷ luật khiển trách", kind=VoteKind.SECRET, rule=rule)
    BallotReceipt.objects.create(vote=vote, invitation=first)
    BallotReceipt.objects.create(vote=vote, invitation=second)
    SecretTally.objects.create(vote=vote, choice=VoteChoice.AGREE, count=1)
    SecretTally.objects.create(vote=vote, choice=VoteChoice.DISAGREE, count=1)
    PageNote.objects.create(
        invitation=first,
        page=1,
        text="Ghi chú riêng tư của đại biểu",
        client_id=uuid.uuid4(),
        client_updated_at=timezone.now(),
    )
    schedule_services.calendar_feed_for(user=delegate)
    return meeting, vote


def test_every_changelist_opens(admin_client, secret_vote):
    for model in apps.get_app_config("meetings").get_models():
        url = reverse(f"admin:meetings_{model._meta.model_name}_changelist")
        response = admin_client.get(url)
        assert response.status_code == 200, model.__name__


def test_a_secret_vote_shows_who_voted_and_the_counts_never_how(admin_client, secret_vote, delegate):
    receipts = admin_client.get(reverse("admin:meetings_ballotreceipt_changelist")).content.decode()
    assert delegate.get_full_name() in receipts
    for word in ("agree", "disagree", "Agree", "Disagree", "abstain"):
        assert word not in receipts.split("<tbody>")[1].split("</tbody>")[0]
    tallies = admin_client.get(reverse("admin:meetings_secrettally_changelist")).content.decode()
    body = tallies.split("<tbody>")[1].split("</tbody>")[0]
    assert "Agree" in body and "Disagree" in body
    assert delegate.get_full_name() not in tallies
    # The open-vote ballot list never lists a secret vote.
    receipt = BallotReceipt.objects.first()
    page = admin_client.get(reverse("admin:meetings_ballotreceipt_change", args=[receipt.pk])).content.decode()
    assert "choice" not in page


def test_private_notes_and_tokens_are_never_shown(admin_client, secret_vote, delegate):
    note = PageNote.objects.get()
    assert "Ghi chú riêng tư" not in admin_client.get(reverse("admin:meetings_pagenote_changelist")).content.decode()
    assert admin_client.get(reverse("admin:meetings_pagenote_change", args=[note.pk])).status_code == 403
    feed = CalendarFeed.objects.get(user=delegate)
    page = admin_client.get(reverse("admin:meetings_calendarfeed_change", args=[feed.pk])).content.decode()
    assert feed.token not in page
    invitation = secret_vote[0].invitations.first()
    page = admin_client.get(reverse("admin:meetings_invitation_change", args=[invitation.pk])).content.decode()
    assert invitation.checkin_token not in page


def test_meetings_are_read_only_and_vote_rules_editable(admin_client, secret_vote):
    meeting, _vote = secret_vote
    page = admin_client.get(reverse("admin:meetings_meeting_change", args=[meeting.pk])).content.decode()
    assert 'name="_save"' not in page
    assert admin_client.get(reverse("admin:meetings_meeting_add")).status_code == 403
    rule = VoteRule.objects.get(code="majority")
    page = admin_client.get(reverse("admin:meetings_voterule_change", args=[rule.pk])).content.decode()
    assert 'name="_save"' in page


def test_classified_meetings_need_the_admins_clearance(admin_client, admin_user, org_tree, clerk):
    clear(clerk, "mat", clerk)
    meeting = make_meeting(clerk, org_tree["cell_a"], title="Họp mật", confidentiality="mat")
    url = reverse("admin:meetings_meeting_changelist")
    assert "Họp mật" not in admin_client.get(url).content.decode()
    assert admin_client.get(reverse("admin:meetings_meeting_change", args=[meeting.pk])).status_code == 302
    clear(admin_user, "mat", admin_user)
    assert "Họp mật" in admin_client.get(url).content.decode()


def test_secret_tallies_are_not_audited(secret_vote):
    from partyhub.models import AuditEntry

    tally = SecretTally.objects.first()
    tally.count += 1
    tally.save()
    assert not AuditEntry.objects.filter(object_type__icontains="secrettally").exists()
