# ruff: noqa: F811 - pytest fixtures imported from outgoing_support
"""Signing and issuing outgoing documents with the real render and signing modules and the test PKI: the signer
signs the final PDF, the clerk numbers, seals and issues it in one transaction; numbers run per organization,
type and term (classified documents in the same sequence, entered in the secret register); a failed issue gives
its number back and leaves no file; uploaded finished files; recall and correction."""

from __future__ import annotations

import datetime
import gc
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from documents.models import (
    AppliedSignature,
    Confidentiality,
    IncomingDocument,
    OutgoingDocument,
    OutgoingEvent,
    OutgoingStatus,
    RegisterCounter,
    SignatureKind,
)
from documents.services import outgoing as services
from documents.signing import verify_pdf
from members.models import Term
from partyhub.models import AuditEntry, Notification, StoredFile

from .outgoing_support import (  # noqa: F401 - fixtures
    clear,
    draft,
    flow,
    minimal_docx,
    plain_pdf,
    private_dir,
    read_stored,
    signed,
    stored_paths,
)

pytestmark = pytest.mark.django_db

S = OutgoingStatus


@pytest.fixture
def keys(signer_credential, seal_credential, make_credential, flow):
    """The leader's certificate, the commune committee's seal (used by its standing committee too) and the
    cell secretary's own certificate (who seals the cell's documents with the cell's)."""
    make_credential("signer", user=flow.cell_secretary, name="Chữ ký số bí thư chi bộ")
    make_credential("organization", organization=flow.cell, name="Chữ ký số Chi bộ ấp Phước Hưng")
    return signer_credential, seal_credential


def issue(flow, document, **kwargs):
    return services.outgoing_issue(actor=kwargs.pop("actor", flow.clerk), document=document, **kwargs)


def fields_of(data: bytes) -> dict:
    from pypdf import PdfReader

    return {name: field.get("/V") for name, field in (PdfReader(io.BytesIO(data)).get_fields() or {}).items()}


def test_sign_then_issue_numbers_seals_and_serves_the_recipients(
    flow, keys, celery_eager, django_capture_on_commit_callbacks
):
    document = signed(flow)
    assert document.status == S.SIGNED and document.signed_file is not None
    signer_signature = AppliedSignature.objects.get(document=document)
    assert (signer_signature.kind, signer_signature.signed_by, signer_signature.result_file) == (
        SignatureKind.SIGNER,
        flow.leader,
        document.signed_file,
    )
    assert Notification.objects.filter(
        recipient=flow.clerk, title=f"Signed, to number and issue: {document.summary}"
    ).exists()
    assert refused_message(services.outgoing_issue, actor=flow.drafter, document=document) == [
        "Only the clerk of the issuing organization can issue this document."
    ]

    with django_capture_on_commit_callbacks(execute=True):
        document = issue(flow, document)
    term = Term.objects.get(organization=flow.standing)
    assert document.status == S.ISSUED
    assert (document.number, document.number_symbol) == (1, "01-NQ/ĐU")
    assert document.period == f"term-{term.pk}"
    assert document.register.is_secret is False and document.register.organization == flow.standing
    assert document.issued_on == timezone.localdate() and document.issued_by == flow.clerk
    assert document.copies == 3  # two recipients and the file copy

    data = read_stored(document.issued_file)
    fields = fields_of(data)
    assert fields["partyhub_number"] == "01"
    assert fields["partyhub_date"].startswith("Gò Quao, ngày ")
    report = verify_pdf(data)
    assert report.valid, report.headline
    verdicts = [s.as_dict() for s in report.signatures]
    assert [(v["kind"], v["intact"], v["trusted"], v["modified_after_signing"]) for v in verdicts] == [
        ("signer", True, True, False),
        ("organization", True, True, False),
    ]
    assert set(AppliedSignature.objects.filter(document=document).values_list("kind", flat=True)) == {
        "signer",
        "organization",
    }
    event = document.events.get(kind="issued")
    assert event.actor == flow.clerk and "01-NQ/ĐU" in event.comment
    assert AuditEntry.objects.filter(
        object_type="documents.outgoingdocument", object_id=str(document.pk), action="other", changes__number=1
    ).exists()
    # After the commit: the cell (a recipient in PartyHub) has it in its incoming queue.
    copy = IncomingDocument.objects.get(organization=flow.cell)
    assert (copy.number_symbol, copy.sender_organization, copy.status) == ("01-NQ/ĐU", flow.standing, "draft")


def refused_message(call, **kwargs) -> list[str]:
    with pytest.raises(ValidationError) as raised:
        call(**kwargs)
    return raised.value.messages


def test_numbers_run_per_type_interleaved_and_classified_share_the_sequence(flow, keys):
    for user in (flow.drafter, flow.leader, flow.clerk):
        clear(user, Confidentiality.SECRET)
    nq1 = issue(flow, signed(flow))
    bc1 = issue(flow, signed(flow, type_name="Báo cáo", summary="Báo cáo tình hình quý III"))
    secret = signed(
        flow, confidentiality=Confidentiality.SECRET, body="", summary="Về công tác bảo vệ chính trị nội bộ"
    )
    assert secret.final_file is None and secret.signed_file is None
    assert secret.events.get(kind="signed").comment == "Signed on paper: no file is kept for documents of this level."
    nq2 = issue(flow, secret)
    bc2 = issue(flow, signed(flow, type_name="Báo cáo", summary="Báo cáo tình hình quý IV"))
    nq3 = issue(flow, signed(flow, summary="Về công tác phát triển đảng viên"))
    assert [d.number_symbol for d in (nq1, bc1, nq2, bc2, nq3)] == [
        "01-NQ/ĐU",
        "01-BC/ĐU",
        "02-NQ/ĐU",
        "02-BC/ĐU",
        "03-NQ/ĐU",
    ]
    # The classified one sits in the secret register, with no file, in the sequence of its type.
    assert nq2.register.is_secret and nq2.issued_file is None and nq2.period == nq1.period
    assert not nq1.register.is_secret and nq1.register == bc1.register == nq3.register
    counters = dict(
        RegisterCounter.objects.filter(register=nq1.register).values_list("document_type__abbreviation", "last_number")
    )
    assert counters == {"NQ": 3, "BC": 2}
    # Another organization (the cell) numbers from 1 too.
    cell_doc = signed(
        flow, actor=flow.cell_secretary, organization=flow.cell, signer=flow.cell_secretary, recipients=[]
    )
    assert issue(flow, cell_doc, actor=flow.cell_secretary).number_symbol == "01-NQ/CB"


def test_a_new_term_restarts_the_numbers(flow, keys):
    today = timezone.localdate()
    term = Term.objects.get(organization=flow.standing)
    term.start_date = today - datetime.timedelta(days=400)
    term.end_date = today - datetime.timedelta(days=31)
    term.save()
    Term.objects.create(organization=flow.standing, name="2026–2031", start_date=today - datetime.timedelta(days=30))
    old_day = today - datetime.timedelta(days=60)
    first, second = signed(flow), signed(flow, summary="Về công tác kiểm tra")
    assert refused_message(services.outgoing_issue, actor=flow.clerk, document=first, issued_on=old_day) == [
        "The issue date cannot be before the signer signed the document."
    ]
    OutgoingDocument.objects.filter(pk__in=[first.pk, second.pk]).update(
        signed_at=timezone.now() - datetime.timedelta(days=61)
    )  # signed back then, issued now with that day's date
    first = issue(flow, first, issued_on=old_day)
    second = issue(flow, second, issued_on=old_day)
    third = issue(flow, signed(flow, summary="Về công tác dân vận"))
    assert [(d.number, d.period) for d in (first, second, third)] == [
        (1, f"term-{term.pk}"),
        (2, f"term-{term.pk}"),
        (1, f"term-{Term.objects.get(name='2026–2031').pk}"),
    ]
    assert first.issued_on == old_day
    assert fields_of(read_stored(first.issued_file))["partyhub_date"].endswith(f"năm {old_day.year}")


def test_a_committee_body_without_its_own_term_numbers_in_the_term_of_its_committee(flow, keys):
    Term.objects.filter(organization=flow.standing).delete()
    commune_term = Term.objects.get(organization=flow.standing.parent)
    document = signed(flow)
    services.outgoing_issue(actor=flow.clerk, document=document)
    document.refresh_from_db()
    assert (document.number, document.period) == (1, f"term-{commune_term.pk}")


def test_no_term_no_number(flow, keys):
    Term.objects.filter(organization__in=[flow.standing, flow.standing.parent]).delete()
    document = signed(flow)
    messages = refused_message(services.outgoing_issue, actor=flow.clerk, document=document)
    today = f"{timezone.localdate():%d/%m/%Y}"
    assert messages == [
        f"Ban Thường vụ Đảng ủy xã Gò Quao has no term on {today}, and this register is numbered by term."
    ]
    document.refresh_from_db()
    assert document.status == S.SIGNED and document.number is None


def test_a_failed_issue_gives_the_number_back_and_leaves_no_file(flow, keys, private_dir, monkeypatch):
    document = signed(flow)
    files_before = stored_paths(private_dir)
    rows_before = StoredFile.objects.count()

    real = services._transition

    def fail_after_storing(doc, **kwargs):
        if kwargs.get("kind") == "issued":
            raise RuntimeError("the disk filled up while recording the entry")
        return real(doc, **kwargs)

    monkeypatch.setattr(services, "_transition", fail_after_storing)
    with pytest.raises(RuntimeError):
        issue(flow, document)
    gc.collect()  # the rollback sentinel of partyhub.files deletes the bytes when it is collected
    assert StoredFile.objects.count() == rows_before
    assert stored_paths(private_dir) == files_before
    document.refresh_from_db()
    assert (document.status, document.number, document.issued_file) == (S.SIGNED, None, None)
    assert not RegisterCounter.objects.filter(last_number__gt=0).exists()
    assert not AppliedSignature.objects.filter(document=document, kind="organization").exists()

    monkeypatch.setattr(services, "_transition", real)
    assert issue(flow, document).number == 1  # no gap: the number was given back


def test_a_seal_that_cannot_be_opened_takes_no_number(flow, keys, monkeypatch):
    document = signed(flow)
    monkeypatch.delenv("PARTYHUB_TEST_SEAL_PASSPHRASE")
    messages = refused_message(services.outgoing_issue, actor=flow.clerk, document=document)
    assert len(messages) == 1 and "PARTYHUB_TEST_SEAL_PASSPHRASE" in messages[0]
    assert not RegisterCounter.objects.filter(last_number__gt=0).exists()
    document.refresh_from_db()
    assert document.status == S.SIGNED


def test_without_certificates_nothing_is_signed(flow, signer_credential):
    document = draft(flow, actor=flow.cell_secretary, organization=flow.cell, signer=flow.cell_secretary, recipients=[])
    document = services.outgoing_submit(actor=flow.cell_secretary, document=document)
    document = services.outgoing_approve(actor=flow.cell_secretary, document=document)
    assert refused_message(services.outgoing_sign, actor=flow.cell_secretary, document=document) == [
        "You have no signing certificate: ask the administrator to configure yours."
    ]
    document = signed(flow)
    assert refused_message(services.outgoing_issue, actor=flow.clerk, document=document) == [
        "Ban Thường vụ Đảng ủy xã Gò Quao has no signing certificate: ask the administrator to configure it."
    ]


def test_an_uploaded_pdf_is_signed_as_it_is_and_the_seal_carries_the_number(flow, keys):
    original = plain_pdf()
    document = services.outgoing_create(
        actor=flow.drafter,
        organization=flow.standing,
        document_type=flow.types["Báo cáo"],
        summary="Báo cáo tổng kết năm 2026",
        signer=flow.leader,
        upload=SimpleUploadedFile("Báo cáo tổng kết.pdf", original, content_type="application/pdf"),
    )
    version = document.versions.get()
    assert document.source == "uploaded" and version.uploaded_file.original_name == "Báo cáo tổng kết.pdf"
    document = services.outgoing_submit(actor=flow.drafter, document=document)
    document = services.outgoing_approve(actor=flow.leader, document=document)
    assert document.final_file == version.uploaded_file  # used as it is
    document = services.outgoing_sign(actor=flow.leader, document=document)
    document = issue(flow, document)
    data = read_stored(document.issued_file)
    assert data.startswith(original)  # incremental updates only: the finished file is untouched
    report = verify_pdf(data)
    assert report.valid, report.headline
    from pypdf import PdfReader

    reasons = [
        field.get("/V", {}).get("/Reason")
        for field in (PdfReader(io.BytesIO(data)).get_fields() or {}).values()
        if field.get("/FT") == "/Sig"
    ]
    assert "Số 01-BC/ĐU, Gò Quao, ngày " in reasons[-1]


def test_an_uploaded_docx_gets_a_pdf_rendition(flow, keys):
    document = services.outgoing_create(
        actor=flow.drafter,
        organization=flow.standing,
        document_type=flow.types["Kế hoạch"],
        summary="Kế hoạch tổ chức đại hội",
        signer=flow.leader,
        upload=SimpleUploadedFile("Kế hoạch.docx", minimal_docx()),
    )
    version = document.versions.get()
    assert version.uploaded_file.original_name == "Kế hoạch.docx"
    assert version.rendition is not None and version.rendition.content_type == "application/pdf"
    assert "Kế hoạch tổ chức đại hội chi bộ" in _pdf_text(read_stored(version.rendition))
    # A later save without a new file keeps the same file.
    services.outgoing_update(actor=flow.drafter, document=document, summary="Kế hoạch tổ chức đại hội chi bộ")
    latest = document.versions.order_by("-number").first()
    assert (latest.number, latest.uploaded_file, latest.rendition) == (2, version.uploaded_file, version.rendition)
    document = services.outgoing_submit(actor=flow.drafter, document=document)
    document = services.outgoing_approve(actor=flow.leader, document=document)
    assert document.final_file == version.rendition


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_uploads_are_checked(flow):
    with pytest.raises(ValidationError) as raised:
        services.outgoing_create(
            actor=flow.drafter,
            organization=flow.standing,
            document_type=flow.types["Báo cáo"],
            summary="Báo cáo",
            upload=SimpleUploadedFile("anh.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100),
        )
    assert "upload" in raised.value.message_dict
    assert not StoredFile.objects.exists()
    messages = refused_message(
        services.outgoing_create,
        actor=flow.drafter,
        organization=flow.standing,
        document_type=flow.types["Báo cáo"],
        summary="Báo cáo",
        source="uploaded",
    )
    assert messages == ["Choose the file of the finished document."]


def test_recall_and_correct(flow, keys, django_capture_on_commit_callbacks, celery_eager):
    with django_capture_on_commit_callbacks(execute=True):
        original = issue(flow, signed(flow))
    assert refused_message(services.outgoing_void, actor=flow.drafter, document=original, reason="x") == [
        "An issued document cannot be voided: recall it or issue a correction."
    ]
    assert refused_message(services.outgoing_recall, actor=flow.drafter, document=original, reason="Sai sót") == [
        "Only the clerk of the issuing organization or the signer can recall this document."
    ]
    assert refused_message(services.outgoing_recall, actor=flow.clerk, document=original, reason=" ") == [
        "Give the reason for the recall."
    ]
    original = services.outgoing_recall(actor=flow.leader, document=original, reason="Sai số liệu ở Điều 2")
    assert (original.status, original.recall_reason, original.number) == (S.RECALLED, "Sai số liệu ở Điều 2", 1)
    copy_people_told = Notification.objects.filter(kind="document_recalled").count()
    assert copy_people_told >= 1
    assert refused_message(services.outgoing_recall, actor=flow.clerk, document=original, reason="x") == [
        "Only an issued document can be recalled."
    ]

    correction = services.outgoing_correct(actor=flow.drafter, document=original)
    assert (correction.status, correction.corrects, correction.number) == (S.DRAFT, original, None)
    assert (correction.summary, correction.body, correction.signer) == (
        original.summary,
        original.body,
        original.signer,
    )
    assert list(correction.recipients.values_list("name", flat=True)) == list(
        original.recipients.values_list("name", flat=True)
    )
    assert correction.versions.get().note == "Corrects 01-NQ/ĐU"
    services.outgoing_update(actor=flow.drafter, document=correction, body="<p>Nội dung đã sửa số liệu.</p>")
    correction = services.outgoing_submit(actor=flow.drafter, document=correction)
    correction = services.outgoing_approve(actor=flow.leader, document=correction)
    correction = services.outgoing_sign(actor=flow.leader, document=correction)
    correction = issue(flow, correction)
    assert correction.number_symbol == "02-NQ/ĐU"  # the recalled one keeps 01
    assert OutgoingEvent.objects.filter(document=original, kind="corrected", comment="02-NQ/ĐU").exists()


def test_a_damaged_signed_file_is_refused_before_numbering(flow, keys):
    from partyhub.files import store_bytes

    document = signed(flow)
    document.signed_file = store_bytes(b"%PDF-1.7\n garbage", name="x.pdf", content_type="application/pdf", actor=None)
    document.save(update_fields=["signed_file"])
    assert refused_message(services.outgoing_issue, actor=flow.clerk, document=document) == [
        "The signed PDF cannot be read, so it cannot be sealed and issued. Tell the administrator."
    ]
    assert not RegisterCounter.objects.exists()
