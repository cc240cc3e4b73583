"""Private files: the upload validator, storing (no orphans), serving (Range, headers), access, files_check."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import time
import unicodedata
import uuid
import zipfile
import zlib
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from partyhub import files
from partyhub.files import (
    clean_filename,
    content_disposition,
    parse_range,
    register_file_access,
    serve_file,
    store_bytes,
    store_upload,
    unregister_file_access,
    validate_upload,
)
from partyhub.models import AuditEntry, StoredFile

# --- Building test files ------------------------------------------------------------------------------------


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def make_png(*, text: bytes | None = None, trailing: bytes = b"", width: int = 4, height: int = 4) -> bytes:
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    body = png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    if text is not None:
        body += png_chunk(b"tEXt", b"Comment\x00" + text)
    body += png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body + trailing


def make_jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(buffer, format="JPEG")
    return buffer.getvalue()


PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)

CONTENT_TYPES_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    b'wordprocessingml.document.main+xml"/></Types>'
)


def make_zip(members: dict[str, bytes], *, stored: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def make_docx(extra: dict[str, bytes] | None = None, *, content_types: bytes = CONTENT_TYPES_XML) -> bytes:
    members = {
        "[Content_Types].xml": content_types,
        "_rels/.rels": b'<?xml version="1.0"?><Relationships/>',
        "word/document.xml": '<?xml version="1.0"?><w:document><w:t>Nghị quyết</w:t></w:document>'.encode(),
    }
    members.update(extra or {})
    return make_zip(members)


def make_xlsx() -> bytes:
    return make_zip(
        {
            "[Content_Types].xml": b"<Types/>",
            "_rels/.rels": b"<Relationships/>",
            "xl/workbook.xml": b"<workbook/>",
        }
    )


def make_odt() -> bytes:
    return make_zip(
        {
            "mimetype": b"application/vnd.oasis.opendocument.text",
            "content.xml": b"<office:document-content/>",
            "META-INF/manifest.xml": b"<manifest/>",
        },
        stored=("mimetype",),
    )


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def refusal_code(excinfo) -> str:
    return excinfo.value.code


# --- Fixtures -----------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def private_dir(settings, tmp_path) -> Path:
    """A private storage of the test's own, and no X-Accel hand-off unless a test asks for it."""
    root = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}},
    }
    settings.PARTYHUB_X_ACCEL_PREFIX = ""
    settings.PARTYHUB_UPLOAD_MAX_BYTES = 5 * 1024 * 1024
    with translation.override("en"):
        yield root


def stored_paths(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# --- File names ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Nghị quyết số 05.pdf", "Nghị quyết số 05.pdf"),
        # macOS sends decomposed (NFD) names: they become NFC and keep every Vietnamese letter.
        (unicodedata.normalize("NFD", "Biên bản họp Đảng ủy.pdf"), "Biên bản họp Đảng ủy.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\clerk\\Tờ trình.docx", "Tờ trình.docx"),
        ("báo\x00cáo.pdf", "báocáo.pdf"),
        ("bad\x07name\x1b[31m.pdf", "badname[31m.pdf"),
        ("invoice\u202egpj.pdf", "invoicegpj.pdf"),  # right-to-left override removed
        ("zero\u200bwidth.pdf", "zerowidth.pdf"),
        ('a<b>c:d"e|f?g*h.pdf', "a_b_c_d_e_f_g_h.pdf"),
        ("CON.pdf", "_CON.pdf"),
        ("nul", "_nul"),
        ("lpt1.tar.pdf", "_lpt1.tar.pdf"),
        ("  .hidden.pdf. ", "hidden.pdf"),
        ("", "file"),
        ("///", "file"),
        (".pdf", "pdf"),
        ("\u202e\u200b.pdf", "pdf"),
    ],
)
def test_clean_filename(raw, expected):
    assert clean_filename(raw) == expected


def test_clean_filename_shortens_long_names_keeping_the_extension():
    cleaned = clean_filename("Nghị quyết " * 60 + ".pdf")
    assert cleaned.endswith(".pdf")
    assert len(cleaned.encode()) <= files.MAX_FILENAME_BYTES
    assert unicodedata.is_normalized("NFC", cleaned)
    assert cleaned.startswith("Nghị quyết")


# --- The validator: accepted files --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "kinds", "content_type", "extension"),
    [
        ("Nghị quyết.pdf", PDF_BYTES, {"pdf"}, "application/pdf", "pdf"),
        ("ảnh.PNG", make_png(), {"image"}, "image/png", "png"),
        ("ảnh.jpeg", make_jpeg(), {"image"}, "image/jpeg", "jpg"),
        ("scan.tif", b"II*\x00" + b"\x08\x00\x00\x00" + b"\x00" * 64, {"image"}, "image/tiff", "tif"),
        ("Tờ trình.docx", make_docx(), {"office"}, files.FORMATS["docx"].content_type, "docx"),
        ("Danh sách.xlsx", make_xlsx(), {"spreadsheet"}, files.FORMATS["xlsx"].content_type, "xlsx"),
        ("Báo cáo.odt", make_odt(), {"office"}, "application/vnd.oasis.opendocument.text", "odt"),
    ],
    ids=["pdf", "png", "jpeg", "tiff", "docx", "xlsx", "odt"],
)
def test_validator_accepts_good_files(name, data, kinds, content_type, extension):
    result = validate_upload(upload(name, data, "text/html"), kinds=kinds)
    assert result.content_type == content_type  # decided by content, not by what the client claimed
    assert result.extension == extension
    assert result.size == len(data)
    assert result.name == unicodedata.normalize("NFC", name)


def test_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="Unknown"):
        validate_upload(upload("a.pdf", PDF_BYTES), kinds={"pdfs"})


# --- The validator: refusals --------------------------------------------------------------------------------


def test_empty_file_refused():
    with pytest.raises(ValidationError) as excinfo:
        validate_upload(upload("empty.pdf", b""), kinds={"pdf"})
    assert refusal_code(excinfo) == "empty"
    assert excinfo.value.messages == ["The file is empty."]


def test_size_limit_is_inclusive(settings):
    data = PDF_BYTES + b"%" * 100
    settings.PARTYHUB_UPLOAD_MAX_BYTES = len(data)
    assert validate_upload(upload("exact.pdf", data), kinds={"pdf"}).size == len(data)
    with pytest.raises(ValidationError) as excinfo:
        validate_upload(upload("over.pdf", data + b"%"), kinds={"pdf"})
    assert refusal_code(excinfo) == "too_large"
    assert "too large" in excinfo.value.messages[0]


def test_extension_not_in_allowlist():
    with pytest.raises(ValidationError) as excinfo:
        validate_upload(upload("page.html", PDF_BYTES), kinds={"pdf"})
    assert refusal_code(excinfo) == "extension_not_allowed"
    assert excinfo.value.messages == ["Files of this type are not accepted here. Accepted: .pdf."]


def test_extension_of_another_kind_refused():
    with pytest.raises(ValidationError) as excinfo:
        validate_upload(upload("photo.png", make_png()), kinds={"pdf"})
    assert refusal_code(excinfo) == "extension_not_allowed"


def test_wrong_extension_for_content():
    with pytest.raises(ValidationError) as excinfo:
        validate_upload(upload("scan.pdf", make_png()), kinds={"pdf", "image"})
    assert refusal_code(excinfo) == "type_mismatch"
    assert excinfo.value.messages == ["The file name ends in “.pdf” but the content is a PNG file."]


def test_docx_named_xlsx_refused():
    with pytest.raises(ValidationError) as excinfo:
        validate_upload(upload("sheet.xlsx", make_docx()), kinds={"office"})
    assert refusal_code(excinfo) == "type_mismatch"


def test_unrecognised_content_refused():
    with pytest.raises(ValidationError) as excinfo:
        validate_upload(upload("notes.pdf", b"just some text, not a PDF"), kinds={"pdf"})
    assert refusal_code(excinfo) == "unknown_type"


def test_pdf_header_must_start_the_file():
    with pytest.raises(ValidationError) as excinfo:
        validate_upload(upload("late.pdf", b"garbage" + PDF_BYTES), kinds={"pdf"})
    assert refusal_code(excinfo) == "unknown_type"


@pytest.mark.parametrize(
    "data",
    [
        b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b"\xef\xbb\xbf  <svg onload=alert(1)>",
        b"%PDF-1.4\n<html><script>alert(1)</script></html>",  # a PDF/HTML polyglot
    ],
)
def test_html_svg_and_script_refused(data):
    with pytest.raises(ValidationError) as excinfo:
        validate_upload(upload("document.pdf", data), kinds={"pdf"})
    assert refusal_code(excinfo) == "active_content"
    assert excinfo.value.messages == ["Files containing web pages, SVG images or scripts are not accepted."]


def test_png_html_polyglot_in_a_text_chunk_refused():
    polyglot = make_png(text=b"<html><body><script>fetch('/api/v1/me')</script></body></html>" + b" " * 9000)
    with pytest.raises(ValidationError) as excinfo:
        validate_upload(upload("avatar.png", polyglot), kinds={"image"})
    assert refusal_code(excinfo) == "active_content"


def test_png_with_html_after_iend_refused():
    padding = make_png(text=b"x" * 20000)  # the payload sits beyond the first 8 KiB
    with pytest.raises(ValidationError) as excinfo:
        validate_upload(upload("avatar.png", padding + b"<script>alert(1)</script>"), kinds={"image"})
    assert refusal_code(excinfo) == "active_content"


def test_png_with_trailing_bytes_refused():
    with pytest.raises(ValidationError) as excinfo:
        validate_upload(upload("image.png", make_png(trailing=b"\x00hidden zip or exe")), kinds={"image"})
    assert refusal_code(excinfo) == "invalid_content"


def test_png_with_event_handler_markup_refused():
    data = make_png(text=b'<img src=x onerror="alert(document.cookie)">')
    with pytest.raises(ValidationError) as excinfo:
        validate_upload(upload("image.png", data), kinds={"image"})
    assert refusal_code(excinfo) == "active_content"


def test_zip_bomb_docx_refused_by_ratio():
    bomb = make_docx({"word/media/padding.xml": b"\x00" * (30 * 1024 * 1024)})
    assert len(bomb) < 100 * 1024  # tiny on disk
    with pytest.raises(ValidationError) as excinfo:
        validate_upload(upload("bomb.docx", bomb), kinds={"office"})
    assert refusal_code(excinfo) == "archive_ratio"
    assert "zip bomb" in excinfo.value.messages[0]


def test_docx_over_the_total_uncompressed_size_refused(settings):
    settings.PARTYHUB_ARCHIVE_MAX_UNCOMPRESSED_BYTES = 64 * 1024
    data = make_docx({"word/media/image1.bin": bytes(range(256)) * 400})  # ~100 KiB, compresses only ~100x
    with pytest.raises(ValidationError) as excinfo:
        validate_upload(upload("big.docx", data), kinds={"office"})
    assert refusal_code(excinfo) == "archive_too_large"


def test_docx_with_too_many_members_refused(settings):
    settings.PARTYHUB_ARCHIVE_MAX_MEMBERS = 20
    data = make_docx({f"word/part{i}.xml": b"<x/>" for i in range(30)})
    with pytest.raises(ValidationError) as excinfo:
        validate_upload(upload("many.docx", data), kinds={"office"})
    assert refusal_code(excinfo) == "archive_too_many_members"


@pytest.mark.parametrize("member", ["../../evil.sh", "/etc/cron.d/evil", "word/../../evil", "C:/Windows/evil.dll"])
def test_docx_with_traversal_paths_refused(member):
    with pytest.raises(ValidationError) as excinfo:
        validate_upload(upload("evil.docx", make_docx({member: b"x"})), kinds={"office"})
    assert refusal_code(excinfo) == "archive_unsafe_path"


def test_docx_missing_required_parts_refused():
    data = make_zip({"[Content_Types].xml": CONTENT_TYPES_XML, "word/document.xml": b"<w:document/>"})
    with pytest.raises(ValidationError) as excinfo:
        validate_upload(upload("broken.docx", data), kinds={"office"})
    assert refusal_code(excinfo) == "invalid_archive"


def test_plain_zip_renamed_docx_refused():
    with pytest.raises(ValidationError) as excinfo:
        validate_upload(upload("archive.docx", make_zip({"a.txt": b"hello"})), kinds={"office"})
    assert refusal_code(excinfo) == "unknown_type"


def test_macro_enabled_document_renamed_docx_refused():
    data = make_docx({"word/vbaProject.bin": b"\xd0\xcf\x11\xe0"})
    with pytest.raises(ValidationError) as excinfo:
        validate_upload(upload("macro.docx", data), kinds={"office"})
    assert refusal_code(excinfo) == "archive_macros"


def test_truncated_docx_refused():
    data = make_docx()
    with pytest.raises(ValidationError) as excinfo:
        validate_upload(upload("cut.docx", data[: len(data) // 2]), kinds={"office"})
    assert refusal_code(excinfo) == "invalid_archive"


def test_corrupted_member_refused():
    data = bytearray(
        make_zip(
            {
                **{"[Content_Types].xml": CONTENT_TYPES_XML, "_rels/.rels": b"<R/>"},
                "word/document.xml": b"<w:document>" + b"Nghi quyet " * 200 + b"</w:document>",
            }
        )
    )
    index = data.find(b"word/document.xml") + len("word/document.xml") + 10  # inside the compressed data
    data[index] ^= 0xFF
    with pytest.raises(ValidationError) as excinfo:
        validate_upload(upload("corrupt.docx", bytes(data)), kinds={"office"})
    assert refusal_code(excinfo) == "invalid_archive"


def test_hostile_filename_is_cleaned_not_trusted():
    result = validate_upload(upload("../../\u202eBáo cáo\x00.pdf", PDF_BYTES), kinds={"pdf"})
    assert result.name == "Báo cáo.pdf"


def test_nul_cannot_hide_the_real_extension():
    with pytest.raises(ValidationError) as excinfo:
        validate_upload(upload("report.pdf\x00.html", PDF_BYTES), kinds={"pdf"})
    assert refusal_code(excinfo) == "extension_not_allowed"


# --- Storing ------------------------------------------------------------------------------------------------


def test_store_upload_streams_hashes_and_names(db, private_dir, clerk):
    data = PDF_BYTES + "% Nghị quyết\n".encode()
    stored = store_upload(upload("Nghị quyết 05.pdf", data), actor=clerk, kinds={"pdf"})
    stored.refresh_from_db()
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.size == len(data)
    assert stored.content_type == "application/pdf"
    assert stored.original_name == "Nghị quyết 05.pdf"
    assert stored.uploaded_by == clerk
    year, month, filename = stored.storage_name.split("/")
    assert len(year) == 4 and len(month) == 2
    assert filename == f"{uuid.UUID(filename[:-4]).hex}.pdf"
    assert (private_dir / stored.storage_name).read_bytes() == data


def test_refused_upload_writes_nothing(db, private_dir, clerk):
    with pytest.raises(ValidationError):
        store_upload(upload("x.pdf", make_png()), actor=clerk, kinds={"pdf"})
    assert stored_paths(private_dir) == []
    assert not StoredFile.objects.exists()


def test_failure_after_writing_removes_the_bytes(db, private_dir, clerk, monkeypatch):
    def broken_create(**kwargs):
        raise RuntimeError("database is down")

    monkeypatch.setattr(StoredFile.objects, "create", broken_create)
    with pytest.raises(RuntimeError):
        store_upload(upload("a.pdf", PDF_BYTES), actor=clerk, kinds={"pdf"})
    assert stored_paths(private_dir) == []


def test_growing_file_is_stopped_while_streaming(db, private_dir, clerk, settings):
    """A file that is larger when streamed than when validated (size lied about) is cut off and removed."""
    settings.PARTYHUB_UPLOAD_MAX_BYTES = len(PDF_BYTES) + 10
    lying = upload("a.pdf", PDF_BYTES + b"%" * 100)
    lying.size = len(PDF_BYTES)
    with pytest.raises(ValidationError) as excinfo:
        store_upload(lying, actor=clerk, kinds={"pdf"})
    assert refusal_code(excinfo) == "too_large"
    assert stored_paths(private_dir) == []


def test_rolled_back_transaction_leaves_no_orphan(db, private_dir, clerk):
    with pytest.raises(RuntimeError), transaction.atomic():
        stored = store_upload(upload("a.pdf", PDF_BYTES), actor=clerk, kinds={"pdf"})
        assert (private_dir / stored.storage_name).exists()
        raise RuntimeError("a later step of the same service failed")
    assert stored_paths(private_dir) == []
    assert not StoredFile.objects.exists()


def test_rolled_back_savepoint_removes_only_its_file(db, private_dir, clerk):
    kept = store_upload(upload("kept.pdf", PDF_BYTES), actor=clerk, kinds={"pdf"})
    with pytest.raises(RuntimeError), transaction.atomic():
        store_upload(upload("dropped.pdf", PDF_BYTES), actor=clerk, kinds={"pdf"})
        raise RuntimeError
    assert stored_paths(private_dir) == [private_dir / kept.storage_name]


@pytest.mark.django_db(transaction=True)
def test_committed_upload_is_kept(private_dir, clerk):
    with transaction.atomic():
        stored = store_upload(upload("a.pdf", PDF_BYTES), actor=clerk, kinds={"pdf"})
    assert (private_dir / stored.storage_name).exists()
    assert StoredFile.objects.filter(pk=stored.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_committed_upload_is_kept_even_if_an_earlier_commit_hook_fails(private_dir, clerk):
    """Django skips later on-commit hooks when one raises; the file of the committed row must survive that."""

    def failing_hook():
        raise RuntimeError("notification broker down")

    with pytest.raises(RuntimeError, match="broker"), transaction.atomic():
        transaction.on_commit(failing_hook)
        stored = store_upload(upload("a.pdf", PDF_BYTES), actor=clerk, kinds={"pdf"})
    assert StoredFile.objects.filter(pk=stored.pk).exists()
    assert (private_dir / stored.storage_name).exists()


@pytest.mark.django_db(transaction=True)
def test_rolled_back_outermost_transaction_removes_file(private_dir, clerk):
    with pytest.raises(RuntimeError), transaction.atomic():
        store_upload(upload("a.pdf", PDF_BYTES), actor=clerk, kinds={"pdf"})
        raise RuntimeError
    assert stored_paths(private_dir) == []


def test_store_bytes_for_derived_files(db, private_dir, clerk):
    stored = store_bytes(PDF_BYTES, name="Biên bản họp", content_type="application/pdf", actor=clerk)
    assert stored.original_name == "Biên bản họp.pdf"
    assert stored.storage_name.endswith(".pdf")
    assert stored.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    assert (private_dir / stored.storage_name).read_bytes() == PDF_BYTES
    with pytest.raises(ValueError, match="content type"):
        store_bytes(b"x", name="a.exe", content_type="application/x-msdownload", actor=clerk)
    with pytest.raises(ValueError, match="empty"):
        store_bytes(b"", name="a.pdf", content_type="application/pdf", actor=clerk)


# --- Serving ------------------------------------------------------------------------------------------------

BODY = bytes(range(256)) * 4  # 1024 bytes, every offset distinguishable


@pytest.fixture
def pdf_file(db, clerk):
    return store_bytes(PDF_BYTES + BODY, name="Nghị quyết Đảng ủy.pdf", content_type="application/pdf", actor=clerk)


def download_url(stored) -> str:
    return reverse("files:download", args=[stored.pk])


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_download_full_file_with_headers(client, clerk, pdf_file):
    client.force_login(clerk)
    response = client.get(download_url(pdf_file))
    content = PDF_BYTES + BODY
    assert response.status_code == 200
    assert response.streaming
    assert body(response) == content
    assert response["Content-Length"] == str(len(content))
    assert response["Content-Type"] == "application/pdf"
    assert response["Accept-Ranges"] == "bytes"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Content-Security-Policy"].startswith("default-src 'none'")
    assert response["Content-Disposition"] == (
        "inline; filename=\"Nghi quyet Dang uy.pdf\"; filename*=UTF-8''"
        "Ngh%E1%BB%8B%20quy%E1%BA%BFt%20%C4%90%E1%BA%A3ng%20%E1%BB%A7y.pdf"
    )
    assert response["ETag"] == f'"{pdf_file.sha256}"'


def test_download_as_attachment(client, clerk, pdf_file):
    client.force_login(clerk)
    response = client.get(download_url(pdf_file), {"download": "1"})
    assert response["Content-Disposition"].startswith("attachment; ")


def test_office_documents_are_always_attachments(client, clerk, db):
    stored = store_upload(upload("Tờ trình.docx", make_docx()), actor=clerk, kinds={"office"})
    client.force_login(clerk)
    response = client.get(download_url(stored))
    assert response["Content-Disposition"].startswith("attachment; ")
    assert response["X-Frame-Options"] == "DENY"
    assert body(response) == files.private_storage().open(stored.storage_name).read()


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-99", 0, 99),  # first bytes (pdf.js)
        ("bytes=-10", None, None),  # suffix: the last 10 bytes
        ("bytes=1000-", 1000, None),  # open range to the end
        ("bytes=50-50", 50, 50),
        ("bytes=900-99999", 900, None),  # clipped to the end
    ],
)
def test_range_requests(client, clerk, pdf_file, header, first, last):
    content = PDF_BYTES + BODY
    size = len(content)
    if first is None:
        first = size - 10
    if last is None:
        last = size - 1
    client.force_login(clerk)
    response = client.get(download_url(pdf_file), HTTP_RANGE=header)
    assert response.status_code == 206
    assert body(response) == content[first : last + 1]
    assert response["Content-Range"] == f"bytes {first}-{last}/{size}"
    assert response["Content-Length"] == str(last - first + 1)
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("header", ["bytes=5000-", "bytes=99999-100000", "bytes=-0"])
def test_unsatisfiable_range(client, clerk, pdf_file, header):
    client.force_login(clerk)
    response = client.get(download_url(pdf_file), HTTP_RANGE=header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{pdf_file.size}"
    assert response.content == b""


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "items=0-5", "bytes=9-3", "bytes=abc", "bytes=--1"])
def test_multiple_or_malformed_ranges_get_the_whole_file(client, clerk, pdf_file, header):
    """Documented choice: several ranges (and unparseable headers) are answered with the whole file, 200."""
    client.force_login(clerk)
    response = client.get(download_url(pdf_file), HTTP_RANGE=header)
    assert response.status_code == 200
    assert body(response) == PDF_BYTES + BODY
    assert not response.has_header("Content-Range")


def test_if_range_with_another_version_gets_the_whole_file(client, clerk, pdf_file):
    client.force_login(clerk)
    stale = client.get(download_url(pdf_file), HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"0000"')
    assert stale.status_code == 200
    fresh = client.get(download_url(pdf_file), HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE=f'"{pdf_file.sha256}"')
    assert fresh.status_code == 206
    assert body(fresh) == PDF_BYTES[:10]


def test_head_sends_headers_only(client, clerk, pdf_file):
    client.force_login(clerk)
    response = client.head(download_url(pdf_file), HTTP_RANGE="bytes=0-9")
    assert response.status_code == 206
    assert response.content == b""
    assert response["Content-Length"] == "10"
    assert response["Content-Range"] == f"bytes 0-9/{pdf_file.size}"


def test_post_not_allowed(client, clerk, pdf_file):
    client.force_login(clerk)
    assert client.post(download_url(pdf_file)).status_code == 405


def test_download_is_audited_once_per_download(client, clerk, pdf_file):
    client.force_login(clerk)
    before = AuditEntry.objects.filter(action="download").count()
    body(client.get(download_url(pdf_file), HTTP_RANGE="bytes=0-99"))
    body(client.get(download_url(pdf_file), HTTP_RANGE="bytes=100-199"))  # the next chunk of the same reading
    client.head(download_url(pdf_file))
    entries = AuditEntry.objects.filter(action="download")
    assert entries.count() == before + 1
    entry = entries.order_by("-id").first()
    assert entry.actor == clerk
    assert entry.object_id == str(pdf_file.pk)


def test_x_accel_redirect(client, clerk, pdf_file, settings):
    settings.PARTYHUB_X_ACCEL_PREFIX = "/_private/"
    client.force_login(clerk)
    response = client.get(download_url(pdf_file))
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/_private/{pdf_file.storage_name}"
    assert response.content == b""
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Disposition"].startswith("inline; ")


def test_remote_storage_redirects_to_a_short_lived_url(rf, clerk, pdf_file, monkeypatch):
    calls = {}

    class RemoteStorage(FileSystemStorage):
        def path(self, name):
            raise NotImplementedError

        def url(self, name, parameters=None, expire=None):
            calls.update(name=name, parameters=parameters, expire=expire)
            return f"https://s3.example.test/{name}?X-Amz-Signature=abc"

    monkeypatch.setattr(files, "private_storage", lambda: RemoteStorage())
    request = rf.get("/")
    request.user = clerk
    response = serve_file(request, pdf_file)
    assert response.status_code == 302
    assert response["Location"].startswith("https://s3.example.test/")
    assert calls["expire"] == 60
    assert calls["parameters"]["ResponseContentDisposition"].startswith("inline; ")
    assert calls["parameters"]["ResponseContentType"] == "application/pdf"


def test_content_disposition_ascii_name_has_no_extended_form():
    assert content_disposition("report.pdf", as_attachment=True) == 'attachment; filename="report.pdf"'


def test_parse_range_unit():
    assert parse_range(None, 10) is None
    assert parse_range("bytes=0-0", 10) == (0, 0)
    assert parse_range("bytes=-20", 10) == (0, 9)
    assert parse_range("bytes=10-", 10) == "unsatisfiable"
    assert parse_range("bytes= 2 - 4 ", 10) == (2, 4)


# --- Access -------------------------------------------------------------------------------------------------


def test_other_users_get_404(client, outsider, member_user, pdf_file):
    for user in (outsider, member_user):
        client.force_login(user)
        response = client.get(download_url(pdf_file))
        assert response.status_code == 404
        assert b"%PDF" not in response.content


def test_anonymous_gets_404_not_a_redirect(client, pdf_file):
    response = client.get(download_url(pdf_file))
    assert response.status_code == 404
    assert b"%PDF" not in response.content


def test_missing_id_gets_the_same_404(client, clerk, db):
    client.force_login(clerk)
    assert client.get(reverse("files:download", args=[uuid.uuid4()])).status_code == 404


def test_superuser_may_download(client, admin_user, pdf_file):
    client.force_login(admin_user)
    assert client.get(download_url(pdf_file)).status_code == 200


def test_inactive_uploader_refused(client, clerk, pdf_file):
    client.force_login(clerk)
    clerk.is_active = False
    clerk.save()
    assert client.get(download_url(pdf_file)).status_code == 404


def test_registered_check_grants_and_vetoes(client, clerk, member_user, admin_user, pdf_file):
    def members_of_the_meeting(user, stored_file):
        return True if user == member_user else None

    def classified(user, stored_file):
        return False if stored_file.original_name.startswith("MẬT") else None

    register_file_access(members_of_the_meeting)
    register_file_access(members_of_the_meeting)  # idempotent
    register_file_access(classified)
    try:
        client.force_login(member_user)
        assert client.get(download_url(pdf_file)).status_code == 200
        StoredFile.objects.filter(pk=pdf_file.pk).update(original_name="MẬT Nghị quyết.pdf")
        for user in (member_user, clerk, admin_user):
            client.force_login(user)
            assert client.get(download_url(pdf_file)).status_code == 404
    finally:
        unregister_file_access(members_of_the_meeting)
        unregister_file_access(classified)
    assert files._access_checks.count(members_of_the_meeting) == 0


# --- files_check --------------------------------------------------------------------------------------------


def _age(path: Path, hours: int = 2) -> None:
    old = time.time() - hours * 3600
    os.utime(path, (old, old))


def test_files_check_clean(db, clerk, pdf_file, capsys):
    call_command("files_check")
    assert "1 files checked: 0 missing, 0 changed, 0 orphans" in capsys.readouterr().out


def test_files_check_reports_problems_and_deletes_orphans(db, clerk, private_dir, capsys):
    good = store_bytes(PDF_BYTES, name="good.pdf", content_type="application/pdf", actor=clerk)
    missing = store_bytes(PDF_BYTES, name="missing.pdf", content_type="application/pdf", actor=clerk)
    changed = store_bytes(PDF_BYTES, name="changed.pdf", content_type="application/pdf", actor=clerk)
    (private_dir / missing.storage_name).unlink()
    (private_dir / changed.storage_name).write_bytes(PDF_BYTES.replace(b"1.4", b"1.7"))
    orphan = private_dir / "2026" / "01" / f"{uuid.uuid4().hex}.pdf"
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"left behind by a crash")
    _age(orphan)
    fresh = private_dir / "2026" / "01" / f"{uuid.uuid4().hex}.pdf"
    fresh.write_bytes(b"an upload that is still committing")

    with pytest.raises(CommandError, match="3 files checked: 1 missing, 1 changed, 1 orphans"):
        call_command("files_check")
    out = capsys.readouterr().out
    assert f"MISSING  {missing.pk} {missing.storage_name}" in out
    assert f"CHANGED  {changed.pk} {changed.storage_name}: SHA-256" in out
    assert "ORPHAN   2026/01/" in out
    assert good.storage_name not in out
    assert orphan.exists() and fresh.exists()

    # --quick compares sizes only: the same-size change goes unnoticed, the missing file does not.
    (private_dir / "2026" / "01").joinpath(orphan.name).unlink()
    with pytest.raises(CommandError, match="1 missing, 0 changed, 0 orphans"):
        call_command("files_check", "--quick")

    orphan.write_bytes(b"again")
    _age(orphan)
    missing.delete()
    changed.delete()
    call_command("files_check", "--delete-orphans")
    out = capsys.readouterr().out
    assert f"DELETED  2026/01/{orphan.name}" in out
    assert not orphan.exists()
    assert fresh.exists()  # younger than the grace period
    assert (private_dir / good.storage_name).exists()
    assert (private_dir / changed.storage_name).exists()  # now an orphan too, but younger than the grace period


# --- Admin --------------------------------------------------------------------------------------------------


def _otp_client(client, user):
    """Signed in with a verified second factor (the admin demands one)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


def test_admin_lists_searches_filters_and_refuses_writes(client, admin_user, clerk):
    pdf = store_bytes(PDF_BYTES, name="Nghị quyết 05.pdf", content_type="application/pdf", actor=clerk)
    png = store_upload(upload("Ảnh hội nghị.png", make_png()), actor=clerk, kinds={"image"})
    client = _otp_client(client, admin_user)
    base = "/admin/partyhub/storedfile/"

    response = client.get(base, {"q": pdf.sha256[:16]})
    assert response.status_code == 200
    assert "Nghị quyết 05.pdf" in response.text and "Ảnh hội nghị.png" not in response.text

    response = client.get(base, {"q": "hội nghị"})
    assert "Ảnh hội nghị.png" in response.text and "Nghị quyết 05.pdf" not in response.text

    response = client.get(base, {"content_type__exact": "application/pdf"})
    assert "Nghị quyết 05.pdf" in response.text and "Ảnh hội nghị.png" not in response.text

    assert client.get(base + "add/").status_code == 403
    detail = client.get(f"{base}{png.pk}/change/")
    assert detail.status_code == 200
    assert reverse("files:download", args=[png.pk]) in detail.text
    assert 'name="original_name"' not in detail.text  # read-only
    assert client.post(f"{base}{png.pk}/delete/").status_code == 403
