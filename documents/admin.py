"""Django admin of the documents app: document types and registers are data an administrator maintains;
everything the workflow writes (register entries, counters, files, signature checks, directives,
assignments, the handling history) is shown read-only, because an edit here would bypass the services and
could break the numbering or the history. Nothing registered can be deleted.

The access rule holds in the admin too: incoming documents (and what hangs off them) are listed through
``documents.selectors.incoming_visible_to``, so a classified entry is shown only to a superuser cleared for
its level. Every change made here is audited like any other (``partyhub.audit`` signal handlers).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from members.models import OrganizationKind

from .models import (
    Assignment,
    Clearance,
    Directive,
    DocumentFile,
    DocumentType,
    HandlingEntry,
    IncomingDocument,
    Register,
    RegisterCounter,
    SavedSearch,
    SignatureCheck,
)
from .selectors import forget_document_access, incoming_visible_to


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable, never added, changed or deleted through the admin."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class VisibleDocumentsMixin:
    """Restrict the changelist to rows whose incoming document the user may see (``document_path`` is the
    lookup from the model to its IncomingDocument)."""

    document_path = "document"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        visible = incoming_visible_to(request.user).values("pk")
        return qs.filter(**{f"{self.document_path}__in": visible})


# --- document types ---------------------------------------------------------------------------------------


class DocumentTypeForm(forms.ModelForm):
    issuable_by_kinds = forms.MultipleChoiceField(
        label=_("issued by organization kinds"),
        choices=OrganizationKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Kinds of organization that may issue this type (none ticked: any)."),
    )

    class Meta:
        model = DocumentType
        fields = ["name", "abbreviation", "is_administrative", "issuable_by_kinds", "order", "active"]

    def clean_issuable_by_kinds(self):
        return sorted(self.cleaned_data.get("issuable_by_kinds") or [])


@admin.register(DocumentType)
class DocumentTypeAdmin(admin.ModelAdmin):
    form = DocumentTypeForm
    list_display = ["name", "abbreviation", "is_administrative", "issued_by", "order", "active"]
    list_editable = ["order", "active"]
    list_filter = ["is_administrative", "active"]
    search_fields = ["name", "abbreviation"]
    ordering = ["order", "name"]

    @admin.display(description=_("issued by"))
    def issued_by(self, obj: DocumentType) -> str:
        if not obj.issuable_by_kinds:
            return str(_("any organization"))
        labels = dict(OrganizationKind.choices)
        return ", ".join(str(labels.get(kind, kind)) for kind in obj.issuable_by_kinds)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # documents refer to their type: deactivate it instead


# --- registers and counters -------------------------------------------------------------------------------


class RegisterCounterInline(admin.TabularInline):
    model = RegisterCounter
    fields = ["period", "document_type", "last_number"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Register)
class RegisterAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "kind", "is_secret", "reset_period", "active"]
    list_filter = ["kind", "is_secret", "reset_period", "active"]
    search_fields = ["name", "organization__name"]
    list_select_related = ["organization"]
    autocomplete_fields = ["organization"]
    inlines = [RegisterCounterInline]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        fields = ["organization", "kind", "is_secret"]
        if obj.counters.exists():
            # Numbers have been given: a different reset period would renumber the running period.
            fields.append("reset_period")
        return fields

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RegisterCounter)
class RegisterCounterAdmin(ReadOnlyAdmin):
    list_display = ["register", "period", "document_type", "last_number"]
    list_filter = ["register__kind", "register__is_secret", "period"]
    search_fields = ["register__name", "register__organization__name", "period"]
    list_select_related = ["register", "document_type"]


# --- incoming documents and what hangs off them -----------------------------------------------------------


class DocumentFileInline(admin.TabularInline):
    model = DocumentFile
    fk_name = "incoming"
    fields = ["role", "stored_file", "derived_from", "page_count", "added_by", "added_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class HandlingEntryInline(admin.TabularInline):
    model = HandlingEntry
    fields = ["created_at", "kind", "actor", "text", "file"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(IncomingDocument)
class IncomingDocumentAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "period",
        "received_on",
        "number_symbol",
        "sender",
        "short_summary",
        "status",
        "confidentiality",
        "urgency",
        "organization",
    ]
    list_display_links = ["number", "number_symbol"]
    list_filter = [
        "status",
        "confidentiality",
        "urgency",
        "received_via",
        "processing_state",
        "register__is_secret",
        "document_type",
        "organization",
    ]
    search_fields = ["number_symbol", "sender", "summary", "signer_name", "=number"]
    date_hierarchy = "received_on"
    list_select_related = ["organization", "document_type"]
    inlines = [DocumentFileInline, HandlingEntryInline]
    fieldsets = [
        (
            _("Register entry"),
            {"fields": ["organization", "register", "period", "number", "status", "registered_at", "registered_by"]},
        ),
        (
            _("Metadata"),
            {
                "fields": [
                    "received_on",
                    "received_via",
                    "sender",
                    "sender_organization",
                    "number_symbol",
                    "document_date",
                    "document_type",
                    "summary",
                    "signer_name",
                    "confidentiality",
                    "urgency",
                    "page_count",
                    "deadline",
                    "notes",
                ]
            },
        ),
        (
            _("Digitizing"),
            {
                "fields": [
                    "processing_state",
                    "processing_progress",
                    "processing_message",
                    "duplicate_of",
                    "source_message_id",
                ]
            },
        ),
        (_("Life cycle"), {"fields": ["created_by", "created_at", "closed_at", "voided_at", "void_reason"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=incoming_visible_to(request.user).values("pk"))

    @admin.display(description=_("summary"))
    def short_summary(self, obj: IncomingDocument) -> str:
        return obj.summary if len(obj.summary) <= 80 else obj.summary[:79] + "…"


@admin.register(DocumentFile)
class DocumentFileAdmin(VisibleDocumentsMixin, ReadOnlyAdmin):
    document_path = "incoming"
    list_display = ["incoming", "role", "stored_file", "page_count", "added_at"]
    list_filter = ["role"]
    search_fields = ["incoming__number_symbol", "stored_file__original_name"]
    list_select_related = ["incoming", "stored_file"]


@admin.register(SignatureCheck)
class SignatureCheckAdmin(VisibleDocumentsMixin, ReadOnlyAdmin):
    document_path = "file__incoming"
    list_display = ["file", "signer_name", "signed_at", "intact", "trusted", "modified_after_signing", "checked_at"]
    list_filter = ["intact", "trusted", "modified_after_signing"]
    search_fields = ["signer_name", "summary", "file__incoming__number_symbol"]


class AssignmentInline(admin.TabularInline):
    model = Assignment
    fields = ["user", "role", "status", "done_at", "last_reminded_on"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Directive)
class DirectiveAdmin(VisibleDocumentsMixin, ReadOnlyAdmin):
    list_display = ["document", "directed_by", "directed_at", "deadline", "superseded_at"]
    list_filter = ["deadline", "superseded_at"]
    search_fields = ["document__number_symbol", "document__summary", "instructions"]
    list_select_related = ["document", "directed_by"]
    inlines = [AssignmentInline]


@admin.register(Assignment)
class AssignmentAdmin(VisibleDocumentsMixin, ReadOnlyAdmin):
    document_path = "directive__document"
    list_display = ["directive", "user", "role", "status", "done_at", "last_reminded_on"]
    list_filter = ["role", "status"]
    search_fields = ["user__username", "user__full_name", "directive__document__number_symbol"]
    list_select_related = ["directive__document", "user"]


@admin.register(HandlingEntry)
class HandlingEntryAdmin(VisibleDocumentsMixin, ReadOnlyAdmin):
    list_display = ["document", "kind", "actor", "created_at"]
    list_filter = ["kind"]
    search_fields = ["document__number_symbol", "text", "actor__username", "actor__full_name"]
    list_select_related = ["document", "actor"]


# --- per-user data ----------------------------------------------------------------------------------------


@admin.register(SavedSearch)
class SavedSearchAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "created_at"]
    search_fields = ["name", "user__username", "user__full_name"]
    readonly_fields = ["user", "query", "created_at"]
    list_select_related = ["user"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Clearance)
class ClearanceAdmin(admin.ModelAdmin):
    list_display = ["user", "level", "valid_from", "valid_until", "granted_by", "note"]
    list_filter = ["level", "valid_until"]
    search_fields = ["user__username", "user__full_name", "note"]
    autocomplete_fields = ["user"]
    readonly_fields = ["granted_by", "created_at"]
    list_select_related = ["user", "granted_by"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        # A clearance is revoked by ending it, never rewritten: only the end date and the note change.
        return [*self.readonly_fields, "user", "level", "valid_from"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.granted_by = request.user
        super().save_model(request, obj, form, change)
        forget_document_access(obj.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
