"""Status-change pages (member registry area A): record a change allowed now, void the latest one.

``members:status_change`` (member pk): GET shows the member's status history with the form; POST records a
change through ``members.services.status.status_change``. ``members:status_void`` (event pk): POST voids
the latest change with a reason. Both need ``can_manage_member``; anything else answers 404.

The panel ``members/status/_panel.html`` is also included by the member page (area C) with ``member``,
``history``, ``allowed_changes`` and ``can_manage`` in its context (``status_form``/``void_form`` are
optional: the panel builds empty ones itself).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from partyhub import audit

from .. import permissions, selectors
from ..models import Member, MemberStatusEvent, Organization, StatusEventKind
from ..services import status as status_services

DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def transfer_targets(user, member: Member):
    """Organizations ``user`` may name as a destination: non-external organizations they manage, other than
    the member's own."""
    managed = selectors.managed_organization_ids(user)
    qs = Organization.objects.filter(is_external=False, active=True).exclude(pk=member.organization_id)
    if managed is not None:
        qs = qs.filter(pk__in=managed)
    return qs.order_by("parent__name", "order", "name")


class StatusChangeForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Change"))
    effective_date = forms.DateField(
        label=gettext_lazy("Effective date"), input_formats=DATE_INPUT_FORMATS, widget=DateInput()
    )
    decision_number = forms.CharField(label=gettext_lazy("Decision number"), max_length=100, required=False)
    decision_date = forms.DateField(
        label=gettext_lazy("Decision date"), input_formats=DATE_INPUT_FORMATS, widget=DateInput(), required=False
    )
    decided_by = forms.CharField(label=gettext_lazy("Decided by"), max_length=200, required=False)
    to_organization = forms.ModelChoiceField(
        label=gettext_lazy("Destination cell (transfers)"),
        queryset=Organization.objects.none(),
        required=False,
        help_text=gettext_lazy("For a move to another cell, or a transfer to or in from an organization here."),
    )
    other_party_organization = forms.CharField(
        label=gettext_lazy("Organization outside PartyHub (transfers)"), max_length=300, required=False
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, member: Member, user, allowed: list[str], **kwargs):
        kwargs.setdefault("auto_id", "status_%s")  # unique ids on the member page, which has other forms
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "—")] + [(k, StatusEventKind(k).label) for k in allowed]
        self.fields["to_organization"].queryset = transfer_targets(user, member)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "effective_date": data["effective_date"],
            "decision_number": data.get("decision_number") or "",
            "decision_date": data.get("decision_date"),
            "decided_by": data.get("decided_by") or "",
            "to_organization": data.get("to_organization"),
            "other_party_organization": data.get("other_party_organization") or "",
            "note": data.get("note") or "",
        }


class StatusVoidForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason for voiding"), max_length=300)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "void_%s")
        super().__init__(*args, **kwargs)


def _add_service_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            target = field if field in form.fields else None
            for message in errors:
                form.add_error(target, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


def _managed_member(request, pk: int) -> Member:
    member = get_object_or_404(selectors.members_visible_to(request.user).select_related("organization"), pk=pk)
    if not permissions.can_manage_member(request.user, member):
        raise Http404
    return member


def panel_context(user, member: Member, **extra) -> dict:
    """What ``members/status/_panel.html`` needs, for pages that include it."""
    can_manage = permissions.can_manage_member(user, member)
    context = {
        "member": member,
        "history": list(selectors.status_history(member)),
        "allowed_changes": status_services.allowed_changes(member) if can_manage else [],
        "can_manage": can_manage,
    }
    context.update(extra)
    return context


def _member_url(member: Member) -> str:
    try:
        return reverse("members:detail", args=[member.pk])
    except NoReverseMatch:  # pragma: no cover - the member page exists with area C
        return reverse("members:status_change", args=[member.pk])


def _render_page(request, member: Member, *, status: int = 200, **extra):
    context = panel_context(request.user, member, **extra)
    context["member_url"] = _member_url(member)
    return render(request, "members/status/page.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def status_change(request, pk: int):
    """``members:status_change``: the status history of a member and the form to record a change."""
    member = _managed_member(request, pk)
    if request.method != "POST":
        audit.record(action="view", obj=member)
        return _render_page(request, member)
    allowed = status_services.allowed_changes(member)
    form = StatusChangeForm(request.POST, member=member, user=request.user, allowed=allowed)
    if form.is_valid():
        try:
            event = status_services.status_change(actor=request.user, member=member, **form.service_kwargs())
        except ValidationError as error:
            _add_service_errors(form, error)
        except PermissionDenied as error:
            raise Http404 from error
        else:
            messages.success(
                request,
                _("Recorded: %(change)s on %(date)s.")
                % {"change": event.get_kind_display(), "date": event.effective_date.strftime("%d/%m/%Y")},
            )
            return redirect(_member_url(member) + "#sec-status")
    return _render_page(request, member, status=400, status_form=form)


@require_POST
def status_void(request, pk: int):
    """``members:status_void``: void the member's latest status change, with a reason."""
    event = get_object_or_404(
        MemberStatusEvent.objects.select_related("member").filter(
            member__in=selectors.members_visible_to(request.user)
        ),
        pk=pk,
    )
    member = event.member
    if not permissions.can_manage_member(request.user, member):
        raise Http404
    form = StatusVoidForm(request.POST)
    if form.is_valid():
        try:
            status_services.status_event_void(actor=request.user, event=event, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            _add_service_errors(form, error)
        except PermissionDenied as error:
            raise Http404 from error
        else:
            messages.success(request, _("The entry “%(change)s” was voided.") % {"change": event.get_kind_display()})
            return redirect(_member_url(member) + "#sec-status")
    return _render_page(request, member, status=400, void_form=form, void_event_id=event.pk)
