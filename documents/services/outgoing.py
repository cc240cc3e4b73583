"""Outgoing documents (issue 5): drafting, review, approval, signature, numbering and issue, voiding, recall
and correction — the state machine of :class:`~documents.models.OutgoingStatus` (domain.md §2–§3).

::

    draft ─submit→ submitted ─approve→ approved ─sign→ signed ─issue→ issued ─recall→ recalled
      ↑               │
      └──── returned ←┘ (return, with comments; the drafter edits and submits again)
    any state before "issued" ─void→ void;  issued/recalled ─correct→ a NEW draft with ``corrects=``

Every service here is keyword-only, takes the acting user (``actor=``), runs in one transaction, locks the
document row first, checks the state (a refusal says what state the action needs) and then the person (only
the drafter edits and submits; only the designated reviewer — the signer when none is named — returns or
approves; only the signer signs; only the clerk of the issuing organization issues), writes, records an
:class:`~documents.models.OutgoingEvent` and an audit entry, and notifies the next person. A document the
actor may not see at all raises ``PermissionDenied`` (views and the API answer 404 before that).

* **Drafts and versions.** Every save (:func:`outgoing_create`, :func:`outgoing_update`) adds an
  :class:`~documents.models.OutgoingVersion` holding the fields as they were (and the uploaded file). The body
  is HTML sanitized with nh3 to a small safe subset (:func:`sanitize_body`). An approved text never changes.
* **Uploaded documents.** A finished PDF is used as it is: its text cannot be changed, so the number and
  date cannot be written into it either (unless it carries the ``partyhub_number``/``partyhub_date`` form
  fields PartyHub's own PDFs have). For such a PDF the organization's signature at issue carries the number and
  the date in its reason ("Số 05-NQ/ĐU, ngày 05/11/2026"), shown in the visible stamp, and the register entry
  is the record. A DOCX is kept with a PDF rendition made by LibreOffice (when it can be made; without one the
  document cannot be approved).
* **Approval** renders the final PDF with the organization's format profile, number and date left as form
  fields (``documents.outgoing_render.render_outgoing_pdf(document, fields=True)``).
* **Signature**: the signer's PAdES signature (``documents.signing.sign_pdf``) over the final PDF.
* **Issue** (:func:`outgoing_issue`) is ONE short transaction: lock the document, take the next number of the
  organization's ORDINARY outgoing register for (type, term) with ``register_next_number`` (the counter row
  stays locked until the commit), fill ``partyhub_number``/``partyhub_date`` and apply the organization's
  signature in one incremental update, store the bytes, record the entry (classified documents: in the SECRET
  register, same sequence), commit. Any failure rolls everything back: the number is given back (no gap) and
  the stored bytes are deleted (no orphan). Distribution to the recipients runs after the commit
  (``documents.tasks.distribute_outgoing``).
* **Classified documents** ("Mật" and above, unless the deployment allows files for "Mật") keep metadata only
  (domain.md §3): no body, no file; they are approved, signed (on paper) and issued without a PDF — the register
  entry is what is kept.

Lock order (``partyhub.audit``): the document row, then the counter, then — at the first audited write — the
audit chain head. Everything slow (reading the signed file, loading the certificate) happens before the counter
is locked; signing with the number happens while it is held (~100 ms).

The rendering, signing and distribution modules are imported inside the functions that use them.
"""

from __future__ import annotations

import datetime
import difflib
import html
import io
import logging
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nh3
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from members.models import Organization, OrganizationKind, Position
from members.selectors import COMMITTEE_BODY_KINDS, current_positions_q
from partyhub import audit
from partyhub import files as core_files
from partyhub.notifications import notify
from partyhub.text import fold

from .. import permissions
from ..models import (
    AppliedSignature,
    Confidentiality,
    DocumentType,
    IssuerSettings,
    OutgoingDocument,
    OutgoingEvent,
    OutgoingEventKind,
    OutgoingRecipient,
    OutgoingSource,
    OutgoingStatus,
    OutgoingVersion,
    RegisterKind,
    SignatureForm,
    SignatureKind,
    Urgency,
)

logger = logging.getLogger(__name__)

__all__ = [
    "BODY_TAGS",
    "DRAFT_FIELDS",
    "PreparedUpload",
    "body_text",
    "default_signature",
    "issuers_of",
    "outgoing_approve",
    "outgoing_correct",
    "outgoing_create",
    "outgoing_issue",
    "outgoing_recall",
    "outgoing_return",
    "outgoing_sign",
    "outgoing_submit",
    "outgoing_update",
    "outgoing_void",
    "prepare_upload",
    "sanitize_body",
    "signer_candidates",
    "version_changes",
]

S = OutgoingStatus
K = OutgoingEventKind

# --- the body: a safe subset of HTML ------------------------------------------------------------------------

#: Tags a body may keep (everything else is unwrapped to its text; scripts and styles are dropped whole).
BODY_TAGS = frozenset(
    {
        "p",
        "br",
        "strong",
        "b",
        "em",
        "i",
        "u",
        "ul",
        "ol",
        "li",
        "table",
        "thead",
        "tbody",
        "tr",
        "td",
        "th",
        "h3",
        "h4",
        "blockquote",
    }
)
#: Attributes a body may keep: only the spans of table cells (no style, no class, no links).
BODY_ATTRIBUTES = {"td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
_DROPPED_WITH_CONTENT = {"script", "style", "template", "iframe", "object", "noscript", "title", "textarea", "select"}
_EMPTY_BODY_RE = re.compile(r"^(?:\s|&nbsp;|<p>\s*(?:<br>)?\s*</p>|<br>)*$", re.IGNORECASE)
_SPAN_VALUE_RE = re.compile(r'\s(colspan|rowspan)="([^"]*)"')


def _clamp_span(match: re.Match) -> str:
    value = match.group(2)
    if value.isdigit() and 1 <= int(value) <= 50:
        return f' {match.group(1)}="{int(value)}"'
    return ""


def sanitize_body(value: str | None) -> str:
    """The body HTML reduced to :data:`BODY_TAGS` (p, br, strong/b, em/i, u, lists, tables without style, h3/h4,
    blockquote) with nh3; ``""`` when nothing but whitespace and empty paragraphs is left."""
    text = str(value or "").replace("\r\n", "\n").replace("\x00", "")
    cleaned = nh3.clean(
        text,
        tags=set(BODY_TAGS),
        clean_content_tags=_DROPPED_WITH_CONTENT,
        attributes={tag: set(names) for tag, names in BODY_ATTRIBUTES.items()},
        strip_comments=True,
        link_rel=None,
        url_schemes=set(),
    ).strip()
    cleaned = _SPAN_VALUE_RE.sub(_clamp_span, cleaned)
    return "" if _EMPTY_BODY_RE.match(cleaned) else cleaned


def body_text(value: str | None) -> str:
    """The body as plain text, one line per block (for search and for the diff of two versions)."""
    text = re.sub(r"(?i)<br\s*/?>|</(?:p|li|h3|h4|tr|blockquote)>", "\n", str(value or ""))
    text = re.sub(r"(?i)</t[dh]>", "\t", text)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


# --- the fields of a draft ----------------------------------------------------------------------------------

#: Keyword arguments of :func:`outgoing_create` / :func:`outgoing_update` (besides ``upload`` and ``source``).
DRAFT_FIELDS = (
    "document_type",
    "summary",
    "body",
    "confidentiality",
    "urgency",
    "reviewer",
    "signer",
    "signature_form",
    "signer_title",
    "signer_name",
    "collective_name",
    "copies",
    "file_copy_unit",
    "notes",
    "recipients",
)


def _max_length(field: str) -> int | None:
    return getattr(OutgoingDocument._meta.get_field(field), "max_length", None)


def _one_line(value) -> str:
    return " ".join(str(value or "").split())


def signer_organization_ids(organization: Organization) -> set[int]:
    """Organizations where a signer (or reviewer) of ``organization``'s documents holds a position: the
    organization itself; for a commune committee or one of its bodies, the commune committee and every body of
    it (the secretary sits in the committee, signs for the standing committee; the office signs T/L)."""
    ids = {organization.pk}
    commune = None
    if organization.kind == OrganizationKind.COMMUNE_COMMITTEE:
        commune = organization.pk
    elif organization.kind in COMMITTEE_BODY_KINDS and organization.parent_id is not None:
        commune = organization.parent_id
    if commune is not None:
        ids.add(commune)
        ids |= set(
            Organization.objects.filter(parent_id=commune, kind__in=list(COMMITTEE_BODY_KINDS)).values_list(
                "id", flat=True
            )
        )
    return ids


def signer_candidates(organization: Organization, *more: Organization):
    """Active users holding a current position where a signer of ``organization``'s (or ``more``'s) documents
    sits (see :func:`signer_organization_ids`): the choices of the signer and reviewer fields."""
    places: set[int] = set()
    for each in (organization, *more):
        places |= signer_organization_ids(each)
    positions = Position.objects.filter(current_positions_q(), organization_id__in=sorted(places))
    return (
        get_user_model()
        .objects.filter(is_active=True, member__positions__in=positions)
        .distinct()
        .order_by("full_name", "username")
    )


def signer_position(user, organization: Organization) -> Position | None:
    """The current position of ``user`` that makes them a signer for ``organization`` (the one in the
    organization itself first, then the one with a signature title)."""
    if user is None:
        return None
    ids = signer_organization_ids(organization)
    positions = list(
        Position.objects.filter(current_positions_q(), member__user_id=user.pk, organization_id__in=sorted(ids))
        .select_related("title", "organization")
        .order_by("title__order", "start_date", "id")
    )
    if not positions:
        return None
    positions.sort(key=lambda p: (p.organization_id != organization.pk, not p.title.signature_title))
    return positions[0]


def default_signature(organization: Organization, signer) -> dict:
    """The signature block texts to propose for ``signer``: their title in signature blocks (the position
    title's ``signature_title``, else its name in capitals), their name, the organization's collective."""
    from ..outgoing_render import collective_for

    position = signer_position(signer, organization)
    title = ""
    if position is not None:
        title = position.title.signature_title or position.title.name.upper()
    return {
        "signer_title": title,
        "signer_name": (signer.get_full_name() or signer.get_username()) if signer is not None else "",
        "collective_name": collective_for(organization),  # IssuerSettings, else the usual name for the kind
    }


def file_copy_unit_for(organization: Organization) -> str:
    """The unit keeping the file copy, from the "Lưu …" line of the issuer settings or of the profile."""
    from ..models import FormatProfile

    line = ""
    settings_row = IssuerSettings.objects.filter(organization=organization).select_related("format_profile").first()
    if settings_row is not None:
        line = settings_row.file_copy_line or settings_row.format_profile.file_copy_line
    else:
        profile = FormatProfile.objects.filter(is_default=True).only("file_copy_line").first()
        line = profile.file_copy_line if profile else ""
    line = line.strip().rstrip(".").strip()
    if line.lower().startswith("lưu "):
        line = line[4:].strip()
    return line[: _max_length("file_copy_unit")]


def _user(value, field: str, errors: dict):
    if value in (None, ""):
        return None
    User = get_user_model()
    if isinstance(value, User):
        return value
    try:
        found = User.objects.filter(pk=int(value)).first()
    except (TypeError, ValueError):
        found = None
    if found is None:
        errors.setdefault(field, []).append(ValidationError(_("This person does not exist."), code="invalid"))
    return found


def _clean_recipients(rows, organization: Organization, errors: dict) -> list[dict]:
    """Recipients in order: ``{"organization": Organization|id|None, "name", "address", "in_block"}``. An
    organization of PartyHub gets the document in its incoming queue; any other recipient needs a name."""
    cleaned: list[dict] = []
    seen: set[int] = set()
    problems: list[ValidationError] = []
    name_limit = OutgoingRecipient._meta.get_field("name").max_length
    address_limit = OutgoingRecipient._meta.get_field("address").max_length
    for index, row in enumerate(rows or (), start=1):
        row = dict(row or {})
        target = row.get("organization")
        if target not in (None, "") and not isinstance(target, Organization):
            try:
                target = Organization.objects.filter(pk=int(target)).first()
            except (TypeError, ValueError):
                target = None
            if target is None:
                problems.append(
                    ValidationError(
                        _("Recipient %(index)d: this organization does not exist."),
                        code="invalid",
                        params={"index": index},
                    )
                )
                continue
        target = target or None
        name = _one_line(row.get("name"))
        address = _one_line(row.get("address"))
        in_block = row.get("in_block", True)
        in_block = in_block if isinstance(in_block, bool) else str(in_block).lower() in ("1", "true", "on", "yes")
        if target is not None:
            if target.is_external or not target.active:
                problems.append(
                    ValidationError(
                        _("Recipient %(index)d: %(organization)s does not receive documents in PartyHub."),
                        code="external",
                        params={"index": index, "organization": target.name},
                    )
                )
                continue
            if target.pk == organization.pk:
                problems.append(
                    ValidationError(
                        _("Recipient %(index)d: a document is not sent to its own issuing organization."),
                        code="self",
                        params={"index": index},
                    )
                )
                continue
            if target.pk in seen:
                problems.append(
                    ValidationError(
                        _("Recipient %(index)d: %(organization)s is listed twice."),
                        code="duplicate",
                        params={"index": index, "organization": target.name},
                    )
                )
                continue
            seen.add(target.pk)
            name = name or target.name
        elif not name:
            if address:
                problems.append(
                    ValidationError(
                        _("Recipient %(index)d: enter the name of the recipient."),
                        code="required",
                        params={"index": index},
                    )
                )
            continue  # an empty row of a form
        if len(name) > name_limit or len(address) > address_limit:
            problems.append(
                ValidationError(
                    _("Recipient %(index)d: the name or the address is too long."),
                    code="max_length",
                    params={"index": index},
                )
            )
            continue
        cleaned.append({"organization": target, "name": name, "address": address, "in_block": in_block})
    if problems:
        errors.setdefault("recipients", []).extend(problems)
    return cleaned


def _clean_fields(*, actor, organization: Organization, values: dict, current: dict) -> dict:
    """Check a draft's fields and return them cleaned; ``current`` holds the values of fields not given.
    Raises ``ValidationError`` keyed by field, every problem at once."""
    unknown = set(values) - set(DRAFT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown fields: {', '.join(sorted(unknown))}")
    raw = {**current, **values}
    errors: dict[str, list] = {}
    cleaned: dict = {}

    def error(field, message, code, params=None):
        errors.setdefault(field, []).append(ValidationError(message, code=code, params=params))

    # Type: active, and issuable by this kind of organization.
    document_type = raw.get("document_type")
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
    if document_type is not None:
        if not document_type.active:
            error("document_type", _("This document type is no longer in use."), "inactive")
        elif document_type.issuable_by_kinds and organization.kind not in document_type.issuable_by_kinds:
            error(
                "document_type",
                _("%(organization)s may not issue a %(type)s."),
                "not_issuable",
                {"organization": organization.name, "type": document_type.name.lower()},
            )
    cleaned["document_type"] = document_type

    # Texts.
    summary = _one_line(raw.get("summary"))
    if not summary:
        error("summary", _("Enter the summary (trích yếu)."), "required")
    elif len(summary) > 1000:
        error(
            "summary",
            _("At most %(limit)d characters (it has %(count)d)."),
            "max_length",
            {"limit": 1000, "count": len(summary)},
        )
    cleaned["summary"] = summary
    for name in ("signer_title", "signer_name", "collective_name", "file_copy_unit"):
        text = _one_line(raw.get(name))
        limit = _max_length(name)
        if limit and len(text) > limit:
            error(
                name,
                _("At most %(limit)d characters (it has %(count)d)."),
                "max_length",
                {"limit": limit, "count": len(text)},
            )
        cleaned[name] = text
    cleaned["notes"] = str(raw.get("notes") or "").strip()

    # Confidentiality (the actor must be cleared for it) and urgency.
    confidentiality = raw.get("confidentiality") or ""
    if confidentiality not in Confidentiality.values:
        error("confidentiality", _("Choose a confidentiality level from the list."), "invalid_choice")
    elif confidentiality and not permissions.cleared_for(actor, confidentiality):
        error("confidentiality", _("You are not cleared for documents of this level."), "not_cleared")
    cleaned["confidentiality"] = confidentiality
    urgency = raw.get("urgency") or ""
    if urgency not in Urgency.values:
        error("urgency", _("Choose an urgency from the list."), "invalid_choice")
    cleaned["urgency"] = urgency

    # Body: sanitized; none at all for a level that keeps metadata only.
    body = sanitize_body(raw.get("body"))
    if body and confidentiality in Confidentiality.values and not permissions.files_allowed(confidentiality):
        error(
            "body",
            _(
                "Only the register entry of a document of this level may be kept, never its text: write the "
                "text outside PartyHub and leave the body empty."
            ),
            "text_not_allowed",
        )
    cleaned["body"] = body

    # Signer and reviewer: a current position where the organization's signers sit, cleared for the level.
    allowed_orgs = None
    for name in ("signer", "reviewer"):
        person = _user(raw.get(name), name, errors)
        if person is not None:
            if allowed_orgs is None:
                allowed_orgs = sorted(signer_organization_ids(organization))
            holds = Position.objects.filter(
                current_positions_q(), member__user_id=person.pk, organization_id__in=allowed_orgs
            ).exists()
            if not person.is_active or not holds:
                error(
                    name,
                    _("%(person)s holds no position in %(organization)s and cannot sign or review its documents.")
                    if name == "signer"
                    else _("%(person)s holds no position in %(organization)s and cannot review its documents."),
                    "no_position",
                    {"person": person.get_full_name() or person.get_username(), "organization": organization.name},
                )
            elif confidentiality and not permissions.cleared_for(person, confidentiality):
                error(
                    name,
                    _("%(person)s is not cleared for documents of this level."),
                    "not_cleared",
                    {"person": person.get_full_name() or person.get_username()},
                )
        cleaned[name] = person
    if cleaned.get("reviewer") is not None and cleaned["reviewer"] == cleaned.get("signer"):
        cleaned["reviewer"] = None  # "the signer reviews" is the default; keep it unnamed

    signature_form = raw.get("signature_form") or SignatureForm.ON_BEHALF
    if signature_form not in SignatureForm.values:
        error("signature_form", _("Choose a signature form from the list."), "invalid_choice")
    cleaned["signature_form"] = signature_form

    copies = raw.get("copies")
    if copies in (None, ""):
        copies = None
    else:
        try:
            copies = int(copies)
        except (TypeError, ValueError):
            copies = -1
        if copies < 1 or copies > 10000:
            error("copies", _("Enter a number of copies from 1 to 10000."), "invalid")
    cleaned["copies"] = copies

    cleaned["recipients"] = _clean_recipients(raw.get("recipients"), organization, errors)

    if errors:
        raise ValidationError(errors)

    # Defaults of the signature block from the signer's position and the organization's settings.
    signer = cleaned["signer"]
    if signer is not None:
        changed_signer = current.get("signer") != signer
        defaults = default_signature(organization, signer)
        for name in ("signer_title", "signer_name"):
            if not cleaned[name] or (changed_signer and name not in values):
                cleaned[name] = defaults[name][: _max_length(name)]
        if not cleaned["collective_name"] and signature_form in (SignatureForm.ON_BEHALF, SignatureForm.DEPUTY):
            cleaned["collective_name"] = defaults["collective_name"][: _max_length("collective_name")]
    return cleaned


# --- uploads ------------------------------------------------------------------------------------------------

#: What a finished document may be uploaded as.
UPLOAD_KINDS = {"pdf", "office"}
UPLOAD_FORMATS = ("pdf", "docx")


@dataclass
class PreparedUpload:
    """An uploaded finished document, checked and (for a DOCX) converted BEFORE the transaction that stores
    it: LibreOffice takes seconds and must not run while rows are locked."""

    upload: object
    format: str  # "pdf" or "docx"
    rendition: bytes | None  # the PDF of a DOCX (None when LibreOffice could not make one)
    page_count: int | None


def _pdf_pages(data: bytes) -> int | None:
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            return len(pdf.pages)
    except Exception:
        return None


def prepare_upload(uploaded_file) -> PreparedUpload:
    """Check a finished document (PDF or DOCX, by content and extension; a PDF must open without a password,
    carry no scripts and no restrictions — it will be signed) and make the PDF rendition of a DOCX. Raises
    ``ValidationError`` (key ``upload``)."""
    from .digitizing import office_to_pdf
    from .receiving import inspect_pdf

    try:
        validated = core_files.validate_upload(uploaded_file, kinds=UPLOAD_KINDS)
        if validated.format.key not in UPLOAD_FORMATS:
            raise ValidationError(
                _("Upload the finished document as PDF or Word (DOCX)."), code="extension_not_allowed"
            )
        rendition = None
        if validated.format.key == "pdf":
            info = inspect_pdf(uploaded_file)
            if info.encrypted:
                raise ValidationError(
                    _("This PDF is protected against changes and cannot be signed: upload it without protection."),
                    code="pdf_restricted",
                )
            pages = info.pages
        else:
            uploaded_file.seek(0)
            with tempfile.TemporaryDirectory(prefix="partyhub-docx-") as workdir:
                source = Path(workdir) / "document.docx"
                with source.open("wb") as target:
                    for chunk in iter(lambda: uploaded_file.read(1024 * 1024), b""):
                        target.write(chunk)
                pdf_path = office_to_pdf(source, Path(workdir))
                rendition = pdf_path.read_bytes() if pdf_path is not None else None
            pages = _pdf_pages(rendition) if rendition else None
    except ValidationError as exc:
        raise ValidationError({"upload": exc.error_list}) from exc
    uploaded_file.seek(0)
    return PreparedUpload(upload=uploaded_file, format=validated.format.key, rendition=rendition, page_count=pages)


def _store_prepared(prepared: PreparedUpload, *, actor) -> tuple:
    stored = core_files.store_upload(prepared.upload, actor=actor, kinds=UPLOAD_KINDS)
    rendition = None
    if prepared.rendition:
        stem, _ext = core_files.split_extension(stored.original_name)
        rendition = core_files.store_bytes(
            prepared.rendition, name=f"{stem}.pdf", content_type="application/pdf", actor=actor
        )
    return stored, rendition


# --- helpers --------------------------------------------------------------------------------------------------


def _lock(document: OutgoingDocument) -> OutgoingDocument:
    try:
        return (
            OutgoingDocument.objects.select_for_update(of=("self",))
            .select_related("organization", "document_type")
            .get(pk=document.pk)
        )
    except OutgoingDocument.DoesNotExist as exc:
        raise PermissionDenied from exc


def _visible_or_deny(actor, document: OutgoingDocument) -> None:
    if not permissions.can_view_outgoing(actor, document):
        raise PermissionDenied


def _latest_version(document: OutgoingDocument) -> OutgoingVersion | None:
    return document.versions.order_by("-number").first()


def _snapshot(document: OutgoingDocument, recipients: list[dict]) -> dict:
    return {
        "source": document.source,
        "document_type": document.document_type_id,
        "document_type_name": document.document_type.name if document.document_type_id else "",
        "summary": document.summary,
        "body": document.body,
        "confidentiality": document.confidentiality,
        "urgency": document.urgency,
        "reviewer": document.reviewer_id,
        "signer": document.signer_id,
        "signature_form": document.signature_form,
        "signer_title": document.signer_title,
        "signer_name": document.signer_name,
        "collective_name": document.collective_name,
        "copies": document.copies,
        "file_copy_unit": document.file_copy_unit,
        "notes": document.notes,
        "recipients": [
            {
                "organization": r["organization"].pk if r["organization"] is not None else None,
                "name": r["name"],
                "address": r["address"],
                "in_block": r["in_block"],
            }
            for r in recipients
        ],
    }


def _current_values(document: OutgoingDocument) -> dict:
    return {
        "document_type": document.document_type if document.document_type_id else None,
        "summary": document.summary,
        "body": document.body,
        "confidentiality": document.confidentiality,
        "urgency": document.urgency,
        "reviewer": document.reviewer,
        "signer": document.signer,
        "signature_form": document.signature_form,
        "signer_title": document.signer_title,
        "signer_name": document.signer_name,
        "collective_name": document.collective_name,
        "copies": document.copies,
        "file_copy_unit": document.file_copy_unit,
        "notes": document.notes,
        "recipients": [
            {"organization": r.organization, "name": r.name, "address": r.address, "in_block": r.in_block}
            for r in document.recipients.select_related("organization").order_by("order", "id")
        ],
    }


def _search_text(document: OutgoingDocument, recipients: list[dict]) -> str:
    parts = [
        document.number_symbol,
        document.document_type.name if document.document_type_id else "",
        document.summary,
        document.signer_name,
        " ".join(r["name"] for r in recipients),
    ]
    if not document.is_classified:
        parts.append(body_text(document.body)[:20000])
    return fold(" ".join(p for p in parts if p))


def _write_recipients(document: OutgoingDocument, recipients: list[dict]) -> None:
    document.recipients.all().delete()
    for order, row in enumerate(recipients, start=1):
        OutgoingRecipient.objects.create(
            document=document,
            organization=row["organization"],
            name=row["name"],
            address=row["address"],
            in_block=row["in_block"],
            order=order,
        )


def _event(document, kind, *, actor, from_status="", to_status="", comment="", version=None) -> OutgoingEvent:
    return OutgoingEvent.objects.create(
        document=document,
        kind=kind,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        comment=comment,
        version=version if version is not None else _latest_version(document),
    )


def _transition(document, *, actor, kind, from_status, comment="", version=None, **changes) -> OutgoingEvent:
    """Record a transition: the event (history) and an explicit audit entry naming it."""
    event = _event(
        document,
        kind,
        actor=actor,
        from_status=from_status,
        to_status=document.status,
        comment=comment,
        version=version,
    )
    audit.record(
        action="other",
        obj=document,
        actor=actor,
        changes={"transition": str(kind), "from": from_status, "to": document.status, **changes},
    )
    return event


def _label(document: OutgoingDocument):
    """How a notification names the document: never the summary of a classified one (notifications are
    e-mailed)."""
    if document.is_classified:
        return format_lazy(
            _("classified document {number} ({level})"),
            number=document.number_symbol or f"#{document.pk}",
            level=Confidentiality(document.confidentiality).label,
        )
    if document.number_symbol:
        return f"{document.number_symbol}: {document.summary[:120]}"
    return document.summary[:150]


def _url(document: OutgoingDocument) -> str:
    return reverse("documents:outgoing_detail", args=[document.pk])


def _notify(document, *, recipients, title, body="", actor, kind: str) -> None:
    people = [u for u in recipients if u is not None and permissions.can_view_outgoing(u, document)]
    if not people:
        return
    notify(
        recipients=people,
        title=title,
        body="" if document.is_classified else body,
        url=_url(document),
        kind=kind,
        actor=actor,
    )


def issuers_of(document: OutgoingDocument) -> list:
    """Who may issue ``document``: clerks of its organization's commune, the secretary of an issuing cell."""
    ancestors: list[int] = []
    organization = document.organization
    while organization is not None and len(ancestors) < 20:
        ancestors.append(organization.pk)
        organization = organization.parent
    places = Q(organization_id__in=ancestors) | Q(
        organization__parent_id__in=ancestors, organization__kind__in=list(COMMITTEE_BODY_KINDS)
    )
    positions = Position.objects.filter(current_positions_q(), places).filter(
        Q(title__grants_clerk=True) | Q(title__grants_cell_secretary=True)
    )
    User = get_user_model()
    candidates = User.objects.filter(is_active=True, member__positions__in=positions).distinct().order_by("pk")
    return [u for u in candidates if permissions.can_issue_for(u, document.organization)]


def _refuse(message, code: str, field: str | None = None):
    error = ValidationError(message, code=code)
    return ValidationError({field: error}) if field else error


def _files_kept(document: OutgoingDocument) -> bool:
    return permissions.files_allowed(document.confidentiality)


def _read(stored_file) -> bytes:
    return core_files.read_bytes(stored_file)


def _pdf_name(document: OutgoingDocument, suffix: str) -> str:
    abbreviation = document.document_type.abbreviation if document.document_type_id else ""
    head = document.number_symbol.replace("/", "-") if document.number_symbol else abbreviation
    return f"{head} {document.summary[:60]} ({suffix}).pdf".strip()


# --- drafting -------------------------------------------------------------------------------------------------


def _save_version(document, *, actor, recipients, uploaded=None, rendition=None, note="") -> OutgoingVersion:
    last = _latest_version(document)
    if uploaded is None and document.source == OutgoingSource.UPLOADED and last is not None:
        uploaded, rendition = last.uploaded_file, last.rendition  # the file did not change with this save
    return OutgoingVersion.objects.create(
        document=document,
        number=(last.number if last else 0) + 1,
        fields=_snapshot(document, recipients),
        uploaded_file=uploaded if document.source == OutgoingSource.UPLOADED else None,
        rendition=rendition if document.source == OutgoingSource.UPLOADED else None,
        note=note[:500],
        created_by=actor,
    )


def _check_upload_allowed(confidentiality: str, prepared) -> None:
    if prepared is not None and not permissions.files_allowed(confidentiality):
        raise _refuse(
            _(
                "Only the register entry of a document of this level may be kept, never its file: register it "
                "without the file."
            ),
            "files_not_allowed",
            "upload",
        )


def outgoing_create(
    *, actor, organization: Organization, upload=None, source: str | None = None, note: str = "", **values
) -> OutgoingDocument:
    """A new draft of ``organization`` from the fields in ``values`` (see :data:`DRAFT_FIELDS`), composed in
    PartyHub or from an uploaded finished PDF/DOCX (``upload``: a file, or a :class:`PreparedUpload`). Version 1
    is recorded. Raises ``ValidationError`` keyed by field."""
    if organization is None or not permissions.can_draft(actor, organization):
        raise _refuse(_("You may not draft documents for this organization."), "not_allowed", "organization")
    prepared = upload if isinstance(upload, PreparedUpload) or upload is None else prepare_upload(upload)
    source = source or (OutgoingSource.UPLOADED if prepared is not None else OutgoingSource.COMPOSED)
    if source not in OutgoingSource.values:
        raise ValueError(f"Unknown source {source!r}")
    if source == OutgoingSource.UPLOADED and prepared is None:
        raise _refuse(_("Choose the file of the finished document."), "required", "upload")
    with transaction.atomic():
        cleaned = _clean_fields(actor=actor, organization=organization, values=values, current={})
        _check_upload_allowed(cleaned["confidentiality"], prepared)
        recipients = cleaned.pop("recipients")
        document = OutgoingDocument(organization=organization, drafted_by=actor, source=source, **cleaned)
        if not document.file_copy_unit:
            document.file_copy_unit = file_copy_unit_for(organization)
        document.search_text = _search_text(document, recipients)
        document.save()
        _write_recipients(document, recipients)
        stored = rendition = None
        if prepared is not None and source == OutgoingSource.UPLOADED:
            stored, rendition = _store_prepared(prepared, actor=actor)
        version = _save_version(
            document, actor=actor, recipients=recipients, uploaded=stored, rendition=rendition, note=note
        )
        _transition(document, actor=actor, kind=K.CREATED, from_status="", version=version, comment=note)
    return document


def outgoing_update(
    *, actor, document: OutgoingDocument, upload=None, source: str | None = None, note: str = "", **values
):
    """Save the draft ``document`` with the fields in ``values`` (fields not given keep their value), or a new
    uploaded file; adds a version. Only its drafter, while it is a draft or was returned."""
    prepared = upload if isinstance(upload, PreparedUpload) or upload is None else prepare_upload(upload)
    with transaction.atomic():
        document = _lock(document)
        _visible_or_deny(actor, document)
        if document.status not in permissions.OUTGOING_EDITABLE_STATES:
            if document.status in (S.APPROVED, S.SIGNED, S.ISSUED, S.RECALLED):
                raise _refuse(_("An approved document can no longer be changed."), "approved")
            if document.status == S.SUBMITTED:
                raise _refuse(
                    _("This document is waiting for review: ask the reviewer to return it before changing it."),
                    "submitted",
                )
            raise _refuse(_("A voided document cannot be changed."), "void")
        if not permissions.can_edit_outgoing(actor, document):
            raise _refuse(_("Only the drafter can change this draft."), "not_drafter")
        if source is not None and source not in OutgoingSource.values:
            raise ValueError(f"Unknown source {source!r}")
        new_source = OutgoingSource.UPLOADED if prepared is not None else (source or document.source)
        last = _latest_version(document)
        if (
            new_source == OutgoingSource.UPLOADED
            and prepared is None
            and (last is None or last.uploaded_file_id is None)
        ):
            raise _refuse(_("Choose the file of the finished document."), "required", "upload")
        cleaned = _clean_fields(
            actor=actor, organization=document.organization, values=values, current=_current_values(document)
        )
        _check_upload_allowed(cleaned["confidentiality"], prepared)
        if new_source == OutgoingSource.UPLOADED and last is not None and last.uploaded_file_id and prepared is None:
            _check_upload_allowed(cleaned["confidentiality"], last)
        recipients = cleaned.pop("recipients")
        for name, value in cleaned.items():
            setattr(document, name, value)
        document.source = new_source
        document.search_text = _search_text(document, recipients)
        document.save()
        _write_recipients(document, recipients)
        stored = rendition = None
        if prepared is not None:
            stored, rendition = _store_prepared(prepared, actor=actor)
        version = _save_version(
            document, actor=actor, recipients=recipients, uploaded=stored, rendition=rendition, note=note
        )
        _transition(document, actor=actor, kind=K.EDITED, from_status=document.status, version=version, comment=note)
    return document


# --- review ---------------------------------------------------------------------------------------------------


@transaction.atomic
def outgoing_submit(*, actor, document: OutgoingDocument, comment: str = "") -> OutgoingDocument:
    """Submit the draft for review (draft or returned → submitted): its drafter. It needs a signer, and a body
    or a file (a classified document keeps neither)."""
    document = _lock(document)
    _visible_or_deny(actor, document)
    if document.status not in permissions.OUTGOING_EDITABLE_STATES:
        raise _refuse(_("Only a draft or a returned document can be submitted."), "bad_state")
    if not permissions.can_submit(actor, document):
        raise _refuse(_("Only the drafter can submit this document."), "not_drafter")
    if document.signer_id is None:
        raise _refuse(_("Choose the signer before submitting."), "no_signer", "signer")
    if _files_kept(document):
        if document.source == OutgoingSource.COMPOSED and not document.body:
            raise _refuse(_("Write the body before submitting."), "no_body", "body")
        if document.source == OutgoingSource.UPLOADED:
            last = _latest_version(document)
            if last is None or last.uploaded_file_id is None:
                raise _refuse(_("Choose the file of the finished document."), "required", "upload")
    before = document.status
    document.status = S.SUBMITTED
    document.submitted_at = timezone.now()
    document.save(update_fields=["status", "submitted_at", "updated_at"])
    _transition(document, actor=actor, kind=K.SUBMITTED, from_status=before, comment=_one_line(comment)[:2000])
    reviewer = document.reviewer or document.signer
    _notify(
        document,
        recipients=[reviewer],
        title=format_lazy(_("Outgoing document to review: {document}"), document=_label(document)),
        body=comment,
        actor=actor,
        kind="outgoing_review",
    )
    return document


@transaction.atomic
def outgoing_return(*, actor, document: OutgoingDocument, comment: str) -> OutgoingDocument:
    """Return the submitted document to its drafter with comments (submitted → returned): its reviewer."""
    document = _lock(document)
    _visible_or_deny(actor, document)
    if document.status != S.SUBMITTED:
        raise _refuse(_("Only a document waiting for review can be returned."), "bad_state")
    if not permissions.can_review(actor, document):
        raise _refuse(_("Only the designated reviewer can return this document."), "not_reviewer")
    comment = str(comment or "").strip()
    if not comment:
        raise _refuse(_("Write what must be changed."), "required", "comment")
    document.status = S.RETURNED
    document.save(update_fields=["status", "updated_at"])
    _transition(document, actor=actor, kind=K.RETURNED, from_status=S.SUBMITTED, comment=comment[:5000])
    _notify(
        document,
        recipients=[document.drafted_by],
        title=format_lazy(_("Your draft was returned with comments: {document}"), document=_label(document)),
        body=comment,
        actor=actor,
        kind="outgoing_returned",
    )
    return document


def _final_pdf(document: OutgoingDocument, *, actor):
    """The PDF the signer will sign: rendered from the fields (composed), or the uploaded file as it is (a PDF)
    or its rendition (a DOCX). ``None`` for a document that keeps no file."""
    if not _files_kept(document):
        return None
    if document.source == OutgoingSource.UPLOADED:
        version = _latest_version(document)
        if version is None or version.uploaded_file_id is None:
            raise _refuse(_("Choose the file of the finished document."), "required", "upload")
        if version.uploaded_file.content_type == "application/pdf":
            return version.uploaded_file
        if version.rendition_id is None:
            raise _refuse(
                _("No PDF could be made of the uploaded Word file: upload the finished document as PDF."),
                "no_rendition",
            )
        return version.rendition
    from ..outgoing_render import render_outgoing_pdf

    data = render_outgoing_pdf(document, fields=True)
    return core_files.store_bytes(data, name=_pdf_name(document, "final"), content_type="application/pdf", actor=actor)


@transaction.atomic
def outgoing_approve(*, actor, document: OutgoingDocument, comment: str = "") -> OutgoingDocument:
    """Approve the submitted text (submitted → approved): its reviewer. The final PDF is made now (number and
    date left as form fields); the text can no longer change."""
    document = _lock(document)
    _visible_or_deny(actor, document)
    if document.status != S.SUBMITTED:
        raise _refuse(_("Only a document waiting for review can be approved."), "bad_state")
    if not permissions.can_review(actor, document):
        raise _refuse(_("Only the designated reviewer can approve this document."), "not_reviewer")
    final = _final_pdf(document, actor=actor)
    document.final_file = final
    document.page_count = _pdf_pages(_read(final)) if final is not None else None
    document.status = S.APPROVED
    document.approved_at = timezone.now()
    document.approved_by = actor
    document.save(update_fields=["final_file", "page_count", "status", "approved_at", "approved_by", "updated_at"])
    _transition(
        document, actor=actor, kind=K.APPROVED, from_status=S.SUBMITTED, comment=str(comment or "").strip()[:5000]
    )
    title = format_lazy(_("Your draft was approved: {document}"), document=_label(document))
    _notify(document, recipients=[document.drafted_by], title=title, actor=actor, kind="outgoing_approved")
    if document.signer_id != actor.pk:
        _notify(
            document,
            recipients=[document.signer],
            title=format_lazy(_("Outgoing document to sign: {document}"), document=_label(document)),
            actor=actor,
            kind="outgoing_sign",
        )
    return document


# --- signature and issue --------------------------------------------------------------------------------------


#: Bodies that use their parent committee's seal when they have no certificate of their own.
SEAL_OF_PARENT_KINDS = frozenset({OrganizationKind.STANDING_COMMITTEE, OrganizationKind.EXECUTIVE_COMMITTEE})


def _credential(kind: str, owner):
    from .. import signing

    if kind == SignatureKind.SIGNER:
        credential = signing.credential_for_user(owner)
    else:
        credential = signing.credential_for_organization(owner)
        if credential is None and owner.kind in SEAL_OF_PARENT_KINDS and owner.parent_id is not None:
            # The standing (executive) committee seals with the commune committee's seal ("ĐẢNG ỦY XÃ …").
            credential = signing.credential_for_organization(owner.parent)
    if credential is None:
        if kind == SignatureKind.SIGNER:
            raise _refuse(
                _("You have no signing certificate: ask the administrator to configure yours."), "no_certificate"
            )
        raise ValidationError(
            _("%(organization)s has no signing certificate: ask the administrator to configure it."),
            code="no_certificate",
            params={"organization": owner.name},
        )
    return credential


def _credential_subject(credential) -> str:
    return (getattr(credential, "subject", "") or str(credential))[:500]


def _signing_credential_row(credential):
    """The :class:`~documents.models.SigningCredential` row behind what ``credential_for_*`` returned."""
    from ..models import SigningCredential

    if isinstance(credential, SigningCredential):
        return credential
    row = getattr(credential, "row", None) or getattr(credential, "model", None) or getattr(credential, "record", None)
    if isinstance(row, SigningCredential):
        return row
    pk = getattr(credential, "pk", None) or getattr(credential, "id", None)
    return SigningCredential.objects.get(pk=pk)


@transaction.atomic
def outgoing_sign(*, actor, document: OutgoingDocument) -> OutgoingDocument:
    """The signer signs the approved final PDF with their own certificate (approved → signed). A document that
    keeps no file (classified) is signed on paper: the step is recorded, no PDF is made."""
    document = _lock(document)
    _visible_or_deny(actor, document)
    if document.status != S.APPROVED:
        raise _refuse(_("Only an approved document can be signed."), "bad_state")
    if not permissions.can_sign(actor, document):
        raise _refuse(_("Only the designated signer can sign this document."), "not_signer")
    comment = ""
    if document.final_file_id is not None:
        from ..signing import sign_pdf

        credential = _credential(SignatureKind.SIGNER, actor)
        final = _read(document.final_file)
        data = sign_pdf(
            final,
            credential=credential,
            kind=SignatureKind.SIGNER,
            box=_stamp_box(document, SignatureKind.SIGNER, final),
            location=document.organization.place_name,
        )
        signed = core_files.store_bytes(
            data, name=_pdf_name(document, "signed"), content_type="application/pdf", actor=actor
        )
        AppliedSignature.objects.create(
            document=document,
            kind=SignatureKind.SIGNER,
            credential=_signing_credential_row(credential),
            signed_by=actor,
            result_file=signed,
            timestamped=bool(getattr(settings, "PARTYHUB_TSA_URL", "")),
            certificate_subject=_credential_subject(credential),
        )
        document.signed_file = signed
    else:
        comment = str(_("Signed on paper: no file is kept for documents of this level."))
    document.status = S.SIGNED
    document.signed_at = timezone.now()
    document.save(update_fields=["signed_file", "status", "signed_at", "updated_at"])
    _transition(document, actor=actor, kind=K.SIGNED, from_status=S.APPROVED, comment=comment)
    _notify(
        document,
        recipients=[*issuers_of(document), document.drafted_by],
        title=format_lazy(_("Signed, to number and issue: {document}"), document=_label(document)),
        actor=actor,
        kind="outgoing_issue",
    )
    return document


def _number_fields(data: bytes) -> bool:
    """Whether a PDF carries the ``partyhub_number`` and ``partyhub_date`` form fields of PartyHub's render.
    Raises ``ValidationError`` for a file that cannot be read at all (checked before a number is taken)."""
    import pikepdf

    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except Exception as exc:
        raise ValidationError(
            _("The signed PDF cannot be read, so it cannot be sealed and issued. Tell the administrator."),
            code="damaged_pdf",
        ) from exc
    with pdf:
        try:
            acroform = pdf.Root.get("/AcroForm")
            if acroform is None:
                return False
            names = set()
            pending = list(acroform.get("/Fields", []))
            while pending and len(names) < 500:
                field = pending.pop()
                if "/T" in field:
                    names.add(str(field.T))
                pending.extend(field.get("/Kids", []))
        except Exception:  # an unreadable form is the same as none
            return False
    return {"partyhub_number", "partyhub_date"} <= names


def _issue_texts(document: OutgoingDocument, number: int, day: datetime.date) -> tuple[str, dict]:
    """The number and symbol (``05-NQ/ĐU``) and the values of the final PDF's form fields
    (``partyhub_number``: the digits, ``partyhub_date``: the place and date line)."""
    from ..outgoing_render import form_field_values, format_number_symbol

    return format_number_symbol(document, number), form_field_values(document, number=number, issued_on=day)


def _stamp_box(document: OutgoingDocument, kind: str, pdf: bytes):
    """Where the visible stamp goes (``stamp_rect`` of the render module); ``None`` for a foreign PDF, which
    has no signature block of PartyHub to place it by (the signing module then signs without a stamp box)."""
    from ..outgoing_render import stamp_rect

    try:
        return stamp_rect(document, kind, pdf=pdf)
    except Exception:  # no signature block found (or unreadable): an invisible signature
        return None


@transaction.atomic
def outgoing_issue(*, actor, document: OutgoingDocument, issued_on: datetime.date | None = None) -> OutgoingDocument:
    """Number, seal and issue the signed document (signed → issued): the clerk of the issuing organization.

    One transaction: the document row is locked, the next number of (organization, type, term) is taken from
    the ORDINARY outgoing register (the counter row stays locked until the commit), the number and date are
    written into the signed PDF's form fields and the organization's signature applied in the same incremental
    update, the bytes stored, the entry recorded (a classified document in the SECRET register, in the same
    sequence) and the recipients served after the commit. A failure anywhere rolls it all back: the number is
    given back and the stored bytes are removed."""
    from .registering import period_for, register_for, register_next_number

    document = _lock(document)
    _visible_or_deny(actor, document)
    if document.status != S.SIGNED:
        raise _refuse(_("Only a document signed by its signer can be issued."), "bad_state")
    if not permissions.can_issue(actor, document):
        raise _refuse(_("Only the clerk of the issuing organization can issue this document."), "not_clerk")
    day = issued_on or timezone.localdate()
    if day > timezone.localdate():
        raise _refuse(_("The issue date cannot be in the future."), "future", "issued_on")
    if document.signed_at is not None and day < timezone.localdate(document.signed_at):
        raise _refuse(
            _("The issue date cannot be before the signer signed the document."), "before_signed", "issued_on"
        )

    # Slow parts first, before the counter is locked.
    signed_bytes = credential = None
    if document.signed_file_id is not None:
        from ..signing import sign_pdf

        signed_bytes = _read(document.signed_file)
        credential = _credential(SignatureKind.ORGANIZATION, document.organization)
        fill_fields = _number_fields(signed_bytes)
        box = _stamp_box(document, SignatureKind.ORGANIZATION, signed_bytes)
    register = register_for(document.organization, RegisterKind.OUTGOING, secret=False)
    entry_register = (
        register_for(document.organization, RegisterKind.OUTGOING, secret=True) if document.is_classified else register
    )
    for book in {register, entry_register}:
        if not book.active:
            raise ValidationError(
                _("The register %(register)s is closed."), code="register_closed", params={"register": book.name}
            )
    period = period_for(register, day)

    # The counter: locked from here to the commit.
    number = register_next_number(register=register, period=period, document_type=document.document_type)
    number_symbol, field_values = _issue_texts(document, number, day)
    issued = None
    if signed_bytes is not None:
        if fill_fields:
            data = sign_pdf(
                signed_bytes,
                credential=credential,
                kind=SignatureKind.ORGANIZATION,
                box=box,
                field_values=field_values,
                location=document.organization.place_name,
            )
        else:
            # A foreign PDF has no place for the number: the seal's reason carries it (see the module docstring).
            data = sign_pdf(
                signed_bytes,
                credential=credential,
                kind=SignatureKind.ORGANIZATION,
                box=box,
                reason=f"Số {number_symbol}, {field_values['partyhub_date']}",
                location=document.organization.place_name,
            )
        document.number_symbol = number_symbol  # for the file name
        issued = core_files.store_bytes(
            data, name=_pdf_name(document, "issued"), content_type="application/pdf", actor=actor
        )
        AppliedSignature.objects.create(
            document=document,
            kind=SignatureKind.ORGANIZATION,
            credential=_signing_credential_row(credential),
            signed_by=actor,
            result_file=issued,
            timestamped=bool(getattr(settings, "PARTYHUB_TSA_URL", "")),
            certificate_subject=_credential_subject(credential),
        )
    document.register = entry_register
    document.period = period
    document.number = number
    document.number_symbol = number_symbol
    document.issued_on = day
    document.issued_at = timezone.now()
    document.issued_by = actor
    document.issued_file = issued
    if document.copies is None:
        document.copies = document.recipients.count() + 1  # one per recipient and the file copy
    recipients = list(document.recipients.values("name"))
    document.search_text = _search_text(document, recipients)
    document.status = S.ISSUED
    document.save()
    _transition(
        document,
        actor=actor,
        kind=K.ISSUED,
        from_status=S.SIGNED,
        comment=f"{entry_register.name}, {period}: {number_symbol}",
        number=number,
        number_symbol=number_symbol,
        register=entry_register.pk,
        period=period,
    )
    if document.corrects_id is not None:
        original = OutgoingDocument.objects.get(pk=document.corrects_id)
        _event(original, K.CORRECTED, actor=actor, to_status=original.status, comment=number_symbol)
    _notify(
        document,
        recipients=[document.drafted_by, document.reviewer, document.signer],
        title=format_lazy(_("Issued: {document}"), document=_label(document)),
        actor=actor,
        kind="outgoing_issued",
    )
    from partyhub.queue import enqueue

    from ..tasks import distribute_outgoing

    enqueue(distribute_outgoing, document.pk)
    return document


# --- void, recall, correction ---------------------------------------------------------------------------------


def _reason(reason, field_limit: int, missing_message):
    text = _one_line(reason)
    if not text:
        raise _refuse(missing_message, "required", "reason")
    if len(text) > field_limit:
        raise ValidationError(
            {
                "reason": ValidationError(
                    _("At most %(limit)d characters (it has %(count)d)."),
                    code="max_length",
                    params={"limit": field_limit, "count": len(text)},
                )
            }
        )
    return text


@transaction.atomic
def outgoing_void(*, actor, document: OutgoingDocument, reason: str) -> OutgoingDocument:
    """Void a document before it is issued (it has no number: numbers are given at issue only): its drafter,
    reviewer or signer, or the clerk of the issuing organization. Nothing is deleted."""
    document = _lock(document)
    _visible_or_deny(actor, document)
    if document.status == S.VOID:
        raise _refuse(_("This document is already void."), "already_void")
    if document.status not in permissions.OUTGOING_VOIDABLE_STATES:
        raise _refuse(_("An issued document cannot be voided: recall it or issue a correction."), "issued")
    if not permissions.can_void_outgoing(actor, document):
        raise _refuse(_("You may not void this document."), "not_allowed")
    reason = _reason(reason, _max_length("void_reason"), _("Give the reason for voiding this document."))
    before = document.status
    document.status = S.VOID
    document.voided_at = timezone.now()
    document.void_reason = reason
    document.save(update_fields=["status", "voided_at", "void_reason", "updated_at"])
    _transition(document, actor=actor, kind=K.VOIDED, from_status=before, comment=reason)
    _notify(
        document,
        recipients=[document.drafted_by, document.reviewer, document.signer],
        title=format_lazy(_("Voided: {document}"), document=_label(document)),
        body=reason,
        actor=actor,
        kind="outgoing_voided",
    )
    return document


@transaction.atomic
def outgoing_recall(*, actor, document: OutgoingDocument, reason: str) -> OutgoingDocument:
    """Recall an issued document (issued → recalled): the clerk of the issuing organization or its signer. It
    keeps its number; recipients see it recalled on their incoming copy and are told."""
    document = _lock(document)
    _visible_or_deny(actor, document)
    if document.status != S.ISSUED:
        raise _refuse(_("Only an issued document can be recalled."), "bad_state")
    if not permissions.can_recall(actor, document):
        raise _refuse(
            _("Only the clerk of the issuing organization or the signer can recall this document."), "not_allowed"
        )
    reason = _reason(reason, _max_length("recall_reason"), _("Give the reason for the recall."))
    document.status = S.RECALLED
    document.recalled_at = timezone.now()
    document.recall_reason = reason
    document.save(update_fields=["status", "recalled_at", "recall_reason", "updated_at"])
    _transition(document, actor=actor, kind=K.RECALLED, from_status=S.ISSUED, comment=reason)
    from .distribution import distribution_recall

    distribution_recall(actor=actor, document=document, reason=reason)
    _notify(
        document,
        recipients=[document.drafted_by, document.reviewer, document.signer, *issuers_of(document)],
        title=format_lazy(_("Recalled: {document}"), document=_label(document)),
        body=reason,
        actor=actor,
        kind="outgoing_recalled",
    )
    return document


@transaction.atomic
def outgoing_correct(*, actor, document: OutgoingDocument) -> OutgoingDocument:
    """Start the correction of an issued (or recalled) document: a NEW draft of the same organization with the
    original's fields (and file), ``corrects=`` the original, drafted by ``actor``. When it is issued, the
    original's history says so and its recipients are told."""
    original = _lock(document)
    _visible_or_deny(actor, original)
    if original.status not in (S.ISSUED, S.RECALLED):
        raise _refuse(_("Only an issued or recalled document can be corrected."), "bad_state")
    if not permissions.can_correct(actor, original):
        raise _refuse(_("You may not draft documents for this organization."), "not_allowed")
    recipients = [
        {"organization": r.organization, "name": r.name, "address": r.address, "in_block": r.in_block}
        for r in original.recipients.select_related("organization").order_by("order", "id")
    ]
    copy = OutgoingDocument(
        organization=original.organization,
        document_type=original.document_type,
        source=original.source,
        summary=original.summary,
        body=original.body,
        confidentiality=original.confidentiality,
        urgency=original.urgency,
        drafted_by=actor,
        reviewer=original.reviewer,
        signer=original.signer,
        signature_form=original.signature_form,
        signer_title=original.signer_title,
        signer_name=original.signer_name,
        collective_name=original.collective_name,
        copies=original.copies,
        file_copy_unit=original.file_copy_unit,
        notes=original.notes,
        corrects=original,
    )
    copy.search_text = _search_text(copy, recipients)
    copy.save()
    _write_recipients(copy, recipients)
    last = _latest_version(original)
    note = str(format_lazy(_("Corrects {document}"), document=original.number_symbol or original.pk))
    version = _save_version(
        copy,
        actor=actor,
        recipients=recipients,
        uploaded=last.uploaded_file if last is not None else None,
        rendition=last.rendition if last is not None else None,
        note=note,
    )
    _transition(copy, actor=actor, kind=K.CREATED, from_status="", version=version, comment=note, corrects=original.pk)
    return copy


# --- versions -------------------------------------------------------------------------------------------------

#: Fields compared between two versions, with their labels.
VERSION_FIELD_LABELS = {
    "document_type_name": _("Type"),
    "summary": _("Summary"),
    "confidentiality": _("Confidentiality"),
    "urgency": _("Urgency"),
    "signer": _("Signer"),
    "reviewer": _("Reviewer"),
    "signature_form": _("Signature form"),
    "signer_title": _("Signer's title"),
    "signer_name": _("Signer's name as printed"),
    "collective_name": _("Collective"),
    "copies": _("Number of copies"),
    "file_copy_unit": _("Unit keeping the file copy"),
    "notes": _("Notes"),
    "recipients": _("Recipients"),
    "source": _("Source"),
}


@dataclass(frozen=True)
class VersionChanges:
    """What changed from one version to the next: the changed fields and a line diff of the body text."""

    fields: list  # labels of the changed fields (besides the body)
    body_diff: list  # (kind, text): kind is " ", "+" or "-"
    file_changed: bool

    @property
    def empty(self) -> bool:
        return not self.fields and not self.body_diff and not self.file_changed


def version_changes(older: OutgoingVersion | None, newer: OutgoingVersion) -> VersionChanges:
    """The changes of ``newer`` against ``older`` (the version before it; ``None`` for the first)."""
    before = older.fields if older is not None else {}
    after = newer.fields
    fields = [
        label for key, label in VERSION_FIELD_LABELS.items() if older is not None and before.get(key) != after.get(key)
    ]
    old_lines = body_text(before.get("body", "")).split("\n") if before.get("body") else []
    new_lines = body_text(after.get("body", "")).split("\n") if after.get("body") else []
    diff = []
    if old_lines != new_lines:
        for line in difflib.ndiff(old_lines, new_lines):
            kind, text = line[:1], line[2:]
            if kind in ("+", "-", " "):
                diff.append((kind, text))
    file_changed = older is not None and (
        older.uploaded_file_id != newer.uploaded_file_id or older.rendition_id != newer.rendition_id
    )
    return VersionChanges(fields=fields, body_diff=diff, file_changed=file_changed)
