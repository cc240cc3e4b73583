"""Shapes of incoming documents in the API. Serializers check the shape of the input only; the rules (who may
register, direct, handle; which metadata is valid) live in ``documents.services`` and answer with their own
translated messages."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from members.api.serializers import OrganizationRefSerializer
from members.models import Organization

from ..models import (
    Assignment,
    Confidentiality,
    Directive,
    DocumentFile,
    DocumentType,
    HandlingEntry,
    IncomingDocument,
    IncomingStatus,
    SavedSearch,
    Urgency,
)
from ..search import ORDERS

User = get_user_model()


def service_errors(error: DjangoValidationError) -> serializers.ValidationError:
    """A service's ``ValidationError`` (keyed by field where one field is at fault) as the API's 400."""
    return serializers.ValidationError(serializers.as_serializer_error(error))


# --- references ---------------------------------------------------------------------------------------------


class DocumentTypeRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = DocumentType
        fields = ["id", "name", "abbreviation"]
        read_only_fields = fields


class UserRefSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "name"]
        read_only_fields = fields

    def get_name(self, user) -> str:
        return user.get_full_name() or user.get_username()


# --- documents ------------------------------------------------------------------------------------------------

_COMMON_FIELDS = [
    "id",
    "status",
    "status_display",
    "organization",
    "received_via",
    "received_on",
    "period",
    "number",
    "sender",
    "number_symbol",
    "document_date",
    "document_type",
    "summary",
    "confidentiality",
    "urgency",
    "deadline",
    "processing_state",
    "processing_progress",
    "registered_at",
]


class IncomingListSerializer(serializers.ModelSerializer):
    """One document in a list or search result. With ``?q=``, ``rank`` is the relevance (PostgreSQL) and
    ``snippet`` an HTML fragment of the extracted text around the matches: text is escaped, matched words are
    in ``<mark>``."""

    status_display = serializers.CharField(source="get_status_display", read_only=True)
    organization = OrganizationRefSerializer(read_only=True)
    document_type = DocumentTypeRefSerializer(read_only=True, allow_null=True)
    rank = serializers.FloatField(read_only=True, default=0.0)
    snippet = serializers.SerializerMethodField()

    class Meta:
        model = IncomingDocument
        fields = [*_COMMON_FIELDS, "rank", "snippet"]
        read_only_fields = fields

    def get_snippet(self, doc) -> str:
        return str(getattr(doc, "search_snippet", "") or "")


class DocumentFileSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="stored_file.original_name", read_only=True)
    size = serializers.IntegerField(source="stored_file.size", read_only=True)
    content_type = serializers.CharField(source="stored_file.content_type", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = DocumentFile
        fields = ["id", "role", "name", "size", "content_type", "page_count", "derived_from", "download_url"]
        read_only_fields = fields

    def get_download_url(self, document_file) -> str:
        return reverse("files:download", args=[document_file.stored_file_id])


class AssignmentSerializer(serializers.ModelSerializer):
    user = UserRefSerializer(read_only=True)

    class Meta:
        model = Assignment
        fields = ["id", "user", "role", "status", "done_at"]
        read_only_fields = fields


class DirectiveSerializer(serializers.ModelSerializer):
    directed_by = UserRefSerializer(read_only=True)
    assignments = AssignmentSerializer(many=True, read_only=True)

    class Meta:
        model = Directive
        fields = ["id", "directed_by", "directed_at", "instructions", "deadline", "assignments"]
        read_only_fields = fields


class IncomingDetailSerializer(IncomingListSerializer):
    """A document with its files (none for classified documents unless the deployment allows them) and the
    current directive."""

    sender_organization = OrganizationRefSerializer(read_only=True, allow_null=True)
    files = serializers.SerializerMethodField()
    directive = serializers.SerializerMethodField()

    class Meta:
        model = IncomingDocument
        fields = [
            *_COMMON_FIELDS,
            "sender_organization",
            "signer_name",
            "page_count",
            "notes",
            "processing_message",
            "duplicate_of",
            "closed_at",
            "voided_at",
            "void_reason",
            "files",
            "directive",
        ]
        read_only_fields = fields

    @extend_schema_field(DocumentFileSerializer(many=True))
    def get_files(self, doc):
        files = getattr(doc, "api_files", None)
        if files is None:
            files = doc.files.select_related("stored_file")
        return DocumentFileSerializer(files, many=True, context=self.context).data

    @extend_schema_field(DirectiveSerializer(allow_null=True))
    def get_directive(self, doc):
        current = getattr(doc, "current_directives", None)
        if current is None:
            current = list(
                doc.directives.filter(superseded_at__isnull=True)
                .select_related("directed_by")
                .prefetch_related("assignments__user")
            )
        return DirectiveSerializer(current[0], context=self.context).data if current else None


class HandlingEntrySerializer(serializers.ModelSerializer):
    actor = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = HandlingEntry
        fields = ["id", "kind", "actor", "text", "file", "created_at"]
        read_only_fields = fields


# --- input -------------------------------------------------------------------------------------------------------


class IncomingQuerySerializer(serializers.Serializer):
    """Query parameters of the list: free text and filters (all optional)."""

    q = serializers.CharField(required=False, allow_blank=True, max_length=300, help_text="Words, diacritics optional.")
    document_type = serializers.IntegerField(required=False, min_value=1)
    sender = serializers.CharField(required=False, allow_blank=True, max_length=300)
    received_from = serializers.DateField(required=False)
    received_to = serializers.DateField(required=False)
    status = serializers.ChoiceField(choices=IncomingStatus.choices, required=False)
    handler = serializers.IntegerField(required=False, min_value=1, help_text="User id of a lead/co-operating handler.")
    urgency = serializers.ChoiceField(choices=[c for c in Urgency.choices if c[0]], required=False)
    confidentiality = serializers.ChoiceField(
        choices=[("normal", "Not classified")] + [c for c in Confidentiality.choices if c[0]], required=False
    )
    year = serializers.IntegerField(required=False, min_value=1900, max_value=2999, help_text="Register period.")
    organization = serializers.IntegerField(required=False, min_value=1)
    order = serializers.ChoiceField(choices=[(o, o) for o in ORDERS], required=False, default="rank")

    def validate(self, attrs):
        start, end = attrs.get("received_from"), attrs.get("received_to")
        if start and end and start > end:
            raise serializers.ValidationError({"received_to": "The end of the period is before its start."})
        return attrs


class UploadSerializer(serializers.Serializer):
    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), help_text="The receiving organization."
    )
    files = serializers.ListField(child=serializers.FileField(), allow_empty=False, max_length=50)
    together = serializers.BooleanField(default=False, help_text="One draft holding every file (else one per file).")
    sender = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    confidentiality = serializers.ChoiceField(choices=Confidentiality.choices, required=False, default="")
    notes = serializers.CharField(required=False, allow_blank=True, default="")

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organizations is not None:
            self.fields["organization"].queryset = organizations


class RegisterSerializer(serializers.Serializer):
    """Metadata completed at registration; fields not sent keep the draft's values."""

    sender = serializers.CharField(required=False, allow_blank=True, max_length=300)
    sender_organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), required=False, allow_null=True
    )
    number_symbol = serializers.CharField(required=False, allow_blank=True, max_length=100)
    document_date = serializers.DateField(required=False, allow_null=True)
    document_type = serializers.PrimaryKeyRelatedField(
        queryset=DocumentType.objects.filter(active=True), required=False, allow_null=True
    )
    summary = serializers.CharField(required=False, allow_blank=True)
    signer_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    confidentiality = serializers.ChoiceField(choices=Confidentiality.choices, required=False)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    page_count = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    received_on = serializers.DateField(required=False)
    deadline = serializers.DateField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True)


class VoidSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class DirectSerializer(serializers.Serializer):
    lead = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    cooperating = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), many=True, required=False
    )
    informed = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), many=True, required=False
    )
    deadline = serializers.DateField(required=False, allow_null=True)
    instructions = serializers.CharField(required=False, allow_blank=True, default="")


class ProgressSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, default="")
    file = serializers.FileField(required=False, allow_null=True, help_text="A working file (optional).")


class DoneSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, default="")


class CloseSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, default="")
    confirm = serializers.BooleanField(
        default=False, help_text="Close even though some co-operating handlers have not finished."
    )


class SavedSearchSerializer(serializers.ModelSerializer):
    query = serializers.DictField(child=serializers.CharField(), help_text="Search parameters (q, filters, order).")

    class Meta:
        model = SavedSearch
        fields = ["id", "name", "query", "created_at"]
        read_only_fields = ["id", "created_at"]
