"""The minutes (biên bản) of a meeting and what follows it (issue 6, point 6; domain.md §5 "Minutes").

* During the meeting the minute-taker types each speaker's opinion (``speaker_note_*``) and the tasks given,
  with owners and deadlines (``task_*``).
* ``minutes_assemble`` drafts the biên bản from what happened: time, place, chair, secretary; the attendance
  (total, present, absent with/without reason and who, exempted), guests; the agenda with the speakers'
  opinions and each vote as "x/y tán thành (z%)"; the tasks. The text is Vietnamese whatever the reader's
  interface language (it is an official document, like every PDF PartyHub renders).
* ``minutes_update`` saves the edited text (HTML sanitized with nh3, the same safe subset as the body of an
  outgoing document); ``minutes_approve`` (the chair) fixes it; ``minutes_reopen`` takes it back to a draft.
* ``minutes_file`` renders the PDF in the biên bản layout (``templates/meetings/minutes/pdf.html``: the
  minute-taker signs on the left, the chair on the right) and files it as an outgoing document of type
  "Biên bản" of the meeting's organization through ``documents.services.outgoing`` (an "uploaded" document
  whose file is that PDF; the chair is its signer) — the documents workflow then takes it through review,
  signature and issue, and gives it its number.
* ``resolution_set`` links the resolution the meeting passed (an outgoing NQ); ``resolution_post`` publishes
  it to the members (``documents.services.library.publication_create``) and records ``resolution_posted_at``;
  ``warn_unposted_resolutions`` (daily task) warns the office when that has not happened within
  ``PARTYHUB_RESOLUTION_POSTING_DAYS`` days after the meeting closed.
"""

from __future__ import annotations

import datetime
import logging

import nh3
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from partyhub import audit
from partyhub.models.audit import AuditAction

from ..models import (
    AgendaItem,
    Meeting,
    MeetingStatus,
    MeetingTask,
    Minutes,
    MinutesStatus,
    SpeakerNote,
    Vote,
    VoteKind,
    VoteStatus,
)
from .room import attendance_summary

logger = logging.getLogger(__name__)

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_TAGS",
    "minutes_approve",
    "minutes_assemble",
    "minutes_context",
    "minutes_file",
    "minutes_pdf",
    "minutes_reopen",
    "minutes_update",
    "resolution_post",
    "resolution_set",
    "sanitize_html",
    "speaker_note_add",
    "speaker_note_delete",
    "speaker_note_update",
    "task_add",
    "task_delete",
    "task_update",
    "vietnamese_result_text",
    "warn_unposted_resolutions",
]

#: The meeting kinds as the official Vietnamese text names them (whatever the interface language).
KIND_NAMES_VI = {
    "cell_regular": "Sinh hoạt chi bộ thường kỳ",
    "cell_thematic": "Sinh hoạt chi bộ chuyên đề",
    "committee_conference": "Hội nghị Ban Chấp hành",
    "standing_committee": "Hội nghị Ban Thường vụ",
    "congress": "Đại hội",
}

MAX_TEXT_CHARS = 20000
MAX_BODY_CHARS = 500_000
MINUTES_TYPE_NAME = "Biên bản"
MINUTES_TYPE_ABBREVIATION = "BB"
RESOLUTION_TYPE_ABBREVIATION = "NQ"

#: The safe rich-text subset (the same as the body of an outgoing document; ``documents.services.outgoing``
#: is used when it offers its own sanitizer).
ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "s",
    "sub",
    "sup",
    "ul",
    "ol",
    "li",
    "h2",
    "h3",
    "h4",
    "blockquote",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {"td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}, "p": {"class"}, "ol": {"start"}}


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def sanitize_html(html: str) -> str:
    """The minutes' text reduced to the safe subset (the documents app's sanitizer when it has one)."""
    try:
        from documents.services import outgoing as outgoing_services
    except ImportError:
        outgoing_services = None
    shared = getattr(outgoing_services, "sanitize_body", None) if outgoing_services else None
    if callable(shared):
        return shared(html or "")
    return nh3.clean(html or "", tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, link_rel=None).strip()


def _clean_text(value, field: str, *, required_message, limit: int = MAX_TEXT_CHARS) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: required_message})
    if len(text) > limit:
        raise ValidationError({field: _("This text is too long.")})
    return text


def _check_item(meeting: Meeting, item: AgendaItem | None) -> None:
    if item is not None and item.meeting_id != meeting.pk:
        raise ValidationError({"item": _("This agenda item belongs to another meeting.")})


def _minutes_editable(meeting: Meeting) -> None:
    minutes = Minutes.objects.filter(meeting=meeting).first()
    if minutes is not None and minutes.status != MinutesStatus.DRAFT:
        raise ValidationError(_("The minutes are approved: take them back to a draft to change them."))
    if meeting.status in (MeetingStatus.CANCELLED,):
        raise ValidationError(_("The meeting was cancelled."))


# --- speakers' opinions and tasks ------------------------------------------------------------------------------


@transaction.atomic
def speaker_note_add(*, actor, meeting: Meeting, speaker: str, text: str, item: AgendaItem | None = None):
    from ..permissions import can_take_minutes

    _require(can_take_minutes(actor, meeting))
    _minutes_editable(meeting)
    _check_item(meeting, item)
    speaker = _clean_text(speaker, "speaker", required_message=_("Name the speaker."), limit=150)
    text = _clean_text(text, "text", required_message=_("Write what the speaker said."))
    last = SpeakerNote.objects.filter(meeting=meeting).order_by("-order").values_list("order", flat=True).first()
    return SpeakerNote.objects.create(
        meeting=meeting, item=item, speaker=speaker, text=text, order=(last or 0) + 1, created_by=actor
    )


@transaction.atomic
def speaker_note_update(*, actor, note: SpeakerNote, speaker: str, text: str, item: AgendaItem | None = None):
    from ..permissions import can_take_minutes

    _require(can_take_minutes(actor, note.meeting))
    _minutes_editable(note.meeting)
    _check_item(note.meeting, item)
    note.speaker = _clean_text(speaker, "speaker", required_message=_("Name the speaker."), limit=150)
    note.text = _clean_text(text, "text", required_message=_("Write what the speaker said."))
    note.item = item
    note.save(update_fields=["speaker", "text", "item"])
    return note


@transaction.atomic
def speaker_note_delete(*, actor, note: SpeakerNote) -> None:
    from ..permissions import can_take_minutes

    _require(can_take_minutes(actor, note.meeting))
    _minutes_editable(note.meeting)
    note.delete()


def _task_fields(meeting, *, description, owner, owner_name, deadline, item) -> dict:
    _check_item(meeting, item)
    description = _clean_text(description, "description", required_message=_("Describe the task."), limit=5000)
    owner_name = (owner_name or "").strip()[:150]
    if owner is None and not owner_name:
        raise ValidationError({"owner_name": _("Name who is in charge of the task.")})
    if deadline is not None and not isinstance(deadline, datetime.date):
        raise ValidationError({"deadline": _("Enter a valid date.")})
    if owner is not None and not owner_name:
        owner_name = owner.get_full_name() or owner.get_username()
    return {"description": description, "owner": owner, "owner_name": owner_name, "deadline": deadline, "item": item}


@transaction.atomic
def task_add(
    *, actor, meeting: Meeting, description: str, owner=None, owner_name: str = "", deadline=None, item=None
) -> MeetingTask:
    from ..permissions import can_take_minutes

    _require(can_take_minutes(actor, meeting))
    _minutes_editable(meeting)
    fields = _task_fields(
        meeting, description=description, owner=owner, owner_name=owner_name, deadline=deadline, item=item
    )
    return MeetingTask.objects.create(meeting=meeting, **fields)


@transaction.atomic
def task_update(
    *, actor, task: MeetingTask, description: str, owner=None, owner_name: str = "", deadline=None, item=None
) -> MeetingTask:
    from ..permissions import can_take_minutes

    _require(can_take_minutes(actor, task.meeting))
    _minutes_editable(task.meeting)
    fields = _task_fields(
        task.meeting, description=description, owner=owner, owner_name=owner_name, deadline=deadline, item=item
    )
    for key, value in fields.items():
        setattr(task, key, value)
    task.save()
    return task


@transaction.atomic
def task_delete(*, actor, task: MeetingTask) -> None:
    from ..permissions import can_take_minutes

    _require(can_take_minutes(actor, task.meeting))
    _minutes_editable(task.meeting)
    task.delete()


# --- assembling ------------------------------------------------------------------------------------------------


def vietnamese_result_text(vote: Vote) -> str:
    """ "x/y tán thành (z%)" with the Vietnamese decimal comma, for official documents."""
    from .votes import result_percent

    if vote.status != VoteStatus.CLOSED or vote.agree_count is None:
        return ""
    with translation.override("vi"):
        percent = result_percent(vote)
    return f"{vote.agree_count}/{vote.base_count} tán thành ({percent}%)"


def _person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def fee_status(meeting: Meeting) -> dict | None:
    """For a cell's meeting: the party fee collection of the meeting's month (domain.md §5 lists the fee
    status in the minutes). ``None`` for other meetings, or when the fee book cannot be read (the minutes are
    still assembled; the minute-taker writes it by hand)."""
    from members.models import OrganizationKind

    if meeting.organization.kind != OrganizationKind.CELL:
        return None
    from members import fees

    month = fees.first_of_month(timezone.localdate(meeting.starts_at))
    try:
        sheet = fees.monthly_sheet(meeting.organization, month)
    except Exception:  # the fee rules are data: a gap there must not stop the minutes
        logger.warning("Fee status for the minutes of meeting %s could not be computed", meeting.pk, exc_info=True)
        return None
    if not sheet.owing_count:
        return None  # nobody owes anything this month (no fee declarations): nothing to state
    with translation.override("vi"):
        return {
            "month": f"{month:%m/%Y}",
            "paid_count": sheet.paid_count,
            "owing_count": sheet.owing_count,
            "paid": fees.format_money(sheet.paid_total),
            "due": fees.format_money(sheet.due_total),
            "percent": formats.number_format(sheet.percent, decimal_pos=1) if sheet.percent is not None else "",
        }


def minutes_context(meeting: Meeting) -> dict:
    """Everything the biên bản is made of (used by the assembly and by the PDF)."""
    summary = attendance_summary(meeting)
    items = list(meeting.agenda.order_by("order", "id"))
    notes = list(meeting.speaker_notes.order_by("order", "id"))
    votes = list(meeting.votes.select_related("rule").order_by("created_at", "id"))
    tasks = list(meeting.tasks.select_related("owner").order_by("deadline", "id"))
    by_item: dict[int | None, dict] = {}
    for item in items:
        by_item[item.pk] = {"item": item, "notes": [], "votes": []}
    loose = {"item": None, "notes": [], "votes": []}
    for note in notes:
        by_item.get(note.item_id, loose)["notes"].append(note)
    for vote in votes:
        vote.result_vi = vietnamese_result_text(vote)
        by_item.get(vote.item_id, loose)["votes"].append(vote)
    sections = [by_item[item.pk] for item in items]
    guests = [inv for inv, _may, _counts in summary.rows if inv.kind == "guest"]
    return {
        "meeting": meeting,
        "kind_name": KIND_NAMES_VI.get(meeting.kind, meeting.get_kind_display()),
        "organization": meeting.organization,
        "starts_at": timezone.localtime(meeting.starts_at),
        "opened_at": timezone.localtime(meeting.opened_at) if meeting.opened_at else None,
        "closed_at": timezone.localtime(meeting.closed_at) if meeting.closed_at else None,
        "chair_name": _person(meeting.chair),
        "minute_taker_name": _person(meeting.minute_taker),
        "summary": summary,
        "guests": guests,
        "sections": sections,
        "loose": loose if (loose["notes"] or loose["votes"]) else None,
        "tasks": tasks,
        "fees": fee_status(meeting),
        "VoteKind": VoteKind,
    }


def _assembled_html(meeting: Meeting) -> str:
    with translation.override(settings.PARTYHUB_DOCUMENT_LANGUAGE):
        html = render_to_string("meetings/minutes/assembled.html", minutes_context(meeting))
    return sanitize_html(html)


@transaction.atomic
def minutes_assemble(*, actor, meeting: Meeting, replace: bool = False) -> Minutes:
    """Draft (or redraft, with ``replace=True``) the biên bản from what happened."""
    from ..permissions import can_take_minutes

    _require(can_take_minutes(actor, meeting))
    meeting = (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("organization", "chair", "minute_taker")
        .get(pk=meeting.pk)
    )
    if meeting.status not in (MeetingStatus.IN_PROGRESS, MeetingStatus.CLOSED):
        raise ValidationError(_("The minutes are written once the meeting has started."))
    minutes = Minutes.objects.select_for_update().filter(meeting=meeting).first()
    if minutes is not None and minutes.status != MinutesStatus.DRAFT:
        raise ValidationError(_("The minutes are approved: take them back to a draft to change them."))
    if minutes is not None and minutes.body and not replace:
        raise ValidationError(
            _("The minutes already have a text. Confirm that the assembled text should replace it."), code="replace"
        )
    body = _assembled_html(meeting)
    if minutes is None:
        minutes = Minutes.objects.create(meeting=meeting, body=body, assembled_at=timezone.now())
    else:
        minutes.body = body
        minutes.assembled_at = timezone.now()
        minutes.save(update_fields=["body", "assembled_at", "updated_at"])
    return minutes


@transaction.atomic
def minutes_update(*, actor, minutes: Minutes, body: str) -> Minutes:
    from ..permissions import can_take_minutes

    _require(can_take_minutes(actor, minutes.meeting))
    minutes = Minutes.objects.select_for_update().get(pk=minutes.pk)
    if minutes.status != MinutesStatus.DRAFT:
        raise ValidationError(_("The minutes are approved: take them back to a draft to change them."))
    if len(body or "") > MAX_BODY_CHARS:
        raise ValidationError({"body": _("This text is too long.")})
    clean = sanitize_html(body)
    if not clean:
        raise ValidationError({"body": _("The minutes cannot be empty.")})
    minutes.body = clean
    minutes.save(update_fields=["body", "updated_at"])
    return minutes


@transaction.atomic
def minutes_approve(*, actor, minutes: Minutes) -> Minutes:
    """The chair approves the text (after the meeting has closed)."""
    from ..permissions import can_chair

    _require(can_chair(actor, minutes.meeting))
    minutes = Minutes.objects.select_for_update(of=("self",)).select_related("meeting").get(pk=minutes.pk)
    if minutes.status != MinutesStatus.DRAFT:
        raise ValidationError(_("These minutes are already approved."))
    if minutes.meeting.status != MeetingStatus.CLOSED:
        raise ValidationError(_("Close the meeting before approving its minutes."))
    if not minutes.body.strip():
        raise ValidationError(_("The minutes cannot be empty."))
    minutes.status = MinutesStatus.APPROVED
    minutes.approved_at = timezone.now()
    minutes.approved_by = actor
    minutes.save(update_fields=["status", "approved_at", "approved_by", "updated_at"])
    return minutes


@transaction.atomic
def minutes_reopen(*, actor, minutes: Minutes) -> Minutes:
    """Back to a draft (approved minutes that were not filed yet)."""
    from ..permissions import can_chair

    _require(can_chair(actor, minutes.meeting))
    minutes = Minutes.objects.select_for_update().get(pk=minutes.pk)
    if minutes.status != MinutesStatus.APPROVED:
        raise ValidationError(_("Only approved minutes that were not filed can be taken back."))
    minutes.status = MinutesStatus.DRAFT
    minutes.approved_at = None
    minutes.approved_by = None
    minutes.save(update_fields=["status", "approved_at", "approved_by", "updated_at"])
    return minutes


# --- the PDF and filing ----------------------------------------------------------------------------------------


def minutes_pdf(minutes: Minutes, *, fields: bool = False) -> bytes:
    """The biên bản in its official layout (Vietnamese, A4), with the two signature blocks. With ``fields`` the
    number and the date line are the ``partyhub_number``/``partyhub_date`` form fields the documents workflow
    fills at issue (inside the signed bytes), as in every PDF PartyHub renders for an outgoing document."""
    from documents.outgoing_render import header_lines, place_of
    from partyhub.pdf import render_pdf

    meeting = minutes.meeting
    context = minutes_context(meeting)
    superior, issuing = header_lines(meeting.organization)
    context.update(
        {
            "minutes": minutes,
            "body": minutes.body,
            "number_field": fields,
            "header_superior": superior,
            "header_issuing": issuing,
            "place": place_of(meeting.organization),
        }
    )
    return render_pdf("meetings/minutes/pdf.html", context, pdf_forms=fields)


def _minutes_type():
    from documents.models import DocumentType

    return (
        DocumentType.objects.filter(abbreviation=MINUTES_TYPE_ABBREVIATION, active=True).order_by("order").first()
        or DocumentType.objects.filter(name=MINUTES_TYPE_NAME, active=True).first()
    )


def _summary(meeting: Meeting) -> str:
    title = meeting.title.strip()
    return title if title.lower().startswith("biên bản") else f"Biên bản {title}"[:1000]


def minutes_file(*, actor, minutes: Minutes) -> Minutes:
    """File the approved minutes as an outgoing "Biên bản" of the meeting's organization through the documents
    services: an uploaded draft whose file is the minutes' PDF (``minutes_pdf(fields=True)``), the chair as its
    signer, submitted for review — and approved at once when the actor is the chair (who approved the minutes'
    text already). The chair then signs it and the clerk issues it (number, date and the organization's
    signature) in the documents app. The PDF is rendered and checked before the transaction; any failure leaves
    nothing behind."""
    from documents.permissions import can_draft, files_allowed
    from documents.services import outgoing as outgoing_services

    from ..permissions import can_chair, can_take_minutes

    meeting = Meeting.objects.select_related("organization", "chair", "minute_taker").get(pk=minutes.meeting_id)
    _require(can_chair(actor, meeting) or can_take_minutes(actor, meeting))
    if minutes.document_id:
        raise ValidationError(_("These minutes are already filed."))
    if minutes.status != MinutesStatus.APPROVED:
        raise ValidationError(_("Only approved minutes can be filed."))
    if meeting.chair is None:
        raise ValidationError(_("The meeting has no chair: name the chair, who signs the minutes, first."))
    if not can_draft(actor, meeting.organization):
        raise ValidationError(
            _("Only the office of the meeting's organization can file its minutes as a document: ask them to do it.")
        )
    document_type = _minutes_type()
    if document_type is None:
        raise ValidationError(_('The document type "Biên bản" (BB) is missing: an administrator must add it.'))
    keeps_file = files_allowed(meeting.confidentiality or "")
    prepared = None
    if keeps_file:
        from django.core.files.uploadedfile import SimpleUploadedFile

        minutes.meeting = meeting
        pdf = minutes_pdf(minutes, fields=True)
        day = timezone.localdate(meeting.starts_at)
        upload = SimpleUploadedFile(f"bien-ban-{day:%Y%m%d}-{meeting.pk}.pdf", pdf, content_type="application/pdf")
        prepared = outgoing_services.prepare_upload(upload)
    note = f"Biên bản hội nghị: {meeting.title}"[:500]
    with transaction.atomic():
        minutes = Minutes.objects.select_for_update().get(pk=minutes.pk)
        if minutes.status != MinutesStatus.APPROVED or minutes.document_id:
            raise ValidationError(_("These minutes changed meanwhile: reload the page."))
        values = {
            "document_type": document_type,
            "summary": _summary(meeting),
            "signer": meeting.chair,
            "confidentiality": meeting.confidentiality or "",
        }
        if keeps_file:
            values["body"] = minutes.body  # for search; the file is the document
        document = outgoing_services.outgoing_create(
            actor=actor,
            organization=meeting.organization,
            upload=prepared,
            source="uploaded" if keeps_file else "composed",
            note=note,
            **values,
        )
        document = outgoing_services.outgoing_submit(actor=actor, document=document, comment=note)
        if actor.pk == meeting.chair_id:
            document = outgoing_services.outgoing_approve(
                actor=actor, document=document, comment=_("The chair approved the minutes of the meeting.")
            )
        minutes.document = document
        minutes.status = MinutesStatus.FILED
        minutes.save(update_fields=["document", "status", "updated_at"])
    return minutes


# --- the resolution --------------------------------------------------------------------------------------------


def _minutes_for(meeting: Meeting) -> Minutes:
    minutes, _created = Minutes.objects.get_or_create(meeting=meeting)
    return minutes


@transaction.atomic
def resolution_set(*, actor, meeting: Meeting, document) -> Minutes:
    """Link the resolution (an outgoing NQ of the meeting's organization) the meeting passed."""
    from ..permissions import can_manage_meeting

    _require(can_manage_meeting(actor, meeting))
    if document is None or document.organization_id != meeting.organization_id:
        raise ValidationError({"document": _("Choose a resolution of the meeting's organization.")})
    if document.document_type.abbreviation != RESOLUTION_TYPE_ABBREVIATION:
        raise ValidationError({"document": _("Choose a resolution (NQ).")})
    minutes = Minutes.objects.select_for_update().filter(pk=_minutes_for(meeting).pk).get()
    if minutes.resolution_posted_at:
        raise ValidationError(_("The resolution has already been posted."))
    minutes.resolution = document
    minutes.save(update_fields=["resolution", "updated_at"])
    return minutes


def _audience_for(organization):
    """Who reads the resolution: the cell's members for a cell; otherwise all members of the organization (of
    the committee's party organization for a standing or executive committee)."""
    from documents.models import Audience
    from members.models import OrganizationKind
    from members.selectors import COMMITTEE_BODY_KINDS

    if organization.kind == OrganizationKind.CELL:
        return Audience.CELL, organization
    if organization.kind in COMMITTEE_BODY_KINDS and organization.parent_id:
        return Audience.ORGANIZATION, organization.parent
    return Audience.ORGANIZATION, organization


def resolution_post(*, actor, meeting: Meeting):
    """Publish the linked, issued resolution to the members of the meeting's organization (the library of
    ``documents.services.library``) and record when."""
    from documents.models import OutgoingStatus
    from documents.services import library as library_services

    from ..permissions import can_manage_meeting

    _require(can_manage_meeting(actor, meeting))
    minutes = Minutes.objects.filter(meeting=meeting).select_related("resolution").first()
    if minutes is None or minutes.resolution is None:
        raise ValidationError(_("Link the resolution first."))
    if minutes.resolution_posted_at:
        raise ValidationError(_("The resolution has already been posted."))
    if minutes.resolution.status != OutgoingStatus.ISSUED:
        raise ValidationError(_("Only an issued resolution can be posted to the members."))
    audience, organization = _audience_for(meeting.organization)
    with transaction.atomic():
        minutes = Minutes.objects.select_for_update().get(pk=minutes.pk)
        if minutes.resolution_posted_at:
            raise ValidationError(_("The resolution has already been posted."))
        try:
            publication = library_services.publication_create(
                actor=actor,
                document=minutes.resolution,
                audience=audience,
                organization=organization,
            )
        except PermissionDenied:
            raise ValidationError(
                _("You cannot publish documents of this organization: ask its office to post the resolution.")
            ) from None
        minutes.resolution_posted_at = timezone.now()
        minutes.save(update_fields=["resolution_posted_at", "updated_at"])
    return publication


def posting_days() -> int:
    return int(getattr(settings, "PARTYHUB_RESOLUTION_POSTING_DAYS", 2))


def unposted_resolutions(now: datetime.datetime | None = None):
    """Closed meetings whose linked resolution is still not posted after the set number of days."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=posting_days())
    return (
        Minutes.objects.filter(
            meeting__status=MeetingStatus.CLOSED,
            meeting__closed_at__lte=cutoff,
            resolution__isnull=False,
            resolution_posted_at__isnull=True,
        )
        .select_related("meeting__organization", "resolution")
        .order_by("meeting__closed_at")
    )


def _office_for(meeting: Meeting) -> list:
    """Who prepares the meeting's organization's meetings (the office), plus its chair."""
    from django.contrib.auth import get_user_model

    from ..permissions import can_manage_meeting

    users = []
    seen = set()
    candidates = get_user_model().objects.filter(is_active=True, member__positions__isnull=False).distinct()
    for user in candidates:
        if user.pk not in seen and can_manage_meeting(user, meeting):
            seen.add(user.pk)
            users.append(user)
    if meeting.chair is not None and meeting.chair.pk not in seen:
        users.append(meeting.chair)
    return users


def warn_unposted_resolutions(now: datetime.datetime | None = None) -> int:
    """Notify the office of each closed meeting whose resolution is overdue for posting (daily)."""
    from partyhub.notifications import notify

    count = 0
    for minutes in unposted_resolutions(now):
        meeting = minutes.meeting
        recipients = _office_for(meeting)
        if not recipients:
            continue
        notify(
            recipients=recipients,
            title=format_lazy(_("Resolution not posted yet: {meeting}"), meeting=meeting.title),
            body=format_lazy(
                _("The meeting closed on {closed}. Its resolution should be posted to the members within {days} days."),
                closed=timezone.localtime(meeting.closed_at).strftime("%d/%m/%Y"),
                days=posting_days(),
            ),
            url=reverse("meetings:minutes", args=[meeting.pk]),
            kind="meetings.resolution_overdue",
        )
        audit.record(
            action=AuditAction.OTHER,
            obj=minutes,
            actor=None,
            changes={"event": "resolution posting overdue: office warned"},
        )
        count += 1
    return count
