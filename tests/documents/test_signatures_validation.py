"""Signature validation with pyHanko: signed and trusted, untrusted, tampered bytes, a page changed by an
incremental update after signing; the digitizer stores the checks and never rewrites a signed original."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from documents import signatures
from documents.models import FileRole, ProcessingState, SignatureCheck
from documents.services.digitizing import incoming_digitize
from documents.services.receiving import incoming_receive_files, inspect_pdf
from partyhub.files import private_storage
from tests.documents import pki, scans


@pytest.fixture(scope="module")
def ca():
    return pki.make_ca()


@pytest.fixture(scope="module")
def signer(ca):
    return pki.issue(ca, "Nguyễn Văn Đức")


@pytest.fixture(scope="module")
def signed_pdf(ca, signer):
    return pki.sign_pdf(scans.text_pdf(), signer, ca)


@pytest.fixture
def trust(ca, tmp_path, settings):
    path = ca.write_pem(tmp_path / "roots.pem")
    settings.PARTYHUB_TRUST_ROOTS = [str(path)]
    return path


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_a_signed_pdf_from_a_trusted_authority_is_valid(signed_pdf, trust):
    (report,) = signatures.validate_pdf_signatures(signed_pdf)
    assert report.signer_name == "Nguyễn Văn Đức"
    assert report.intact and report.trusted and not report.modified_after_signing
    assert report.valid
    assert report.signed_at is not None
    assert report.summary.startswith("Valid signature")


def test_the_same_signature_without_the_root_is_not_trusted(signed_pdf, settings):
    settings.PARTYHUB_TRUST_ROOTS = []
    (report,) = signatures.validate_pdf_signatures(signed_pdf)
    assert report.intact and not report.trusted and not report.valid
    assert "not from a trusted authority" in report.summary


def test_a_signature_by_another_authority_is_not_trusted(trust):
    other_ca = pki.make_ca("Some Other CA")
    forged = pki.sign_pdf(scans.text_pdf(), pki.issue(other_ca, "Nguyễn Văn Đức"), other_ca)
    (report,) = signatures.validate_pdf_signatures(forged)
    assert report.intact and not report.trusted


def test_bytes_changed_after_signing_break_the_signature(signed_pdf, trust):
    tampered = pki.flip_signed_byte(signed_pdf)
    assert tampered != signed_pdf and len(tampered) == len(signed_pdf)
    (report,) = signatures.validate_pdf_signatures(tampered)
    assert not report.intact and not report.trusted and not report.valid
    assert report.summary.startswith("INVALID")


def test_a_page_changed_by_an_incremental_update_is_detected(signed_pdf, trust):
    changed = pki.append_page_change(signed_pdf)
    assert changed.startswith(signed_pdf)  # the signed bytes are untouched: only a revision was appended
    (report,) = signatures.validate_pdf_signatures(changed)
    assert report.intact  # the signed revision itself is fine ...
    assert report.modified_after_signing  # ... but the document shown is not what was signed
    assert report.modification_level == "other"
    assert not report.valid
    assert "changed after signing" in report.summary


def test_a_second_signature_is_not_a_modification(ca, signer, signed_pdf, trust):
    countersigned = pki.sign_pdf(signed_pdf, pki.issue(ca, "Văn phòng Đảng ủy"), ca, field_name="Signature2")
    first, second = signatures.validate_pdf_signatures(countersigned)
    assert first.intact and first.trusted and not first.modified_after_signing
    assert second.valid


def test_unsigned_pdfs_have_no_signatures(trust):
    assert signatures.validate_pdf_signatures(scans.text_pdf()) == []
    assert not signatures.has_signatures(scans.text_pdf())


def test_trust_roots_accept_a_comma_separated_setting(ca, tmp_path, settings):
    first = ca.write_pem(tmp_path / "a.pem")
    second = pki.make_ca("Second").write_pem(tmp_path / "b.pem")
    settings.PARTYHUB_TRUST_ROOTS = f"{first}, {second}"
    assert len(signatures.load_trust_roots()) == 2
    settings.PARTYHUB_TRUST_ROOTS = [str(tmp_path / "missing.pem")]
    assert signatures.load_trust_roots() == []  # logged, never trusted by accident


@pytest.mark.django_db
def test_digitizing_a_signed_pdf_stores_the_check_and_never_rewrites_it(
    clerk, org_tree, signed_pdf, trust, settings, tmp_path
):
    from django.core.files.storage import storages

    settings.STORAGES = {
        **settings.STORAGES,
        "private": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    storages._storages.pop("private", None)
    try:
        assert inspect_pdf(__import__("io").BytesIO(signed_pdf)).signed
        (draft,) = incoming_receive_files(
            actor=clerk, organization=org_tree["commune"], files=[SimpleUploadedFile("ky-so.pdf", signed_pdf)]
        )
        (tampered,) = incoming_receive_files(
            actor=clerk,
            organization=org_tree["commune"],
            files=[SimpleUploadedFile("sua.pdf", pki.append_page_change(signed_pdf))],
        )
        assert incoming_digitize(draft.pk) == ProcessingState.DONE
        assert incoming_digitize(tampered.pk) == ProcessingState.DONE
        original = draft.files.get(role=FileRole.ORIGINAL)
        check = SignatureCheck.objects.get(file=original)
        assert check.signer_name == "Nguyễn Văn Đức"
        assert check.intact and check.trusted and not check.modified_after_signing
        assert check.details["field_name"] == "Signature1"
        bad = SignatureCheck.objects.get(file__incoming=tampered)
        assert bad.intact and bad.modified_after_signing
        # The signed original is kept byte for byte and no OCR copy replaces it.
        with private_storage().open(original.stored_file.storage_name, "rb") as f:
            assert f.read() == signed_pdf
        assert not draft.files.filter(role=FileRole.SEARCHABLE).exists()
        draft.refresh_from_db()
        assert "Nghị quyết" in draft.extracted_text
        # Running again replaces the check instead of adding another.
        incoming_digitize(draft.pk, force=True)
        assert SignatureCheck.objects.filter(file=original).count() == 1
    finally:
        storages._storages.pop("private", None)


@pytest.mark.django_db
def test_a_signed_scan_is_read_by_ocr_without_a_new_pdf(clerk, org_tree, ca, signer, trust, settings, tmp_path):
    import shutil

    if not shutil.which("tesseract"):
        pytest.skip("needs tesseract-ocr")
    from django.core.files.storage import storages

    settings.STORAGES = {
        **settings.STORAGES,
        "private": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    storages._storages.pop("private", None)
    try:
        signed_scan = pki.sign_pdf(scans.scan_pdf(), signer, ca)
        (draft,) = incoming_receive_files(
            actor=clerk, organization=org_tree["commune"], files=[SimpleUploadedFile("scan-ky.pdf", signed_scan)]
        )
        assert incoming_digitize(draft.pk) == ProcessingState.DONE
        draft.refresh_from_db()
        assert "chuyển đổi số" in draft.extracted_text
        assert not draft.files.filter(role=FileRole.SEARCHABLE).exists()
        assert SignatureCheck.objects.get(file__incoming=draft).trusted
    finally:
        storages._storages.pop("private", None)
