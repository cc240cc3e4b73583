"""Registry pages for the party office, leaders and cell secretaries: the member list, a member's record,
the record forms and the correction requests sent from the handbook.

Thin views: read through ``members.selectors``, check with ``members.permissions``, write through
``members.services.records``. A record the user may not see answers 404, like a missing one.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from partyhub import audit

from .. import permissions, selectors
from ..forms import (
    RECORD_FORMSETS,
    CorrectionResolveForm,
    MemberCreateForm,
    MemberFilterForm,
    MemberRecordForm,
)
from ..models import CorrectionStatus, Member, Organization, OrganizationKind
from ..services import records
from ..services.importing import import_scopes_for

logger = logging.getLogger(__name__)

#: Partial templates of the other registry areas, included on the member page when they exist.
STATUS_PANEL_TEMPLATE = "members/status/_panel.html"
FEE_SUMMARY_TEMPLATE = "members/fees/_member_summary.html"
ASSESSMENT_SUMMARY_TEMPLATE = "members/assessments/_member_summary.html"


def template_exists(name: str) -> bool:
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return False
    return True


# --- shared by the record page and the handbook -----------------------------------------------------------


@dataclass(frozen=True)
class PersonalField:
    label: str
    value: str
    masked: bool


#: Labels of the personal data fields on the pages.
PERSONAL_LABELS = {
    "id_number": gettext_lazy("Citizen ID number"),
    "phone": gettext_lazy("Phone"),
    "permanent_address": gettext_lazy("Permanent address"),
    "current_address": gettext_lazy("Current address"),
}


def personal_fields(user, member: Member) -> list[PersonalField]:
    """The personal data of ``member`` as ``user`` may see it: whole, or masked to the last 3 characters."""
    whole = permissions.can_view_personal_data(user, member)
    rows = []
    for name in permissions.PERSONAL_DATA_FIELDS:
        value = getattr(member, name) or ""
        shown = value if whole else permissions.mask(value)
        label = PERSONAL_LABELS.get(name) or capfirst(Member._meta.get_field(name).verbose_name)
        rows.append(PersonalField(str(label), shown, bool(value) and not whole))
    return rows


@dataclass(frozen=True)
class Facts:
    """Computed facts shown on the record: from ``members.facts`` when available, else the cached columns."""

    party_age: object | None
    recognition_due: datetime.date | None
    decision_deadline: datetime.date | None
    next_badge_years: int | None
    next_badge_date: datetime.date | None
    early_reason: str
    computed: bool


def member_facts(member: Member, on: datetime.date) -> Facts:
    try:
        from members import facts as facts_module

        party_age = facts_module.party_age(member, on)
        due = facts_module.recognition_due(member)
        badge = facts_module.next_badge(member, on)
    except (ImportError, AttributeError):
        return Facts(
            party_age=None,
            recognition_due=member.recognition_due_date,
            decision_deadline=None,
            next_badge_years=member.next_badge_years,
            next_badge_date=member.next_badge_date,
            early_reason="",
            computed=False,
        )
    return Facts(
        party_age=party_age,
        recognition_due=getattr(due, "probation_end", None),
        decision_deadline=getattr(due, "decision_deadline", None),
        next_badge_years=getattr(badge, "years", None),
        next_badge_date=getattr(badge, "award_date", None),
        early_reason=str(getattr(badge, "early_reason_label", "") or getattr(badge, "early_reason", "") or ""),
        computed=True,
    )


@dataclass(frozen=True)
class FeeMonthRow:
    month: datetime.date
    due: int | None
    paid: int | None
    paid_on: datetime.date | None


def fee_rows(member: Member, year: int, *, until: datetime.date | None = None) -> tuple[list[FeeMonthRow], bool]:
    """The member's fee months of ``year`` (up to the month of ``until`` when given): from
    ``members.fees.fee_year`` (amounts due and paid) when the fee area provides it, else the recorded
    payments only. Returns (rows, amounts due known)."""
    try:
        from members.fees import fee_year
    except ImportError:
        fee_year = None
    if fee_year is not None:
        rows = []
        for month in fee_year(member, year):
            if until is not None and month.month > until:
                continue
            due = getattr(month, "due", None)
            due_amount = getattr(due, "amount", due)
            payment = getattr(month, "payment", None)
            paid = getattr(month, "paid", None)
            # A month counts as paid when a payment is recorded (``paid`` may be an amount, 0 when unpaid).
            if payment is not None:
                paid_amount = payment.amount
            elif isinstance(paid, int) and not isinstance(paid, bool) and paid > 0:
                paid_amount = paid
            else:
                paid_amount = None
            rows.append(
                FeeMonthRow(
                    month=month.month,
                    due=due_amount,
                    paid=paid_amount,
                    paid_on=getattr(payment, "paid_on", None),
                )
            )
        return rows, True
    payments = member.fee_payments.filter(month__year=year).order_by("month")
    return [FeeMonthRow(month=p.month, due=None, paid=p.amount, paid_on=p.paid_on) for p in payments], False


# --- the list ---------------------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
def member_list(request):
    """``members:list``: search, filter, sort and page through the members the user may see."""
    user = request.user
    scope = selectors.member_scope_organization_ids(user)
    if scope is not None and not scope:
        # Nobody's records but their own: a member's place is the handbook.
        if selectors.access_for(user).member_id is not None:
            return redirect("members:handbook")
        raise Http404
    cells = selectors.cell_organizations_visible_to(user).order_by("order", "name")
    form = MemberFilterForm(request.GET or None, organizations=cells)
    arguments = form.selector_arguments() if form.is_bound else {"query": "", "filters": {}, "ordering": "name"}
    members = selectors.member_list(user, **arguments)
    per_page = form.cleaned_data.get("per_page") if form.is_bound and form.is_valid() else None
    paginator = Paginator(members, per_page or 25)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "members": page.object_list,
        "paginator": paginator,
        "query_string": query.urlencode(),
        "is_filtered": form.is_filtered(),
        "can_create": bool(_creatable_organizations(user).exists()),
        "can_import": bool(import_scopes_for(user)),
        "can_see_dashboard": selectors.dashboard_committees_for(user).exists(),
        "today": selectors.today(),
    }
    return render(request, "members/member_list.html", context)


# --- one record -------------------------------------------------------------------------------------------


def _visible_member(request, pk: int) -> Member:
    return get_object_or_404(selectors.members_visible_to(request.user).select_related("organization", "user"), pk=pk)


@require_http_methods(["GET", "HEAD"])
def member_detail(request, pk: int):
    """``members:detail``: the whole record, as the user may see it. Every view is audited."""
    member = _visible_member(request, pk)
    user = request.user
    audit.record(action="view", obj=member)
    today = selectors.today()
    can_manage = permissions.can_manage_member(user, member)

    history = list(
        member.status_events.select_related("from_organization", "to_organization").order_by("effective_date", "pk")
    )
    allowed_changes: list[str] = []
    status_panel = template_exists(STATUS_PANEL_TEMPLATE)
    if status_panel and can_manage:
        try:
            from members.services.status import allowed_changes as allowed
        except ImportError:
            allowed = None
        if allowed is not None:
            allowed_changes = list(allowed(member))

    fee_summary = template_exists(FEE_SUMMARY_TEMPLATE)
    assessment_summary = template_exists(ASSESSMENT_SUMMARY_TEMPLATE)
    fees, fee_due_known = ([], False) if fee_summary else fee_rows(member, today.year, until=today)
    context = {
        "member": member,
        "can_manage": can_manage,
        "personal": personal_fields(user, member),
        "shows_personal_data": permissions.can_view_personal_data(user, member),
        "facts": member_facts(member, today),
        "history": history,
        "allowed_changes": allowed_changes,
        "status_panel_template": STATUS_PANEL_TEMPLATE if status_panel else "",
        "fee_summary_template": FEE_SUMMARY_TEMPLATE if fee_summary else "",
        "assessment_summary_template": ASSESSMENT_SUMMARY_TEMPLATE if assessment_summary else "",
        "fees": fees,
        "fee_due_known": fee_due_known,
        "fee_year": today.year,
        "assessments": list(member.assessments.order_by("-year")[:10]),
        "badges": list(member.badges.order_by("years")),
        "awards": list(member.awards.order_by("-awarded_on")),
        "work_history": list(member.work_history.order_by("start_date", "pk")),
        "family": list(member.family.order_by("pk")),
        "open_corrections": (
            list(member.correction_requests.filter(status=CorrectionStatus.OPEN).order_by("-created_at"))
            if permissions.can_handle_correction(user, member)
            else []
        ),
        "today": today,
    }
    return render(request, "members/member_detail.html", context)


def _creatable_organizations(user):
    """Cells (and other organizations of the commune) where ``user`` may add members."""
    managed = selectors.managed_organization_ids(user)
    qs = Organization.objects.filter(kind=OrganizationKind.CELL, is_external=False, active=True)
    if managed is None:
        return qs.order_by("order", "name")
    return qs.filter(id__in=managed).order_by("order", "name")


@require_http_methods(["GET", "HEAD", "POST"])
def member_create(request):
    """``members:create``: a new record (its work history, family and awards are added on the edit page)."""
    organizations = _creatable_organizations(request.user)
    if not organizations.exists():
        raise Http404
    initial = {}
    if request.GET.get("organization", "").isdigit():
        initial["organization"] = int(request.GET["organization"])
    form = MemberCreateForm(request.POST or None, organizations=organizations, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            member = records.member_create(
                actor=request.user, organization=form.cleaned_data["organization"], **form.record_values()
            )
        except ValidationError as error:
            _add_errors(form, error)
        except PermissionDenied as error:
            raise Http404 from error
        else:
            messages.success(request, _("The record of %(name)s was created.") % {"name": member.full_name})
            return redirect("members:detail", pk=member.pk)
    return render(request, "members/member_form.html", {"form": form, "formsets": [], "member": None})


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


@require_http_methods(["GET", "HEAD", "POST"])
def member_edit(request, pk: int):
    """``members:edit``: the record fields and, inline, the work history, family and awards — saved all
    together or not at all."""
    member = _visible_member(request, pk)
    if not permissions.can_manage_member(request.user, member):
        raise Http404
    data = request.POST if request.method == "POST" else None
    form = MemberRecordForm(data, instance=member)
    formsets = [
        (heading, formset_class(data, instance=member, prefix=prefix))
        for prefix, heading, formset_class in RECORD_FORMSETS
    ]
    if request.method == "POST" and form.is_valid() and all(fs.is_valid() for _h, fs in formsets):
        try:
            with transaction.atomic():
                records.member_update(actor=request.user, member=member, **form.record_values())
                to_save, to_delete = [], []
                for _heading, formset in formsets:
                    to_save += formset.save(commit=False)
                    to_delete += formset.deleted_objects
                records.member_related_save(actor=request.user, member=member, save=to_save, delete=to_delete)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The record of %(name)s was saved.") % {"name": member.full_name})
            return redirect("members:detail", pk=member.pk)
    context = {
        "form": form,
        "formsets": formsets,
        "member": member,
        "formsets_have_errors": request.method == "POST" and any(fs.total_error_count() for _h, fs in formsets),
    }
    return render(request, "members/member_form.html", context)


# --- correction requests ----------------------------------------------------------------------------------


def _require_correction_scope(user):
    managed = selectors.managed_organization_ids(user)
    if managed is not None and not managed:
        raise Http404


@require_http_methods(["GET", "HEAD"])
def correction_list(request):
    """``members:correction_list``: open requests first, then the last answered ones."""
    _require_correction_scope(request.user)
    requests_ = selectors.correction_requests_for(request.user)
    open_requests = list(requests_.filter(status=CorrectionStatus.OPEN))
    answered = list(requests_.exclude(status=CorrectionStatus.OPEN)[:20])
    forms = {item.pk: CorrectionResolveForm(prefix=f"c{item.pk}") for item in open_requests}
    rows = [(item, forms[item.pk], records.correction_topic_label(item.field_name)) for item in open_requests]
    context = {
        "open_rows": rows,
        "answered": [(item, records.correction_topic_label(item.field_name)) for item in answered],
    }
    return render(request, "members/correction_list.html", context)


@require_POST
def correction_resolve(request, pk: int):
    """``members:correction_resolve``: answer one request (corrected or rejected, with a message)."""
    _require_correction_scope(request.user)
    item = get_object_or_404(selectors.correction_requests_for(request.user), pk=pk)
    form = CorrectionResolveForm(request.POST, prefix=f"c{item.pk}")
    if form.is_valid():
        try:
            records.correction_request_resolve(
                actor=request.user,
                request=item,
                status=form.cleaned_data["status"],
                response=form.cleaned_data["response"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        except PermissionDenied as error:
            raise Http404 from error
        else:
            messages.success(request, _("The answer was sent to %(name)s.") % {"name": item.member.full_name})
            return HttpResponseRedirect(reverse("members:correction_list"))
    item.refresh_from_db()
    context = {
        "open_rows": [(item, form, records.correction_topic_label(item.field_name))]
        if item.status == CorrectionStatus.OPEN
        else [],
        "answered": [],
        "single": True,
    }
    return render(request, "members/correction_list.html", context, status=400)
