"""The incoming register for a period (on screen, PDF, Excel) and the statistics page. Open to those who
see an organization's documents as a whole (clerks, leaders, cell secretaries, admins); anyone else gets a
404."""

from __future__ import annotations

import datetime

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from members.models import Organization
from partyhub.files import content_disposition

from .. import registers as register_book
from .. import statistics

#: The longest period one register extract may cover.
MAX_PERIOD_DAYS = 3 * 366


def _date_widget():
    return forms.DateInput(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"})


class RegisterFilterForm(forms.Form):
    organization = forms.ModelChoiceField(label=_("Organization"), queryset=Organization.objects.none())
    secret = forms.TypedChoiceField(
        label=_("Register"),
        choices=[("0", _("Ordinary register")), ("1", _("Secret register"))],
        coerce=lambda value: value == "1",
        initial="0",
        required=False,
    )
    date_from = forms.DateField(label=_("From"), widget=_date_widget())
    date_to = forms.DateField(label=_("To"), widget=_date_widget())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = register_book.organizations_with_registers(user)
        if not register_book.registers_visible_to(user).filter(is_secret=True).exists():
            self.fields["secret"].choices = [("0", _("Ordinary register"))]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end:
            if end < start:
                self.add_error("date_to", _("The end of the period is before its start."))
            elif (end - start).days > MAX_PERIOD_DAYS:
                self.add_error("date_to", _("Choose a period of at most three years."))
        return cleaned


def register_download(output: str, extract, *, pdf, workbook, filename) -> HttpResponse | None:
    """A register extract as PDF (shown in the browser) or Excel (downloaded) when ``output`` asks for one
    (``"pdf"`` / ``"xlsx"``); ``None`` for the page. Shared by the incoming and the outgoing registers."""
    if output == "pdf":
        data, content_type, attachment = pdf(), "application/pdf", False
    elif output == "xlsx":
        data, content_type, attachment = workbook(), register_book.XLSX_CONTENT_TYPE, True
    else:
        return None
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename(extract, output), as_attachment=attachment)
    return response


@require_safe
def registers(request):
    if not statistics.may_see_statistics(request.user):
        raise Http404
    today = timezone.localdate()
    data = request.GET if "organization" in request.GET else None
    organizations = register_book.organizations_with_registers(request.user)
    initial = {"date_from": datetime.date(today.year, 1, 1), "date_to": today, "secret": "0"}
    if organizations.count() == 1:
        initial["organization"] = organizations.first()
    form = RegisterFilterForm(data, user=request.user, initial=initial)
    extract = None
    if data is not None and form.is_valid():
        register = (
            register_book.registers_visible_to(request.user)
            .filter(organization=form.cleaned_data["organization"], is_secret=bool(form.cleaned_data["secret"]))
            .first()
        )
        if register is None:
            form.add_error(None, gettext("This organization has no such register yet."))
        else:
            extract = register_book.register_extract(
                request.user,
                register=register,
                date_from=form.cleaned_data["date_from"],
                date_to=form.cleaned_data["date_to"],
            )
            response = register_download(
                request.GET.get("format", ""),
                extract,
                pdf=lambda: register_book.register_pdf(request.user, extract),
                workbook=lambda: register_book.register_workbook(request.user, extract),
                filename=register_book.register_filename,
            )
            if response is not None:
                return response
    query = request.GET.urlencode() if extract is not None else ""
    return render(
        request,
        "documents/registers/registers.html",
        {
            "form": form,
            "extract": extract,
            "columns": register_book.COLUMNS,
            "pdf_url": f"{reverse('documents:registers')}?{query}&format=pdf" if query else "",
            "xlsx_url": f"{reverse('documents:registers')}?{query}&format=xlsx" if query else "",
        },
    )


class StatisticsFilterForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int)
    organization = forms.ModelChoiceField(
        label=_("Organization"), queryset=Organization.objects.none(), required=False, empty_label=_("All")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, str(y)) for y in statistics.available_years(user)]
        self.fields["organization"].queryset = register_book.organizations_with_registers(user)


@require_safe
def statistics_page(request):
    if not statistics.may_see_statistics(request.user):
        raise Http404
    today = timezone.localdate()
    form = StatisticsFilterForm(request.GET or None, user=request.user, initial={"year": today.year})
    year, organization = today.year, None
    if request.GET and form.is_valid():
        year = form.cleaned_data["year"]
        organization = form.cleaned_data["organization"]
    stats = statistics.incoming_statistics(
        request.user, year=year, organization_id=organization.pk if organization else None
    )
    month_items = [{"label": f"{month:02d}/{year}", "value": count} for month, count in stats.by_month]
    type_items = [{"label": name or gettext("No type"), "value": count} for name, count in stats.by_type]
    sender_items = [{"label": name or gettext("No sender"), "value": count} for name, count in stats.by_sender]
    if stats.other_senders:
        sender_items.append({"label": gettext("Other senders"), "value": stats.other_senders})
    handler_series = [
        {"label": gettext("Done on time"), "color": "#009e73"},
        {"label": gettext("Done late"), "color": "#e69f00"},
        {"label": gettext("Overdue"), "color": "#a4161a"},
        {"label": gettext("Not yet due"), "color": "#56b4e9"},
    ]
    handler_rows = [{"label": h.name, "values": [h.on_time, h.late, h.overdue, h.open]} for h in stats.handlers]
    return render(
        request,
        "documents/registers/statistics.html",
        {
            "form": form,
            "stats": stats,
            "year": year,
            "organization": organization,
            "month_items": month_items,
            "type_items": type_items,
            "sender_items": sender_items,
            "handler_series": handler_series,
            "handler_rows": handler_rows,
        },
    )
