"""Numbering under concurrency: 8 processes × 25 registrations on PostgreSQL give numbers 1..200, each once.

Real processes (forked), each with its own database connection, start together on a barrier and register
drafts of the same organization at the same time. ``register_next_number`` must serialize them on the counter
row without gaps, duplicates or deadlocks (the audit chain head is locked after the counter).
"""

from __future__ import annotations

import datetime
import multiprocessing

import pytest
from django.db import connections

from documents.models import DocumentType, IncomingDocument, IncomingStatus, RegisterCounter

from .factories import IncomingDocumentFactory

WORKERS = 8
PER_WORKER = 25


def _worker(barrier, clerk_pk: int, document_pks: list[int], type_pk: int, results) -> None:
    from django.contrib.auth import get_user_model

    from documents.services.registering import incoming_register

    connections.close_all()  # never share the parent's socket
    try:
        clerk = get_user_model().objects.get(pk=clerk_pk)
        document_type = DocumentType.objects.get(pk=type_pk)
        barrier.wait(timeout=60)
        numbers = []
        for pk in document_pks:
            document = IncomingDocument.objects.get(pk=pk)
            registered = incoming_register(
                actor=clerk,
                document=document,
                sender="Tỉnh ủy An Giang",
                number_symbol=f"{pk % 900 + 1:02d}-NQ/TU",
                document_date=datetime.date(2026, 3, 1),
                received_on=datetime.date(2026, 3, 2),
                document_type=document_type,
                summary=f"Văn bản thử nghiệm số {pk}",
                page_count=1,
            )
            numbers.append(registered.number)
        results.put(("ok", numbers))
    except BaseException as exc:  # report, never hang the parent
        results.put(("error", repr(exc)))
    finally:
        connections.close_all()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_processes_get_gapless_unique_numbers(org_tree, clerk, leader, document_types):
    commune = org_tree["commune"]
    drafts = [IncomingDocumentFactory(organization=commune, created_by=clerk).pk for _ in range(WORKERS * PER_WORKER)]
    type_pk = document_types["Nghị quyết"].pk
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(WORKERS)
    results = context.Queue()
    connections.close_all()
    processes = [
        context.Process(
            target=_worker,
            args=(barrier, clerk.pk, drafts[i * PER_WORKER : (i + 1) * PER_WORKER], type_pk, results),
        )
        for i in range(WORKERS)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=300) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    errors = [detail for status, detail in outcomes if status != "ok"]
    assert not errors, errors
    numbers = sorted(n for _status, batch in outcomes for n in batch)
    assert numbers == list(range(1, WORKERS * PER_WORKER + 1))
    stored = sorted(
        IncomingDocument.objects.filter(organization=commune, status=IncomingStatus.REGISTERED).values_list(
            "number", flat=True
        )
    )
    assert stored == numbers
    assert RegisterCounter.objects.get(register__organization=commune, period="2026").last_number == 200
