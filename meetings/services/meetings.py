"""Meetings and their invitations (issue 6, point 1; domain.md §5).

* ``meeting_create`` / ``meeting_update`` / ``meeting_cancel`` — a meeting of one of the kinds of domain.md §5.
  Once invitations are out, every change raises ``Meeting.sequence`` (the iCal ``SEQUENCE``) and tells every
  invited person what changed, with an updated .ics; cancelling sends ``METHOD:CANCEL``.
* ``invitation_add`` / ``invitation_remove`` — delegates (a member, and their account if they have one; or
  a user) and guests (a name and an e-mail address). Copy numbers run 1, 2, … in the order people are added
  (a removed person's number is not reused: printed copies carry it). The check-in token is random.
* ``meeting_send_invitations`` — a notification to each invited user (e-mailed with the .ics attached by the
  notifications e-mail path) and an e-mail to guests without an account; people added later are invited at
  once.
* ``meetings_send_due_reminders`` — the reminder the day before (``meetings.tasks.send_meeting_reminders``),
  once per meeting (``Meeting.reminder_sent_at``).
* ``meeting_invite_organization_members`` — everybody who belongs at the meeting: the cell's members for a
  cell meeting, the executive committee for a conference, the standing committee for its meeting.

Permission failures raise ``PermissionDenied`` (views have answered 404 before); bad input raises a
``ValidationError`` keyed by field, with nothing written.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from documents.models import Confidentiality
from documents.permissions import cleared_for
from members.models import Member
from partyhub import audit, queue
from partyhub.notifications import notify

from ..models import Invitation, InviteeKind, Meeting, MeetingKind, MeetingStatus
from ..permissions import can_create_meeting, can_manage_meeting

__all__ = [
    "MEETING_FIELDS",
    "guest_email_send",
    "invitation_add",
    "invitation_remove",
    "meeting_cancel",
    "meeting_create",
    "meeting_invite_organization_members",
    "meeting_send_invitations",
    "meeting_update",
    "meetings_send_due_reminders",
]

#: The fields a meeting form may set, and the label that names each in a change notice.
MEETING_FIELDS: dict[str, object] = {
    "organization": _("Organization"),
    "kind": _("Kind"),
    "title": _("Title"),
    "description": _("Description"),
    "starts_at": _("Starts at"),
    "ends_at": _("Ends at"),
    "place": _("Place"),
    "online_link": _("Online link"),
    "chair": _("Chair"),
    "minute_taker": _("Minute-taker"),
    "confidentiality": _("Confidentiality"),
    "folder_opens_at": _("Folder opens at"),
    "folder_closes_at": _("Folder closes at"),
}

#: Every change after the invitations is announced (the folder window too: it says when delegates can read
#: the papers); a classified meeting's title and description are never written into a notice.
NOTICE_FIELDS = tuple(MEETING_FIELDS)

#: Notification kinds whose e-mails carry the meeting's .ics (``meetings.apps`` registers the attachment).
ICS_KINDS = ("meeting_invitation", "meeting_changed", "meeting_reminder", "meeting_cancelled", "meeting_uninvited")

REMINDER_WINDOW = datetime.timedelta(hours=24)
MAX_TEXT = 5000


# --- helpers ---------------------------------------------------------------------------------------------------


def _url(meeting: Meeting) -> str:
    return reverse("meetings:detail", args=[meeting.pk])


def _when(value: datetime.datetime | None) -> str:
    if value is None:
        return "—"
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


#: A date-time formatted when the (lazy) message is rendered, i.e. in each recipient's language.
_when_lazy = lazy(_when, str)


def _title_for_notice(meeting: Meeting):
    from ..calendar import public_title

    return lazy(public_title, str)(meeting)


def _locked(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update(of=("self",)).select_related("organization").get(pk=meeting.pk)


def _require_manager(actor, meeting: Meeting) -> None:
    if not can_manage_meeting(actor, meeting):
        raise PermissionDenied


def _require_editable(meeting: Meeting) -> None:
    if meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError(_("This meeting was cancelled; it can no longer be changed."), code="cancelled")
    if meeting.status == MeetingStatus.CLOSED:
        raise ValidationError(_("This meeting is closed; it can no longer be changed."), code="closed")


def _active_user(value, field: str):
    if value is None or value == "":
        return None
    User = get_user_model()
    if not isinstance(value, User):
        value = User.objects.filter(pk=value).first() if str(value).isdigit() else None
        if value is None:
            raise ValidationError({field: _("Unknown user.")}, code="unknown_user")
    if not value.is_active:
        raise ValidationError({field: _("This user account is not active.")}, code="inactive")
    return value


def _clean(values: dict, *, actor, existing: Meeting | None = None) -> dict:
    """Validate the meeting fields in ``values`` (merged over ``existing``); return the cleaned values."""
    errors: dict[str, list] = {}
    cleaned = dict(values)

    def current(name):
        if name in cleaned:
            return cleaned[name]
        return getattr(existing, name) if existing is not None else None

    if "organization" in cleaned:
        organization = cleaned["organization"]
        if organization is None:
            errors.setdefault("organization", []).append(_("Choose the organization holding the meeting."))
        elif not can_create_meeting(actor, organization):
            errors.setdefault("organization", []).append(_("You cannot hold meetings for this organization."))
    if "kind" in cleaned and cleaned["kind"] not in MeetingKind.values:
        errors.setdefault("kind", []).append(_("Choose the kind of meeting."))
    if "title" in cleaned:
        cleaned["title"] = (cleaned["title"] or "").strip()
        if not cleaned["title"]:
            errors.setdefault("title", []).append(_("Give the meeting a title."))
        elif len(cleaned["title"]) > 300:
            errors.setdefault("title", []).append(_("Keep the title under 300 characters."))
    for name in ("description", "place"):
        if name in cleaned:
            cleaned[name] = (cleaned[name] or "").strip()
    if len(cleaned.get("description", "")) > MAX_TEXT:
        errors.setdefault("description", []).append(format_lazy(_("Keep it under {limit} characters."), limit=MAX_TEXT))
    if len(cleaned.get("place", "")) > 300:
        errors.setdefault("place", []).append(_("Keep the place under 300 characters."))
    if "online_link" in cleaned:
        link = (cleaned["online_link"] or "").strip()
        if link:
            try:
                URLValidator(schemes=["https", "http"])(link)
            except ValidationError:
                errors.setdefault("online_link", []).append(_("Enter a web address starting with https://."))
        cleaned["online_link"] = link
    for name in ("chair", "minute_taker"):
        if name in cleaned:
            try:
                cleaned[name] = _active_user(cleaned[name], name)
            except ValidationError as exc:
                for key, messages in exc.message_dict.items():
                    errors.setdefault(key, []).extend(messages)
    if "confidentiality" in cleaned:
        level = cleaned["confidentiality"] or ""
        if level not in Confidentiality.values:
            errors.setdefault("confidentiality", []).append(_("Choose a classification level."))
        elif not cleared_for(actor, level):
            errors.setdefault("confidentiality", []).append(_("You are not cleared for this classification level."))
        cleaned["confidentiality"] = level
    starts_at = current("starts_at")
    ends_at = current("ends_at")
    if "starts_at" in cleaned and starts_at is None:
        errors.setdefault("starts_at", []).append(_("Enter when the meeting starts."))
    if starts_at is not None and ends_at is not None and ends_at < starts_at:
        errors.setdefault("ends_at", []).append(_("The meeting cannot end before it starts."))
    opens, closes = current("folder_opens_at"), current("folder_closes_at")
    if opens is not None and closes is not None and closes <= opens:
        errors.setdefault("folder_closes_at", []).append(_("The folder must close after it opens."))
    elif closes is not None and starts_at is not None and closes <= starts_at:
        errors.setdefault("folder_closes_at", []).append(_("The folder must stay open until the meeting starts."))
    if errors:
        raise ValidationError(errors)
    return cleaned


def _display(meeting: Meeting, name: str):
    value = getattr(meeting, name)
    if name in ("starts_at", "ends_at", "folder_opens_at", "folder_closes_at"):
        return _when_lazy(value)
    if name in ("chair", "minute_taker"):
        return value.get_full_name() if value is not None else "—"
    if name == "organization":
        return value.name
    if name == "kind":
        return MeetingKind(value).label if value else "—"
    if name == "confidentiality":
        return Confidentiality(value or "").label
    if name == "description":
        return _("(new text)") if value else "—"
    return value or "—"


# --- meetings --------------------------------------------------------------------------------------------------


@transaction.atomic
def meeting_create(
    *,
    actor,
    organization,
    kind: str,
    title: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime | None = None,
    description: str = "",
    place: str = "",
    online_link: str = "",
    chair=None,
    minute_taker=None,
    confidentiality: str = "",
    folder_opens_at: datetime.datetime | None = None,
    folder_closes_at: datetime.datetime | None = None,
) -> Meeting:
    """Create a meeting (status "being prepared") and its entry in the work schedule."""
    if organization is not None and not can_create_meeting(actor, organization):
        raise PermissionDenied
    values = _clean(
        {
            "organization": organization,
            "kind": kind,
            "title": title,
            "description": description,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "place": place,
            "online_link": online_link,
            "chair": chair,
            "minute_taker": minute_taker,
            "confidentiality": confidentiality,
            "folder_opens_at": folder_opens_at,
            "folder_closes_at": folder_closes_at,
        },
        actor=actor,
    )
    meeting = Meeting.objects.create(created_by=actor, **values)
    from .schedule import schedule_sync_meeting

    schedule_sync_meeting(meeting=meeting, actor=actor)
    return meeting


@transaction.atomic
def meeting_update(*, actor, meeting: Meeting, **changes) -> Meeting:
    """Change fields of ``meeting`` (any of :data:`MEETING_FIELDS`). After invitations were sent, raises the
    iCal sequence and tells everyone invited what changed (notification + e-mail with the updated .ics)."""
    unknown = set(changes) - set(MEETING_FIELDS)
    if unknown:
        raise TypeError(f"Unknown meeting fields: {', '.join(sorted(unknown))}")
    meeting = _locked(meeting)
    _require_manager(actor, meeting)
    _require_editable(meeting)
    cleaned = _clean(changes, actor=actor, existing=meeting)
    changed = [name for name, value in cleaned.items() if getattr(meeting, name) != value]
    if not changed:
        return meeting
    before = {name: _display(meeting, name) for name in changed}
    for name in changed:
        setattr(meeting, name, cleaned[name])
    # Once classified, the meeting must still be one its manager may see (checked again on the new level).
    if not can_manage_meeting(actor, meeting):
        raise ValidationError({"organization": [_("You cannot hold meetings for this organization.")]})
    if meeting.invitations_sent_at is not None:
        meeting.sequence += 1
    meeting.save()
    from .schedule import schedule_sync_meeting

    schedule_sync_meeting(meeting=meeting, actor=actor)
    if meeting.invitations_sent_at is not None:
        lines = [
            format_lazy(
                "{label}: {old} → {new}", label=MEETING_FIELDS[name], old=before[name], new=_display(meeting, name)
            )
            for name in changed
            if name in NOTICE_FIELDS and not (meeting.confidentiality and name in ("title", "description"))
        ]
        _announce(
            meeting,
            actor=actor,
            kind="meeting_changed",
            title=format_lazy(_("Meeting changed: {title}"), title=_title_for_notice(meeting)),
            body=format_lazy(
                "{intro}\n{lines}",
                intro=_("The meeting you are invited to has changed:"),
                lines=format_lazy("\n".join(["{}"] * len(lines)), *lines) if lines else _("Details were updated."),
            ),
            event="changed",
        )
    return meeting


@transaction.atomic
def meeting_cancel(*, actor, meeting: Meeting, reason: str = "") -> Meeting:
    """Cancel ``meeting``; the invited are told, with an .ics ``METHOD:CANCEL`` removing it from their
    calendars."""
    meeting = _locked(meeting)
    _require_manager(actor, meeting)
    _require_editable(meeting)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for cancelling.")]})
    if len(reason) > 300:
        raise ValidationError({"reason": [_("Keep the reason under 300 characters.")]})
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancelled_at = timezone.now()
    meeting.cancel_reason = reason
    meeting.sequence += 1
    meeting.save()
    audit.record(action="other", obj=meeting, actor=actor, changes={"event": "meeting_cancelled", "reason": reason})
    from .schedule import schedule_sync_meeting

    schedule_sync_meeting(meeting=meeting, actor=actor)
    if meeting.invitations_sent_at is not None:
        _announce(
            meeting,
            actor=actor,
            kind="meeting_cancelled",
            title=format_lazy(_("Meeting cancelled: {title}"), title=_title_for_notice(meeting)),
            body=format_lazy(
                _("The meeting of {when} has been cancelled. Reason: {reason}"),
                when=_when_lazy(meeting.starts_at),
                reason=reason,
            ),
            event="cancelled",
        )
    return meeting


# --- invitations -----------------------------------------------------------------------------------------------


def _new_token() -> str:
    while True:
        token = secrets.token_urlsafe(24)
        if not Invitation.objects.filter(checkin_token=token).exists():
            return token


def _member_of(user) -> Member | None:
    return Member.objects.filter(user_id=user.pk).first()


@transaction.atomic
def invitation_add(
    *,
    actor,
    meeting: Meeting,
    member: Member | None = None,
    user=None,
    name: str = "",
    email: str = "",
    kind: str | None = None,
) -> Invitation:
    """Invite a member (and their account, if any), a user (and their member record, if any), or a guest
    (a name and an e-mail address). Copy numbers are given in order; once invitations are out, the new
    person is invited at once."""
    meeting = _locked(meeting)
    _require_manager(actor, meeting)
    _require_editable(meeting)
    name = (name or "").strip()
    email = (email or "").strip()
    given_member = member is not None
    if kind is not None and kind not in InviteeKind.values:
        raise ValidationError({"kind": [_("Choose delegate or guest.")]})
    if member is not None:
        from members.models import CURRENT_STATUSES
        from members.permissions import can_view_member

        if not can_view_member(actor, member):
            raise ValidationError({"member": [_("Unknown member.")]}, code="unknown_member")
        if member.status not in CURRENT_STATUSES:
            raise ValidationError({"member": [_("This person is no longer a member of the party.")]})
        if user is None and member.user_id is not None and member.user.is_active:
            user = member.user
        name = name or member.full_name
    if user is not None:
        user = _active_user(user, "user")
        if member is None:
            member = _member_of(user)
        name = name or user.get_full_name()
        email = email or user.email
    if member is None and user is None:
        if not name:
            raise ValidationError({"name": [_("Enter the guest's name.")]})
        if not email:
            raise ValidationError({"email": [_("Enter the guest's e-mail address.")]})
        kind = kind or InviteeKind.GUEST
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError({"email": [_("Enter a valid e-mail address.")]}) from None
    if len(name) > 150:
        raise ValidationError({"name": [_("Keep the name under 150 characters.")]})
    duplicate = Invitation.objects.filter(meeting=meeting)
    if (user is not None and duplicate.filter(user=user).exists()) or (
        member is not None and duplicate.filter(member=member).exists()
    ):
        raise ValidationError({"member" if given_member else "user": [_("This person is already invited.")]})
    if member is None and user is None and duplicate.filter(email__iexact=email, user__isnull=True).exists():
        raise ValidationError({"email": [_("A guest with this e-mail address is already invited.")]})
    number = (Invitation.objects.filter(meeting=meeting).aggregate(top=Max("copy_number"))["top"] or 0) + 1
    invitation = Invitation.objects.create(
        meeting=meeting,
        kind=kind or InviteeKind.DELEGATE,
        user=user,
        member=member,
        name=name,
        email=email if user is None else "",
        copy_number=number,
        checkin_token=_new_token(),
    )
    if meeting.invitations_sent_at is not None:
        _invite([invitation], meeting, actor=actor)
    return invitation


@transaction.atomic
def invitation_remove(*, actor, invitation: Invitation) -> None:
    """Withdraw an invitation. Someone already invited is told (with an .ics cancelling it for them)."""
    meeting = _locked(invitation.meeting)
    _require_manager(actor, meeting)
    _require_editable(meeting)
    invitation = Invitation.objects.select_related("user").get(pk=invitation.pk)
    if invitation.checked_in_at is not None:
        raise ValidationError(_("This person has checked in already; record their absence instead."))
    from ..models import Ballot, BallotReceipt

    if (
        Ballot.objects.filter(invitation=invitation).exists()
        or BallotReceipt.objects.filter(invitation=invitation).exists()
    ):
        raise ValidationError(_("This person has voted; the invitation can no longer be withdrawn."))
    was_invited = invitation.invited_at is not None
    user, email, name = invitation.user, invitation.email, invitation.name
    audit.record(
        action="other",
        obj=meeting,
        actor=actor,
        changes={"event": "meeting_invitation_removed", "name": name, "copy_number": invitation.copy_number},
    )
    from .packets import delegate_copies_discard

    delegate_copies_discard(invitation=invitation)  # their stamped copies and files go with them
    invitation.delete()
    if was_invited:
        title = format_lazy(_("Invitation withdrawn: {title}"), title=_title_for_notice(meeting))
        body = format_lazy(_("You are no longer invited to the meeting of {when}."), when=_when_lazy(meeting.starts_at))
        if user is not None:
            # The link names the meeting for the .ics cancelling it (opening it answers 404 from now on).
            notify(recipients=[user], title=title, body=body, url=_url(meeting), kind="meeting_uninvited", actor=actor)
        elif email:
            _queue_guest(meeting, email=email, name=name, event="uninvited")


def _invite(invitations: Iterable[Invitation], meeting: Meeting, *, actor) -> int:
    """Mark ``invitations`` invited now and send them the invitation (notification or guest e-mail)."""
    now = timezone.now()
    invitations = [i for i in invitations if i.invited_at is None]
    if not invitations:
        return 0
    Invitation.objects.filter(pk__in=[i.pk for i in invitations]).update(invited_at=now)
    users = []
    for invitation in invitations:
        invitation.invited_at = now
        if invitation.user_id is not None:
            users.append(invitation.user)
        elif invitation.email:
            _queue_guest(meeting, email=invitation.email, name=invitation.name, event="invitation")
    if users:
        notify(
            recipients=users,
            title=format_lazy(_("Invitation: {title}"), title=_title_for_notice(meeting)),
            body=_invitation_body(meeting),
            url=_url(meeting),
            kind="meeting_invitation",
            actor=None,
        )
    return len(invitations)


def _invitation_body(meeting: Meeting):
    place = meeting.place or "—"
    return format_lazy(
        _("You are invited to the meeting at {when}, {place}. The documents are in the meeting folder."),
        when=_when_lazy(meeting.starts_at),
        place=place,
    )


@transaction.atomic
def meeting_send_invitations(*, actor, meeting: Meeting) -> int:
    """Send the invitations of everyone not invited yet; returns how many were sent. The first sending opens
    the folder window (unless ``folder_opens_at`` says otherwise) and publishes the meeting's schedule entry
    (unless classified)."""
    meeting = _locked(meeting)
    _require_manager(actor, meeting)
    _require_editable(meeting)
    pending = list(Invitation.objects.filter(meeting=meeting, invited_at__isnull=True).select_related("user"))
    if not Invitation.objects.filter(meeting=meeting).exists():
        raise ValidationError(_("Add at least one person to invite first."), code="no_invitations")
    if not pending:
        raise ValidationError(_("Everyone on the list has been invited already."), code="nothing_to_send")
    first = meeting.invitations_sent_at is None
    if first:
        meeting.invitations_sent_at = timezone.now()
        if meeting.status == MeetingStatus.DRAFT:
            meeting.status = MeetingStatus.INVITED
        meeting.save(update_fields=["invitations_sent_at", "status", "updated_at"])
        from .schedule import schedule_sync_meeting

        schedule_sync_meeting(meeting=meeting, actor=actor, publish=not meeting.confidentiality)
    count = _invite(pending, meeting, actor=actor)
    audit.record(
        action="other", obj=meeting, actor=actor, changes={"event": "meeting_invitations_sent", "count": count}
    )
    return count


def _announce(meeting: Meeting, *, actor, kind: str, title, body, event: str) -> int:
    """Tell everyone invited (users by notification + e-mail with the .ics, guests by e-mail)."""
    invitations = list(Invitation.objects.filter(meeting=meeting, invited_at__isnull=False).select_related("user"))
    users = [i.user for i in invitations if i.user_id is not None]
    for invitation in invitations:
        if invitation.user_id is None and invitation.email:
            _queue_guest(meeting, email=invitation.email, name=invitation.name, event=event)
    if users:
        # The actor is told too when invited: their calendar needs the new .ics as well.
        notify(recipients=users, title=title, body=body, url=_url(meeting), kind=kind, actor=None)
    return len(invitations)


# --- reminders -------------------------------------------------------------------------------------------------


def meetings_send_due_reminders(*, now: datetime.datetime | None = None) -> int:
    """Remind everyone invited to the meetings starting within the next 24 hours — once per meeting.
    Returns the number of meetings reminded."""
    now = now or timezone.now()
    due = list(
        Meeting.objects.filter(
            reminder_sent_at__isnull=True,
            invitations_sent_at__isnull=False,
            status__in=[MeetingStatus.INVITED, MeetingStatus.DRAFT],
            starts_at__gt=now,
            starts_at__lte=now + REMINDER_WINDOW,
        ).values_list("pk", flat=True)
    )
    sent = 0
    for pk in due:
        with transaction.atomic():
            meeting = (
                Meeting.objects.select_for_update(of=("self",)).select_related("organization").filter(pk=pk).first()
            )
            if meeting is None or meeting.reminder_sent_at is not None:
                continue
            if meeting.status not in (MeetingStatus.INVITED, MeetingStatus.DRAFT):
                continue
            meeting.reminder_sent_at = now
            meeting.save(update_fields=["reminder_sent_at"])
            _announce(
                meeting,
                actor=None,
                kind="meeting_reminder",
                title=format_lazy(_("Reminder: {title}"), title=_title_for_notice(meeting)),
                body=format_lazy(
                    _("The meeting starts at {when}, {place}."),
                    when=_when_lazy(meeting.starts_at),
                    place=meeting.place or "—",
                ),
                event="reminder",
            )
            sent += 1
    return sent


# --- the whole organization ------------------------------------------------------------------------------------


def _position_holders(organization_ids: Iterable[int]) -> list[Member]:
    from members.models import Position
    from members.selectors import current_positions_q

    seen: set[int] = set()
    result = []
    rows = (
        Position.objects.filter(current_positions_q(), organization_id__in=list(organization_ids))
        .select_related("member", "member__user")
        .order_by("title__order", "member__full_name", "pk")
    )
    for position in rows:
        if position.member_id not in seen:
            seen.add(position.member_id)
            result.append(position.member)
    return result


def organization_invitees(meeting: Meeting, actor) -> list[Member]:
    """Who belongs at ``meeting``: a cell meeting — the cell's members; an executive committee conference —
    the holders of positions in the executive committee (or in the commune committee itself); a standing
    committee meeting — the standing committee; a congress — every member of the organization's tree. Read
    through the members app's selectors, limited to the members ``actor`` may see."""
    from members.models import CURRENT_STATUSES, Organization, OrganizationKind
    from members.selectors import descendant_ids, members_visible_to

    organization = meeting.organization
    visible = members_visible_to(actor).filter(status__in=CURRENT_STATUSES)
    if meeting.kind in (MeetingKind.CELL_REGULAR, MeetingKind.CELL_THEMATIC):
        return list(visible.filter(organization=organization).select_related("user").order_by("full_name", "pk"))
    if meeting.kind == MeetingKind.CONGRESS:
        ids = descendant_ids([organization.pk])
        return list(visible.filter(organization_id__in=ids).select_related("user").order_by("full_name", "pk"))
    if meeting.kind == MeetingKind.STANDING_COMMITTEE:
        wanted = {OrganizationKind.STANDING_COMMITTEE}
    else:
        wanted = {OrganizationKind.EXECUTIVE_COMMITTEE}
    if organization.kind in wanted:
        org_ids = {organization.pk}
    else:
        org_ids = set(
            Organization.objects.filter(parent=organization, kind__in=list(wanted)).values_list("id", flat=True)
        )
        if meeting.kind == MeetingKind.COMMITTEE_CONFERENCE:
            # The committee members often hold their position in the commune committee itself.
            org_ids.add(organization.pk)
    holders = _position_holders(org_ids)
    allowed = set(visible.filter(pk__in=[m.pk for m in holders]).values_list("pk", flat=True))
    return [m for m in holders if m.pk in allowed]


@transaction.atomic
def meeting_invite_organization_members(*, actor, meeting: Meeting) -> int:
    """Invite everyone who belongs at the meeting (see :func:`organization_invitees`) and is not invited yet.
    Returns how many were added."""
    meeting = _locked(meeting)
    _require_manager(actor, meeting)
    _require_editable(meeting)
    members = organization_invitees(meeting, actor)
    existing_members = set(
        Invitation.objects.filter(meeting=meeting, member__isnull=False).values_list("member_id", flat=True)
    )
    existing_users = set(
        Invitation.objects.filter(meeting=meeting, user__isnull=False).values_list("user_id", flat=True)
    )
    added = 0
    for member in members:
        if member.pk in existing_members or (member.user_id is not None and member.user_id in existing_users):
            continue
        invitation_add(actor=actor, meeting=meeting, member=member)
        added += 1
    if not added and not members:
        raise ValidationError(_("Nobody was found to invite for this kind of meeting."), code="nobody")
    return added


# --- guests' e-mail --------------------------------------------------------------------------------------------

GUEST_SUBJECTS = {
    "invitation": _("Invitation: {title}"),
    "changed": _("Meeting changed: {title}"),
    "reminder": _("Reminder: {title}"),
    "cancelled": _("Meeting cancelled: {title}"),
    "uninvited": _("Invitation withdrawn: {title}"),
}


def _queue_guest(meeting: Meeting, *, email: str, name: str, event: str) -> None:
    from ..tasks import send_guest_email

    queue.enqueue(send_guest_email, meeting.pk, email, name, event, meeting.sequence)


def guest_email_send(*, meeting_id: int, email: str, name: str, event: str, sequence: int) -> bool:
    """E-mail a guest (no account) about ``event`` with the meeting's .ics; once per (meeting, address, event,
    sequence). Returns True when a mail was sent."""
    from django.core.cache import cache
    from django.core.mail import EmailMessage
    from django.template.loader import render_to_string
    from django.utils import translation

    from ..calendar import absolute_url, meeting_ics, public_title

    meeting = Meeting.objects.select_related("organization").filter(pk=meeting_id).first()
    if meeting is None or event not in GUEST_SUBJECTS or not email:
        return False
    # The creation time makes the key unique even when a restored or recreated database reuses the id.
    key = f"meetings:guest-mail:{meeting_id}:{meeting.created_at.timestamp()}:{email.lower()}:{event}:{sequence}"
    if not cache.add(key, 1, 60 * 60 * 24 * 30):
        return False
    invitation = Invitation.objects.filter(meeting=meeting, user__isnull=True, email__iexact=email).first()
    language = settings.LANGUAGE_CODE
    try:
        with translation.override(language):
            context = {
                "meeting": meeting,
                "name": name,
                "event": event,
                "title": public_title(meeting),
                "when": _when(meeting.starts_at),
                "ends": _when(meeting.ends_at) if meeting.ends_at else "",
                "classified": bool(meeting.confidentiality),
                "link": absolute_url(_url(meeting)),
            }
            subject = str(GUEST_SUBJECTS[event]).format(title=context["title"])
            body = render_to_string("meetings/email/guest_body.txt", context)
            if event == "uninvited":
                ics = meeting_ics(meeting, method="CANCEL", language=language)
            else:
                ics = meeting_ics(meeting, attendee=invitation, language=language)
        message = EmailMessage(
            subject=" ".join(subject.split())[:200],
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[email],
            headers={"Auto-Submitted": "auto-generated", "Content-Language": language},
        )
        message.attach("cancel.ics" if event in ("cancelled", "uninvited") else "invite.ics", ics, "text/calendar")
        message.send(fail_silently=False)
    except BaseException:
        cache.delete(key)
        raise
    return True


# --- the .ics attached to notification e-mails -----------------------------------------------------------------


def notification_ics_attachment(notification) -> list[tuple[str, bytes, str]]:
    """``partyhub.notifications`` attachment provider for :data:`ICS_KINDS`: the meeting's .ics as it is when
    the e-mail goes out, addressed to the recipient."""
    from django.urls import Resolver404, resolve

    from ..calendar import meeting_ics

    meeting_id = None
    if notification.url:
        try:
            match = resolve(notification.url)
        except Resolver404:
            match = None
        if match is not None and match.namespace == "meetings":
            meeting_id = match.kwargs.get("pk")
    if meeting_id is None:
        return []
    meeting = Meeting.objects.select_related("organization").filter(pk=meeting_id).first()
    if meeting is None:
        return []
    recipient = notification.recipient
    language = recipient.preferred_language or settings.LANGUAGE_CODE
    if notification.kind == "meeting_uninvited":
        return [("cancel.ics", meeting_ics(meeting, method="CANCEL", language=language), "text/calendar")]
    invitation = Invitation.objects.filter(meeting=meeting, user=recipient).select_related("user").first()
    ics = meeting_ics(meeting, attendee=invitation, language=language)
    name = "cancel.ics" if meeting.status == MeetingStatus.CANCELLED else "invite.ics"
    return [(name, ics, "text/calendar")]
