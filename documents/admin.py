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
    Bookmark,
    Clearance,
    Directive,
    DocumentFile,
    DocumentType,
    HandlingEntry,
    IncomingDocument,
    OutgoingRecipient,
    Publication,
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


# --- distribution and the library (issue 5, H-dist) ------------------------------------------------------------


@admin.register(OutgoingRecipient)
class OutgoingRecipientAdmin(ReadOnlyAdmin):
    """Recipients and how each got the document: written by the workflow and the distribution services."""

    list_display = ["name", "document", "organization", "method", "sent_at", "delivered"]
    list_filter = ["method", ("organization", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "address", "note", "document__number_symbol", "document__summary"]
    list_select_related = ["document", "organization", "delivered"]
    raw_id_fields = ["document", "organization", "delivered", "sent_by"]


@admin.register(Publication)
class PublicationAdmin(ReadOnlyAdmin):
    """Publications are made from the outgoing document page; here they can be read and withdrawn (through the
    service, so access ends at once and the history records it)."""

    list_display = ["__str__", "document", "audience", "organization", "published_at", "published_by", "withdrawn_at"]
    list_filter = ["audience", ("withdrawn_at", admin.EmptyFieldListFilter)]
    search_fields = ["title", "search_text", "document__number_symbol", "document__summary"]
    list_select_related = ["document", "organization", "published_by"]
    raw_id_fields = ["document", "organization", "published_by", "withdrawn_by"]
    actions = ["withdraw_selected"]

    @admin.action(description=_("Withdraw the selected publications"))
    def withdraw_selected(self, request, queryset):
        from django.core.exceptions import PermissionDenied, ValidationError

        from .services.library import publication_withdraw

        done = 0
        for publication in queryset.filter(withdrawn_at__isnull=True):
            try:
                publication_withdraw(actor=request.user, publication=publication)
            except (PermissionDenied, ValidationError):
                continue
            done += 1
        self.message_user(request, _("%(count)d publication(s) withdrawn.") % {"count": done})

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Bookmark)
class BookmarkAdmin(ReadOnlyAdmin):
    list_display = ["user", "publication", "created_at"]
    search_fields = ["user__username", "user__full_name", "publication__title"]
    list_select_related = ["user", "publication"]
    raw_id_fields = ["user", "publication"]


# --- digital signatures of outgoing documents (issue 5, H-sign) ---------------------------------------------

from .models import AppliedSignature, CredentialKind, SigningCredential  # noqa: E402
from .selectors import outgoing_visible_to  # noqa: E402


class SigningCredentialForm(forms.ModelForm):
    """Checks what the admin typed by opening the file or the token and reading the certificate; its subject,
    issuer, serial number, fingerprint and validity are then stored with the row. The passphrase or PIN is never
    typed here: the server reads it from the environment variable named in the form."""

    class Meta:
        model = SigningCredential
        fields = [
            "name",
            "kind",
            "user",
            "organization",
            "pkcs12_path",
            "passphrase_env",
            "pkcs11_module",
            "pkcs11_token_label",
            "pkcs11_key_label",
            "active",
        ]

    def clean(self):
        from django.utils import timezone

        from . import signing

        cleaned = super().clean()
        if self.errors:
            return cleaned
        if bool(cleaned.get("user")) == bool(cleaned.get("organization")):
            raise forms.ValidationError(
                _("Choose either a person (a personal signature) or an organization (its seal), not both.")
            )
        kind = cleaned.get("kind")
        required = ["pkcs12_path"] if kind == CredentialKind.PKCS12 else ["pkcs11_module", "pkcs11_key_label"]
        for name in [*required, "passphrase_env"]:
            if not (cleaned.get(name) or "").strip():
                self.add_error(name, _("This field is required for this kind of certificate."))
        if self.errors:
            return cleaned
        candidate = SigningCredential(**{name: cleaned.get(name) for name in self.Meta.fields})
        candidate.pk = self.instance.pk
        try:
            self.certificate = signing.read_certificate(candidate)
        except signing.SigningError as exc:
            raise forms.ValidationError(exc.messages) from exc
        if cleaned.get("active") and self.certificate.valid_until <= timezone.now():
            raise forms.ValidationError(
                _("This certificate expired on %(date)s: configure the renewed one, or save it as inactive."),
                params={"date": timezone.localtime(self.certificate.valid_until).strftime("%d/%m/%Y")},
            )
        return cleaned


CERTIFICATE_FIELDS = ["subject", "issuer", "serial_number", "fingerprint", "valid_from", "valid_until", "created_at"]


@admin.register(SigningCredential)
class SigningCredentialAdmin(admin.ModelAdmin):
    form = SigningCredentialForm
    list_display = ["name", "kind", "user", "organization", "valid_until", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "subject", "fingerprint", "user__username", "user__full_name", "organization__name"]
    list_select_related = ["user", "organization"]
    raw_id_fields = ["user", "organization"]
    readonly_fields = CERTIFICATE_FIELDS
    fieldsets = [
        (None, {"fields": ["name", "kind", "user", "organization", "active"]}),
        (
            _("Where the key is"),
            {
                "fields": ["pkcs12_path", "pkcs11_module", "pkcs11_token_label", "pkcs11_key_label", "passphrase_env"],
                "description": _(
                    "A PKCS#12 file on the server, or a PKCS#11 token. The passphrase or PIN is read by the server "
                    "from the environment variable named here (or from the file named by <NAME>_FILE); it is never "
                    "stored in the database."
                ),
            },
        ),
        (
            _("Certificate (read from the file or token on every save)"),
            {"fields": CERTIFICATE_FIELDS},
        ),
    ]
    actions = ["reread_certificates"]

    def save_model(self, request, obj, form, change):
        from .signing import apply_certificate_facts

        certificate = getattr(form, "certificate", None)
        if certificate is not None:
            apply_certificate_facts(obj, certificate)
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # applied signatures refer to it: deactivate instead

    @admin.action(description=_("Read the certificates again from their files or tokens"))
    def reread_certificates(self, request, queryset):
        from django.contrib import messages

        from .signing import SigningError, credential_refresh

        done = 0
        for credential in queryset:
            try:
                credential_refresh(actor=request.user, credential=credential)
            except SigningError as exc:
                self.message_user(request, f"{credential}: {' '.join(exc.messages)}", level=messages.ERROR)
                continue
            done += 1
        self.message_user(request, _("%(count)d certificate(s) read again.") % {"count": done})


@admin.register(AppliedSignature)
class AppliedSignatureAdmin(ReadOnlyAdmin):
    """The signatures PartyHub applied (read-only: they are made by signing and issuing documents)."""

    list_display = ["document", "kind", "certificate_subject", "signed_by", "signed_at", "timestamped"]
    list_filter = ["kind", "timestamped"]
    search_fields = ["document__number_symbol", "document__summary", "certificate_subject", "signed_by__username"]
    list_select_related = ["document", "signed_by", "credential"]
    raw_id_fields = ["document", "credential", "signed_by", "result_file"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(document__in=outgoing_visible_to(request.user).values("pk"))


# --- outgoing documents: format profiles, issuer settings, the workflow's rows (issue 5, H-flow) ---------------

from .models import (  # noqa: E402
    FormatProfile,
    IssuerSettings,
    OutgoingDocument,
    OutgoingEvent,
    OutgoingVersion,
)


@admin.register(FormatProfile)
class FormatProfileAdmin(admin.ModelAdmin):
    """The layout rules of official documents: data an administrator maintains (a newer guidance is a second
    profile, chosen per organization in its issuer settings). Never deleted: documents were rendered by it."""

    list_display = ["code", "name", "is_default", "active", "number_padding", "page_size"]
    list_filter = ["is_default", "active"]
    search_fields = ["code", "name", "description"]
    fieldsets = [
        (None, {"fields": ["code", "name", "description", "is_default", "active", "template_name"]}),
        (
            _("Texts"),
            {
                "fields": [
                    "party_title",
                    "number_word",
                    "number_padding",
                    "date_line",
                    "pad_days_below",
                    "padded_months",
                    "summary_prefix_without_type",
                    "recipients_heading",
                    "recipient_line_prefix",
                    "recipient_line_suffix",
                    "file_copy_line",
                ]
            },
        ),
        (
            _("Page"),
            {
                "fields": [
                    "page_size",
                    ("margin_top", "margin_bottom", "margin_left", "margin_right"),
                    "font_family",
                    ("header_font_size", "party_title_font_size", "number_font_size", "date_font_size"),
                    ("type_name_font_size", "summary_font_size", "body_font_size"),
                    ("signature_font_size", "recipients_font_size"),
                ]
            },
        ),
        (_("Signature stamps"), {"fields": ["signer_stamp_box", "organization_stamp_box"]}),
        (_("Advanced"), {"classes": ["collapse"], "fields": ["extra_css"]}),
    ]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(IssuerSettings)
class IssuerSettingsAdmin(admin.ModelAdmin):
    """How one organization issues: its format profile and the texts of its signature block."""

    list_display = ["organization", "format_profile", "collective_name", "file_copy_line"]
    list_filter = [("format_profile", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["organization__name", "collective_name"]
    list_select_related = ["organization", "format_profile"]
    autocomplete_fields = ["organization"]


class OutgoingVersionInline(admin.TabularInline):
    model = OutgoingVersion
    fields = ["number", "created_by", "created_at", "note", "uploaded_file", "rendition"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["-number"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class OutgoingEventInline(admin.TabularInline):
    model = OutgoingEvent
    fields = ["created_at", "kind", "actor", "from_status", "to_status", "comment"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["created_at", "id"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class OutgoingRecipientInline(admin.TabularInline):
    model = OutgoingRecipient
    fields = ["order", "name", "organization", "address", "in_block", "method", "sent_at", "delivered"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["order", "id"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class VisibleOutgoingMixin:
    """Only the rows whose outgoing document the admin may see (classified ones need a clearance, admins too)."""

    document_path = "document"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        visible = outgoing_visible_to(request.user).values("pk")
        if not self.document_path:
            return qs.filter(pk__in=visible)
        return qs.filter(**{f"{self.document_path}__in": visible})


@admin.register(OutgoingDocument)
class OutgoingDocumentAdmin(VisibleOutgoingMixin, ReadOnlyAdmin):
    """Outgoing documents, read-only: drafts, transitions and numbers are written by the workflow only (an edit
    here would bypass the state machine and the numbering). With their versions, history and recipients."""

    document_path = ""
    list_display = ["__str__", "organization", "document_type", "status", "number_symbol", "issued_on", "updated_at"]
    list_filter = [
        "status",
        "source",
        "confidentiality",
        "urgency",
        ("document_type", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["number_symbol", "summary", "signer_name", "organization__name"]
    list_select_related = ["organization", "document_type"]
    date_hierarchy = "created_at"
    inlines = [OutgoingRecipientInline, OutgoingVersionInline, OutgoingEventInline]
    exclude = ["search_text"]
    raw_id_fields = [
        "organization",
        "document_type",
        "drafted_by",
        "reviewer",
        "signer",
        "register",
        "issued_by",
        "approved_by",
        "final_file",
        "signed_file",
        "issued_file",
        "corrects",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("body")


@admin.register(OutgoingVersion)
class OutgoingVersionAdmin(VisibleOutgoingMixin, ReadOnlyAdmin):
    list_display = ["document", "number", "created_by", "created_at", "note"]
    search_fields = ["document__summary", "document__number_symbol", "note"]
    list_select_related = ["document", "created_by"]
    raw_id_fields = ["document", "created_by", "uploaded_file", "rendition"]


@admin.register(OutgoingEvent)
class OutgoingEventAdmin(VisibleOutgoingMixin, ReadOnlyAdmin):
    list_display = ["document", "kind", "actor", "from_status", "to_status", "created_at"]
    list_filter = ["kind"]
    search_fields = ["document__summary", "document__number_symbol", "comment"]
    list_select_related = ["document", "actor"]
    raw_id_fields = ["document", "actor", "version"]
