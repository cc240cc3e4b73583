"""Hand work to Celery only once the data it needs is committed — and never lose it.

``enqueue(task, *args, **kwargs)`` registers the send with ``transaction.on_commit``: when the surrounding
transaction rolls back, nothing is sent; outside a transaction it is sent at once. If handing the message to
the broker fails (Redis down, network), the message is written to ``OutboxMessage`` instead and the request
still succeeds; ``partyhub.tasks.relay_outbox`` (every minute, see ``setup_schedules``) sends it later.

Task arguments must be JSON-serializable (ids, strings), which is what thin tasks take anyway.
"""

from __future__ import annotations

import json
import logging

from celery import Task
from django.db import transaction

from .celery import app as celery_app
from .models import OutboxMessage

logger = logging.getLogger(__name__)

# Hand over once, quickly; a broker that does not answer means "use the outbox", not "hang the request".
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


def task_name(task: Task | str) -> str:
    return task if isinstance(task, str) else task.name


def resolve(task: Task | str) -> Task | None:
    """The registered task object for a task or task name (None when this process does not know it)."""
    if isinstance(task, Task):
        return task
    found = celery_app.tasks.get(task)
    if found is None:
        # The web process imports tasks modules lazily; run Celery's autodiscovery once and look again.
        celery_app.loader.import_default_modules()
        found = celery_app.tasks.get(task)
    return found


def send_now(task: Task | str, args: list | tuple = (), kwargs: dict | None = None) -> None:
    """Publish immediately (raises when the broker cannot take the message). Runs inline in eager mode."""
    kwargs = kwargs or {}
    registered = resolve(task)
    if registered is None and celery_app.conf.task_always_eager:
        raise LookupError(f"Unknown task {task_name(task)!r}: nothing here could run it")
    if registered is not None:
        registered.apply_async(args=list(args), kwargs=kwargs, retry=True, retry_policy=PUBLISH_RETRY_POLICY)
    else:
        celery_app.send_task(
            task_name(task), args=list(args), kwargs=kwargs, retry=True, retry_policy=PUBLISH_RETRY_POLICY
        )


def _check_serializable(args, kwargs) -> None:
    try:
        json.dumps([args, kwargs])
    except TypeError as exc:
        raise TypeError(f"Task arguments must be JSON-serializable (pass ids, not objects): {exc}") from exc


def enqueue(task: Task | str, *args, **kwargs) -> None:
    """Send ``task(*args, **kwargs)`` after the current transaction commits; fall back to the outbox."""
    name = task_name(task)
    args_list = list(args)
    _check_serializable(args_list, kwargs)

    def _send() -> None:
        try:
            send_now(task, args_list, kwargs)
        except Exception as exc:
            # The broker could not take it (or, in eager mode, the task failed): keep it for the relay.
            logger.warning("Could not hand %s to the broker, kept in the outbox: %s", name, exc)
            OutboxMessage.objects.create(
                task_name=name, args=args_list, kwargs=kwargs, attempts=1, last_error=_describe(exc)
            )

    transaction.on_commit(_send)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def relay(*, limit: int = 500) -> dict:
    """Send outbox messages again, oldest first; delete each one the broker accepted.

    Safe to run concurrently (rows are claimed with ``SKIP LOCKED`` on PostgreSQL) and repeatedly: a
    message is removed only after it was sent, and a failure records ``attempts`` and ``last_error``.
    When the broker refuses a message the run stops (the next run tries again). Returns
    ``{"sent": n, "failed": n}``.
    """
    sent = failed = 0
    ids = list(OutboxMessage.objects.order_by("id").values_list("id", flat=True)[:limit])
    for message_id in ids:
        with transaction.atomic():
            message = OutboxMessage.objects.select_for_update(skip_locked=True).filter(pk=message_id).first()
            if message is None:
                continue  # another relay has it, or it was sent meanwhile
            try:
                send_now(message.task_name, message.args, message.kwargs)
            except Exception as exc:
                message.attempts += 1
                message.last_error = _describe(exc)
                message.save(update_fields=["attempts", "last_error"])
                failed += 1
                logger.warning("Outbox message %s (%s) still not sent: %s", message.pk, message.task_name, exc)
                if not celery_app.conf.task_always_eager:
                    break  # the broker is down: the rest would fail the same way; try again next run
            else:
                message.delete()
                sent += 1
    return {"sent": sent, "failed": failed}
