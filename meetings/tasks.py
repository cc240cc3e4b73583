"""Celery tasks of the meetings app: thin wrappers that take ids, re-fetch, and call one service.

Each task is idempotent (running it twice has one effect) and returns quietly when its row is gone.
Other areas of issue 6 (packets …) append their tasks below the ones of the meetings core.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from partyhub.tasks import MAIL_RETRY_ERRORS

logger = logging.getLogger(__name__)

#: Periodic tasks (collected by ``partyhub.tasks.all_schedules``).
SCHEDULES = {
    "meetings: remind invited delegates the day before": (
        "meetings.tasks.send_meeting_reminders",
        "crontab",
        {"minute": "0", "hour": "*", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"},
    ),
    "meetings: warn the office of resolutions not posted in time": (  # H-room
        "meetings.tasks.warn_unposted_resolutions",
        "crontab",
        {"minute": "30", "hour": "7", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"},
    ),
}


# --- Meetings core: invitations, reminders, guests' e-mail ---------------------------------------------------


@shared_task(name="meetings.tasks.send_meeting_reminders", ignore_result=True)
def send_meeting_reminders() -> int:
    """Remind the invited people of every meeting that starts within the next day (once per meeting, see
    ``Meeting.reminder_sent_at``). Runs every hour."""
    from .services.meetings import meetings_send_due_reminders

    count = meetings_send_due_reminders()
    if count:
        logger.info("Meeting reminders sent for %s meeting(s)", count)
    return count


@shared_task(
    name="meetings.tasks.send_guest_email",
    autoretry_for=MAIL_RETRY_ERRORS,
    retry_backoff=30,
    retry_backoff_max=60 * 60,
    retry_jitter=True,
    max_retries=8,
    acks_late=True,
)
def send_guest_email(meeting_id: int, email: str, name: str, event: str, sequence: int) -> bool:
    """E-mail a guest without an account (invitation, change, reminder, cancellation, withdrawal) with the
    meeting's .ics. Idempotent per (meeting, address, event, sequence); quiet when the meeting is gone."""
    from .services.meetings import guest_email_send

    return guest_email_send(meeting_id=meeting_id, email=email, name=name, event=event, sequence=sequence)


# --- Packets (H-packet: meetings/services/packets.py) -----------------------------------------------------------


@shared_task(
    name="meetings.tasks.build_packet",
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=30,
    retry_backoff_max=10 * 60,
    retry_jitter=True,
    max_retries=5,
    acks_late=True,
    ignore_result=True,
    soft_time_limit=60 * 60,
    time_limit=60 * 60 + 120,
)
def build_packet(packet_id: int) -> str:
    """Compile packet version ``packet_id``, make the delegates' stamped copies and discard the copies of
    superseded versions. Idempotent: a version that is no longer "building" is not compiled again, only missing
    copies are made; quiet when the row is gone."""
    from .models import Packet
    from .services.packets import delegate_copies_discard_superseded, delegate_copies_make, packet_build

    status = packet_build(packet_id=packet_id)
    if status == "ready":
        made = delegate_copies_make(packet_id=packet_id)
        meeting_id = Packet.objects.filter(pk=packet_id).values_list("meeting_id", flat=True).first()
        discarded = delegate_copies_discard_superseded(meeting_id=meeting_id) if meeting_id else 0
        logger.info("Packet %s ready: %s copies made, %s old copies discarded", packet_id, made, discarded)
    return status


# --- The resolution after the meeting (H-room: meetings/services/minutes.py) ------------------------------------


@shared_task(name="meetings.tasks.warn_unposted_resolutions", ignore_result=True)
def warn_unposted_resolutions() -> int:
    """Every morning: warn the office of each closed meeting whose resolution is still not posted to the
    members ``PARTYHUB_RESOLUTION_POSTING_DAYS`` days after the meeting (domain.md §5)."""
    from .services.minutes import warn_unposted_resolutions as warn

    count = warn()
    if count:
        logger.info("Office warned of %s resolution(s) not posted in time", count)
    return count
