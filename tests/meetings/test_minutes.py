"""The minutes (biên bản): speakers' opinions and tasks, the assembled draft (attendance numbers and who was
absent, guests, agenda, opinions, each vote as "x/y tán thành (z%)", tasks), editing (sanitized), approval,
the PDF layout, the pages; the resolution posted to the members and the daily warning when it is late."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from meetings.models import Attendance, MeetingStatus, Minutes, MinutesStatus, VoteKind
from meetings.services import minutes as services
from meetings.services import room as room_services
from meetings.services import votes as vote_services
from members.models import MemberActivity
from partyhub.models import Notification

from .room_factories import agenda_item, delegate, invite, make_meeting, present

pytestmark = pytest.mark.django_db


@pytest.fixture
def private_dir(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private")},
        },
    }
    return tmp_path / "private"


@pytest.fixture
def meeting(org_tree, cell_secretary, member_user):
    return make_meeting(org_tree["cell_a"], created_by=cell_secretary, chair=cell_secretary, minute_taker=member_user)


@pytest.fixture
def held(meeting, cell_secretary, member_user):
    """A meeting that happened: 9 official members (1 absent with reason, 1 without, 1 exempted and absent), a
    guest present, two agenda items with opinions, a passed two-thirds vote, a failed majority vote, tasks."""
    people = [delegate(meeting) for _ in range(6)]
    sick = delegate(meeting, name="Lê Thị Ốm")
    away = delegate(meeting, name="Trần Văn Vắng")
    old = delegate(meeting, activity=MemberActivity.EXEMPTED, name="Nguyễn Văn Cao Tuổi")
    guest = invite(meeting, name="Đồng chí Bí thư Đoàn xã", kind="guest")
    first = agenda_item(meeting, "Kiểm điểm nghị quyết tháng trước", presenter="Bí thư chi bộ")
    second = agenda_item(meeting, "Xét kết nạp quần chúng Lê Văn Tốt")
    room_services.meeting_open(actor=cell_secretary, meeting=meeting)
    present(*people, guest)
    room_services.attendance_set(actor=member_user, invitation=sick, attendance=Attendance.ABSENT_EXCUSED, reason="Ốm")
    room_services.attendance_set(actor=member_user, invitation=away, attendance=Attendance.ABSENT_UNEXCUSED)
    services.speaker_note_add(
        actor=member_user,
        meeting=meeting,
        speaker="Phạm Văn Ý",
        text="Đề nghị đẩy nhanh tiến độ làm đường.",
        item=first,
    )
    services.speaker_note_add(actor=member_user, meeting=meeting, speaker="Võ Thị Kiến", text="Thống nhất kết nạp.")
    admission = vote_services.vote_create(
        actor=cell_secretary,
        meeting=meeting,
        question="Kết nạp quần chúng Lê Văn Tốt vào Đảng",
        kind=VoteKind.SECRET,
        rule_code="two_thirds",
        item=second,
    )
    vote_services.vote_open(actor=cell_secretary, vote=admission)
    for person in people:
        vote_services.ballot_cast(actor=person.user, vote=admission, choice="agree")
    vote_services.vote_close(actor=cell_secretary, vote=admission)
    budget = vote_services.vote_create(
        actor=cell_secretary, meeting=meeting, question="Tăng mức đóng góp quỹ", item=first
    )
    vote_services.vote_open(actor=cell_secretary, vote=budget)
    for person, choice in zip(people, ["agree", "agree", "agree", "disagree", "abstain", "abstain"], strict=True):
        vote_services.ballot_cast(actor=person.user, vote=budget, choice=choice)
    vote_services.vote_close(actor=cell_secretary, vote=budget)
    services.task_add(
        actor=member_user,
        meeting=meeting,
        description="Hoàn thiện hồ sơ kết nạp",
        owner=cell_secretary,
        deadline=datetime.date(2026, 12, 15),
        item=second,
    )
    services.task_add(actor=member_user, meeting=meeting, description="Vận động đóng góp", owner_name="Tổ 3")
    room_services.meeting_close(actor=cell_secretary, meeting=meeting)
    meeting.refresh_from_db()
    return {"meeting": meeting, "people": people, "old": old}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_notes_and_tasks_are_for_the_minute_taker(meeting, member_user, outsider, org_tree):
    delegate_inv = delegate(meeting)
    for user in (outsider, delegate_inv.user):
        with pytest.raises(PermissionDenied):
            services.speaker_note_add(actor=user, meeting=meeting, speaker="X", text="Y")
    with pytest.raises(ValidationError) as exc:
        services.speaker_note_add(actor=member_user, meeting=meeting, speaker="", text="")
    assert exc.value.message_dict == {"speaker": ["Name the speaker."]}
    with pytest.raises(ValidationError) as exc:
        services.task_add(actor=member_user, meeting=meeting, description="Việc", owner=None, owner_name="")
    assert exc.value.message_dict == {"owner_name": ["Name who is in charge of the task."]}
    other = make_meeting(org_tree["cell_a"], created_by=member_user, title="Khác")
    with pytest.raises(ValidationError) as exc:
        services.task_add(
            actor=member_user, meeting=meeting, description="Việc", owner_name="A", item=agenda_item(other)
        )
    assert exc.value.message_dict == {"item": ["This agenda item belongs to another meeting."]}


def test_assembled_minutes_say_what_happened(held, member_user, cell_secretary):
    meeting = held["meeting"]
    minutes = services.minutes_assemble(actor=member_user, meeting=meeting)
    text = _text(minutes.body)
    assert minutes.status == MinutesStatus.DRAFT and minutes.assembled_at is not None
    assert f"tại {meeting.place}" in text
    assert f"Chủ trì: đồng chí {cell_secretary.get_full_name()}" in text
    assert f"Thư ký: đồng chí {member_user.get_full_name()}" in text
    assert (
        "Tổng số đảng viên được triệu tập: 9; có mặt: 6; vắng: 2 (có lý do: 1, không có lý do: 1); miễn sinh hoạt: 1"
        in text
    )
    assert "Lê Thị Ốm — vắng có lý do (Ốm)" in text
    assert "Trần Văn Vắng — vắng không có lý do" in text
    assert "Nguyễn Văn Cao Tuổi — miễn sinh hoạt" in text
    assert "Số đảng viên chính thức có mặt: 6/8, đủ điều kiện tiến hành hội nghị" in text
    assert "Khách mời: Đồng chí Bí thư Đoàn xã" in text
    assert "1. Kiểm điểm nghị quyết tháng trước" in text and "2. Xét kết nạp quần chúng Lê Văn Tốt" in text
    assert "Đồng chí Phạm Văn Ý: Đề nghị đẩy nhanh tiến độ làm đường." in text
    assert "Đồng chí Võ Thị Kiến: Thống nhất kết nạp." in text  # an opinion outside the agenda items
    assert (
        "Biểu quyết (bỏ phiếu kín): Kết nạp quần chúng Lê Văn Tốt vào Đảng — kết quả: 6/9 tán thành (66,7%); "
        "không tán thành: 0; không biểu quyết: 0. Thông qua." in text
    )
    assert (
        "Biểu quyết (biểu quyết công khai): Tăng mức đóng góp quỹ — kết quả: 3/8 tán thành (37,5%); "
        "không tán thành: 1; không biểu quyết: 2. Không thông qua." in text
    )
    assert f"Hoàn thiện hồ sơ kết nạp {cell_secretary.get_full_name()} 15/12/2026" in text
    assert "Vận động đóng góp Tổ 3 —" in text
    assert "Hội nghị kết thúc lúc" in text and "… giờ" not in text
    # The order of the agenda: opinions and votes under their item.
    assert text.index("Đề nghị đẩy nhanh") < text.index("Tăng mức đóng góp quỹ") < text.index("2. Xét kết nạp")


def test_assembling_again_needs_a_confirmation_and_edits_are_sanitized(held, member_user):
    meeting = held["meeting"]
    minutes = services.minutes_assemble(actor=member_user, meeting=meeting)
    with pytest.raises(ValidationError) as exc:
        services.minutes_assemble(actor=member_user, meeting=meeting)
    assert exc.value.messages == ["The minutes already have a text. Confirm that the assembled text should replace it."]
    minutes = services.minutes_update(
        actor=member_user,
        minutes=minutes,
        body='<p onclick="x()">Nội dung <strong>đã sửa</strong></p><script>alert(1)</script><img src=x onerror=y>',
    )
    assert minutes.body == "<p>Nội dung <strong>đã sửa</strong></p>"
    with pytest.raises(ValidationError) as exc:
        services.minutes_update(actor=member_user, minutes=minutes, body="<script>x</script>")
    assert exc.value.message_dict == {"body": ["The minutes cannot be empty."]}
    minutes = services.minutes_assemble(actor=member_user, meeting=meeting, replace=True)
    assert "6/9 tán thành (66,7%)" in minutes.body


def test_approval_by_the_chair_after_the_meeting_closes(meeting, member_user, cell_secretary):
    delegate(meeting)
    room_services.meeting_open(actor=cell_secretary, meeting=meeting)
    minutes = services.minutes_assemble(actor=member_user, meeting=meeting)
    with pytest.raises(ValidationError) as exc:
        services.minutes_approve(actor=cell_secretary, minutes=minutes)
    assert exc.value.messages == ["Close the meeting before approving its minutes."]
    room_services.meeting_close(actor=cell_secretary, meeting=meeting)
    with pytest.raises(PermissionDenied):
        services.minutes_approve(actor=member_user, minutes=minutes)  # the minute-taker is not the chair
    minutes = services.minutes_approve(actor=cell_secretary, minutes=minutes)
    assert minutes.status == MinutesStatus.APPROVED and minutes.approved_by == cell_secretary
    with pytest.raises(ValidationError):
        services.minutes_update(actor=member_user, minutes=minutes, body="<p>Sửa</p>")
    with pytest.raises(ValidationError):
        services.speaker_note_add(actor=member_user, meeting=meeting, speaker="A", text="B")
    minutes = services.minutes_reopen(actor=cell_secretary, minutes=minutes)
    assert minutes.status == MinutesStatus.DRAFT and minutes.approved_by is None


def test_minutes_pdf_layout(held, member_user, cell_secretary):
    from pdfminer.high_level import extract_pages, extract_text
    from pdfminer.layout import LTTextContainer

    minutes = services.minutes_assemble(actor=member_user, meeting=held["meeting"])
    data = services.minutes_pdf(minutes)
    assert data.startswith(b"%PDF")
    text = " ".join(extract_text(io.BytesIO(data)).split())
    for expected in (
        "ĐẢNG BỘ XÃ GÒ QUAO",
        "CHI BỘ ẤP PHƯỚC HƯNG",
        "Sinh hoạt chi bộ thường kỳ",
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "-BB/CB",
        "BIÊN BẢN",
        "6/9 tán thành (66,7%)",
        "THƯ KÝ",
        "CHỦ TRÌ HỘI NGHỊ",
    ):
        assert expected in text, expected
    # The minute-taker signs on the left, the chair on the right (same line, last page).
    last_page = list(extract_pages(io.BytesIO(data)))[-1]
    boxes = {}
    for element in last_page:
        if isinstance(element, LTTextContainer):
            for line in element:
                content = " ".join(line.get_text().split())
                if content in (member_user.get_full_name(), cell_secretary.get_full_name()):
                    boxes[content] = line.x0
    assert boxes[member_user.get_full_name()] < boxes[cell_secretary.get_full_name()]


def test_minutes_pdf_for_filing_has_the_number_and_date_fields(held, member_user):
    import pikepdf

    minutes = services.minutes_assemble(actor=member_user, meeting=held["meeting"])
    with pikepdf.open(io.BytesIO(services.minutes_pdf(minutes, fields=True))) as pdf:
        names = {str(f.T) for f in pdf.Root.AcroForm.Fields}
    assert {"partyhub_number", "partyhub_date"} <= names


# --- pages -----------------------------------------------------------------------------------------------------


def test_minutes_page_access(client, held, member_user, cell_secretary, outsider):
    meeting = held["meeting"]
    url = reverse("meetings:minutes", args=[meeting.pk])
    for user in (outsider, held["people"][0].user):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.post(reverse("meetings:minutes_action", args=[meeting.pk, "assemble"])).status_code == 404
    client.force_login(member_user)
    page = client.get(url).content.decode()
    assert "Assemble the minutes" in page and "Phạm Văn Ý" in page and "Hoàn thiện hồ sơ kết nạp" in page


def test_minute_taker_works_through_the_page(client, held, member_user, cell_secretary):
    meeting = held["meeting"]
    client.force_login(member_user)
    client.post(
        reverse("meetings:minutes_note_add", args=[meeting.pk]),
        {"note-speaker": "Đinh Văn Mới", "note-text": "Cần tổ chức tập huấn.", "note-item": ""},
    )
    client.post(
        reverse("meetings:minutes_task_add", args=[meeting.pk]),
        {"task-description": "Tổ chức tập huấn", "task-owner_name": "Chi đoàn", "task-deadline": "20/12/2026"},
    )
    client.post(reverse("meetings:minutes_action", args=[meeting.pk, "assemble"]))
    minutes = Minutes.objects.get(meeting=meeting)
    assert "Đinh Văn Mới" in minutes.body and "Tổ chức tập huấn" in minutes.body and "20/12/2026" in minutes.body
    client.post(reverse("meetings:minutes_action", args=[meeting.pk, "save"]), {"body": "<p>Biên bản đã sửa</p>"})
    minutes.refresh_from_db()
    assert minutes.body == "<p>Biên bản đã sửa</p>"
    pdf = client.get(reverse("meetings:minutes_pdf", args=[meeting.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert "no-store" in pdf["Cache-Control"]
    # Only the chair approves.
    client.post(reverse("meetings:minutes_action", args=[meeting.pk, "approve"]))
    minutes.refresh_from_db()
    assert minutes.status == MinutesStatus.DRAFT
    client.force_login(cell_secretary)
    response = client.post(reverse("meetings:minutes_action", args=[meeting.pk, "approve"]), follow=True)
    assert "The minutes are approved." in response.content.decode()
    minutes.refresh_from_db()
    assert minutes.status == MinutesStatus.APPROVED


# --- the resolution --------------------------------------------------------------------------------------------


def _issued_resolution(organization, actor, document_types):
    """An issued resolution of ``organization`` with its file (made directly: the documents app tests its own
    workflow)."""
    from documents.models import OutgoingDocument, OutgoingStatus
    from partyhub.files import store_bytes
    from partyhub.pdf import html_to_pdf

    pdf = html_to_pdf('<p style="font-family: Liberation Serif">NGHỊ QUYẾT hội nghị chi bộ tháng 3</p>').pdf
    stored = store_bytes(pdf, name="nghi-quyet.pdf", content_type="application/pdf", actor=actor)
    return OutgoingDocument.objects.create(
        organization=organization,
        document_type=document_types["Nghị quyết"],
        status=OutgoingStatus.ISSUED,
        summary="Nghị quyết hội nghị chi bộ tháng 3",
        drafted_by=actor,
        issued_file=stored,
        issued_at=timezone.now(),
    )


def test_resolution_is_linked_posted_and_the_office_warned_when_late(
    held, cell_secretary, clerk, member_user, document_types, private_dir, settings
):
    from documents.models import Audience, Publication

    meeting = held["meeting"]
    settings.PARTYHUB_RESOLUTION_POSTING_DAYS = 2
    resolution = _issued_resolution(meeting.organization, cell_secretary, document_types)
    with pytest.raises(PermissionDenied):
        services.resolution_set(actor=member_user, meeting=meeting, document=resolution)  # not the office
    services.resolution_set(actor=cell_secretary, meeting=meeting, document=resolution)
    assert Minutes.objects.get(meeting=meeting).resolution == resolution

    # Closed one day ago: not late yet. Three days ago: the office is warned, every day until it is posted.
    meeting.closed_at = timezone.now() - datetime.timedelta(days=1)
    meeting.save(update_fields=["closed_at"])
    assert services.warn_unposted_resolutions() == 0
    meeting.closed_at = timezone.now() - datetime.timedelta(days=3)
    meeting.save(update_fields=["closed_at"])
    from meetings.tasks import warn_unposted_resolutions

    assert warn_unposted_resolutions.apply().get() == 1
    warned = Notification.objects.filter(kind="meetings.resolution_overdue")
    recipients = set(warned.values_list("recipient__username", flat=True))
    assert "cellsec" in recipients  # the cell's secretary prepares the cell's meetings (and chairs this one)
    assert "member" not in recipients
    assert warned.first().title == f"Resolution not posted yet: {meeting.title}"

    publication = services.resolution_post(actor=cell_secretary, meeting=meeting)
    assert isinstance(publication, Publication)
    assert (publication.audience, publication.organization) == (Audience.CELL, meeting.organization)
    assert Minutes.objects.get(meeting=meeting).resolution_posted_at is not None
    assert services.warn_unposted_resolutions() == 0
    with pytest.raises(ValidationError) as exc:
        services.resolution_post(actor=cell_secretary, meeting=meeting)
    assert exc.value.messages == ["The resolution has already been posted."]


def test_resolution_must_be_an_nq_of_the_organization(held, cell_secretary, document_types, private_dir, org_tree):
    meeting = held["meeting"]
    resolution = _issued_resolution(org_tree["cell_b"], cell_secretary, document_types)
    with pytest.raises(ValidationError) as exc:
        services.resolution_set(actor=cell_secretary, meeting=meeting, document=resolution)
    assert exc.value.message_dict == {"document": ["Choose a resolution of the meeting's organization."]}


def test_the_schedule_has_the_daily_warning():
    from partyhub.tasks import all_schedules

    assert any(entry[0] == "meetings.tasks.warn_unposted_resolutions" for entry in all_schedules().values())


def test_meeting_close_needs_no_open_vote(meeting, cell_secretary):
    people = [delegate(meeting) for _ in range(2)]
    room_services.meeting_open(actor=cell_secretary, meeting=meeting)
    present(*people)
    vote = vote_services.vote_create(actor=cell_secretary, meeting=meeting, question="Q?")
    vote_services.vote_open(actor=cell_secretary, vote=vote)
    with pytest.raises(ValidationError) as exc:
        room_services.meeting_close(actor=cell_secretary, meeting=meeting)
    assert exc.value.messages == ["A vote is still open: close it before ending the meeting."]
    vote_services.vote_close(actor=cell_secretary, vote=vote)
    assert room_services.meeting_close(actor=cell_secretary, meeting=meeting).status == MeetingStatus.CLOSED


def test_minutes_of_a_cell_meeting_state_the_party_fee_collection(held, member_user, fee_rules):
    from members.models import FeeCategory, FeeDeclaration

    text = _text(services.minutes_assemble(actor=member_user, meeting=held["meeting"]).body)
    assert "đảng phí" not in text  # nobody owes anything: nothing to state
    for inv in held["people"][:2]:
        FeeDeclaration.objects.create(
            member=inv.member, valid_from=datetime.date(2026, 1, 1), category=FeeCategory.SALARY, basis_amount=8_500_000
        )
    minutes = services.minutes_assemble(actor=member_user, meeting=held["meeting"], replace=True)
    month = timezone.localdate(held["meeting"].starts_at).strftime("%m/%Y")
    assert f"Tình hình thu nộp đảng phí tháng {month}: 0/2 đảng viên đã nộp; đã thu 0 đ/170.000 đ (0,0%)." in _text(
        minutes.body
    )
