"""Reads of the distribution (issue 5 point 6) that depend on who is asking: what a recipient's copy of an
issued document shows (recalled by the issuer, corrected by a later document) and the delivery panel of an
outgoing document. Writes live in ``documents.services.distribution``.

A copy (an incoming document received via "internal") knows its origin through
``OutgoingRecipient.delivered``; its state is read from the outgoing document (``status``, ``recalled_at``,
``recall_reason``) and its issued corrections (``corrections``), never copied onto the incoming row, so a
recall is visible to every recipient at the moment the issuer's transaction commits.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Q

from .models import (
    IncomingDocument,
    IncomingStatus,
    OutgoingDocument,
    OutgoingRecipient,
    OutgoingStatus,
    ReceivedVia,
)
from .selectors import incoming_visible_to

__all__ = [
    "CopyState",
    "Correction",
    "DeliveryRow",
    "copy_state",
    "delivery_rows",
    "flagged_copies",
]


@dataclass(frozen=True)
class Correction:
    """An issued document correcting the one a copy came from. ``copy_id``: the receiving organization's copy
    of the correction, when the viewer may see it (the link); else ``None`` (the number is shown as text)."""

    number_symbol: str
    issued_on: datetime.date | None
    copy_id: int | None = None


@dataclass(frozen=True)
class CopyState:
    """What a recipient's copy shows about its origin."""

    outgoing_id: int
    number_symbol: str = ""
    recalled: bool = False
    recalled_at: datetime.datetime | None = None
    recall_reason: str = ""
    corrections: tuple[Correction, ...] = field(default_factory=tuple)

    @property
    def flagged(self) -> bool:
        return self.recalled or bool(self.corrections)


def _is_copy(document) -> bool:
    return (
        isinstance(document, IncomingDocument)
        and document.pk is not None
        and document.received_via == ReceivedVia.INTERNAL
    )


def _corrections(user, rows: list[dict]) -> dict[int, tuple[Correction, ...]]:
    """For rows of (outgoing document, receiving organization): the issued corrections of each document, with
    the organization's copy of each correction when ``user`` may see it. Two queries at most."""
    outgoing_ids = {row["document_id"] for row in rows}
    corrections = list(
        OutgoingDocument.objects.filter(corrects_id__in=outgoing_ids, status=OutgoingStatus.ISSUED)
        .order_by("issued_on", "pk")
        .values("pk", "corrects_id", "number_symbol", "issued_on")
    )
    if not corrections:
        return {}
    copies: dict[tuple[int, int], int] = {}
    visible = incoming_visible_to(user).values("pk")
    for found in OutgoingRecipient.objects.filter(
        document_id__in=[c["pk"] for c in corrections], delivered__isnull=False, delivered__in=visible
    ).values("document_id", "organization_id", "delivered_id"):
        copies[(found["document_id"], found["organization_id"])] = found["delivered_id"]
    result: dict[int, tuple[Correction, ...]] = {}
    for row in rows:
        found = tuple(
            Correction(
                number_symbol=c["number_symbol"],
                issued_on=c["issued_on"],
                copy_id=copies.get((c["pk"], row["organization_id"])),
            )
            for c in corrections
            if c["corrects_id"] == row["document_id"]
        )
        if found:
            result[row["delivered_id"]] = found
    return result


_ROW_VALUES = (
    "delivered_id",
    "organization_id",
    "document_id",
    "document__number_symbol",
    "document__status",
    "document__recalled_at",
    "document__recall_reason",
)


def _states(user, rows: list[dict]) -> dict[int, CopyState]:
    corrections = _corrections(user, rows)
    states = {}
    for row in rows:
        states[row["delivered_id"]] = CopyState(
            outgoing_id=row["document_id"],
            number_symbol=row["document__number_symbol"],
            recalled=row["document__status"] == OutgoingStatus.RECALLED,
            recalled_at=row["document__recalled_at"],
            recall_reason=row["document__recall_reason"],
            corrections=corrections.get(row["delivered_id"], ()),
        )
    return states


def copy_state(user, document: IncomingDocument) -> CopyState | None:
    """The state of one copy ``user`` is looking at (``None`` for documents not received through PartyHub, or
    not visible to ``user``). One query, two more when the origin has corrections."""
    if not _is_copy(document):
        return None
    rows = list(
        OutgoingRecipient.objects.filter(delivered_id=document.pk, delivered__in=incoming_visible_to(user).values("pk"))
        .values(*_ROW_VALUES)
        .order_by("pk")[:1]
    )
    if not rows:
        return None
    return _states(user, rows)[document.pk]


def flagged_copies(user) -> dict[int, CopyState]:
    """Every copy visible to ``user`` whose origin was recalled or corrected, by incoming document id — what a
    list of incoming documents marks. Recalls and corrections are rare, so one query (two more when there are
    corrections) serves a whole list page, whatever its length."""
    rows = list(
        OutgoingRecipient.objects.filter(
            delivered__isnull=False,
            delivered__in=incoming_visible_to(user).filter(received_via=ReceivedVia.INTERNAL).values("pk"),
        )
        .filter(Q(document__status=OutgoingStatus.RECALLED) | Q(document__corrections__status=OutgoingStatus.ISSUED))
        .values(*_ROW_VALUES)
        .distinct()
    )
    if not rows:
        return {}
    return {pk: state for pk, state in _states(user, rows).items() if state.flagged}


# --- the delivery panel of an outgoing document ---------------------------------------------------------------


@dataclass
class DeliveryRow:
    recipient: OutgoingRecipient
    internal: bool
    #: "delivered", "waiting" (internal, not delivered yet), "sent" (outside, recorded), "not_sent".
    state: str
    copy_status: str = ""
    form: object = None


def delivery_rows(document: OutgoingDocument) -> list[DeliveryRow]:
    """The recipients of ``document`` with their delivery state (the caller has checked that the user may see
    the outgoing document). One query."""
    from .services.distribution import internal_recipient

    rows = []
    recipients = document.recipients.select_related("organization", "sent_by", "delivered").order_by("order", "pk")
    for recipient in recipients:
        internal = internal_recipient(recipient) or recipient.delivered_id is not None
        if recipient.delivered_id:
            state = "delivered"
        elif internal:
            state = "waiting"
        elif recipient.sent_at:
            state = "sent"
        else:
            state = "not_sent"
        copy_status = ""
        if recipient.delivered_id:
            copy_status = IncomingStatus(recipient.delivered.status).label
        rows.append(DeliveryRow(recipient=recipient, internal=internal, state=state, copy_status=copy_status))
    return rows
