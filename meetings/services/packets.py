"""Meeting packets (issue 6, point 3): versions, compiling, delegates' copies. The PDF work is in
``meetings.packets``; this module does the writes.

* ``packet_request_build`` — the office asks for a new version: the next ``Packet`` row (status "building") and
  the Celery task ``meetings.tasks.build_packet``, sent after the commit (``partyhub.queue``).
* ``packet_build`` — run by the task: compiles the master, stores it, records the contents and what changed
  since the previous READY version, marks it READY and tells the invited people (first version: "the meeting
  documents are ready"; later ones: "packet version N" and what changed). Any failure marks the version FAILED
  with a message for the office, in the language of whoever asked for it; nothing is left half-written (the
  master is stored inside the transaction that marks the version READY, so a rollback removes its bytes).
* ``delegate_copies_make`` — run by the same task once the master is READY: every invited person with an account
  gets their stamped copy now (one WeasyPrint call for all the stamps), so that opening the folder at the
  meeting only serves a file — see bench/README.md "Meetings: packets" for why copies are made eagerly.
* ``delegate_copy_for`` — a delegate's copy of a version, made on first request if it does not exist (a person
  invited after the build).
* ``delegate_copies_discard_superseded`` — run by the task after the copies: copies of versions older than the
  previous one are deleted (a 300-page packet for 50 delegates is ~0.5 GB of copies per version; the masters
  stay, and a copy can always be made again from its master).
"""

from __future__ import annotations

import datetime
import io
import logging
import tempfile
from pathlib import Path

import pikepdf
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import Max
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from partyhub import audit, files, queue
from partyhub.notifications import notify

from .. import packets as packet_pdf
from ..models import DelegateCopy, Invitation, Meeting, MeetingStatus, Packet, PacketStatus
from ..permissions import can_manage_meeting

logger = logging.getLogger(__name__)

__all__ = [
    "BUILD_STALE_AFTER",
    "delegate_copies_discard",
    "delegate_copies_discard_superseded",
    "delegate_copies_make",
    "delegate_copy_for",
    "packet_build",
    "packet_request_build",
]

#: A version still "building" after this long is taken as lost (worker gone): a new request replaces it.
BUILD_STALE_AFTER = datetime.timedelta(minutes=30)

MSG_UNEXPECTED = _(
    "The packet could not be compiled because of an unexpected error. "
    "Try again; if it fails again, tell the administrator."
)
MSG_REPLACED = _("Stopped: the compilation did not finish in time; a new version was requested.")
MAX_REASON = 300
#: How often a version is compiled again when the agenda changed while it was being compiled.
MAX_REBUILDS = 3


def _language_of(user) -> str:
    return (
        (getattr(user, "preferred_language", "") or settings.LANGUAGE_CODE)
        if user is not None
        else settings.LANGUAGE_CODE
    )


def _folder_url(meeting: Meeting) -> str:
    for name in ("meetings:folder", "meetings:detail"):
        try:
            return reverse(name, args=[meeting.pk])
        except NoReverseMatch:
            continue
    return ""


# --- Requesting a version ------------------------------------------------------------------------------------


@transaction.atomic
def packet_request_build(*, meeting: Meeting, actor, reason: str = "") -> Packet:
    """Ask for a new packet version, compiled in the background; returns the version that will hold the change.

    Called by the office's "compile" button and by the agenda services after every change of the agenda or its
    documents, so it coalesces: while a version is still being compiled (and not older than
    ``BUILD_STALE_AFTER``), no new version is made — that one is compiled again if the agenda changed under it
    (``packet_build`` checks before it finishes), and ``reason`` is added to its reasons. Otherwise the next
    version (status "building") is created and the task ``meetings.tasks.build_packet`` is sent after the commit.

    ``PermissionDenied`` unless ``actor`` manages the meeting; ``ValidationError`` for a cancelled meeting or a
    reason over 300 characters. A meeting without an agenda still gets its version, which fails with a message
    saying so (the office's panel checks that before offering the button).
    """
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if not can_manage_meeting(actor, meeting):
        raise PermissionDenied
    if meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError(_("This meeting was cancelled: its packet can no longer be compiled."), code="cancelled")
    reason = " ".join((reason or "").split())
    if len(reason) > MAX_REASON:
        raise ValidationError(
            {
                "reason": _("Keep the reason under %(limit)d characters (it has %(count)d).")
                % {"limit": MAX_REASON, "count": len(reason)}
            },
            code="too_long",
        )
    building = (
        Packet.objects.select_for_update()
        .filter(meeting=meeting, status=PacketStatus.BUILDING)
        .order_by("-version")
        .first()
    )
    if building is not None:
        if building.created_at > timezone.now() - BUILD_STALE_AFTER:
            if reason and reason not in building.message:
                building.message = "; ".join(filter(None, [building.message, reason]))[:500]
                building.save(update_fields=["message"])
            return building
        with translation.override(_language_of(building.requested_by)):
            building.message = str(MSG_REPLACED)
        building.status = PacketStatus.FAILED
        building.built_at = timezone.now()
        building.save(update_fields=["status", "message", "built_at"])
    version = (Packet.objects.filter(meeting=meeting).aggregate(last=Max("version"))["last"] or 0) + 1
    packet = Packet.objects.create(
        meeting=meeting, version=version, status=PacketStatus.BUILDING, requested_by=actor, message=reason
    )
    from ..tasks import build_packet

    queue.enqueue(build_packet, packet.pk)
    return packet


# --- Compiling -----------------------------------------------------------------------------------------------


def _fail(packet_id: int, message: str) -> None:
    Packet.objects.filter(pk=packet_id, status=PacketStatus.BUILDING).update(
        status=PacketStatus.FAILED, message=message[:500], built_at=timezone.now()
    )
    packet = Packet.objects.filter(pk=packet_id).first()
    if packet is not None:
        audit.record(action="other", obj=packet, changes={"packet": "failed", "message": message[:500]})


def packet_build(*, packet_id: int) -> str:
    """Compile version ``packet_id`` (see the module docstring). Idempotent: a version that is no longer
    "building" is left alone. Returns the final status (``"missing"`` when the row is gone)."""
    packet = Packet.objects.select_related("meeting", "requested_by").filter(pk=packet_id).first()
    if packet is None:
        return "missing"
    if packet.status != PacketStatus.BUILDING:
        return packet.status
    language = _language_of(packet.requested_by)
    meeting_id = packet.meeting_id
    try:
        for attempt in range(1, MAX_REBUILDS + 1):
            meeting = Meeting.objects.select_related("organization__parent", "chair").get(pk=meeting_id)
            with tempfile.TemporaryDirectory(prefix="ph-packet-") as tmp:
                compiled = packet_pdf.compile_packet(meeting, workdir=Path(tmp), version=packet.version)
                data = compiled.path.read_bytes()
            status = _store_ready(packet_id, compiled, data, last_attempt=attempt == MAX_REBUILDS)
            if status != "again":
                return status
            logger.info("Packet %s: the agenda changed while compiling, compiling again", packet_id)
        return PacketStatus.BUILDING  # not reached: the last attempt always stores
    except packet_pdf.PacketError as exc:
        logger.info("Packet %s of meeting %s failed: %s", packet_id, meeting_id, exc)
        _fail(packet_id, exc.text(language))
        return PacketStatus.FAILED
    except (OperationalError, InterfaceError):
        raise  # the database is away: the task retries (the version is still "building")
    except Exception:
        logger.exception("Packet %s of meeting %s could not be compiled", packet_id, meeting_id)
        with translation.override(language):
            _fail(packet_id, str(MSG_UNEXPECTED))
        return PacketStatus.FAILED


@transaction.atomic
def _store_ready(packet_id: int, compiled: packet_pdf.CompiledPacket, data: bytes, *, last_attempt: bool) -> str:
    """Store the master and mark the version READY — unless the agenda changed while it was compiled (then
    ``"again"``, nothing written). The meeting row is locked first, as the agenda services lock it for every
    change: a change either committed before (and is seen here) or waits and then finds this version READY
    (and asks for the next one)."""
    meeting = Meeting.objects.select_for_update().get(pk=compiled.meeting_id)
    packet = Packet.objects.select_for_update(of=("self",)).select_related("requested_by").get(pk=packet_id)
    if packet.status != PacketStatus.BUILDING:  # replaced or finished by another run meanwhile
        return packet.status
    if not last_attempt and packet_pdf.source_fingerprint(meeting) != compiled.fingerprint:
        return "again"
    previous = (
        Packet.objects.filter(meeting=meeting, status=PacketStatus.READY, version__lt=packet.version)
        .order_by("-version")
        .first()
    )
    with translation.override(packet_pdf.document_language()):
        name = f"{gettext('Meeting documents')} - {meeting.title} - v{packet.version}.pdf"
    # No "uploader": who may download the master is decided by ``packet_file_access`` alone (managers).
    stored = files.store_bytes(data, name=name, content_type="application/pdf", actor=None)
    packet.master_file = stored
    packet.page_count = compiled.page_count
    packet.contents = compiled.contents
    packet.changes = packet_pdf.contents_changes(previous.contents if previous else None, compiled.contents)
    packet.status = PacketStatus.READY
    packet.built_at = timezone.now()
    packet.save(update_fields=["master_file", "page_count", "contents", "changes", "status", "built_at"])
    _tell_delegates(packet, meeting, first=previous is None)
    return PacketStatus.READY


def _changes_body(packet: Packet):
    lines: list = [_ChangeLine(change) for change in packet.changes]
    if not lines:
        lines = [_("The documents did not change; the cover or the agenda was updated.")]
    if packet.message:
        lines.append(format_lazy(_("Reason: {reason}"), reason=packet.message))
    return format_lazy("\n".join(["{}"] * len(lines)), *lines)


class _ChangeLine:
    """A change rendered in the language active when the notification text is made (each recipient's)."""

    def __init__(self, change: dict):
        self.change = change

    def __str__(self) -> str:
        return packet_pdf.change_text(self.change)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def _tell_delegates(packet: Packet, meeting: Meeting, *, first: bool) -> int:
    """Notify the invited people with an account (those whose invitation was sent) that the version is ready."""
    if meeting.status == MeetingStatus.CANCELLED:
        return 0
    invitations = Invitation.objects.filter(meeting=meeting, user__isnull=False, invited_at__isnull=False)
    users = [i.user for i in invitations.select_related("user")]
    if not users:
        return 0
    if first:
        title = format_lazy(_("The meeting documents are ready: {title}"), title=meeting.title)
        body = format_lazy(
            _("The packet of the meeting ({pages} pages) is in your meeting folder."), pages=packet.page_count
        )
    else:
        title = format_lazy(_("Packet version {version}: {title}"), version=packet.version, title=meeting.title)
        body = _changes_body(packet)
    notify(
        recipients=users,
        title=title,
        body=body,
        url=_folder_url(meeting),
        kind="meeting_packet",
        actor=packet.requested_by,
    )
    return len(users)


# --- Delegates' copies ---------------------------------------------------------------------------------------


def _stamp_date(packet: Packet) -> datetime.date:
    return timezone.localtime(packet.built_at or timezone.now()).date()


def _stamp_for(packet: Packet, invitation: Invitation) -> str:
    return packet_pdf.stamp_text(name=invitation.name, copy_number=invitation.copy_number, date=_stamp_date(packet))


def _copy_name(packet: Packet, invitation: Invitation) -> str:
    with translation.override(packet_pdf.document_language()):
        label = gettext("Meeting documents")
        return f"{label} - {packet.meeting.title} - v{packet.version} - {invitation.copy_number:02d}.pdf"


def _existing_copy(packet: Packet, invitation: Invitation) -> DelegateCopy | None:
    return DelegateCopy.objects.select_related("file").filter(packet=packet, invitation=invitation).first()


def _save_copy(packet: Packet, invitation: Invitation, data: bytes, stamp: str) -> DelegateCopy:
    """Store the stamped bytes and the row in one transaction. When another request made the same copy first,
    this one's bytes go with the rolled-back savepoint and the existing copy is returned. Stored without an
    "uploader": who may download it is decided by ``meetings.packets.packet_file_access`` alone."""
    try:
        with transaction.atomic():
            stored = files.store_bytes(
                data, name=_copy_name(packet, invitation), content_type="application/pdf", actor=None
            )
            return DelegateCopy.objects.create(
                packet=packet, invitation=invitation, file=stored, stamp_text=stamp[:300]
            )
    except IntegrityError:
        existing = _existing_copy(packet, invitation)
        if existing is None:
            raise
        return existing


def _require_ready(packet: Packet) -> None:
    if packet.status != PacketStatus.READY or packet.master_file_id is None:
        raise ValidationError(_("This packet version is not ready."), code="not_ready")


def delegate_copy_for(*, packet: Packet, invitation: Invitation) -> DelegateCopy:
    """The delegate's stamped copy of ``packet``, made now if missing: the stamp rendered once (one WeasyPrint
    call), overlaid on every page of the master with pikepdf. The caller has checked access."""
    existing = _existing_copy(packet, invitation)
    if existing is not None:
        return existing
    if invitation.meeting_id != packet.meeting_id:
        raise ValueError("The invitation is not for this packet's meeting")
    _require_ready(packet)
    stamp = _stamp_for(packet, invitation)
    with tempfile.TemporaryDirectory(prefix="ph-copy-") as tmp:
        master = packet_pdf.read_master(packet, Path(tmp) / "master.pdf")
        with pikepdf.open(io.BytesIO(packet_pdf.render_watermarks([stamp]))) as watermarks:
            data = packet_pdf.stamp_copy(master, watermarks, 0)
    return _save_copy(packet, invitation, data, stamp)


#: Stamps rendered per WeasyPrint call when copies are made together (bounded, so a congress of 500 delegates
#: does not make one 500-page render).
WATERMARK_BATCH = 100


def delegate_copies_make(*, packet_id: int) -> int:
    """Make the missing copies of a READY version for every invited person with an account. Idempotent (only
    missing copies are made); returns how many were made. A failure for one batch is logged and left to the
    lazy path (``delegate_copy_for`` on first request)."""
    packet = Packet.objects.select_related("meeting", "master_file").filter(pk=packet_id).first()
    if packet is None or packet.status != PacketStatus.READY or packet.master_file_id is None:
        return 0
    have = set(DelegateCopy.objects.filter(packet=packet).values_list("invitation_id", flat=True))
    invitations = [
        i
        for i in Invitation.objects.filter(meeting_id=packet.meeting_id, user__isnull=False).order_by("copy_number")
        if i.pk not in have
    ]
    if not invitations:
        return 0
    made = 0
    with tempfile.TemporaryDirectory(prefix="ph-copies-") as tmp:
        master = packet_pdf.read_master(packet, Path(tmp) / "master.pdf")
        for start in range(0, len(invitations), WATERMARK_BATCH):
            batch = invitations[start : start + WATERMARK_BATCH]
            stamps = [_stamp_for(packet, invitation) for invitation in batch]
            try:
                sheet = packet_pdf.render_watermarks(stamps)
            except Exception:
                logger.exception("Watermarks of packet %s could not be rendered", packet.pk)
                continue
            with pikepdf.open(io.BytesIO(sheet)) as watermarks:
                for index, (invitation, stamp) in enumerate(zip(batch, stamps, strict=True)):
                    data = packet_pdf.stamp_copy(master, watermarks, index)
                    _save_copy(packet, invitation, data, stamp)
                    made += 1
    return made


#: READY versions whose copies are kept (the current one and the one before, which a tablet may still be
#: reading); older versions keep their master, their copies are deleted (made again on request if ever needed).
KEEP_COPIES_OF_VERSIONS = 2


def _discard(copies) -> int:
    """Delete copies (rows now, their files' bytes once the deletion has committed)."""
    storage = files.private_storage()
    deleted = 0
    with transaction.atomic():
        for copy in copies.select_related("file").select_for_update(of=("self",)):
            stored = copy.file
            copy.delete()
            name = stored.storage_name
            stored.delete()
            transaction.on_commit(lambda name=name: files._delete_quietly(storage, name))
            deleted += 1
    return deleted


def delegate_copies_discard_superseded(*, meeting_id: int, keep: int = KEEP_COPIES_OF_VERSIONS) -> int:
    """Delete the delegates' copies of READY versions older than the newest ``keep`` ones. Copies are derived
    from the master, so nothing is lost: ``delegate_copy_for`` makes one again if an old version is ever asked
    for. Returns how many copies were deleted."""
    kept = list(
        Packet.objects.filter(meeting_id=meeting_id, status=PacketStatus.READY)
        .order_by("-version")
        .values_list("version", flat=True)[:keep]
    )
    if len(kept) < keep:
        return 0
    return _discard(DelegateCopy.objects.filter(packet__meeting_id=meeting_id, packet__version__lt=kept[-1]))


def delegate_copies_discard(*, invitation: Invitation) -> int:
    """Delete every copy of ``invitation`` with its file — for ``invitation_remove``, before the invitation is
    deleted (the rows would go with it by CASCADE, leaving their files behind)."""
    return _discard(DelegateCopy.objects.filter(invitation=invitation))
