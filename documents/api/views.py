"""API views of incoming documents. Every document is reached through ``documents.selectors`` (a document the
caller may not see answers 404, as a missing one); every write goes through ``documents.services`` (rules,
permissions and translated messages live there: ``ValidationError`` → 400 with the message keyed by field,
``PermissionDenied`` → 403 for a document the caller may see but not change)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from partyhub import audit

from .. import search, selectors
from ..models import Assignment, Directive, DocumentFile, SavedSearch
from .serializers import (
    AssignmentSerializer,
    CloseSerializer,
    DirectSerializer,
    DoneSerializer,
    HandlingEntrySerializer,
    IncomingDetailSerializer,
    IncomingListSerializer,
    IncomingQuerySerializer,
    ProgressSerializer,
    RegisterSerializer,
    SavedSearchSerializer,
    UploadSerializer,
    VoidSerializer,
    service_errors,
)

_NOT_FOUND = OpenApiResponse(description="Not found, or not visible to you.")
_BAD = OpenApiResponse(description="Invalid input; the body names the fields and the messages.")
_FORBIDDEN = OpenApiResponse(description="You may see the document but not do this.")


def _call(service, **kwargs):
    try:
        return service(**kwargs)
    except DjangoValidationError as exc:
        raise service_errors(exc) from exc


def _detail_queryset(user):
    current = Directive.objects.filter(superseded_at__isnull=True).select_related("directed_by")
    return (
        selectors.incoming_visible_to(user)
        .select_related("organization", "document_type", "sender_organization")
        .prefetch_related(
            Prefetch("files", queryset=DocumentFile.objects.select_related("stored_file"), to_attr="api_files"),
            Prefetch(
                "directives",
                queryset=current.prefetch_related(
                    Prefetch("assignments", queryset=Assignment.objects.select_related("user"))
                ),
                to_attr="current_directives",
            ),
        )
    )


@extend_schema_view(
    list=extend_schema(
        summary="List or search incoming documents",
        description=(
            "Incoming documents the caller may see (clerks and leaders of the receiving commune, people named in "
            "the current directive, the secretary of a receiving cell; classified documents only with a valid "
            "clearance for their level). `q` searches metadata and extracted text without needing diacritics "
            "(every word must match); `snippet` is then an HTML fragment with the matches in `<mark>` (text "
            "escaped). Filters combine with AND. With `q`, `count` stops at 10,000: beyond that, results are not "
            "ranked but come newest first (add words or filters to narrow the search)."
        ),
        parameters=[IncomingQuerySerializer],
        tags=["incoming documents"],
    ),
    retrieve=extend_schema(
        summary="One incoming document",
        description="With its files and current directive. Answers 404 for a document you may not see.",
        responses={200: IncomingDetailSerializer, 404: _NOT_FOUND},
        tags=["incoming documents"],
    ),
)
class IncomingDocumentViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsAuthenticated]
    serializer_class = IncomingListSerializer
    # Filtering, search and ordering are the search module's, not DRF's generic backends.
    filter_backends: list = []

    def get_queryset(self):
        if self.action == "list":
            return selectors.incoming_visible_to(self.request.user)
        return _detail_queryset(self.request.user)

    def get_serializer_class(self):
        return IncomingListSerializer if self.action == "list" else IncomingDetailSerializer

    def list(self, request: Request, *args, **kwargs) -> Response:
        params = IncomingQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = dict(params.validated_data)
        q = data.pop("q", "")
        order = data.pop("order", "rank")
        result = search.search_incoming(request.user, q=q, filters=data, order=order)
        # The search module pages itself (one count, the rows, highlighting); DRF's pagination shapes the answer.
        paginator = self.paginator
        page = result.page(
            request.query_params.get(paginator.page_query_param) or 1, per_page=paginator.get_page_size(request)
        )
        paginator.page, paginator.request = page, request
        serializer = IncomingListSerializer(page.object_list, many=True, context=self.get_serializer_context())
        return paginator.get_paginated_response(serializer.data)

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        document = self.get_object()
        audit.record(action="view", obj=document, actor=request.user)
        return Response(IncomingDetailSerializer(document, context=self.get_serializer_context()).data)

    def _visible(self, pk):
        return selectors.get_incoming_or_404(self.request.user, pk)

    def _answer(self, document, code=status.HTTP_200_OK) -> Response:
        fresh = _detail_queryset(self.request.user).filter(pk=document.pk).first() or document
        return Response(IncomingDetailSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @extend_schema(
        summary="Receive files as drafts",
        description=(
            "Multipart upload of one or more files (PDF, JPEG, PNG, TIFF, DOCX, ODT) for a receiving organization. "
            "Each file becomes a draft waiting to be registered (or one draft with `together`). Every file is "
            "checked by content; if one is refused, nothing is stored and the answer names it. Classified drafts "
            'keep no file unless the deployment allows files for "Mật".'
        ),
        request={"multipart/form-data": UploadSerializer},
        responses={201: IncomingListSerializer(many=True), 400: _BAD, 403: _FORBIDDEN},
        tags=["incoming documents"],
    )
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def upload(self, request: Request) -> Response:
        from members.selectors import organizations_visible_to

        from ..services.receiving import incoming_receive_files

        serializer = UploadSerializer(data=request.data, organizations=organizations_visible_to(request.user))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        drafts = _call(
            incoming_receive_files,
            actor=request.user,
            organization=data["organization"],
            files=data["files"],
            together=data["together"],
            sender=data["sender"],
            confidentiality=data["confidentiality"],
            notes=data["notes"],
        )
        return Response(
            IncomingListSerializer(drafts, many=True, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Register a draft",
        description=(
            "Completes the metadata and gives the draft the next incoming number of its register (the secret "
            "register for classified documents) for the period of its date received."
        ),
        request=RegisterSerializer,
        responses={200: IncomingDetailSerializer, 400: _BAD, 403: _FORBIDDEN, 404: _NOT_FOUND},
        tags=["incoming documents"],
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, FormParser, MultiPartParser])
    def register(self, request: Request, pk=None) -> Response:
        from ..services.registering import incoming_register

        document = self._visible(pk)
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        document = _call(incoming_register, actor=request.user, document=document, **serializer.validated_data)
        return self._answer(document)

    @extend_schema(
        summary="Void a registered entry",
        description="The entry keeps its number and is marked void with the reason; nothing is deleted.",
        request=VoidSerializer,
        responses={200: IncomingDetailSerializer, 400: _BAD, 403: _FORBIDDEN, 404: _NOT_FOUND},
        tags=["incoming documents"],
    )
    @action(detail=True, methods=["post"])
    def void(self, request: Request, pk=None) -> Response:
        from ..services.registering import incoming_void

        document = self._visible(pk)
        serializer = VoidSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        document = _call(incoming_void, actor=request.user, document=document, **serializer.validated_data)
        return self._answer(document)

    @extend_schema(
        summary="Give (or replace) the directive",
        description="The leader names the lead handler, co-operating handlers, people for information, a deadline.",
        request=DirectSerializer,
        responses={200: IncomingDetailSerializer, 400: _BAD, 403: _FORBIDDEN, 404: _NOT_FOUND},
        tags=["incoming documents"],
    )
    @action(detail=True, methods=["post"])
    def direct(self, request: Request, pk=None) -> Response:
        from ..services.handling import incoming_direct

        document = self._visible(pk)
        serializer = DirectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        _call(
            incoming_direct,
            actor=request.user,
            document=document,
            lead=data["lead"],
            cooperating=data.get("cooperating", ()),
            informed=data.get("informed", ()),
            deadline=data.get("deadline"),
            instructions=data.get("instructions", ""),
        )
        return self._answer(document)

    @extend_schema(
        summary="Close as handled",
        description="The lead handler closes the document (`confirm` when co-operating parts are still open).",
        request=CloseSerializer,
        responses={200: IncomingDetailSerializer, 400: _BAD, 403: _FORBIDDEN, 404: _NOT_FOUND},
        tags=["incoming documents"],
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk=None) -> Response:
        from ..services.handling import incoming_close

        document = self._visible(pk)
        serializer = CloseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        document = _call(incoming_close, actor=request.user, document=document, **serializer.validated_data)
        return self._answer(document)


@extend_schema_view(
    retrieve=extend_schema(
        summary="One assignment",
        description="An assignment of the current or an earlier directive of a document you may see.",
        responses={200: AssignmentSerializer, 404: _NOT_FOUND},
        tags=["incoming documents"],
    ),
)
class AssignmentViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated]
    serializer_class = AssignmentSerializer
    filter_backends: list = []

    def get_queryset(self):
        visible = selectors.incoming_visible_to(self.request.user).values("pk")
        return Assignment.objects.filter(directive__document__in=visible).select_related("user", "directive")

    @extend_schema(
        summary="Record progress",
        description="The handler notes progress, optionally with a working file (multipart).",
        request={"multipart/form-data": ProgressSerializer, "application/json": ProgressSerializer},
        responses={201: HandlingEntrySerializer, 400: _BAD, 403: _FORBIDDEN, 404: _NOT_FOUND},
        tags=["incoming documents"],
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, MultiPartParser, FormParser])
    def progress(self, request: Request, pk=None) -> Response:
        from ..services.handling import assignment_progress

        assignment = self.get_object()
        serializer = ProgressSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        entry = _call(
            assignment_progress, actor=request.user, assignment=assignment, text=data["text"], file=data.get("file")
        )
        return Response(HandlingEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Mark one's part done",
        request=DoneSerializer,
        responses={200: AssignmentSerializer, 400: _BAD, 403: _FORBIDDEN, 404: _NOT_FOUND},
        tags=["incoming documents"],
    )
    @action(detail=True, methods=["post"])
    def done(self, request: Request, pk=None) -> Response:
        from ..services.handling import assignment_done

        assignment = self.get_object()
        serializer = DoneSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assignment = _call(assignment_done, actor=request.user, assignment=assignment, **serializer.validated_data)
        return Response(AssignmentSerializer(assignment).data)


@extend_schema_view(
    list=extend_schema(summary="Your saved searches", tags=["incoming documents"]),
    create=extend_schema(
        summary="Save a search",
        description="Saves (or replaces, by name) one of your searches.",
        responses={201: SavedSearchSerializer, 400: _BAD},
        tags=["incoming documents"],
    ),
    retrieve=extend_schema(summary="One of your saved searches", tags=["incoming documents"]),
    destroy=extend_schema(summary="Delete one of your saved searches", tags=["incoming documents"]),
)
class SavedSearchViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Saved searches are private: another user's answers 404. Run one with the list's parameters."""

    permission_classes = [IsAuthenticated]
    serializer_class = SavedSearchSerializer
    filter_backends: list = []
    pagination_class = None

    def get_queryset(self):
        return search.saved_searches_of(self.request.user)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = _call(search.save_search, actor=self.request.user, name=data["name"], query=data["query"])

    def perform_destroy(self, instance: SavedSearch):
        search.delete_saved_search(
            actor=self.request.user, saved=get_object_or_404(self.get_queryset(), pk=instance.pk)
        )
