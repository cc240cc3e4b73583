"""API of the library of published texts: the members' library (list, search, one publication, bookmarks),
publishing and unpublishing an issued document, and the PUBLIC library (read-only, no login — the only
``AllowAny`` endpoint of the documents API). Every read starts from ``documents.library``; every write goes
through ``documents.services.library``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from members.models import Organization
from partyhub import audit

from .. import library
from ..models import Audience, OutgoingDocument, Publication
from ..services import library as services
from .serializers import DocumentTypeRefSerializer, service_errors

_NOT_FOUND = OpenApiResponse(description="Not found, or not visible to you.")
_BAD = OpenApiResponse(description="Invalid input; the body names the fields and the messages.")


# --- serializers ------------------------------------------------------------------------------------------------


class PublishedDocumentSerializer(serializers.ModelSerializer):
    """What a reader sees of the published document: the public facts of an issued text."""

    document_type = DocumentTypeRefSerializer(read_only=True)
    issuer = serializers.CharField(source="organization.name", read_only=True)

    class Meta:
        model = OutgoingDocument
        fields = ["id", "number_symbol", "issued_on", "document_type", "summary", "issuer", "signer_name"]
        read_only_fields = fields


class PublicationSerializer(serializers.ModelSerializer):
    document = PublishedDocumentSerializer(read_only=True)
    audience_display = serializers.CharField(source="get_audience_display", read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True, default=None)
    display_title = serializers.SerializerMethodField()
    file_url = serializers.SerializerMethodField()
    bookmarked = serializers.SerializerMethodField()

    class Meta:
        model = Publication
        fields = [
            "id",
            "display_title",
            "title",
            "introduction",
            "audience",
            "audience_display",
            "organization",
            "organization_name",
            "published_at",
            "document",
            "file_url",
            "bookmarked",
        ]
        read_only_fields = fields

    def get_display_title(self, publication) -> str:
        return publication.title or publication.document.summary

    def get_file_url(self, publication) -> str | None:
        if not publication.document.issued_file_id:
            return None
        return reverse("files:download", args=[publication.document.issued_file_id])

    def get_bookmarked(self, publication) -> bool:
        return bool(getattr(publication, "bookmarked", False))


class PublicPublicationSerializer(serializers.ModelSerializer):
    """A publication to the public: no audience details, nothing about readers."""

    document = PublishedDocumentSerializer(read_only=True)
    display_title = serializers.SerializerMethodField()
    file_url = serializers.SerializerMethodField()

    class Meta:
        model = Publication
        fields = ["id", "display_title", "title", "introduction", "published_at", "document", "file_url"]
        read_only_fields = fields

    def get_display_title(self, publication) -> str:
        return publication.title or publication.document.summary

    def get_file_url(self, publication) -> str | None:
        if not publication.document.issued_file_id:
            return None
        return reverse("files:download", args=[publication.document.issued_file_id])


class LibraryQuerySerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="Words, no diacritics needed")
    document_type = serializers.IntegerField(required=False, min_value=1)
    year = serializers.IntegerField(required=False, min_value=1900, max_value=2200)
    bookmarked = serializers.BooleanField(required=False, default=False)


class PublicLibraryQuerySerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200)
    document_type = serializers.IntegerField(required=False, min_value=1)
    year = serializers.IntegerField(required=False, min_value=1900, max_value=2200)


class PublishSerializer(serializers.Serializer):
    document = serializers.IntegerField(help_text="Id of the issued outgoing document")
    audience = serializers.ChoiceField(choices=Audience.choices)
    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), required=False, allow_null=True
    )
    title = serializers.CharField(required=False, allow_blank=True, max_length=500)
    introduction = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class BookmarkStateSerializer(serializers.Serializer):
    bookmarked = serializers.BooleanField()


# --- views ------------------------------------------------------------------------------------------------------


def _call(service, **kwargs):
    try:
        return service(**kwargs)
    except DjangoValidationError as exc:
        raise service_errors(exc) from exc
    except PermissionDenied as exc:
        raise NotFound from exc


@extend_schema_view(
    list=extend_schema(
        summary="Search the library",
        description=(
            "Publications you may read (by audience: the committee, all members of an organization, a cell, the "
            "public; office staff read everything of their commune), newest first. `q` needs no diacritics and "
            "every word must match; `bookmarked=true` lists your bookmarks. Withdrawn publications and recalled "
            "documents are gone at once."
        ),
        parameters=[LibraryQuerySerializer],
        tags=["library"],
    ),
    retrieve=extend_schema(
        summary="One publication", responses={200: PublicationSerializer, 404: _NOT_FOUND}, tags=["library"]
    ),
)
class PublicationViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsAuthenticated]
    serializer_class = PublicationSerializer
    filter_backends: list = []

    def get_queryset(self):
        return library.search_library(self.request.user)

    def list(self, request, *args, **kwargs):
        params = LibraryQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        qs = library.search_library(
            request.user,
            q=data.get("q", ""),
            document_type=data.get("document_type"),
            year=data.get("year"),
            bookmarked=data.get("bookmarked", False),
        )
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(PublicationSerializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        publication = self.get_object()
        audit.record(action="view", obj=publication, actor=request.user)
        return Response(PublicationSerializer(publication).data)

    @extend_schema(
        summary="Publish an issued document",
        description=(
            "Clerks and leaders of the issuing organization's commune (a cell secretary for their cell) publish an "
            "issued, unclassified document to an audience. `organization` is the committee, organization or cell "
            "of the audience (none for the public)."
        ),
        request=PublishSerializer,
        responses={201: PublicationSerializer, 400: _BAD, 404: _NOT_FOUND},
        tags=["library"],
    )
    def create(self, request, *args, **kwargs):
        serializer = PublishSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        document = get_object_or_404(OutgoingDocument, pk=data["document"])
        if not services.can_publish(request.user, document):
            raise NotFound
        publication = _call(
            services.publication_create,
            actor=request.user,
            document=document,
            audience=data["audience"],
            organization=data.get("organization"),
            title=data.get("title", ""),
            introduction=data.get("introduction", ""),
        )
        fresh = library.search_library(request.user).filter(pk=publication.pk).first() or publication
        return Response(PublicationSerializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Unpublish",
        description="Readers lose access at once (pages, API, file downloads). The publisher's side only.",
        request=None,
        responses={204: None, 400: _BAD, 404: _NOT_FOUND},
        tags=["library"],
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        publication = get_object_or_404(Publication.objects.select_related("document"), pk=pk)
        if not services.can_publish(request.user, publication.document):
            raise NotFound
        _call(services.publication_withdraw, actor=request.user, publication=publication)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Bookmark or remove the bookmark",
        request=None,
        responses={200: BookmarkStateSerializer, 404: _NOT_FOUND},
        tags=["library"],
    )
    @action(detail=True, methods=["post"])
    def bookmark(self, request, pk=None):
        publication = self.get_object()
        bookmarked = _call(services.bookmark_toggle, actor=request.user, publication=publication)
        return Response({"bookmarked": bookmarked})

    @extend_schema(
        summary="My bookmarks",
        responses={200: PublicationSerializer(many=True)},
        tags=["library"],
    )
    @action(detail=False, methods=["get"])
    def bookmarks(self, request):
        qs = library.search_library(request.user, bookmarked=True)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(PublicationSerializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(
        summary="The public library",
        description="Documents published to the public. No login needed; nothing else is listed or counted.",
        parameters=[PublicLibraryQuerySerializer],
        tags=["public library"],
        auth=[],
    ),
    retrieve=extend_schema(
        summary="One public document",
        responses={200: PublicPublicationSerializer, 404: _NOT_FOUND},
        tags=["public library"],
        auth=[],
    ),
)
class PublicPublicationViewSet(viewsets.ReadOnlyModelViewSet):
    """Read-only, anonymous: the only AllowAny endpoint of the documents API."""

    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle]
    serializer_class = PublicPublicationSerializer
    filter_backends: list = []

    def get_queryset(self):
        return library.search_library(None, public_only=True)

    def list(self, request, *args, **kwargs):
        params = PublicLibraryQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        qs = library.search_library(
            None,
            public_only=True,
            q=data.get("q", ""),
            document_type=data.get("document_type"),
            year=data.get("year"),
        )
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(PublicPublicationSerializer(page, many=True).data)
