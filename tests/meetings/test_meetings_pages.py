"""The office's meeting pages (helper "meet"): list with filters (query count pinned), the meeting form, the
meeting page and its panels' slots, invitations, cancelling, the home page and handbook sections."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings.models import Invitation, Meeting, MeetingKind, MeetingStatus
from meetings.services import meetings as meeting_services

from ..factories import MemberFactory
from .meet_factories import at, invite, make_meeting

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user)
    return client


def test_menu_shows_meetings_and_the_list_filters(client, clerk, org_tree):
    upcoming = make_meeting(clerk, org_tree["cell_a"], title="Họp sắp tới")
    past = make_meeting(clerk, org_tree["cell_b"], title="Họp đã qua", starts_at=at(-10), ends_at=at(-10, 11))
    thematic = make_meeting(clerk, org_tree["cell_a"], title="Chuyên đề", kind=MeetingKind.CELL_THEMATIC)
    _login(client, clerk)
    page = client.get(reverse("meetings:index")).content.decode()
    assert 'href="/meetings/"' in page  # the main menu entry appears once meetings:index exists
    assert "Họp sắp tới" in page and "Chuyên đề" in page and "Họp đã qua" not in page
    page = client.get(reverse("meetings:index"), {"when": "past"}).content.decode()
    assert "Họp đã qua" in page and "Họp sắp tới" not in page
    page = client.get(reverse("meetings:index"), {"when": "all", "kind": MeetingKind.CELL_THEMATIC}).content.decode()
    assert "Chuyên đề" in page and "Họp sắp tới" not in page
    page = client.get(
        reverse("meetings:index"), {"when": "all", "organization": org_tree["cell_b"].pk}
    ).content.decode()
    assert "Họp đã qua" in page and "Chuyên đề" not in page
    assert {upcoming.pk, past.pk, thematic.pk}


def test_list_query_count_does_not_grow_with_meetings(client, clerk, org_tree, django_assert_num_queries, delegate):
    for i in range(3):
        meeting = make_meeting(clerk, org_tree["cell_a"], title=f"Họp {i}")
        invite(clerk, meeting, delegate)
    _login(client, clerk)
    client.get(reverse("meetings:index"))  # warm caches (session, content types)
    with django_assert_num_queries(13) as captured:
        response = client.get(reverse("meetings:index"))
    assert response.status_code == 200
    for i in range(3, 10):
        make_meeting(clerk, org_tree["cell_b"], title=f"Họp {i}")
    with django_assert_num_queries(len(captured.captured_queries)):
        response = client.get(reverse("meetings:index"))
    assert response.content.decode().count("<tr>") == 11  # header + 10 meetings


def test_create_meeting_through_the_form(client, clerk, org_tree):
    _login(client, clerk)
    response = client.post(
        reverse("meetings:new"),
        {
            "organization": org_tree["cell_a"].pk,
            "kind": MeetingKind.CELL_REGULAR,
            "title": "Sinh hoạt chi bộ tháng 12",
            "starts_at": "2030-12-05T08:00",
            "ends_at": "2030-12-05T11:00",
            "place": "Nhà văn hóa ấp",
            "online_link": "",
            "chair": clerk.pk,
            "minute_taker": "",
            "confidentiality": "",
            "description": "",
        },
    )
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and response.url == reverse("meetings:detail", args=[meeting.pk])
    assert timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d %H:%M") == "2030-12-05 08:00"
    assert meeting.chair == clerk and meeting.created_by == clerk


def test_form_shows_the_service_message_for_end_before_start(client, clerk, org_tree):
    _login(client, clerk)
    response = client.post(
        reverse("meetings:new"),
        {
            "organization": org_tree["cell_a"].pk,
            "kind": MeetingKind.CELL_REGULAR,
            "title": "Sai giờ",
            "starts_at": "2030-12-05T14:00",
            "ends_at": "2030-12-05T08:00",
        },
    )
    assert response.status_code == 200
    assert "The meeting cannot end before it starts." in response.content.decode()
    assert not Meeting.objects.exists()


def test_form_refuses_an_organization_of_another_commune(client, clerk, org_tree):
    _login(client, clerk)
    response = client.post(
        reverse("meetings:new"),
        {
            "organization": org_tree["other_cell"].pk,
            "kind": "cell_regular",
            "title": "x",
            "starts_at": "2030-12-05T14:00",
        },
    )
    assert "Unknown organization." in response.content.decode()
    assert not Meeting.objects.exists()


def test_new_meeting_page_is_404_for_people_without_organizations(client, member_user):
    _login(client, member_user)
    assert client.get(reverse("meetings:new")).status_code == 404


def test_edit_after_invitations_tells_the_user_it_was_announced(client, clerk, org_tree, delegate):
    meeting = make_meeting(clerk, org_tree["cell_a"], place="Cũ")
    invite(clerk, meeting, delegate)
    meeting_services.meeting_send_invitations(actor=clerk, meeting=meeting)
    _login(client, clerk)
    page = client.get(reverse("meetings:edit", args=[meeting.pk])).content.decode()
    assert "everyone invited will be told what you change" in page
    data = {
        "organization": meeting.organization_id,
        "kind": meeting.kind,
        "title": meeting.title,
        "starts_at": timezone.localtime(meeting.starts_at).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": timezone.localtime(meeting.ends_at).strftime("%Y-%m-%dT%H:%M"),
        "place": "Mới",
    }
    response = client.post(reverse("meetings:edit", args=[meeting.pk]), data, follow=True)
    assert "The meeting was changed; everyone invited has been told." in response.content.decode()
    meeting.refresh_from_db()
    assert (meeting.place, meeting.sequence) == ("Mới", 1)


def test_detail_page_for_the_office_and_its_slots(client, clerk, org_tree, delegate):
    meeting = make_meeting(clerk, org_tree["cell_a"], title="Họp có chương trình")
    invite(clerk, meeting, delegate)
    _login(client, clerk)
    response = client.get(reverse("meetings:detail", args=[meeting.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Họp có chương trình" in page and "Manage invitations" in page
    assert "1 not invited yet" in page
    assert set(response.context["slots"]) == {"packet", "folder_readiness", "room", "minutes"}


def test_invitations_page_adds_members_users_guests_and_sends(
    client, clerk, org_tree, member_user, delegate, mailoutbox
):
    meeting = make_meeting(clerk, org_tree["cell_a"])
    url = reverse("meetings:invitations", args=[meeting.pk])
    _login(client, clerk)
    assert client.post(url, {"action": "add_member", "member-member": member_user.member.pk}).status_code == 302
    assert (
        client.post(url, {"action": "add_user", "user-user": delegate.pk, "user-kind": "delegate"}).status_code == 302
    )
    response = client.post(url, {"action": "add_guest", "guest-name": "Khách", "guest-email": "khach@example.test"})
    assert response.status_code == 302
    assert list(meeting.invitations.values_list("copy_number", "name")) == [
        (1, member_user.member.full_name),
        (2, delegate.get_full_name()),
        (3, "Khách"),
    ]
    # Unknown delegate, bad e-mail: exact messages, nothing written.
    response = client.post(url, {"action": "add_user", "user-user": 999999, "user-kind": "delegate"})
    assert response.status_code == 400 and "Unknown user." in response.content.decode()
    response = client.post(url, {"action": "add_member", "member-member": 999999})
    assert response.status_code == 400 and "Unknown member." in response.content.decode()
    response = client.post(url, {"action": "add_guest", "guest-name": "X", "guest-email": "nope"})
    assert response.status_code == 400 and "Enter a valid e-mail address." in response.content.decode()
    assert meeting.invitations.count() == 3
    response = client.post(url, {"action": "send"}, follow=True)
    assert "3 invitations were sent." in response.content.decode()
    assert meeting.invitations.filter(invited_at__isnull=True).count() == 0


def test_invite_whole_cell_button(client, clerk, org_tree):
    MemberFactory(organization=org_tree["cell_a"], full_name="Võ Thị Một")
    meeting = make_meeting(clerk, org_tree["cell_a"])
    _login(client, clerk)
    response = client.post(reverse("meetings:invitations", args=[meeting.pk]), {"action": "invite_all"}, follow=True)
    assert "people were added." in response.content.decode()
    assert Invitation.objects.filter(meeting=meeting, name="Võ Thị Một").exists()


def test_cancel_page(client, clerk, org_tree):
    meeting = make_meeting(clerk, org_tree["cell_a"])
    _login(client, clerk)
    url = reverse("meetings:cancel", args=[meeting.pk])
    response = client.post(url, {"reason": ""})
    assert "This field is required." in response.content.decode()
    response = client.post(url, {"reason": "Mưa bão"}, follow=True)
    assert "The meeting was cancelled" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CANCELLED
    # A cancelled meeting can no longer be edited: the form answers 404.
    assert client.get(reverse("meetings:edit", args=[meeting.pk])).status_code == 404


def test_ics_download(client, clerk, org_tree):
    from icalendar import Calendar

    meeting = make_meeting(clerk, org_tree["cell_a"])
    _login(client, clerk)
    response = client.get(reverse("meetings:ics", args=[meeting.pk]))
    assert response["Content-Type"] == "text/calendar"
    event = Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert event.decoded("DTSTART") == meeting.starts_at


def test_home_and_handbook_show_upcoming_meetings(client, clerk, org_tree, member_user):
    meeting = make_meeting(clerk, org_tree["cell_a"], title="Họp tuần tới", starts_at=at(2), ends_at=None)
    invite(clerk, meeting, member_user)
    meeting_services.meeting_send_invitations(actor=clerk, meeting=meeting)
    _login(client, clerk)
    home = client.get(reverse("home")).content.decode()
    assert "Upcoming meetings" in home and "Họp tuần tới" in home
    _login(client, member_user)
    home = client.get(reverse("home")).content.decode()
    assert "Họp tuần tới" in home and reverse("meetings:folder", args=[meeting.pk]) in home
    handbook = client.get(reverse("members:handbook")).content.decode()
    assert "Họp tuần tới" in handbook
    assert reverse("meetings:folder", args=[meeting.pk]) in handbook
    assert reverse("meetings:schedule") in handbook


def test_handbook_says_so_when_there_is_no_meeting(client, member_user):
    _login(client, member_user)
    handbook = client.get(reverse("members:handbook")).content.decode()
    assert "You have no upcoming meetings, comrade." in handbook


def test_the_past_is_not_upcoming(clerk, org_tree):
    from meetings.selectors import upcoming_meetings_for

    make_meeting(clerk, org_tree["cell_a"], starts_at=timezone.now() - datetime.timedelta(days=2), ends_at=None)
    assert upcoming_meetings_for(clerk) == []


def test_the_meeting_page_shows_the_other_areas_panels_to_whom_they_concern(client, clerk, org_tree, delegate):
    meeting = make_meeting(clerk, org_tree["cell_a"])
    invite(clerk, meeting, delegate)
    meeting_services.meeting_send_invitations(actor=clerk, meeting=meeting)
    _login(client, clerk)
    response = client.get(reverse("meetings:detail", args=[meeting.pk]))
    assert response.status_code == 200
    names = {t.name for t in response.templates}
    assert {name for name in response.context["slots"].values() if name} <= names
    # The folder-readiness list (who has which version) is the office's: a delegate's page has none.
    _login(client, delegate)
    response = client.get(reverse("meetings:detail", args=[meeting.pk]))
    assert response.status_code == 200
    assert "meetings/_folder_readiness.html" not in {t.name for t in response.templates}
    assert "Open the meeting folder" in response.content.decode()
