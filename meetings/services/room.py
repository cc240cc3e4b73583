"""In the room (issue 6, point 5; domain.md §5 "Attendance", "Voting"): opening and closing the meeting,
check-in, the secretary's attendance ticks, and the live attendance summary with the quorum.

Voting rights are fixed when the meeting opens (``meeting_open``) from each delegate's member record:

* ``may_vote``: an OFFICIAL member, not suspended and not attending here only temporarily (a probationary
  member has every right except voting, standing and electing — Điều lệ art. 3 [V]; a member attending
  temporarily votes where they are officially registered [P]);
* ``counts_for_quorum`` (the denominator of a vote and of the quorum): official members, leaving out members
  on temporary transfer elsewhere and suspended members [V]. Members under prosecution or detention are left
  out too by the rules, but PartyHub does not model that condition (no field in the member registry): the
  secretary marks such a member "exempted" by hand. EXEMPTED members are counted only when present: the
  meeting opens with them marked "exempted" (absent) and the secretary ticks them present when they come, so
  the denominator is always computed from the attendance at the moment it is needed (the close of a vote).

Check-in: the room screen shows a QR code of ``room_checkin_url`` (a token that changes every
``PARTYHUB_ROOM_TOKEN_SECONDS``, so a photo of the code soon stops working); a signed-in invited delegate who
opens it (tablet camera or link) checks themself in. The secretary's own device may open a delegate's personal
code (``Invitation.checkin_token``) the same way, or tick names on the room screen.

The quorum rule is data (a ``VoteRule`` with code ``quorum``, seeded by migration ``0003_room_quorum_rule``):
at least 2/3 of the official members counted in the denominator present [P].
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

from members.models import MemberActivity, MemberStatus

from ..models import Attendance, Invitation, InviteeKind, Meeting, MeetingStatus, VoteRule, VoteStatus

__all__ = [
    "QUORUM_RULE_CODE",
    "AttendanceSummary",
    "attendance_set",
    "attendance_summary",
    "can_run_room",
    "checkin_by_code",
    "checkin_self",
    "denominator_invitations",
    "fraction_met",
    "meeting_close",
    "meeting_open",
    "member_of",
    "minimum_needed",
    "room_token",
    "room_token_valid",
    "rule_in_force",
    "voting_rights",
]

QUORUM_RULE_CODE = "quorum"
#: Used only if the quorum rule row is missing (the migration seeds the same values).
DEFAULT_QUORUM = (2, 3, False)
MAX_REASON_CHARS = 300

#: Statuses in which people may check in (the room opens before the chair opens the meeting).
CHECKIN_STATUSES = (MeetingStatus.INVITED, MeetingStatus.IN_PROGRESS)


# --- permissions (the predicates live in meetings.permissions) -------------------------------------------------


def can_run_room(user, meeting: Meeting) -> bool:
    """The chair, the minute-taker (secretary) or the office managing the meeting."""
    from ..permissions import can_chair, can_take_minutes

    return bool(can_chair(user, meeting) or can_take_minutes(user, meeting))


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


# --- rules ------------------------------------------------------------------------------------------------------


def meeting_day(meeting: Meeting) -> datetime.date:
    return timezone.localdate(meeting.starts_at)


def rule_in_force(code: str, on: datetime.date) -> VoteRule | None:
    """The version of the rule ``code`` valid on ``on`` (the latest that started on or before it)."""
    return (
        VoteRule.objects.filter(code=code, valid_from__lte=on)
        .exclude(valid_until__lt=on)
        .order_by("-valid_from", "-id")
        .first()
    )


def fraction_met(count: int, base: int, *, numerator: int, denominator: int, strictly_more: bool) -> bool:
    """``count/base`` is more than (or at least) ``numerator/denominator`` — exact integer arithmetic."""
    if base <= 0 or denominator <= 0:
        return False
    left, right = count * denominator, numerator * base
    return left > right if strictly_more else left >= right


def minimum_needed(base: int, *, numerator: int, denominator: int, strictly_more: bool) -> int:
    """The smallest count that meets the fraction of ``base``."""
    if base <= 0 or denominator <= 0:
        return 0
    product = numerator * base
    if strictly_more:
        return product // denominator + 1
    return -(-product // denominator)


def member_of(invitation: Invitation):
    """The member record behind an invitation: its own ``member``, or the invited user's record."""
    if invitation.member_id:
        return invitation.member
    user = invitation.user
    if user is None:
        return None
    try:
        return user.member
    except user.__class__.member.RelatedObjectDoesNotExist:
        return None


def voting_rights(invitation: Invitation) -> tuple[bool, bool]:
    """``(may_vote, counts_for_quorum)`` from the member record as it is now (see the module docstring)."""
    if invitation.kind != InviteeKind.DELEGATE:
        return False, False
    member = member_of(invitation)
    if member is None or member.status != MemberStatus.OFFICIAL:
        return False, False
    if member.activity in (MemberActivity.SUSPENDED, MemberActivity.TEMPORARY_IN):
        return False, False
    if member.activity == MemberActivity.TEMPORARY_OUT:
        return True, False
    return True, True


def _rights(invitation: Invitation, meeting: Meeting) -> tuple[bool, bool]:
    """The rights fixed at opening, or (before the meeting opens) the ones it would fix now."""
    if meeting.opened_at is not None:
        return invitation.may_vote, invitation.counts_for_quorum
    return voting_rights(invitation)


def _invitations(meeting: Meeting):
    return meeting.invitations.select_related("member", "user__member").order_by("copy_number", "id")


def denominator_invitations(meeting: Meeting) -> list[Invitation]:
    """Delegates counted in the denominator now: counted members, minus exempted members who are absent."""
    result = []
    for inv in _invitations(meeting):
        _, counts = _rights(inv, meeting)
        if counts and not _absent_exempted(inv, meeting):
            result.append(inv)
    return result


def _absent_exempted(inv: Invitation, meeting: Meeting) -> bool:
    if inv.attendance == Attendance.EXEMPTED:
        return True
    if meeting.opened_at is None and inv.attendance != Attendance.PRESENT:
        member = member_of(inv)
        return member is not None and member.activity == MemberActivity.EXEMPTED
    return False


# --- the summary ------------------------------------------------------------------------------------------------


@dataclass
class AttendanceSummary:
    total_members: int = 0
    present: int = 0
    absent_excused: int = 0
    absent_unexcused: int = 0
    exempted: int = 0
    not_recorded: int = 0
    guests: int = 0
    guests_present: int = 0
    #: Official members counted in the denominator now, and how many of them are present.
    denominator: int = 0
    counted_present: int = 0
    #: Delegates who may vote and are present.
    voters_present: int = 0
    quorum_needed: int = 0
    quorum_reached: bool = False
    quorum_rule: VoteRule | None = None
    absent: list = field(default_factory=list)  # [{name, code, label, reason}] of delegates not present
    rows: list = field(default_factory=list)  # [(invitation, may_vote, counts)]

    @property
    def absent_total(self) -> int:
        return self.absent_excused + self.absent_unexcused

    @property
    def quorum_text(self):
        rule = self.quorum_rule
        if rule is None:
            return ""
        return _("%(present)s of %(base)s counted members present; %(needed)s needed (%(rule)s)") % {
            "present": self.counted_present,
            "base": self.denominator,
            "needed": self.quorum_needed,
            "rule": rule.name,
        }


def quorum_rule_for(meeting: Meeting) -> VoteRule:
    rule = rule_in_force(QUORUM_RULE_CODE, meeting_day(meeting))
    if rule is None:  # the seeded row was removed: fall back to the same values, unsaved
        numerator, denominator, strictly = DEFAULT_QUORUM
        rule = VoteRule(
            code=QUORUM_RULE_CODE,
            name="Ít nhất hai phần ba số đảng viên chính thức có mặt",
            numerator=numerator,
            denominator=denominator,
            strictly_more=strictly,
            base=VoteRule.Base.ELIGIBLE,
            valid_from=datetime.date(2011, 1, 1),
        )
    return rule


def attendance_summary(meeting: Meeting) -> AttendanceSummary:
    """Counts of the attendance and whether the quorum is reached — two queries whatever the size."""
    summary = AttendanceSummary()
    for inv in _invitations(meeting):
        may_vote, counts = _rights(inv, meeting)
        summary.rows.append((inv, may_vote, counts))
        if inv.kind == InviteeKind.GUEST:
            summary.guests += 1
            summary.guests_present += inv.attendance == Attendance.PRESENT
            continue
        summary.total_members += 1
        present = inv.attendance == Attendance.PRESENT
        absent_exempted = _absent_exempted(inv, meeting)
        if present:
            summary.present += 1
        elif absent_exempted:
            summary.exempted += 1
        elif inv.attendance == Attendance.ABSENT_EXCUSED:
            summary.absent_excused += 1
        elif inv.attendance == Attendance.ABSENT_UNEXCUSED:
            summary.absent_unexcused += 1
        else:
            summary.not_recorded += 1
        if not present:
            code = Attendance.EXEMPTED if absent_exempted else Attendance(inv.attendance or "")
            summary.absent.append(
                {"name": inv.name, "code": str(code), "label": code.label, "reason": inv.absence_reason}
            )
        if counts and not absent_exempted:
            summary.denominator += 1
            summary.counted_present += present
        if may_vote and present:
            summary.voters_present += 1
    rule = quorum_rule_for(meeting)
    summary.quorum_rule = rule
    summary.quorum_needed = minimum_needed(
        summary.denominator, numerator=rule.numerator, denominator=rule.denominator, strictly_more=rule.strictly_more
    )
    summary.quorum_reached = fraction_met(
        summary.counted_present,
        summary.denominator,
        numerator=rule.numerator,
        denominator=rule.denominator,
        strictly_more=rule.strictly_more,
    )
    return summary


# --- opening and closing ---------------------------------------------------------------------------------------


def _locked_meeting(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update().get(pk=meeting.pk)


@transaction.atomic
def meeting_open(*, actor, meeting: Meeting) -> Meeting:
    """Open the meeting: fix each delegate's voting rights and place in the denominator, mark exempted members
    "exempted" until they come, and set the meeting in progress."""
    from ..permissions import can_chair

    _require(can_chair(actor, meeting))
    meeting = _locked_meeting(meeting)
    if meeting.status == MeetingStatus.IN_PROGRESS:
        raise ValidationError(_("The meeting is already in progress."))
    if meeting.status not in (MeetingStatus.DRAFT, MeetingStatus.INVITED):
        raise ValidationError(_("A closed or cancelled meeting cannot be opened."))
    for inv in _invitations(meeting).select_for_update(of=("self",)):
        may_vote, counts = voting_rights(inv)
        changed = []
        if inv.may_vote != may_vote:
            inv.may_vote = may_vote
            changed.append("may_vote")
        if inv.counts_for_quorum != counts:
            inv.counts_for_quorum = counts
            changed.append("counts_for_quorum")
        member = member_of(inv)
        if (
            inv.kind == InviteeKind.DELEGATE
            and not inv.attendance
            and member is not None
            and member.activity == MemberActivity.EXEMPTED
        ):
            inv.attendance = Attendance.EXEMPTED
            changed.append("attendance")
        if changed:
            inv.save(update_fields=changed)
    meeting.status = MeetingStatus.IN_PROGRESS
    meeting.opened_at = timezone.now()
    meeting.save(update_fields=["status", "opened_at", "updated_at"])
    return meeting


@transaction.atomic
def meeting_close(*, actor, meeting: Meeting) -> Meeting:
    """End the meeting (no vote may still be open)."""
    from ..permissions import can_chair

    _require(can_chair(actor, meeting))
    meeting = _locked_meeting(meeting)
    if meeting.status != MeetingStatus.IN_PROGRESS:
        raise ValidationError(_("Only a meeting in progress can be closed."))
    if meeting.votes.filter(status=VoteStatus.OPEN).exists():
        raise ValidationError(_("A vote is still open: close it before ending the meeting."))
    meeting.status = MeetingStatus.CLOSED
    meeting.closed_at = timezone.now()
    meeting.save(update_fields=["status", "closed_at", "updated_at"])
    return meeting


# --- the room's rotating check-in token -------------------------------------------------------------------------


def _token_seconds() -> int:
    return max(10, int(getattr(settings, "PARTYHUB_ROOM_TOKEN_SECONDS", 60)))


def _token_for(meeting: Meeting, window: int) -> str:
    value = f"{meeting.pk}:{window}"
    return salted_hmac("meetings.room.checkin", value, algorithm="sha256").hexdigest()[:24]


def room_token(meeting: Meeting, *, at: float | None = None) -> str:
    """The token the room screen shows now (it changes every ``PARTYHUB_ROOM_TOKEN_SECONDS``)."""
    return _token_for(meeting, int((time.time() if at is None else at) // _token_seconds()))


def room_token_valid(meeting: Meeting, token: str, *, at: float | None = None) -> bool:
    """The token shown now or in the previous period (a code scanned just before it changed still works)."""
    if not token or len(token) > 64:
        return False
    window = int((time.time() if at is None else at) // _token_seconds())
    return any(constant_time_compare(token, _token_for(meeting, w)) for w in (window, window - 1))


# --- check-in and the secretary's ticks -------------------------------------------------------------------------


def _locked_invitation(invitation: Invitation) -> Invitation:
    return Invitation.objects.select_for_update(of=("self",)).select_related("meeting").get(pk=invitation.pk)


def _check_room_open(meeting: Meeting) -> None:
    if meeting.status not in CHECKIN_STATUSES:
        raise ValidationError(_("Check-in is possible only before and during the meeting."))


def _mark_present(invitation: Invitation, actor) -> Invitation:
    if invitation.attendance == Attendance.PRESENT and invitation.checked_in_at:
        return invitation  # scanning twice changes nothing
    fields = ["attendance", "absence_reason", "checked_in_at", "checked_in_by"]
    if invitation.meeting.opened_at is not None and not (invitation.may_vote or invitation.counts_for_quorum):
        # Invited after the meeting opened (its rights were never fixed): fix them now, from the member record.
        may_vote, counts = voting_rights(invitation)
        if may_vote or counts:
            invitation.may_vote, invitation.counts_for_quorum = may_vote, counts
            fields += ["may_vote", "counts_for_quorum"]
    invitation.attendance = Attendance.PRESENT
    invitation.absence_reason = ""
    invitation.checked_in_at = timezone.now()
    invitation.checked_in_by = actor
    invitation.save(update_fields=fields)
    return invitation


@transaction.atomic
def checkin_self(*, actor, meeting: Meeting, token: str) -> Invitation:
    """A delegate opened the room's QR link: they are checked in as themselves."""
    from ..permissions import invitation_for

    invitation = invitation_for(actor, meeting)
    _require(invitation is not None)
    if not room_token_valid(meeting, token):
        raise ValidationError(
            _("This check-in code has expired. Scan the code on the room screen again."), code="expired"
        )
    _check_room_open(meeting)
    return _mark_present(_locked_invitation(invitation), actor)


@transaction.atomic
def checkin_by_code(*, actor, meeting: Meeting, code: str) -> Invitation:
    """The secretary's device opened a delegate's personal check-in code."""
    _require(can_run_room(actor, meeting))
    invitation = Invitation.objects.filter(meeting=meeting, checkin_token=code).first() if code else None
    if invitation is None:
        raise ValidationError(_("This check-in code does not belong to this meeting."), code="unknown")
    _check_room_open(meeting)
    return _mark_present(_locked_invitation(invitation), actor)


@transaction.atomic
def attendance_set(*, actor, invitation: Invitation, attendance: str, reason: str = "") -> Invitation:
    """The secretary ticks a name: present, absent with a reason, absent without, exempted, or not recorded."""
    meeting = invitation.meeting
    _require(can_run_room(actor, meeting))
    if attendance not in Attendance.values:
        raise ValidationError({"attendance": _("Choose one of the attendance values.")})
    if meeting.status not in (*CHECKIN_STATUSES, MeetingStatus.DRAFT):
        raise ValidationError(_("The attendance of a closed or cancelled meeting can no longer be changed."))
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON_CHARS:
        raise ValidationError({"reason": _("Keep the reason under 300 characters.")})
    if attendance == Attendance.ABSENT_EXCUSED and not reason:
        raise ValidationError({"reason": _("Give the reason for the absence.")})
    invitation = _locked_invitation(invitation)
    if attendance == Attendance.PRESENT:
        return _mark_present(invitation, actor)
    invitation.attendance = attendance
    invitation.absence_reason = reason if attendance in (Attendance.ABSENT_EXCUSED, Attendance.EXEMPTED) else ""
    invitation.checked_in_at = None
    invitation.checked_in_by = None
    invitation.save(update_fields=["attendance", "absence_reason", "checked_in_at", "checked_in_by"])
    return invitation
