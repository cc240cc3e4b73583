# ruff: noqa: F811 - pytest fixtures imported from outgoing_support
"""Distribution of issued documents (issue 5 point 6): a document sent from the standing committee to a cell is
found in the cell's incoming queue as a draft with a copy of the signed file and a valid signature check; the
electronic exchange runs once however often it is started; outside recipients are recorded; a recall and a
correction are visible to the recipients, who are told."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from documents.models import (
    DeliveryMethod,
    DocumentFile,
    FileRole,
    IncomingDocument,
    IncomingStatus,
    OutgoingEvent,
    OutgoingEventKind,
    OutgoingRecipient,
    OutgoingStatus,
    ProcessingState,
    ReceivedVia,
    SignatureCheck,
)
from documents.services.distribution import distribution_recall, outgoing_distribute, recipient_mark_sent
from documents.services.handling import incoming_direct
from documents.services.registering import incoming_register
from partyhub.files import private_storage
from partyhub.models import Notification

from .dist_support import issued_document, private_storage_in
from .outgoing_support import flow, private_dir  # noqa: F401 - fixtures of the workflow tests

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def pdf(signer_credential, seal_credential, fields_pdf):
    """The issued file as ``outgoing_issue`` makes it, with the real signing module and the test PKI of
    ``tests/documents/conftest.py``: the signer's PAdES signature, then the organization's with the number and
    the date filled in the same incremental update."""
    from documents.signing import sign_pdf

    signed = sign_pdf(fields_pdf, credential=signer_credential, kind="signer")
    return sign_pdf(
        signed,
        credential=seal_credential,
        kind="organization",
        field_values={"partyhub_number": "05", "partyhub_date": "Gò Quao, ngày 05 tháng 11 năm 2026"},
    )


@pytest.fixture(autouse=True)
def setup(settings, tmp_path, pki_files, celery_eager):
    """Private files in a temporary directory; ``pki_files`` trusts the test root."""
    private_storage_in(settings, tmp_path / "private")


@pytest.fixture
def resolution(org_tree, document_types, clerk, pdf):
    """A resolution of the standing committee to cell A (in PartyHub), the province (external) and a newspaper."""
    return issued_document(
        organization=org_tree["standing"],
        document_type=document_types["Nghị quyết"],
        drafted_by=clerk,
        pdf=pdf,
        recipients=[org_tree["cell_a"], org_tree["province"], "Báo Kiên Giang"],
    )


def _distribute(django_capture_on_commit_callbacks, document):
    with django_capture_on_commit_callbacks(execute=True):
        return outgoing_distribute(document_id=document.pk)


def _read(stored) -> bytes:
    with private_storage().open(stored.storage_name, "rb") as f:
        return f.read()


def test_a_document_sent_to_a_cell_is_a_draft_in_its_incoming_queue_with_a_valid_signature(
    resolution, org_tree, pdf, cell_secretary, client, django_capture_on_commit_callbacks
):
    copies = _distribute(django_capture_on_commit_callbacks, resolution)

    assert len(copies) == 1
    copy = IncomingDocument.objects.get(pk=copies[0].pk)
    assert copy.organization == org_tree["cell_a"]
    assert copy.status == IncomingStatus.DRAFT and copy.number is None
    assert copy.received_via == ReceivedVia.INTERNAL
    assert copy.sender == "Ban Thường vụ Đảng ủy xã Gò Quao"
    assert copy.sender_organization == org_tree["standing"]
    assert copy.number_symbol == "05-NQ/ĐU"
    assert copy.document_date == resolution.issued_on
    assert copy.document_type == resolution.document_type
    assert copy.summary == resolution.summary
    assert copy.signer_name == "Nguyễn Văn Đức"
    # The signed file, byte for byte, in a NEW stored file (never the issuer's row).
    original = DocumentFile.objects.get(incoming=copy, role=FileRole.ORIGINAL)
    assert original.stored_file_id != resolution.issued_file_id
    assert original.stored_file.sha256 == resolution.issued_file.sha256
    assert _read(original.stored_file) == pdf
    # Digitized like any received file: the signature checked, the text read, no OCR copy of a signed PDF.
    assert copy.processing_state == ProcessingState.DONE
    checks = list(SignatureCheck.objects.filter(file=original).order_by("signed_at", "pk"))
    assert [c.signer_name for c in checks] == ["Nguyễn Văn Đức", "Đảng ủy xã Gò Quao"]
    assert all(c.intact and c.trusted and not c.modified_after_signing for c in checks)
    assert not DocumentFile.objects.filter(incoming=copy, role=FileRole.SEARCHABLE).exists()
    assert "quốc phòng, an ninh" in copy.extracted_text
    # The cell's secretary finds it among the drafts to register, and was told.
    client.force_login(cell_secretary)
    drafts = client.get(reverse("documents:drafts"))
    assert f'id="draft-{copy.pk}"' in drafts.content.decode()
    page = client.get(reverse("documents:detail", args=[copy.pk])).content.decode()
    assert "Valid signature" in page and "05-NQ/ĐU" in page
    note = Notification.objects.get(recipient=cell_secretary, kind="document_received_internal")
    assert "05-NQ/ĐU" in note.title and note.url == reverse("documents:detail", args=[copy.pk])
    # The issuer's side: delivered, with the method and time, and the history says so.
    recipient = OutgoingRecipient.objects.get(document=resolution, organization=org_tree["cell_a"])
    assert recipient.delivered == copy
    assert recipient.method == DeliveryMethod.INTERNAL and recipient.sent_at is not None
    event = OutgoingEvent.objects.get(document=resolution, kind=OutgoingEventKind.DELIVERED)
    assert "Chi bộ ấp Phước Hưng" in event.comment
    # The external province committee and the newspaper are outside recipients: nothing delivered.
    assert (
        not OutgoingRecipient.objects.filter(document=resolution, delivered__isnull=False)
        .exclude(pk=recipient.pk)
        .exists()
    )
    assert IncomingDocument.objects.filter(received_via=ReceivedVia.INTERNAL).count() == 1


def test_a_cell_with_a_secretary_is_told_through_her_and_others_through_the_clerks(
    org_tree, document_types, clerk, cell_secretary, pdf, django_capture_on_commit_callbacks
):
    document = issued_document(
        organization=org_tree["standing"],
        document_type=document_types["Nghị quyết"],
        drafted_by=clerk,
        pdf=pdf,
        recipients=[org_tree["cell_a"], org_tree["cell_b"]],
    )
    _distribute(django_capture_on_commit_callbacks, document)
    told = Notification.objects.filter(kind="document_received_internal")
    assert sorted(told.values_list("recipient__username", flat=True)) == ["cellsec", "clerk"]
    clerk_note = told.get(recipient=clerk)
    copy_b = IncomingDocument.objects.get(organization=org_tree["cell_b"])
    assert clerk_note.url == reverse("documents:detail", args=[copy_b.pk])


def test_the_recipients_clerk_registers_the_copy_with_the_normal_incoming_flow(
    resolution, org_tree, cell_secretary, django_capture_on_commit_callbacks
):
    (copy,) = _distribute(django_capture_on_commit_callbacks, resolution)
    copy.refresh_from_db()
    registered = incoming_register(
        actor=cell_secretary,
        document=copy,
        sender=copy.sender,
        sender_organization=copy.sender_organization,
        number_symbol=copy.number_symbol,
        document_date=copy.document_date,
        document_type=copy.document_type,
        summary=copy.summary,
        signer_name=copy.signer_name,
        confidentiality="",
        urgency="",
        received_on=copy.received_on,
    )
    assert registered.status == IncomingStatus.REGISTERED and registered.number == 1


def test_distributing_twice_delivers_once(resolution, org_tree, django_capture_on_commit_callbacks):
    first = _distribute(django_capture_on_commit_callbacks, resolution)
    second = _distribute(django_capture_on_commit_callbacks, resolution)
    assert len(first) == 1 and second == []
    assert IncomingDocument.objects.filter(organization=org_tree["cell_a"]).count() == 1
    assert OutgoingEvent.objects.filter(document=resolution, kind=OutgoingEventKind.DELIVERED).count() == 1


def test_the_task_is_thin_and_idempotent(resolution, org_tree, django_capture_on_commit_callbacks):
    from documents.tasks import distribute_outgoing

    with django_capture_on_commit_callbacks(execute=True):
        assert distribute_outgoing(resolution.pk) == 1
    assert distribute_outgoing(resolution.pk) == 0
    assert distribute_outgoing(999_999) == 0


def test_a_document_not_issued_is_not_distributed(resolution, django_capture_on_commit_callbacks):
    resolution.status = OutgoingStatus.RECALLED
    resolution.save(update_fields=["status"])
    assert _distribute(django_capture_on_commit_callbacks, resolution) == []
    assert not IncomingDocument.objects.filter(received_via=ReceivedVia.INTERNAL).exists()


def test_a_duplicate_is_flagged_as_for_other_drafts(
    resolution, org_tree, pdf, cell_secretary, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from documents.services.receiving import incoming_receive_files

    with django_capture_on_commit_callbacks(execute=True):
        (earlier,) = incoming_receive_files(
            actor=cell_secretary, organization=org_tree["cell_a"], files=[SimpleUploadedFile("nq.pdf", pdf)]
        )
    (copy,) = _distribute(django_capture_on_commit_callbacks, resolution)
    copy.refresh_from_db()
    assert copy.duplicate_of_id == earlier.pk


def test_a_classified_document_travels_as_metadata_only(
    org_tree, document_types, clerk, cell_secretary, django_capture_on_commit_callbacks
):
    from .factories import ClearanceFactory

    ClearanceFactory(user=cell_secretary, level="mat")
    secret = issued_document(
        organization=org_tree["standing"],
        document_type=document_types["Nghị quyết"],
        drafted_by=clerk,
        confidentiality="mat",
        summary="Về công tác bảo vệ chính trị nội bộ",
        recipients=[org_tree["cell_a"]],
    )
    (copy,) = _distribute(django_capture_on_commit_callbacks, secret)
    copy.refresh_from_db()
    assert copy.confidentiality == "mat"
    assert not copy.files.exists()
    assert copy.processing_state == ProcessingState.DONE
    assert "Classified document" in copy.notes
    note = Notification.objects.get(recipient=cell_secretary, kind="document_received_internal")
    assert "bảo vệ chính trị" not in note.title and note.body == ""


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_two_concurrent_runs_deliver_once(org_tree, document_types, clerk, pdf, settings, tmp_path):
    import threading

    from django.db import connection

    document = issued_document(
        organization=org_tree["standing"],
        document_type=document_types["Nghị quyết"],
        drafted_by=clerk,
        pdf=pdf,
        recipients=[org_tree["cell_a"], org_tree["cell_b"]],
    )
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(len(outgoing_distribute(document_id=document.pk)))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert sorted(results) == [0, 2]
    assert IncomingDocument.objects.filter(received_via=ReceivedVia.INTERNAL).count() == 2
    originals = DocumentFile.objects.filter(incoming__received_via=ReceivedVia.INTERNAL, role=FileRole.ORIGINAL)
    assert originals.count() == 2


# --- outside recipients -------------------------------------------------------------------------------------


def test_an_outside_recipient_is_recorded_with_how_and_when(resolution, clerk):
    newspaper = OutgoingRecipient.objects.get(document=resolution, name="Báo Kiên Giang")
    when = timezone.now() - datetime.timedelta(hours=1)
    recipient_mark_sent(actor=clerk, recipient=newspaper, method=DeliveryMethod.POST, sent_at=when, note="  RR 123  ")
    newspaper.refresh_from_db()
    assert newspaper.method == DeliveryMethod.POST
    assert newspaper.sent_at == when and newspaper.sent_by == clerk and newspaper.note == "RR 123"
    event = OutgoingEvent.objects.get(document=resolution, kind=OutgoingEventKind.SENT)
    assert event.actor == clerk and "Báo Kiên Giang" in event.comment and "Post" in event.comment


def test_marking_sent_refuses_bad_input_and_other_people(resolution, org_tree, clerk, member_user):
    from django.core.exceptions import PermissionDenied, ValidationError

    newspaper = OutgoingRecipient.objects.get(document=resolution, name="Báo Kiên Giang")
    cell = OutgoingRecipient.objects.get(document=resolution, organization=org_tree["cell_a"])
    with pytest.raises(PermissionDenied):
        recipient_mark_sent(actor=member_user, recipient=newspaper, method="post", sent_at=None, note="")
    with pytest.raises(ValidationError) as refused:
        recipient_mark_sent(actor=clerk, recipient=newspaper, method="pigeon", sent_at=None, note="")
    assert refused.value.message_dict["method"] == ["Choose how the document was sent."]
    with pytest.raises(ValidationError) as refused:
        recipient_mark_sent(
            actor=clerk, recipient=newspaper, method="post", sent_at=timezone.now() + datetime.timedelta(days=2)
        )
    assert refused.value.message_dict["sent_at"] == ["The time sent cannot be in the future."]
    with pytest.raises(ValidationError) as refused:
        recipient_mark_sent(actor=clerk, recipient=cell, method="post")
    assert "delivered to its incoming queue automatically" in refused.value.messages[0]
    newspaper.refresh_from_db()
    assert newspaper.sent_at is None and not OutgoingEvent.objects.filter(kind=OutgoingEventKind.SENT).exists()


def test_the_delivery_panel_marks_sent_with_htmx(resolution, clerk, member_user, client):
    from django.template import RequestContext, Template
    from django.test import RequestFactory

    newspaper = OutgoingRecipient.objects.get(document=resolution, name="Báo Kiên Giang")
    url = reverse("documents:recipient_mark_sent", args=[newspaper.pk])
    client.force_login(member_user)
    assert client.post(url, {"method": "post"}, **HX).status_code == 404
    client.force_login(clerk)
    refused = client.post(url, {"method": ""}, **HX)
    assert refused.status_code == 200 and "This field is required." in refused.content.decode()
    answer = client.post(url, {"method": "email", "sent_at": "", "note": "vanthu@kiengiang.vn"}, **HX)
    html = answer.content.decode()
    assert 'id="delivery-panel"' in html and "Sent: E-mail" in html and "vanthu@kiengiang.vn" in html
    newspaper.refresh_from_db()
    assert newspaper.method == DeliveryMethod.EMAIL
    # The include the outgoing page uses renders the same panel for the clerk.
    request = RequestFactory().get("/")
    request.user = clerk
    rendered = Template('{% include "documents/outgoing/_delivery.html" %}').render(
        RequestContext(request, {"document": resolution})
    )
    assert "Recipients and delivery" in rendered and "Tỉnh ủy An Giang" in rendered
    assert reverse("documents:recipient_mark_sent", args=[newspaper.pk]) in rendered


# --- recall and correction ----------------------------------------------------------------------------------


def _recall(document, actor, reason):
    document.status = OutgoingStatus.RECALLED
    document.recalled_at = timezone.now()
    document.recall_reason = reason
    document.save(update_fields=["status", "recalled_at", "recall_reason"])
    return distribution_recall(actor=actor, document=document, reason=reason)


def test_a_recall_is_visible_to_the_recipient_and_its_people_are_told(
    resolution, org_tree, clerk, cell_secretary, member_user, client, django_capture_on_commit_callbacks
):
    (copy,) = _distribute(django_capture_on_commit_callbacks, resolution)
    copy.refresh_from_db()
    copy = incoming_register(
        actor=cell_secretary,
        document=copy,
        sender=copy.sender,
        number_symbol=copy.number_symbol,
        document_date=copy.document_date,
        document_type=copy.document_type,
        summary=copy.summary,
        received_on=copy.received_on,
    )
    incoming_direct(actor=cell_secretary, document=copy, lead=member_user, instructions="Triển khai ở chi bộ")
    Notification.objects.all().delete()

    assert _recall(resolution, clerk, "Sai thể thức, sẽ ban hành lại") == 1

    told = set(Notification.objects.filter(kind="document_recalled").values_list("recipient__username", flat=True))
    assert told == {"cellsec", "member"}
    note = Notification.objects.get(recipient=member_user, kind="document_recalled")
    assert "05-NQ/ĐU" in note.title and note.body == "Sai thể thức, sẽ ban hành lại"
    day = timezone.localdate().strftime("%d/%m/%Y")
    client.force_login(member_user)
    page = client.get(reverse("documents:detail", args=[copy.pk])).content.decode()
    assert f"Recalled by the issuer on {day}: Sai thể thức, sẽ ban hành lại" in page
    # Lists mark it too: the queue of the lead handler, the search page of the secretary.
    assert "Recalled by the issuer" in client.get(reverse("documents:index")).content.decode()
    client.force_login(cell_secretary)
    assert "Recalled by the issuer" in client.get(reverse("documents:search")).content.decode()


def test_a_recalled_draft_is_marked_in_the_drafts_list(
    resolution, clerk, cell_secretary, client, django_capture_on_commit_callbacks
):
    (copy,) = _distribute(django_capture_on_commit_callbacks, resolution)
    _recall(resolution, clerk, "Ban hành nhầm")
    client.force_login(cell_secretary)
    html = client.get(reverse("documents:drafts")).content.decode()
    row = html[html.index(f'id="draft-{copy.pk}"') :]
    assert "Recalled by the issuer" in row[: row.index("</tr>")]


def test_a_correction_links_the_recipients_copy_of_the_original(
    resolution,
    org_tree,
    document_types,
    clerk,
    cell_secretary,
    member_user,
    pdf,
    client,
    django_capture_on_commit_callbacks,
):
    (old_copy,) = _distribute(django_capture_on_commit_callbacks, resolution)
    Notification.objects.all().delete()
    correction = issued_document(
        organization=org_tree["standing"],
        document_type=document_types["Nghị quyết"],
        drafted_by=clerk,
        number=6,
        pdf=pdf,
        corrects=resolution,
        summary="Về đẩy mạnh chuyển đổi số (thay thế Nghị quyết số 05-NQ/ĐU)",
        recipients=[org_tree["cell_a"]],
    )
    (new_copy,) = _distribute(django_capture_on_commit_callbacks, correction)

    client.force_login(cell_secretary)
    page = client.get(reverse("documents:detail", args=[old_copy.pk])).content.decode()
    link = reverse("documents:detail", args=[new_copy.pk])
    assert "Corrected by" in page and f'<a href="{link}">06-NQ/ĐU</a>' in page
    assert "Corrected" in client.get(reverse("documents:drafts")).content.decode()
    note = Notification.objects.get(recipient=cell_secretary, kind="document_corrected")
    assert note.title == "05-NQ/ĐU was corrected by 06-NQ/ĐU" and note.url == reverse(
        "documents:detail", args=[old_copy.pk]
    )
    # Someone who sees the old copy but not the new one gets the number without a link.
    old_copy.refresh_from_db()
    old_copy = incoming_register(
        actor=cell_secretary,
        document=old_copy,
        sender=old_copy.sender,
        number_symbol=old_copy.number_symbol,
        document_date=old_copy.document_date,
        summary=old_copy.summary,
        received_on=old_copy.received_on,
    )
    incoming_direct(actor=cell_secretary, document=old_copy, lead=member_user)
    client.force_login(member_user)
    page = client.get(reverse("documents:detail", args=[old_copy.pk])).content.decode()
    assert "06-NQ/ĐU" in page and link not in page


def test_list_pages_read_the_states_once(
    resolution,
    org_tree,
    document_types,
    clerk,
    cell_secretary,
    pdf,
    client,
    django_capture_on_commit_callbacks,
    django_assert_num_queries,
):
    """The drafts table with one internal copy and with three costs the same number of queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _distribute(django_capture_on_commit_callbacks, resolution)
    _recall(resolution, clerk, "Ban hành nhầm")
    client.force_login(cell_secretary)
    client.get(reverse("documents:drafts"))  # warm the session
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("documents:drafts"))
    for number in (7, 8):
        extra = issued_document(
            organization=org_tree["standing"],
            document_type=document_types["Nghị quyết"],
            drafted_by=clerk,
            number=number,
            pdf=pdf,
            recipients=[org_tree["cell_a"]],
        )
        _distribute(django_capture_on_commit_callbacks, extra)
        _recall(extra, clerk, "Ban hành nhầm")
    with CaptureQueriesContext(connection) as three:
        html = client.get(reverse("documents:drafts")).content.decode()
    assert html.count("Recalled by the issuer") == 3
    assert len(three) == len(one)


def test_the_outgoing_page_shows_the_delivery_and_library_panels(
    resolution, org_tree, clerk, client, django_capture_on_commit_callbacks
):
    _distribute(django_capture_on_commit_callbacks, resolution)
    client.force_login(clerk)
    response = client.get(reverse("documents:outgoing_detail", args=[resolution.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="delivery-panel"' in html and "Delivered to its incoming queue on" in html
    assert (
        "Not sent yet" in html
        and reverse(
            "documents:recipient_mark_sent",
            args=[OutgoingRecipient.objects.get(document=resolution, name="Báo Kiên Giang").pk],
        )
        in html
    )
    assert 'id="publish-panel"' in html and reverse("documents:outgoing_publish", args=[resolution.pk]) in html


# --- the whole path, with the workflow's own services -------------------------------------------------------


def test_issued_by_the_workflow_then_recalled_the_cell_sees_both(
    flow, signer_credential, seal_credential, client, django_capture_on_commit_callbacks
):
    """signed → issued by the clerk (real render, real signatures) → delivered after the commit → recalled."""
    from documents.services import outgoing as workflow

    from .outgoing_support import signed

    document = signed(flow)
    with django_capture_on_commit_callbacks(execute=True):
        document = workflow.outgoing_issue(actor=flow.clerk, document=document)
    copy = IncomingDocument.objects.get(organization=flow.cell, received_via=ReceivedVia.INTERNAL)
    assert copy.number_symbol == document.number_symbol and copy.status == IncomingStatus.DRAFT
    original = copy.files.get(role=FileRole.ORIGINAL)
    assert original.stored_file.sha256 == document.issued_file.sha256
    checks = SignatureCheck.objects.filter(file=original)
    assert checks.count() == 2 and all(c.intact and c.trusted and not c.modified_after_signing for c in checks)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.outgoing_recall(actor=flow.clerk, document=document, reason="Sai sót về thể thức")
    client.force_login(flow.cell_secretary)
    page = client.get(reverse("documents:detail", args=[copy.pk])).content.decode()
    day = timezone.localdate().strftime("%d/%m/%Y")
    assert f"Recalled by the issuer on {day}: Sai sót về thể thức" in page
    assert Notification.objects.filter(recipient=flow.cell_secretary, kind="document_recalled").exists()
