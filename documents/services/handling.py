"""Directing and handling incoming documents (issue 4, point 4; domain.md §3 "Incoming workflow").

The leader's directive (bút phê) names exactly one lead handler (chủ trì), co-operating handlers (phối hợp) and
people for information (để biết), with a deadline and instructions. A new directive replaces the current one
(the old one stays, with ``superseded_at``). Handlers note progress (with working files), mark their part done,
and the lead handler closes the document; the leader may reopen it. Every step writes a ``HandlingEntry``
(the processing history shown on the document's page) and notifies the people involved.

``remind_deadlines`` is the body of the daily task ``documents.tasks.remind_handling_deadlines``.

Lock order: each service locks the document row (``select_for_update``) before its first audited write.
Permission failures raise ``PermissionDenied`` (views have answered 404 before calling); bad input raises a
``ValidationError`` keyed by field, with nothing written.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from partyhub.files import store_upload
from partyhub.notifications import notify

from ..models import (
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    Directive,
    DocumentFile,
    FileRole,
    HandlingEntry,
    HandlingKind,
    IncomingDocument,
    IncomingStatus,
    Urgency,
)
from ..permissions import can_close, can_handle, can_view_incoming, files_allowed
from ..queues import handling_candidates, reminder_days
from ..selectors import document_access_for

__all__ = [
    "assignment_done",
    "assignment_progress",
    "can_reopen",
    "incoming_close",
    "incoming_direct",
    "incoming_reopen",
    "remind_deadlines",
]

WORKING_FILE_KINDS = {"pdf", "image", "office"}
MAX_NOTE_CHARS = 5000


# --- helpers ---------------------------------------------------------------------------------------------------


def _locked(document: IncomingDocument) -> IncomingDocument:
    return IncomingDocument.objects.select_for_update().select_related("organization").get(pk=document.pk)


def _url(document: IncomingDocument) -> str:
    return reverse("documents:detail", args=[document.pk])


def _label(document: IncomingDocument):
    """How a notification names the document: its incoming number and its number/symbol or summary."""
    what = document.number_symbol or (document.summary[:80] if document.summary else "")
    if document.number:
        if what:
            return format_lazy(_("incoming no. {number} ({what})"), number=document.number, what=what)
        return format_lazy(_("incoming no. {number}"), number=document.number)
    return what or format_lazy(_("document #{pk}"), pk=document.pk)


def _title(document: IncomingDocument, message):
    """Urgent documents say so first: "Hỏa tốc: …"."""
    if document.urgency:
        return format_lazy("{urgency}: {message}", urgency=Urgency(document.urgency).label, message=message)
    return message


def _clean_text(value: str | None, field: str, *, required: bool = False, required_message=None) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: required_message or _("This field is required.")})
    if len(text) > MAX_NOTE_CHARS:
        raise ValidationError({field: format_lazy(_("Keep it under {limit} characters."), limit=MAX_NOTE_CHARS)})
    return text


def _current_directive(document: IncomingDocument) -> Directive | None:
    return Directive.objects.filter(document_id=document.pk, superseded_at__isnull=True).first()


def _is_director(user, document: IncomingDocument) -> bool:
    """A leader of the receiving organization (the rule of ``permissions.can_direct`` without its status
    condition, so closed documents can be reopened)."""
    return can_view_incoming(user, document) and document.organization_id in document_access_for(user).directing_org_ids


def can_reopen(user, document: IncomingDocument) -> bool:
    """Reopen a closed document: a leader of the receiving organization who may see it."""
    return document is not None and document.status == IncomingStatus.DONE and _is_director(user, document)


def _people(users: Iterable) -> list:
    seen, result = set(), []
    for user in users or ():
        if user is None or user.pk in seen:
            continue
        seen.add(user.pk)
        result.append(user)
    return result


def _names(users: Iterable) -> str:
    return ", ".join(u.get_full_name() or u.username for u in users)


def _entry(document, kind, actor, text="", file=None) -> HandlingEntry:
    return HandlingEntry.objects.create(document=document, kind=kind, actor=actor, text=text, file=file)


# --- directing -------------------------------------------------------------------------------------------------


@transaction.atomic
def incoming_direct(
    *,
    actor,
    document: IncomingDocument,
    lead,
    cooperating: Iterable = (),
    informed: Iterable = (),
    deadline: datetime.date | None = None,
    instructions: str = "",
) -> Directive:
    """Record the leader's directive on a registered document (or replace the current one).

    Exactly one lead handler; co-operating handlers and people for information are optional, and nobody is
    named twice. The deadline may not be in the past. The document goes to "being handled", its deadline
    follows the directive, and everyone named is notified (urgent documents say so first); people named in
    the replaced directive but not in this one are told they are no longer needed.
    """
    document = _locked(document)
    if not can_view_incoming(actor, document):
        raise PermissionDenied
    if document.status not in (IncomingStatus.REGISTERED, IncomingStatus.IN_PROGRESS):
        raise ValidationError(
            {"__all__": _("Only a registered document that is not closed or voided can be given a directive.")}
        )
    if not _is_director(actor, document):
        raise PermissionDenied

    cooperating, informed = _people(cooperating), _people(informed)
    errors: dict[str, list] = defaultdict(list)
    if lead is None:
        errors["lead"].append(_("Choose the lead handler."))
    if lead is not None and any(u.pk == lead.pk for u in cooperating + informed):
        errors["lead"].append(_("The lead handler cannot also be co-operating or for information."))
    both = {u.pk for u in cooperating} & {u.pk for u in informed}
    if both:
        errors["informed"].append(_("Nobody can be both co-operating and for information."))
    named = _people([lead, *cooperating, *informed])
    if named:
        allowed = set(handling_candidates(document).filter(pk__in=[u.pk for u in named]).values_list("pk", flat=True))
        outside = [u for u in named if u.pk not in allowed]
        if outside:
            errors["__all__"].append(
                format_lazy(
                    _("These people cannot be named on this document: {names}."),
                    names=_names(outside),
                )
            )
    today = timezone.localdate()
    if deadline is not None and deadline < today:
        errors["deadline"].append(_("The deadline cannot be in the past."))
    try:
        instructions = _clean_text(instructions, "instructions")
    except ValidationError as exc:
        errors["instructions"].extend(exc.message_dict["instructions"])
    if errors:
        raise ValidationError(dict(errors))

    now = timezone.now()
    previous = _current_directive(document)
    previous_people: list = []
    if previous is not None:
        previous_people = [a.user for a in previous.assignments.select_related("user")]
        previous.superseded_at = now
        previous.save(update_fields=["superseded_at"])

    directive = Directive.objects.create(
        document=document, directed_by=actor, instructions=instructions, deadline=deadline
    )
    Assignment.objects.create(directive=directive, user=lead, role=AssignmentRole.LEAD)
    for user in cooperating:
        Assignment.objects.create(directive=directive, user=user, role=AssignmentRole.COOPERATE)
    for user in informed:
        Assignment.objects.create(directive=directive, user=user, role=AssignmentRole.INFORM)

    document.status = IncomingStatus.IN_PROGRESS
    if deadline is not None:  # the directive's deadline; without one, a deadline set at registration stays
        document.deadline = deadline
    document.closed_at = None
    document.save(update_fields=["status", "deadline", "closed_at"])

    summary = [format_lazy(_("Lead: {names}."), names=_names([lead]))]
    if cooperating:
        summary.append(format_lazy(_("Co-operating: {names}."), names=_names(cooperating)))
    if informed:
        summary.append(format_lazy(_("For information: {names}."), names=_names(informed)))
    if deadline:
        summary.append(format_lazy(_("Deadline: {date}."), date=deadline.strftime("%d/%m/%Y")))
    text = " ".join(str(part) for part in summary)
    if instructions:
        text = f"{text}\n{instructions}"
    if previous is not None:
        text = f"{_('Replaces the previous directive.')} {text}"
    _entry(document, HandlingKind.DIRECTED, actor, text)

    label, url = _label(document), _url(document)
    body = instructions
    if deadline:
        due = format_lazy(_("Deadline: {date}."), date=deadline.strftime("%d/%m/%Y"))
        body = format_lazy("{due}\n{instructions}", due=due, instructions=instructions) if instructions else due
    notify(
        recipients=[lead],
        title=_title(document, format_lazy(_("You lead the handling of {label}"), label=label)),
        body=body,
        url=url,
        kind="incoming_assigned",
        actor=actor,
    )
    notify(
        recipients=cooperating,
        title=_title(document, format_lazy(_("You are to co-operate on {label}"), label=label)),
        body=body,
        url=url,
        kind="incoming_assigned",
        actor=actor,
    )
    notify(
        recipients=informed,
        title=_title(document, format_lazy(_("For your information: {label}"), label=label)),
        body=instructions,
        url=url,
        kind="incoming_for_information",
        actor=actor,
    )
    dropped = [u for u in previous_people if u.pk not in {p.pk for p in named}]
    notify(
        recipients=dropped,
        title=format_lazy(_("A new directive on {label} no longer names you"), label=label),
        url=url,
        kind="incoming_unassigned",
        actor=actor,
    )
    return directive


# --- handling --------------------------------------------------------------------------------------------------


def _own_open_assignment(actor, assignment: Assignment) -> tuple[IncomingDocument, Assignment]:
    """Lock the document, re-read the assignment and check that the actor may work on it."""
    document = _locked(assignment.directive.document)
    assignment = Assignment.objects.select_related("directive").get(pk=assignment.pk)
    if assignment.user_id != getattr(actor, "pk", None) or not can_view_incoming(actor, document):
        raise PermissionDenied
    if assignment.directive.superseded_at is not None:
        raise ValidationError({"__all__": _("This directive was replaced by a newer one.")})
    if document.status != IncomingStatus.IN_PROGRESS:
        raise ValidationError({"__all__": _("This document is not being handled.")})
    if not can_handle(actor, document):
        raise PermissionDenied
    return document, assignment


def _involved(document: IncomingDocument, directive: Directive, *, roles=(AssignmentRole.LEAD,)) -> list:
    """The leader who gave the directive plus the named people with ``roles``."""
    people = [directive.directed_by]
    people += [a.user for a in directive.assignments.select_related("user").filter(role__in=roles)]
    return _people(people)


@transaction.atomic
def assignment_progress(*, actor, assignment: Assignment, text: str, file=None) -> HandlingEntry:
    """A lead or co-operating handler notes progress, optionally with a working file (kept as a
    ``DocumentFile`` of role "working"). The leader and the lead handler are notified."""
    document, assignment = _own_open_assignment(actor, assignment)
    text = _clean_text(
        text, "text", required=file is None, required_message=_("Write what was done, or attach a file.")
    )
    document_file = None
    if file is not None:
        if not files_allowed(document.confidentiality):
            raise ValidationError({"file": _("Files cannot be kept for documents of this classification.")})
        stored = store_upload(file, actor=actor, kinds=WORKING_FILE_KINDS)
        last = DocumentFile.objects.filter(incoming=document).order_by("-order").values_list("order", flat=True).first()
        document_file = DocumentFile.objects.create(
            incoming=document,
            stored_file=stored,
            role=FileRole.WORKING,
            order=(last or 0) + 1,
            added_by=actor,
        )
    if assignment.status == AssignmentStatus.PENDING:
        assignment.status = AssignmentStatus.IN_PROGRESS
        assignment.save(update_fields=["status"])
    kind = HandlingKind.PROGRESS if text else HandlingKind.ATTACHMENT
    entry = _entry(document, kind, actor, text, document_file)
    notify(
        recipients=_involved(document, assignment.directive),
        title=_title(
            document,
            format_lazy(
                _("{name} noted progress on {label}"),
                name=actor.get_full_name() or actor.username,
                label=_label(document),
            ),
        ),
        body=text,
        url=_url(document),
        kind="incoming_progress",
        actor=actor,
    )
    return entry


@transaction.atomic
def assignment_done(*, actor, assignment: Assignment, text: str = "") -> Assignment:
    """A lead or co-operating handler marks their part done (the lead then closes the document)."""
    document, assignment = _own_open_assignment(actor, assignment)
    if assignment.status == AssignmentStatus.DONE:
        raise ValidationError({"__all__": _("Your part is already marked done.")})
    text = _clean_text(text, "text")
    assignment.status = AssignmentStatus.DONE
    assignment.done_at = timezone.now()
    assignment.save(update_fields=["status", "done_at"])
    _entry(document, HandlingKind.DONE, actor, text)
    notify(
        recipients=_involved(document, assignment.directive),
        title=_title(
            document,
            format_lazy(
                _("{name} finished their part of {label}"),
                name=actor.get_full_name() or actor.username,
                label=_label(document),
            ),
        ),
        body=text,
        url=_url(document),
        kind="incoming_part_done",
        actor=actor,
    )
    return assignment


@transaction.atomic
def incoming_close(*, actor, document: IncomingDocument, text: str = "", confirm: bool = False) -> IncomingDocument:
    """The lead handler closes the document as handled. While co-operating handlers have not finished, the
    lead must confirm (``confirm=True``) and say why in ``text``. The leader and the co-operating handlers
    are notified."""
    document = _locked(document)
    if not can_view_incoming(actor, document):
        raise PermissionDenied
    if document.status != IncomingStatus.IN_PROGRESS:
        raise ValidationError({"__all__": _("This document is not being handled.")})
    if not can_close(actor, document):
        raise PermissionDenied
    directive = _current_directive(document)
    text = _clean_text(text, "text")
    unfinished = list(
        directive.assignments.select_related("user").filter(
            role=AssignmentRole.COOPERATE, status__in=[AssignmentStatus.PENDING, AssignmentStatus.IN_PROGRESS]
        )
    )
    if unfinished and not confirm:
        raise ValidationError(
            {
                "confirm": format_lazy(
                    _("{names} have not finished their part. Confirm to close it anyway."),
                    names=_names(a.user for a in unfinished),
                )
            }
        )
    if unfinished and not text:
        raise ValidationError({"text": _("Say why you close it before every co-operating handler has finished.")})
    now = timezone.now()
    lead = directive.assignments.get(role=AssignmentRole.LEAD)
    if lead.status != AssignmentStatus.DONE:
        lead.status = AssignmentStatus.DONE
        lead.done_at = now
        lead.save(update_fields=["status", "done_at"])
    document.status = IncomingStatus.DONE
    document.closed_at = now
    document.save(update_fields=["status", "closed_at"])
    _entry(document, HandlingKind.CLOSED, actor, text)
    notify(
        recipients=_involved(document, directive, roles=(AssignmentRole.COOPERATE,)),
        title=_title(document, format_lazy(_("{label} was handled and closed"), label=_label(document))),
        body=text,
        url=_url(document),
        kind="incoming_closed",
        actor=actor,
    )
    return document


@transaction.atomic
def incoming_reopen(*, actor, document: IncomingDocument, reason: str) -> IncomingDocument:
    """A leader of the receiving organization reopens a closed document; the lead handler's part is open
    again and the handlers are notified."""
    document = _locked(document)
    if not can_view_incoming(actor, document):
        raise PermissionDenied
    if document.status != IncomingStatus.DONE:
        raise ValidationError({"__all__": _("Only a closed document can be reopened.")})
    if not _is_director(actor, document):
        raise PermissionDenied
    reason = _clean_text(reason, "reason", required=True, required_message=_("Say why it is reopened."))
    directive = _current_directive(document)
    lead = directive.assignments.get(role=AssignmentRole.LEAD)
    lead.status = AssignmentStatus.IN_PROGRESS
    lead.done_at = None
    lead.save(update_fields=["status", "done_at"])
    document.status = IncomingStatus.IN_PROGRESS
    document.closed_at = None
    document.save(update_fields=["status", "closed_at"])
    _entry(document, HandlingKind.REOPENED, actor, reason)
    notify(
        recipients=[a.user for a in directive.assignments.select_related("user").exclude(role=AssignmentRole.INFORM)],
        title=_title(document, format_lazy(_("{label} was reopened"), label=_label(document))),
        body=reason,
        url=_url(document),
        kind="incoming_reopened",
        actor=actor,
    )
    return document


# --- reminders -------------------------------------------------------------------------------------------------


def remind_deadlines(today: datetime.date | None = None) -> dict[str, int]:
    """Remind handlers of deadlines due within ``PARTYHUB_DEADLINE_REMINDER_DAYS`` days (default 2) and of
    overdue ones, and tell each leader which of the documents they directed are overdue.

    Idempotent per day: an assignment reminded today (``Assignment.last_reminded_on``) is skipped, and a
    leader hears about an overdue document only in the run that reminded its handlers that day. The lead
    handler is reminded until the document is closed (closing is their job); co-operating handlers until
    their part is done. Returns ``{"reminded": …, "leaders": …}``.
    """
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=reminder_days())
    reminded = 0
    overdue_by_leader: dict[int, tuple] = {}
    with transaction.atomic():
        due = list(
            Assignment.objects.select_for_update(of=("self",))
            .filter(
                directive__superseded_at__isnull=True,
                directive__deadline__isnull=False,
                directive__deadline__lte=horizon,
                directive__document__status=IncomingStatus.IN_PROGRESS,
                user__is_active=True,
            )
            .filter(
                Q(role=AssignmentRole.LEAD) | Q(role=AssignmentRole.COOPERATE, status__in=["pending", "in_progress"])
            )
            .filter(Q(last_reminded_on__isnull=True) | Q(last_reminded_on__lt=today))
            .select_related("user", "directive", "directive__directed_by", "directive__document")
            .order_by("directive__deadline", "id")
        )
        for assignment in due:
            document, deadline = assignment.directive.document, assignment.directive.deadline
            label, date = _label(document), deadline.strftime("%d/%m/%Y")
            if deadline < today:
                message = format_lazy(_("Overdue since {date}: {label}"), date=date, label=label)
                leader = assignment.directive.directed_by
                if leader.is_active:
                    overdue_by_leader.setdefault(leader.pk, (leader, {}))[1][document.pk] = document
            elif deadline == today:
                message = format_lazy(_("Due today: {label}"), label=label)
            else:
                message = format_lazy(_("Due on {date}: {label}"), date=date, label=label)
            if assignment.role == AssignmentRole.LEAD and assignment.status == AssignmentStatus.DONE:
                body = _("Your part is done: close the document when the handling is finished.")
            else:
                body = assignment.directive.instructions
            notify(
                recipients=[assignment.user],
                title=_title(document, message),
                body=body,
                url=_url(document),
                kind="incoming_deadline",
            )
            reminded += 1
        if due:
            Assignment.objects.filter(pk__in=[a.pk for a in due]).update(last_reminded_on=today)
        for leader, documents in overdue_by_leader.values():
            lines = []
            for document in sorted(documents.values(), key=lambda d: (d.deadline or today, d.pk)):
                lines.append(
                    format_lazy(
                        _("{label}: deadline {date}"),
                        label=_label(document),
                        date=document.deadline.strftime("%d/%m/%Y") if document.deadline else "",
                    )
                )
            body = format_lazy("{}" + "\n{}" * (len(lines) - 1), *lines)
            notify(
                recipients=[leader],
                title=format_lazy(_("Overdue documents you directed: {count}"), count=len(documents)),
                body=body,
                url=reverse("documents:index"),
                kind="incoming_overdue",
            )
    return {"reminded": reminded, "leaders": len(overdue_by_leader)}
