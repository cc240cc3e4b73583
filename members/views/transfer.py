"""Files in and out of the registry: Excel import (template, upload, check, summary), Excel export of the
member list and a member's profile as PDF.

Thin views over ``members.services.importing`` and ``members.exports``. Who may not do something gets 404,
as for a missing object.
"""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from partyhub.files import content_disposition, upload_max_bytes

from .. import exports, permissions, selectors
from ..forms import MemberFilterForm
from ..models import Organization
from ..services import importing
from ..services.importing import COLUMNS, import_scopes_for, max_rows

SESSION_KEY = "members_import_result"
#: Errors shown on the page (the service keeps at most ``MAX_REPORTED_ERRORS``).
ERRORS_SHOWN = 1000


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class MemberImportForm(forms.Form):
    organization = forms.ModelChoiceField(
        label=_("Import into"), queryset=Organization.objects.none(), empty_label=None
    )
    file = forms.FileField(
        label=_("Excel file (.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )
    check_only = forms.BooleanField(
        label=_("Only check the file, import nothing"),
        required=False,
        help_text=_("Shows every problem, or what would be imported, without writing anything."),
    )

    def __init__(self, *args, scopes: list[Organization], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = Organization.objects.filter(pk__in=[o.pk for o in scopes])
        self.fields["organization"].choices = [(o.pk, o.name) for o in scopes]
        self.fields["file"].help_text = _(
            "Use the template. Up to %(rows)s members and %(size)s per file; nothing is imported when a row has "
            "an error."
        ) % {"rows": f"{max_rows():,}".replace(",", "."), "size": filesizeformat(upload_max_bytes())}


def _scopes_or_404(user) -> list[Organization]:
    scopes = import_scopes_for(user)
    if not scopes:
        raise Http404
    return scopes


@require_http_methods(["GET", "HEAD", "POST"])
def member_import(request):
    """``members:import``: upload an Excel file; its errors (row, column, reason) or a summary."""
    scopes = _scopes_or_404(request.user)
    result = None
    if request.method == "POST":
        form = MemberImportForm(request.POST, request.FILES, scopes=scopes)
        if form.is_valid():
            result = importing.member_import(
                actor=request.user,
                organization_scope=form.cleaned_data["organization"],
                uploaded_file=form.cleaned_data["file"],
                dry_run=form.cleaned_data["check_only"],
            )
            if result.ok and not result.dry_run:
                request.session[SESSION_KEY] = result.as_dict()
                return redirect("members:import_done")
    else:
        initial = {}
        wanted = request.GET.get("organization")
        if wanted and wanted.isdigit() and any(o.pk == int(wanted) for o in scopes):
            initial["organization"] = int(wanted)
        form = MemberImportForm(initial=initial, scopes=scopes)
    context = {
        "form": form,
        "result": result,
        "errors": result.errors[:ERRORS_SHOWN] if result else [],
        "columns": COLUMNS,
        "scopes": scopes,
    }
    status = 400 if result is not None and not result.ok else 200
    return render(request, "members/imports/upload.html", context, status=status)


@require_GET
def member_import_done(request):
    """``members:import_done``: what the last import created (once; reloading goes back to the form)."""
    summary = request.session.pop(SESSION_KEY, None)
    if not summary:
        return redirect("members:import")
    return render(request, "members/imports/done.html", {"summary": summary})


@require_GET
def import_template(request):
    """``members:import_template``: the Excel template, with the cells of the chosen organization."""
    scopes = _scopes_or_404(request.user)
    scope = scopes[0]
    wanted = request.GET.get("organization")
    if wanted:
        if not wanted.isdigit():
            raise Http404
        scope = next((o for o in scopes if o.pk == int(wanted)), None)
        if scope is None:
            raise Http404
    data = exports.import_template_workbook(actor=request.user, organization_scope=scope)
    response = HttpResponse(data, content_type=exports.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(f"Mẫu nhập đảng viên - {scope.name}.xlsx", as_attachment=True)
    return _private(response)


@require_GET
def member_export(request):
    """``members:export``: the member list as Excel, with the list page's search, filters and sort."""
    user = request.user
    scope = selectors.member_scope_organization_ids(user)
    if scope is not None and not scope:
        raise Http404
    cells = selectors.cell_organizations_visible_to(user).order_by("order", "name")
    form = MemberFilterForm(request.GET or None, organizations=cells)
    arguments = form.selector_arguments() if form.is_bound else {"query": "", "filters": {}, "ordering": "name"}
    data, _count = exports.export_members(user=user, **arguments)
    response = HttpResponse(data, content_type=exports.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(exports.export_filename(), as_attachment=True)
    return _private(response)


@require_GET
def profile_pdf(request, pk: int):
    """``members:profile_pdf``: a member's profile sheet as PDF (404 when the record is not visible)."""
    member = get_object_or_404(selectors.members_visible_to(request.user).select_related("organization__parent"), pk=pk)
    if not permissions.can_view_member(request.user, member):  # pragma: no cover - the queryset decides
        raise Http404
    data = exports.member_profile_pdf(user=request.user, member=member)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(exports.profile_filename(member), as_attachment=False)
    return _private(response)


__all__ = ["import_template", "member_export", "member_import", "member_import_done", "profile_pdf"]
