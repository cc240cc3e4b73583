"""Builders for the room, vote and minutes tests (helper "room"): a meeting in progress with delegates whose
member records have the statuses the rules care about. Rows are created directly (the meetings services of
the core are tested in their own files)."""

from __future__ import annotations

import datetime
import itertools
import secrets

from django.utils import timezone

from meetings.models import AgendaItem, Attendance, Invitation, InviteeKind, Meeting, MeetingKind, MeetingStatus
from members.models import MemberActivity, MemberStatus

from ..factories import MemberFactory, UserFactory

_counter = itertools.count(1)


def make_meeting(organization, *, created_by, chair=None, minute_taker=None, status=MeetingStatus.INVITED, **extra):
    now = timezone.now()
    values = {
        "organization": organization,
        "kind": MeetingKind.CELL_REGULAR,
        "title": "Sinh hoạt chi bộ tháng 3",
        "starts_at": now - datetime.timedelta(minutes=30),
        "ends_at": now + datetime.timedelta(hours=2),
        "place": "Hội trường ấp Phước Hưng",
        "chair": chair,
        "minute_taker": minute_taker,
        "status": status,
        "created_by": created_by,
        "invitations_sent_at": now - datetime.timedelta(days=2),
    }
    values.update(extra)
    return Meeting.objects.create(**values)


def invite(meeting, *, user=None, member=None, name="", kind=InviteeKind.DELEGATE, **extra) -> Invitation:
    number = (meeting.invitations.order_by("-copy_number").values_list("copy_number", flat=True).first() or 0) + 1
    if not name:
        name = (member.full_name if member else "") or (user.get_full_name() if user else "") or f"Khách {number}"
    return Invitation.objects.create(
        meeting=meeting,
        kind=kind,
        user=user,
        member=member,
        name=name,
        copy_number=number,
        checkin_token=secrets.token_urlsafe(24),
        **extra,
    )


def delegate(
    meeting,
    *,
    status=MemberStatus.OFFICIAL,
    activity=MemberActivity.ACTIVE,
    with_user=True,
    attendance="",
    name=None,
):
    """A member of the meeting's organization (with a user account unless told otherwise), invited."""
    n = next(_counter)
    full_name = name or f"Đảng viên Thử {n}"
    user = UserFactory(username=f"dv{n}-{secrets.token_hex(3)}", full_name=full_name) if with_user else None
    member = MemberFactory(
        full_name=full_name, organization=meeting.organization, status=status, activity=activity, user=user
    )
    return invite(meeting, user=user, member=member, attendance=attendance)


def agenda_item(meeting, title="Thông qua nghị quyết tháng", order=None, **extra):
    order = order or (meeting.agenda.count() + 1)
    return AgendaItem.objects.create(meeting=meeting, order=order, title=title, **extra)


def present(*invitations):
    for inv in invitations:
        inv.attendance = Attendance.PRESENT
        inv.checked_in_at = timezone.now()
        inv.save(update_fields=["attendance", "checked_in_at"])
    return invitations


def compile_room_catalogue(tmp_path, settings):
    """The project's Vietnamese catalogue (plus a fragment locale/pending/room.po if one is waiting to be
    merged) — compiled afresh and put first (for browser tests in Vietnamese)."""
    import shutil
    import subprocess
    from pathlib import Path

    import pytest

    msgfmt, msgcat = shutil.which("msgfmt"), shutil.which("msgcat")
    if msgfmt is None or msgcat is None:
        pytest.skip("needs gettext's msgfmt and msgcat (Debian package gettext)")
    base = Path(settings.BASE_DIR) / "locale"
    target = tmp_path / "locale" / "vi" / "LC_MESSAGES"
    target.mkdir(parents=True)
    merged = tmp_path / "merged.po"
    sources = [str(base / "vi" / "LC_MESSAGES" / "django.po")]
    if (base / "pending" / "room.po").exists():
        sources.append(str(base / "pending" / "room.po"))
    subprocess.run([msgcat, "--use-first", "-o", str(merged), *sources], check=True)
    subprocess.run([msgfmt, "--check-format", "-o", str(target / "django.mo"), str(merged)], check=True)
    settings.LOCALE_PATHS = [tmp_path / "locale", *settings.LOCALE_PATHS]
