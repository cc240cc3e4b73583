"""Distribution of issued documents (issue 5 point 6): the electronic exchange inside PartyHub, outside
recipients, recall and correction as the recipients see them.

* :func:`outgoing_distribute` — every recipient that is an organization in PartyHub (active, not external)
  gets the issued document in its incoming queue: a DRAFT :class:`~documents.models.IncomingDocument`
  received via "internal", with the metadata filled in from the outgoing document and the issued, signed PDF
  copied as its ORIGINAL file (new bytes in a new ``StoredFile``: the recipient's copy never shares a row
  with the issuer's file). The recipient's own clerk registers it with the normal incoming flow. Digitizing
  is queued exactly as for an uploaded file (``documents.tasks.digitize_incoming``): that is where the
  signatures are validated into ``SignatureCheck`` (``documents.signatures``) and where a signed original is
  never rewritten (text extraction only). Duplicates are flagged as for any incoming draft. The clerks of
  the receiving organization (or the cell secretary) are notified. Classified documents travel as metadata
  only (the paper goes by the secret channel), like classified incoming documents.
  Idempotent and safe when two runs overlap: the outgoing document row and its recipient rows are locked,
  and a recipient with ``delivered`` set is never delivered again.
* :func:`recipient_mark_sent` — how and when the document went to an outside recipient.
* :func:`distribution_recall` — called by the workflow's ``outgoing_recall`` (which changes the status and
  checks the permission): the publications of the document are withdrawn at once and the people of every
  internal copy (its clerks, its handlers, the leader who directed it) are told. The copies show the recall
  themselves (see ``documents.distribution``): nothing on the recipient's side is rewritten.
* A correction (an outgoing document with ``corrects``) is distributed like any other document; its
  recipients who hold a copy of the corrected document are told, and that copy shows "Corrected by …".
"""

from __future__ import annotations

import datetime
import logging

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from members.models import Organization, Position
from members.selectors import COMMITTEE_BODY_KINDS, current_positions_q
from partyhub import files as core_files
from partyhub.notifications import notify
from partyhub.queue import enqueue

from ..models import (
    Confidentiality,
    DeliveryMethod,
    DocumentFile,
    FileRole,
    HandlingEntry,
    HandlingKind,
    IncomingDocument,
    IncomingStatus,
    OutgoingDocument,
    OutgoingEvent,
    OutgoingEventKind,
    OutgoingRecipient,
    OutgoingStatus,
    ProcessingState,
    Publication,
    ReceivedVia,
)

logger = logging.getLogger(__name__)

__all__ = [
    "can_mark_sent",
    "distribution_recall",
    "internal_recipient",
    "outgoing_distribute",
    "receivers_of",
    "recipient_mark_sent",
]

#: Methods a clerk may record for an outside recipient (internal delivery is PartyHub's own).
OUTSIDE_METHODS = tuple(value for value in DeliveryMethod.values if value != DeliveryMethod.INTERNAL)
MAX_NOTE = OutgoingRecipient._meta.get_field("note").max_length


# --- who ----------------------------------------------------------------------------------------------------


def internal_recipient(recipient: OutgoingRecipient) -> bool:
    """Whether ``recipient`` receives through PartyHub: an active organization of ours, not an external one
    (the province committee appears only as a name; nobody in PartyHub acts for it)."""
    organization = recipient.organization
    return organization is not None and organization.active and not organization.is_external


def _ancestor_ids(organization: Organization, limit: int = 20) -> list[int]:
    ids: list[int] = []
    current = organization
    while current is not None and len(ids) < limit:
        ids.append(current.pk)
        current = current.parent
    return ids


def receivers_of(organization: Organization, *, level: str = "") -> list:
    """The people who receive and register documents for ``organization`` and are told when one arrives: the
    secretary of a receiving cell, else the clerks of its commune (a clerk of the commune committee or of one
    of its bodies) — only those for whom ``documents.permissions.can_receive`` holds and who are cleared for
    ``level``. (Commune clerks may register a cell's documents too, but a document sent to ten cells must not
    notify them ten times when the cells have their own secretaries.)"""
    from .. import permissions

    ancestors = _ancestor_ids(organization)
    position_orgs = Q(organization_id__in=ancestors) | Q(
        organization__parent_id__in=ancestors, organization__kind__in=list(COMMITTEE_BODY_KINDS)
    )
    positions = Position.objects.filter(current_positions_q(), position_orgs).filter(
        Q(title__grants_clerk=True) | Q(title__grants_cell_secretary=True)
    )
    User = get_user_model()
    candidates = User.objects.filter(is_active=True, member__positions__in=positions).distinct().order_by("pk")
    receivers = [
        user
        for user in candidates
        if permissions.can_receive(user, organization) and permissions.cleared_for(user, level)
    ]
    secretaries = set(
        Position.objects.filter(
            current_positions_q(), organization_id=organization.pk, title__grants_cell_secretary=True
        ).values_list("member__user_id", flat=True)
    )
    own = [user for user in receivers if user.pk in secretaries]
    return own or receivers


def _people_of_copy(copy: IncomingDocument) -> list:
    """Who must hear about a change to a delivered copy: its receivers, the leader who gave the current
    directive and everybody named in it — each only if they may see the copy."""
    from .. import permissions
    from ..models import Directive

    people = {user.pk: user for user in receivers_of(copy.organization, level=copy.confidentiality)}
    directive = (
        Directive.objects.filter(document=copy, superseded_at__isnull=True)
        .select_related("directed_by")
        .prefetch_related("assignments__user")
        .first()
    )
    if directive is not None:
        people.setdefault(directive.directed_by_id, directive.directed_by)
        for assignment in directive.assignments.all():
            people.setdefault(assignment.user_id, assignment.user)
    return [user for user in people.values() if user.is_active and permissions.can_view_incoming(user, copy)]


def can_mark_sent(user, document: OutgoingDocument) -> bool:
    """Record how an issued document went to outside recipients (or deliver it again): the clerks of the
    issuing organization's commune, the secretary of an issuing cell, admins — the people who issue it."""
    from ..selectors import document_access_for

    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active or document is None:
        return False
    facts = document_access_for(user)
    return facts.is_admin or document.organization_id in facts.receiving_org_ids


# --- delivering ---------------------------------------------------------------------------------------------


def _label(document: OutgoingDocument):
    return document.number_symbol or format_lazy(_("document #{pk}"), pk=document.pk)


def _copy_file(document: OutgoingDocument):
    """A new StoredFile with the bytes of the issued file (never the issuer's row)."""
    source = document.issued_file
    data = core_files.read_bytes(source)
    return core_files.store_bytes(data, name=source.original_name, content_type=source.content_type, actor=None)


def _deliver(document: OutgoingDocument, recipient: OutgoingRecipient, now: datetime.datetime) -> IncomingDocument:
    from .. import permissions
    from .receiving import MESSAGE_WAITING, _flag_duplicate

    issuer = document.organization
    with_file = bool(document.issued_file_id) and permissions.files_allowed(document.confidentiality)
    notes = ""
    if document.confidentiality:
        notes = gettext(
            "Classified document: only the register entry is exchanged through PartyHub; the document itself "
            "comes by the channel for secret documents."
        )
    elif not with_file:
        notes = gettext("The issuer sent no file with this document.")
    copy = IncomingDocument.objects.create(
        organization=recipient.organization,
        status=IncomingStatus.DRAFT,
        received_via=ReceivedVia.INTERNAL,
        received_on=timezone.localdate(now),
        sender=issuer.name[: IncomingDocument._meta.get_field("sender").max_length],
        sender_organization=issuer,
        number_symbol=document.number_symbol,
        document_date=document.issued_on,
        document_type=document.document_type,
        summary=document.summary,
        signer_name=document.signer_name,
        confidentiality=document.confidentiality,
        urgency=document.urgency,
        page_count=document.page_count if with_file else None,
        notes=notes,
        processing_state=ProcessingState.PENDING if with_file else ProcessingState.DONE,
        processing_progress=0 if with_file else 100,
        processing_message=MESSAGE_WAITING if with_file else "",
        created_by=None,
    )
    if with_file:
        stored = _copy_file(document)
        DocumentFile.objects.create(
            incoming=copy,
            stored_file=stored,
            role=FileRole.ORIGINAL,
            order=0,
            page_count=document.page_count,
            added_by=None,
        )
    HandlingEntry.objects.create(
        document=copy,
        kind=HandlingKind.RECEIVED,
        actor=None,
        text=gettext("Received from %(issuer)s through PartyHub: %(number)s.")
        % {"issuer": issuer.name, "number": document.number_symbol or "—"},
    )
    from ..search import refresh_search_text

    refresh_search_text(copy)
    _flag_duplicate(copy)
    if with_file:
        from ..tasks import digitize_incoming

        # The same digitizing as an uploaded file: signature checks, text (never OCR-rewriting a signed PDF),
        # thumbnail, page count, search text.
        enqueue(digitize_incoming, copy.pk)
    recipient.delivered = copy
    recipient.method = DeliveryMethod.INTERNAL
    recipient.sent_at = now
    recipient.save(update_fields=["delivered", "method", "sent_at"])
    return copy


def _notify_receivers(document: OutgoingDocument, copy: IncomingDocument) -> None:
    if copy.confidentiality:
        title = format_lazy(
            _("Classified document {number} ({level}) from {issuer} is waiting to be registered"),
            number=_label(document),
            level=Confidentiality(copy.confidentiality).label,
            issuer=document.organization.name,
        )
        body = ""
    else:
        title = format_lazy(
            _("{number} from {issuer} is waiting to be registered"),
            number=_label(document),
            issuer=document.organization.name,
        )
        body = copy.summary
    notify(
        recipients=receivers_of(copy.organization, level=copy.confidentiality),
        title=title,
        body=body,
        url=reverse("documents:detail", args=[copy.pk]),
        kind="document_received_internal",
    )


def _notify_correction(document: OutgoingDocument, organization: Organization, new_copy: IncomingDocument) -> None:
    """Tell the people of ``organization``'s copy of the corrected document that a correction arrived."""
    original = (
        OutgoingRecipient.objects.filter(
            document_id=document.corrects_id, organization=organization, delivered__isnull=False
        )
        .select_related("delivered__organization")
        .first()
    )
    if original is None:
        return
    old_copy = original.delivered
    if old_copy.status == IncomingStatus.VOID:
        return
    notify(
        recipients=_people_of_copy(old_copy),
        title=format_lazy(
            _("{old} was corrected by {new}"),
            old=old_copy.number_symbol or _label(document.corrects),
            new=_label(document),
        ),
        body=_("The correction is in your incoming queue."),
        url=reverse("documents:detail", args=[old_copy.pk]),
        kind="document_corrected",
    )


def outgoing_distribute(*, document_id: int) -> list[IncomingDocument]:
    """Deliver the issued document ``document_id`` to every internal recipient that has not received it yet;
    returns the copies made by this run (empty when there was nothing to do, the document is gone or is not
    issued). See the module docstring."""
    with transaction.atomic():
        document = (
            OutgoingDocument.objects.select_for_update(of=("self",))
            .select_related("organization", "document_type", "issued_file")
            .filter(pk=document_id)
            .first()
        )
        if document is None or document.status != OutgoingStatus.ISSUED:
            return []
        recipients = list(
            document.recipients.select_for_update(of=("self",))
            .filter(organization__isnull=False, delivered__isnull=True)
            .select_related("organization")
            .order_by("order", "pk")
        )
        recipients = [r for r in recipients if internal_recipient(r)]
        if not recipients:
            return []
        now = timezone.now()
        delivered: list[tuple[OutgoingRecipient, IncomingDocument]] = []
        for recipient in recipients:
            delivered.append((recipient, _deliver(document, recipient, now)))
        OutgoingEvent.objects.create(
            document=document,
            kind=OutgoingEventKind.DELIVERED,
            actor=None,
            comment=gettext("Delivered through PartyHub to: %(names)s.")
            % {"names": ", ".join(r.organization.name for r, _copy in delivered)},
        )
        for recipient, copy in delivered:
            _notify_receivers(document, copy)
            if document.corrects_id:
                _notify_correction(document, recipient.organization, copy)
        return [copy for _recipient, copy in delivered]


# --- outside recipients -------------------------------------------------------------------------------------


@transaction.atomic
def recipient_mark_sent(
    *, actor, recipient: OutgoingRecipient, method: str, sent_at: datetime.datetime | None = None, note: str = ""
) -> OutgoingRecipient:
    """Record that the issued document was sent to an outside ``recipient`` by ``method`` (e-mail, post, by
    hand, fax, other) at ``sent_at`` (now when empty), with an optional ``note``. Recording again corrects the
    record. Internal recipients are delivered by PartyHub itself and cannot be marked by hand."""
    recipient = (
        OutgoingRecipient.objects.select_for_update(of=("self",))
        .select_related("document", "organization")
        .get(pk=recipient.pk)
    )
    document = recipient.document
    if not can_mark_sent(actor, document):
        raise PermissionDenied
    if document.status not in (OutgoingStatus.ISSUED, OutgoingStatus.RECALLED) or document.number is None:
        raise ValidationError(_("Only an issued document can be sent."), code="not_issued")
    if internal_recipient(recipient):
        raise ValidationError(
            _("This recipient is in PartyHub: the document is delivered to its incoming queue automatically."),
            code="internal",
        )
    errors = {}
    if method not in OUTSIDE_METHODS:
        errors["method"] = _("Choose how the document was sent.")
    now = timezone.now()
    if sent_at is None:
        sent_at = now
    elif sent_at > now + datetime.timedelta(minutes=5):
        errors["sent_at"] = _("The time sent cannot be in the future.")
    elif document.issued_at and sent_at < document.issued_at - datetime.timedelta(days=1):
        errors["sent_at"] = _("The document cannot have been sent before it was issued.")
    note = " ".join((note or "").split())
    if len(note) > MAX_NOTE:
        errors["note"] = format_lazy(_("Keep it under {limit} characters."), limit=MAX_NOTE)
    if errors:
        raise ValidationError(errors)
    recipient.method = method
    recipient.sent_at = sent_at
    recipient.sent_by = actor
    recipient.note = note
    recipient.save(update_fields=["method", "sent_at", "sent_by", "note"])
    OutgoingEvent.objects.create(
        document=document,
        kind=OutgoingEventKind.SENT,
        actor=actor,
        comment=gettext("%(name)s: %(method)s, %(when)s.")
        % {
            "name": recipient.name,
            "method": DeliveryMethod(method).label,
            "when": timezone.localtime(sent_at).strftime("%d/%m/%Y %H:%M"),
        },
    )
    return recipient


# --- recall ------------------------------------------------------------------------------------------------


@transaction.atomic
def distribution_recall(*, actor, document: OutgoingDocument, reason: str) -> int:
    """The recipients' side of a recall (the workflow's ``outgoing_recall`` sets the status, the time and the
    reason, and checks who may recall): every publication of the document is withdrawn at once, and the
    people of every internal copy are told, with the reason. Returns the number of copies whose people were
    told. The copies themselves show "Recalled by the issuer on … : reason" (``documents.distribution``)."""
    document = OutgoingDocument.objects.select_related("organization").get(pk=document.pk)
    now = timezone.now()
    withdrawn = Publication.objects.filter(document=document, withdrawn_at__isnull=True)
    titles = [str(p) for p in withdrawn]
    if titles:
        for publication in withdrawn.select_for_update():
            publication.withdrawn_at = now
            publication.withdrawn_by = actor if getattr(actor, "pk", None) else None
            publication.save(update_fields=["withdrawn_at", "withdrawn_by"])
        OutgoingEvent.objects.create(
            document=document,
            kind=OutgoingEventKind.UNPUBLISHED,
            actor=actor if getattr(actor, "pk", None) else None,
            comment=gettext("Withdrawn from the library with the recall."),
        )
    reason = (reason or document.recall_reason or "").strip()
    told = 0
    copies = (
        OutgoingRecipient.objects.filter(document=document, delivered__isnull=False)
        .select_related("delivered__organization")
        .order_by("order", "pk")
    )
    for recipient in copies:
        copy = recipient.delivered
        if copy.status == IncomingStatus.VOID:
            continue
        notify(
            recipients=_people_of_copy(copy),
            title=format_lazy(_("Recalled by the issuer: {number}"), number=copy.number_symbol or _label(document)),
            body=reason,
            url=reverse("documents:detail", args=[copy.pk]),
            kind="document_recalled",
            actor=actor,
        )
        told += 1
    return told
