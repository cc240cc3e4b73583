"""Django admin of organizations, terms, members, position titles, positions, the member record's history
(status, fees, assessments, badges …) and the rules kept as data.

Writes through the admin keep the rules of ``members.services``: the forms below run the same validators
(tree placement, non-overlapping terms, dates in order) before saving.
"""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from partyhub.queue import enqueue

from . import selectors, services
from .models import (
    AssessmentBand,
    AssessmentScale,
    Award,
    BadgeAward,
    BadgeRule,
    CorrectionRequest,
    FamilyRelation,
    FeeArrearsWarning,
    FeeDeclaration,
    FeeExemption,
    FeePayment,
    FeeRate,
    FeeRuleSet,
    Member,
    MemberAssessment,
    MemberStatusEvent,
    Organization,
    Position,
    PositionTitle,
    ProbationRule,
    Term,
    WorkHistoryEntry,
)
from .services import records


class CurrentFilter(admin.SimpleListFilter):
    """Running today / ended / not started (terms and positions)."""

    title = _("period")
    parameter_name = "period"

    def lookups(self, request, model_admin):
        return [("current", _("Current")), ("past", _("Ended")), ("future", _("Not started"))]

    def queryset(self, request, queryset):
        today = selectors.today()
        if self.value() == "current":
            return queryset.filter(start_date__lte=today).filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        if self.value() == "past":
            return queryset.filter(end_date__lt=today)
        if self.value() == "future":
            return queryset.filter(start_date__gt=today)
        return queryset


class OrganizationAdminForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["name", "short_name", "kind", "code", "parent", "place_name", "is_external", "active", "order"]

    def clean(self):
        cleaned = super().clean()
        kind, parent = cleaned.get("kind"), cleaned.get("parent")
        if self.instance.pk and parent is not None and parent.pk in selectors.descendant_ids([self.instance.pk]):
            raise ValidationError({"parent": _("An organization cannot be placed under itself.")})
        if kind:
            try:
                services.validate_organization_placement(
                    kind=kind, parent=parent, is_external=bool(cleaned.get("is_external"))
                )
            except ValidationError as error:
                self._add_validation_error(error)
        return cleaned

    def _add_validation_error(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
        else:
            self.add_error(None, error)


class TermAdminForm(OrganizationAdminForm):
    class Meta:
        model = Term
        fields = ["organization", "name", "start_date", "end_date"]

    def clean(self):
        cleaned = forms.ModelForm.clean(self)
        organization = cleaned.get("organization") or getattr(self.instance, "organization", None)
        if organization is not None and cleaned.get("name") and cleaned.get("start_date"):
            try:
                services.validate_term(
                    organization=organization,
                    name=cleaned["name"],
                    start_date=cleaned["start_date"],
                    end_date=cleaned.get("end_date"),
                    exclude_pk=self.instance.pk,
                )
            except ValidationError as error:
                self._add_validation_error(error)
        return cleaned


class TermInline(admin.TabularInline):
    model = Term
    form = TermAdminForm
    extra = 0
    fields = ["name", "start_date", "end_date"]
    ordering = ["-start_date"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    form = OrganizationAdminForm
    list_display = ["name", "code", "kind", "parent", "is_external", "active", "member_count", "order"]
    list_filter = ["kind", "is_external", "active", ("parent", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "short_name", "code", "place_name"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    list_editable = ["order"]
    inlines = [TermInline]
    fieldsets = [
        (None, {"fields": ["name", "short_name", "kind", "code", "parent"]}),
        (_("Display"), {"fields": ["place_name", "is_external", "active", "order"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_member_count=Count("members", distinct=True))

    @admin.display(description=_("members"), ordering="_member_count")
    def member_count(self, obj: Organization) -> int:
        return obj._member_count


@admin.register(Term)
class TermAdmin(admin.ModelAdmin):
    form = TermAdminForm
    list_display = ["name", "organization", "start_date", "end_date"]
    list_filter = [CurrentFilter, "organization__kind", ("organization", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "organization__name", "organization__code"]
    list_select_related = ["organization"]
    autocomplete_fields = ["organization"]
    date_hierarchy = "start_date"


class PositionInline(admin.TabularInline):
    model = Position
    extra = 0
    fields = ["organization", "title", "start_date", "end_date"]
    autocomplete_fields = ["organization", "title"]


class StatusEventInline(admin.TabularInline):
    """The status history, read-only: changes are recorded through the status service (the registry's
    pages or the API), which refuses impossible ones and keeps the member's state in step."""

    model = MemberStatusEvent
    fk_name = "member"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = [
        "kind",
        "effective_date",
        "decision_number",
        "decision_date",
        "status_after",
        "activity_after",
        "to_organization",
        "voided_at",
    ]
    readonly_fields = fields
    ordering = ["effective_date", "id"]
    verbose_name_plural = _("status history (recorded through the registry)")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class WorkHistoryInline(admin.TabularInline):
    model = WorkHistoryEntry
    extra = 0
    fields = ["start_date", "end_date", "description"]


class FamilyInline(admin.TabularInline):
    model = FamilyRelation
    extra = 0
    fields = ["relation", "full_name", "birth_year", "occupation", "is_party_member", "note"]


class AwardInline(admin.TabularInline):
    model = Award
    extra = 0
    fields = ["name", "decision_number", "awarded_on"]


class BadgeAwardInline(admin.TabularInline):
    model = BadgeAward
    extra = 0
    fields = ["years", "awarded_on", "decision_number", "posthumous"]


class MemberAdminForm(forms.ModelForm):
    """The record fields are checked by the records service's validators (the same messages as the
    registry's form); the cell can be chosen only for a new record, the status and activity never (they
    change through status events)."""

    class Meta:
        model = Member
        fields = ["organization", "user", *records.MEMBER_RECORD_FIELDS]

    def clean(self):
        cleaned = super().clean()
        organization = cleaned.get("organization")
        if not self.instance.pk and organization is not None and organization.is_external:
            self.add_error("organization", _("Members belong to an organization of the commune."))
        if self.instance.pk:
            names = [n for n in self.changed_data if n in records.MEMBER_RECORD_FIELDS]
        else:
            names = [n for n in records.MEMBER_RECORD_FIELDS if n in cleaned]
        data = {name: cleaned[name] for name in names if name in cleaned}
        try:
            self.record_values = records.validate_member_fields(
                data, instance=self.instance if self.instance.pk else None
            )
        except ValidationError as error:
            self.record_values = {}
            if hasattr(error, "error_dict"):
                for field, messages in error.message_dict.items():
                    for message in messages:
                        self.add_error(field if field in self.fields else None, message)
            else:
                self.add_error(None, error)
        return cleaned


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    form = MemberAdminForm
    list_display = [
        "full_name",
        "organization",
        "status",
        "activity",
        "sex",
        "party_card_number",
        "admission_date",
        "next_badge_date",
        "user",
    ]
    list_filter = [
        "status",
        "activity",
        "sex",
        "political_theory",
        "serious_illness",
        "organization__kind",
        ("organization", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = [
        "full_name",
        "other_names",
        "search_text",
        "party_card_number",
        "personal_record_number",
        "user__username",
        "user__email",
    ]
    list_select_related = ["organization", "user"]
    autocomplete_fields = ["organization", "user"]
    date_hierarchy = "admission_date"
    inlines = [StatusEventInline, PositionInline, WorkHistoryInline, FamilyInline, AwardInline, BadgeAwardInline]
    readonly_fields = [
        "status",
        "activity",
        "party_age_gap_days",
        "recognition_due_date",
        "next_badge_years",
        "next_badge_date",
    ]
    fieldsets = [
        (None, {"fields": ["full_name", "other_names", "sex", "date_of_birth", "organization", "status", "activity"]}),
        (
            _("Identity"),
            {
                "fields": [
                    "birthplace",
                    "home_town",
                    "permanent_address",
                    "current_address",
                    "ethnicity",
                    "religion",
                    "occupation",
                    "id_number",
                    "phone",
                    "email",
                ]
            },
        ),
        (
            _("Party data"),
            {
                "fields": [
                    "personal_record_number",
                    "party_card_number",
                    "admission_date",
                    "admission_ceremony_date",
                    "admission_place",
                    "official_date",
                    "introducer_1",
                    "introducer_2",
                    "youth_union_date",
                    "serious_illness",
                ]
            },
        ),
        (
            _("Qualifications"),
            {
                "fields": [
                    "general_education",
                    "professional_qualification",
                    "political_theory",
                    "foreign_language",
                    "it_skill",
                ]
            },
        ),
        (
            _("Computed by the registry"),
            {"fields": ["party_age_gap_days", "recognition_due_date", "next_badge_years", "next_badge_date"]},
        ),
        (_("Account"), {"fields": ["user"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # Moving a member to another cell is a transfer: a status event, not an edit.
            fields.append("organization")
        return fields

    def save_model(self, request, obj, form, change):
        """Save through the records service (validation, search text, computed facts) and link the account
        through the organizations service."""
        values = getattr(form, "record_values", {})
        if change:
            member = records.member_update(actor=request.user, member=obj, **values)
        else:
            member = records.member_create(actor=request.user, organization=obj.organization, **values)
            obj.pk = member.pk
            obj._state.adding = False
            obj._state.db = member._state.db
            obj.status, obj.activity, obj.search_text = member.status, member.activity, member.search_text
        if "user" in form.changed_data:
            new_user = form.cleaned_data.get("user")
            previous = Member.objects.filter(pk=obj.pk).values_list("user_id", flat=True).first()
            if previous is not None and (new_user is None or new_user.pk != previous):
                services.member_link_user(actor=request.user, member=obj, user=None)
            if new_user is not None:
                services.member_link_user(actor=request.user, member=obj, user=new_user)
        obj.refresh_from_db()
        if obj.user_id:
            selectors.forget_access(obj.user)


@admin.register(PositionTitle)
class PositionTitleAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "signature_title",
        "grants_leader",
        "grants_clerk",
        "grants_handler",
        "grants_cell_secretary",
        "grants_delegate",
        "order",
    ]
    list_filter = ["grants_leader", "grants_clerk", "grants_handler", "grants_cell_secretary", "grants_delegate"]
    search_fields = ["name", "signature_title"]
    list_editable = ["order"]
    fieldsets = [
        (None, {"fields": ["name", "signature_title", "order"]}),
        (
            _("Roles granted"),
            {
                "fields": [
                    "grants_leader",
                    "grants_clerk",
                    "grants_handler",
                    "grants_cell_secretary",
                    "grants_delegate",
                ]
            },
        ),
    ]


class PositionAdminForm(forms.ModelForm):
    class Meta:
        model = Position
        fields = ["member", "organization", "title", "start_date", "end_date"]

    def clean(self):
        cleaned = super().clean()
        organization, start, end = cleaned.get("organization"), cleaned.get("start_date"), cleaned.get("end_date")
        if organization is not None and organization.is_external:
            self.add_error("organization", _("Positions cannot be held in an external organization."))
        if start and end and end < start:
            self.add_error("end_date", _("The end date cannot be before the start date."))
        return cleaned


@admin.register(Position)
class PositionAdmin(admin.ModelAdmin):
    form = PositionAdminForm
    list_display = ["member", "title", "organization", "start_date", "end_date"]
    list_filter = [
        CurrentFilter,
        ("title", admin.RelatedOnlyFieldListFilter),
        "organization__kind",
        ("organization", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["member__full_name", "title__name", "organization__name"]
    list_select_related = ["member", "title", "organization"]
    autocomplete_fields = ["member", "organization", "title"]
    date_hierarchy = "start_date"


# --- the member record's history and belongings (member registry) ----------------------------------------------


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by the services (status history, arrears warnings): shown, never edited here."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(MemberStatusEvent)
class MemberStatusEventAdmin(ReadOnlyAdmin):
    list_display = [
        "member",
        "kind",
        "effective_date",
        "decision_number",
        "status_after",
        "activity_after",
        "voided_at",
    ]
    list_filter = [
        "kind",
        "status_after",
        "activity_after",
        ("voided_at", admin.EmptyFieldListFilter),
        ("member__organization", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["member__full_name", "member__search_text", "decision_number", "decided_by", "note"]
    list_select_related = ["member", "from_organization", "to_organization"]
    date_hierarchy = "effective_date"


class MemberRowAdmin(admin.ModelAdmin):
    """A row hanging on a member: searched by the member's name, filtered by the member's cell."""

    list_select_related = ["member", "member__organization"]
    autocomplete_fields = ["member"]
    member_search = ["member__full_name", "member__search_text", "member__party_card_number"]

    def get_search_fields(self, request):
        return [*self.member_search, *self.search_fields]


@admin.register(WorkHistoryEntry)
class WorkHistoryEntryAdmin(MemberRowAdmin):
    list_display = ["member", "start_date", "end_date", "description"]
    list_filter = [("member__organization", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["description"]
    date_hierarchy = "start_date"


@admin.register(FamilyRelation)
class FamilyRelationAdmin(MemberRowAdmin):
    list_display = ["member", "relation", "full_name", "birth_year", "is_party_member"]
    list_filter = ["is_party_member", ("member__organization", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["full_name", "relation", "occupation"]


@admin.register(Award)
class AwardAdmin(MemberRowAdmin):
    list_display = ["member", "name", "decision_number", "awarded_on"]
    list_filter = [("member__organization", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "decision_number"]
    date_hierarchy = "awarded_on"


@admin.register(BadgeAward)
class BadgeAwardAdmin(MemberRowAdmin):
    list_display = ["member", "years", "awarded_on", "decision_number", "posthumous"]
    list_filter = ["years", "posthumous", ("member__organization", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["decision_number"]
    date_hierarchy = "awarded_on"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # The next badge due depends on the badges received.
        enqueue("members.tasks.refresh_member_facts", [obj.member_id])


@admin.register(FeeDeclaration)
class FeeDeclarationAdmin(MemberRowAdmin):
    list_display = ["member", "valid_from", "category", "basis_amount", "declared_by"]
    list_filter = ["category", ("member__organization", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["note"]
    readonly_fields = ["declared_by"]
    date_hierarchy = "valid_from"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.declared_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(FeeExemption)
class FeeExemptionAdmin(MemberRowAdmin):
    list_display = ["member", "kind", "relief_percent", "start_month", "end_month", "decision_number"]
    list_filter = ["kind", "relief_percent", ("member__organization", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["decision_number", "note"]
    date_hierarchy = "start_month"


@admin.register(FeePayment)
class FeePaymentAdmin(MemberRowAdmin):
    """Payments are recorded by the cells (the monthly sheet, the API); the admin corrects mistakes."""

    list_display = ["member", "month", "amount", "paid_on", "organization", "recorded_by"]
    list_filter = [("organization", admin.RelatedOnlyFieldListFilter), "month"]
    search_fields = ["note"]
    list_select_related = ["member", "organization", "recorded_by"]
    autocomplete_fields = ["member", "organization"]
    readonly_fields = ["recorded_by", "recorded_at"]
    date_hierarchy = "month"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(FeeArrearsWarning)
class FeeArrearsWarningAdmin(ReadOnlyAdmin):
    list_display = ["member", "year", "unpaid_months", "organization", "notified_at"]
    list_filter = ["year", ("organization", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["member__full_name", "member__search_text"]
    list_select_related = ["member", "organization"]


class MemberAssessmentAdminForm(forms.ModelForm):
    """Recorded through ``assessment_record`` while the form is validated, so the service's refusals (a year
    with no scale, a score above the scale's maximum, a year to come …) show on the form like any error.
    The page has no inlines: a valid form is saved as a whole."""

    actor = None  # set by the admin for the request

    class Meta:
        model = MemberAssessment
        fields = ["member", "year", "score", "all_tasks_done", "exceeded_percent", "note"]

    def _post_clean(self):
        # After the model's own checks (one assessment per member and year): then the service records it.
        super()._post_clean()
        self._record()

    def _record(self):
        from .services.assessments import assessment_record

        cleaned = self.cleaned_data
        self.recorded = None
        member = cleaned.get("member") or (self.instance.member if self.instance.pk else None)
        year = cleaned.get("year") or (self.instance.year if self.instance.pk else None)
        if self.errors or member is None or year is None:
            return cleaned
        try:
            with transaction.atomic():
                self.recorded = assessment_record(
                    actor=self.actor,
                    member=member,
                    year=year,
                    score=cleaned.get("score"),
                    all_tasks_done=bool(cleaned.get("all_tasks_done")),
                    exceeded_percent=cleaned.get("exceeded_percent"),
                    note=cleaned.get("note") or "",
                )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, messages in error.message_dict.items():
                    for message in messages:
                        self.add_error(field if field in self.fields else None, message)
            else:
                self.add_error(None, error)


@admin.register(MemberAssessment)
class MemberAssessmentAdmin(MemberRowAdmin):
    """Saved through the assessment service: the rating is derived by the scale in force that year."""

    form = MemberAssessmentAdminForm
    list_display = ["member", "year", "score", "rating", "all_tasks_done", "exceeded_percent"]
    list_filter = ["year", "rating", ("member__organization", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["note"]
    readonly_fields = ["rating", "scale", "assessed_by", "assessed_at"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "member", "year"] if obj is not None else fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def save_model(self, request, obj, form, change):
        saved = form.recorded
        obj.pk, obj._state.adding, obj._state.db = saved.pk, False, saved._state.db
        obj.refresh_from_db()


@admin.register(CorrectionRequest)
class CorrectionRequestAdmin(ReadOnlyAdmin):
    """Members ask from their handbook; the office answers on the registry's corrections page (which
    notifies the member). Shown here for reference."""

    list_display = ["member", "field_name", "status", "created_at", "requested_by", "resolved_by"]
    list_filter = ["status", ("member__organization", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["member__full_name", "member__search_text", "message", "response", "field_name"]
    list_select_related = ["member", "requested_by", "resolved_by"]
    date_hierarchy = "created_at"


# --- rules kept as data: the next regulation is added here -------------------------------------------------------


class RuleAdmin(admin.ModelAdmin):
    """A rule row is valid from its date until the next row starts. Add a row for a new regulation instead of
    editing one that months already were computed with."""

    search_fields = ["source"]
    list_filter = ["valid_from"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # The cached facts (recognition due, next badge) depend on these rules.
        enqueue("members.tasks.refresh_member_facts")


@admin.register(ProbationRule)
class ProbationRuleAdmin(RuleAdmin):
    list_display = ["source", "valid_from", "probation_months", "decision_working_days", "min_admission_age"]
    date_hierarchy = "valid_from"


class BadgeRuleAdminForm(forms.ModelForm):
    class Meta:
        model = BadgeRule
        fields = [
            "source",
            "valid_from",
            "milestones",
            "award_days",
            "illness_early_months",
            "illness_early_months_high",
            "high_milestone_from",
            "posthumous_early_months",
        ]

    def clean_milestones(self):
        value = self.cleaned_data.get("milestones")
        if not isinstance(value, list) or not value or not all(isinstance(v, int) and 0 < v <= 100 for v in value):
            raise ValidationError(_("Enter a list of whole numbers of years, e.g. [30, 40, 45, 50]."))
        if sorted(set(value)) != value:
            raise ValidationError(_("List each milestone once, from the smallest up."))
        return value

    def clean_award_days(self):
        value = self.cleaned_data.get("award_days")
        if not isinstance(value, list) or not value:
            raise ValidationError(_('Enter a list of days as "DD/MM", e.g. ["03/02", "19/05"].'))
        for text in value:
            try:
                day, month = (int(part) for part in str(text).split("/"))
                datetime.date(2024, month, day)  # a leap year: 29/02 is a day that exists
            except (TypeError, ValueError):
                raise ValidationError(
                    _("%(value)s is not a day of the year written as DD/MM.") % {"value": text}
                ) from None
        return value


@admin.register(BadgeRule)
class BadgeRuleAdmin(RuleAdmin):
    form = BadgeRuleAdminForm
    list_display = ["source", "valid_from", "milestones", "award_days"]
    date_hierarchy = "valid_from"


class FeeRateInlineForm(forms.ModelForm):
    class Meta:
        model = FeeRate
        fields = ["category", "percent", "fixed_amount", "description"]

    def clean(self):
        cleaned = super().clean()
        percent, fixed = cleaned.get("percent"), cleaned.get("fixed_amount")
        if (percent is None) == (fixed is None):
            raise ValidationError(_("Give either a percentage of the basis or a fixed amount, not both."))
        return cleaned


class FeeRateInline(admin.TabularInline):
    model = FeeRate
    form = FeeRateInlineForm
    extra = 0
    fields = ["category", "percent", "fixed_amount", "description"]


@admin.register(FeeRuleSet)
class FeeRuleSetAdmin(RuleAdmin):
    list_display = ["source", "valid_from", "exempt_party_age_years", "arrears_warning_months", "round_to"]
    inlines = [FeeRateInline]
    date_hierarchy = "valid_from"

    def save_model(self, request, obj, form, change):
        # Fee rules do not change the cached facts; nothing to refresh.
        admin.ModelAdmin.save_model(self, request, obj, form, change)


@admin.register(FeeRate)
class FeeRateAdmin(admin.ModelAdmin):
    form = FeeRateInlineForm
    list_display = ["rule_set", "category", "percent", "fixed_amount", "description"]
    list_filter = ["category", "rule_set"]
    search_fields = ["description", "rule_set__source"]
    list_select_related = ["rule_set"]

    def get_form(self, request, obj=None, **kwargs):
        kwargs["fields"] = ["rule_set", "category", "percent", "fixed_amount", "description"]
        return super().get_form(request, obj, **kwargs)


class AssessmentBandInline(admin.TabularInline):
    model = AssessmentBand
    extra = 0
    fields = ["rating", "min_score", "requires_all_tasks_done", "min_exceeded_percent"]
    ordering = ["-min_score"]


@admin.register(AssessmentScale)
class AssessmentScaleAdmin(admin.ModelAdmin):
    list_display = ["source", "valid_from_year", "max_score"]
    search_fields = ["source"]
    inlines = [AssessmentBandInline]


@admin.register(AssessmentBand)
class AssessmentBandAdmin(admin.ModelAdmin):
    list_display = ["scale", "rating", "min_score", "requires_all_tasks_done", "min_exceeded_percent"]
    list_filter = ["rating", "scale"]
    search_fields = ["scale__source"]
    list_select_related = ["scale"]
