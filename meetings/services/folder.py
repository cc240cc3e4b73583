"""The delegate's tablet reports that the meeting folder is stored for offline use (issue 6, point 4).

The office sees, per delegate, which packet version their tablet holds (``Invitation.folder_ready_version``
and ``folder_ready_at``; the panel ``templates/meetings/_folder_readiness.html``).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import Invitation, Meeting, Packet, PacketStatus

__all__ = ["folder_mark_ready"]


@transaction.atomic
def folder_mark_ready(*, actor, meeting: Meeting, version) -> Invitation:
    """Record that ``actor``'s tablet holds packet ``version`` of ``meeting`` offline.

    The version must be a ready packet of the meeting whose stamped copy ``actor`` has fetched (copies are made
    on the delegate's first request, ``meetings.packets.current_copy``). Reporting an older
    version than the one recorded is accepted (the tablet downloaded again from an older page): the record
    says what the last tablet stored."""
    from .notes import note_author_invitation

    invitation = note_author_invitation(actor, meeting)
    if invitation is None:
        raise PermissionDenied
    if isinstance(version, bool):
        version = None
    try:
        number = int(version)
    except (TypeError, ValueError):
        number = None
    if number is None or str(version).strip() != str(number):
        raise ValidationError({"version": [_("The packet version must be a whole number.")]}, code="version")
    packet = Packet.objects.filter(meeting=meeting, version=number, status=PacketStatus.READY).first()
    if packet is None or not packet.copies.filter(invitation=invitation).exists():
        raise ValidationError(
            {"version": [_("This meeting has no packet of that version with your copy.")]}, code="version"
        )
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    invitation.folder_ready_version = number
    invitation.folder_ready_at = timezone.now()
    invitation.save(update_fields=["folder_ready_version", "folder_ready_at"])
    return invitation
