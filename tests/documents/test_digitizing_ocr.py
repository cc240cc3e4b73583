"""Digitizing: OCR of a real Vietnamese scan made by the test suite, text extraction, thumbnails, page counts,
renditions of office documents, idempotency, failures, and the misread Ð."""

from __future__ import annotations

import io
import shutil
import zipfile

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from documents.models import DocumentFile, FileRole, IncomingDocument, ProcessingState
from documents.services.digitizing import fix_ocr_text, incoming_digitize
from documents.services.receiving import incoming_receive_files
from partyhub.files import private_storage
from tests.documents import scans

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not shutil.which("tesseract"), reason="needs tesseract-ocr and tesseract-ocr-vie"),
]


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    from django.core.files.storage import storages

    settings.STORAGES = {
        **settings.STORAGES,
        "private": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    storages._storages.pop("private", None)
    yield tmp_path
    storages._storages.pop("private", None)


def _receive(clerk, org_tree, name, data, **kwargs):
    (draft,) = incoming_receive_files(
        actor=clerk, organization=org_tree["commune"], files=[SimpleUploadedFile(name, data)], **kwargs
    )
    return draft


def _read(document_file: DocumentFile) -> bytes:
    with private_storage().open(document_file.stored_file.storage_name, "rb") as f:
        return f.read()


def _assert_key_phrases(text: str) -> None:
    for phrase in scans.KEY_PHRASES:
        assert phrase in text, f"{phrase!r} not recognized in:\n{text}"


def test_fix_ocr_text_maps_the_misread_eth():
    assert fix_ocr_text("\u00d0ẢNG ỦY XÃ\f\u00f0ồng chí  \n\n\n\nx") == "ĐẢNG ỦY XÃ\n\nđồng chí\n\nx"


def test_a_scanned_pdf_gets_a_searchable_copy_and_its_vietnamese_text(clerk, org_tree):
    original_bytes = scans.scan_pdf()
    draft = _receive(clerk, org_tree, "Nghị quyết (scan).pdf", original_bytes)
    assert incoming_digitize(draft.pk) == ProcessingState.DONE
    draft.refresh_from_db()
    assert draft.processing_state == ProcessingState.DONE and draft.processing_progress == 100
    _assert_key_phrases(draft.extracted_text)
    assert "Số 05-NQ/ĐU" in draft.extracted_text
    assert "\u00d0" not in draft.extracted_text
    assert draft.page_count == 1
    assert "nghi quyet" in draft.search_text and "chuyen doi so" in draft.search_text

    original = draft.files.get(role=FileRole.ORIGINAL)
    assert _read(original) == original_bytes  # never modified
    searchable = draft.files.get(role=FileRole.SEARCHABLE)
    assert searchable.derived_from == original
    assert searchable.stored_file.original_name == "Nghị quyết (scan) (OCR).pdf"
    layer = PdfReader(io.BytesIO(_read(searchable))).pages[0].extract_text()
    assert "chuy" in layer  # the copy has a text layer now
    thumbnail = draft.files.get(role=FileRole.THUMBNAIL)
    assert thumbnail.derived_from == original
    assert _read(thumbnail).startswith(b"\x89PNG")


def test_digitizing_twice_makes_nothing_twice(clerk, org_tree):
    draft = _receive(clerk, org_tree, "scan.pdf", scans.scan_pdf())
    incoming_digitize(draft.pk)
    files_before = set(DocumentFile.objects.values_list("pk", flat=True))
    assert incoming_digitize(draft.pk) == ProcessingState.DONE  # already done: nothing to do
    assert incoming_digitize(draft.pk, force=True) == ProcessingState.DONE  # forced: re-reads, adds no file
    assert set(DocumentFile.objects.values_list("pk", flat=True)) == files_before
    draft.refresh_from_db()
    _assert_key_phrases(draft.extracted_text)


def test_a_scanned_image_is_recognized(clerk, org_tree):
    draft = _receive(clerk, org_tree, "trang1.png", scans.scan_png())
    incoming_digitize(draft.pk)
    draft.refresh_from_db()
    assert draft.processing_state == ProcessingState.DONE
    _assert_key_phrases(draft.extracted_text)
    assert draft.files.filter(role=FileRole.SEARCHABLE).count() == 1
    assert draft.files.filter(role=FileRole.THUMBNAIL).count() == 1


def test_a_pdf_with_text_is_read_without_ocr(clerk, org_tree):
    draft = _receive(clerk, org_tree, "van-ban.pdf", scans.text_pdf())
    incoming_digitize(draft.pk)
    draft.refresh_from_db()
    assert draft.processing_state == ProcessingState.DONE
    _assert_key_phrases(draft.extracted_text)
    assert not draft.files.filter(role=FileRole.SEARCHABLE).exists()
    assert draft.files.filter(role=FileRole.THUMBNAIL).exists()


def test_a_permissions_only_encrypted_scan_is_recognized_from_a_copy(clerk, org_tree):
    with pikepdf.open(io.BytesIO(scans.scan_pdf())) as pdf:
        out = io.BytesIO()
        pdf.save(out, encryption=pikepdf.Encryption(user="", owner="o", allow=pikepdf.Permissions(extract=False)))
    data = out.getvalue()
    draft = _receive(clerk, org_tree, "khoa-in.pdf", data)
    incoming_digitize(draft.pk)
    draft.refresh_from_db()
    assert draft.processing_state == ProcessingState.DONE
    _assert_key_phrases(draft.extracted_text)
    assert _read(draft.files.get(role=FileRole.ORIGINAL)) == data


def _docx(paragraphs: list[str]) -> bytes:
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/'
            'document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.'
            'main+xml"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
        )
        archive.writestr(
            "word/document.xml",
            '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            f'wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>',
        )
    return out.getvalue()


@pytest.mark.skipif(not shutil.which("soffice"), reason="needs LibreOffice (libreoffice-writer-nogui)")
def test_a_docx_is_kept_and_gets_a_pdf_rendition(clerk, org_tree):
    data = _docx(["Kế hoạch chuyển đổi số", "Đảng ủy xã Gò Quao triển khai Nghị quyết"])
    draft = _receive(clerk, org_tree, "Kế hoạch.docx", data)
    incoming_digitize(draft.pk)
    draft.refresh_from_db()
    assert draft.processing_state == ProcessingState.DONE, draft.processing_message
    original = draft.files.get(role=FileRole.ORIGINAL)
    assert _read(original) == data
    rendition = draft.files.get(role=FileRole.RENDITION)
    assert rendition.derived_from == original and _read(rendition).startswith(b"%PDF")
    assert "Kế hoạch chuyển đổi số" in draft.extracted_text
    assert draft.page_count == 1
    assert draft.files.filter(role=FileRole.THUMBNAIL).exists()


def test_a_failure_is_recorded_and_the_document_stays_a_draft(clerk, org_tree, settings):
    settings.PARTYHUB_OCR_LANGUAGES = "xyz"  # no such Tesseract language: OCRmyPDF refuses
    draft = _receive(clerk, org_tree, "scan.pdf", scans.scan_pdf())
    assert incoming_digitize(draft.pk) == ProcessingState.FAILED
    draft.refresh_from_db()
    assert draft.processing_state == ProcessingState.FAILED
    assert draft.processing_message.startswith("Text recognition failed")
    assert draft.status == "draft"
    assert not draft.files.filter(role=FileRole.SEARCHABLE).exists()


def test_a_missing_document_is_quietly_ignored(db):
    assert incoming_digitize(987654) == "missing"
    assert not IncomingDocument.objects.exists()
