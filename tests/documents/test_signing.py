"""Digital signatures of outgoing documents (issue 5, H-sign): credentials from PKCS#12 files with passphrases in
the environment, PAdES signing with a visible Vietnamese stamp, the clerk's number and date filled as form fields
in the same update as the organization's signature, timestamps from a local TSA, and the verification (valid,
tampered, untrusted, expired, changed after signing)."""

from __future__ import annotations

import datetime
import hashlib
import io
import re
import warnings

import pikepdf
import pytest

from documents import signing
from documents.models import CredentialKind, SignatureKind, SigningCredential
from tests.documents import pki

BOX_SIGNER = (0, 330, 90, 540, 150)
BOX_SEAL = (0, 250, 70, 360, 170)
FIELD_VALUES = {"partyhub_number": "05", "partyhub_date": "Gò Quao, ngày 05 tháng 11 năm 2026"}

pytestmark = pytest.mark.django_db


def _sign_both(fields_pdf, signer_credential, seal_credential, **kwargs) -> tuple[bytes, bytes]:
    signed = signing.sign_pdf(fields_pdf, credential=signer_credential, kind="signer", box=BOX_SIGNER, **kwargs)
    issued = signing.sign_pdf(
        signed,
        credential=seal_credential,
        kind="organization",
        box=BOX_SEAL,
        field_values=FIELD_VALUES,
        location="Gò Quao",
        **kwargs,
    )
    return signed, issued


def outgoing_document(organization, *, signer, **fields):
    """A bare outgoing document (the workflow's services are another helper's; here only the row matters)."""
    from documents.models import OutgoingDocument
    from tests.documents.factories import DocumentTypeFactory

    values = {
        "organization": organization,
        "document_type": DocumentTypeFactory(name="Nghị quyết"),
        "summary": "về tăng cường công tác xây dựng Đảng",
        "drafted_by": signer,
        "signer": signer,
    }
    return OutgoingDocument.objects.create(**(values | fields))


def _field_values(data: bytes) -> dict[str, str]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return {str(f.T): str(f.get("/V", "")) for f in pdf.Root.AcroForm.Fields if f.get("/FT") == "/Tx"}


def _flattened_text(data: bytes) -> str:
    """The text of the first page with the annotations' appearances (stamps, filled fields) drawn into it."""
    import pypdfium2

    with pikepdf.open(io.BytesIO(data)) as pdf, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pikepdf warns that flattened widgets are no longer reachable from forms
        pdf.flatten_annotations("all")
        out = io.BytesIO()
        pdf.save(out)
    document = pypdfium2.PdfDocument(out.getvalue())
    try:
        return document[0].get_textpage().get_text_range()
    finally:
        document.close()


# --- credentials ----------------------------------------------------------------------------------------------


def test_the_certificate_is_read_into_the_credential(signer_credential, test_pki):
    signer_credential.refresh_from_db()
    assert signer_credential.fingerprint == test_pki.signer.fingerprint
    assert "Nguyễn Văn Đức" in signer_credential.subject
    assert "PartyHub Test Issuing CA" in signer_credential.issuer
    assert signer_credential.serial_number == format(test_pki.signer.cert.serial_number, "X")
    assert signer_credential.valid_from < datetime.datetime.now(datetime.UTC) < signer_credential.valid_until


def test_credentials_for_a_user_and_an_organization_are_active_and_valid_now(
    signer_credential, seal_credential, make_credential, leader, org_tree
):
    assert signing.credential_for_user(leader) == signer_credential
    assert signing.credential_for_organization(org_tree["commune"]) == seal_credential
    assert signing.credential_for_organization(org_tree["cell_a"]) is None
    signer_credential.active = False
    signer_credential.save()
    assert signing.credential_for_user(leader) is None
    # An expired certificate is never offered.
    make_credential("expired", user=leader)
    assert signing.credential_for_user(leader) is None


def test_the_passphrase_can_come_from_a_file_named_by_the_variable(pki_files, make_credential, leader, monkeypatch):
    secret = pki_files.directory / "secret"
    secret.write_text(pki_files.passphrases["signer"] + "\n", encoding="utf-8")
    monkeypatch.delenv(pki_files.variables["signer"])
    monkeypatch.setenv(pki_files.variables["signer"] + "_FILE", str(secret))
    credential = make_credential("signer", user=leader)
    assert credential.fingerprint


def test_a_missing_passphrase_is_a_clear_error_and_nothing_is_written(
    pki_files, make_credential, leader, fields_pdf, monkeypatch
):
    credential = make_credential("signer", user=leader)
    monkeypatch.delenv(pki_files.variables["signer"])
    count = SigningCredential.objects.count()
    with pytest.raises(signing.SigningError) as caught:
        signing.sign_pdf(fields_pdf, credential=credential, kind="signer", box=BOX_SIGNER)
    assert caught.value.code == "no_passphrase"
    message = caught.value.messages[0]
    assert "not available" in message and pki_files.variables["signer"] in message
    # the passphrase never appears anywhere in the database
    with pytest.raises(signing.SigningError):
        signing.credential_refresh(actor=None, credential=SigningCredential(name="x", user=leader, **_p12(credential)))
    assert SigningCredential.objects.count() == count


def _p12(credential) -> dict:
    return {
        "kind": CredentialKind.PKCS12,
        "pkcs12_path": credential.pkcs12_path,
        "passphrase_env": credential.passphrase_env,
    }


def test_a_wrong_passphrase_is_a_clear_error(pki_files, make_credential, leader, fields_pdf, monkeypatch):
    credential = make_credential("signer", user=leader)
    monkeypatch.setenv(pki_files.variables["signer"], "sai mật khẩu")
    with pytest.raises(signing.SigningError) as caught:
        signing.sign_pdf(fields_pdf, credential=credential, kind="signer")
    assert caught.value.code == "pkcs12_invalid"
    assert "wrong passphrase" in caught.value.messages[0]


# --- signing and verifying --------------------------------------------------------------------------------------


def test_a_signed_pdf_verifies_intact_and_trusted(fields_pdf, signer_credential, test_pki):
    signed = signing.sign_pdf(
        fields_pdf, credential=signer_credential, kind="signer", box=BOX_SIGNER, reason="Ký duyệt", location="Gò Quao"
    )
    assert signed.startswith(fields_pdf)  # an incremental update: the original bytes are untouched
    report = signing.verify_pdf(signed)
    assert report.status == "valid" and report.valid
    (verdict,) = report.signatures
    assert verdict.report.signer_name == "Nguyễn Văn Đức"
    assert verdict.report.signer_organization == "Đảng ủy xã Gò Quao"
    assert verdict.report.intact and verdict.report.trusted and not verdict.report.modified_after_signing
    assert verdict.by_partyhub and verdict.credential == signer_credential and verdict.kind == "signer"
    assert verdict.report.certificate_fingerprint == test_pki.signer.fingerprint
    assert abs((verdict.signed_at - datetime.datetime.now(datetime.UTC)).total_seconds()) < 120
    assert not verdict.report.timestamped


def test_the_signature_is_pades_with_the_chain_embedded(fields_pdf, signer_credential):
    from pyhanko.pdf_utils.reader import PdfFileReader

    signed = signing.sign_pdf(fields_pdf, credential=signer_credential, kind="signer", box=BOX_SIGNER)
    reader = PdfFileReader(io.BytesIO(signed))
    (embedded,) = reader.embedded_signatures
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert embedded.field_name == "partyhub_signature_signer"
    # The chain validated against the trust roots, so it was embedded in the document security store.
    assert "/DSS" in reader.root
    names = {c.subject.native["common_name"] for c in embedded.other_embedded_certs}
    assert "PartyHub Test Issuing CA" in names


def test_the_visible_stamp_shows_the_signer_organization_and_time_in_vietnamese(fields_pdf, signer_credential):
    signed = signing.sign_pdf(fields_pdf, credential=signer_credential, kind="signer", box=BOX_SIGNER)
    text = _flattened_text(signed)
    assert "Ký bởi: Nguyễn Văn Đức" in text
    assert "Đảng ủy xã Gò Quao" in text
    assert re.search(r"Thời gian ký: \d\d/\d\d/\d{4} \d\d:\d\d:\d\d \+07:00", text)
    # The stamp sits in the box on the first page.
    with pikepdf.open(io.BytesIO(signed)) as pdf:
        widgets = [a for a in pdf.pages[0].get("/Annots", []) if a.get("/FT") == "/Sig"]
        (widget,) = widgets
        assert [round(float(v)) for v in widget.Rect] == list(BOX_SIGNER[1:])


def test_the_stamp_font_has_widths_in_thousandths_of_an_em(fields_pdf, signer_credential):
    """pyHanko writes glyph widths in font units; the stamp font is rescaled to 1000 units per em so that the
    letters are not spread out (Liberation Serif has 2048)."""
    signed = signing.sign_pdf(fields_pdf, credential=signer_credential, kind="signer", box=BOX_SIGNER)
    with pikepdf.open(io.BytesIO(signed)) as pdf:
        ours = [
            o.DescendantFonts[0]
            for o in pdf.objects
            if isinstance(o, pikepdf.Dictionary)
            and o.get("/Subtype") == "/Type0"
            and str(o.get("/BaseFont", "")).endswith("-Identity-H")
        ]
        assert ours
        for font in ours:
            widths = [float(w) for item in font.W if isinstance(item, pikepdf.Array) for w in item]
            assert widths and max(widths) <= 1100  # an em is 1000: no glyph of a serif text font is wider


def test_bytes_changed_after_signing_are_detected(fields_pdf, signer_credential):
    signed = signing.sign_pdf(fields_pdf, credential=signer_credential, kind="signer", box=BOX_SIGNER)
    tampered = pki.flip_signed_byte(signed)
    report = signing.verify_pdf(tampered)
    assert report.status == "invalid" and not report.intact and not report.valid
    assert report.headline.startswith("NOT VALID")


def test_a_certificate_from_an_untrusted_root_is_intact_but_not_trusted(fields_pdf, make_credential, leader):
    credential = make_credential("untrusted", user=leader)
    signed = signing.sign_pdf(fields_pdf, credential=credential, kind="signer", box=BOX_SIGNER)
    report = signing.verify_pdf(signed)
    assert report.status == "untrusted"
    (verdict,) = report.signatures
    assert verdict.report.intact and not verdict.report.trusted
    assert "not issued by a certification authority this PartyHub trusts" in verdict.trust_text


def test_an_expired_certificate_is_refused_at_signing(fields_pdf, make_credential, leader):
    credential = make_credential("expired", user=leader)
    with pytest.raises(signing.SigningError) as caught:
        signing.sign_pdf(fields_pdf, credential=credential, kind="signer", box=BOX_SIGNER)
    assert caught.value.code == "certificate_expired"
    assert "expired on" in caught.value.messages[0] and "can no longer sign" in caught.value.messages[0]


def test_a_signature_made_with_an_expired_certificate_is_reported_expired(fields_pdf, test_pki, pki_files):
    signed = pki.sign_pdf(fields_pdf, test_pki.expired, test_pki.intermediate)
    (verdict,) = signing.verify_pdf(signed).signatures
    assert verdict.report.intact and not verdict.report.trusted
    assert verdict.report.certificate_expired and verdict.report.expired_at_signing
    assert "already expired when this signature was made" in verdict.trust_text
    assert "has expired" in verdict.report.summary


def test_the_organization_signs_after_the_signer_filling_the_number_and_date(
    fields_pdf, signer_credential, seal_credential
):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from documents.signatures import load_trust_roots

    signed, issued = _sign_both(fields_pdf, signer_credential, seal_credential)
    assert issued.startswith(signed)
    assert _field_values(issued) == FIELD_VALUES
    text = _flattened_text(issued)
    assert "Gò Quao, ngày 05 tháng 11 năm 2026" in text and "05" in text

    # pyHanko's own difference analysis: the signer's signature is intact and what came after it is form filling.
    reader = PdfFileReader(io.BytesIO(issued))
    first, second = reader.embedded_signatures
    context = ValidationContext(trust_roots=load_trust_roots(), allow_fetching=False, revocation_mode="soft-fail")
    status = validate_pdf_signature(first, signer_validation_context=context)
    assert status.intact and status.valid and status.trusted
    assert status.modification_level == ModificationLevel.FORM_FILLING
    assert validate_pdf_signature(second, signer_validation_context=context).bottom_line

    report = signing.verify_pdf(issued)
    assert report.status == "valid"
    signer, seal = report.signatures
    assert (signer.kind, seal.kind) == ("signer", "organization")
    assert signer.report.modification_level == "form_filling" and not signer.report.modified_after_signing
    assert "number and the date" in signer.change_text
    assert seal.report.signer_name == "Đảng ủy xã Gò Quao" and seal.by_partyhub
    assert seal.change_text == "Only validation data was added after this signature."


def test_a_page_changed_after_both_signatures_is_not_an_allowed_change(fields_pdf, signer_credential, seal_credential):
    _signed, issued = _sign_both(fields_pdf, signer_credential, seal_credential)
    forged = pki.append_page_change(issued)
    report = signing.verify_pdf(forged)
    assert report.status == "changed" and not report.valid
    for verdict in report.signatures:
        assert verdict.report.intact
        assert verdict.report.modified_after_signing and verdict.report.modification_level == "other"
        assert verdict.change_text == "The content of the document was changed after this signature."


def test_a_page_changed_between_the_signatures_is_detected(fields_pdf, signer_credential, seal_credential):
    signed = signing.sign_pdf(fields_pdf, credential=signer_credential, kind="signer", box=BOX_SIGNER)
    forged = pki.append_page_change(signed)
    issued = signing.sign_pdf(
        forged, credential=seal_credential, kind="organization", box=BOX_SEAL, field_values=FIELD_VALUES
    )
    signer, seal = signing.verify_pdf(issued).signatures
    assert signer.report.modified_after_signing and signer.report.modification_level == "other"
    assert not seal.report.modified_after_signing


def test_changing_the_number_after_the_organization_signed_is_detected(fields_pdf, signer_credential, seal_credential):
    """The organization's signature locks every field: a number rewritten afterwards is not "form filling"."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    _signed, issued = _sign_both(fields_pdf, signer_credential, seal_credential)
    writer = IncrementalPdfFileWriter(io.BytesIO(issued))
    for ref in writer.root["/AcroForm"]["/Fields"]:
        field = ref.get_object()
        if field.get("/T") == "partyhub_number":
            field["/V"] = generic.TextStringObject("06")
            writer.update_container(field)
    out = io.BytesIO()
    writer.write(out)
    report = signing.verify_pdf(out.getvalue())
    assert report.status == "changed"
    seal = report.signatures[1]
    assert seal.report.modified_after_signing


def test_numbering_twice_is_refused(fields_pdf, signer_credential, seal_credential):
    _signed, issued = _sign_both(fields_pdf, signer_credential, seal_credential)
    with pytest.raises(signing.SigningError) as caught:
        signing.sign_pdf(issued, credential=seal_credential, kind="organization", field_values=FIELD_VALUES)
    assert caught.value.code in ("no_field", "already_signed")


def test_a_pdf_without_the_fields_cannot_be_numbered(signer_credential, seal_credential):
    from tests.documents import scans

    signed = signing.sign_pdf(scans.text_pdf(), credential=signer_credential, kind="signer")
    with pytest.raises(signing.SigningError) as caught:
        signing.sign_pdf(signed, credential=seal_credential, kind="organization", field_values=FIELD_VALUES)
    assert caught.value.code == "no_field" and "partyhub_number" in caught.value.messages[0]
    # without field values an invisible seal is fine
    sealed = signing.sign_pdf(signed, credential=seal_credential, kind="organization")
    assert signing.verify_pdf(sealed).status == "valid"


def test_not_a_pdf_cannot_be_signed(signer_credential):
    with pytest.raises(signing.SigningError) as caught:
        signing.sign_pdf(b"%PDF-1.7 nonsense", credential=signer_credential, kind=SignatureKind.SIGNER)
    assert caught.value.code == "invalid_pdf"


def test_an_unsigned_or_unreadable_file_is_reported_so():
    from tests.documents import scans

    assert signing.verify_pdf(scans.text_pdf()).status == "unsigned"
    assert signing.verify_pdf(b"hello").status in ("unreadable", "unsigned")


def test_a_file_partyhub_issued_is_recognised_by_its_hash(fields_pdf, signer_credential, seal_credential, leader):
    from documents.models import AppliedSignature
    from partyhub.files import store_bytes

    _signed, issued = _sign_both(fields_pdf, signer_credential, seal_credential)
    document = outgoing_document(seal_credential.organization, signer=leader)
    stored = store_bytes(issued, name="05-NQ-DU.pdf", content_type="application/pdf", actor=leader)
    AppliedSignature.objects.create(
        document=document, kind="organization", credential=seal_credential, signed_by=leader, result_file=stored
    )
    report = signing.verify_pdf(issued)
    assert report.documents == [document] and report.signed_by_partyhub
    assert stored.sha256 == hashlib.sha256(issued).hexdigest()
    data = report.as_dict()
    assert data["issued_by_partyhub"] and data["status"] == "valid" and len(data["signatures"]) == 2


# --- timestamps --------------------------------------------------------------------------------------------------


def test_a_configured_tsa_timestamps_the_signatures(fields_pdf, signer_credential, seal_credential, settings, test_pki):
    with pki.LocalTSA(test_pki.tsa) as tsa:
        settings.PARTYHUB_TSA_URL = tsa.url
        _signed, issued = _sign_both(fields_pdf, signer_credential, seal_credential)
        assert tsa.requests >= 2
    report = signing.verify_pdf(issued)
    assert report.status == "valid"
    for verdict in report.signatures:
        assert verdict.report.timestamped and verdict.report.timestamp_trusted
        assert abs((verdict.signed_at - datetime.datetime.now(datetime.UTC)).total_seconds()) < 120


def test_an_unreachable_tsa_is_a_clear_error(fields_pdf, signer_credential, settings):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.PARTYHUB_TSA_URL = f"http://127.0.0.1:{port}/tsa"
    settings.PARTYHUB_TSA_TIMEOUT_SECONDS = 2
    with pytest.raises(signing.SigningError) as caught:
        signing.sign_pdf(fields_pdf, credential=signer_credential, kind="signer", box=BOX_SIGNER)
    assert caught.value.code == "tsa_unavailable"
    assert "time-stamping authority did not answer" in caught.value.messages[0]


def test_a_timestamp_keeps_a_signature_valid_after_the_certificate_expires(
    fields_pdf, test_pki, tmp_path, monkeypatch, settings, leader
):
    """Long-term validation: a certificate valid for a few more seconds signs with a timestamp; once it has
    expired the signature is still trusted, validated at the timestamp's time."""
    import time

    now = datetime.datetime.now(datetime.UTC)
    short = pki.issue(test_pki.intermediate, "Phạm Văn Ngắn Hạn", not_after=now + datetime.timedelta(seconds=4))
    settings.PARTYHUB_TRUST_ROOTS = [str(test_pki.write_trust_roots(tmp_path / "roots.pem"))]
    monkeypatch.setenv("PARTYHUB_TEST_SHORT", "ngắn hạn")
    credential = SigningCredential.objects.create(
        name="short",
        kind=CredentialKind.PKCS12,
        user=leader,
        pkcs12_path=str(short.write_pkcs12(tmp_path / "short.p12", "ngắn hạn")),
        passphrase_env="PARTYHUB_TEST_SHORT",
    )
    signed = signing.sign_pdf(
        fields_pdf, credential=credential, kind="signer", timestamper=pki.dummy_timestamper(test_pki.tsa)
    )
    time.sleep(max(0.0, (short.cert.not_valid_after_utc - datetime.datetime.now(datetime.UTC)).total_seconds()) + 1)
    (verdict,) = signing.verify_pdf(signed).signatures
    assert verdict.report.certificate_expired and not verdict.report.expired_at_signing
    assert verdict.report.timestamp_trusted and verdict.report.trusted
    assert "valid when the document was signed" in verdict.trust_text


# --- the verification page and the API ------------------------------------------------------------------------


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private")},
        },
    }


def _upload(client, data: bytes, name: str = "van-ban.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    return client.post(
        reverse("documents:verify"), {"file": SimpleUploadedFile(name, data, content_type="application/pdf")}
    )


def test_the_page_needs_a_login(client):
    from django.urls import reverse

    response = client.get(reverse("documents:verify"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_page_offers_an_upload(client, member_user):
    from django.urls import reverse

    client.force_login(member_user)
    response = client.get(reverse("documents:verify"))
    assert response.status_code == 200
    assert "Verify a signed PDF" in response.text and 'type="file"' in response.text


def test_the_page_says_a_valid_pdf_is_intact_and_by_whom(
    client, member_user, fields_pdf, signer_credential, seal_credential
):
    from partyhub.models import StoredFile

    _signed, issued = _sign_both(fields_pdf, signer_credential, seal_credential)
    client.force_login(member_user)
    files = StoredFile.objects.count()
    response = _upload(client, issued)
    assert response.status_code == 200
    text = response.text
    assert "VALID: the PDF is intact, signed with trusted certificates" in text
    assert "Nguyễn Văn Đức" in text and "Đảng ủy xã Gò Quao" in text
    assert "Signature 1 of 2" in text and "Signature 2 of 2" in text
    assert "The certificate was issued by a trusted certification authority." in text
    assert "form fields (such as the number and the date) were filled in" in text
    assert "Yes, with the certificate “Chữ ký số Nguyễn Văn Đức”." in text
    assert StoredFile.objects.count() == files  # nothing stored


def test_the_page_says_a_tampered_pdf_is_not_valid(client, member_user, fields_pdf, signer_credential):
    signed = signing.sign_pdf(fields_pdf, credential=signer_credential, kind="signer", box=BOX_SIGNER)
    client.force_login(member_user)
    text = _upload(client, pki.flip_signed_byte(signed)).text
    assert "NOT VALID: this PDF was altered after it was signed." in text
    assert "No: the signed content was altered." in text


def test_the_page_says_an_untrusted_certificate_is_not_trusted(
    client, member_user, fields_pdf, make_credential, leader
):
    signed = signing.sign_pdf(fields_pdf, credential=make_credential("untrusted", user=leader), kind="signer")
    client.force_login(member_user)
    text = _upload(client, signed).text
    assert "The PDF is intact, but a signer&#x27;s certificate is not trusted here" in text
    assert "not issued by a certification authority this PartyHub trusts" in text


def test_the_page_says_an_expired_certificate_had_expired(client, member_user, fields_pdf, test_pki, pki_files):
    signed = pki.sign_pdf(fields_pdf, test_pki.expired, test_pki.intermediate)
    client.force_login(member_user)
    text = _upload(client, signed).text
    assert "The certificate had already expired when this signature was made." in text
    assert "No: the certificate is not one configured in PartyHub." in text


def test_the_page_says_what_changed_after_signing(client, member_user, fields_pdf, signer_credential, seal_credential):
    _signed, issued = _sign_both(fields_pdf, signer_credential, seal_credential)
    client.force_login(member_user)
    text = _upload(client, pki.append_page_change(issued)).text
    assert "WARNING: the signatures are intact, but the document was changed after it was signed." in text
    assert "The content of the document was changed after this signature." in text


def test_the_page_says_an_unsigned_pdf_is_for_reference_only(client, member_user):
    from tests.documents import scans

    client.force_login(member_user)
    assert "carries no digital signature" in _upload(client, scans.text_pdf()).text


def test_the_page_refuses_a_file_that_is_not_a_pdf(client, member_user):
    from partyhub.models import StoredFile

    client.force_login(member_user)
    files = StoredFile.objects.count()
    response = _upload(client, b"just text, not a PDF", name="note.txt")
    assert response.status_code == 200
    assert "Files of this type are not accepted here" in response.text
    assert StoredFile.objects.count() == files


@pytest.fixture
def issued_document(private_storage, fields_pdf, signer_credential, seal_credential, leader):
    from documents.models import AppliedSignature, OutgoingStatus
    from partyhub.files import store_bytes

    signed, issued = _sign_both(fields_pdf, signer_credential, seal_credential)
    document = outgoing_document(seal_credential.organization, signer=leader, status=OutgoingStatus.SIGNED)
    signed_file = store_bytes(signed, name="signed.pdf", content_type="application/pdf", actor=leader)
    issued_file = store_bytes(issued, name="05-NQ-DU.pdf", content_type="application/pdf", actor=leader)
    for kind, credential, stored in (
        ("signer", signer_credential, signed_file),
        ("organization", seal_credential, issued_file),
    ):
        AppliedSignature.objects.create(
            document=document, kind=kind, credential=credential, signed_by=leader, result_file=stored
        )
    document.signed_file, document.issued_file = signed_file, issued_file
    document.save(update_fields=["signed_file", "issued_file"])
    return document


def test_the_page_verifies_an_outgoing_document_its_viewers_may_see(client, leader, issued_document):
    from django.urls import reverse

    client.force_login(leader)
    response = client.get(reverse("documents:verify_outgoing", args=[issued_document.pk]))
    assert response.status_code == 200
    text = response.text
    assert "VALID: the PDF is intact" in text
    assert "This exact file was produced by PartyHub:" in text
    assert reverse("documents:outgoing_detail", args=[issued_document.pk]) in text
    # An uploaded copy of the issued file is recognised too.
    with private_storage_bytes(issued_document.issued_file) as data:
        text = _upload(client, data).text
    assert "This exact file was produced by PartyHub:" in text


def private_storage_bytes(stored):
    import contextlib

    from partyhub.files import private_storage

    @contextlib.contextmanager
    def opened():
        with private_storage().open(stored.storage_name, "rb") as handle:
            yield handle.read()

    return opened()


@pytest.mark.parametrize("who", ["member_user", "outsider", "cell_secretary"])
def test_a_user_who_cannot_see_the_document_gets_404(client, request, who, issued_document):
    from django.urls import reverse

    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("documents:verify_outgoing", args=[issued_document.pk])).status_code == 404
    api = client.get(reverse("signature-verification-outgoing", args=[issued_document.pk]))
    assert api.status_code == 404


def test_an_uploaded_copy_does_not_link_a_document_the_user_cannot_see(client, member_user, issued_document):
    from django.urls import reverse

    client.force_login(member_user)
    with private_storage_bytes(issued_document.issued_file) as data:
        text = _upload(client, data).text
    assert "This exact file was produced by PartyHub:" in text
    assert reverse("documents:outgoing_detail", args=[issued_document.pk]) not in text


def test_the_api_verifies_an_upload_and_an_outgoing_document(client, leader, member_user, issued_document):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    client.force_login(leader)
    data = client.get(reverse("signature-verification-outgoing", args=[issued_document.pk])).json()
    assert data["status"] == "valid" and data["issued_by_partyhub"]
    assert [s["kind"] for s in data["signatures"]] == ["signer", "organization"]
    assert data["documents"][0]["id"] == issued_document.pk

    client.force_login(member_user)
    with private_storage_bytes(issued_document.issued_file) as pdf:
        response = client.post(
            reverse("signature-verification"), {"file": SimpleUploadedFile("x.pdf", pdf, "application/pdf")}
        )
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] and body["signatures"][0]["signer_name"] == "Nguyễn Văn Đức"
    assert body["documents"][0]["id"] is None  # not visible to this member: no link
    refused = client.post(
        reverse("signature-verification"), {"file": SimpleUploadedFile("x.txt", b"text", "text/plain")}
    )
    assert refused.status_code == 400 and "file" in refused.json()


# --- an independent validator ------------------------------------------------------------------------------------


def _tool(name: str, package: str) -> str:
    import os
    import shutil

    path = shutil.which(name)
    if path is None:
        message = f"needs {name} (Debian's {package})"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"{message}: CI must provide it", pytrace=False)
        pytest.skip(message)
    return path


def test_poppler_validates_the_signatures_as_standard_pades(
    tmp_path, fields_pdf, signer_credential, seal_credential, test_pki
):
    """pdfsig (poppler, with NSS) — a validator that shares no code with pyHanko — finds two ETSI.CAdES.detached
    signatures whose digests match, from certificates that chain to the configured root; and a changed byte
    breaks them."""
    import subprocess

    pdfsig = _tool("pdfsig", "poppler-utils")
    certutil = _tool("certutil", "libnss3-tools")
    nss = tmp_path / "nss"
    nss.mkdir()
    root = test_pki.write_trust_roots(tmp_path / "root.pem")
    subprocess.run([certutil, "-N", "-d", f"sql:{nss}", "--empty-password"], check=True, capture_output=True)
    subprocess.run(
        [certutil, "-A", "-d", f"sql:{nss}", "-n", "PartyHub Test Root CA", "-t", "CT,C,C", "-i", str(root)],
        check=True,
        capture_output=True,
    )
    _signed, issued = _sign_both(fields_pdf, signer_credential, seal_credential)
    path = tmp_path / "issued.pdf"
    path.write_bytes(issued)

    def check(file) -> str:
        result = subprocess.run(
            [pdfsig, "-nssdir", f"sql:{nss}", str(file)], capture_output=True, text=True, timeout=120, check=False
        )
        return result.stdout

    out = check(path)
    assert out.count("Signature Type: ETSI.CAdES.detached") == 2, out
    assert out.count("Signature Validation: Signature is Valid.") == 2, out
    assert out.count("Certificate Validation: Certificate is Trusted.") == 2, out
    assert "Signer Certificate Common Name: Nguyễn Văn Đức" in out
    assert "Signer Certificate Common Name: Đảng ủy xã Gò Quao" in out

    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(pki.flip_signed_byte(issued))
    out = check(tampered)
    assert "Signature Validation: Signature is Valid." not in out, out


@pytest.mark.vietnamese
def test_the_page_speaks_vietnamese(client, member_user, fields_pdf, signer_credential, ui_vietnamese_catalogue):
    """Needs the fragment locale/pending/sign.po merged into the catalogue (scripts/merge-translations.sh)."""
    signed = signing.sign_pdf(fields_pdf, credential=signer_credential, kind="signer", box=BOX_SIGNER)
    member_user.preferred_language = "vi"
    member_user.save(update_fields=["preferred_language"])
    client.force_login(member_user)
    text = _upload(client, signed).text
    assert "Kiểm tra tệp PDF đã ký số" in text
    assert "HỢP LỆ: tệp PDF còn nguyên vẹn" in text
    assert "Chứng thư số do tổ chức chứng thực tin cậy cấp." in text


# --- the admin -------------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, admin_user):
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=admin_user, name="test", confirmed=True)
    client.force_login(admin_user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _admin_form(pki_files, label, **extra) -> dict:
    return {
        "name": f"Chữ ký số {label}",
        "kind": "pkcs12",
        "pkcs12_path": str(pki_files.pkcs12[label]),
        "passphrase_env": pki_files.variables[label],
        "pkcs11_module": "",
        "pkcs11_token_label": "",
        "pkcs11_key_label": "",
        "active": "on",
        **extra,
    }


def test_the_admin_reads_the_certificate_when_saving(admin_client, pki_files, leader, test_pki):
    from django.urls import reverse

    response = admin_client.post(
        reverse("admin:documents_signingcredential_add"), _admin_form(pki_files, "signer", user=str(leader.pk))
    )
    assert response.status_code == 302, response.text[:3000]
    credential = SigningCredential.objects.get()
    assert credential.fingerprint == test_pki.signer.fingerprint and "Nguyễn Văn Đức" in credential.subject
    page = admin_client.get(reverse("admin:documents_signingcredential_change", args=[credential.pk])).text
    assert test_pki.signer.fingerprint in page
    assert pki_files.passphrases["signer"] not in page  # the secret is never shown (nor stored)


def test_the_admin_refuses_a_credential_it_cannot_open(admin_client, pki_files, leader, monkeypatch):
    from django.urls import reverse

    monkeypatch.setenv(pki_files.variables["signer"], "sai")
    response = admin_client.post(
        reverse("admin:documents_signingcredential_add"), _admin_form(pki_files, "signer", user=str(leader.pk))
    )
    assert response.status_code == 200
    assert "wrong passphrase, or not a PKCS#12 file" in response.text
    assert not SigningCredential.objects.exists()


def test_the_admin_refuses_an_active_expired_certificate(admin_client, pki_files, leader):
    from django.urls import reverse

    response = admin_client.post(
        reverse("admin:documents_signingcredential_add"), _admin_form(pki_files, "expired", user=str(leader.pk))
    )
    assert response.status_code == 200 and "save it as inactive" in response.text
    assert not SigningCredential.objects.exists()


def test_applied_signatures_are_read_only_in_the_admin(admin_client, issued_document):
    from django.urls import reverse

    response = admin_client.get(reverse("admin:documents_appliedsignature_changelist"))
    assert response.status_code == 200 and "Signer&#x27;s signature" in response.text
    assert admin_client.get(reverse("admin:documents_appliedsignature_add")).status_code == 403
