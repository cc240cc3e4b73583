# ruff: noqa: F811 - pytest fixtures imported from outgoing_support
"""Issuing under concurrency on PostgreSQL: clerks in several real processes issue signed documents of two types
of the same organization at the same time (and some issues fail after taking their number: a damaged signed
file). Every type's numbers must be 1..n, each once, with no gap left by the failures; every issued PDF carries
its own number in its filled field, and the failed ones left no number and no file behind. (The failing ones
carry a PDF that was numbered and sealed already: the signing module refuses to fill its number again, after
the number was taken.)

The signed documents are prepared once through the real workflow (render, the signer's PAdES signature) and
then copied straight in the tables (same signed PDF, status "signed"), so the test spends its time issuing."""

from __future__ import annotations

import io
import multiprocessing

import pytest
from django.db import connections

from documents.models import DocumentFile, OutgoingDocument, OutgoingStatus, RegisterCounter
from partyhub.models import StoredFile

from .outgoing_support import flow, private_dir, read_stored, signed, stored_paths  # noqa: F401 - fixtures

WORKERS = 6
PER_WORKER = 5
BROKEN = 3  # documents whose "signed" file is sealed already: their issue fails after the number was taken


def _worker(barrier, clerk_pk: int, document_pks: list[int], results) -> None:
    from django.contrib.auth import get_user_model

    from documents.services.outgoing import outgoing_issue

    connections.close_all()  # never share the parent's socket
    try:
        clerk = get_user_model().objects.get(pk=clerk_pk)
        barrier.wait(timeout=120)
        issued, failed = [], []
        for pk in document_pks:
            try:
                document = outgoing_issue(actor=clerk, document=OutgoingDocument.objects.get(pk=pk))
            except Exception as exc:
                failed.append((pk, type(exc).__name__, str(exc)[:200]))
            else:
                issued.append((pk, document.document_type_id, document.number))
        results.put(("ok", issued, failed))
    except BaseException as exc:  # report, never hang the parent
        results.put(("error", repr(exc), []))
    finally:
        connections.close_all()


def _copy_signed(template: OutgoingDocument, *, document_type, summary: str, signed_file=None) -> int:
    copy = OutgoingDocument.objects.create(
        organization=template.organization,
        document_type=document_type,
        status=OutgoingStatus.SIGNED,
        summary=summary,
        body=template.body,
        drafted_by=template.drafted_by,
        signer=template.signer,
        signer_title=template.signer_title,
        signer_name=template.signer_name,
        collective_name=template.collective_name,
        final_file=template.final_file,
        signed_file=signed_file or template.signed_file,
        file_copy_unit=template.file_copy_unit,
    )
    return copy.pk


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_clerks_get_gapless_unique_numbers_per_type(flow, signer_credential, seal_credential, private_dir):
    nq = flow.types["Nghị quyết"]
    bc = flow.types["Báo cáo"]
    from documents.services.outgoing import outgoing_issue

    template = signed(flow)
    sealed = outgoing_issue(actor=flow.clerk, document=signed(flow, summary="Đã ban hành trước"))  # 01-NQ/ĐU
    broken_pdf = sealed.issued_file
    pks = [template.pk]
    total = WORKERS * PER_WORKER
    for index in range(1, total):
        pks.append(
            _copy_signed(
                template,
                document_type=bc if index % 2 else nq,
                summary=f"Văn bản thử số {index}",
                signed_file=broken_pdf if index % 10 == 3 else None,
            )
        )
    broken = {pk for i, pk in enumerate(pks) if i % 10 == 3}
    assert len(broken) == BROKEN

    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(WORKERS)
    results = context.Queue()
    connections.close_all()
    processes = [
        context.Process(target=_worker, args=(barrier, flow.clerk.pk, pks[i::WORKERS], results)) for i in range(WORKERS)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    errors = [detail for status, detail, _failed in outcomes if status != "ok"]
    assert not errors, errors

    issued = [row for _status, batch, _failed in outcomes for row in batch]
    failed = [row for _status, _batch, batch in outcomes for row in batch]
    assert {pk for pk, _kind, _message in failed} == broken
    assert all(kind == "SigningError" for _pk, kind, _message in failed), failed
    for document_type in (nq, bc):
        numbers = sorted(number for _pk, type_id, number in issued if type_id == document_type.pk)
        if document_type == nq:
            numbers = [sealed.number, *numbers]  # issued before the race
        assert numbers == list(range(1, len(numbers) + 1)), document_type.name  # gapless, each once
        stored = sorted(
            OutgoingDocument.objects.filter(document_type=document_type, status="issued").values_list(
                "number", flat=True
            )
        )
        assert stored == numbers
        counter = RegisterCounter.objects.get(register__organization=flow.standing, document_type=document_type)
        assert counter.last_number == len(numbers)
    assert len(issued) == total - BROKEN
    assert all("already numbered" in message for _pk, _kind, message in failed), failed

    # Each issued PDF carries its own number; the failed ones kept nothing.
    from pypdf import PdfReader

    for document in OutgoingDocument.objects.filter(status="issued").select_related("issued_file"):
        fields = PdfReader(io.BytesIO(read_stored(document.issued_file))).get_fields()
        assert fields["partyhub_number"].get("/V") == f"{document.number:02d}"
    assert not OutgoingDocument.objects.filter(pk__in=broken).exclude(status="signed").exists()
    assert not OutgoingDocument.objects.filter(pk__in=broken, number__isnull=False).exists()
    # final + signed of each of the two prepared documents, the sealed one's file, and one file per issue (the
    # copies the sealed one's recipient received are incoming files)
    outgoing_files = StoredFile.objects.exclude(pk__in=DocumentFile.objects.values("stored_file_id"))
    assert outgoing_files.count() == 5 + len(issued)
    on_disk = {str(p.relative_to(private_dir)) for p in stored_paths(private_dir)}
    assert on_disk == set(StoredFile.objects.values_list("storage_name", flat=True))  # no orphans
