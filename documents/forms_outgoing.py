"""Forms of outgoing documents (issue 5): the draft (structured fields or an uploaded finished file), its
recipients, and the small forms of the transitions. Forms check the shape of the input; the rules (types an
organization may issue, who may sign, sanitizing the body, clearance) are the service's
(``documents.services.outgoing``), whose messages appear under the fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from members.models import Organization

from .models import (
    Confidentiality,
    DocumentType,
    OutgoingDocument,
    OutgoingSource,
    OutgoingStatus,
    SignatureForm,
    Urgency,
)
from .selectors import outgoing_access_for


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


def draftable_organizations(user):
    """The organizations ``user`` may draft for (the office's commune tree, a secretary's cell)."""
    facts = outgoing_access_for(user)
    return Organization.objects.filter(pk__in=sorted(facts.office_org_ids), is_external=False, active=True).order_by(
        "order", "name"
    )


class OutgoingDraftForm(forms.Form):
    """The fields of a draft. ``organization`` is chosen when the draft is created and fixed afterwards."""

    organization = forms.ModelChoiceField(
        label=_("Issuing organization"), queryset=Organization.objects.none(), empty_label=None
    )
    document_type = forms.ModelChoiceField(
        label=_("Type"), queryset=DocumentType.objects.filter(active=True), empty_label=_("— choose —")
    )
    summary = forms.CharField(
        label=_("Summary (trích yếu)"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_('What the document is about. A công văn starts with "V/v" by itself.'),
    )
    source = forms.ChoiceField(
        label=_("Text"),
        choices=OutgoingSource.choices,
        initial=OutgoingSource.COMPOSED,
        widget=forms.RadioSelect,
    )
    body = forms.CharField(
        label=_("Body"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 14, "class": "outgoing-body-source"}),
        help_text=_("Paragraphs, bold, italic, underline, lists, headings and simple tables are kept."),
    )
    upload = forms.FileField(
        label=_("Finished document (PDF or DOCX)"),
        required=False,
        help_text=_("Only when the text was written outside PartyHub. Leave empty to keep the file uploaded before."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.docx"}),
    )
    confidentiality = forms.ChoiceField(label=_("Confidentiality"), choices=Confidentiality.choices, required=False)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, required=False)
    signer = PersonChoiceField(label=_("Signer"), queryset=None, required=False, empty_label=_("— choose —"))
    reviewer = PersonChoiceField(
        label=_("Reviewer"),
        queryset=None,
        required=False,
        empty_label=_("The signer reviews"),
        help_text=_("Who returns or approves the draft. Empty: the signer."),
    )
    signature_form = forms.ChoiceField(label=_("Signature form"), choices=SignatureForm.choices)
    collective_name = forms.CharField(
        label=_("Collective"),
        required=False,
        max_length=100,
        help_text=_('As in "T/M BAN THƯỜNG VỤ". Empty: the organization\'s.'),
    )
    signer_title = forms.CharField(
        label=_("Signer's title"),
        required=False,
        max_length=100,
        help_text=_("e.g. BÍ THƯ. Empty: from the signer's position."),
    )
    signer_name = forms.CharField(
        label=_("Signer's name as printed"), required=False, max_length=150, help_text=_("Empty: the signer's name.")
    )
    copies = forms.IntegerField(label=_("Number of copies"), required=False, min_value=1, max_value=10000)
    file_copy_unit = forms.CharField(label=_("Unit keeping the file copy"), required=False, max_length=200)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    note = forms.CharField(label=_("What changed in this version (optional)"), required=False, max_length=500)

    def __init__(self, *args, user, document: OutgoingDocument | None = None, organization=None, **kwargs):
        super().__init__(*args, **kwargs)
        from .services.outgoing import signer_candidates

        self.document = document
        organizations = draftable_organizations(user)
        self.fields["organization"].queryset = organizations
        if document is not None:
            del self.fields["organization"]
            organization = document.organization
        elif organization is None:
            chosen = self.data.get(self.add_prefix("organization")) if self.is_bound else None
            organization = organizations.filter(pk=chosen).first() if str(chosen or "").isdigit() else None
            organization = organization or organizations.first()
            if organization is not None:
                self.fields["organization"].initial = organization.pk
        self.organization = organization
        if organization is None:
            people = None
        elif document is None:
            # A new draft may still change its organization: offer the signers of every organization the drafter
            # may draft for (the service checks the signer against the organization chosen).
            people = signer_candidates(organization, *organizations)
        else:
            people = signer_candidates(organization)
        for name in ("signer", "reviewer"):
            self.fields[name].queryset = people if people is not None else self.fields[name].queryset.none()
        if organization is not None:
            kind = organization.kind
            allowed = [
                t.pk
                for t in DocumentType.objects.filter(active=True).only("id", "issuable_by_kinds")
                if not t.issuable_by_kinds or kind in t.issuable_by_kinds
            ]
            self.fields["document_type"].queryset = DocumentType.objects.filter(pk__in=allowed)

    def values(self) -> dict:
        """The service's keyword arguments (without recipients, upload and source)."""
        data = self.cleaned_data
        return {
            "document_type": data.get("document_type"),
            "summary": data.get("summary", ""),
            "body": data.get("body", ""),
            "confidentiality": data.get("confidentiality", ""),
            "urgency": data.get("urgency", ""),
            "signer": data.get("signer"),
            "reviewer": data.get("reviewer"),
            "signature_form": data.get("signature_form") or SignatureForm.ON_BEHALF,
            "collective_name": data.get("collective_name", ""),
            "signer_title": data.get("signer_title", ""),
            "signer_name": data.get("signer_name", ""),
            "copies": data.get("copies"),
            "file_copy_unit": data.get("file_copy_unit", ""),
            "notes": data.get("notes", ""),
        }

    @staticmethod
    def initial_from(document: OutgoingDocument) -> dict:
        return {
            "document_type": document.document_type_id,
            "summary": document.summary,
            "source": document.source,
            "body": document.body,
            "confidentiality": document.confidentiality,
            "urgency": document.urgency,
            "signer": document.signer_id,
            "reviewer": document.reviewer_id,
            "signature_form": document.signature_form,
            "collective_name": document.collective_name,
            "signer_title": document.signer_title,
            "signer_name": document.signer_name,
            "copies": document.copies,
            "file_copy_unit": document.file_copy_unit,
            "notes": document.notes,
        }


class RecipientForm(forms.Form):
    """One recipient: an organization in PartyHub (delivered to its incoming queue) or one outside."""

    organization = forms.ModelChoiceField(
        label=_("Organization in PartyHub"),
        queryset=Organization.objects.filter(is_external=False, active=True).order_by("order", "name"),
        required=False,
        empty_label=_("— outside PartyHub —"),
    )
    name = forms.CharField(
        label=_("Recipient as printed"),
        required=False,
        max_length=300,
        help_text=_("Empty for an organization in PartyHub: its name."),
    )
    address = forms.CharField(label=_("Address or e-mail"), required=False, max_length=300)
    in_block = forms.BooleanField(label=_('In "Nơi nhận"'), required=False, initial=True)

    def row(self) -> dict | None:
        data = getattr(self, "cleaned_data", None) or {}
        if not data.get("organization") and not data.get("name") and not data.get("address"):
            return None
        return {
            "organization": data.get("organization"),
            "name": data.get("name", ""),
            "address": data.get("address", ""),
            "in_block": bool(data.get("in_block")),
        }


class BaseRecipientFormSet(forms.BaseFormSet):
    def rows(self) -> list[dict]:
        return [row for row in (form.row() for form in self.forms) if row is not None]


RecipientFormSet = forms.formset_factory(RecipientForm, formset=BaseRecipientFormSet, extra=2, max_num=200)


def recipient_initial(document: OutgoingDocument) -> list[dict]:
    return [
        {"organization": r.organization_id, "name": r.name, "address": r.address, "in_block": r.in_block}
        for r in document.recipients.all().order_by("order", "id")
    ]


class CommentForm(forms.Form):
    comment = forms.CharField(label=_("Comments"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label=_("What must be changed"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class OutgoingFilterForm(forms.Form):
    """Filters of the list page."""

    QUEUES = [
        ("", _("All documents I can see")),
        ("mine", _("Waiting for me")),
        ("review", _("To review")),
        ("sign", _("To sign")),
        ("issue", _("To issue")),
        ("returned", _("Returned to me")),
        ("drafted", _("Drafted by me")),
    ]

    queue = forms.ChoiceField(label=_("Queue"), choices=QUEUES, required=False)
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any status")), *OutgoingStatus.choices], required=False
    )
    document_type = forms.ModelChoiceField(
        label=_("Type"), queryset=DocumentType.objects.filter(active=True), required=False, empty_label=_("Any type")
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
