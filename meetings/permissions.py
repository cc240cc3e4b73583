"""Who may do what with meetings: pure predicates over the facts of ``meetings.selectors``.

Deny by default: every predicate answers ``False`` for anonymous and inactive users and for a classified
meeting the user is not cleared for. Views answer 404 when a predicate refuses (a forbidden meeting is
answered like a missing one). Services call these too, so a rule holds even when a view forgets.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from rest_framework.permissions import BasePermission

from documents.permissions import cleared_for

from . import selectors
from .models import AgendaDocument, Meeting, MeetingStatus
from .selectors import folder_open, invitation_for


def _authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def _cleared(user, meeting: Meeting) -> bool:
    return cleared_for(user, meeting.confidentiality or "")


def can_create_meeting(user, organization) -> bool:
    """Hold a meeting for ``organization``: the office of its commune, its cell secretary, admins."""
    if not _authenticated(user) or organization is None or getattr(organization, "is_external", False):
        return False
    ids = selectors.managed_meeting_org_ids(user)
    return ids is None or organization.pk in ids


def can_manage_meeting(user, meeting: Meeting) -> bool:
    """Prepare and manage ``meeting`` (edit, invite, agenda, packet, schedule): the office of the meeting
    organization's commune (clerks, leaders), the cell secretary for their cell's meetings, admins — each
    only if cleared for the meeting's classification."""
    if not _authenticated(user) or meeting is None:
        return False
    if not _cleared(user, meeting):
        return False
    ids = selectors.managed_meeting_org_ids(user)
    return ids is None or meeting.organization_id in ids


def _runs_meeting(user, meeting: Meeting) -> bool:
    return user.pk is not None and user.pk in (meeting.chair_id, meeting.minute_taker_id)


def can_view_meeting(user, meeting: Meeting, now: datetime.datetime | None = None) -> bool:
    """See ``meeting`` and its agenda: managers; the chair and the minute-taker; an invited person within the
    access window (:func:`folder_open`). Classified meetings need a clearance for their level."""
    if not _authenticated(user) or meeting is None:
        return False
    if not _cleared(user, meeting):
        return False
    if can_manage_meeting(user, meeting) or _runs_meeting(user, meeting):
        return True
    return invitation_for(user, meeting) is not None and folder_open(meeting, now)


def can_open_folder(user, meeting: Meeting, now: datetime.datetime | None = None) -> bool:
    """Open the meeting folder (agenda, documents, own packet copy): an invited person within the window and
    cleared for the level, or a manager."""
    if not _authenticated(user) or meeting is None or not _cleared(user, meeting):
        return False
    if can_manage_meeting(user, meeting):
        return True
    return invitation_for(user, meeting) is not None and folder_open(meeting, now)


def can_chair(user, meeting: Meeting) -> bool:
    """Chair the meeting (open votes, run the room): the chair, or a manager."""
    if not _authenticated(user) or meeting is None or not _cleared(user, meeting):
        return False
    return (meeting.chair_id is not None and meeting.chair_id == user.pk) or can_manage_meeting(user, meeting)


def can_take_minutes(user, meeting: Meeting) -> bool:
    """Type speakers' notes and edit the minutes: the minute-taker, or a manager."""
    if not _authenticated(user) or meeting is None or not _cleared(user, meeting):
        return False
    return (meeting.minute_taker_id is not None and meeting.minute_taker_id == user.pk) or can_manage_meeting(
        user, meeting
    )


def can_edit_meeting(user, meeting: Meeting) -> bool:
    """Change the meeting, its invitations and agenda: managers, while not closed or cancelled."""
    return (
        meeting is not None
        and meeting.status not in (MeetingStatus.CLOSED, MeetingStatus.CANCELLED)
        and can_manage_meeting(user, meeting)
    )


# --- comments on drafts -------------------------------------------------------------------------------------


def comments_open(document: AgendaDocument, now: datetime.datetime | None = None) -> bool:
    """Whether the draft still accepts comments (a draft with a deadline not passed yet)."""
    if document is None or not document.is_draft:
        return False
    if document.comments_until is None:
        return True
    return (now or timezone.now()) <= document.comments_until


def can_comment(user, document: AgendaDocument, now: datetime.datetime | None = None) -> bool:
    """Comment on a draft (góp ý dự thảo): invited delegates who may open the folder, and the meeting's
    managers. The deadline is checked by the service (with a clear message)."""
    if not _authenticated(user) or document is None or not document.is_draft:
        return False
    meeting = document.item.meeting
    if can_manage_meeting(user, meeting):
        return True
    return invitation_for(user, meeting) is not None and can_open_folder(user, meeting, now)


def can_read_all_comments(user, document: AgendaDocument) -> bool:
    """Read every comment on a draft together: its drafter (while they may see the meeting or its draft
    was given to them) and the meeting's managers."""
    if not _authenticated(user) or document is None:
        return False
    meeting = document.item.meeting
    if not _cleared(user, meeting):
        return False
    if document.drafter_id is not None and document.drafter_id == user.pk:
        return True
    return can_manage_meeting(user, meeting)


def can_download_agenda_file(user, document: AgendaDocument, now: datetime.datetime | None = None) -> bool:
    """Download the PDF of an agenda document as it was added (unstamped): the meeting's managers and the
    draft's drafter. Delegates read the documents in their own watermarked copy of the packet
    (``meetings:my_copy``), never the unstamped file — that would undo the per-delegate stamp."""
    if document is None or document.file_id is None:
        return False
    meeting = document.item.meeting
    if can_manage_meeting(user, meeting):
        return True
    return can_read_all_comments(user, document) and document.drafter_id == getattr(user, "pk", None)


# --- Django REST framework adapters --------------------------------------------------------------------------


class MeetingAccess(BasePermission):
    """Object check for meeting endpoints: reads need :func:`can_view_meeting`, writes need
    :func:`can_edit_meeting`. Combine with a queryset from ``meetings_visible_to`` so that a meeting the user
    may not see answers 404."""

    def has_object_permission(self, request, view, obj) -> bool:
        meeting = obj if isinstance(obj, Meeting) else getattr(obj, "meeting", None)
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return can_view_meeting(request.user, meeting)
        return can_edit_meeting(request.user, meeting)


__all__ = [
    "MeetingAccess",
    "can_chair",
    "can_comment",
    "can_create_meeting",
    "can_download_agenda_file",
    "can_edit_meeting",
    "can_manage_meeting",
    "can_open_folder",
    "can_read_all_comments",
    "can_take_minutes",
    "can_view_meeting",
    "comments_open",
    "folder_open",
    "invitation_for",
]
