"""Party fee pages: a cell's monthly fee sheet (the cell secretary records the month's payments at once) and
a member's fee page (declaration, exemptions, the year month by month, the arrears warning).

Thin views: access through ``members.permissions`` (a cell or member the user may not handle answers 404,
like a missing one), computations in ``members.fees``, writes through ``members.services.fees``.
"""

from __future__ import annotations

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from partyhub import audit

from .. import fees, permissions, selectors
from ..models import FeeCategory, FeeExemptionKind, FeeRuleSet, Member, Organization
from ..rules import in_force
from ..services import fees as fee_services

SHEET_TEMPLATE = "members/fees/sheet.html"
MEMBER_TEMPLATE = "members/fees/member.html"


# --- helpers ----------------------------------------------------------------------------------------------


def parse_month(value: str | None, default: datetime.date) -> datetime.date | None:
    """ "2026-03" (an ``<input type="month">``) → 2026-03-01; ``default`` when empty; ``None`` when invalid."""
    if not value:
        return default
    try:
        year, month = (int(part) for part in value.strip().split("-")[:2])
        return datetime.date(year, month, 1)
    except (TypeError, ValueError):
        return None


def _managed_cell(request: HttpRequest, organization_id: int) -> Organization:
    organization = get_object_or_404(Organization, pk=organization_id)
    if not permissions.can_manage_fees(request.user, organization):
        raise Http404
    return organization


def _apply_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class MonthField(forms.DateField):
    """A month from ``<input type="month">`` ("2026-03"), cleaned to its first day."""

    widget = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")
    input_formats = ["%Y-%m", "%Y-%m-%d", "%m/%Y", "%d/%m/%Y"]

    def to_python(self, value):
        day = super().to_python(value)
        return day.replace(day=1) if day else day


# --- the monthly sheet of a cell --------------------------------------------------------------------------


def _sheet_context(request, organization, month, *, errors=None, values=None, paid_on=None, saved=None):
    today = selectors.today()
    sheet = fees.monthly_sheet(organization, month, on=today)
    return {
        "organization": organization,
        "sheet": sheet,
        "month": month,
        "previous_month": fees.add_months(month, -1),
        "next_month": fees.add_months(month, 1),
        "is_current_month": month == today.replace(day=1),
        "errors": errors or {},
        "general_errors": (errors or {}).get("__all__", []),
        "values": values or {},
        "paid_on": paid_on or today,
        "today": today,
        "saved": saved,
    }


@require_http_methods(["GET", "HEAD", "POST"])
def fee_sheet(request: HttpRequest, organization_id: int) -> HttpResponse:
    """``members:fees``: every member of the cell for a month — due, paid, a box to record the payment —
    with totals and the collection rate. ``?month=YYYY-MM`` (this month by default)."""
    organization = _managed_cell(request, organization_id)
    today = selectors.today()
    month = parse_month(request.GET.get("month") or request.POST.get("month"), today.replace(day=1))
    if month is None:
        month = today.replace(day=1)
    if request.method != "POST":
        saved = request.GET.get("saved")
        return render(
            request,
            SHEET_TEMPLATE,
            _sheet_context(request, organization, month, saved=int(saved) if saved and saved.isdigit() else None),
        )

    values: dict[str, str] = {}
    entries = []
    errors: dict[str, list[str]] = {}
    members = {str(m.pk): m for m in fees.sheet_members(organization, month)}
    for key in request.POST:
        if not key.startswith("pay_"):
            continue
        pk = key.removeprefix("pay_")
        member = members.get(pk)
        values[f"pay_{pk}"] = "on"
        amount = request.POST.get(f"amount_{pk}", "").strip().replace(".", "").replace(",", "").replace(" ", "")
        values[f"amount_{pk}"] = request.POST.get(f"amount_{pk}", "")
        if member is None:
            errors.setdefault("__all__", []).append(_("A member on this form is no longer on the sheet: reload it."))
            continue
        if not amount.isdigit():
            errors.setdefault(f"amount_{pk}", []).append(
                _("%(member)s: enter the amount in đồng, as a whole number.") % {"member": member.full_name}
            )
            continue
        entries.append((member, int(amount)))
    paid_on_raw = request.POST.get("paid_on", "")
    try:
        paid_on = datetime.date.fromisoformat(paid_on_raw) if paid_on_raw else None
    except ValueError:
        paid_on = None
        errors.setdefault("paid_on", []).append(_("Enter the payment date."))
    if paid_on is None and "paid_on" not in errors:
        errors.setdefault("paid_on", []).append(_("The payment date is required."))
    if not entries and not errors:
        errors.setdefault("__all__", []).append(_("Choose at least one member whose payment to record."))
    if not errors:
        try:
            created = fee_services.fee_payments_record(
                actor=request.user, organization=organization, month=month, entries=entries, paid_on=paid_on
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for key, messages in exc.message_dict.items():
                    errors.setdefault(key if key != "__all__" else "__all__", []).extend(messages)
            else:
                errors.setdefault("__all__", []).extend(exc.messages)
        else:
            url = f"{reverse('members:fees', args=[organization.pk])}?month={month:%Y-%m}&saved={len(created)}"
            return HttpResponseRedirect(url)
    # Errors that belong to no row are shown above the sheet.
    row_keys = {f"amount_{pk}" for pk in members}
    general = [m for key, msgs in errors.items() if key not in row_keys and key != "paid_on" for m in msgs]
    context = _sheet_context(
        request,
        organization,
        month,
        errors={**{k: v for k, v in errors.items() if k in row_keys or k == "paid_on"}, "__all__": general},
        values=values,
        paid_on=paid_on,
    )
    return render(request, SHEET_TEMPLATE, context, status=200 if request.headers.get("HX-Request") else 400)


# --- a member's fee page ----------------------------------------------------------------------------------


class DeclarationForm(forms.Form):
    valid_from = MonthField(label=gettext_lazy("From month"))
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=FeeCategory.choices)
    basis_amount = forms.IntegerField(
        label=gettext_lazy("Monthly basis (đồng)"),
        required=False,
        min_value=0,
        help_text=gettext_lazy(
            "Salary, benefit or pension; for other members, the regional minimum wage. Empty for students."
        ),
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=300)


class ExemptionForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Reason"), choices=FeeExemptionKind.choices)
    relief_percent = forms.TypedChoiceField(label=gettext_lazy("Relief"), coerce=int, choices=())
    start_month = MonthField(label=gettext_lazy("First month"))
    end_month = MonthField(label=gettext_lazy("Last month"), required=False)
    decision_number = forms.CharField(label=gettext_lazy("Decision number"), required=False, max_length=100)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=300)

    def __init__(self, *args, percents: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["relief_percent"].choices = [
            (p, _("Full exemption (100%)") if p == 100 else f"{p}%") for p in sorted(percents, reverse=True)
        ]


class PaymentForm(forms.Form):
    month = MonthField(label=gettext_lazy("Month paid for"))
    amount = forms.IntegerField(label=gettext_lazy("Amount (đồng)"))
    paid_on = forms.DateField(label=gettext_lazy("Paid on"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=300)


def _visible_member(request: HttpRequest, pk: int) -> Member:
    member = get_object_or_404(Member.objects.select_related("organization"), pk=pk)
    if not permissions.can_view_fees(request.user, member):
        raise Http404
    return member


@require_http_methods(["GET", "HEAD", "POST"])
def fee_member(request: HttpRequest, pk: int) -> HttpResponse:
    """``members:fee_member``: one member's fee page, ``?year=`` (this year by default). Those who manage the
    member's cell also declare the basis, grant exemptions and record a payment here."""
    member = _visible_member(request, pk)
    today = selectors.today()
    try:
        year = int(request.GET.get("year") or today.year)
    except ValueError:
        year = today.year
    if not 2000 <= year <= today.year + 1:
        raise Http404
    can_record = permissions.can_record_fees(request.user, member)
    rule_set = in_force(FeeRuleSet, today)
    percents = fee_services.allowed_relief_percents(rule_set)
    declaration_form = DeclarationForm(prefix="declare", initial={"valid_from": today.replace(day=1)})
    exemption_form = ExemptionForm(prefix="exempt", percents=percents, initial={"start_month": today.replace(day=1)})
    payment_form = PaymentForm(prefix="pay", initial={"month": today.replace(day=1), "paid_on": today})
    status = 200

    if request.method == "POST":
        if not can_record:
            raise Http404
        action = request.POST.get("action")
        url = f"{reverse('members:fee_member', args=[member.pk])}?year={year}"
        try:
            if action == "declare":
                declaration_form = DeclarationForm(request.POST, prefix="declare")
                if declaration_form.is_valid():
                    data = declaration_form.cleaned_data
                    fee_services.fee_declaration_set(
                        actor=request.user,
                        member=member,
                        valid_from=data["valid_from"],
                        category=data["category"],
                        basis_amount=data["basis_amount"] or 0,
                        note=data["note"],
                    )
                    return HttpResponseRedirect(url + "&saved=declaration")
            elif action == "exempt":
                exemption_form = ExemptionForm(request.POST, prefix="exempt", percents=percents)
                if exemption_form.is_valid():
                    data = exemption_form.cleaned_data
                    fee_services.fee_exemption_grant(actor=request.user, member=member, **data)
                    return HttpResponseRedirect(url + "&saved=exemption")
            elif action == "pay":
                payment_form = PaymentForm(request.POST, prefix="pay")
                if payment_form.is_valid():
                    fee_services.fee_payment_record(actor=request.user, member=member, **payment_form.cleaned_data)
                    return HttpResponseRedirect(url + "&saved=payment")
            else:
                raise Http404
        except ValidationError as exc:
            form = {"declare": declaration_form, "exempt": exemption_form, "pay": payment_form}[action]
            _apply_errors(form, exc)
        status = 400

    audit.record(action="view", obj=member)
    book = fees.FeeBook([member], months=fees.months_of_year(year))
    months = book.year(member, year)
    unpaid = book.unpaid_months(member, year, on=today) if year <= today.year else []
    limit = book.arrears_limit(year, on=today) if year <= today.year else None
    declarations = list(reversed(book.declarations.get(member.pk, [])))
    context = {
        "member": member,
        "year": year,
        "years": list(range(today.year, max(today.year - 6, 1999), -1)),
        "months": months,
        "due_total": sum(m.due.amount for m in months),
        "paid_total": sum(m.paid for m in months),
        "unpaid": unpaid,
        "arrears_limit": limit,
        "in_arrears": bool(limit) and len(unpaid) >= limit,
        "current_due": book.due(member, today.replace(day=1)),
        "declaration": book.declaration(member, today.replace(day=1)),
        "declarations": declarations,
        "exemptions": list(reversed(book.exemptions.get(member.pk, []))),
        "can_record": can_record,
        "declaration_form": declaration_form,
        "exemption_form": exemption_form,
        "payment_form": payment_form,
        "saved": request.GET.get("saved", ""),
        "today": today,
        "sheet_url": (
            reverse("members:fees", args=[member.organization_id])
            if permissions.can_manage_fees(request.user, member.organization)
            else ""
        ),
    }
    return render(request, MEMBER_TEMPLATE, context, status=status)
