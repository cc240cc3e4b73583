"""Serializers of the meetings API: they shape data; the rules (and their messages) live in the services."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from documents.models import Confidentiality

from ..models import (
    AgendaDocument,
    AgendaItem,
    DraftComment,
    Invitation,
    InviteeKind,
    Meeting,
    MeetingKind,
    ScheduleEntry,
)

User = get_user_model()


def service_errors(error: DjangoValidationError) -> serializers.ValidationError:
    """A service's ``ValidationError`` (keyed by field where one field is at fault) as the API's 400."""
    return serializers.ValidationError(serializers.as_serializer_error(error))


class PersonSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "name"]
        read_only_fields = fields

    def get_name(self, user) -> str:
        return user.get_full_name()


class AgendaDocumentSerializer(serializers.ModelSerializer):
    file_url = serializers.SerializerMethodField()
    on_paper = serializers.SerializerMethodField()
    drafter = PersonSerializer(read_only=True)

    class Meta:
        model = AgendaDocument
        fields = [
            "id",
            "item",
            "order",
            "title",
            "incoming",
            "outgoing",
            "publication",
            "confidentiality",
            "on_paper",
            "page_count",
            "file_url",
            "is_draft",
            "comments_until",
            "drafter",
            "added_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_file_url(self, document) -> str | None:
        from django.urls import reverse

        return reverse("files:download", args=[document.file_id]) if document.file_id else None

    def get_on_paper(self, document) -> bool:
        return bool(document.confidentiality)


class AgendaItemSerializer(serializers.ModelSerializer):
    documents = AgendaDocumentSerializer(many=True, read_only=True)

    class Meta:
        model = AgendaItem
        fields = ["id", "order", "title", "presenter", "presenter_user", "planned_minutes", "description", "documents"]
        read_only_fields = ["id", "order", "documents"]


class AgendaItemWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=500)
    presenter = serializers.CharField(max_length=150, required=False, allow_blank=True)
    presenter_user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    planned_minutes = serializers.IntegerField(required=False, allow_null=True)
    description = serializers.CharField(required=False, allow_blank=True)


class AgendaMoveSerializer(serializers.Serializer):
    position = serializers.IntegerField(required=False)
    direction = serializers.ChoiceField(choices=["up", "down"], required=False)


class AgendaDocumentWriteSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=["incoming", "outgoing", "publication", "upload", "paper"])
    incoming = serializers.IntegerField(required=False, allow_null=True)
    outgoing = serializers.IntegerField(required=False, allow_null=True)
    publication = serializers.IntegerField(required=False, allow_null=True)
    upload = serializers.FileField(required=False, allow_null=True)
    title = serializers.CharField(max_length=500, required=False, allow_blank=True)
    confidentiality = serializers.ChoiceField(choices=Confidentiality.choices, required=False, allow_blank=True)
    is_draft = serializers.BooleanField(required=False, default=False)
    comments_until = serializers.DateTimeField(required=False, allow_null=True)
    drafter = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )


class AgendaDocumentUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=500, required=False)
    is_draft = serializers.BooleanField(required=False)
    comments_until = serializers.DateTimeField(required=False, allow_null=True)
    upload = serializers.FileField(required=False)


class MeetingSerializer(serializers.ModelSerializer):
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    chair = PersonSerializer(read_only=True)
    minute_taker = PersonSerializer(read_only=True)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "organization",
            "organization_name",
            "kind",
            "title",
            "description",
            "starts_at",
            "ends_at",
            "place",
            "online_link",
            "chair",
            "minute_taker",
            "confidentiality",
            "status",
            "folder_opens_at",
            "folder_closes_at",
            "invitations_sent_at",
            "cancelled_at",
            "cancel_reason",
            "sequence",
        ]
        read_only_fields = fields


class MeetingDetailSerializer(MeetingSerializer):
    agenda = serializers.SerializerMethodField()

    class Meta(MeetingSerializer.Meta):
        fields = [*MeetingSerializer.Meta.fields, "agenda"]
        read_only_fields = fields

    def get_agenda(self, meeting) -> list[dict]:
        from .. import selectors

        return AgendaItemSerializer(selectors.agenda_of(meeting), many=True).data


class MeetingWriteSerializer(serializers.Serializer):
    """The fields of ``meeting_create`` / ``meeting_update`` (all optional for PATCH)."""

    organization = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=MeetingKind.choices)
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(required=False, allow_null=True)
    place = serializers.CharField(max_length=300, required=False, allow_blank=True)
    online_link = serializers.CharField(max_length=500, required=False, allow_blank=True)
    chair = serializers.IntegerField(required=False, allow_null=True)
    minute_taker = serializers.IntegerField(required=False, allow_null=True)
    confidentiality = serializers.ChoiceField(choices=Confidentiality.choices, required=False, allow_blank=True)
    folder_opens_at = serializers.DateTimeField(required=False, allow_null=True)
    folder_closes_at = serializers.DateTimeField(required=False, allow_null=True)


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class InvitationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Invitation
        fields = [
            "id",
            "kind",
            "user",
            "member",
            "name",
            "email",
            "copy_number",
            "invited_at",
            "attendance",
            "folder_ready_version",
            "folder_ready_at",
        ]
        read_only_fields = fields


class InvitationWriteSerializer(serializers.Serializer):
    member = serializers.IntegerField(required=False, allow_null=True)
    user = serializers.IntegerField(required=False, allow_null=True)
    name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=InviteeKind.choices, required=False)


class DraftCommentSerializer(serializers.ModelSerializer):
    author = PersonSerializer(read_only=True)

    class Meta:
        model = DraftComment
        fields = ["id", "document", "author", "page", "text", "created_at", "updated_at"]
        read_only_fields = ["id", "document", "author", "created_at", "updated_at"]


class DraftCommentWriteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000, allow_blank=True)
    page = serializers.IntegerField(required=False, allow_null=True)


class ScheduleEntrySerializer(serializers.ModelSerializer):
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    title = serializers.SerializerMethodField()

    class Meta:
        model = ScheduleEntry
        fields = [
            "id",
            "organization",
            "organization_name",
            "meeting",
            "title",
            "starts_at",
            "ends_at",
            "place",
            "participants",
            "host",
            "notes",
            "published",
        ]
        read_only_fields = fields

    def get_title(self, entry) -> str:
        return entry.title


class ScheduleEntryWriteSerializer(serializers.Serializer):
    organization = serializers.IntegerField(required=False)
    title = serializers.CharField(max_length=300, required=False)
    starts_at = serializers.DateTimeField(required=False)
    ends_at = serializers.DateTimeField(required=False, allow_null=True)
    place = serializers.CharField(max_length=300, required=False, allow_blank=True)
    participants = serializers.CharField(max_length=500, required=False, allow_blank=True)
    host = serializers.CharField(max_length=200, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    published = serializers.BooleanField(required=False)
