"""Registering a draft (the clerk completes the metadata, helped by suggestions read from its text) and
voiding a registered entry. Thin views over ``documents.services.registering``; a document the user may
not see, or may not register, is a 404."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from ..models import Confidentiality, DocumentFile, DocumentType, FileRole, IncomingStatus, Urgency
from ..permissions import can_register, can_view_incoming, can_void, files_allowed
from ..selectors import get_incoming_or_404
from ..services.registering import INCOMING_METADATA_FIELDS, incoming_register, incoming_void
from ..suggest import suggest_metadata

#: Form fields filled from the suggestions when the draft has no value yet.
SUGGESTED_FIELDS = (
    "sender",
    "number_symbol",
    "document_date",
    "document_type",
    "summary",
    "signer_name",
    "confidentiality",
    "urgency",
)


class RegistrationForm(forms.Form):
    """The metadata of the register entry. Checks beyond the field types are the service's (its messages
    appear under the fields)."""

    received_on = forms.DateField(label=_("Date received"), required=False)
    sender = forms.CharField(label=_("Sender"), required=False, max_length=300)
    number_symbol = forms.CharField(
        label=_("Number and symbol"),
        required=False,
        max_length=100,
        help_text=_("Party form 57-NQ/TW or state form 12/QĐ-UBND."),
    )
    document_date = forms.DateField(label=_("Document date"), required=False)
    document_type = forms.ModelChoiceField(
        label=_("Type"), queryset=DocumentType.objects.filter(active=True), required=False
    )
    summary = forms.CharField(label=_("Summary (trích yếu)"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    signer_name = forms.CharField(label=_("Signed by"), required=False, max_length=150)
    confidentiality = forms.ChoiceField(label=_("Confidentiality"), choices=Confidentiality.choices, required=False)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, required=False)
    page_count = forms.IntegerField(label=_("Pages"), required=False)
    deadline = forms.DateField(label=_("Reply deadline"), required=False, help_text=_("Only if the document sets one."))
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    confirm_duplicate = forms.BooleanField(
        label=_("I checked: this is not the same document registered twice"), required=False
    )

    def __init__(self, *args, duplicate=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.duplicate = duplicate
        for name in ("received_on", "document_date", "deadline"):
            self.fields[name].widget = forms.DateInput(
                format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"}
            )
        if duplicate is None:
            del self.fields["confirm_duplicate"]

    def clean(self):
        cleaned = super().clean()
        if self.duplicate is not None and not cleaned.get("confirm_duplicate"):
            self.add_error(
                "confirm_duplicate", _("This looks like a document already received: check it, then confirm.")
            )
        return cleaned

    def metadata(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in INCOMING_METADATA_FIELDS if name in self.fields}


def _initial(document, suggestions: dict) -> tuple[dict, set[str]]:
    initial = {name: getattr(document, name) for name in INCOMING_METADATA_FIELDS if name != "sender_organization"}
    suggested: set[str] = set()
    for name in SUGGESTED_FIELDS:
        if name in suggestions and not initial.get(name):
            initial[name] = suggestions[name]
            suggested.add(name)
    if initial.get("document_type") is not None and not isinstance(initial["document_type"], int):
        initial["document_type"] = initial["document_type"].pk
    return initial, suggested


@require_http_methods(["GET", "POST"])
def register(request, pk: int):
    document = get_incoming_or_404(request.user, pk)
    if document.status != IncomingStatus.DRAFT and can_view_incoming(request.user, document):
        messages.info(request, gettext("This document is already registered."))
        return redirect("documents:detail", pk=document.pk)
    if not can_register(request.user, document):
        raise Http404
    duplicate = None
    if document.duplicate_of_id and can_view_incoming(request.user, document.duplicate_of):
        duplicate = document.duplicate_of
    suggestions = suggest_metadata(document.extracted_text) if document.extracted_text else {}
    initial, suggested = _initial(document, suggestions)
    if request.method == "POST":
        form = RegistrationForm(request.POST, initial=initial, duplicate=duplicate)
        if form.is_valid():
            try:
                registered = incoming_register(actor=request.user, document=document, **form.metadata())
            except PermissionDenied as exc:
                raise Http404 from exc
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.error_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    gettext("Registered as incoming no. %(number)d of %(period)s.")
                    % {"number": registered.number, "period": registered.period},
                )
                return redirect("documents:detail", pk=registered.pk)
    else:
        form = RegistrationForm(initial=initial, duplicate=duplicate)
    thumbnail = None
    if files_allowed(document.confidentiality):
        thumbnail = (
            DocumentFile.objects.filter(incoming=document, role=FileRole.THUMBNAIL).order_by("order", "id").first()
        )
    originals = list(
        DocumentFile.objects.filter(incoming=document, role=FileRole.ORIGINAL)
        .select_related("stored_file")
        .order_by("order", "id")
    )
    return render(
        request,
        "documents/registering/register.html",
        {
            "document": document,
            "form": form,
            "suggested": suggested,
            "duplicate": duplicate,
            "thumbnail": thumbnail,
            "originals": originals if files_allowed(document.confidentiality) else [],
            "has_text": bool(document.extracted_text),
        },
    )


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}))


@require_http_methods(["GET", "POST"])
def void(request, pk: int):
    document = get_incoming_or_404(request.user, pk)
    if not can_void(request.user, document):
        raise Http404
    form = VoidForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            incoming_void(actor=request.user, document=document, reason=form.cleaned_data["reason"])
        except PermissionDenied as exc:
            raise Http404 from exc
        except ValidationError as exc:
            form.add_error("reason" if hasattr(exc, "error_dict") else None, exc.messages)
        else:
            messages.success(request, gettext("The entry was voided; its number stays in the register."))
            return redirect("documents:detail", pk=document.pk)
    return render(request, "documents/registering/void.html", {"document": document, "form": form})
