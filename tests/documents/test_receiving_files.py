"""Receiving: uploads become drafts; bad, broken, encrypted and hostile files are refused with nothing stored;
permissions-only encrypted PDFs are accepted; duplicates are flagged; the clerk's pages."""

from __future__ import annotations

import datetime
import io
import zipfile
from pathlib import Path

import pikepdf
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from documents.models import (
    DocumentFile,
    FileRole,
    HandlingEntry,
    HandlingKind,
    IncomingDocument,
    ProcessingState,
    ReceivedVia,
)
from documents.services.digitizing import find_duplicates
from documents.services.receiving import (
    incoming_discard_draft,
    incoming_receive_files,
    inspect_pdf,
)
from partyhub.files import private_storage
from partyhub.models import StoredFile

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    from django.core.files.storage import storages

    storages._storages.pop("private", None)
    yield tmp_path
    storages._storages.pop("private", None)


# --- Inputs made here ----------------------------------------------------------------------------------------


def simple_pdf(text: str = "Nghị quyết 05-NQ/ĐU", pages: int = 1) -> bytes:
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)
    )
    for index in range(pages):
        content = f"BT /F1 14 Tf 72 720 Td ({text.encode('ascii', 'replace').decode()} {index + 1}) Tj ET".encode()
        page = pdf.add_blank_page(page_size=(595, 842))
        page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        page.obj.Contents = pdf.make_stream(content)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def encrypted_pdf(*, user_password: str, owner_password: str = "owner-secret") -> bytes:  # noqa: S107
    with pikepdf.open(io.BytesIO(simple_pdf())) as pdf:
        out = io.BytesIO()
        pdf.save(
            out,
            encryption=pikepdf.Encryption(
                user=user_password,
                owner=owner_password,
                allow=pikepdf.Permissions(print_lowres=False, print_highres=False, extract=False, modify_other=False),
            ),
        )
        return out.getvalue()


def png_bytes(size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("L", size, 200).save(out, format="PNG")
    return out.getvalue()


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 80), (250, 250, 245)).save(out, format="JPEG", dpi=(200, 200))
    return out.getvalue()


def zip_bomb_docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        archive.writestr("word/document.xml", b"<w:document>" + b"A" * (60 * 1024 * 1024) + b"</w:document>")
    return out.getvalue()


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def stored_nothing(root: Path) -> bool:
    files = [p for p in root.rglob("*") if p.is_file()]
    return (
        not files
        and not IncomingDocument.objects.exists()
        and not DocumentFile.objects.exists()
        and not StoredFile.objects.exists()
    )


# --- Accepted --------------------------------------------------------------------------------------------------


def test_each_file_becomes_a_draft_with_its_original(clerk, org_tree, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        drafts = incoming_receive_files(
            actor=clerk,
            organization=org_tree["commune"],
            files=[upload("Nghị quyết 05.pdf", simple_pdf(pages=3)), upload("scan.jpg", jpeg_bytes())],
        )
    assert len(drafts) == 2
    pdf_draft, jpeg_draft = drafts
    for draft in drafts:
        draft.refresh_from_db()
        assert draft.status == "draft"
        assert draft.received_via == ReceivedVia.UPLOAD
        assert draft.created_by == clerk
        assert draft.organization == org_tree["commune"]
        assert draft.processing_state == ProcessingState.PENDING
        assert draft.duplicate_of is None
        assert HandlingEntry.objects.filter(document=draft, kind=HandlingKind.RECEIVED, actor=clerk).count() == 1
    original = pdf_draft.files.get()
    assert original.role == FileRole.ORIGINAL
    assert original.page_count == 3
    assert original.stored_file.original_name == "Nghị quyết 05.pdf"
    assert original.stored_file.content_type == "application/pdf"
    assert jpeg_draft.files.get().stored_file.content_type == "image/jpeg"
    # The digitizing task of each draft is queued after the commit (and only then).
    assert len(callbacks) >= 2


def test_together_makes_one_draft_with_the_files_in_order(clerk, org_tree):
    drafts = incoming_receive_files(
        actor=clerk,
        organization=org_tree["commune"],
        files=[upload("trang-1.png", png_bytes()), upload("trang-2.png", png_bytes((41, 30)))],
        together=True,
    )
    assert len(drafts) == 1
    names = [f.stored_file.original_name for f in drafts[0].files.order_by("order")]
    assert names == ["trang-1.png", "trang-2.png"]


def test_a_pdf_that_only_restricts_printing_and_copying_is_accepted(clerk, org_tree):
    data = encrypted_pdf(user_password="")
    info = inspect_pdf(io.BytesIO(data))
    assert info.encrypted and info.pages == 1
    drafts = incoming_receive_files(actor=clerk, organization=org_tree["commune"], files=[upload("han-che.pdf", data)])
    stored = drafts[0].files.get().stored_file
    with private_storage().open(stored.storage_name, "rb") as f:
        assert f.read() == data  # kept exactly as received


def test_hostile_names_are_cleaned_and_never_used_as_paths(clerk, org_tree, private_root):
    drafts = incoming_receive_files(
        actor=clerk,
        organization=org_tree["commune"],
        files=[upload("../../etc/Công văn\u202egnp.pdf", simple_pdf()), upload("CON.pdf", simple_pdf("x"))],
    )
    names = [d.files.get().stored_file.original_name for d in drafts]
    assert names == ["Công văngnp.pdf", "_CON.pdf"]
    for draft in drafts:
        storage_name = draft.files.get().stored_file.storage_name
        assert ".." not in storage_name and "etc" not in storage_name
        assert (private_root / storage_name).resolve().is_relative_to(private_root.resolve())


# --- Refused: nothing stored -------------------------------------------------------------------------------


def _polyglot_png_html() -> bytes:
    return png_bytes() + b"<html><body><script>alert(document.cookie)</script></body></html>"


def _truncated_pdf() -> bytes:
    data = simple_pdf(pages=4)
    return data[: len(data) * 2 // 3]


def _javascript_pdf() -> bytes:
    pdf = pikepdf.open(io.BytesIO(simple_pdf()))
    pdf.Root.OpenAction = pdf.make_indirect(
        pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert('x')"))
    )
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _xlsx() -> bytes:
    from openpyxl import Workbook

    out = io.BytesIO()
    Workbook().save(out)
    return out.getvalue()


def _broken_pdf() -> bytes:
    return b"%PDF-1.7\n" + b"\x00garbage" * 200 + b"\n%%EOF\n"


REFUSED = [
    pytest.param("anh.png", _polyglot_png_html, "web pages", id="polyglot-png-html"),
    pytest.param("bom.docx", zip_bomb_docx, "zip bomb", id="zip-bomb-docx"),
    pytest.param("mat-khau.pdf", lambda: encrypted_pdf(user_password="1234"), "password", id="password-pdf"),
    pytest.param("cut.pdf", _truncated_pdf, "damaged or incomplete", id="truncated-pdf"),
    pytest.param("broken.pdf", _broken_pdf, "damaged or incomplete", id="broken-pdf"),
    pytest.param("script.pdf", _javascript_pdf, "scripts", id="javascript-pdf"),
    pytest.param("../../etc/passwd", simple_pdf, "not accepted as incoming", id="traversal-no-extension"),
    pytest.param("report.pdf.exe", simple_pdf, "not accepted as incoming", id="double-extension"),
    pytest.param(
        "<img src=x onerror=alert(1)>.html", lambda: b"<html></html>", "not accepted as incoming", id="html-name"
    ),
    pytest.param(
        "anh.svg.png",
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        "web pages",
        id="svg-as-png",
    ),
    pytest.param("scan.pdf", jpeg_bytes, "content is a JPEG", id="extension-lies"),
    pytest.param("bang.xlsx", lambda: _xlsx(), "not accepted as incoming documents", id="spreadsheet"),
]


@pytest.mark.parametrize(("name", "make", "reason"), REFUSED)
def test_bad_files_are_refused_and_nothing_is_stored(clerk, org_tree, private_root, name, make, reason):
    with pytest.raises(ValidationError) as caught:
        incoming_receive_files(actor=clerk, organization=org_tree["commune"], files=[upload(name, make())])
    messages = caught.value.message_dict["files"]
    assert len(messages) == 1
    assert reason in messages[0]
    assert stored_nothing(private_root)


def test_one_byte_over_the_limit_is_refused(clerk, org_tree, private_root, settings):
    data = simple_pdf()
    settings.PARTYHUB_UPLOAD_MAX_BYTES = len(data) - 1
    with pytest.raises(ValidationError) as caught:
        incoming_receive_files(actor=clerk, organization=org_tree["commune"], files=[upload("big.pdf", data)])
    assert "too large" in caught.value.message_dict["files"][0]
    assert stored_nothing(private_root)
    settings.PARTYHUB_UPLOAD_MAX_BYTES = len(data)
    assert len(incoming_receive_files(actor=clerk, organization=org_tree["commune"], files=[upload("ok.pdf", data)]))


def test_one_bad_file_refuses_the_whole_upload_naming_it(clerk, org_tree, private_root):
    files = [upload("good.pdf", simple_pdf()), upload("locked.pdf", encrypted_pdf(user_password="x"))]
    with pytest.raises(ValidationError) as caught:
        incoming_receive_files(actor=clerk, organization=org_tree["commune"], files=files)
    assert caught.value.message_dict["files"][0].startswith("locked.pdf: ")
    assert stored_nothing(private_root)


def test_classified_documents_keep_no_file(clerk, org_tree, private_root, settings):
    from tests.documents.factories import ClearanceFactory

    ClearanceFactory(user=clerk, level="mat")
    settings.PARTYHUB_ALLOW_SECRET_FILES = False
    with pytest.raises(ValidationError) as caught:
        incoming_receive_files(
            actor=clerk,
            organization=org_tree["commune"],
            files=[upload("mat.pdf", simple_pdf())],
            confidentiality="mat",
        )
    assert caught.value.message_dict["files"]
    assert stored_nothing(private_root)
    # The register entry alone is fine: a metadata-only draft received on paper.
    (draft,) = incoming_receive_files(actor=clerk, organization=org_tree["commune"], files=[], confidentiality="mat")
    assert draft.received_via == ReceivedVia.PAPER and not draft.files.exists()
    assert draft.processing_state == ProcessingState.DONE


def test_only_clerks_of_the_organization_may_receive(outsider, member_user, org_tree, private_root):
    for user in (outsider, member_user):
        with pytest.raises(PermissionDenied):
            incoming_receive_files(actor=user, organization=org_tree["commune"], files=[upload("a.pdf", simple_pdf())])
    assert stored_nothing(private_root)


# --- Duplicates ----------------------------------------------------------------------------------------------


def test_the_same_file_twice_is_flagged_as_a_duplicate(clerk, org_tree):
    data = simple_pdf("same")
    (first,) = incoming_receive_files(actor=clerk, organization=org_tree["commune"], files=[upload("a.pdf", data)])
    (second,) = incoming_receive_files(actor=clerk, organization=org_tree["commune"], files=[upload("b.pdf", data)])
    (other,) = incoming_receive_files(
        actor=clerk, organization=org_tree["commune"], files=[upload("c.pdf", simple_pdf("other"))]
    )
    assert second.duplicate_of == first
    assert first.duplicate_of is None and other.duplicate_of is None
    assert list(find_duplicates(first)) == [second]


def test_same_sender_number_and_date_is_a_duplicate(clerk, org_tree):
    from tests.documents.factories import IncomingDocumentFactory

    existing = IncomingDocumentFactory(
        organization=org_tree["commune"],
        sender="Tỉnh ủy An Giang",
        number_symbol="57-NQ/TW",
        document_date=datetime.date(2026, 2, 27),
    )
    IncomingDocumentFactory(organization=org_tree["other_commune"], sender="Tỉnh ủy An Giang", number_symbol="57-NQ/TW")
    candidate = IncomingDocumentFactory(
        organization=org_tree["commune"],
        sender="tỉnh ủy an giang",
        number_symbol="57-nq/tw",
        document_date=datetime.date(2026, 2, 27),
    )
    assert list(find_duplicates(candidate)) == [existing]
    candidate.document_date = datetime.date(2026, 2, 28)
    assert list(find_duplicates(candidate)) == []


def test_discarding_a_draft_removes_it_and_its_files(clerk, org_tree, private_root, django_capture_on_commit_callbacks):
    (draft,) = incoming_receive_files(
        actor=clerk, organization=org_tree["commune"], files=[upload("a.pdf", simple_pdf())]
    )
    with django_capture_on_commit_callbacks(execute=True):
        incoming_discard_draft(actor=clerk, document=draft)
    assert stored_nothing(private_root)


# --- Pages ---------------------------------------------------------------------------------------------------


def test_the_clerk_uploads_on_the_page_and_sees_the_draft(client, clerk, org_tree, password):
    client.force_login(clerk)
    page = client.get(reverse("documents:receive"))
    assert page.status_code == 200
    assert b'type="file"' in page.content and b"multiple" in page.content
    response = client.post(
        reverse("documents:receive"),
        {
            "organization": org_tree["commune"].pk,
            "files": [upload("Công văn 12.pdf", simple_pdf()), upload("scan.png", png_bytes())],
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("documents:drafts")
    drafts = client.get(reverse("documents:drafts"))
    html = drafts.content.decode()
    assert "Công văn 12.pdf" in html and "scan.png" in html
    assert "Waiting for digitizing" in html
    # Still pending: the table polls its fragment every 2 s.
    assert f'hx-get="{reverse("documents:digitizing_progress")}"' in html and 'hx-trigger="every 2s"' in html


def test_the_page_shows_the_refusal_and_stores_nothing(client, clerk, org_tree, private_root):
    client.force_login(clerk)
    response = client.post(
        reverse("documents:receive"),
        {"organization": org_tree["commune"].pk, "files": [upload("khoa.pdf", encrypted_pdf(user_password="1"))]},
    )
    assert response.status_code == 400
    assert "khoa.pdf: The PDF is protected by a password" in response.content.decode()
    assert stored_nothing(private_root)


def test_progress_fragment_stops_polling_when_done_and_shows_the_duplicate(client, clerk, org_tree):
    data = simple_pdf("dup")
    (first,) = incoming_receive_files(actor=clerk, organization=org_tree["commune"], files=[upload("a.pdf", data)])
    (second,) = incoming_receive_files(actor=clerk, organization=org_tree["commune"], files=[upload("b.pdf", data)])
    IncomingDocument.objects.update(processing_state=ProcessingState.DONE, processing_progress=100, page_count=1)
    client.force_login(clerk)
    fragment = client.get(reverse("documents:digitizing_progress"), HTTP_HX_REQUEST="true")
    html = fragment.content.decode()
    assert fragment.status_code == 200
    assert "hx-trigger" not in html
    assert html.count("Possible duplicate of") == 1
    assert f'id="draft-{second.pk}"' in html and f'id="draft-{first.pk}"' in html


def test_running_progress_is_shown(client, clerk, org_tree):
    (draft,) = incoming_receive_files(
        actor=clerk, organization=org_tree["commune"], files=[upload("a.pdf", simple_pdf())]
    )
    IncomingDocument.objects.filter(pk=draft.pk).update(
        processing_state=ProcessingState.RUNNING, processing_progress=42, processing_message="Recognizing text (OCR)"
    )
    client.force_login(clerk)
    html = client.get(reverse("documents:digitizing_progress")).content.decode()
    assert 'value="42"' in html and "42% · Recognizing text (OCR)" in html
    assert 'hx-trigger="every 2s"' in html


@pytest.mark.parametrize("who", ["outsider", "member_user", "handler"])
def test_receiving_pages_are_404_for_others(client, request, who):
    client.force_login(request.getfixturevalue(who))
    for name in ("documents:receive", "documents:drafts", "documents:digitizing_progress"):
        assert client.get(reverse(name)).status_code == 404


def test_others_cannot_discard_or_redigitize_a_draft(client, clerk, outsider, org_tree):
    (draft,) = incoming_receive_files(
        actor=clerk, organization=org_tree["commune"], files=[upload("a.pdf", simple_pdf())]
    )
    client.force_login(outsider)
    assert client.post(reverse("documents:discard", args=[draft.pk])).status_code == 404
    assert client.post(reverse("documents:redigitize", args=[draft.pk])).status_code == 404
    assert IncomingDocument.objects.filter(pk=draft.pk).exists()
