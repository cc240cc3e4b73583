"""Statistics of incoming documents (issue 4 point 7): received by month, by type and by sender, and per
handler how many parts were done on time, done late, are overdue or not yet due (against the deadline of
the current directive).

Everything is aggregated in the database over ``selectors.incoming_visible_to(user)`` (registered entries,
voided ones left out), in a constant number of queries (four) whatever the number of documents. The result
feeds the chart tags of ``members/templatetags/charts.py``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import ExtractMonth
from django.utils import timezone

from .models import Assignment, AssignmentRole, AssignmentStatus, IncomingDocument, IncomingStatus
from .selectors import document_access_for, incoming_visible_to

#: How many senders are listed by name (the rest are summed as "others").
TOP_SENDERS = 10


@dataclass
class HandlerStats:
    user_id: int
    name: str
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    open: int = 0

    @property
    def total(self) -> int:
        return self.on_time + self.late + self.overdue + self.open


@dataclass
class IncomingStatistics:
    year: int
    total: int = 0
    by_month: list[tuple[int, int]] = field(default_factory=list)  # (month 1..12, count), all twelve
    by_type: list[tuple[str, int]] = field(default_factory=list)  # (type name or "", count), largest first
    by_sender: list[tuple[str, int]] = field(default_factory=list)  # top senders, largest first
    other_senders: int = 0
    handlers: list[HandlerStats] = field(default_factory=list)


def may_see_statistics(user) -> bool:
    """Clerks and leaders (of a commune), cell secretaries, admins: those who see an organization's documents
    as a whole, not only the ones they are named in."""
    facts = document_access_for(user)
    return facts.is_admin or bool(facts.office_org_ids or facts.cell_org_ids)


def registered_documents(user, *, year: int, organization_id: int | None = None) -> QuerySet[IncomingDocument]:
    qs = (
        incoming_visible_to(user)
        .filter(number__isnull=False, received_on__year=year)
        .exclude(status=IncomingStatus.VOID)
    )
    if organization_id is not None:
        qs = qs.filter(organization_id=organization_id)
    return qs


def incoming_statistics(
    user, *, year: int, organization_id: int | None = None, today: datetime.date | None = None
) -> IncomingStatistics:
    """The statistics of the documents received in ``year`` that ``user`` may see (optionally of one
    receiving organization). ``today`` decides what is overdue (default: the local date)."""
    today = today or timezone.localdate()
    documents = registered_documents(user, year=year, organization_id=organization_id)
    stats = IncomingStatistics(year=year)

    months = dict(
        documents.annotate(month=ExtractMonth("received_on"))
        .order_by()
        .values("month")
        .annotate(n=Count("id"))
        .values_list("month", "n")
    )
    stats.by_month = [(month, months.get(month, 0)) for month in range(1, 13)]
    stats.total = sum(months.values())

    stats.by_type = [
        (name or "", n)
        for name, n in documents.order_by()
        .values("document_type__name")
        .annotate(n=Count("id"))
        .order_by("-n", "document_type__name")
        .values_list("document_type__name", "n")
    ]
    stats.by_sender = list(
        documents.order_by()
        .values("sender")
        .annotate(n=Count("id"))
        .order_by("-n", "sender")
        .values_list("sender", "n")[:TOP_SENDERS]
    )
    stats.other_senders = stats.total - sum(n for _sender, n in stats.by_sender)

    done = Q(status=AssignmentStatus.DONE)
    rows = (
        Assignment.objects.filter(
            directive__document__in=documents.values("pk"),
            directive__superseded_at__isnull=True,
            directive__deadline__isnull=False,
            role__in=[AssignmentRole.LEAD, AssignmentRole.COOPERATE],
        )
        .order_by()
        .values("user_id", "user__full_name", "user__username")
        .annotate(
            on_time=Count("id", filter=done & Q(done_at__date__lte=F("directive__deadline"))),
            late=Count("id", filter=done & Q(done_at__date__gt=F("directive__deadline"))),
            overdue=Count("id", filter=~done & Q(directive__deadline__lt=today)),
            open=Count("id", filter=~done & Q(directive__deadline__gte=today)),
        )
        .order_by("user__full_name", "user__username")
    )
    stats.handlers = [
        HandlerStats(
            user_id=row["user_id"],
            name=row["user__full_name"] or row["user__username"],
            on_time=row["on_time"],
            late=row["late"],
            overdue=row["overdue"],
            open=row["open"],
        )
        for row in rows
    ]
    return stats


def available_years(user) -> list[int]:
    """Years with registered documents the user may see, newest first (always including this year)."""
    this_year = timezone.localdate().year
    years = {day.year for day in incoming_visible_to(user).filter(number__isnull=False).dates("received_on", "year")}
    years.add(this_year)
    return sorted(years, reverse=True)
