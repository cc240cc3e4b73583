"""Meetings core (helper "meet"): creating and changing meetings, invitations (members, users, guests),
the .ics sent with invitations, changes and cancellations, reminders the day before, inviting a whole cell."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from meetings.models import Invitation, InviteeKind, Meeting, MeetingKind, MeetingStatus, ScheduleEntry
from meetings.services import meetings as meeting_services
from partyhub.models import Notification

from ..factories import MemberFactory, PositionFactory, PositionTitleFactory, UserFactory
from .meet_factories import at, ics_attachments, invite, make_meeting, only_event

pytestmark = pytest.mark.django_db


def _messages(exc: ValidationError, field: str) -> list[str]:
    return [str(m) for m in exc.message_dict[field]]


# --- creating and changing ---------------------------------------------------------------------------------------


def test_create_makes_a_draft_meeting_and_its_schedule_entry(clerk, org_tree):
    meeting = make_meeting(clerk, org_tree["cell_a"], chair=clerk)
    assert meeting.status == MeetingStatus.DRAFT
    assert meeting.sequence == 0
    entry = ScheduleEntry.objects.get(meeting=meeting)
    assert (entry.title, entry.starts_at, entry.place, entry.published) == (
        meeting.title,
        meeting.starts_at,
        meeting.place,
        False,
    )
    assert entry.host == clerk.get_full_name()


def test_end_before_start_is_refused_with_a_clear_message_and_nothing_written(clerk, org_tree):
    with pytest.raises(ValidationError) as caught:
        make_meeting(clerk, org_tree["cell_a"], starts_at=at(3, 14), ends_at=at(3, 8))
    assert _messages(caught.value, "ends_at") == ["The meeting cannot end before it starts."]
    assert not Meeting.objects.exists()
    assert not ScheduleEntry.objects.exists()


def test_bad_inputs_name_their_fields(clerk, org_tree, outsider):
    outsider.is_active = False
    outsider.save()
    with pytest.raises(ValidationError) as caught:
        make_meeting(
            clerk,
            org_tree["cell_a"],
            title="  ",
            kind="picnic",
            online_link="javascript:alert(1)",
            chair=outsider,
            folder_opens_at=at(2),
            folder_closes_at=at(1),
        )
    errors = caught.value.message_dict
    assert errors["title"] == ["Give the meeting a title."]
    assert errors["kind"] == ["Choose the kind of meeting."]
    assert errors["online_link"] == ["Enter a web address starting with https://."]
    assert errors["chair"] == ["This user account is not active."]
    assert errors["folder_closes_at"] == ["The folder must close after it opens."]


def test_only_the_office_of_the_organization_creates_meetings(org_tree, clerk, cell_secretary, member_user, outsider):
    make_meeting(cell_secretary, org_tree["cell_a"])  # the cell's secretary, for the cell
    with pytest.raises(PermissionDenied):
        make_meeting(cell_secretary, org_tree["cell_b"])
    with pytest.raises(PermissionDenied):
        make_meeting(member_user, org_tree["cell_a"])
    with pytest.raises(PermissionDenied):
        make_meeting(clerk, org_tree["other_cell"])


def test_a_classified_meeting_needs_a_clearance_of_its_creator(clerk, org_tree):
    with pytest.raises(ValidationError) as caught:
        make_meeting(clerk, org_tree["cell_a"], confidentiality="mat")
    assert _messages(caught.value, "confidentiality") == ["You are not cleared for this classification level."]


def test_changes_before_invitations_keep_the_sequence_and_tell_nobody(clerk, org_tree, delegate):
    meeting = make_meeting(clerk, org_tree["commune"], kind=MeetingKind.COMMITTEE_CONFERENCE)
    invite(clerk, meeting, delegate)
    meeting_services.meeting_update(actor=clerk, meeting=meeting, place="Phòng họp Đảng ủy")
    meeting.refresh_from_db()
    assert meeting.sequence == 0
    assert not Notification.objects.exists()
    assert ScheduleEntry.objects.get(meeting=meeting).place == "Phòng họp Đảng ủy"


# --- invitations ---------------------------------------------------------------------------------------------------


def test_invitation_add_member_user_and_guest_with_copy_numbers_in_order(clerk, org_tree, member_user, delegate):
    meeting = make_meeting(clerk, org_tree["cell_a"])
    by_member = meeting_services.invitation_add(actor=clerk, meeting=meeting, member=member_user.member)
    by_user = meeting_services.invitation_add(actor=clerk, meeting=meeting, user=delegate)
    guest = meeting_services.invitation_add(
        actor=clerk, meeting=meeting, name="Lê Văn Khách", email="khach@example.test"
    )
    assert [i.copy_number for i in (by_member, by_user, guest)] == [1, 2, 3]
    assert (by_member.user, by_member.member, by_member.name) == (
        member_user,
        member_user.member,
        member_user.member.full_name,
    )
    assert (by_user.user, by_user.member) == (delegate, delegate.member)  # the user's member record is linked
    assert (guest.kind, guest.user, guest.member, guest.email) == (InviteeKind.GUEST, None, None, "khach@example.test")
    tokens = {i.checkin_token for i in (by_member, by_user, guest)}
    assert len(tokens) == 3 and all(len(t) >= 30 for t in tokens)
    # A removed person's copy number is not given again.
    meeting_services.invitation_remove(actor=clerk, invitation=by_user)
    again = meeting_services.invitation_add(actor=clerk, meeting=meeting, user=delegate)
    assert again.copy_number == 4


def test_invitation_bad_inputs(clerk, org_tree, member_user, outsider):
    meeting = make_meeting(clerk, org_tree["cell_a"])
    meeting_services.invitation_add(actor=clerk, meeting=meeting, member=member_user.member)
    cases = [
        ({"member": member_user.member}, "member", "This person is already invited."),
        ({"user": member_user}, "user", "This person is already invited."),
        ({"name": "Khách"}, "email", "Enter the guest's e-mail address."),
        ({"email": "a@example.test"}, "name", "Enter the guest's name."),
        ({"name": "Khách", "email": "not-an-address"}, "email", "Enter a valid e-mail address."),
        # A member of another commune is not one the clerk may see: unknown.
        ({"member": outsider.member}, "member", "Unknown member."),
    ]
    for kwargs, field, message in cases:
        with pytest.raises(ValidationError) as caught:
            meeting_services.invitation_add(actor=clerk, meeting=meeting, **kwargs)
        assert _messages(caught.value, field) == [message], kwargs
    assert Invitation.objects.filter(meeting=meeting).count() == 1


def test_send_invitations_notifies_and_emails_an_ics(
    clerk, org_tree, delegate, member_user, celery_eager, django_capture_on_commit_callbacks
):
    meeting = make_meeting(
        clerk,
        org_tree["cell_a"],
        title="Hội nghị chuyên đề",
        place="Hội trường ấp Phước Hưng",
        chair=clerk,
        online_link="https://meet.example.test/abc",
    )
    invite(clerk, meeting, delegate)
    invite(clerk, meeting, member_user)
    meeting_services.invitation_add(actor=clerk, meeting=meeting, name="Khách mời", email="guest@example.test")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sent = meeting_services.meeting_send_invitations(actor=clerk, meeting=meeting)
    assert sent == 3
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.INVITED and meeting.invitations_sent_at is not None
    assert ScheduleEntry.objects.get(meeting=meeting).published is True
    notes = Notification.objects.filter(kind="meeting_invitation").order_by("recipient__username")
    assert [n.recipient for n in notes] == [delegate, member_user]
    assert notes[0].title == "Invitation: Hội nghị chuyên đề"
    assert notes[0].url == f"/meetings/{meeting.pk}/"
    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {delegate.email, member_user.email, "guest@example.test"}
    for address, message in by_address.items():
        (calendar,) = ics_attachments(message)
        assert str(calendar["METHOD"]) == "REQUEST"
        event = only_event(calendar)
        assert event.decoded("DTSTART") == meeting.starts_at
        assert event.decoded("DTEND") == meeting.ends_at
        assert str(event["LOCATION"]) == "Hội trường ấp Phước Hưng"
        assert str(event["SUMMARY"]) == "Hội nghị chuyên đề"
        assert int(event["SEQUENCE"]) == 0
        assert str(event["UID"]) == f"meeting-{meeting.pk}@127.0.0.1"
        assert str(event["ORGANIZER"]) == "mailto:partyhub@localhost"
        assert str(event["ORGANIZER"].params["CN"]) == "Chi bộ ấp Phước Hưng"
        assert str(event["ATTENDEE"]) == f"mailto:{address}"
        assert "https://meet.example.test/abc" in str(event["DESCRIPTION"])
    # Sending again: nobody is left to invite.
    with pytest.raises(ValidationError) as caught:
        meeting_services.meeting_send_invitations(actor=clerk, meeting=meeting)
    assert caught.value.messages == ["Everyone on the list has been invited already."]


def test_send_without_anybody_is_refused(clerk, org_tree):
    meeting = make_meeting(clerk, org_tree["cell_a"])
    with pytest.raises(ValidationError) as caught:
        meeting_services.meeting_send_invitations(actor=clerk, meeting=meeting)
    assert caught.value.messages == ["Add at least one person to invite first."]


def test_a_person_added_after_sending_is_invited_at_once(
    clerk, org_tree, delegate, member_user, celery_eager, django_capture_on_commit_callbacks
):
    meeting = make_meeting(clerk, org_tree["cell_a"])
    invite(clerk, meeting, delegate)
    meeting_services.meeting_send_invitations(actor=clerk, meeting=meeting)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        late = invite(clerk, meeting, member_user)
    assert late.invited_at is not None
    assert [m.to for m in mail.outbox] == [[member_user.email]]
    assert ics_attachments(mail.outbox[0])


def test_changes_after_invitations_raise_the_sequence_and_tell_everyone_what_changed(
    clerk, org_tree, delegate, celery_eager, django_capture_on_commit_callbacks
):
    meeting = make_meeting(clerk, org_tree["cell_a"], place="Hội trường ấp")
    invite(clerk, meeting, delegate)
    guest = meeting_services.invitation_add(actor=clerk, meeting=meeting, name="Khách", email="guest@example.test")
    meeting_services.meeting_send_invitations(actor=clerk, meeting=meeting)
    mail.outbox.clear()
    new_start = at(4, 14)
    with django_capture_on_commit_callbacks(execute=True):
        meeting_services.meeting_update(
            actor=clerk, meeting=meeting, place="Phòng họp Đảng ủy", starts_at=new_start, ends_at=at(4, 17)
        )
    meeting.refresh_from_db()
    assert meeting.sequence == 1
    notice = Notification.objects.get(kind="meeting_changed", recipient=delegate)
    assert notice.title == f"Meeting changed: {meeting.title}"
    assert "Place: Hội trường ấp → Phòng họp Đảng ủy" in notice.body
    local = timezone.localtime(new_start)
    assert "Starts at: " in notice.body and local.strftime("%H:%M %d/%m/%Y") in notice.body
    assert {m.to[0] for m in mail.outbox} == {delegate.email, guest.email}
    for message in mail.outbox:
        event = only_event(ics_attachments(message)[0])
        assert int(event["SEQUENCE"]) == 1
        assert str(event["LOCATION"]) == "Phòng họp Đảng ủy"
        assert event.decoded("DTSTART") == new_start
    # A second change raises it again.
    meeting_services.meeting_update(actor=clerk, meeting=meeting, title="Sinh hoạt chi bộ (dời lịch)")
    meeting.refresh_from_db()
    assert meeting.sequence == 2


def test_cancel_sends_method_cancel(clerk, org_tree, delegate, celery_eager, django_capture_on_commit_callbacks):
    meeting = make_meeting(clerk, org_tree["cell_a"])
    invite(clerk, meeting, delegate)
    meeting_services.meeting_send_invitations(actor=clerk, meeting=meeting)
    mail.outbox.clear()
    with pytest.raises(ValidationError) as caught:
        meeting_services.meeting_cancel(actor=clerk, meeting=meeting, reason=" ")
    assert caught.value.message_dict["reason"] == ["Give the reason for cancelling."]
    with django_capture_on_commit_callbacks(execute=True):
        meeting_services.meeting_cancel(actor=clerk, meeting=meeting, reason="Trùng lịch họp huyện")
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CANCELLED and meeting.sequence == 1
    (message,) = mail.outbox
    (calendar,) = ics_attachments(message)
    assert str(calendar["METHOD"]) == "CANCEL"
    event = only_event(calendar)
    assert str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 1
    assert Notification.objects.get(kind="meeting_cancelled").body.endswith("Reason: Trùng lịch họp huyện")
    with pytest.raises(ValidationError) as caught:
        meeting_services.meeting_update(actor=clerk, meeting=meeting, place="x")
    assert caught.value.messages == ["This meeting was cancelled; it can no longer be changed."]


def test_withdrawing_an_invitation_sends_that_person_a_cancel(
    clerk, org_tree, delegate, celery_eager, django_capture_on_commit_callbacks
):
    meeting = make_meeting(clerk, org_tree["cell_a"])
    invitation = invite(clerk, meeting, delegate)
    meeting_services.meeting_send_invitations(actor=clerk, meeting=meeting)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        meeting_services.invitation_remove(actor=clerk, invitation=invitation)
    (message,) = mail.outbox
    (calendar,) = ics_attachments(message)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert not Invitation.objects.filter(meeting=meeting).exists()


def test_a_classified_meeting_leaves_only_a_neutral_title_in_mail(
    clerk, org_tree, delegate, celery_eager, django_capture_on_commit_callbacks
):
    from .meet_factories import clear

    clear(clerk, "mat", clerk)
    clear(delegate, "mat", clerk)
    meeting = make_meeting(clerk, org_tree["cell_a"], title="Xem xét kỷ luật đảng viên X", confidentiality="mat")
    invite(clerk, meeting, delegate)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        meeting_services.meeting_send_invitations(actor=clerk, meeting=meeting)
    (message,) = mail.outbox
    assert "kỷ luật" not in message.subject and "kỷ luật" not in message.body
    event = only_event(ics_attachments(message)[0])
    assert str(event["SUMMARY"]) == "Classified meeting"
    assert str(event["CLASS"]) == "CONFIDENTIAL"
    assert ScheduleEntry.objects.get(meeting=meeting).published is False  # never published automatically


# --- reminders -------------------------------------------------------------------------------------------------------


def test_reminders_the_day_before_are_sent_once(
    clerk, org_tree, delegate, celery_eager, django_capture_on_commit_callbacks
):
    from meetings.tasks import send_meeting_reminders

    soon = make_meeting(
        clerk, org_tree["cell_a"], starts_at=timezone.now() + datetime.timedelta(hours=20), ends_at=None
    )
    later = make_meeting(clerk, org_tree["cell_a"], starts_at=at(5), ends_at=None, title="Sau")
    for meeting in (soon, later):
        invite(clerk, meeting, delegate)
        meeting_services.meeting_send_invitations(actor=clerk, meeting=meeting)
    draft_only = make_meeting(clerk, org_tree["cell_a"], starts_at=timezone.now() + datetime.timedelta(hours=10))
    invite(clerk, draft_only, delegate)  # never sent: no reminder
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert send_meeting_reminders() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert send_meeting_reminders() == 0
    reminders = Notification.objects.filter(kind="meeting_reminder")
    assert [n.title for n in reminders] == [f"Reminder: {soon.title}"]
    assert len(mail.outbox) == 1 and ics_attachments(mail.outbox[0])
    soon.refresh_from_db()
    assert soon.reminder_sent_at is not None


def test_the_reminder_task_is_scheduled():
    from partyhub.tasks import all_schedules

    task, kind, spec = all_schedules()["meetings: remind invited delegates the day before"]
    assert (task, kind, spec["minute"], spec["hour"]) == ("meetings.tasks.send_meeting_reminders", "crontab", "0", "*")


# --- inviting the whole organization ---------------------------------------------------------------------------------


def test_invite_the_whole_cell(clerk, org_tree, member_user, cell_secretary):
    from members.models import MemberStatus

    MemberFactory(full_name="Nguyễn Văn Không Tài Khoản", organization=org_tree["cell_a"])  # no account: still invited
    MemberFactory(full_name="Trần Văn Đã Chuyển", organization=org_tree["cell_a"], status=MemberStatus.TRANSFERRED_OUT)
    MemberFactory(organization=org_tree["cell_b"])
    meeting = make_meeting(clerk, org_tree["cell_a"])
    added = meeting_services.meeting_invite_organization_members(actor=clerk, meeting=meeting)
    names = set(Invitation.objects.filter(meeting=meeting).values_list("name", flat=True))
    from members.models import Member

    expected = set(
        Member.objects.filter(organization=org_tree["cell_a"], status__in=["official", "probationary"]).values_list(
            "full_name", flat=True
        )
    )
    assert {"Nguyễn Văn Không Tài Khoản", member_user.member.full_name, cell_secretary.member.full_name} <= expected
    assert names == expected and added == len(expected)
    assert "Trần Văn Đã Chuyển" not in names
    # Running it again adds nobody.
    assert meeting_services.meeting_invite_organization_members(actor=clerk, meeting=meeting) == 0


def test_invite_the_executive_committee_for_a_conference(clerk, org_tree, delegate, member_user):
    meeting = make_meeting(clerk, org_tree["commune"], kind=MeetingKind.COMMITTEE_CONFERENCE)
    second = UserFactory(username="uyvien2")
    PositionFactory(
        member=MemberFactory(full_name=second.full_name, organization=org_tree["cell_a"], user=second),
        organization=org_tree["commune"],
        title=PositionTitleFactory(name="Cấp ủy viên", grants_delegate=True),
    )
    meeting_services.meeting_invite_organization_members(actor=clerk, meeting=meeting)
    invited = set(Invitation.objects.filter(meeting=meeting).values_list("user__username", flat=True))
    assert {"delegate", "uyvien2"} <= invited
    assert "member" not in invited  # an ordinary member of a cell is not on the committee
