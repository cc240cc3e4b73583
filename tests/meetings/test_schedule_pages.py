"""The weekly work schedule and the personal iCal feed (helper "meet")."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from meetings.models import CalendarFeed, ScheduleEntry
from meetings.services import meetings as meeting_services
from meetings.services import schedule as schedule_services
from meetings.views.schedule import monday_of

from .meet_factories import clear, invite, make_meeting

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2030, 3, 4)  # a Monday


def _at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(MONDAY + datetime.timedelta(days=day), datetime.time(hour, minute))
    )


def _entry(actor, organization, title, day, hour, **kwargs):
    kwargs.setdefault("published", True)
    return schedule_services.schedule_entry_create(
        actor=actor, organization=organization, title=title, starts_at=_at(day, hour), **kwargs
    )


@pytest.fixture
def week(org_tree, clerk, cell_secretary):
    _entry(clerk, org_tree["commune"], "Giao ban Thường trực", 0, 7, host="Bí thư", place="Phòng họp")
    _entry(clerk, org_tree["commune"], "Tiếp dân", 0, 14)
    _entry(clerk, org_tree["commune"], "Làm việc với Tỉnh ủy", 2, 8)
    _entry(clerk, org_tree["commune"], "Nội bộ chưa công bố", 3, 8, published=False)
    _entry(cell_secretary, org_tree["cell_a"], "Chi bộ A họp tổ", 4, 19)
    _entry(clerk, org_tree["cell_b"], "Chi bộ B họp tổ", 4, 8)
    _entry(clerk, org_tree["commune"], "Tuần sau", 7, 8)


def test_monday_of():
    assert monday_of("2030-03-06") == MONDAY
    assert (
        monday_of("not a date")
        == monday_of(None)
        == timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday())
    )


def test_member_sees_the_published_schedule_of_their_commune_and_cell(client, week, member_user):
    client.force_login(member_user)
    response = client.get(reverse("meetings:schedule"), {"week": "2030-03-06"})
    page = response.content.decode()
    assert "Week from 04/03/2030 to 10/03/2030" in page
    for title in ("Giao ban Thường trực", "Tiếp dân", "Làm việc với Tỉnh ủy", "Chi bộ A họp tổ"):
        assert title in page
    for title in ("Nội bộ chưa công bố", "Chi bộ B họp tổ", "Tuần sau"):
        assert title not in page
    days = response.context["days"]
    assert [e.title for e in days[0].morning] == ["Giao ban Thường trực"]
    assert [e.title for e in days[0].afternoon] == ["Tiếp dân"]
    assert [e.title for e in days[4].afternoon] == ["Chi bộ A họp tổ"]
    assert "?week=2030-03-11" in page and "?week=2030-02-25" in page  # week navigation


def test_the_office_sees_unpublished_entries_and_publishes_the_week(client, week, clerk, member_user, org_tree):
    client.force_login(clerk)
    page = client.get(reverse("meetings:schedule"), {"week": "2030-03-04"}).content.decode()
    assert "Nội bộ chưa công bố" in page and "Not published" in page and "Chi bộ B họp tổ" in page
    response = client.post(
        reverse("meetings:schedule_publish"),
        {"organization": org_tree["commune"].pk, "week": "2030-03-05", "publish": "1"},
        follow=True,
    )
    assert "1 entries were published." in response.content.decode()
    client.force_login(member_user)
    assert "Nội bộ chưa công bố" in client.get(reverse("meetings:schedule"), {"week": "2030-03-04"}).content.decode()


def test_someone_of_another_commune_sees_none_of_it(client, week, outsider):
    client.force_login(outsider)
    response = client.get(reverse("meetings:schedule"), {"week": "2030-03-04"})
    assert response.context["entries"] == []
    assert "Nothing is scheduled this week." in response.content.decode()


def test_the_page_is_printable_and_exports_a_pdf(client, week, member_user):
    from pypdf import PdfReader

    client.force_login(member_user)
    page = client.get(reverse("meetings:schedule"), {"week": "2030-03-04"}).content.decode()
    assert "css/meetings.css" in page and "window.print()" in page
    response = client.get(reverse("meetings:schedule_pdf"), {"week": "2030-03-04"})
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="lich-cong-tac-2030-03-04.pdf"'
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Giao ban Thường trực" in text and "Chi bộ A họp tổ" in text and "Tiếp dân" in text
    assert "04/03/2030" in text and "10/03/2030" in text
    assert "Nội bộ chưa công bố" not in text and "Chi bộ B" not in text


def test_entry_forms_and_their_messages(client, clerk, org_tree):
    client.force_login(clerk)
    url = reverse("meetings:schedule_entry_new")
    response = client.post(
        url,
        {
            "organization": org_tree["commune"].pk,
            "title": "Kiểm tra cơ sở",
            "starts_at": "2030-03-05T14:00",
            "ends_at": "2030-03-05T08:00",
        },
    )
    assert "It cannot end before it starts." in response.content.decode()
    assert not ScheduleEntry.objects.exists()
    response = client.post(
        url, {"organization": org_tree["commune"].pk, "title": "Kiểm tra cơ sở", "starts_at": "2030-03-05T14:00"}
    )
    entry = ScheduleEntry.objects.get()
    assert response.url == "/meetings/schedule/?week=2030-03-05"
    response = client.post(reverse("meetings:schedule_entry_edit", args=[entry.pk]), {"action": "delete"})
    assert not ScheduleEntry.objects.exists()


def test_a_meetings_entry_follows_the_meeting(clerk, org_tree, delegate):
    meeting = make_meeting(clerk, org_tree["cell_a"], starts_at=_at(1, 8), ends_at=_at(1, 11))
    entry = ScheduleEntry.objects.get(meeting=meeting)
    with pytest.raises(ValidationError) as caught:
        schedule_services.schedule_entry_update(actor=clerk, entry=entry, title="Khác")
    assert caught.value.message_dict == {"title": ["This entry is a meeting: change the meeting itself."]}
    schedule_services.schedule_entry_update(actor=clerk, entry=entry, participants="Toàn thể đảng viên")
    meeting_services.meeting_update(actor=clerk, meeting=meeting, starts_at=_at(2, 14), ends_at=_at(2, 16))
    entry.refresh_from_db()
    assert (entry.starts_at, entry.participants) == (_at(2, 14), "Toàn thể đảng viên")
    with pytest.raises(ValidationError) as caught:
        schedule_services.schedule_entry_delete(actor=clerk, entry=entry)
    assert caught.value.messages == ["This entry is a meeting: cancel the meeting instead."]


# --- the personal iCal feed ---------------------------------------------------------------------------------------


def _feed(client, user):
    feed = schedule_services.calendar_feed_for(user=user)
    client.logout()  # calendar programs send no cookies: the token alone authenticates
    response = client.get(reverse("meetings:ical_feed", args=[feed.token]))
    return feed, response


def test_feed_lists_invitations_and_the_visible_published_schedule(client, org_tree, clerk, member_user, delegate):
    now = timezone.now()
    invited = make_meeting(
        clerk, org_tree["cell_a"], title="Họp được mời", starts_at=now + datetime.timedelta(days=2), ends_at=None
    )
    invite(clerk, invited, member_user)
    meeting_services.meeting_send_invitations(actor=clerk, meeting=invited)
    not_invited = make_meeting(
        clerk, org_tree["cell_b"], title="Họp chi bộ B", starts_at=now + datetime.timedelta(days=3), ends_at=None
    )
    invite(clerk, not_invited, delegate)
    meeting_services.meeting_send_invitations(actor=clerk, meeting=not_invited)
    schedule_services.schedule_entry_create(
        actor=clerk,
        organization=org_tree["commune"],
        title="Hội nghị toàn xã",
        starts_at=now + datetime.timedelta(days=4),
        published=True,
    )
    schedule_services.schedule_entry_create(
        actor=clerk, organization=org_tree["commune"], title="Chưa công bố", starts_at=now + datetime.timedelta(days=4)
    )
    _feed_row, response = _feed(client, member_user)
    assert response.status_code == 200 and response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    # The invited meeting once (its schedule entry, published with the invitations, is the same event).
    assert set(events) == {"Họp được mời", "Hội nghị toàn xã"}
    assert str(events["Họp được mời"]["UID"]) == f"meeting-{invited.pk}@127.0.0.1"
    assert events["Họp được mời"].decoded("DTSTART") == invited.starts_at.replace(microsecond=0)


def test_feed_token_is_required_and_can_be_replaced(client, member_user):
    assert client.get(reverse("meetings:ical_feed", args=["not-a-token"])).status_code == 404
    feed, response = _feed(client, member_user)
    assert response.status_code == 200
    old = feed.token
    client.force_login(member_user)
    page = client.get(reverse("meetings:calendar")).content.decode()
    assert f"/meetings/calendar/{old}.ics" in page
    client.post(reverse("meetings:calendar"))
    new = CalendarFeed.objects.get(user=member_user).token
    assert new != old and len(new) >= 40
    client.logout()
    assert client.get(reverse("meetings:ical_feed", args=[old])).status_code == 404
    assert client.get(reverse("meetings:ical_feed", args=[new])).status_code == 200
    member_user.is_active = False
    member_user.save()
    assert client.get(reverse("meetings:ical_feed", args=[new])).status_code == 404


def test_feed_shows_classified_meetings_only_as_such(client, org_tree, clerk, member_user):
    clear(clerk, "mat", clerk)
    clear(member_user, "mat", clerk)
    meeting = make_meeting(
        clerk,
        org_tree["cell_a"],
        title="Kỷ luật đảng viên",
        confidentiality="mat",
        starts_at=timezone.now() + datetime.timedelta(days=1),
        ends_at=None,
    )
    invite(clerk, meeting, member_user)
    meeting_services.meeting_send_invitations(actor=clerk, meeting=meeting)
    _feed_row, response = _feed(client, member_user)
    assert "Kỷ luật".encode() not in response.content
    (event,) = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Classified meeting"


@pytest.mark.vietnamese
def test_the_schedule_in_vietnamese(client, week, member_user, ui_vietnamese_catalogue):
    member_user.preferred_language = "vi"
    member_user.save()
    client.force_login(member_user)
    page = client.get(reverse("meetings:schedule"), {"week": "2030-03-04"}).content.decode()
    assert "Lịch công tác" in page and "Tuần từ 04/03/2030 đến 10/03/2030" in page
    assert "Sáng" in page and "Chiều" in page and "Tuần sau" in page
