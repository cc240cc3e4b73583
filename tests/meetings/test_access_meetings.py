"""The meetings access rule (helper "meet", issue 6): managers; invited delegates only within the access window;
a delegate of another meeting gets 404 everywhere; outsiders get 404; classified meetings need a clearance.
Checked on the pages, the API, the .ics, the agenda documents' files, and the selectors/predicates."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings import permissions, selectors
from meetings.services import agenda as agenda_services
from meetings.services import meetings as meeting_services

from .meet_factories import at, clear, invite, make_meeting, no_packets, pdf_upload, private_storage  # noqa: F401

pytestmark = pytest.mark.django_db

#: What each kind of page answers: (name, url builder, manager only?)
VIEWER_URLS = [
    ("detail", lambda m, d: reverse("meetings:detail", args=[m.pk])),
    ("ics", lambda m, d: reverse("meetings:ics", args=[m.pk])),
    ("api detail", lambda m, d: f"/api/v1/meetings/{m.pk}/"),
    ("api agenda", lambda m, d: f"/api/v1/meetings/{m.pk}/agenda/"),
    ("api document", lambda m, d: f"/api/v1/meetings/{m.pk}/documents/{d.pk}/"),
    ("comments", lambda m, d: reverse("meetings:draft_comments", args=[m.pk, d.pk])),
]
MANAGER_URLS = [
    # The unstamped agenda file: delegates read the documents in their own watermarked packet copy.
    ("file", lambda m, d: reverse("files:download", args=[d.file_id])),
    ("edit", lambda m, d: reverse("meetings:edit", args=[m.pk])),
    ("invitations", lambda m, d: reverse("meetings:invitations", args=[m.pk])),
    ("agenda editor", lambda m, d: reverse("meetings:agenda", args=[m.pk])),
    ("api invitations", lambda m, d: f"/api/v1/meetings/{m.pk}/invitations/"),
]


@pytest.fixture
def setup(org_tree, clerk, delegate, member_user, private_storage, no_packets):  # noqa: F811
    """Meeting A (cell A) with a draft PDF, the delegate invited and the invitations sent; meeting B (cell B)
    with the member invited."""
    meeting = make_meeting(clerk, org_tree["cell_a"], title="Họp A")
    item = agenda_services.agenda_item_add(actor=clerk, meeting=meeting, title="Dự thảo nghị quyết")
    document = agenda_services.agenda_document_add(
        actor=clerk, item=item, source="upload", upload=pdf_upload(), is_draft=True, comments_until=at(2)
    )
    invite(clerk, meeting, delegate)
    meeting_services.meeting_send_invitations(actor=clerk, meeting=meeting)
    other = make_meeting(clerk, org_tree["cell_b"], title="Họp B")
    invite(clerk, other, member_user)
    meeting_services.meeting_send_invitations(actor=clerk, meeting=other)
    meeting.refresh_from_db()
    return meeting, document, other


def _statuses(client, user, meeting, document, urls):
    client.force_login(user)
    return {name: client.get(build(meeting, document)).status_code for name, build in urls}


def _all(code, urls):
    return {name: code for name, _b in urls}


@pytest.mark.parametrize("role", ["clerk", "leader", "cell_secretary", "admin_user"])
def test_managers_reach_everything(role, request, client, setup):
    meeting, document, _other = setup
    user = request.getfixturevalue(role)
    assert _statuses(client, user, meeting, document, VIEWER_URLS + MANAGER_URLS) == _all(
        200, VIEWER_URLS + MANAGER_URLS
    )


def test_invited_delegate_in_the_window_sees_but_does_not_manage(client, setup, delegate):
    meeting, document, _other = setup
    assert _statuses(client, delegate, meeting, document, VIEWER_URLS) == _all(200, VIEWER_URLS)
    assert _statuses(client, delegate, meeting, document, MANAGER_URLS) == _all(404, MANAGER_URLS)


@pytest.mark.parametrize("role", ["member_user", "outsider", "handler"])
def test_others_get_404_everywhere(role, request, client, setup):
    """member_user is a delegate of meeting B; the outsider is of another commune; the handler works in the
    office but neither manages meetings nor is invited."""
    meeting, document, _other = setup
    user = request.getfixturevalue(role)
    urls = VIEWER_URLS + MANAGER_URLS
    assert _statuses(client, user, meeting, document, urls) == _all(404, urls)


def test_the_cell_secretary_of_another_cell_does_not_manage(client, setup, org_tree, clerk):
    meeting, document, _other = setup
    # cell_secretary leads cell A; meeting B belongs to cell B.
    from ..conftest import _person

    secretary_b = _person("cellsec_b", org_tree["cell_b"], "Bí thư chi bộ B", grants_cell_secretary=True)
    urls = VIEWER_URLS + MANAGER_URLS
    assert _statuses(client, secretary_b, meeting, document, urls) == _all(404, urls)


def test_before_the_window_opens_the_delegate_gets_404(client, setup, delegate, clerk):
    meeting, document, _other = setup
    meeting = meeting_services.meeting_update(
        actor=clerk, meeting=meeting, folder_opens_at=timezone.now() + datetime.timedelta(hours=5)
    )
    assert _statuses(client, delegate, meeting, document, VIEWER_URLS) == _all(404, VIEWER_URLS)
    assert not permissions.can_open_folder(delegate, meeting)


def test_invited_but_not_yet_sent_is_not_open(org_tree, clerk, delegate):
    meeting = make_meeting(clerk, org_tree["cell_a"])
    invite(clerk, meeting, delegate)
    assert selectors.invitation_for(delegate, meeting) is not None
    assert not selectors.folder_open(meeting)
    assert not permissions.can_open_folder(delegate, meeting)
    assert not selectors.meetings_visible_to(delegate).filter(pk=meeting.pk).exists()


def test_after_the_retention_days_the_delegate_gets_404(client, setup, delegate, clerk, settings):
    meeting, document, _other = setup
    # The meeting took place 8 days ago; the folder stays open 7 days after it.
    meeting.__class__.objects.filter(pk=meeting.pk).update(
        starts_at=timezone.now() - datetime.timedelta(days=8, hours=3),
        ends_at=timezone.now() - datetime.timedelta(days=8),
    )
    meeting.refresh_from_db()
    assert _statuses(client, delegate, meeting, document, VIEWER_URLS) == _all(404, VIEWER_URLS)
    settings.PARTYHUB_MEETING_FOLDER_RETENTION_DAYS = 30
    assert _statuses(client, delegate, meeting, document, VIEWER_URLS) == _all(200, VIEWER_URLS)
    # An explicit closing time wins over the retention.
    meeting.__class__.objects.filter(pk=meeting.pk).update(
        folder_closes_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert _statuses(client, delegate, meeting, document, VIEWER_URLS) == _all(404, VIEWER_URLS)
    # The office still manages it.
    assert _statuses(client, clerk, meeting, document, VIEWER_URLS) == _all(200, VIEWER_URLS)


def test_window_predicate_and_queryset_agree(setup, delegate):
    meeting, _document, _other = setup
    moments = [
        meeting.invitations_sent_at - datetime.timedelta(seconds=1),
        meeting.invitations_sent_at,
        meeting.ends_at,
        meeting.ends_at + datetime.timedelta(days=7) - datetime.timedelta(seconds=1),
        meeting.ends_at + datetime.timedelta(days=7),
    ]
    expected = [False, True, True, True, False]
    assert [selectors.folder_open(meeting, now) for now in moments] == expected
    assert [selectors.meetings_visible_to(delegate, now).filter(pk=meeting.pk).exists() for now in moments] == expected
    assert selectors.folder_closes_at(meeting) == meeting.ends_at + datetime.timedelta(days=7)


def test_a_delegate_of_one_meeting_sees_only_that_one(setup, delegate, member_user):
    meeting, _document, other = setup
    assert list(selectors.meetings_visible_to(delegate)) == [meeting]
    assert list(selectors.meetings_visible_to(member_user)) == [other]
    assert selectors.invitation_for(member_user, meeting) is None
    assert not permissions.can_open_folder(member_user, meeting)


def test_chair_and_minute_taker_see_the_meeting_and_run_it(org_tree, clerk, handler, outsider):
    meeting = make_meeting(clerk, org_tree["cell_a"], chair=handler, minute_taker=handler)
    assert selectors.get_meeting_or_404(handler, meeting.pk) == meeting
    assert permissions.can_chair(handler, meeting) and permissions.can_take_minutes(handler, meeting)
    assert not permissions.can_manage_meeting(handler, meeting)
    assert not permissions.can_chair(outsider, meeting)


def test_classified_meetings_need_a_clearance(client, org_tree, clerk, leader, delegate, private_storage, no_packets):  # noqa: F811
    clear(clerk, "mat", clerk)
    meeting = make_meeting(clerk, org_tree["cell_a"], confidentiality="mat")
    item = agenda_services.agenda_item_add(actor=clerk, meeting=meeting, title="Nội dung mật")
    document = agenda_services.agenda_document_add(
        actor=clerk, item=item, source="upload", upload=pdf_upload(), title="Phụ lục", is_draft=True
    )
    invite(clerk, meeting, delegate)
    meeting_services.meeting_send_invitations(actor=clerk, meeting=meeting)
    # The leader manages the commune's meetings, but has no clearance; the delegate is invited, without one.
    for user in (leader, delegate):
        assert _statuses(client, user, meeting, document, VIEWER_URLS) == _all(404, VIEWER_URLS), user
        assert not selectors.meetings_visible_to(user).filter(pk=meeting.pk).exists()
    clear(delegate, "toi_mat", clerk)  # a higher clearance covers "mật"
    assert _statuses(client, delegate, meeting, document, VIEWER_URLS) == _all(200, VIEWER_URLS)


def test_anonymous_gets_login_or_404(client, setup):
    meeting, document, _other = setup
    assert client.get(reverse("meetings:detail", args=[meeting.pk])).status_code == 302
    assert client.get(reverse("files:download", args=[document.file_id])).status_code == 404
    assert client.get(f"/api/v1/meetings/{meeting.pk}/").status_code in (401, 403)
