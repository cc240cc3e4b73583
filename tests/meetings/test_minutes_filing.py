"""The approved minutes filed as an outgoing document of type "Biên bản" through the documents services, then
signed by the chair and issued by the cell's secretary: the number goes into the minutes' own PDF (its
``partyhub_number``/``partyhub_date`` fields) inside the signed bytes."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from documents.models import OutgoingStatus, OutgoingVersion
from documents.services import outgoing as outgoing_services
from meetings.models import Minutes, MinutesStatus
from meetings.services import minutes as services
from meetings.services import room as room_services
from meetings.services import votes as vote_services
from members.models import PositionTitle
from tests.documents import pki
from tests.factories import TermFactory

from .room_factories import delegate, make_meeting, present

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def test_pki():
    return pki.build_test_pki(organization_name="Chi bộ ấp Phước Hưng", signer_name="Bí thư Chi Bộ")


@pytest.fixture
def private_dir(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private")},
        },
    }
    settings.PARTYHUB_X_ACCEL_PREFIX = ""
    return tmp_path / "private"


@pytest.fixture
def credentials(test_pki, tmp_path, monkeypatch, settings, cell_secretary, org_tree):
    """The chair's personal certificate and the cell's seal (PKCS#12 files, passphrases in the environment)."""
    from documents.models import CredentialKind, SigningCredential
    from documents.signing import credential_refresh

    settings.PARTYHUB_TRUST_ROOTS = [str(test_pki.write_trust_roots(tmp_path / "roots.pem"))]
    settings.PARTYHUB_TSA_URL = ""
    made = {}
    for label, owner in (("signer", {"user": cell_secretary}), ("organization", {"organization": org_tree["cell_a"]})):
        variable = f"PARTYHUB_TEST_ROOM_{label.upper()}_PASSPHRASE"
        path = getattr(test_pki, label).write_pkcs12(tmp_path / f"{label}.p12", f"mật khẩu {label}")
        monkeypatch.setenv(variable, f"mật khẩu {label}")
        credential = SigningCredential(
            name=f"{label} certificate",
            kind=CredentialKind.PKCS12,
            pkcs12_path=str(path),
            passphrase_env=variable,
            **owner,
        )
        made[label] = credential_refresh(actor=None, credential=credential)
    return made


@pytest.fixture
def approved(org_tree, cell_secretary, member_user, document_types, private_dir):
    """A cell meeting that closed with approved minutes; the cell runs its term (numbers restart per term)."""
    TermFactory(organization=org_tree["cell_a"], name="2025–2030", start_date=datetime.date(2025, 9, 1))
    PositionTitle.objects.filter(name="Bí thư chi bộ").update(signature_title="BÍ THƯ")
    meeting = make_meeting(
        org_tree["cell_a"], created_by=cell_secretary, chair=cell_secretary, minute_taker=member_user
    )
    people = [delegate(meeting) for _ in range(3)]
    room_services.meeting_open(actor=cell_secretary, meeting=meeting)
    present(*people)
    vote = vote_services.vote_create(actor=cell_secretary, meeting=meeting, question="Thông qua nghị quyết tháng 3")
    vote_services.vote_open(actor=cell_secretary, vote=vote)
    for person in people:
        vote_services.ballot_cast(actor=person.user, vote=vote, choice="agree")
    vote_services.vote_close(actor=cell_secretary, vote=vote)
    room_services.meeting_close(actor=cell_secretary, meeting=meeting)
    minutes = services.minutes_assemble(actor=member_user, meeting=meeting)
    return services.minutes_approve(actor=cell_secretary, minutes=minutes)


def _read(stored) -> bytes:
    from partyhub.files import private_storage

    with private_storage().open(stored.storage_name, "rb") as f:
        return f.read()


def _text(data: bytes) -> str:
    from pdfminer.high_level import extract_text

    return " ".join(extract_text(io.BytesIO(data)).split())


def test_minutes_are_filed_signed_and_issued_as_a_bien_ban(approved, cell_secretary, credentials):
    minutes = services.minutes_file(actor=cell_secretary, minutes=approved)

    assert minutes.status == MinutesStatus.FILED
    document = minutes.document
    assert document.document_type.abbreviation == "BB" and document.document_type.name == "Biên bản"
    assert document.organization == approved.meeting.organization
    assert document.source == "uploaded" and document.signer == cell_secretary
    assert document.summary == "Biên bản Sinh hoạt chi bộ tháng 3"
    # The chair filed it and had approved the text already: the document waits for the chair's signature.
    assert document.status == OutgoingStatus.APPROVED
    version = OutgoingVersion.objects.get(document=document)
    assert version.uploaded_file.content_type == "application/pdf"
    final = _read(document.final_file)
    assert "3/3 tán thành (100,0%)" in _text(final)

    document = outgoing_services.outgoing_sign(actor=cell_secretary, document=document)
    assert document.status == OutgoingStatus.SIGNED
    document = outgoing_services.outgoing_issue(actor=cell_secretary, document=document)
    assert document.status == OutgoingStatus.ISSUED
    assert document.number == 1 and document.number_symbol == "01-BB/CB"
    issued = _read(document.issued_file)

    from documents.signing import verify_pdf

    report = verify_pdf(issued)
    signatures = getattr(report, "signatures", None) or report["signatures"]
    assert len(signatures) == 2  # the chair's and the cell's seal
    # The number and the date were written into the minutes' own fields before the seal.
    import pikepdf

    with pikepdf.open(io.BytesIO(issued)) as pdf:
        values = {str(f.T): str(f.get("/V", "")) for f in pdf.Root.AcroForm.Fields if "/T" in f}
    assert values["partyhub_number"] == "01"
    assert "ngày" in values["partyhub_date"]


def test_filing_twice_or_before_approval_is_refused(approved, cell_secretary, member_user):
    draft = Minutes.objects.get(pk=approved.pk)
    services.minutes_reopen(actor=cell_secretary, minutes=draft)
    draft.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        services.minutes_file(actor=cell_secretary, minutes=draft)
    assert exc.value.messages == ["Only approved minutes can be filed."]
    services.minutes_approve(actor=cell_secretary, minutes=draft)
    draft.refresh_from_db()
    filed = services.minutes_file(actor=cell_secretary, minutes=draft)
    with pytest.raises(ValidationError) as exc:
        services.minutes_file(actor=cell_secretary, minutes=filed)
    assert exc.value.messages == ["These minutes are already filed."]


def test_minute_taker_without_drafting_rights_is_told_who_files(approved, member_user):
    with pytest.raises(ValidationError) as exc:
        services.minutes_file(actor=member_user, minutes=approved)
    assert exc.value.messages == [
        "Only the office of the meeting's organization can file its minutes as a document: ask them to do it."
    ]
    assert Minutes.objects.get(pk=approved.pk).document is None


def test_filing_from_the_page(client, approved, cell_secretary):
    client.force_login(cell_secretary)
    response = client.post(reverse("meetings:minutes_action", args=[approved.meeting_id, "file"]), follow=True)
    html = response.content.decode()
    assert "The minutes are filed as an outgoing document" in html
    minutes = Minutes.objects.get(pk=approved.pk)
    assert minutes.status == MinutesStatus.FILED and minutes.document is not None
    assert "Filed as an outgoing document." in html
