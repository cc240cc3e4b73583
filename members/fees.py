"""Party fees (đảng phí): what a member owes for a month, what they paid, arrears and collection rates.

Computations only (no writes; those are in ``members.services.fees``). Every number comes from the rule
tables (``FeeRuleSet`` + ``FeeRate``, domain.md §4) through the rule set in force for the month being
computed, so historical months keep the old rule (342-QĐ/TW before 02/2026, 01-QĐ/TW from then).

How a month's amount is found (:func:`monthly_fee`):

1. the member must be a party member that month: admitted by then (the month of ``admission_date`` is
   owed), and not gone — a member who is no longer current (transferred out, expelled, removed, resigned,
   deceased) owes nothing for the months starting on or after the day of that change;
2. the rule set in force on the first day of the month (``members.rules``);
3. the member's declaration in force (the latest ``valid_from`` on or before the month): its category picks
   the rate, a percentage of the declared basis or a fixed amount;
4. exemptions: a party age of at least the rule's ``exempt_party_age_years`` frees the member from the
   month after the one in which that age is reached; a ``FeeExemption`` covering the month frees them
   (100 %) or lowers the amount (30/50/70 % relief);
5. the amount is rounded half up to the rule's ``round_to`` đồng.

Many members at once: :class:`FeeBook` loads everything for a list of members in a fixed number of queries
(rules, declarations, exemptions, payments, departures), so the monthly sheet of a cell costs the same
whatever the number of its members.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import numberformat
from django.utils.formats import get_format, number_format
from django.utils.translation import gettext as _

from partyhub.text import fold

from . import selectors
from .models import (
    CURRENT_STATUSES,
    FeeCategory,
    FeeDeclaration,
    FeeExemption,
    FeePayment,
    FeeRate,
    FeeRuleSet,
    Member,
    MemberStatusEvent,
)
from .rules import RuleBook

__all__ = [
    "ArrearsEntry",
    "FeeBook",
    "FeeDue",
    "FeeMonth",
    "SheetRow",
    "add_months",
    "collection_rate",
    "collection_rates",
    "fee_year",
    "first_of_month",
    "format_money",
    "members_in_arrears",
    "monthly_fee",
    "monthly_sheet",
    "months_of_year",
    "party_age_reached_on",
    "round_amount",
    "sheet_members",
]


# --- small helpers ----------------------------------------------------------------------------------------


def first_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def add_months(month: datetime.date, count: int) -> datetime.date:
    """The first day of the month ``count`` months after (or before) ``month``'s."""
    index = month.year * 12 + (month.month - 1) + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def months_of_year(year: int) -> list[datetime.date]:
    return [datetime.date(year, m, 1) for m in range(1, 13)]


def round_amount(value: Decimal | int, round_to: int) -> int:
    """``value`` rounded half up to a multiple of ``round_to`` đồng (84,567.89 → 84,600 with 100)."""
    step = Decimal(max(int(round_to or 1), 1))
    return int((Decimal(value) / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step)


def format_money(amount) -> str:
    """An amount in đồng with the thousands separator of the active language ("1.234.000 đ" in Vietnamese,
    "1,234,000 đ" in English). Groups of three always: Django's Vietnamese formats set no NUMBER_GROUPING, so
    ``number_format`` alone would print "1234000"."""
    text = numberformat.format(
        int(amount or 0),
        get_format("DECIMAL_SEPARATOR"),
        decimal_pos=0,
        grouping=3,
        thousand_sep=get_format("THOUSAND_SEPARATOR"),
        force_grouping=True,
    )
    return f"{text} đ"


def _percent_text(value: Decimal) -> str:
    value = Decimal(value).normalize()
    if value == value.to_integral():
        value = value.quantize(Decimal(1))
    return f"{number_format(value, use_l10n=True)}%"


def _month_text(month: datetime.date) -> str:
    return f"{month:%m/%Y}"


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none: the 28th
        return day.replace(year=day.year + years, day=28)


def party_age_reached_on(member: Member, years: int) -> datetime.date | None:
    """The day ``member`` reaches ``years`` of party age: counted from the (first) admission decision, plus
    the days that do not count (gaps after expulsion, removal, loss of contact, transfer gaps — the cached
    ``party_age_gap_days`` kept by ``members.services.status``, the same gaps ``members.facts.party_age``
    subtracts). No query, so it is cheap for a whole sheet."""
    if member.admission_date is None:
        return None
    return _add_years(member.admission_date, years) + datetime.timedelta(days=member.party_age_gap_days or 0)


# --- results ----------------------------------------------------------------------------------------------


class Reason:
    """Why a month's amount is what it is (``FeeDue.reason``)."""

    CHARGED = "charged"
    RELIEF = "relief"
    EXEMPT = "exempt"
    PARTY_AGE = "party_age"
    NOT_MEMBER_YET = "not_member_yet"
    LEFT = "left"
    NO_RULE = "no_rule"
    NO_RATE = "no_rate"
    NO_DECLARATION = "no_declaration"


@dataclass(frozen=True)
class FeeDue:
    """What a member owes for one month, and how it was found."""

    member_id: int
    month: datetime.date
    amount: int
    rule_set: FeeRuleSet | None = None
    category: str = ""
    basis: int = 0
    rate: FeeRate | None = None
    #: the amount before any relief (0 when nothing is charged)
    gross: int = 0
    exemption: FeeExemption | None = None
    relief_percent: int = 0
    reason: str = Reason.CHARGED
    explanation: str = ""

    @property
    def owes(self) -> bool:
        return self.amount > 0

    @property
    def is_exempt(self) -> bool:
        return self.reason in (Reason.EXEMPT, Reason.PARTY_AGE)

    @property
    def category_label(self) -> str:
        return FeeCategory(self.category).label if self.category in FeeCategory.values else ""


@dataclass(frozen=True)
class FeeMonth:
    """One month of a member's fee year: what was due and what was paid."""

    month: datetime.date
    due: FeeDue
    payment: FeePayment | None = None

    @property
    def paid(self) -> int:
        return self.payment.amount if self.payment is not None else 0

    @property
    def balance(self) -> int:
        """What is still owed for the month (never negative: paying more is allowed)."""
        return max(self.due.amount - self.paid, 0)

    @property
    def unpaid(self) -> bool:
        return self.due.amount > 0 and self.payment is None


@dataclass(frozen=True)
class ArrearsEntry:
    """A member who did not pay ``len(unpaid_months)`` months of ``year`` (at least the rule's limit)."""

    member: Member
    year: int
    unpaid_months: list[datetime.date]
    owed: int
    limit: int

    @property
    def count(self) -> int:
        return len(self.unpaid_months)

    @property
    def months_text(self) -> str:
        return ", ".join(f"{m:%m}" for m in self.unpaid_months) + f"/{self.year}"


@dataclass
class SheetRow:
    """A line of a cell's monthly fee sheet."""

    member: Member
    fee: FeeMonth
    year_unpaid: int = 0
    in_arrears: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def amount_key(self) -> str:
        """The name of the row's amount field on the sheet (errors of the service are keyed by it)."""
        return f"amount_{self.member.pk}"

    @property
    def pay_key(self) -> str:
        return f"pay_{self.member.pk}"


# --- the book: everything needed for many members, in a fixed number of queries ---------------------------


class FeeBook:
    """Fee facts of ``members`` loaded once: rule sets with rates (2 queries), declarations (1), exemptions
    (1), payments (1, limited to ``months`` when given) and departures of members no longer current (1, only
    when there are some). Answers :meth:`due`, :meth:`month`, :meth:`year` in memory."""

    def __init__(self, members: Iterable[Member], *, months: Iterable[datetime.date] | None = None):
        self.members = list(members)
        ids = [m.pk for m in self.members]
        self.rules = RuleBook(FeeRuleSet, rows=list(FeeRuleSet.objects.prefetch_related("rates")))
        self.declarations: dict[int, list[FeeDeclaration]] = defaultdict(list)
        self.exemptions: dict[int, list[FeeExemption]] = defaultdict(list)
        self.payments: dict[tuple[int, datetime.date], FeePayment] = {}
        self.left_on: dict[int, datetime.date] = {}
        if not ids:
            return
        for declaration in FeeDeclaration.objects.filter(member_id__in=ids).order_by("member_id", "valid_from"):
            self.declarations[declaration.member_id].append(declaration)
        for exemption in FeeExemption.objects.filter(member_id__in=ids).order_by("member_id", "start_month"):
            self.exemptions[exemption.member_id].append(exemption)
        payments = FeePayment.objects.filter(member_id__in=ids)
        if months is not None:
            payments = payments.filter(month__in=sorted(set(months)))
        for payment in payments:
            self.payments[(payment.member_id, payment.month)] = payment
        gone = {m.pk: m.status for m in self.members if m.status not in CURRENT_STATUSES}
        if gone:
            events = (
                MemberStatusEvent.objects.filter(member_id__in=list(gone), voided_at__isnull=True)
                .order_by("member_id", "effective_date", "id")
                .values_list("member_id", "status_after", "effective_date")
            )
            for member_id, status_after, effective in events:
                if status_after == gone[member_id]:
                    self.left_on[member_id] = effective  # the latest change into the present status wins

    # --- lookups ---

    def rule_set(self, month: datetime.date) -> FeeRuleSet | None:
        return self.rules.on(month)

    def declaration(self, member: Member, month: datetime.date) -> FeeDeclaration | None:
        found = None
        for declaration in self.declarations.get(member.pk, ()):
            if declaration.valid_from <= month:
                found = declaration
            else:
                break
        return found

    def exemption(self, member: Member, month: datetime.date) -> FeeExemption | None:
        """The exemption covering ``month`` (the most generous one if two overlap)."""
        covering = [
            e
            for e in self.exemptions.get(member.pk, ())
            if e.start_month <= month and (e.end_month is None or month <= e.end_month)
        ]
        return max(covering, key=lambda e: (e.relief_percent, e.start_month), default=None)

    def payment(self, member: Member, month: datetime.date) -> FeePayment | None:
        return self.payments.get((member.pk, month))

    # --- the computation ---

    def due(self, member: Member, month: datetime.date) -> FeeDue:
        month = first_of_month(month)
        base = {"member_id": member.pk, "month": month}
        when = _month_text(month)

        if member.admission_date is not None and month < first_of_month(member.admission_date):
            return FeeDue(
                **base,
                amount=0,
                reason=Reason.NOT_MEMBER_YET,
                explanation=_("Nothing is due for %(month)s: the member was admitted on %(date)s.")
                % {"month": when, "date": f"{member.admission_date:%d/%m/%Y}"},
            )
        left = self.left_on.get(member.pk)
        # A member who left owes the months that began before the day they left, nothing after.
        if member.status not in CURRENT_STATUSES and (left is None or month >= left):
            if left is None:
                text = _("Nothing is due for %(month)s: the member is no longer a current member (%(status)s).")
            else:
                text = _(
                    "Nothing is due for %(month)s: the member is no longer a current member (%(status)s "
                    "since %(date)s)."
                )
            return FeeDue(
                **base,
                amount=0,
                reason=Reason.LEFT,
                explanation=text
                % {
                    "month": when,
                    "status": member.get_status_display(),
                    "date": f"{left:%d/%m/%Y}" if left else "",
                },
            )

        rule_set = self.rule_set(month)
        if rule_set is None:
            return FeeDue(
                **base,
                amount=0,
                reason=Reason.NO_RULE,
                explanation=_("No party fee rules are in force for %(month)s.") % {"month": when},
            )
        base["rule_set"] = rule_set

        declaration = self.declaration(member, month)
        if declaration is None:
            return FeeDue(
                **base,
                amount=0,
                reason=Reason.NO_DECLARATION,
                explanation=_("No fee basis is declared for %(month)s: declare what the member's fee is computed from.")
                % {"month": when},
            )
        category = declaration.category
        base["category"] = category
        base["basis"] = declaration.basis_amount
        category_label = FeeCategory(category).label if category in FeeCategory.values else category
        rate = next((r for r in rule_set.rates.all() if r.category == category), None)
        if rate is None:
            return FeeDue(
                **base,
                amount=0,
                reason=Reason.NO_RATE,
                explanation=_("%(source)s sets no rate for “%(category)s”.")
                % {"source": rule_set.source, "category": category_label},
            )
        base["rate"] = rate

        if rate.percent is not None:
            raw = Decimal(declaration.basis_amount) * rate.percent / Decimal(100)
            how = _("%(percent)s of %(basis)s (%(category)s)") % {
                "percent": _percent_text(rate.percent),
                "basis": format_money(declaration.basis_amount),
                "category": category_label,
            }
        else:
            raw = Decimal(rate.fixed_amount or 0)
            how = _("the fixed amount for “%(category)s”") % {"category": category_label}
        gross = round_amount(raw, rule_set.round_to)
        base["gross"] = gross

        if rule_set.exempt_party_age_years:
            reached = party_age_reached_on(member, rule_set.exempt_party_age_years)
            if reached is not None and month > first_of_month(reached):
                return FeeDue(
                    **base,
                    amount=0,
                    relief_percent=100,
                    reason=Reason.PARTY_AGE,
                    explanation=_(
                        "Exempt for %(month)s: %(years)s years of party age reached on %(date)s (%(source)s)."
                    )
                    % {
                        "month": when,
                        "years": rule_set.exempt_party_age_years,
                        "date": f"{reached:%d/%m/%Y}",
                        "source": rule_set.source,
                    },
                )

        exemption = self.exemption(member, month)
        if exemption is not None and exemption.relief_percent >= 100:
            return FeeDue(
                **base,
                amount=0,
                exemption=exemption,
                relief_percent=100,
                reason=Reason.EXEMPT,
                explanation=_("Exempt for %(month)s: %(reason)s.")
                % {"month": when, "reason": exemption.get_kind_display()},
            )
        if exemption is not None:
            relief = exemption.relief_percent
            amount = round_amount(raw * Decimal(100 - relief) / Decimal(100), rule_set.round_to)
            return FeeDue(
                **base,
                amount=amount,
                exemption=exemption,
                relief_percent=relief,
                reason=Reason.RELIEF,
                explanation=_(
                    "%(amount)s for %(month)s: %(how)s under %(source)s, less a relief of %(relief)s%% "
                    "(%(reason)s), rounded to %(round)s."
                )
                % {
                    "amount": format_money(amount),
                    "month": when,
                    "how": how,
                    "source": rule_set.source,
                    "relief": relief,
                    "reason": exemption.get_kind_display(),
                    "round": format_money(rule_set.round_to),
                },
            )
        return FeeDue(
            **base,
            amount=gross,
            reason=Reason.CHARGED,
            explanation=_("%(amount)s for %(month)s: %(how)s under %(source)s, rounded to %(round)s.")
            % {
                "amount": format_money(gross),
                "month": when,
                "how": how,
                "source": rule_set.source,
                "round": format_money(rule_set.round_to),
            },
        )

    def month(self, member: Member, month: datetime.date) -> FeeMonth:
        month = first_of_month(month)
        return FeeMonth(month=month, due=self.due(member, month), payment=self.payment(member, month))

    def year(self, member: Member, year: int) -> list[FeeMonth]:
        return [self.month(member, m) for m in months_of_year(year)]

    def unpaid_months(self, member: Member, year: int, *, on: datetime.date) -> list[datetime.date]:
        """Months of ``year`` that are over by ``on`` (before its month) with an amount due and no payment."""
        current = first_of_month(on)
        return [m for m in months_of_year(year) if m < current and self.month(member, m).unpaid]

    def arrears_limit(self, year: int, *, on: datetime.date) -> int | None:
        """The number of unpaid months that triggers the warning: the rule in force on the last month of
        ``year`` counted by ``on``."""
        last = min(datetime.date(year, 12, 1), add_months(first_of_month(on), -1))
        rule_set = self.rule_set(last) if last.year == year else None
        return rule_set.arrears_warning_months if rule_set is not None else None


# --- the contract of area B -------------------------------------------------------------------------------


def monthly_fee(member: Member, month: datetime.date) -> FeeDue:
    """What ``member`` owes for ``month`` (any day of it), with the rule set, category, basis, exemption,
    relief and a sentence explaining how the amount was found (in the active language)."""
    return FeeBook([member], months=[first_of_month(month)]).due(member, month)


def fee_year(member: Member, year: int) -> list[FeeMonth]:
    """The twelve months of ``year`` for ``member``: due, paid and the payment row."""
    return FeeBook([member], months=months_of_year(year)).year(member, year)


def _scope_members(organization_ids: Iterable[int]) -> QuerySet[Member]:
    return Member.objects.filter(organization_id__in=list(organization_ids))


def members_in_arrears(
    organization_ids: Iterable[int], year: int, *, on: datetime.date | None = None
) -> list[ArrearsEntry]:
    """Members of these organizations who have not paid at least the rule's ``arrears_warning_months``
    months of ``year`` (months over by ``on``, today by default), most months first. Fixed query count."""
    on = on or selectors.today()
    if year > on.year:
        return []
    members = list(
        _scope_members(organization_ids)
        .filter(status__in=CURRENT_STATUSES)
        .select_related("organization")
        .order_by("organization__order", "organization__name", "full_name", "pk")
    )
    book = FeeBook(members, months=months_of_year(year))
    limit = book.arrears_limit(year, on=on)
    if not limit:
        return []
    entries = []
    for member in members:
        unpaid = book.unpaid_months(member, year, on=on)
        if len(unpaid) >= limit:
            owed = sum(book.due(member, m).amount for m in unpaid)
            entries.append(ArrearsEntry(member=member, year=year, unpaid_months=unpaid, owed=owed, limit=limit))
    entries.sort(key=lambda e: -e.count)
    return entries


def _period_months(month: datetime.date | None, year: int | None, on: datetime.date) -> list[datetime.date]:
    if month is not None:
        return [first_of_month(month)]
    if year is None:
        year = on.year
    current = first_of_month(on)
    # A year counts its months up to this one (the months to come are not due yet).
    return [m for m in months_of_year(year) if m <= current]


def _members_for_period(organization_ids, months: list[datetime.date]) -> list[Member]:
    """Members of these organizations who may owe for one of ``months``: current ones, and those who left
    after the first of them (they owe the months before they left)."""
    if not months:
        return []
    left_late = MemberStatusEvent.objects.filter(
        member=OuterRef("pk"), voided_at__isnull=True, effective_date__gt=months[0]
    )
    return list(
        _scope_members(organization_ids)
        .filter(Q(status__in=CURRENT_STATUSES) | Exists(left_late))
        .filter(Q(admission_date__isnull=True) | Q(admission_date__lt=add_months(months[-1], 1)))
    )


def collection_rates(
    organization_ids: Iterable[int],
    *,
    month: datetime.date | None = None,
    year: int | None = None,
    on: datetime.date | None = None,
) -> dict[int, tuple[int, int, Decimal | None]]:
    """Per organization: (amount due, amount paid, percent paid) for ``month``, or for ``year`` (its months
    up to the current one). Paid counts what was paid for those months, up to what was due for each member
    and month (an overpayment does not hide another member's debt). The percent is ``None`` when nothing was
    due. Fixed query count."""
    on = on or selectors.today()
    months = _period_months(month, year, on)
    members = _members_for_period(organization_ids, months)
    book = FeeBook(members, months=months)
    totals: dict[int, list[int]] = {int(org_id): [0, 0] for org_id in organization_ids}
    for member in members:
        row = totals.setdefault(member.organization_id, [0, 0])
        for m in months:
            fee = book.month(member, m)
            row[0] += fee.due.amount
            row[1] += min(fee.paid, fee.due.amount)
    return {org_id: (due, paid, _percent(paid, due)) for org_id, (due, paid) in totals.items()}


def collection_rate(
    organization_ids: Iterable[int],
    month: datetime.date | None = None,
    year: int | None = None,
    *,
    on: datetime.date | None = None,
) -> tuple[int, int, Decimal | None]:
    """(amount due, amount paid, percent paid) over these organizations together (see
    :func:`collection_rates`)."""
    per_org = collection_rates(list(organization_ids), month=month, year=year, on=on)
    due = sum(v[0] for v in per_org.values())
    paid = sum(v[1] for v in per_org.values())
    return due, paid, _percent(paid, due)


def _percent(paid: int, due: int) -> Decimal | None:
    if not due:
        return None
    return (Decimal(paid) * 100 / Decimal(due)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# --- the monthly sheet of a cell --------------------------------------------------------------------------


def sheet_members(organization, month: datetime.date) -> list[Member]:
    """Who is on the sheet of ``organization`` for ``month``: its current members, and members who left
    it after that month began (they still owe that month). One query."""
    month = first_of_month(month)
    return sorted(
        [m for m in _members_for_period([organization.pk], [month]) if m.organization_id == organization.pk],
        key=lambda m: (fold(m.full_name.split()[-1]) if m.full_name.strip() else "", fold(m.full_name), m.pk),
    )


@dataclass
class Sheet:
    organization: object
    month: datetime.date
    rows: list[SheetRow]
    due_total: int
    paid_total: int
    paid_count: int
    owing_count: int
    percent: Decimal | None
    arrears_limit: int | None

    @property
    def balance_total(self) -> int:
        return max(self.due_total - self.paid_total, 0)


def monthly_sheet(organization, month: datetime.date, *, on: datetime.date | None = None) -> Sheet:
    """Every member on the sheet of ``organization`` for ``month`` with the amount due, the payment, and the
    number of unpaid months of that year so far; totals and the collection rate. Fixed query count."""
    on = on or selectors.today()
    month = first_of_month(month)
    members = sheet_members(organization, month)
    book = FeeBook(members, months=months_of_year(month.year))
    limit = book.arrears_limit(month.year, on=on)
    rows = []
    due_total = paid_total = paid_count = owing_count = 0
    for member in members:
        fee = book.month(member, month)
        if fee.due.reason == Reason.LEFT:
            continue
        unpaid = len(book.unpaid_months(member, month.year, on=on)) if month.year <= on.year else 0
        rows.append(
            SheetRow(member=member, fee=fee, year_unpaid=unpaid, in_arrears=bool(limit) and unpaid >= (limit or 0))
        )
        due_total += fee.due.amount
        paid_total += min(fee.paid, fee.due.amount)
        if fee.due.amount > 0:
            owing_count += 1
            if fee.payment is not None:
                paid_count += 1
    return Sheet(
        organization=organization,
        month=month,
        rows=rows,
        due_total=due_total,
        paid_total=paid_total,
        paid_count=paid_count,
        owing_count=owing_count,
        percent=_percent(paid_total, due_total),
        arrears_limit=limit,
    )
