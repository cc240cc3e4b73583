"""Celery tasks of the core app: thin wrappers that take ids, re-fetch, and call one service.

Every task is idempotent (running it twice has one effect) and retries with exponential backoff where a
retry can help. Schedules live in the database (django-celery-beat); ``manage.py setup_schedules``
creates them.
"""

from __future__ import annotations

import logging
import smtplib
import socket

from celery import shared_task

logger = logging.getLogger(__name__)

#: Errors of the mail transport worth retrying: the SMTP server refused or dropped us, or was unreachable.
MAIL_RETRY_ERRORS = (smtplib.SMTPException, socket.timeout, ConnectionError, TimeoutError)


@shared_task(
    name="partyhub.tasks.send_notification_email",
    autoretry_for=MAIL_RETRY_ERRORS,
    retry_backoff=30,
    retry_backoff_max=60 * 60,
    retry_jitter=True,
    max_retries=8,
    acks_late=True,
)
def send_notification_email(notification_id: int) -> bool:
    """E-mail one notification (once). Quietly does nothing when the row is gone or already e-mailed."""
    from .notifications import notification_send_email

    return notification_send_email(notification_id=notification_id)


@shared_task(name="partyhub.tasks.relay_outbox", ignore_result=True)
def relay_outbox(limit: int = 500) -> dict:
    """Send again what could not be handed to the broker (see ``partyhub.queue``). Runs every minute."""
    from .queue import relay

    result = relay(limit=limit)
    if result["sent"] or result["failed"]:
        logger.info("Outbox relay: %(sent)s sent, %(failed)s still waiting", result)
    return result


@shared_task(name="partyhub.tasks.verify_audit_chain")
def verify_audit_chain() -> dict:
    """Check the audit hash chain (nightly); on a broken chain, notify every active superuser."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse
    from django.utils.text import format_lazy
    from django.utils.translation import gettext_lazy as _

    from .audit import verify_chain
    from .notifications import notify

    report = verify_chain()
    if report.ok:
        logger.info(report.summary())
    else:
        logger.error(report.summary())
        superusers = get_user_model().objects.filter(is_superuser=True, is_active=True)
        where = f"#{report.broken_id}" if report.broken_id is not None else _("chain head")
        notify(
            recipients=superusers,
            title=_("The audit trail failed its integrity check"),
            body=format_lazy(
                _('First broken entry: {where} ({problem}). {detail} Run "manage.py audit_verify" for details.'),
                where=where,
                problem=report.problem,
                detail=report.detail,
            ),
            url=reverse("admin:partyhub_auditentry_changelist"),
            kind="audit_chain_broken",
        )
    return {
        "ok": report.ok,
        "checked": report.checked,
        "broken_id": report.broken_id,
        "problem": report.problem,
    }


@shared_task(name="partyhub.tasks.check_private_files")
def check_private_files() -> dict:
    """Weekly sanity check of the private files (missing bytes, checksum mismatches, orphans); on a problem,
    notify every active superuser. Orphans younger than the grace period are not counted."""
    from django.contrib.auth import get_user_model
    from django.utils.text import format_lazy
    from django.utils.translation import gettext_lazy as _

    from .files import check_files
    from .notifications import notify

    report = check_files()
    counts = {"missing": len(report.missing), "mismatched": len(report.mismatched), "orphans": len(report.orphans)}
    if report.ok:
        logger.info("Private files check: all %s files present and intact", report.checked)
    else:
        logger.error("Private files check found problems: %s", counts)
        notify(
            recipients=get_user_model().objects.filter(is_superuser=True, is_active=True),
            title=_("The private files check found problems"),
            body=format_lazy(
                _(
                    "Missing files: {missing}; checksum mismatches: {mismatched}; orphans: {orphans}. "
                    'Run "manage.py files_check" for details.'
                ),
                **counts,
            ),
            url="/admin/partyhub/storedfile/",
            kind="files_check_failed",
        )
    return {"ok": report.ok, **counts}


# --- Schedules ------------------------------------------------------------------------------------

#: The periodic tasks PartyHub needs, by name: (task, kind, schedule). Kept in the database by
#: ``ensure_schedules`` so that an admin can pause or move them in the Django admin.
SCHEDULES = {
    "partyhub: relay outbox": ("partyhub.tasks.relay_outbox", "interval", {"every": 1, "period": "minutes"}),
    "partyhub: verify audit chain": (
        "partyhub.tasks.verify_audit_chain",
        "crontab",
        {"minute": "30", "hour": "2", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"},
    ),
    "partyhub: check private files": (
        "partyhub.tasks.check_private_files",
        "crontab",
        {"minute": "0", "hour": "3", "day_of_week": "0", "day_of_month": "*", "month_of_year": "*"},
    ),
}


def all_schedules() -> dict:
    """The periodic tasks of every installed app: each app's ``tasks`` module may define ``SCHEDULES`` in the
    form above (the core app's are these); apps later in INSTALLED_APPS cannot replace an earlier name."""
    from importlib import import_module
    from importlib.util import find_spec

    from django.apps import apps

    schedules: dict = {}
    for config in apps.get_app_configs():
        module_name = f"{config.name}.tasks"
        if config.name == __name__.rpartition(".")[0]:
            found = SCHEDULES
        elif find_spec(module_name) is not None:
            found = getattr(import_module(module_name), "SCHEDULES", {})
        else:
            continue
        for name, entry in found.items():
            schedules.setdefault(name, entry)
    return schedules


def ensure_schedules(*, using: str = "default") -> list[str]:
    """Create or repair the database beat schedule (django-celery-beat). Idempotent; an admin's choice to
    disable a task is kept. Returns the names of the periodic tasks created or changed."""
    from django.conf import settings
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    changed = []
    for name, (task, kind, spec) in all_schedules().items():
        if kind == "interval":
            schedule, _ = IntervalSchedule.objects.using(using).get_or_create(**spec)
            wanted = {"task": task, "interval": schedule, "crontab": None}
        else:
            schedule, _ = CrontabSchedule.objects.using(using).get_or_create(timezone=settings.TIME_ZONE, **spec)
            wanted = {"task": task, "crontab": schedule, "interval": None}
        periodic = PeriodicTask.objects.using(using).filter(name=name).first()
        if periodic is None:
            PeriodicTask.objects.using(using).create(name=name, enabled=True, **wanted)
            changed.append(name)
            continue
        dirty = [key for key, value in wanted.items() if getattr(periodic, key) != value]
        if dirty:
            for key in dirty:
                setattr(periodic, key, wanted[key])
            periodic.save()
            changed.append(name)
    return changed


def ensure_schedules_after_migrate(sender, using="default", plan=None, **kwargs) -> None:
    """post_migrate hook (connected in ``PartyHubConfig.ready``): keeps the schedule present after every
    ``migrate``, once django-celery-beat's tables exist."""
    from django.db import connections

    if "django_celery_beat_periodictask" not in connections[using].introspection.table_names():
        return
    ensure_schedules(using=using)
