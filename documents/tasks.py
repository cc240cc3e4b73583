"""Celery tasks of the documents app: thin, idempotent wrappers around ``documents.services``."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

logger = logging.getLogger(__name__)

#: Collected by ``partyhub.tasks.all_schedules`` into the database beat schedule: name → (task, kind, spec).
SCHEDULES = {
    "documents: remind handling deadlines": (
        "documents.tasks.remind_handling_deadlines",
        "crontab",
        {"minute": "0", "hour": "7", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"},
    ),
}
if getattr(settings, "PARTYHUB_IMAP_URL", ""):
    SCHEDULES["documents: poll the incoming mailbox"] = (
        "documents.tasks.poll_incoming_mailbox",
        "interval",
        {"every": int(getattr(settings, "PARTYHUB_IMAP_POLL_MINUTES", 5)), "period": "minutes"},
    )


# --- Receiving and digitizing (D1) ------------------------------------------------------------------------


@shared_task(
    name="documents.tasks.digitize_incoming",
    acks_late=True,
    soft_time_limit=2 * 60 * 60,
    time_limit=2 * 60 * 60 + 120,
    ignore_result=True,
)
def digitize_incoming(document_id: int, force: bool = False) -> str:
    """OCR, text, thumbnail, page count and signature checks of one incoming document (see
    ``documents.services.digitizing``). Idempotent; quietly does nothing when the document is gone."""
    from .services.digitizing import incoming_digitize

    return incoming_digitize(document_id, force=force)


@shared_task(
    name="documents.tasks.poll_incoming_mailbox",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OSError,),
    retry_backoff=60,
    retry_backoff_max=15 * 60,
    max_retries=3,
)
def poll_incoming_mailbox() -> dict:
    """Import the unseen messages of ``PARTYHUB_IMAP_URL`` as drafts (every few minutes when configured).
    The same message is never imported twice (its Message-ID is kept)."""
    from .mail import poll_mailbox

    result = poll_mailbox().as_dict()
    if result["fetched"]:
        logger.info("Mailbox: %s", result)
    return result


@shared_task(name="documents.tasks.remind_handling_deadlines", ignore_result=True, acks_late=True)
def remind_handling_deadlines() -> dict:
    """Daily (07:00): remind handlers of deadlines due soon or overdue and tell leaders what is overdue.
    Idempotent per day (``Assignment.last_reminded_on``)."""
    from .services.handling import remind_deadlines

    result = remind_deadlines()
    if result["reminded"] or result["leaders"]:
        logger.info("Handling deadlines: %(reminded)s handlers reminded, %(leaders)s leaders told", result)
    return result


# --- Distribution of issued documents (issue 5) -------------------------------------------------------------


@shared_task(
    name="documents.tasks.distribute_outgoing",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OSError, DatabaseError),
    retry_backoff=30,
    retry_backoff_max=10 * 60,
    retry_jitter=True,
    max_retries=6,
)
def distribute_outgoing(document_id: int) -> int:
    """Deliver an issued outgoing document to the incoming queues of its recipients in PartyHub (see
    ``documents.services.distribution.outgoing_distribute``). Idempotent: a recipient is delivered once;
    quietly does nothing when the document is gone or not issued. Returns the number of copies made."""
    from .services.distribution import outgoing_distribute

    return len(outgoing_distribute(document_id=document_id))
