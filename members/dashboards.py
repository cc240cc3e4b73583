"""Aggregations behind the cell dashboard and the committee dashboard (issue 3, item 8).

The numbers are counted by the database, grouped by cell in the same query, so a dashboard costs the same
number of queries whatever the number of cells and members. Access is checked by the views
(``members.permissions.can_view_cell_dashboard`` / ``can_view_committee_dashboard``); these functions take
organizations the caller has already been allowed to see.

What a dashboard shows:

* members by status (current ones: probationary, official) and by activity (active, exempted, …);
* the party-fee collection rate this month and this year (due vs paid, from ``members.fees``);
* members due for recognition as official members (``recognition_due_date``, kept by the status service);
* badge candidates for the next award date (``next_badge_date`` / ``next_badge_years``; the award days
  come from the badge rule in force);
* the assessment distribution of the last assessed year;
* members in fee arrears (the 3-month warning of ``members.fees.members_in_arrears``);
* on the committee dashboard, the same per cell for comparison.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Subquery
from django.utils.translation import gettext as _

from . import fees, selectors
from .fees import format_money
from .models import (
    CURRENT_STATUSES,
    AssessmentRating,
    BadgeRule,
    Member,
    MemberActivity,
    MemberAssessment,
    MemberStatus,
    Organization,
    OrganizationKind,
)
from .rules import in_force

#: Colours of the statuses, activities and ratings on the charts (shared with the templates' legends).
STATUS_COLORS = {
    MemberStatus.OFFICIAL: "#a4161a",
    MemberStatus.PROBATIONARY: "#e69f00",
}
ACTIVITY_COLORS = {
    MemberActivity.ACTIVE: "#009e73",
    MemberActivity.EXEMPTED: "#56b4e9",
    MemberActivity.TEMPORARY_OUT: "#cc79a7",
    MemberActivity.TEMPORARY_IN: "#0072b2",
    MemberActivity.SUSPENDED: "#d55e00",
}
RATING_COLORS = {
    AssessmentRating.EXCELLENT: "#a4161a",
    AssessmentRating.GOOD: "#0072b2",
    AssessmentRating.COMPLETED: "#009e73",
    AssessmentRating.NOT_COMPLETED: "#6b6b6b",
}


@dataclass(frozen=True)
class Collection:
    """Party fees due and paid over a period, and the share paid (``None`` when nothing was due)."""

    due: int
    paid: int
    percent: Decimal | None

    @classmethod
    def of(cls, result) -> Collection:
        due, paid, percent = result
        return cls(due=int(due or 0), paid=int(paid or 0), percent=percent)

    @classmethod
    def total(cls, per_organization: dict) -> Collection:
        """The sum over organizations of ``members.fees.collection_rates``' answer (same rounding)."""
        due = sum(int(v[0] or 0) for v in per_organization.values())
        paid = sum(int(v[1] or 0) for v in per_organization.values())
        percent = (Decimal(paid) * 100 / Decimal(due)).quantize(Decimal("0.1"), ROUND_HALF_UP) if due else None
        return cls(due=due, paid=paid, percent=percent)


@dataclass
class CellFigures:
    """What the committee dashboard compares between cells."""

    organization: Organization
    by_status: dict[str, int] = field(default_factory=dict)
    by_activity: dict[str, int] = field(default_factory=dict)
    ratings: dict[str, int] = field(default_factory=dict)
    month: Collection | None = None
    year: Collection | None = None

    @property
    def members(self) -> int:
        """Current members (probationary and official)."""
        return sum(self.by_status.get(str(s), 0) for s in CURRENT_STATUSES)


@dataclass
class Dashboard:
    organization: Organization
    on: datetime.date
    cells: list[CellFigures]
    by_status: dict[str, int]
    by_activity: dict[str, int]
    month: Collection
    year: Collection
    recognition_due: list[Member]
    badge_award_date: datetime.date | None
    badge_candidates: list[Member]
    assessment_year: int | None
    ratings: dict[str, int]
    arrears: list
    is_committee: bool = False

    @property
    def members(self) -> int:
        return sum(self.by_status.get(str(s), 0) for s in CURRENT_STATUSES)

    # --- chart data (lists of dicts for the ``charts`` template tags) ---

    def status_chart(self) -> list[dict]:
        return [
            {"label": status.label, "value": self.by_status.get(str(status), 0), "color": STATUS_COLORS[status]}
            for status in CURRENT_STATUSES
        ]

    def activity_chart(self) -> list[dict]:
        return [
            {"label": activity.label, "value": self.by_activity.get(str(activity), 0), "color": color}
            for activity, color in ACTIVITY_COLORS.items()
            if self.by_activity.get(str(activity), 0) or activity == MemberActivity.ACTIVE
        ]

    def rating_chart(self) -> list[dict]:
        return [
            {"label": rating.label, "value": self.ratings.get(str(rating), 0), "color": RATING_COLORS[rating]}
            for rating in AssessmentRating
        ]

    def rating_series(self) -> list[dict]:
        return [{"label": rating.label, "color": RATING_COLORS[rating]} for rating in AssessmentRating]

    def status_series(self) -> list[dict]:
        return [{"label": status.label, "color": STATUS_COLORS[status]} for status in CURRENT_STATUSES]

    def cell_collection_chart(self, period: str = "month") -> list[dict]:
        rows = []
        for cell in self.cells:
            collection = getattr(cell, period)
            if collection is None:
                continue
            rows.append(
                {
                    "label": cell.organization.name,
                    "value": collection.percent or 0,
                    "note": _("%(paid)s paid of %(due)s due")
                    % {"paid": format_money(collection.paid), "due": format_money(collection.due)},
                }
            )
        return rows

    def cell_year_collection_chart(self) -> list[dict]:
        return self.cell_collection_chart("year")

    def cell_member_rows(self) -> list[dict]:
        return [
            {"label": cell.organization.name, "values": [cell.by_status.get(str(s), 0) for s in CURRENT_STATUSES]}
            for cell in self.cells
        ]

    def cell_rating_rows(self) -> list[dict]:
        return [
            {"label": cell.organization.name, "values": [cell.ratings.get(str(r), 0) for r in AssessmentRating]}
            for cell in self.cells
        ]


# --- building blocks (each one query, whatever the number of cells) -------------------------------------------


def next_award_date(on: datetime.date, rule: BadgeRule | None) -> datetime.date | None:
    """The first badge award day (``BadgeRule.award_days``, "DD/MM") on or after ``on``."""
    if rule is None or not rule.award_days:
        return None
    days = []
    for year in (on.year, on.year + 1):
        for text in rule.award_days:
            try:
                day, month = (int(part) for part in str(text).split("/")[:2])
                days.append(datetime.date(year, month, day))
            except (TypeError, ValueError):
                continue
    upcoming = sorted(d for d in days if d >= on)
    return upcoming[0] if upcoming else None


def _counts(organization_ids: list[int]):
    """Members per (cell, status, activity): one grouped query."""
    rows = (
        Member.objects.filter(organization_id__in=organization_ids)
        .values("organization_id", "status", "activity")
        .annotate(n=Count("id"))
        .order_by()
    )
    return list(rows)


def _ratings(organization_ids: list[int]) -> tuple[int | None, list[dict]]:
    """The assessments of the last year assessed in these organizations, per (cell, rating): one query."""
    scope = MemberAssessment.objects.filter(member__organization_id__in=organization_ids)
    last_year = scope.order_by("-year").values("year")[:1]
    rows = list(
        scope.filter(year=Subquery(last_year))
        .values("member__organization_id", "rating", "year")
        .annotate(n=Count("id"))
        .order_by()
    )
    year = rows[0]["year"] if rows else None
    return year, rows


def _recognition_due(organization_ids: list[int], on: datetime.date) -> list[Member]:
    limit = on + datetime.timedelta(days=selectors.RECOGNITION_SOON_DAYS)
    return list(
        Member.objects.filter(
            organization_id__in=organization_ids,
            status=MemberStatus.PROBATIONARY,
            recognition_due_date__isnull=False,
            recognition_due_date__lte=limit,
        )
        .select_related("organization")
        .order_by("recognition_due_date", "full_name", "pk")
    )


def _badge_candidates(organization_ids: list[int], award_date: datetime.date | None, on: datetime.date):
    """Current members whose next badge is awarded on ``award_date``. Without a badge rule, the earliest
    ``next_badge_date`` from ``on`` among these members stands in for the award date (same single query)."""
    current = Member.objects.filter(organization_id__in=organization_ids, status__in=CURRENT_STATUSES)
    if award_date is not None:
        members = current.filter(next_badge_date=award_date)
    else:
        earliest = current.filter(next_badge_date__gte=on).order_by("next_badge_date").values("next_badge_date")[:1]
        members = current.filter(next_badge_date=Subquery(earliest))
    members = list(members.select_related("organization").order_by("-next_badge_years", "full_name", "pk"))
    if award_date is None and members:
        award_date = members[0].next_badge_date
    return award_date, members


def _split(rows: list[dict], key: str, org_key: str = "organization_id") -> tuple[dict, dict[int, dict]]:
    total: dict[str, int] = {}
    per_org: dict[int, dict[str, int]] = {}
    for row in rows:
        value = str(row[key])
        total[value] = total.get(value, 0) + row["n"]
        bucket = per_org.setdefault(row[org_key], {})
        bucket[value] = bucket.get(value, 0) + row["n"]
    return total, per_org


def _current_activity(rows: list[dict]) -> list[dict]:
    """Activities count current members only (a deceased member is not "active")."""
    current = {str(s) for s in CURRENT_STATUSES}
    return [row for row in rows if row["status"] in current]


def _build(
    organization: Organization,
    cells: list[Organization],
    on: datetime.date,
    *,
    per_cell_fees: bool,
    is_committee: bool,
) -> Dashboard:
    ids = [cell.pk for cell in cells]
    counts = _counts(ids)
    by_status, status_per_cell = _split(counts, "status")
    by_activity, activity_per_cell = _split(_current_activity(counts), "activity")
    assessment_year, rating_rows = _ratings(ids)
    ratings, ratings_per_cell = _split(rating_rows, "rating", "member__organization_id")
    month_start = on.replace(day=1)

    # One computation per period for every cell at once; the totals are their sums.
    month_by_cell = fees.collection_rates(ids, month=month_start, on=on)
    year_by_cell = fees.collection_rates(ids, year=on.year, on=on)
    cell_figures = []
    for cell in cells:
        figures = CellFigures(
            organization=cell,
            by_status=status_per_cell.get(cell.pk, {}),
            by_activity=activity_per_cell.get(cell.pk, {}),
            ratings=ratings_per_cell.get(cell.pk, {}),
        )
        if per_cell_fees:
            figures.month = Collection.of(month_by_cell.get(cell.pk, (0, 0, None)))
            figures.year = Collection.of(year_by_cell.get(cell.pk, (0, 0, None)))
        cell_figures.append(figures)

    badge_rule = in_force(BadgeRule, on)
    award_date, candidates = _badge_candidates(ids, next_award_date(on, badge_rule), on)

    return Dashboard(
        organization=organization,
        on=on,
        cells=cell_figures,
        by_status=by_status,
        by_activity=by_activity,
        month=Collection.total(month_by_cell),
        year=Collection.total(year_by_cell),
        recognition_due=_recognition_due(ids, on),
        badge_award_date=award_date,
        badge_candidates=candidates,
        assessment_year=assessment_year,
        ratings=ratings,
        arrears=list(fees.members_in_arrears(ids, on.year, on=on)),
        is_committee=is_committee,
    )


# --- the two dashboards ---------------------------------------------------------------------------------------


def cell_dashboard(cell: Organization, *, on: datetime.date | None = None) -> Dashboard:
    """The dashboard of one cell (its members only)."""
    return _build(cell, [cell], on or selectors.today(), per_cell_fees=False, is_committee=False)


def committee_cells(committee: Organization) -> list[Organization]:
    """The cells under ``committee`` (all levels), in display order: two queries."""
    ids = selectors.descendant_ids([committee.pk], include_self=False)
    return list(
        Organization.objects.filter(id__in=ids, kind=OrganizationKind.CELL, is_external=False)
        .filter(Q(active=True) | Q(members__isnull=False))
        .distinct()
        .order_by("order", "name")
    )


def committee_dashboard(committee: Organization, *, on: datetime.date | None = None) -> Dashboard:
    """The dashboard of a commune committee: every cell under it together, and each cell for comparison."""
    return _build(committee, committee_cells(committee), on or selectors.today(), per_cell_fees=True, is_committee=True)


__all__ = [
    "CellFigures",
    "Collection",
    "Dashboard",
    "cell_dashboard",
    "committee_cells",
    "committee_dashboard",
    "next_award_date",
]
