"""Digitizing incoming documents (issue 4 point 2): the body of the Celery task ``documents.tasks.
digitize_incoming``.

For every original of a document, in order:

* **signatures** — a PDF with filled signature fields is validated with pyHanko (``documents.signatures``) and
  a ``SignatureCheck`` stored per signature. A signed original is NEVER rewritten: its text is extracted, or,
  for a signed scan, recognized by OCRmyPDF with ``--output-type none`` (text only, no new PDF).
* **text** — a PDF with a text layer has its text extracted with pypdf; scans (images, image-only PDFs, PDFs
  where only some pages have text) get a searchable copy made by OCRmyPDF + Tesseract (``-l vie`` from
  ``PARTYHUB_OCR_LANGUAGES``, ``--deskew``, ``--rotate-pages``, ``--skip-text``) stored as a NEW file (role
  "searchable", ``derived_from`` the original); the text comes from OCRmyPDF's sidecar, with the misread
  Ð (U+00D0) mapped to Đ (U+0110).
* **renditions** — DOCX/ODT get a PDF rendition from LibreOffice headless (time limit, private profile), kept
  as a new file; the text comes from the rendition.
* **thumbnail** — a PNG of the first page of the first original (poppler's pdftoppm; Pillow for images).
* **page count**, then ``documents.search.refresh_search_text``.

Idempotent: a derived file is made only when none exists yet for that original (a second run, or a run after a
crash, fills in what is missing); signature checks are replaced. Progress and a short message (an English
msgid, translated when shown: see :func:`processing_message_display`) are written to the document with
``QuerySet.update`` in autocommit, so the clerk's page sees them live. A failure sets ``processing_state``
"failed" with a message; the document stays registrable.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as N_

from partyhub import files as core_files

from ..models import (
    DocumentFile,
    FileRole,
    IncomingDocument,
    IncomingStatus,
    ProcessingState,
    SignatureCheck,
)

logger = logging.getLogger(__name__)

__all__ = [
    "OcrError",
    "find_duplicates",
    "fix_ocr_text",
    "incoming_digitize",
    "ocr_pdf",
    "processing_message_display",
]

# Messages shown to the clerk (English msgids; translated when displayed).
MSG_STARTED = N_("Starting")
MSG_SIGNATURES = N_("Checking digital signatures")
MSG_TEXT = N_("Reading the text")
MSG_OCR = N_("Recognizing text (OCR)")
MSG_CONVERTING = N_("Making a PDF copy of the office document")
MSG_THUMBNAIL = N_("Making a thumbnail")
MSG_DONE = N_("Done")
MSG_NO_RENDITION = N_("Done, but no PDF copy of the office document could be made")
MSG_FAILED = N_("Digitizing failed: the file could not be read. It can still be registered.")
MSG_FAILED_OCR = N_("Text recognition failed. The document can still be registered; try again later.")
MSG_FAILED_TIMEOUT = N_("Digitizing took too long and was stopped. The document can still be registered.")

KNOWN_MESSAGES = {
    MSG_STARTED,
    MSG_SIGNATURES,
    MSG_TEXT,
    MSG_OCR,
    MSG_CONVERTING,
    MSG_THUMBNAIL,
    MSG_DONE,
    MSG_NO_RENDITION,
    MSG_FAILED,
    MSG_FAILED_OCR,
    MSG_FAILED_TIMEOUT,
    N_("Waiting for digitizing"),
}

#: A page whose text layer has fewer visible characters than this counts as a scan.
MIN_TEXT_CHARS_PER_PAGE = 25
THUMBNAIL_WIDTH = 360
#: Rough OCR speed, used only to move the progress bar while OCRmyPDF works (see bench/README.md).
ESTIMATED_OCR_SECONDS_PER_PAGE = 10.0


class OcrError(Exception):
    pass


class OcrTimeout(OcrError):
    pass


def processing_message_display(message: str) -> str:
    """The stored processing message in the active language."""
    return gettext(message) if message else ""


def fix_ocr_text(text: str) -> str:
    """Tesseract's ``vie`` model reads the capital Đ as the Icelandic Ð (U+00D0), and sometimes đ as ð: the
    two look alike but only Đ/đ are Vietnamese. Also drops form feeds and trailing spaces."""
    text = text.replace("\u00d0", "\u0110").replace("\u00f0", "\u0111")
    lines = [line.rstrip() for line in text.replace("\f", "\n\n").splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# --- Duplicates --------------------------------------------------------------------------------------------


def find_duplicates(document: IncomingDocument) -> QuerySet[IncomingDocument]:
    """Other incoming documents of the same organization that look like the same document: an original with
    the same SHA-256, or the same sender + number and symbol + document date. Voided entries are left out."""
    others = IncomingDocument.objects.filter(organization_id=document.organization_id).exclude(pk=document.pk)
    others = others.exclude(status=IncomingStatus.VOID)
    hashes = list(
        DocumentFile.objects.filter(incoming_id=document.pk, role=FileRole.ORIGINAL).values_list(
            "stored_file__sha256", flat=True
        )
    )
    condition = Q(pk__in=[])
    if hashes:
        condition |= Q(files__role=FileRole.ORIGINAL, files__stored_file__sha256__in=hashes)
    if document.sender.strip() and document.number_symbol.strip() and document.document_date:
        condition |= Q(
            sender__iexact=document.sender.strip(),
            number_symbol__iexact=document.number_symbol.strip(),
            document_date=document.document_date,
        )
    ids = others.filter(condition).values("pk")
    return IncomingDocument.objects.filter(pk__in=ids).order_by("created_at", "pk")


# --- Progress ----------------------------------------------------------------------------------------------


def _set_progress(document_id: int, progress: int | None = None, message: str | None = None, **extra) -> None:
    values = dict(extra)
    if progress is not None:
        values["processing_progress"] = max(0, min(100, int(progress)))
    if message is not None:
        values["processing_message"] = message
    if values:
        IncomingDocument.objects.filter(pk=document_id).update(**values)


@dataclass
class _Span:
    """The part of the progress bar one step of one original may move through."""

    document_id: int
    start: float
    end: float

    def at(self, fraction: float, message: str | None = None) -> None:
        _set_progress(self.document_id, self.start + (self.end - self.start) * fraction, message)

    def sub(self, a: float, b: float) -> _Span:
        width = self.end - self.start
        return _Span(self.document_id, self.start + width * a, self.start + width * b)


# --- External programs -------------------------------------------------------------------------------------


def _run(command: list[str], *, timeout: float, span: _Span | None = None, expected: float = 0, env=None) -> str:
    """Run a program in its own process group; kill the whole group on timeout. While it runs, move the
    progress bar along ``span`` by the ``expected`` duration (never past 95 % of it). Returns stderr."""
    process = subprocess.Popen(  # noqa: S603 — fixed argument lists, no shell
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        env=env,
    )
    started = time.monotonic()
    try:
        while True:
            try:
                _stdout, stderr = process.communicate(timeout=2)
                break
            except subprocess.TimeoutExpired:
                elapsed = time.monotonic() - started
                if elapsed > timeout:
                    raise
                if span is not None and expected > 0:
                    span.at(min(0.95, elapsed / expected))
    except subprocess.TimeoutExpired as exc:
        _kill_group(process)
        raise OcrTimeout(f"{command[0]} took more than {timeout:.0f} s") from exc
    except BaseException:
        _kill_group(process)
        raise
    text = stderr.decode("utf-8", "replace")
    if process.returncode != 0:
        raise subprocess.CalledProcessError(process.returncode, command, stderr=text)
    return text


def _kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        process.communicate(timeout=10)


def ocr_languages() -> str:
    value = getattr(settings, "PARTYHUB_OCR_LANGUAGES", "vie") or "vie"
    return "+".join(part for part in re.split(r"[+,\s]+", value) if part)


def _ocr_timeout() -> float:
    return float(getattr(settings, "PARTYHUB_OCR_TIMEOUT_SECONDS", 1800))


def _osd_available() -> bool:
    tessdata = [Path(p) for p in ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata")]
    prefix = os.environ.get("TESSDATA_PREFIX")
    if prefix:
        tessdata.insert(0, Path(prefix))
    return any((p / "osd.traineddata").exists() for p in tessdata)


def ocr_pdf(
    source: Path,
    output: Path | None,
    *,
    sidecar: Path,
    pages: int = 1,
    image_dpi: int | None = None,
    text_only: bool = False,
    span: _Span | None = None,
) -> None:
    """OCRmyPDF on ``source`` (a PDF or an image): a searchable PDF at ``output`` and the recognized text in
    ``sidecar``. ``text_only`` writes no PDF (signed originals: their text, never a rewritten copy).
    Pages that already have text are kept as they are (``--skip-text``). Raises ``OcrError``/``OcrTimeout``."""
    command = [
        sys.executable,
        "-m",
        "ocrmypdf",
        "--language",
        ocr_languages(),
        "--deskew",
        "--skip-text",
        "--sidecar",
        str(sidecar),
        "--jobs",
        str(int(getattr(settings, "PARTYHUB_OCR_JOBS", 1))),
        "--tesseract-timeout",
        str(int(getattr(settings, "PARTYHUB_OCR_PAGE_TIMEOUT_SECONDS", 180))),
        "--output-type",
        "none" if text_only else getattr(settings, "PARTYHUB_OCR_OUTPUT_TYPE", "pdf"),
        "--optimize",
        "1",
        "--quiet",
    ]
    if _osd_available():
        command.append("--rotate-pages")
    if image_dpi:
        command += ["--image-dpi", str(image_dpi)]
    if text_only:
        command.append("--invalidate-digital-signatures")  # nothing is written: the original stays as signed
    command += [str(source), "-" if text_only else str(output)]
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    try:
        _run(
            command,
            timeout=_ocr_timeout(),
            span=span,
            expected=max(1, pages) * ESTIMATED_OCR_SECONDS_PER_PAGE,
            env=env,
        )
    except subprocess.CalledProcessError as exc:
        raise OcrError(f"OCRmyPDF exited with {exc.returncode}: {str(exc.stderr)[-1500:]}") from exc


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def office_to_pdf(source: Path, workdir: Path) -> Path | None:
    """A PDF rendition of a DOCX/ODT by LibreOffice headless, with a private profile and a time limit; None
    when LibreOffice is missing or fails (the original is kept as received either way)."""
    program = _soffice()
    if program is None:
        logger.warning("LibreOffice (soffice) is not installed: no PDF rendition for %s", source.name)
        return None
    profile = workdir / "lo-profile"
    outdir = workdir / "lo-out"
    outdir.mkdir(exist_ok=True)
    command = [
        program,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        "--nolockcheck",
        "--convert-to",
        "pdf",
        "--outdir",
        str(outdir),
        str(source),
    ]
    env = dict(os.environ, HOME=str(workdir))
    try:
        _run(command, timeout=float(getattr(settings, "PARTYHUB_OFFICE_TIMEOUT_SECONDS", 120)), env=env)
    except (subprocess.CalledProcessError, OcrTimeout, OSError) as exc:
        logger.warning("LibreOffice could not convert %s: %s", source.name, exc)
        return None
    result = outdir / (source.stem + ".pdf")
    return result if result.exists() and result.stat().st_size > 0 else None


def pdf_thumbnail(source: Path, workdir: Path) -> bytes | None:
    """A PNG of the first page, THUMBNAIL_WIDTH pixels wide (poppler's pdftoppm)."""
    program = shutil.which("pdftoppm")
    if program is None:
        logger.warning("pdftoppm (poppler-utils) is not installed: no thumbnail")
        return None
    target = workdir / "thumb"
    command = [program, "-png", "-f", "1", "-l", "1", "-singlefile", "-scale-to-x", str(THUMBNAIL_WIDTH)]
    command += ["-scale-to-y", "-1", str(source), str(target)]
    try:
        _run(command, timeout=60)
    except (subprocess.CalledProcessError, OcrTimeout, OSError) as exc:
        logger.warning("No thumbnail for %s: %s", source.name, exc)
        return None
    png = target.with_suffix(".png")
    return png.read_bytes() if png.exists() else None


def image_thumbnail(source: Path) -> bytes | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(source) as image:
            image.seek(0)
            frame = image.convert("L" if image.mode in ("1", "L", "I;16") else "RGB")
            frame.thumbnail((THUMBNAIL_WIDTH, THUMBNAIL_WIDTH * 2))
            out = io.BytesIO()
            frame.save(out, format="PNG", optimize=True)
            return out.getvalue()
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError, ValueError) as exc:
        logger.warning("No thumbnail for %s: %s", source.name, exc)
        return None


def image_info(source: Path) -> tuple[int, int | None]:
    """(frames, dpi or None) of an image; ``dpi`` None when the file does not say (OCRmyPDF then needs one)."""
    from PIL import Image

    with Image.open(source) as image:
        frames = getattr(image, "n_frames", 1) or 1
        dpi = image.info.get("dpi")
        resolution = None
        if dpi and dpi[0] and float(dpi[0]) >= 72:
            resolution = round(float(dpi[0]))
        return frames, resolution


# --- PDF text ----------------------------------------------------------------------------------------------


def _open_decrypted(source: Path, workdir: Path) -> tuple[Path, int]:
    """The PDF as a file without encryption (a copy when the original restricts printing or copying: OCRmyPDF
    and text extraction refuse encrypted input) and its page count. The original is never changed."""
    import pikepdf

    with pikepdf.open(source) as pdf:
        pages = len(pdf.pages)
        if not pdf.is_encrypted:
            return source, pages
        plain = workdir / "decrypted.pdf"
        pdf.save(plain)
        return plain, pages


def pdf_page_texts(source: Path) -> list[str]:
    from pypdf import PdfReader

    reader = PdfReader(str(source))
    texts = []
    for page in reader.pages:
        try:
            texts.append(page.extract_text() or "")
        except Exception:  # one odd page must not lose the others
            logger.info("pypdf could not extract the text of a page of %s", source.name, exc_info=True)
            texts.append("")
    return texts


def _visible_chars(text: str) -> int:
    return sum(1 for ch in text if not ch.isspace())


def _sidecar_pages(sidecar: Path) -> list[str]:
    if not sidecar.exists():
        return []
    return sidecar.read_text("utf-8", "replace").split("\f")


def _merge_texts(layer: list[str], ocr: list[str]) -> str:
    """Per page: the OCR text, except where OCRmyPDF skipped the page because it had text (then the layer)."""
    pages = []
    for index in range(max(len(layer), len(ocr))):
        recognized = ocr[index] if index < len(ocr) else ""
        existing = layer[index] if index < len(layer) else ""
        if "[OCR skipped on page" in recognized or not recognized.strip():
            pages.append(existing)
        else:
            pages.append(fix_ocr_text(recognized))
    return "\n\n".join(p.strip() for p in pages if p.strip())


# --- The work ----------------------------------------------------------------------------------------------


@dataclass
class _Outcome:
    text: str = ""
    pages: int | None = None
    message: str = ""


def _derived(original: DocumentFile, role: str) -> DocumentFile | None:
    return DocumentFile.objects.filter(derived_from=original, role=role).select_related("stored_file").first()


def _attach(
    document_id: int, original: DocumentFile, role: str, data: bytes, *, name: str, content_type: str, pages=None
):
    """Store ``data`` as a new derived file of ``original`` unless one with that role exists (idempotent, and
    safe when two runs race: the document row is locked while checking and inserting)."""
    with transaction.atomic():
        IncomingDocument.objects.select_for_update().filter(pk=document_id).first()
        existing = _derived(original, role)
        if existing is not None:
            return existing
        stored = core_files.store_bytes(data, name=name, content_type=content_type, actor=None)
        return DocumentFile.objects.create(
            incoming_id=document_id,
            stored_file=stored,
            role=role,
            derived_from=original,
            order=original.order,
            page_count=pages,
        )


def _derived_name(original: DocumentFile, suffix: str, extension: str) -> str:
    stem, _ext = core_files.split_extension(original.stored_file.original_name)
    return f"{stem} ({suffix}).{extension}"


def _read_stored(document_file: DocumentFile, target: Path) -> Path:
    storage = core_files.private_storage()
    with storage.open(document_file.stored_file.storage_name, "rb") as source, open(target, "wb") as out:
        shutil.copyfileobj(source, out, core_files.CHUNK_SIZE)
    return target


def _store_signature_checks(original: DocumentFile, data: bytes, span: _Span) -> bool:
    """Validate the signatures of a PDF original and store the checks (replacing older ones). Whether signed."""
    from .. import signatures

    if not signatures.has_signatures(data):
        return False
    span.at(0, MSG_SIGNATURES)
    reports = signatures.validate_pdf_signatures(data)
    with transaction.atomic():
        SignatureCheck.objects.filter(file=original).delete()
        for report in reports:
            SignatureCheck.objects.create(
                file=original,
                signer_name=report.signer_name[:300],
                signed_at=report.signed_at,
                intact=report.intact,
                trusted=report.trusted,
                modified_after_signing=report.modified_after_signing,
                summary=report.summary[:300],
                details=report.as_details(),
            )
    return bool(reports)


def _digitize_pdf(document_id: int, original: DocumentFile, source: Path, workdir: Path, span: _Span) -> _Outcome:
    outcome = _Outcome()
    signed = _store_signature_checks(original, source.read_bytes(), span.sub(0, 0.1))
    span.at(0.1, MSG_TEXT)
    readable, pages = _open_decrypted(source, workdir)
    outcome.pages = pages
    layer = pdf_page_texts(readable)
    scanned_pages = sum(1 for text in layer if _visible_chars(text) < MIN_TEXT_CHARS_PER_PAGE)
    if scanned_pages == 0:
        outcome.text = "\n\n".join(t.strip() for t in layer if t.strip())
        return outcome
    ocr_span = span.sub(0.15, 0.9)
    ocr_span.at(0, MSG_OCR)
    sidecar = workdir / "ocr.txt"
    if signed:
        ocr_pdf(readable, None, sidecar=sidecar, pages=scanned_pages, text_only=True, span=ocr_span)
    else:
        searchable = _derived(original, FileRole.SEARCHABLE)
        if searchable is not None:  # made by an earlier run: read its text instead of OCR again
            copy = _read_stored(searchable, workdir / "searchable.pdf")
            outcome.text = "\n\n".join(t.strip() for t in pdf_page_texts(copy) if t.strip())
            outcome.text = fix_ocr_text(outcome.text)
            return outcome
        output = workdir / "searchable.pdf"
        ocr_pdf(readable, output, sidecar=sidecar, pages=scanned_pages, span=ocr_span)
        _attach(
            document_id,
            original,
            FileRole.SEARCHABLE,
            output.read_bytes(),
            name=_derived_name(original, "OCR", "pdf"),
            content_type="application/pdf",
            pages=pages,
        )
    outcome.text = _merge_texts(layer, _sidecar_pages(sidecar))
    return outcome


def _digitize_image(document_id: int, original: DocumentFile, source: Path, workdir: Path, span: _Span) -> _Outcome:
    outcome = _Outcome()
    frames, dpi = image_info(source)
    outcome.pages = frames
    searchable = _derived(original, FileRole.SEARCHABLE)
    if searchable is not None:
        copy = _read_stored(searchable, workdir / "searchable.pdf")
        outcome.text = fix_ocr_text("\n\n".join(pdf_page_texts(copy)))
        return outcome
    ocr_span = span.sub(0.05, 0.9)
    ocr_span.at(0, MSG_OCR)
    output = workdir / "searchable.pdf"
    sidecar = workdir / "ocr.txt"
    ocr_pdf(source, output, sidecar=sidecar, pages=frames, image_dpi=dpi or 300, span=ocr_span)
    _attach(
        document_id,
        original,
        FileRole.SEARCHABLE,
        output.read_bytes(),
        name=_derived_name(original, "OCR", "pdf"),
        content_type="application/pdf",
        pages=frames,
    )
    outcome.text = _merge_texts([], _sidecar_pages(sidecar))
    return outcome


def _digitize_office(document_id: int, original: DocumentFile, source: Path, workdir: Path, span: _Span) -> _Outcome:
    outcome = _Outcome()
    rendition = _derived(original, FileRole.RENDITION)
    if rendition is not None:
        pdf = _read_stored(rendition, workdir / "rendition.pdf")
    else:
        span.at(0.05, MSG_CONVERTING)
        pdf = office_to_pdf(source, workdir)
        if pdf is None:
            outcome.message = MSG_NO_RENDITION
            return outcome
    import pikepdf

    with pikepdf.open(pdf) as opened:
        outcome.pages = len(opened.pages)
    if rendition is None:
        _attach(
            document_id,
            original,
            FileRole.RENDITION,
            pdf.read_bytes(),
            name=_derived_name(original, "PDF", "pdf"),
            content_type="application/pdf",
            pages=outcome.pages,
        )
    span.at(0.8, MSG_TEXT)
    outcome.text = "\n\n".join(t.strip() for t in pdf_page_texts(pdf) if t.strip())
    return outcome


def _thumbnail_source(original: DocumentFile, kind: str, source: Path, workdir: Path) -> tuple[str, Path] | None:
    if kind == "pdf":
        return "pdf", source
    if kind == "image":
        return "image", source
    rendition = _derived(original, FileRole.RENDITION)
    if rendition is not None:
        return "pdf", _read_stored(rendition, workdir / "thumb-source.pdf")
    return None


def _make_thumbnail(document_id: int, original: DocumentFile, kind: str, source: Path, workdir: Path) -> None:
    if _derived(original, FileRole.THUMBNAIL) is not None:
        return
    found = _thumbnail_source(original, kind, source, workdir)
    if found is None:
        return
    what, path = found
    if what == "pdf":
        readable, _pages = _open_decrypted(path, workdir) if kind == "pdf" else (path, None)
        png = pdf_thumbnail(readable, workdir)
    else:
        png = image_thumbnail(path)
    if png:
        _attach(
            document_id,
            original,
            FileRole.THUMBNAIL,
            png,
            name=_derived_name(original, "thumbnail", "png"),
            content_type="image/png",
        )


def _kind_of(document_file: DocumentFile) -> str:
    content_type = document_file.stored_file.content_type
    if content_type == "application/pdf":
        return "pdf"
    if content_type.startswith("image/"):
        return "image"
    return "office"


_HANDLERS = {"pdf": _digitize_pdf, "image": _digitize_image, "office": _digitize_office}


def incoming_digitize(document_id: int, *, force: bool = False) -> str:
    """Digitize every original of document ``document_id`` (see the module docstring). Returns the final
    processing state (``"missing"`` when the document is gone). Already done → nothing to do, unless
    ``force``. Not atomic on purpose: progress must be visible while it runs; each derived file is stored in
    its own short transaction."""
    from ..permissions import files_allowed

    document = IncomingDocument.objects.filter(pk=document_id).first()
    if document is None:
        return "missing"
    if document.processing_state == ProcessingState.DONE and not force:
        return ProcessingState.DONE
    originals = list(
        document.files.filter(role=FileRole.ORIGINAL).select_related("stored_file").order_by("order", "pk")
    )
    if not originals or not files_allowed(document.confidentiality):
        _set_progress(document_id, 100, "", processing_state=ProcessingState.DONE)
        return ProcessingState.DONE
    _set_progress(document_id, 1, MSG_STARTED, processing_state=ProcessingState.RUNNING)
    texts: list[str] = []
    total_pages = 0
    final_message = ""
    try:
        with tempfile.TemporaryDirectory(prefix="ph-digitize-") as tmp:
            for index, original in enumerate(originals):
                span = _Span(document_id, 2 + 93 * index / len(originals), 2 + 93 * (index + 1) / len(originals))
                workdir = Path(tmp, str(index))
                workdir.mkdir()
                kind = _kind_of(original)
                _stem, extension = core_files.split_extension(original.stored_file.original_name)
                source = _read_stored(original, workdir / f"original.{extension or 'bin'}")
                outcome = _HANDLERS[kind](document_id, original, source, workdir, span)
                if outcome.text:
                    texts.append(outcome.text)
                if outcome.pages:
                    total_pages += outcome.pages
                    if original.page_count != outcome.pages:
                        DocumentFile.objects.filter(pk=original.pk).update(page_count=outcome.pages)
                if outcome.message:
                    final_message = outcome.message
                if index == 0:
                    span.at(0.95, MSG_THUMBNAIL)
                    _make_thumbnail(document_id, original, kind, source, workdir)
    except OcrTimeout:
        logger.exception("Digitizing document %s timed out", document_id)
        _set_progress(document_id, None, MSG_FAILED_TIMEOUT, processing_state=ProcessingState.FAILED)
        return ProcessingState.FAILED
    except OcrError:
        logger.exception("OCR failed for document %s", document_id)
        _set_progress(document_id, None, MSG_FAILED_OCR, processing_state=ProcessingState.FAILED)
        return ProcessingState.FAILED
    except Exception:
        logger.exception("Digitizing document %s failed", document_id)
        _set_progress(document_id, None, MSG_FAILED, processing_state=ProcessingState.FAILED)
        return ProcessingState.FAILED

    text = "\n\n".join(texts)
    values = {"extracted_text": text}
    document.refresh_from_db(fields=["page_count"])
    if document.page_count is None and total_pages:
        values["page_count"] = total_pages
    IncomingDocument.objects.filter(pk=document_id).update(**values)
    document.refresh_from_db()
    from ..search import refresh_search_text

    refresh_search_text(document)
    _set_progress(document_id, 100, final_message or MSG_DONE, processing_state=ProcessingState.DONE)
    return ProcessingState.DONE
