"""Writes of the party fee area: payments (one, or a cell's monthly sheet all at once), declarations of
what a member's fee is computed from, exemptions and reliefs.

Conventions of ``members.services`` (see organizations.py): keyword-only, ``actor=`` (``None`` = the
system: no permission check, validation all the same), one transaction, ``ValidationError`` with translated
messages keyed by field, ``PermissionDenied`` when the actor may not. Who may: the cell secretary of the
member's cell, the clerks and leaders of the commune, admins (``permissions.can_record_fees``).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .. import fees, permissions, selectors
from ..fees import Reason, format_money
from ..models import (
    FeeCategory,
    FeeDeclaration,
    FeeExemption,
    FeeExemptionKind,
    FeePayment,
    FeeRuleSet,
    Member,
    Organization,
)
from ..rules import in_force
from ._common import _as, _require

__all__ = [
    "allowed_relief_percents",
    "fee_arrears_warn",
    "fee_declaration_set",
    "fee_exemption_grant",
    "fee_payment_record",
    "fee_payments_record",
]


def _d(value: datetime.date | None) -> str:
    """A day in the Vietnamese form (dd/mm/yyyy), whatever the language."""
    return f"{value:%d/%m/%Y}" if value else "…"


#: The relief percentages accepted when the rule in force lists none: a full exemption only.
DEFAULT_RELIEF_PERCENTS = (100,)


def _month(value: datetime.date | None, field: str = "month") -> datetime.date:
    if value is None:
        raise ValidationError({field: _("The month is required.")})
    if isinstance(value, datetime.datetime):
        value = value.date()
    if value.day != 1:
        raise ValidationError(
            {field: _("A month is given by its first day (e.g. 01/03/2026), not %(date)s.") % {"date": _d(value)}}
        )
    return value


def _amount(value, field: str = "amount") -> int:
    try:
        amount = int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: _("Enter the amount in đồng, as a whole number.")}) from None
    if amount != value and str(amount) != str(value).strip():
        raise ValidationError({field: _("Enter the amount in đồng, as a whole number.")})
    if amount <= 0:
        raise ValidationError({field: _("The amount must be greater than zero.")})
    return amount


def _paid_on(value: datetime.date | None) -> datetime.date:
    if value is None:
        raise ValidationError({"paid_on": _("The payment date is required.")})
    if value > selectors.today():
        raise ValidationError({"paid_on": _("The payment date cannot be in the future.")})
    return value


def _already_paid_message(member: Member, payment: FeePayment) -> str:
    return _("%(member)s has already paid the fee for %(month)s (%(amount)s on %(date)s).") % {
        "member": member.full_name,
        "month": f"{payment.month:%m/%Y}",
        "amount": format_money(payment.amount),
        "date": _d(payment.paid_on),
    }


def _not_member_message(member: Member, due: fees.FeeDue) -> str:
    return _("%(member)s owes no fee for %(month)s: %(reason)s") % {
        "member": member.full_name,
        "month": f"{due.month:%m/%Y}",
        "reason": due.explanation,
    }


# --- payments ---------------------------------------------------------------------------------------------


@transaction.atomic
def fee_payment_record(
    *,
    actor,
    member: Member,
    month: datetime.date,
    amount: int,
    paid_on: datetime.date,
    note: str = "",
) -> FeePayment:
    """Record that ``member`` paid ``amount`` đồng for ``month`` (its first day) on ``paid_on``.

    Refused: a month already paid (one payment per member and month; correct a mistake in the admin), a
    month the member was not a party member in (before admission, after leaving), an amount ≤ 0, a payment
    date in the future. Paying more than the amount due, or ahead, is allowed."""
    if actor is not None:
        _require(permissions.can_record_fees(actor, member))
    month = _month(month)
    amount = _amount(amount)
    paid_on = _paid_on(paid_on)
    # One payment per member and month: serialize on the member row, then check.
    member = Member.objects.select_for_update().select_related("organization").get(pk=member.pk)
    existing = FeePayment.objects.filter(member=member, month=month).first()
    if existing is not None:
        raise ValidationError({"month": _already_paid_message(member, existing)})
    due = fees.monthly_fee(member, month)
    if due.reason in (Reason.NOT_MEMBER_YET, Reason.LEFT):
        raise ValidationError({"month": _not_member_message(member, due)})
    try:
        with transaction.atomic(), _as(actor):
            return FeePayment.objects.create(
                member=member,
                month=month,
                amount=amount,
                paid_on=paid_on,
                organization=member.organization,
                recorded_by=actor,
                note=(note or "").strip()[:300],
            )
    except IntegrityError:  # a concurrent request won the race despite the lock (other databases)
        existing = FeePayment.objects.get(member=member, month=month)
        raise ValidationError({"month": _already_paid_message(member, existing)}) from None


@transaction.atomic
def fee_payments_record(
    *,
    actor,
    organization: Organization,
    month: datetime.date,
    entries: Iterable[tuple[Member, int]],
    paid_on: datetime.date,
) -> list[FeePayment]:
    """The monthly sheet of a cell: record the payments of several members for ``month`` at once, all or
    nothing. Every entry is checked first; errors are keyed ``amount_<member id>`` (the sheet's fields), so
    the page shows each next to its row, and nothing is written when any entry is wrong."""
    if actor is not None:
        _require(permissions.can_manage_fees(actor, organization))
    month = _month(month)
    paid_on = _paid_on(paid_on)
    entries = list(entries)
    if not entries:
        raise ValidationError(_("Choose at least one member whose payment to record."))

    on_sheet = {m.pk: m for m in fees.sheet_members(organization, month)}
    # Lock the members of the sheet (in a fixed order) so that two secretaries saving at once cannot both pay.
    list(Member.objects.select_for_update().filter(pk__in=sorted(on_sheet)).order_by("pk").values_list("pk"))
    book = fees.FeeBook(list(on_sheet.values()), months=[month])
    errors: dict[str, list[str]] = {}
    seen: set[int] = set()
    clean: list[tuple[Member, int]] = []
    for member, amount in entries:
        key = f"amount_{member.pk}"
        if member.pk not in on_sheet:
            errors.setdefault(key, []).append(
                _("%(member)s is not on the fee sheet of %(organization)s for %(month)s.")
                % {"member": member.full_name, "organization": organization.name, "month": f"{month:%m/%Y}"}
            )
            continue
        member = on_sheet[member.pk]
        if member.pk in seen:
            errors.setdefault(key, []).append(
                _("%(member)s appears twice on this sheet.") % {"member": member.full_name}
            )
            continue
        seen.add(member.pk)
        try:
            value = _amount(amount, key)
        except ValidationError as exc:
            errors.setdefault(key, []).extend(
                f"{member.full_name}: {m}" for m in exc.message_dict.get(key, exc.messages)
            )
            continue
        existing = book.payment(member, month)
        if existing is not None:
            errors.setdefault(key, []).append(_already_paid_message(member, existing))
            continue
        due = book.due(member, month)
        if due.reason in (Reason.NOT_MEMBER_YET, Reason.LEFT):
            errors.setdefault(key, []).append(_not_member_message(member, due))
            continue
        clean.append((member, value))
    if errors:
        raise ValidationError(errors)

    created = []
    with _as(actor):
        for member, value in clean:
            created.append(
                FeePayment.objects.create(
                    member=member,
                    month=month,
                    amount=value,
                    paid_on=paid_on,
                    organization=organization,
                    recorded_by=actor,
                )
            )
    return created


# --- declarations -----------------------------------------------------------------------------------------

#: Categories whose fee is always a percentage of a declared amount.
_BASIS_CATEGORIES = {FeeCategory.SALARY, FeeCategory.BENEFIT, FeeCategory.PENSION}


@transaction.atomic
def fee_declaration_set(
    *,
    actor,
    member: Member,
    valid_from: datetime.date,
    category: str,
    basis_amount: int | None = 0,
    note: str = "",
) -> FeeDeclaration:
    """Declare what ``member``'s fee is computed from, from the month ``valid_from`` (its first day) on, until
    the next declaration. A second declaration for the same month replaces the first."""
    if actor is not None:
        _require(permissions.can_record_fees(actor, member))
    valid_from = _month(valid_from, "valid_from")
    if category not in FeeCategory.values:
        raise ValidationError({"category": _("Choose the fee category.")})
    try:
        basis = int(basis_amount or 0)
    except (TypeError, ValueError):
        raise ValidationError({"basis_amount": _("Enter the amount in đồng, as a whole number.")}) from None
    if basis < 0:
        raise ValidationError({"basis_amount": _("The monthly basis cannot be negative.")})
    rule_set = in_force(FeeRuleSet, valid_from)
    needs_basis = category in _BASIS_CATEGORIES
    if not needs_basis and rule_set is not None:
        rate = rule_set.rates.filter(category=category).first()
        needs_basis = rate is not None and rate.percent is not None
    if needs_basis and basis <= 0:
        if category == FeeCategory.OTHER:
            message = _("Enter the regional minimum wage the fee of other members is computed from.")
        else:
            message = _("Enter the monthly amount the fee is computed from (salary, benefit or pension).")
        raise ValidationError({"basis_amount": message})
    if not needs_basis:
        basis = 0
    with _as(actor):
        declaration, _created = FeeDeclaration.objects.update_or_create(
            member=member,
            valid_from=valid_from,
            defaults={
                "category": category,
                "basis_amount": basis,
                "note": (note or "").strip()[:300],
                "declared_by": actor,
            },
        )
    return declaration


# --- exemptions and reliefs -------------------------------------------------------------------------------


def allowed_relief_percents(rule_set: FeeRuleSet | None) -> list[int]:
    """The relief percentages the rule set allows (100 = full exemption)."""
    values = list(getattr(rule_set, "relief_percents", None) or DEFAULT_RELIEF_PERCENTS)
    return sorted({int(v) for v in values})


def _months_between(start: datetime.date, end: datetime.date) -> int:
    """How many months from ``start`` to ``end``, both included."""
    return (end.year - start.year) * 12 + end.month - start.month + 1


@transaction.atomic
def fee_exemption_grant(
    *,
    actor,
    member: Member,
    kind: str,
    start_month: datetime.date,
    end_month: datetime.date | None = None,
    relief_percent: int = 100,
    decision_number: str = "",
    note: str = "",
) -> FeeExemption:
    """Exempt ``member`` (100 %) or lower their fee (relief) from ``start_month`` to ``end_month``.

    The percent must be one the rule in force at ``start_month`` allows (30/50/70/100 under 01-QĐ/TW); an
    exemption for a social pension, a poor household or serious illness is full (100 %) and may be open-ended;
    a relief decided case by case needs an end and lasts at most the rule's ``max_relief_months`` (12). Grants
    of the same member may not overlap."""
    if actor is not None:
        _require(permissions.can_record_fees(actor, member))
    if kind not in FeeExemptionKind.values:
        raise ValidationError({"kind": _("Choose the reason for the exemption.")})
    start_month = _month(start_month, "start_month")
    if end_month is not None:
        end_month = _month(end_month, "end_month")
        if end_month < start_month:
            raise ValidationError({"end_month": _("The last month cannot be before the first month.")})
    try:
        percent = int(relief_percent)
    except (TypeError, ValueError):
        raise ValidationError({"relief_percent": _("Choose the relief percentage.")}) from None
    rule_set = in_force(FeeRuleSet, start_month)
    allowed = allowed_relief_percents(rule_set)
    if percent not in allowed:
        raise ValidationError(
            {
                "relief_percent": _("The relief must be one of %(allowed)s, not %(percent)s%%.")
                % {"allowed": ", ".join(f"{a}%" for a in allowed), "percent": percent}
            }
        )
    if kind != FeeExemptionKind.RELIEF and percent != 100:
        raise ValidationError(
            {
                "relief_percent": _(
                    "“%(kind)s” gives a full exemption (100%%); a partial relief is decided case by case."
                )
                % {"kind": FeeExemptionKind(kind).label}
            }
        )
    if kind == FeeExemptionKind.RELIEF:
        limit = getattr(rule_set, "max_relief_months", None)
        if end_month is None:
            raise ValidationError({"end_month": _("A relief decided case by case needs its last month.")})
        if limit and _months_between(start_month, end_month) > limit:
            raise ValidationError(
                {
                    "end_month": _("A relief lasts at most %(limit)s months per grant; this one lasts %(months)s.")
                    % {"limit": limit, "months": _months_between(start_month, end_month)}
                }
            )
    # Lock the member row so two grants cannot overlap by racing.
    Member.objects.select_for_update().filter(pk=member.pk).first()
    others = FeeExemption.objects.filter(member=member, start_month__lte=end_month or datetime.date.max)
    for other in others:
        if other.end_month is None or other.end_month >= start_month:
            raise ValidationError(
                _("%(member)s already has an exemption or relief from %(start)s to %(end)s that overlaps this one.")
                % {
                    "member": member.full_name,
                    "start": f"{other.start_month:%m/%Y}",
                    "end": f"{other.end_month:%m/%Y}" if other.end_month else "…",
                }
            )
    with _as(actor):
        return FeeExemption.objects.create(
            member=member,
            kind=kind,
            relief_percent=percent,
            start_month=start_month,
            end_month=end_month,
            decision_number=(decision_number or "").strip()[:100],
            note=(note or "").strip()[:300],
        )


# --- arrears warnings (beat task members.tasks.warn_fee_arrears) ------------------------------------------


def _cell_secretaries(organization_ids) -> dict[int, list]:
    """Users holding a cell-secretary position today in each of these organizations (one query)."""
    from ..models import Position

    found: dict[int, list] = {}
    rows = (
        Position.objects.filter(
            selectors.current_positions_q(),
            organization_id__in=list(organization_ids),
            title__grants_cell_secretary=True,
            member__user__isnull=False,
            member__user__is_active=True,
        )
        .select_related("member__user")
        .order_by("organization_id", "start_date")
    )
    for position in rows:
        found.setdefault(position.organization_id, []).append(position.member.user)
    return found


def fee_arrears_warn(*, on: datetime.date | None = None) -> int:
    """Tell each cell secretary about the members of their cell who have not paid the rule's number of months
    (3) of the year of the last month that is over, once per member and year: a ``FeeArrearsWarning`` row
    records that the warning was given, so running this again (every night) notifies nobody twice. Returns
    how many members were newly warned about."""
    from django.urls import reverse
    from django.utils.text import format_lazy
    from django.utils.translation import gettext_lazy

    from partyhub.notifications import notify

    from ..models import FeeArrearsWarning, OrganizationKind

    on = on or selectors.today()
    year = fees.add_months(fees.first_of_month(on), -1).year
    cell_ids = list(
        Organization.objects.filter(kind=OrganizationKind.CELL, is_external=False).values_list("id", flat=True)
    )
    entries = fees.members_in_arrears(cell_ids, year, on=on)
    if not entries:
        return 0
    already = set(
        FeeArrearsWarning.objects.filter(member_id__in=[e.member.pk for e in entries], year=year).values_list(
            "member_id", flat=True
        )
    )
    fresh = [e for e in entries if e.member.pk not in already]
    secretaries = _cell_secretaries({e.member.organization_id for e in fresh})
    warned = 0
    for entry in fresh:
        member = entry.member
        try:
            with transaction.atomic():
                _warning, created = FeeArrearsWarning.objects.get_or_create(
                    member=member,
                    year=year,
                    defaults={"unpaid_months": entry.count, "organization_id": member.organization_id},
                )
                if not created:
                    continue
                notify(
                    recipients=secretaries.get(member.organization_id, []),
                    title=format_lazy(
                        gettext_lazy("Party fee not paid: {member} ({count} months of {year})"),
                        member=member.full_name,
                        count=entry.count,
                        year=year,
                    ),
                    body=format_lazy(
                        gettext_lazy(
                            "{member} has not paid the party fee for {months} ({owed} owed). Not paying {limit} "
                            "months in a year without reason is a ground for removal from the rolls."
                        ),
                        member=member.full_name,
                        months=entry.months_text,
                        owed=format_money(entry.owed),
                        limit=entry.limit,
                    ),
                    url=f"{reverse('members:fee_member', args=[member.pk])}?year={year}",
                    kind="fee_arrears",
                )
        except IntegrityError:  # another run recorded it at the same moment
            continue
        warned += 1
    return warned
