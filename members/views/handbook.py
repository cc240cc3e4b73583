"""The electronic party member handbook: a member's own record, cell, fees, badges and assessments, what is
shared with them, and a way to ask the office for a correction. Made for phones first."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from partyhub import audit

from .. import selectors
from ..forms import CorrectionRequestForm
from ..handbook import handbook_sections
from ..models import CorrectionStatus, Member
from ..services import records
from .records import fee_rows, member_facts, personal_fields


def _own_member(user) -> Member | None:
    return Member.objects.select_related("organization").filter(user_id=user.pk).first()


def _render_handbook(request, member: Member, form: CorrectionRequestForm, *, status: int = 200):
    today = selectors.today()
    fees, fee_due_known = fee_rows(member, today.year, until=today)
    past_months = [row for row in fees if row.month <= today]
    unpaid = [row for row in past_months if row.paid is None and (row.due or 0) > 0] if fee_due_known else []
    corrections = list(member.correction_requests.order_by("-created_at")[:10])
    context = {
        "member": member,
        "personal": personal_fields(request.user, member),
        "facts": member_facts(member, today),
        "secretaries": selectors.cell_secretaries_of(member.organization),
        "fees": fees,
        "fee_due_known": fee_due_known,
        "fee_year": today.year,
        "fees_paid_count": sum(1 for row in fees if row.paid is not None),
        "fees_unpaid": unpaid,
        "badges": list(member.badges.order_by("years")),
        "assessments": list(member.assessments.order_by("-year")[:5]),
        "awards": list(member.awards.order_by("-awarded_on")[:10]),
        "corrections": [(item, records.correction_topic_label(item.field_name)) for item in corrections],
        "has_open_correction": any(item.status == CorrectionStatus.OPEN for item in corrections),
        "form": form,
        "sections": handbook_sections(request, member),
        "today": today,
    }
    return render(request, "members/handbook.html", context, status=status)


@require_http_methods(["GET", "HEAD"])
def handbook(request):
    """``members:handbook``: the signed-in member's own handbook; a friendly page without a record."""
    member = _own_member(request.user)
    if member is None:
        return render(request, "members/handbook_no_record.html")
    audit.record(action="view", obj=member)
    return _render_handbook(request, member, CorrectionRequestForm())


@require_POST
def handbook_correction(request):
    """``members:handbook_correction``: send a correction request about one's own record."""
    member = _own_member(request.user)
    if member is None:
        return render(request, "members/handbook_no_record.html", status=404)
    form = CorrectionRequestForm(request.POST)
    if form.is_valid():
        try:
            records.correction_request_create(
                actor=request.user,
                member=member,
                message=form.cleaned_data["message"],
                field_name=form.cleaned_data["field_name"],
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, texts in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, texts)
            else:
                form.add_error(None, error.messages)
        except PermissionDenied:
            form.add_error(None, _("You can ask for corrections of your own record only."))
        else:
            messages.success(
                request, _("Your request was sent to the party office. You will be notified of the answer.")
            )
            return redirect("members:handbook")
    return _render_handbook(request, member, form, status=400)
