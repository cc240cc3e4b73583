"""Celery plumbing: enqueue on commit, the outbox when the broker is down, the relay, the beat schedule, and a
real worker against Redis."""

from __future__ import annotations

import time

import pytest
from celery import shared_task
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from partyhub import queue
from partyhub.models import Notification, OutboxMessage
from partyhub.notifications import notify
from partyhub.tasks import SCHEDULES, all_schedules, check_private_files, relay_outbox, send_notification_email
from tests.conftest import _celery_conf_swap, wait_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CALLS: list = []


@shared_task(name="tests.partyhub.remember")
def remember(value, *, tag=""):
    CALLS.append((value, tag))
    return value


@pytest.fixture(autouse=True)
def _reset_calls():
    CALLS.clear()
    yield
    CALLS.clear()


# --- enqueue ------------------------------------------------------------------------------------------


def test_enqueue_sends_only_after_commit(celery_eager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        queue.enqueue(remember, 7, tag="x")
        assert CALLS == []  # not yet: the transaction is still open
    assert len(callbacks) == 1
    assert CALLS == [(7, "x")]


@pytest.mark.django_db(transaction=True)
def test_enqueue_inside_a_rolled_back_transaction_sends_nothing(celery_eager):
    with pytest.raises(RuntimeError), transaction.atomic():
        queue.enqueue(remember, 1)
        raise RuntimeError
    assert CALLS == []
    with transaction.atomic():
        queue.enqueue(remember, 2)
        assert CALLS == []
    assert CALLS == [(2, "")]
    queue.enqueue("tests.partyhub.remember", 3)  # by name; outside a transaction: at once
    assert CALLS[-1] == (3, "")
    assert not OutboxMessage.objects.exists()


def test_enqueue_refuses_arguments_that_cannot_travel(django_capture_on_commit_callbacks):
    user = UserFactory()
    with pytest.raises(TypeError, match="JSON-serializable"), django_capture_on_commit_callbacks() as callbacks:
        queue.enqueue(remember, user)
    assert callbacks == []


# --- Broker down: the outbox --------------------------------------------------------------------------


def test_broker_down_keeps_the_task_in_the_outbox_and_the_caller_succeeds(
    celery_broker_down, django_capture_on_commit_callbacks
):
    user = UserFactory(username="reader")
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        (notification,) = notify(recipients=[user], title="Broker is down")
    assert time.monotonic() - started < 10  # handed over once, quickly; the request is not held up
    message = OutboxMessage.objects.get()
    assert message.task_name == "partyhub.tasks.send_notification_email"
    assert (message.args, message.kwargs, message.attempts) == ([notification.pk], {}, 1)
    assert "OperationalError" in message.last_error or "Connection" in message.last_error
    assert mail.outbox == []


def test_relay_while_the_broker_is_still_down_counts_attempts_and_stops(celery_broker_down):
    first = OutboxMessage.objects.create(task_name="tests.partyhub.remember", args=[1], attempts=1)
    second = OutboxMessage.objects.create(task_name="tests.partyhub.remember", args=[2], attempts=1)
    result = relay_outbox()
    assert result == {"sent": 0, "failed": 1}
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.attempts == 2 and first.last_error
    assert second.attempts == 1  # not tried: the broker had just refused the first one


def test_relay_delivers_and_is_idempotent(celery_eager):
    user = UserFactory(username="late")
    notification = Notification.objects.create(recipient=user, title="Delivered late")
    OutboxMessage.objects.create(task_name=send_notification_email.name, args=[notification.pk], attempts=1)
    OutboxMessage.objects.create(task_name="tests.partyhub.remember", args=[5], kwargs={"tag": "k"}, attempts=3)

    assert relay_outbox() == {"sent": 2, "failed": 0}
    assert not OutboxMessage.objects.exists()
    assert [m.subject for m in mail.outbox] == ["[PartyHub] Delivered late"]
    assert CALLS == [(5, "k")]

    assert relay_outbox() == {"sent": 0, "failed": 0}
    # the same message relayed twice (a crash between send and delete) still mails once
    OutboxMessage.objects.create(task_name=send_notification_email.name, args=[notification.pk])
    relay_outbox()
    assert len(mail.outbox) == 1


def test_relay_keeps_a_message_for_an_unknown_task(celery_eager):
    message = OutboxMessage.objects.create(task_name="nobody.knows.this", attempts=1)
    assert relay_outbox() == {"sent": 0, "failed": 1}
    message.refresh_from_db()
    assert message.attempts == 2 and "Unknown task" in message.last_error


# --- The database beat schedule -----------------------------------------------------------------------


def test_setup_schedules_creates_the_periodic_tasks_idempotently(capsys):
    PeriodicTask.objects.filter(name__in=SCHEDULES).delete()
    call_command("setup_schedules")
    assert "created/updated" in capsys.readouterr().out

    relay = PeriodicTask.objects.get(name="partyhub: relay outbox")
    assert relay.task == "partyhub.tasks.relay_outbox" and relay.enabled
    assert (relay.interval.every, relay.interval.period) == (1, IntervalSchedule.MINUTES)
    nightly = PeriodicTask.objects.get(name="partyhub: verify audit chain")
    assert nightly.task == "partyhub.tasks.verify_audit_chain"
    assert (nightly.crontab.minute, nightly.crontab.hour, str(nightly.crontab.timezone)) == (
        "30",
        "2",
        "Asia/Ho_Chi_Minh",
    )

    nightly.enabled = False  # an admin paused it
    nightly.save()
    call_command("setup_schedules")
    assert "created/updated" not in capsys.readouterr().out
    assert PeriodicTask.objects.filter(name__in=SCHEDULES).count() == len(SCHEDULES)
    assert CrontabSchedule.objects.filter(minute="30", hour="2").count() == 1
    assert PeriodicTask.objects.get(name="partyhub: verify audit chain").enabled is False


def test_migrate_creates_the_schedule():
    from django.core.management.sql import emit_post_migrate_signal

    PeriodicTask.objects.all().delete()
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    tasks = set(PeriodicTask.objects.values_list("task", flat=True))
    assert tasks == {task for task, _kind, _spec in all_schedules().values()}
    assert {
        "partyhub.tasks.relay_outbox",
        "partyhub.tasks.verify_audit_chain",
        "partyhub.tasks.check_private_files",
        "members.tasks.refresh_member_facts",
        "members.tasks.warn_fee_arrears",
        "documents.tasks.remind_handling_deadlines",
    } <= tasks


def test_the_schedule_collects_every_apps_tasks():
    from members.tasks import SCHEDULES as MEMBER_SCHEDULES

    schedules = all_schedules()
    assert set(SCHEDULES) | set(MEMBER_SCHEDULES) <= set(schedules)


def test_every_scheduled_task_is_registered():
    from partyhub.celery import app

    for task, _kind, _spec in all_schedules().values():
        assert task in app.tasks


def test_the_files_check_task_tells_the_superusers_about_missing_bytes(admin_user):
    from partyhub.files import private_storage, store_bytes
    from partyhub.models import Notification

    assert check_private_files() == {"ok": True, "missing": 0, "mismatched": 0, "orphans": 0}
    stored = store_bytes(b"%PDF-1.4 test", name="a.pdf", content_type="application/pdf", actor=admin_user)
    private_storage().delete(stored.storage_name)
    result = check_private_files()
    assert result == {"ok": False, "missing": 1, "mismatched": 0, "orphans": 0}
    note = Notification.objects.get(recipient=admin_user, kind="files_check_failed")
    assert "1" in note.body


# --- A real worker against Redis ----------------------------------------------------------------------


@pytest.mark.redis
def test_a_real_worker_sends_the_notification_email(celery_redis_worker):
    user = UserFactory(username="worker-recipient")
    with transaction.atomic():
        (notification,) = notify(recipients=[user], title="Through Redis")
        time.sleep(0.3)
        assert mail.outbox == []  # not before the commit
    assert wait_for(lambda: mail.outbox), "the worker did not send the e-mail"
    assert [(m.subject, m.to) for m in mail.outbox] == [("[PartyHub] Through Redis", [user.email])]
    assert wait_for(lambda: Notification.objects.get(pk=notification.pk).emailed_at)
    assert not OutboxMessage.objects.exists()


@pytest.mark.redis
def test_the_outbox_is_delivered_by_a_real_worker_once_the_broker_is_back(celery_redis_worker):
    user = UserFactory(username="outbox-recipient")
    saved = _celery_conf_swap(celery_redis_worker, broker_url="redis://127.0.0.1:1/0")
    try:
        with transaction.atomic():
            notify(recipients=[user], title="Kept in the outbox")
    finally:
        _celery_conf_swap(celery_redis_worker, **saved)
    assert OutboxMessage.objects.count() == 1
    time.sleep(0.3)
    assert mail.outbox == []

    assert relay_outbox() == {"sent": 1, "failed": 0}
    assert not OutboxMessage.objects.exists()
    assert wait_for(lambda: mail.outbox), "the relayed task was not run by the worker"
    assert [m.subject for m in mail.outbox] == ["[PartyHub] Kept in the outbox"]
