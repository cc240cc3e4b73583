"""Annual quality assessment pages: a cell's sheet for a year (score, every task done, share exceeded, the
derived rating, the distribution of ratings) and the form that records one member's assessment.

Access as for fees (``permissions.can_manage_fees`` / ``can_assess``): a cell or member the user may not
handle answers 404.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from .. import permissions, selectors
from ..fees import first_of_month, sheet_members
from ..models import AssessmentRating, Member, MemberAssessment, Organization
from ..rules import scale_for_year
from ..services.assessments import MIN_YEAR, assessment_record


def _year_or_404(year: int) -> int:
    if not MIN_YEAR <= year <= selectors.today().year:
        raise Http404
    return year


@require_http_methods(["GET", "HEAD"])
def assessment_sheet(request: HttpRequest, organization_id: int, year: int) -> HttpResponse:
    """``members:assessments``: the members of the cell and their assessment for ``year``."""
    organization = get_object_or_404(Organization, pk=organization_id)
    if not permissions.can_manage_fees(request.user, organization):
        raise Http404
    year = _year_or_404(year)
    # Members of the cell at the end of the year (or today): the current ones, and those who left later.
    end = min(selectors.today(), first_of_month(selectors.today()).replace(year=year, month=12))
    members = sheet_members(organization, end)
    assessments = {
        a.member_id: a for a in MemberAssessment.objects.filter(member__in=[m.pk for m in members], year=year)
    }
    rows = [{"member": m, "assessment": assessments.get(m.pk)} for m in members]
    counts = {str(r): 0 for r in AssessmentRating}
    for a in assessments.values():
        counts[a.rating] = counts.get(a.rating, 0) + 1
    assessed = len(assessments)
    distribution = [
        {
            "rating": str(r),
            "label": r.label,
            "count": counts[str(r)],
            "percent": (Decimal(counts[str(r)]) * 100 / assessed).quantize(Decimal("0.1")) if assessed else 0,
        }
        for r in AssessmentRating
    ]
    this_year = selectors.today().year
    return render(
        request,
        "members/assessments/sheet.html",
        {
            "organization": organization,
            "year": year,
            "years": list(range(this_year, max(this_year - 6, MIN_YEAR - 1), -1)),
            "rows": rows,
            "assessed": assessed,
            "distribution": distribution,
            "scale": scale_for_year(year),
            "saved": request.GET.get("saved", ""),
        },
    )


class AssessmentForm(forms.Form):
    score = forms.DecimalField(label=gettext_lazy("Score"), max_digits=5, decimal_places=2, min_value=0)
    all_tasks_done = forms.BooleanField(label=gettext_lazy("Every task done"), required=False)
    exceeded_percent = forms.DecimalField(
        label=gettext_lazy("Share of tasks exceeded (%)"),
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        required=False,
        initial=0,
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


@require_http_methods(["GET", "HEAD", "POST"])
def assessment_edit(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    """``members:assessment_edit``: record or correct one member's assessment for ``year``."""
    member = get_object_or_404(Member.objects.select_related("organization"), pk=pk)
    if not permissions.can_assess(request.user, member):
        raise Http404
    year = _year_or_404(year)
    existing = MemberAssessment.objects.filter(member=member, year=year).first()
    initial = (
        {
            "score": existing.score,
            "all_tasks_done": existing.all_tasks_done,
            "exceeded_percent": existing.exceeded_percent,
            "note": existing.note,
        }
        if existing
        else {}
    )
    form = AssessmentForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                assessment_record(
                    actor=request.user,
                    member=member,
                    year=year,
                    score=data["score"],
                    all_tasks_done=data["all_tasks_done"],
                    exceeded_percent=data["exceeded_percent"] if data["exceeded_percent"] is not None else 0,
                    note=data["note"],
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, messages in exc.message_dict.items():
                        form.add_error(field if field in form.fields else None, messages)
                else:
                    form.add_error(None, exc.messages)
            else:
                url = reverse("members:assessments", args=[member.organization_id, year])
                return HttpResponseRedirect(f"{url}?saved={member.pk}")
        status = 400
    return render(
        request,
        "members/assessments/edit.html",
        {"member": member, "year": year, "form": form, "existing": existing, "scale": scale_for_year(year)},
        status=status,
    )
