"""Receiving incoming documents (issue 4 point 1): uploaded files and e-mail attachments become drafts that
wait for the clerk to register them.

* Every file is checked BEFORE anything is stored: ``partyhub.files.validate_upload`` (content and extension,
  size, polyglots, zip bombs, macros) and, for PDFs, :func:`inspect_pdf` (opens with pikepdf: a PDF that needs
  a password to open, a broken or truncated one, one with scripts or launch actions is refused; a PDF that only
  restricts printing or copying — owner password, empty user password — is accepted). One bad file refuses the
  whole upload: nothing is stored, no row, no bytes.
* One draft per file by default; ``together=True`` makes one draft whose originals are the files in order
  (the pages of one document scanned separately, an e-mail's attachments).
* Duplicates are flagged, not refused: the same SHA-256 as an original of another document, or the same
  sender + number and symbol + document date (:func:`documents.services.digitizing.find_duplicates`).
* Digitizing (OCR, text, thumbnail, signatures) runs in a Celery task queued after the commit.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import io
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.utils import getaddresses, parseaddr

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from members.models import Organization
from partyhub import files as core_files
from partyhub.queue import enqueue

from ..models import (
    Confidentiality,
    DocumentFile,
    FileRole,
    HandlingEntry,
    HandlingKind,
    IncomingDocument,
    IncomingStatus,
    ProcessingState,
    ReceivedVia,
)

logger = logging.getLogger(__name__)

__all__ = [
    "ACCEPTED_FORMATS",
    "ReceivedEmail",
    "check_incoming_file",
    "incoming_discard_draft",
    "incoming_receive_email",
    "incoming_receive_files",
    "incoming_redigitize",
    "inspect_pdf",
]

#: What an incoming document may be: PDF, scans (JPEG, PNG, TIFF) and word-processor files (DOCX, ODT).
ACCEPTED_FORMATS = ("pdf", "jpeg", "png", "tiff", "docx", "odt")
ACCEPTED_EXTENSIONS = tuple(ext for key in ACCEPTED_FORMATS for ext in core_files.FORMATS[key].extensions)
UPLOAD_KINDS = {"pdf", "image", "office"}  # "office" also holds XLSX, refused below
#: Pages checked for readable content streams when a PDF is received (the rest is the digitizer's business).
PDF_CHECK_MAX_PAGES = 2000
# PDF actions that run something: refused in incoming documents.
_HOSTILE_ACTIONS = {"/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/Rendition"}

MESSAGE_WAITING = gettext_noop("Waiting for digitizing")


# --- Checking one file -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PdfInfo:
    pages: int
    encrypted: bool  # opened without a password, but with restrictions (owner password)
    signed: bool


def _pdf_refused(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def _is_signature_field(obj) -> bool:
    import pikepdf

    try:
        value = obj.get("/V")
        return obj.get("/FT") == pikepdf.Name.Sig and value is not None
    except (pikepdf.PdfError, AttributeError, TypeError, ValueError):
        return False


def inspect_pdf(f) -> PdfInfo:
    """Open a PDF (a seekable binary file) with pikepdf and refuse what the clerk must not receive.

    Raises ``ValidationError`` with code ``pdf_password`` (needs a password to open), ``pdf_damaged`` (broken,
    truncated, no pages, unreadable page content) or ``pdf_active`` (JavaScript, launch or submit actions).
    """
    import pikepdf

    damaged = _("The PDF is damaged or incomplete and cannot be read. Ask the sender for the file again.")
    f.seek(0, io.SEEK_END)
    size = f.tell()
    # A complete PDF ends with %%EOF (allowing some trailing bytes, as readers do): a truncated one does not.
    f.seek(max(0, size - 4096))
    if b"%%EOF" not in f.read():
        raise _pdf_refused(damaged, "pdf_damaged")
    f.seek(0)
    data = f.read()
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError as exc:
        raise _pdf_refused(
            _("The PDF is protected by a password and cannot be opened. Ask the sender for a copy without one."),
            "pdf_password",
        ) from exc
    except (pikepdf.PdfError, ValueError, OSError, RuntimeError) as exc:
        raise _pdf_refused(damaged, "pdf_damaged") from exc
    try:
        with pdf:
            pages = len(pdf.pages)
            if pages == 0:
                raise _pdf_refused(damaged, "pdf_damaged")
            for index, page in enumerate(pdf.pages):
                if index >= PDF_CHECK_MAX_PAGES:
                    break
                # Decoding every content stream catches truncated and corrupt streams.
                contents = page.obj.get("/Contents")
                if contents is None:
                    continue
                streams = contents if isinstance(contents, pikepdf.Array) else [contents]
                for stream in streams:
                    if not isinstance(stream, pikepdf.Stream):
                        raise _pdf_refused(damaged, "pdf_damaged")
                    stream.read_bytes()
            signed = False
            for obj in pdf.objects:
                if not isinstance(obj, pikepdf.Dictionary):
                    continue
                action = obj.get("/S")
                if action is not None and str(action) in _HOSTILE_ACTIONS:
                    raise _pdf_refused(
                        _("PDFs containing scripts or actions that open other programs are not accepted."),
                        "pdf_active",
                    )
                if "/JS" in obj:
                    raise _pdf_refused(
                        _("PDFs containing scripts or actions that open other programs are not accepted."),
                        "pdf_active",
                    )
                if not signed and _is_signature_field(obj):
                    signed = True
            names = pdf.Root.get("/Names")
            if isinstance(names, pikepdf.Dictionary) and "/JavaScript" in names:
                raise _pdf_refused(
                    _("PDFs containing scripts or actions that open other programs are not accepted."), "pdf_active"
                )
            return PdfInfo(pages=pages, encrypted=bool(pdf.is_encrypted), signed=signed)
    except ValidationError:
        raise
    except (pikepdf.PdfError, ValueError, OSError, RuntimeError, TypeError, KeyError) as exc:
        raise _pdf_refused(damaged, "pdf_damaged") from exc


@dataclass(frozen=True)
class CheckedFile:
    upload: object  # the file object, rewound
    validated: core_files.ValidatedUpload
    pdf: PdfInfo | None


def check_incoming_file(uploaded_file) -> CheckedFile:
    """Every check a received file must pass; raises ``ValidationError`` (with a ``code``) on refusal."""
    not_accepted = ValidationError(
        _("Files of this type are not accepted as incoming documents. Accepted: %(accepted)s.")
        % {"accepted": ", ".join(f".{ext}" for ext in ACCEPTED_EXTENSIONS)},
        code="extension_not_allowed",
    )
    _stem, extension = core_files.split_extension(core_files.clean_filename(getattr(uploaded_file, "name", None)))
    if extension not in ACCEPTED_EXTENSIONS:
        raise not_accepted
    validated = core_files.validate_upload(uploaded_file, kinds=UPLOAD_KINDS)
    if validated.format.key not in ACCEPTED_FORMATS:
        raise not_accepted
    pdf = None
    if validated.format.key == "pdf":
        pdf = inspect_pdf(uploaded_file)
    uploaded_file.seek(0)
    return CheckedFile(upload=uploaded_file, validated=validated, pdf=pdf)


def _file_label(f) -> str:
    return core_files.clean_filename(getattr(f, "name", None))


def _check_all(files: list) -> list[CheckedFile]:
    """Check every file; one error per refused file, each naming the file (nothing is stored on error)."""
    checked, errors = [], []
    for f in files:
        try:
            checked.append(check_incoming_file(f))
        except ValidationError as exc:
            for message in exc.messages:
                errors.append(
                    ValidationError(
                        _("%(name)s: %(reason)s") % {"name": _file_label(f), "reason": message},
                        code=getattr(exc, "code", None) or "invalid",
                    )
                )
    if errors:
        raise ValidationError({"files": errors})
    return checked


# --- Receiving ---------------------------------------------------------------------------------------------


def _check_receiver(actor, organization: Organization) -> None:
    from .. import permissions

    if organization is None or organization.is_external:
        raise PermissionDenied
    if actor is not None and not permissions.can_receive(actor, organization):
        raise PermissionDenied


def _new_draft(*, actor, organization, received_via, sender, source_message_id, confidentiality, notes):
    return IncomingDocument.objects.create(
        organization=organization,
        status=IncomingStatus.DRAFT,
        received_via=received_via,
        received_on=timezone.localdate(),
        sender=sender[: IncomingDocument._meta.get_field("sender").max_length],
        source_message_id=source_message_id[: IncomingDocument._meta.get_field("source_message_id").max_length],
        confidentiality=confidentiality,
        notes=notes,
        processing_state=ProcessingState.PENDING,
        processing_progress=0,
        processing_message=MESSAGE_WAITING,
        created_by=actor if getattr(actor, "pk", None) else None,
    )


def _flag_duplicate(document: IncomingDocument) -> None:
    from .digitizing import find_duplicates

    first = find_duplicates(document).order_by("created_at", "pk").first()
    if first is not None and document.duplicate_of_id != first.pk:
        document.duplicate_of = first
        document.save(update_fields=["duplicate_of"])


@transaction.atomic
def incoming_receive_files(
    *,
    actor,
    organization: Organization,
    files: Iterable,
    received_via: str = ReceivedVia.UPLOAD,
    together: bool = False,
    sender: str = "",
    source_message_id: str = "",
    confidentiality: str = "",
    notes: str = "",
) -> list[IncomingDocument]:
    """Receive ``files`` for ``organization`` as drafts waiting to be registered.

    One draft per file, or one draft holding every file (in order) with ``together=True``. Each file is
    checked first (:func:`check_incoming_file`); if any is refused, ``ValidationError({"files": [...]})`` names
    every refused file and nothing is stored. A classified draft (``confidentiality``) keeps no file unless
    the deployment allows files for its level: it is then a metadata-only draft (received on paper).
    Digitizing is queued for every draft with files. ``actor`` None means the system (e-mail intake).
    """
    from .. import permissions

    _check_receiver(actor, organization)
    files = list(files)
    if confidentiality not in Confidentiality.values:
        raise ValidationError({"confidentiality": _("Choose a confidentiality level from the list.")})
    if confidentiality and actor is not None and not permissions.cleared_for(actor, confidentiality):
        raise PermissionDenied
    if files and not permissions.files_allowed(confidentiality):
        raise ValidationError(
            {
                "files": ValidationError(
                    _(
                        "Files of a document of this confidentiality may not be stored: record the register "
                        "entry only (without files)."
                    ),
                    code="files_not_allowed",
                )
            }
        )
    if not files and not confidentiality:
        raise ValidationError({"files": ValidationError(_("Choose at least one file."), code="required")})
    checked = _check_all(files)

    common = {
        "actor": actor,
        "organization": organization,
        "received_via": ReceivedVia.PAPER if not files else received_via,
        "sender": sender,
        "source_message_id": source_message_id,
        "confidentiality": confidentiality,
        "notes": notes,
    }
    groups: list[list[CheckedFile]] = [checked] if (together or not checked) else [[c] for c in checked]
    drafts = []
    for group in groups:
        draft = _new_draft(**common)
        names = []
        for order, item in enumerate(group):
            item.upload.seek(0)
            stored = core_files.store_upload(item.upload, actor=actor, kinds=UPLOAD_KINDS)
            DocumentFile.objects.create(
                incoming=draft,
                stored_file=stored,
                role=FileRole.ORIGINAL,
                order=order,
                page_count=item.pdf.pages if item.pdf else None,
                added_by=draft.created_by,
            )
            names.append(stored.original_name)
        if not group:
            draft.processing_state = ProcessingState.DONE
            draft.processing_progress = 100
            draft.processing_message = ""
            draft.save(update_fields=["processing_state", "processing_progress", "processing_message"])
        HandlingEntry.objects.create(
            document=draft,
            kind=HandlingKind.RECEIVED,
            actor=draft.created_by,
            text=", ".join(names) if names else _("Register entry only (no file)."),
        )
        _flag_duplicate(draft)
        if group:
            from ..tasks import digitize_incoming

            enqueue(digitize_incoming, draft.pk)
        drafts.append(draft)
    return drafts


@transaction.atomic
def incoming_redigitize(*, actor, document: IncomingDocument) -> IncomingDocument:
    """Run digitizing again (after a failure, or after the OCR languages changed). Drafts only."""
    from .. import permissions

    document = IncomingDocument.objects.select_for_update().get(pk=document.pk)
    if not permissions.can_view_incoming(actor, document) or not permissions.can_receive(actor, document.organization):
        raise PermissionDenied
    if document.processing_state == ProcessingState.RUNNING:
        raise ValidationError(_("Digitizing is already running."), code="running")
    if not document.files.filter(role=FileRole.ORIGINAL).exists():
        raise ValidationError(_("This document has no file to digitize."), code="no_files")
    IncomingDocument.objects.filter(pk=document.pk).update(
        processing_state=ProcessingState.PENDING, processing_progress=0, processing_message=MESSAGE_WAITING
    )
    from ..tasks import digitize_incoming

    enqueue(digitize_incoming, document.pk, True)
    document.refresh_from_db()
    return document


@transaction.atomic
def incoming_discard_draft(*, actor, document: IncomingDocument) -> None:
    """Discard a draft that should not be registered (a duplicate, a mistaken upload, a classified file that
    may not be kept). Only drafts: registered entries are never deleted. The files go with it (their bytes
    are removed once the deletion has committed)."""
    from .. import permissions

    document = IncomingDocument.objects.select_for_update().get(pk=document.pk)
    if not permissions.can_view_incoming(actor, document) or not permissions.can_receive(actor, document.organization):
        raise PermissionDenied
    if document.status != IncomingStatus.DRAFT or document.number is not None:
        raise ValidationError(_("Only a draft that is not registered can be discarded."), code="not_draft")
    stored_files = [document_file.stored_file for document_file in document.files.all()]
    IncomingDocument.objects.filter(duplicate_of=document).update(duplicate_of=None)
    document.history.all().delete()
    # Derived files first: they point at their originals (PROTECT).
    for document_file in sorted(document.files.all(), key=lambda f: f.derived_from_id is None):
        document_file.signature_checks.all().delete()
        document_file.delete()
    document.delete()
    storage = core_files.private_storage()
    for stored in stored_files:
        name = stored.storage_name
        stored.delete()
        transaction.on_commit(lambda name=name: core_files._delete_quietly(storage, name))


# --- E-mail ------------------------------------------------------------------------------------------------


@dataclass
class ReceivedEmail:
    """What became of one e-mail: the draft (or None) and a note per skipped attachment."""

    message_id: str
    draft: IncomingDocument | None = None
    skipped: list[str] = field(default_factory=list)
    already_imported: bool = False


def _decode(value) -> str:
    if value is None:
        return ""
    try:
        return str(make_header(decode_header(str(value))))
    except (UnicodeError, LookupError, ValueError):
        return str(value)


def message_id_of(message_bytes: bytes, message) -> str:
    """The Message-ID header, or a stand-in made from the message's SHA-256 when the sender left it out."""
    raw = message.get("Message-ID", "") or ""
    found = re.search(r"<[^<>\s]+>", str(raw))
    if found:
        return found.group(0)
    return "sha256:" + hashlib.sha256(message_bytes).hexdigest()


def sender_of(message) -> str:
    """``"Name <address>"`` from the From header (the name decoded: Vietnamese names arrive RFC 2047-encoded)."""
    name, address = parseaddr(_decode(message.get("From", "")))
    if not address:
        addresses = getaddresses([str(message.get("From", ""))])
        address = addresses[0][1] if addresses else ""
    name = " ".join(name.split())
    if name and address:
        return f"{name} <{address}>"
    return name or address


def _attachments(message):
    for part in message.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        disposition = part.get_content_disposition()
        if not filename and disposition != "attachment":
            continue  # the body text
        yield _decode(filename) if filename else "", part


def incoming_receive_email(
    *, organization: Organization, message_bytes: bytes, actor=None, max_attachments: int = 50
) -> ReceivedEmail:
    """Turn one e-mail (its raw RFC 5322 bytes) into one draft holding its acceptable attachments.

    The sender comes from the From header, the Message-ID is kept so the same message is never imported
    twice (a second call returns ``already_imported``), the subject goes to the notes. Attachments of other
    types, or refused by the checks, are skipped with a note (in the draft's notes and the result); a message
    without any acceptable attachment makes no draft.
    """
    message = email.message_from_bytes(message_bytes, policy=email.policy.compat32)
    message_id = message_id_of(message_bytes, message)
    result = ReceivedEmail(message_id=message_id)
    with transaction.atomic():
        # Serialize intake per organization so two pollers cannot import the same message twice.
        Organization.objects.select_for_update().filter(pk=organization.pk).first()
        if IncomingDocument.objects.filter(organization=organization, source_message_id=message_id).exists():
            result.already_imported = True
            return result
        good = []
        for index, (filename, part) in enumerate(_attachments(message)):
            label = core_files.clean_filename(filename, default=f"attachment-{index + 1}")
            if len(good) >= max_attachments:
                result.skipped.append(_("%(name)s: too many attachments in one message.") % {"name": label})
                continue
            try:
                payload = part.get_payload(decode=True) or b""
            except (ValueError, TypeError):
                payload = b""
            upload = SimpleUploadedFile(label, payload, content_type=part.get_content_type())
            try:
                check_incoming_file(upload)
            except ValidationError as exc:
                result.skipped.append(_("%(name)s: %(reason)s") % {"name": label, "reason": " ".join(exc.messages)})
                continue
            good.append(upload)
        subject = " ".join(_decode(message.get("Subject", "")).split())
        notes = []
        if subject:
            notes.append(_("E-mail subject: %(subject)s") % {"subject": subject})
        if result.skipped:
            notes.append(_("Attachments not received: %(list)s") % {"list": "; ".join(result.skipped)})
        if not good:
            logger.warning("E-mail %s has no acceptable attachment: %s", message_id, result.skipped or "none")
            return result
        drafts = incoming_receive_files(
            actor=actor,
            organization=organization,
            files=good,
            received_via=ReceivedVia.EMAIL,
            together=True,
            sender=sender_of(message),
            source_message_id=message_id,
            notes="\n".join(notes),
        )
        result.draft = drafts[0]
    return result
