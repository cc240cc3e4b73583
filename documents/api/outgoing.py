"""API of outgoing documents (issue 5): drafting (create, update, list, detail), the transitions of the state
machine (submit, return, approve, sign, issue, void, recall, correct) and the outgoing register.

Every document is reached through ``documents.selectors.outgoing_visible_to``: one the caller may not see answers
404, like a missing one. Every write goes through ``documents.services.outgoing``; its refusals keep their
translated messages: the wrong state or bad input → 400 (keyed by field where one field is at fault), the wrong
person for a document the caller may see → 403 with the message."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from members.api.serializers import OrganizationRefSerializer
from members.models import Organization
from partyhub import audit

from .. import permissions
from .. import registers as register_book
from ..models import (
    Confidentiality,
    DocumentType,
    OutgoingDocument,
    OutgoingEvent,
    OutgoingRecipient,
    OutgoingSource,
    OutgoingStatus,
    OutgoingVersion,
    SignatureForm,
    Urgency,
)
from ..selectors import get_outgoing_or_404, outgoing_queue_q, outgoing_visible_to, outgoing_waiting_for
from ..services import outgoing as services
from .serializers import DocumentTypeRefSerializer, UserRefSerializer, service_errors

User = get_user_model()

#: Codes of service refusals that name the wrong person (403), not the wrong state or input (400).
FORBIDDEN_CODES = frozenset({"not_drafter", "not_reviewer", "not_signer", "not_clerk", "not_allowed"})

_NOT_FOUND = OpenApiResponse(description="Not found, or not visible to you.")
_BAD = OpenApiResponse(description="Wrong state or invalid input; the body gives the translated messages.")
_FORBIDDEN = OpenApiResponse(description="You may see the document but are not the person who does this.")
TAGS = ["outgoing documents"]


def _file_url(stored_file) -> str | None:
    return reverse("files:download", args=[stored_file.pk]) if stored_file is not None else None


# --- serializers ------------------------------------------------------------------------------------------------


class OutgoingListSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    organization = OrganizationRefSerializer(read_only=True)
    document_type = DocumentTypeRefSerializer(read_only=True)
    drafted_by = UserRefSerializer(read_only=True)
    signer = UserRefSerializer(read_only=True)

    class Meta:
        model = OutgoingDocument
        fields = [
            "id",
            "status",
            "status_display",
            "source",
            "organization",
            "document_type",
            "summary",
            "confidentiality",
            "urgency",
            "number",
            "number_symbol",
            "issued_on",
            "drafted_by",
            "signer",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class RecipientSerializer(serializers.ModelSerializer):
    organization = serializers.PrimaryKeyRelatedField(read_only=True)
    delivered = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = OutgoingRecipient
        fields = ["id", "order", "organization", "name", "address", "in_block", "method", "sent_at", "delivered"]
        read_only_fields = fields


class VersionSerializer(serializers.ModelSerializer):
    created_by = UserRefSerializer(read_only=True)
    uploaded_file_url = serializers.SerializerMethodField()
    rendition_url = serializers.SerializerMethodField()

    class Meta:
        model = OutgoingVersion
        fields = ["number", "note", "created_by", "created_at", "fields", "uploaded_file_url", "rendition_url"]
        read_only_fields = fields

    def _files_allowed(self, version) -> bool:
        return permissions.files_allowed(version.document.confidentiality)

    def get_uploaded_file_url(self, version) -> str | None:
        return _file_url(version.uploaded_file) if self._files_allowed(version) else None

    def get_rendition_url(self, version) -> str | None:
        return _file_url(version.rendition) if self._files_allowed(version) else None


class EventSerializer(serializers.ModelSerializer):
    actor = UserRefSerializer(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = OutgoingEvent
        fields = ["kind", "kind_display", "actor", "from_status", "to_status", "comment", "created_at"]
        read_only_fields = fields


class OutgoingDetailSerializer(OutgoingListSerializer):
    reviewer = UserRefSerializer(read_only=True)
    recipients = RecipientSerializer(many=True, read_only=True)
    versions = VersionSerializer(many=True, read_only=True)
    events = EventSerializer(many=True, read_only=True)
    final_file_url = serializers.SerializerMethodField()
    signed_file_url = serializers.SerializerMethodField()
    issued_file_url = serializers.SerializerMethodField()
    register = serializers.CharField(source="register.name", read_only=True, default=None)
    allowed_actions = serializers.SerializerMethodField()

    class Meta(OutgoingListSerializer.Meta):
        fields = [
            *OutgoingListSerializer.Meta.fields,
            "body",
            "reviewer",
            "signature_form",
            "signer_title",
            "signer_name",
            "collective_name",
            "copies",
            "file_copy_unit",
            "notes",
            "register",
            "period",
            "issued_at",
            "page_count",
            "submitted_at",
            "approved_at",
            "signed_at",
            "recalled_at",
            "recall_reason",
            "voided_at",
            "void_reason",
            "corrects",
            "final_file_url",
            "signed_file_url",
            "issued_file_url",
            "recipients",
            "versions",
            "events",
            "allowed_actions",
        ]
        read_only_fields = fields

    def _url(self, document, name):
        if not permissions.files_allowed(document.confidentiality):
            return None
        return _file_url(getattr(document, name))

    def get_final_file_url(self, document) -> str | None:
        return self._url(document, "final_file")

    def get_signed_file_url(self, document) -> str | None:
        return self._url(document, "signed_file")

    def get_issued_file_url(self, document) -> str | None:
        return self._url(document, "issued_file")

    def get_allowed_actions(self, document) -> list[str]:
        user = self.context["request"].user
        checks = {
            "update": permissions.can_edit_outgoing,
            "submit": permissions.can_submit,
            "return": permissions.can_review,
            "approve": permissions.can_review,
            "sign": permissions.can_sign,
            "issue": permissions.can_issue,
            "void": permissions.can_void_outgoing,
            "recall": permissions.can_recall,
            "correct": permissions.can_correct,
        }
        return [name for name, check in checks.items() if check(user, document)]


class RecipientInputSerializer(serializers.Serializer):
    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), required=False, allow_null=True, help_text="An organization in PartyHub."
    )
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    address = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    in_block = serializers.BooleanField(required=False, default=True)


class OutgoingWriteSerializer(serializers.Serializer):
    """The fields of a draft. On update, fields not sent keep their value (``recipients``, when sent, replaces
    the list)."""

    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), required=False, help_text="The issuing organization (create only)."
    )
    document_type = serializers.PrimaryKeyRelatedField(queryset=DocumentType.objects.all(), required=False)
    summary = serializers.CharField(required=False, allow_blank=True)
    body = serializers.CharField(required=False, allow_blank=True, help_text="HTML; sanitized to a safe subset.")
    confidentiality = serializers.ChoiceField(choices=Confidentiality.choices, required=False)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    reviewer = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    signer = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    signature_form = serializers.ChoiceField(choices=SignatureForm.choices, required=False)
    signer_title = serializers.CharField(required=False, allow_blank=True, max_length=100)
    signer_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    collective_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    copies = serializers.IntegerField(required=False, allow_null=True)
    file_copy_unit = serializers.CharField(required=False, allow_blank=True, max_length=200)
    notes = serializers.CharField(required=False, allow_blank=True)
    recipients = RecipientInputSerializer(many=True, required=False)
    source = serializers.ChoiceField(choices=OutgoingSource.choices, required=False)
    upload = serializers.FileField(required=False, help_text="A finished PDF or DOCX (multipart).")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)

    def service_kwargs(self) -> dict:
        data = dict(self.validated_data)
        data.pop("organization", None)
        return data


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class IssueSerializer(serializers.Serializer):
    issued_on = serializers.DateField(required=False, allow_null=True, help_text="Default: today.")


class OutgoingQuerySerializer(serializers.Serializer):
    queue = serializers.ChoiceField(
        choices=["mine", "review", "sign", "issue", "returned", "drafted"], required=False, help_text="Work queues."
    )
    status = serializers.ChoiceField(choices=OutgoingStatus.choices, required=False)
    document_type = serializers.IntegerField(required=False)
    organization = serializers.IntegerField(required=False)


class RegisterQuerySerializer(serializers.Serializer):
    organization = serializers.IntegerField()
    secret = serializers.BooleanField(required=False, default=False)
    date_from = serializers.DateField()
    date_to = serializers.DateField()

    def validate(self, attrs):
        if attrs["date_to"] < attrs["date_from"]:
            raise serializers.ValidationError({"date_to": "The end of the period is before its start."})
        if (attrs["date_to"] - attrs["date_from"]) > datetime.timedelta(days=3 * 366):
            raise serializers.ValidationError({"date_to": "Choose a period of at most three years."})
        return attrs


class RegisterRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="document.pk")
    number = serializers.IntegerField()
    number_symbol = serializers.CharField()
    issued_on = serializers.DateField()
    type_name = serializers.CharField()
    summary = serializers.CharField()
    signer = serializers.CharField()
    recipients = serializers.CharField()
    file_copy_unit = serializers.CharField()
    copies = serializers.IntegerField(allow_null=True)
    notes = serializers.CharField()
    recalled = serializers.BooleanField()


# --- the viewset --------------------------------------------------------------------------------------------


def _call(service, **kwargs):
    try:
        return service(**kwargs)
    except DjangoPermissionDenied as exc:
        raise Http404 from exc
    except DjangoValidationError as exc:
        codes = {error.code for error in exc.error_list} if not hasattr(exc, "error_dict") else set()
        if codes and codes <= FORBIDDEN_CODES:
            raise PermissionDenied(detail=exc.messages[0]) from exc
        raise service_errors(exc) from exc


def _detail_queryset(user):
    return (
        outgoing_visible_to(user)
        .select_related(
            "organization",
            "document_type",
            "drafted_by",
            "reviewer",
            "signer",
            "register",
            "final_file",
            "signed_file",
            "issued_file",
        )
        .prefetch_related(
            Prefetch("recipients", queryset=OutgoingRecipient.objects.order_by("order", "id")),
            Prefetch(
                "versions",
                queryset=OutgoingVersion.objects.select_related(
                    "created_by", "uploaded_file", "rendition", "document"
                ).order_by("-number"),
            ),
            Prefetch("events", queryset=OutgoingEvent.objects.select_related("actor").order_by("created_at", "id")),
        )
    )


@extend_schema_view(
    list=extend_schema(
        summary="List outgoing documents",
        description=(
            "Outgoing documents the caller may see (the office of the issuing organization's commune, the drafter, "
            "reviewer and signer, a cell secretary for their cell; classified documents only with a clearance). "
            "`queue`: `mine` (waiting for me), `review`, `sign`, `issue`, `returned`, `drafted`."
        ),
        parameters=[OutgoingQuerySerializer],
        tags=TAGS,
    ),
    retrieve=extend_schema(
        summary="One outgoing document",
        description="With its recipients, versions, history, file links and the actions the caller may take.",
        responses={200: OutgoingDetailSerializer, 404: _NOT_FOUND},
        tags=TAGS,
    ),
)
class OutgoingDocumentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated]
    serializer_class = OutgoingListSerializer
    filter_backends: list = []
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        user = self.request.user
        if self.action != "list":
            return _detail_queryset(user)
        params = OutgoingQuerySerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        queue = data.get("queue")
        if queue == "mine":
            qs = outgoing_waiting_for(user)
        elif queue == "drafted":
            qs = outgoing_visible_to(user).filter(drafted_by_id=user.pk)
        elif queue:
            q = outgoing_queue_q(user, queue)
            qs = outgoing_visible_to(user).filter(q) if q is not None else OutgoingDocument.objects.none()
        else:
            qs = outgoing_visible_to(user)
        for name in ("status", "document_type", "organization"):
            if data.get(name) is not None:
                qs = qs.filter(**{f"{name}_id" if name != "status" else name: data[name]})
        return qs.select_related("organization", "document_type", "drafted_by", "signer").order_by("-updated_at", "-id")

    def get_serializer_class(self):
        return OutgoingListSerializer if self.action == "list" else OutgoingDetailSerializer

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        document = self.get_object()
        audit.record(action="view", obj=document, actor=request.user)
        return Response(OutgoingDetailSerializer(document, context=self.get_serializer_context()).data)

    def _visible(self, pk) -> OutgoingDocument:
        return get_outgoing_or_404(self.request.user, pk)

    def _answer(self, document, code=status.HTTP_200_OK) -> Response:
        fresh = _detail_queryset(self.request.user).filter(pk=document.pk).first() or document
        return Response(OutgoingDetailSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @extend_schema(
        summary="Draft a new outgoing document",
        description=(
            "Structured fields (the body is HTML sanitized to a safe subset) or a finished PDF/DOCX (`upload`, "
            "multipart). Version 1 is recorded."
        ),
        request={"application/json": OutgoingWriteSerializer, "multipart/form-data": OutgoingWriteSerializer},
        responses={201: OutgoingDetailSerializer, 400: _BAD},
        tags=TAGS,
    )
    def create(self, request: Request) -> Response:
        serializer = OutgoingWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organization = serializer.validated_data.get("organization")
        if organization is None:
            raise ValidationError({"organization": ["Choose the issuing organization."]})
        document = _call(
            services.outgoing_create, actor=request.user, organization=organization, **serializer.service_kwargs()
        )
        return self._answer(document, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Save a draft (a new version)",
        description="Fields not sent keep their value; only the drafter, while it is a draft or was returned.",
        request={"application/json": OutgoingWriteSerializer, "multipart/form-data": OutgoingWriteSerializer},
        responses={200: OutgoingDetailSerializer, 400: _BAD, 403: _FORBIDDEN, 404: _NOT_FOUND},
        tags=TAGS,
    )
    def partial_update(self, request: Request, pk=None) -> Response:
        document = self._visible(pk)
        serializer = OutgoingWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if "organization" in serializer.validated_data:
            raise ValidationError({"organization": ["The issuing organization of a draft cannot change."]})
        document = _call(services.outgoing_update, actor=request.user, document=document, **serializer.service_kwargs())
        return self._answer(document)

    def _transition(self, request, pk, service, serializer_class=None):
        document = self._visible(pk)
        kwargs = {}
        if serializer_class is not None:
            serializer = serializer_class(data=request.data)
            serializer.is_valid(raise_exception=True)
            kwargs = {k: v for k, v in serializer.validated_data.items() if v is not None}
        document = _call(service, actor=request.user, document=document, **kwargs)
        return self._answer(document)

    @extend_schema(
        summary="Submit for review", request=CommentSerializer, tags=TAGS,
        responses={200: OutgoingDetailSerializer, 400: _BAD, 403: _FORBIDDEN, 404: _NOT_FOUND},
    )  # fmt: skip
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk=None) -> Response:
        return self._transition(request, pk, services.outgoing_submit, CommentSerializer)

    @extend_schema(
        summary="Return to the drafter with comments", request=CommentSerializer, tags=TAGS,
        responses={200: OutgoingDetailSerializer, 400: _BAD, 403: _FORBIDDEN, 404: _NOT_FOUND},
    )  # fmt: skip
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request: Request, pk=None) -> Response:
        return self._transition(request, pk, services.outgoing_return, CommentSerializer)

    @extend_schema(
        summary="Approve (the final PDF is made)", request=CommentSerializer, tags=TAGS,
        responses={200: OutgoingDetailSerializer, 400: _BAD, 403: _FORBIDDEN, 404: _NOT_FOUND},
    )  # fmt: skip
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk=None) -> Response:
        return self._transition(request, pk, services.outgoing_approve, CommentSerializer)

    @extend_schema(
        summary="Sign with the signer's certificate", request=None, tags=TAGS,
        responses={200: OutgoingDetailSerializer, 400: _BAD, 403: _FORBIDDEN, 404: _NOT_FOUND},
    )  # fmt: skip
    @action(detail=True, methods=["post"])
    def sign(self, request: Request, pk=None) -> Response:
        return self._transition(request, pk, services.outgoing_sign)

    @extend_schema(
        summary="Number, seal and issue",
        description=(
            "The clerk of the issuing organization: the next number of (organization, type, term), the number and "
            "date written into the signed PDF and the organization's signature applied, in one transaction."
        ),
        request=IssueSerializer,
        responses={200: OutgoingDetailSerializer, 400: _BAD, 403: _FORBIDDEN, 404: _NOT_FOUND},
        tags=TAGS,
    )
    @action(detail=True, methods=["post"])
    def issue(self, request: Request, pk=None) -> Response:
        return self._transition(request, pk, services.outgoing_issue, IssueSerializer)

    @extend_schema(
        summary="Void before issue", request=ReasonSerializer, tags=TAGS,
        responses={200: OutgoingDetailSerializer, 400: _BAD, 403: _FORBIDDEN, 404: _NOT_FOUND},
    )  # fmt: skip
    @action(detail=True, methods=["post"])
    def void(self, request: Request, pk=None) -> Response:
        return self._transition(request, pk, services.outgoing_void, ReasonSerializer)

    @extend_schema(
        summary="Recall an issued document", request=ReasonSerializer, tags=TAGS,
        responses={200: OutgoingDetailSerializer, 400: _BAD, 403: _FORBIDDEN, 404: _NOT_FOUND},
    )  # fmt: skip
    @action(detail=True, methods=["post"])
    def recall(self, request: Request, pk=None) -> Response:
        return self._transition(request, pk, services.outgoing_recall, ReasonSerializer)

    @extend_schema(
        summary="Start a correcting document",
        description="A new draft copying the issued (or recalled) document's fields, `corrects` = this one.",
        request=None,
        responses={201: OutgoingDetailSerializer, 400: _BAD, 403: _FORBIDDEN, 404: _NOT_FOUND},
        tags=TAGS,
    )
    @action(detail=True, methods=["post"])
    def correct(self, request: Request, pk=None) -> Response:
        document = self._visible(pk)
        correction = _call(services.outgoing_correct, actor=request.user, document=document)
        return self._answer(correction, status.HTTP_201_CREATED)

    @extend_schema(
        summary="The outgoing register for a period",
        description=(
            "The entries of an organization's ordinary (or, with a clearance, secret) outgoing register issued in "
            "the period, in the order they were issued: the columns of the paper book. `hidden` counts the "
            "classified entries the caller may not see."
        ),
        parameters=[RegisterQuerySerializer],
        responses={200: OpenApiResponse(description="`register`, `date_from`, `date_to`, `hidden`, `rows`.")},
        tags=TAGS,
    )
    @action(detail=False, methods=["get"], url_path="register", pagination_class=None)
    def register(self, request: Request) -> Response:
        params = RegisterQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        register = (
            register_book.outgoing_registers_visible_to(request.user)
            .filter(organization_id=data["organization"], is_secret=data["secret"])
            .first()
        )
        if register is None:
            raise Http404
        extract = register_book.outgoing_register_extract(
            request.user, register=register, date_from=data["date_from"], date_to=data["date_to"]
        )
        return Response(
            {
                "register": {"id": register.pk, "name": register.name, "is_secret": register.is_secret},
                "date_from": data["date_from"],
                "date_to": data["date_to"],
                "hidden": extract.hidden,
                "rows": RegisterRowSerializer(extract.rows, many=True).data,
            }
        )
