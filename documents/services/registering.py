"""Registering incoming documents: the register (sổ đăng ký) of an organization, its gapless numbers, the
metadata check, registration itself and voiding (issue 4 point 3, domain.md §3).

* :func:`register_next_number` is the ONE numbering function of PartyHub (incoming "số đến" here; outgoing
  numbers per type and term in issue 5). It never uses a database sequence: the last number of a register
  and period (and type) lives in a :class:`~documents.models.RegisterCounter` row, created with an INSERT that
  may conflict (``ON CONFLICT DO NOTHING``) and then locked with ``SELECT … FOR UPDATE`` until the caller's
  transaction ends. A rollback of the caller gives the number back, so no number is ever skipped; the lock
  serializes concurrent callers, so no number is ever given twice.
* Lock order (``partyhub.audit``): a transaction that numbers something takes its row locks (the draft being
  registered, then the counter) BEFORE its first audited write, so the audit chain head is always the last
  lock taken. The counter itself is written with ``QuerySet.update`` (bookkeeping, not audited: the entry it
  numbers is).
* :func:`incoming_register` checks the metadata (:func:`clean_incoming_metadata`), chooses the ordinary or
  secret register, takes the next number of the period (the calendar year of the date received, by default)
  and records the entry — one short transaction.
* Registered entries are never deleted: :func:`incoming_void` keeps the number and marks the entry void.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, router, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from members.models import Organization, OrganizationKind, Position
from members.selectors import COMMITTEE_BODY_KINDS, current_positions_q, current_term
from partyhub.notifications import notify

from ..models import (
    Confidentiality,
    DocumentType,
    HandlingEntry,
    HandlingKind,
    IncomingDocument,
    IncomingStatus,
    Register,
    RegisterCounter,
    RegisterKind,
    ResetPeriod,
    Urgency,
)

__all__ = [
    "INCOMING_METADATA_FIELDS",
    "NumberSymbol",
    "clean_incoming_metadata",
    "incoming_register",
    "incoming_void",
    "parse_number_symbol",
    "period_for",
    "register_for",
    "register_next_number",
]

# --- number and symbol ------------------------------------------------------------------------------------

#: A type abbreviation as written in symbols: NQ, QĐ, CTr, TTr, QĐi …
_ABBR = r"[A-ZĐ][A-Za-zĐđ]{0,7}"
#: An issuer code: TW, TU, ĐU, VPĐU, BTCTW, UBND, VPCP …
_CODE = r"[A-ZĐ][A-Za-zĐđ0-9]{0,15}"
#: Party form (Hướng dẫn 36-HD/VPTW): ``57-NQ/TW`` — number, hyphen, type, slash, issuer.
PARTY_RE = re.compile(rf"^(?P<number>\d{{1,6}})-(?P<abbr>{_ABBR})/(?P<issuer>{_CODE})$")
#: State form (Nghị định 30/2020): ``12/QĐ-UBND``, ``123/2026/NĐ-CP``, ``45/UBND-VP`` (a công văn: no type).
STATE_RE = re.compile(rf"^(?P<number>\d{{1,6}})(?:/(?P<year>\d{{4}}))?/(?P<abbr>{_CODE})(?P<rest>(?:-{_CODE})+)$")
_PREFIX_RE = re.compile(r"^\s*(?:s[ốôoó]\s*:?\s*)", re.IGNORECASE)


@dataclass(frozen=True)
class NumberSymbol:
    """A parsed number and symbol. ``form`` is ``"party"`` or ``"state"``; ``abbreviation`` is the type
    abbreviation written in the symbol (for the state form, the first code after the number, which is the
    issuer itself in a công văn such as ``45/UBND-VP``)."""

    form: str
    text: str
    number: int
    abbreviation: str
    issuer: str


def normalize_number_symbol(value: str) -> str:
    """Trim, drop a leading "Số"/"Số:", remove spaces around ``-`` and ``/``, map the OCR's Ð (U+00D0) to Đ."""
    text = unicodedata.normalize("NFC", str(value or "")).replace("\u00d0", "Đ").replace("\u00f0", "đ")
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text)  # dashes OCR and word processors produce
    text = _PREFIX_RE.sub("", text, count=1).strip()
    text = re.sub(r"\s*([-/])\s*", r"\1", text)
    return text


def parse_number_symbol(value: str) -> NumberSymbol | None:
    """Recognize the party form (``57-NQ/TW``) or the state form (``12/QĐ-UBND``); ``None`` for anything else,
    including mixes of the two (``57-NQ-TW``, ``12/QĐ/UBND``, ``57/NQ/TW``)."""
    text = normalize_number_symbol(value)
    match = PARTY_RE.match(text)
    if match:
        return NumberSymbol("party", text, int(match["number"]), match["abbr"], match["issuer"])
    match = STATE_RE.match(text)
    if match:
        issuer = match["rest"].lstrip("-")
        return NumberSymbol("state", text, int(match["number"]), match["abbr"], issuer)
    return None


# --- registers and numbers --------------------------------------------------------------------------------

_REGISTER_NAMES = {
    (RegisterKind.INCOMING, False): "Sổ đăng ký văn bản đến",
    (RegisterKind.INCOMING, True): "Sổ đăng ký văn bản mật đến",
    (RegisterKind.OUTGOING, False): "Sổ đăng ký văn bản đi",
    (RegisterKind.OUTGOING, True): "Sổ đăng ký văn bản mật đi",
}
#: How often numbering restarts when a register is first created (domain.md §3); a setting of each register.
DEFAULT_RESET = {RegisterKind.INCOMING: ResetPeriod.YEAR, RegisterKind.OUTGOING: ResetPeriod.TERM}
#: The period of a register that never restarts.
PERIOD_ALL = "all"


def register_for(organization: Organization, kind: str, secret: bool) -> Register:
    """The register of ``organization`` of ``kind`` (incoming/outgoing), ordinary or secret, created on first
    use with the default reset period (incoming: every calendar year; outgoing: every term). Safe under
    concurrency (the unique constraint decides; the loser reads the winner's row)."""
    kind = RegisterKind(kind)
    register, _created = Register.objects.get_or_create(
        organization=organization,
        kind=kind,
        is_secret=bool(secret),
        defaults={
            "name": f"{_REGISTER_NAMES[(kind, bool(secret))]} — {organization.name}"[:200],
            "reset_period": DEFAULT_RESET[kind],
        },
    )
    return register


def period_for(register: Register, day: datetime.date) -> str:
    """The numbering period of ``register`` that ``day`` falls in: the calendar year (``"2026"``), the term
    of the register's organization running on that day (``"term-<id>"``), or ``"all"``.

    For incoming documents ``day`` is the date received (a local date, Asia/Ho_Chi_Minh): a document received
    on 31/12 and registered on 02/01 belongs to the year it was received in (the register is kept by date
    received; the entry is written in that year's book)."""
    if register.reset_period == ResetPeriod.YEAR:
        return f"{day.year:04d}"
    if register.reset_period == ResetPeriod.TERM:
        organization = register.organization
        term = current_term(organization, day)
        if term is None and organization.kind in COMMITTEE_BODY_KINDS and organization.parent_id is not None:
            # The standing committee, the executive committee, the inspection committee and the office work in
            # the term of the committee they belong to (elected by the same congress).
            term = current_term(organization.parent, day)
        if term is None:
            raise ValidationError(
                _("%(organization)s has no term on %(date)s, and this register is numbered by term."),
                code="no_term",
                params={"organization": register.organization.name, "date": day.strftime("%d/%m/%Y")},
            )
        return f"term-{term.pk}"
    return PERIOD_ALL


def register_next_number(*, register: Register, period: str, document_type: DocumentType | None = None) -> int:
    """The next number of ``register`` in ``period`` (and ``document_type``, for outgoing registers numbered
    per type), counted in the caller's transaction: the counter row stays locked until it commits, and a
    rollback gives the number back. Must be called inside ``transaction.atomic`` and before the first audited
    write of that transaction (see the module docstring)."""
    if not period or len(period) > RegisterCounter._meta.get_field("period").max_length:
        raise ValueError(f"Invalid register period {period!r}")
    using = router.db_for_write(RegisterCounter)
    if not connections[using].in_atomic_block:
        raise transaction.TransactionManagementError(
            "register_next_number() must run inside the transaction that records the numbered entry."
        )
    type_id = document_type.pk if document_type is not None else None
    manager = RegisterCounter.objects.using(using)
    # The row may not exist yet: insert it, and let a concurrent insert of the same row win without an error
    # (INSERT … ON CONFLICT DO NOTHING waits for the other transaction, then does nothing).
    manager.bulk_create(
        [RegisterCounter(register_id=register.pk, period=period, document_type_id=type_id, last_number=0)],
        ignore_conflicts=True,
    )
    counter = (
        manager.select_for_update()
        .filter(register_id=register.pk, period=period, document_type_id=type_id)
        .only("id", "last_number")
        .get()
    )
    number = counter.last_number + 1
    manager.filter(pk=counter.pk).update(last_number=number)
    return number


# --- metadata ---------------------------------------------------------------------------------------------

#: The metadata the clerk completes (keyword arguments of :func:`incoming_register`).
INCOMING_METADATA_FIELDS = (
    "sender",
    "sender_organization",
    "number_symbol",
    "document_date",
    "document_type",
    "summary",
    "signer_name",
    "confidentiality",
    "urgency",
    "page_count",
    "received_on",
    "deadline",
    "notes",
)


def _as_date(value, field: str, errors: dict) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    errors.setdefault(field, []).append(ValidationError(_("Enter a valid date (dd/mm/yyyy)."), code="invalid"))
    return None


def _max_length(field: str) -> int:
    return IncomingDocument._meta.get_field(field).max_length


def clean_incoming_metadata(document: IncomingDocument, metadata: dict, *, actor=None) -> dict:
    """Check the metadata of a registration and return the cleaned values (keys of
    ``INCOMING_METADATA_FIELDS``). A value not given falls back to the draft's (e.g. a sender filled in from
    an e-mail). Raises ``ValidationError`` keyed by field, every problem at once."""
    unknown = set(metadata) - set(INCOMING_METADATA_FIELDS)
    if unknown:
        raise TypeError(f"Unknown metadata: {', '.join(sorted(unknown))}")
    from .. import permissions

    raw = {name: metadata.get(name, getattr(document, name, None)) for name in INCOMING_METADATA_FIELDS}
    errors: dict[str, list] = {}
    cleaned: dict = {}
    today = timezone.localdate()

    def error(field: str, message, code: str, params: dict | None = None) -> None:
        errors.setdefault(field, []).append(ValidationError(message, code=code, params=params))

    # Text fields.
    for name, required_message in (
        ("sender", _("Enter the sender.")),
        ("summary", _("Enter the summary (trích yếu).")),
        ("signer_name", None),
        ("notes", None),
    ):
        text = str(raw[name] or "").strip()
        if name != "notes":
            text = " ".join(text.split())  # one line: OCR line breaks and double spaces go
        if required_message and not text:
            error(name, required_message, "required")
        field = IncomingDocument._meta.get_field(name)
        if getattr(field, "max_length", None) and len(text) > field.max_length:
            error(
                name,
                _("At most %(limit)d characters (it has %(count)d)."),
                "max_length",
                {"limit": field.max_length, "count": len(text)},
            )
        cleaned[name] = text

    sender_organization = raw["sender_organization"]
    if sender_organization is not None and not isinstance(sender_organization, Organization):
        sender_organization = Organization.objects.filter(pk=sender_organization).first()
        if sender_organization is None:
            error("sender_organization", _("This organization does not exist."), "invalid")
    cleaned["sender_organization"] = sender_organization

    # Number and symbol.
    number_text = normalize_number_symbol(raw["number_symbol"] or "")
    parsed = None
    if not number_text:
        error("number_symbol", _("Enter the number and symbol, e.g. 57-NQ/TW."), "required")
    elif len(number_text) > _max_length("number_symbol"):
        error(
            "number_symbol",
            _("At most %(limit)d characters (it has %(count)d)."),
            "max_length",
            {"limit": _max_length("number_symbol"), "count": len(number_text)},
        )
    else:
        parsed = parse_number_symbol(number_text)
        if parsed is None:
            error(
                "number_symbol",
                _(
                    "Write the number and symbol in the party form (57-NQ/TW) or in the state form "
                    "(12/QĐ-UBND), without mixing the two."
                ),
                "invalid",
            )
        elif (
            parsed.form == "state"
            and sender_organization is not None
            and not sender_organization.is_external
            and sender_organization.kind != OrganizationKind.CENTRAL
        ):
            error(
                "number_symbol",
                _("A party organization numbers its documents in the party form, e.g. 05-NQ/ĐU."),
                "state_form_from_party",
            )
    cleaned["number_symbol"] = number_text

    # Dates.
    received_on = _as_date(raw["received_on"], "received_on", errors)
    document_date = _as_date(raw["document_date"], "document_date", errors)
    deadline = _as_date(raw["deadline"], "deadline", errors)
    if received_on is None and "received_on" not in errors:
        error("received_on", _("Enter the date received."), "required")
    elif received_on is not None and received_on > today:
        error("received_on", _("The date received cannot be in the future."), "future")
    if document_date is None and "document_date" not in errors:
        error("document_date", _("Enter the date of the document."), "required")
    elif document_date is not None:
        if document_date > today:
            error("document_date", _("The date of the document cannot be in the future."), "future")
        elif received_on is not None and document_date > received_on:
            error(
                "document_date",
                _("The date of the document cannot be after the date it was received."),
                "after_received",
            )
    if deadline is not None and received_on is not None and deadline < received_on:
        error("deadline", _("The deadline cannot be before the date received."), "before_received")
    cleaned.update(received_on=received_on, document_date=document_date, deadline=deadline)

    # Type.
    document_type = raw["document_type"]
    if document_type in (None, ""):
        error("document_type", _("Choose the type of the document."), "required")
        document_type = None
    elif not isinstance(document_type, DocumentType):
        try:
            document_type = DocumentType.objects.filter(pk=int(document_type)).first()
        except (TypeError, ValueError):
            document_type = None
        if document_type is None:
            error("document_type", _("This document type does not exist."), "invalid")
    if document_type is not None and not document_type.active:
        error("document_type", _("This document type is no longer in use."), "inactive")
    # Only a known abbreviation contradicts the type (in a state công văn the issuer stands there).
    if (
        document_type is not None
        and parsed is not None
        and parsed.abbreviation != document_type.abbreviation
        and DocumentType.objects.filter(abbreviation=parsed.abbreviation).exists()
    ):
        error(
            "document_type",
            _("The symbol %(symbol)s is that of another type than %(type)s."),
            "type_mismatch",
            {"symbol": parsed.abbreviation, "type": document_type.name},
        )
    cleaned["document_type"] = document_type

    # Confidentiality and urgency.
    confidentiality = raw["confidentiality"] or ""
    if confidentiality not in Confidentiality.values:
        error("confidentiality", _("Choose a confidentiality level from the list."), "invalid_choice")
    elif confidentiality:
        if actor is not None and not permissions.cleared_for(actor, confidentiality):
            error(
                "confidentiality",
                _("You are not cleared for documents of this level: a cleared clerk must register it."),
                "not_cleared",
            )
        elif not permissions.files_allowed(confidentiality) and document.pk and document.files.exists():
            error(
                "confidentiality",
                _(
                    "Only the register entry of a document of this level may be kept, never its file: "
                    "discard this draft and register the document on paper."
                ),
                "files_not_allowed",
            )
    cleaned["confidentiality"] = confidentiality
    urgency = raw["urgency"] or ""
    if urgency not in Urgency.values:
        error("urgency", _("Choose an urgency from the list."), "invalid_choice")
    cleaned["urgency"] = urgency

    # Pages.
    page_count = raw["page_count"]
    if page_count in (None, ""):
        error("page_count", _("Enter the number of pages."), "required")
    else:
        try:
            page_count = int(page_count)
        except (TypeError, ValueError):
            page_count = None
        if page_count is None or page_count < 1:
            error("page_count", _("The number of pages must be at least 1."), "min_value")
    cleaned["page_count"] = page_count

    if errors:
        raise ValidationError(errors)
    return cleaned


# --- registering and voiding ------------------------------------------------------------------------------


def _lock_document(document: IncomingDocument) -> IncomingDocument:
    return IncomingDocument.objects.select_for_update().select_related("organization").get(pk=document.pk)


def leaders_to_present(document: IncomingDocument) -> list:
    """The people a newly registered document is presented to: those who may give its directive (leaders of
    the receiving organization's commune, the secretary of a receiving cell) and may see it."""
    from .. import permissions

    ancestors: list[int] = []
    organization = document.organization
    while organization is not None and len(ancestors) < 20:
        ancestors.append(organization.pk)
        organization = organization.parent
    position_orgs = Q(organization_id__in=ancestors) | Q(
        organization__parent_id__in=ancestors, organization__kind__in=list(COMMITTEE_BODY_KINDS)
    )
    positions = Position.objects.filter(current_positions_q(), position_orgs).filter(
        Q(title__grants_leader=True) | Q(title__grants_cell_secretary=True)
    )
    User = get_user_model()
    candidates = User.objects.filter(is_active=True, member__positions__in=positions).distinct().order_by("pk")
    return [user for user in candidates if permissions.can_direct(user, document)]


def _notify_leaders(*, actor, document: IncomingDocument) -> None:
    number = document.number
    if document.is_classified:
        # Notifications are e-mailed: a classified document is announced without its summary.
        title = format_lazy(
            _("Classified incoming document no. {number} ({level}) was registered"),
            number=number,
            level=Confidentiality(document.confidentiality).label,
        )
        body = ""
    else:
        title = format_lazy(_("Incoming document no. {number}: {summary}"), number=number, summary=document.summary)
        body = format_lazy(
            _("{number_symbol} from {sender}, received on {received_on}."),
            number_symbol=document.number_symbol,
            sender=document.sender,
            received_on=document.received_on.strftime("%d/%m/%Y"),
        )
    if document.urgency:
        title = format_lazy(
            _("{urgency} — present at once: {title}"), urgency=Urgency(document.urgency).label, title=title
        )
    notify(
        recipients=leaders_to_present(document),
        title=title,
        body=body,
        url=reverse("documents:detail", args=[document.pk]),
        kind="document_urgent" if document.urgency else "document_registered",
        actor=actor,
    )


@transaction.atomic
def incoming_register(*, actor, document: IncomingDocument, **metadata) -> IncomingDocument:
    """Register the draft ``document`` with the completed ``metadata`` (see ``INCOMING_METADATA_FIELDS``):
    it gets the next "số đến" of its organization's register (the secret register for classified documents)
    for the period of its date received, status "registered", a history entry, fresh search text, and the
    leaders are told (urgent documents: the notification says so first). All or nothing: a failure leaves
    no number taken. Raises ``PermissionDenied`` unless ``actor`` may register it, ``ValidationError`` for
    bad metadata or a document that is no longer a draft."""
    from .. import permissions

    # Locks first (the draft, then the counter), audited writes after: see the module docstring.
    document = _lock_document(document)
    if document.status != IncomingStatus.DRAFT:
        if permissions.can_view_incoming(actor, document):
            raise ValidationError(_("This document is already registered."), code="not_draft")
        raise PermissionDenied
    if not permissions.can_register(actor, document):
        raise PermissionDenied
    values = clean_incoming_metadata(document, metadata, actor=actor)

    # Creating the register (first registration of an organization) is an audited write before the counter
    # lock; harmless: no other transaction can hold a counter of a register that is not committed yet.
    register = register_for(document.organization, RegisterKind.INCOMING, secret=bool(values["confidentiality"]))
    if not register.active:
        raise ValidationError(
            _("The register %(register)s is closed."), code="register_closed", params={"register": register.name}
        )
    period = period_for(register, values["received_on"])
    number = register_next_number(register=register, period=period)

    for name, value in values.items():
        setattr(document, name, value)
    document.register = register
    document.period = period
    document.number = number
    document.status = IncomingStatus.REGISTERED
    document.registered_at = timezone.now()
    document.registered_by = actor
    document.save()
    HandlingEntry.objects.create(
        document=document,
        kind=HandlingKind.REGISTERED,
        actor=actor,
        text=f"{register.name}, {period}: {number}",
    )
    from ..search import refresh_search_text

    refresh_search_text(document)
    _notify_leaders(actor=actor, document=document)
    return document


@transaction.atomic
def incoming_void(*, actor, document: IncomingDocument, reason: str) -> IncomingDocument:
    """Void a registered entry that was made by mistake: it keeps its number (the register shows it struck
    through with the reason) and the next registration continues after it. Never deletes anything."""
    from .. import permissions

    document = _lock_document(document)
    if not permissions.can_view_incoming(actor, document):
        raise PermissionDenied
    if document.status == IncomingStatus.VOID:
        raise ValidationError(_("This entry is already void."), code="already_void")
    if document.number is None:
        raise ValidationError(_("Only a registered entry can be voided."), code="not_registered")
    if not permissions.can_void(actor, document):
        raise PermissionDenied
    reason = " ".join(str(reason or "").split())
    limit = _max_length("void_reason")
    if not reason:
        raise ValidationError(
            {"reason": ValidationError(_("Give the reason for voiding this entry."), code="required")}
        )
    if len(reason) > limit:
        raise ValidationError(
            {
                "reason": ValidationError(
                    _("At most %(limit)d characters (it has %(count)d)."),
                    code="max_length",
                    params={"limit": limit, "count": len(reason)},
                )
            }
        )
    document.status = IncomingStatus.VOID
    document.voided_at = timezone.now()
    document.void_reason = reason
    document.save(update_fields=["status", "voided_at", "void_reason"])
    HandlingEntry.objects.create(document=document, kind=HandlingKind.VOIDED, actor=actor, text=reason)
    return document
