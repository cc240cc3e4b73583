"""Django admin of organizations, terms, members, position titles and positions.

Writes through the admin keep the rules of ``members.services``: the forms below run the same validators
(tree placement, non-overlapping terms, dates in order) before saving.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from . import selectors, services
from .models import Member, Organization, Position, PositionTitle, Term


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


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["full_name", "organization", "status", "sex", "party_card_number", "admission_date", "user"]
    list_filter = ["status", "sex", "organization__kind", ("organization", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["full_name", "party_card_number", "user__username", "user__email"]
    list_select_related = ["organization", "user"]
    autocomplete_fields = ["organization", "user"]
    date_hierarchy = "admission_date"
    inlines = [PositionInline]
    fieldsets = [
        (None, {"fields": ["full_name", "sex", "date_of_birth", "organization", "status"]}),
        (_("Party data"), {"fields": ["party_card_number", "admission_date"]}),
        (_("Account"), {"fields": ["user"]}),
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
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
