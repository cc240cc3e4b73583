"""Celery tasks of the members app: thin, idempotent wrappers around ``members.services``.

``refresh_member_facts`` runs nightly (schedule name "members: refresh member facts", 01:30); it
recomputes the cached facts (days outside party age, recognition due, next badge and its award date) of
every current member and of deceased members (posthumous badges). Running it twice changes nothing the
second time.
"""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)

#: Collected by ``partyhub.tasks.all_schedules`` into the database beat schedule: name → (task, kind, spec).
SCHEDULES = {
    "members: refresh member facts": (
        "members.tasks.refresh_member_facts",
        "crontab",
        {"minute": "30", "hour": "1", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"},
    ),
    "members: warn of party fee arrears": (
        "members.tasks.warn_fee_arrears",
        "crontab",
        {"minute": "0", "hour": "6", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"},
    ),
}


@shared_task(name="members.tasks.refresh_member_facts", ignore_result=True, acks_late=True)
def refresh_member_facts(member_ids: list[int] | None = None) -> int:
    """Recompute the cached facts of all current members (or of ``member_ids``); returns how many changed."""
    from .services.status import members_refresh_facts

    changed = members_refresh_facts(member_ids=member_ids)
    logger.info("Member facts refreshed: %s changed", changed)
    return changed


@shared_task(name="members.tasks.warn_fee_arrears", ignore_result=True, acks_late=True)
def warn_fee_arrears() -> int:
    """Tell cell secretaries about members who have not paid 3 months of party fees this year (once per
    member and year, so the daily run is idempotent); returns how many members were newly warned about."""
    from .services.fees import fee_arrears_warn

    warned = fee_arrears_warn()
    if warned:
        logger.info("Party fee arrears: %s members newly warned about", warned)
    return warned
