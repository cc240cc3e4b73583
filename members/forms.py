"""Forms of the member registry: the record (with its inline work history, family and awards), the list's
search and filters, and correction requests. The field rules live in ``members.services.records``
(:func:`validate_member_fields`), so the forms, the API and the import say the same thing."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.forms import inlineformset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import (
    Award,
    CorrectionStatus,
    FamilyRelation,
    Member,
    MemberActivity,
    MemberStatus,
    Organization,
    TheoryLevel,
    WorkHistoryEntry,
)
from .selectors import MEMBER_ORDERINGS
from .services.records import MEMBER_RECORD_FIELDS, validate_member_fields, validate_related_row


class DateInput(forms.DateInput):
    """The browser's date picker (ISO value; the phone shows it in the reader's locale)."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _apply_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


#: The record form's sections (heading, fields), in the order of the paper record.
RECORD_SECTIONS = (
    (
        _("Identity"),
        (
            "full_name",
            "other_names",
            "sex",
            "date_of_birth",
            "birthplace",
            "home_town",
            "ethnicity",
            "religion",
            "occupation",
        ),
    ),
    (_("Personal data"), ("id_number", "phone", "email", "permanent_address", "current_address")),
    (
        _("Party data"),
        (
            "personal_record_number",
            "party_card_number",
            "youth_union_date",
            "admission_date",
            "admission_ceremony_date",
            "admission_place",
            "official_date",
            "introducer_1",
            "introducer_2",
            "serious_illness",
        ),
    ),
    (
        _("Qualifications"),
        ("general_education", "professional_qualification", "political_theory", "foreign_language", "it_skill"),
    ),
)


class MemberRecordForm(forms.ModelForm):
    """The record fields of a member (never the cell or the status: they change through status events)."""

    class Meta:
        model = Member
        fields = MEMBER_RECORD_FIELDS
        widgets = {
            "date_of_birth": DateInput(),
            "youth_union_date": DateInput(),
            "admission_date": DateInput(),
            "admission_ceremony_date": DateInput(),
            "official_date": DateInput(),
            "id_number": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
            "party_card_number": forms.TextInput(attrs={"inputmode": "numeric"}),
            "personal_record_number": forms.TextInput(attrs={"autocapitalize": "characters"}),
        }
        help_texts = {
            "id_number": _("12 digits (căn cước)."),
            "phone": _("e.g. 0912 345 678"),
            "personal_record_number": _("6 digits and the province letters, e.g. 012345KG."),
            "party_card_number": _("Digits only."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Free text is trimmed by the service; lengths longer than the columns are caught by the form.
        self.fields["full_name"].required = True
        self.fields["sex"].choices = [("", _("— not given —")), *Member._meta.get_field("sex").choices]
        for name in ("date_of_birth", "youth_union_date", "admission_date", "admission_ceremony_date", "official_date"):
            self.fields[name].widget.attrs["max"] = timezone.localdate().isoformat()

    def sections(self):
        """(heading, bound fields) per section, for the template."""
        return [(title, [self[name] for name in names]) for title, names in RECORD_SECTIONS]

    def clean(self):
        cleaned = super().clean()
        data = {name: cleaned[name] for name in MEMBER_RECORD_FIELDS if name in cleaned}
        # Fields that failed their own validation are left out of the cross-field checks.
        instance = self.instance if self.instance.pk else None
        try:
            values = validate_member_fields(data, instance=instance)
        except ValidationError as error:
            _apply_errors(self, error)
            return cleaned
        cleaned.update(values)
        return cleaned

    def record_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in MEMBER_RECORD_FIELDS if name in self.cleaned_data}


class MemberCreateForm(MemberRecordForm):
    """A new record: the record fields and the cell the member belongs to."""

    organization = forms.ModelChoiceField(
        label=_("Party cell"), queryset=Organization.objects.none(), empty_label=_("— choose the cell —")
    )

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = (
            organizations if organizations is not None else Organization.objects.none()
        )
        # The cell first.
        self.order_fields(["organization", *MEMBER_RECORD_FIELDS])

    def sections(self):
        sections = super().sections()
        title, fields = sections[0]
        return [(title, [self["organization"], *fields]), *sections[1:]]


class _RowForm(forms.ModelForm):
    """A row of the record edited inline; checked by the same rules as the service."""

    def clean(self):
        cleaned = super().clean()
        if self.cleaned_data.get("DELETE") or not self.has_changed():
            return cleaned
        row = self._meta.model(**{name: cleaned.get(name) for name in self._meta.fields if name in cleaned})
        for name in self._meta.fields:
            if getattr(row, name, None) is None and name in self.fields and not self.fields[name].required:
                field = self._meta.model._meta.get_field(name)
                if not field.null:
                    setattr(row, name, field.get_default())
        try:
            validate_related_row(row, timezone.localdate(), full_clean=False)
        except ValidationError as error:
            _apply_errors(self, error)
            return cleaned
        for name in self._meta.fields:
            if name in cleaned and isinstance(cleaned[name], str):
                cleaned[name] = getattr(row, name)
        return cleaned


class WorkHistoryForm(_RowForm):
    class Meta:
        model = WorkHistoryEntry
        fields = ("start_date", "end_date", "description")
        widgets = {"start_date": DateInput(), "end_date": DateInput()}


class FamilyForm(_RowForm):
    class Meta:
        model = FamilyRelation
        fields = ("relation", "full_name", "birth_year", "occupation", "is_party_member", "note")
        widgets = {"birth_year": forms.NumberInput(attrs={"inputmode": "numeric", "min": 1880})}


class AwardForm(_RowForm):
    class Meta:
        model = Award
        fields = ("name", "decision_number", "awarded_on")
        widgets = {"awarded_on": DateInput()}


WorkHistoryFormSet = inlineformset_factory(
    Member, WorkHistoryEntry, form=WorkHistoryForm, extra=1, can_delete=True, max_num=60, validate_max=True
)
FamilyFormSet = inlineformset_factory(
    Member, FamilyRelation, form=FamilyForm, extra=1, can_delete=True, max_num=40, validate_max=True
)
AwardFormSet = inlineformset_factory(
    Member, Award, form=AwardForm, extra=1, can_delete=True, max_num=60, validate_max=True
)

#: (prefix, heading, formset class) of the inline parts of the record form.
RECORD_FORMSETS = (
    ("work", _("Work history"), WorkHistoryFormSet),
    ("family", _("Family"), FamilyFormSet),
    ("awards", _("Awards"), AwardFormSet),
)


# --- the list ---------------------------------------------------------------------------------------------

ORDERING_CHOICES = (
    ("name", _("Name (A–Z)")),
    ("-name", _("Name (Z–A)")),
    ("cell", _("Cell")),
    ("birth", _("Oldest first")),
    ("-birth", _("Youngest first")),
    ("admission", _("Admitted earliest first")),
    ("-admission", _("Admitted latest first")),
    ("badge", _("Next badge date")),
    ("recognition", _("Recognition due date")),
)
assert {key for key, _label in ORDERING_CHOICES} <= set(MEMBER_ORDERINGS)  # noqa: S101

PAGE_SIZES = (25, 50, 100)


class MemberFilterForm(forms.Form):
    """The member list's search, filters, sort and page size (GET)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    organization = forms.ModelChoiceField(
        label=_("Cell"), queryset=Organization.objects.none(), required=False, empty_label=_("All cells")
    )
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All")), *MemberStatus.choices])
    activity = forms.ChoiceField(label=_("Activity"), required=False, choices=[("", _("All")), *MemberActivity.choices])
    political_theory = forms.ChoiceField(
        label=_("Political theory level"),
        required=False,
        choices=[("", _("All")), *[(v or "none", label) for v, label in TheoryLevel.choices]],
    )
    age_min = forms.IntegerField(label=_("Age from"), required=False, min_value=0, max_value=130)
    age_max = forms.IntegerField(label=_("Age to"), required=False, min_value=0, max_value=130)
    badge_due_before = forms.DateField(label=_("Next badge by"), required=False, widget=DateInput())
    recognition_due = forms.BooleanField(label=_("Due for recognition"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=ORDERING_CHOICES)
    per_page = forms.TypedChoiceField(
        label=_("Per page"), required=False, coerce=int, choices=[(n, n) for n in PAGE_SIZES], empty_value=PAGE_SIZES[0]
    )

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organizations is not None:
            self.fields["organization"].queryset = organizations

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("age_min"), cleaned.get("age_max")
        if low is not None and high is not None and low > high:
            self.add_error("age_max", _("The upper age must not be below the lower one."))
        return cleaned

    def selector_arguments(self) -> dict:
        """Keyword arguments for ``selectors.member_list`` (empty filters when the form is invalid)."""
        data = self.cleaned_data if self.is_valid() else {}
        theory = data.get("political_theory") or ""
        filters = {
            "organization": data.get("organization"),
            "status": data.get("status") or "",
            "activity": data.get("activity") or "",
            "political_theory": "" if not theory else ("" if theory == "none" else theory),
            "age_min": data.get("age_min"),
            "age_max": data.get("age_max"),
            "badge_due_before": data.get("badge_due_before"),
            "recognition_due": bool(data.get("recognition_due")),
        }
        if theory == "none":
            filters["political_theory_none"] = True
        return {"query": data.get("q") or "", "filters": filters, "ordering": data.get("sort") or "name"}

    def is_filtered(self) -> bool:
        if not self.is_bound or not self.is_valid():
            return False
        ignored = {"sort", "per_page"}
        return any(value not in (None, "", False) for key, value in self.cleaned_data.items() if key not in ignored)


# --- corrections ------------------------------------------------------------------------------------------

CORRECTION_TOPICS = (
    ("", _("— choose what is wrong —")),
    ("full_name", _("Name")),
    ("date_of_birth", _("Date of birth")),
    ("home_town", _("Home town or place of birth")),
    ("current_address", _("Address")),
    ("phone", _("Phone")),
    ("id_number", _("Citizen ID number")),
    ("admission_date", _("Party dates (admission, becoming official)")),
    ("party_card_number", _("Party card or record number")),
    ("political_theory", _("Qualifications")),
    ("work_history", _("Work history")),
    ("family", _("Family")),
    ("awards", _("Awards and badges")),
    ("fees", _("Party fees")),
    ("other", _("Something else")),
)


class CorrectionRequestForm(forms.Form):
    field_name = forms.ChoiceField(label=_("What is wrong?"), choices=CORRECTION_TOPICS, required=False)
    message = forms.CharField(
        label=_("What should it say?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Write what is wrong and what it should be. The party office will answer you here."),
        error_messages={"required": _("Write what is wrong and what it should be.")},
    )


class CorrectionResolveForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Answer"),
        widget=forms.RadioSelect,
        choices=[
            (CorrectionStatus.DONE, _("The record was corrected")),
            (CorrectionStatus.REJECTED, _("Rejected")),
        ],
    )
    response = forms.CharField(
        label=_("Message to the member"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") == CorrectionStatus.REJECTED and not (cleaned.get("response") or "").strip():
            self.add_error("response", _("Explain to the member why the request is rejected."))
        return cleaned
