"""API of a delegate's private page notes (issue 6, points 4 and 8), under ``/api/v1/meetings/<id>/notes/``.

Only the signed-in delegate's own notes of one meeting are ever listed or touched: the notes are reached
through the caller's own invitation, so another delegate, a manager or an administrator — who have no
invitation, or another one — get 404 for the meeting's notes and never see a note's text. The meeting must
be open to the caller (``can_open_folder``: within the access window).

* ``GET  notes/``           the caller's notes of the meeting (``?deleted=1`` with deleted ones), not paginated;
* ``POST notes/``           a new note ``{document, page, text, client_id?}``;
* ``GET|PATCH|PUT|DELETE notes/<id>/`` one note (delete keeps a tombstone for the tablets' sync);
* ``POST notes/sync/``      a tablet's batch ``{"notes": [{client_id, document, page, text, client_updated_at,
  deleted}]}`` — idempotent by ``client_id``, the latest ``client_updated_at`` wins, all or nothing; answers
  the caller's notes as the server has them (deleted ones included).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ..models import PageNote
from ..selectors import get_meeting_or_404
from ..services.notes import (
    note_author_invitation,
    page_note_create,
    page_note_delete,
    page_note_update,
    page_notes_sync,
)

_NOT_FOUND = OpenApiResponse(description="Not found, not invited, or the meeting's folder is not open to you.")
_BAD = OpenApiResponse(description="Invalid input; the body names the fields and the messages.")


class PageNoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = PageNote
        fields = ["id", "client_id", "document", "page", "text", "client_updated_at", "deleted", "updated_at"]
        read_only_fields = fields


class PageNoteWriteSerializer(serializers.Serializer):
    """Shape of a new or changed note (checked by the service, which words the messages)."""

    document = serializers.IntegerField(required=False, allow_null=True, help_text="Agenda document id, or null.")
    page = serializers.IntegerField(help_text="Page within the document (or of the packet when document is null).")
    text = serializers.CharField(max_length=5000)
    client_id = serializers.UUIDField(required=False)
    client_updated_at = serializers.DateTimeField(required=False)


class SyncItemSerializer(serializers.Serializer):
    client_id = serializers.UUIDField()
    document = serializers.IntegerField(allow_null=True, required=False)
    page = serializers.IntegerField()
    text = serializers.CharField(allow_blank=True, required=False)
    client_updated_at = serializers.DateTimeField()
    deleted = serializers.BooleanField(required=False)


def _errors(exc: DjangoValidationError) -> serializers.ValidationError:
    return serializers.ValidationError(serializers.as_serializer_error(exc))


class _NotesBase(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = None

    def invitation(self, meeting_pk):
        meeting = get_meeting_or_404(self.request.user, meeting_pk)
        invitation = note_author_invitation(self.request.user, meeting)
        if invitation is None:
            raise Http404
        invitation.meeting = meeting
        return invitation

    def call(self, service, **kwargs):
        try:
            return service(actor=self.request.user, **kwargs)
        except DjangoPermissionDenied as exc:
            raise Http404 from exc
        except DjangoValidationError as exc:
            raise _errors(exc) from exc


def _body(request) -> dict:
    return request.data if isinstance(request.data, dict) else {}


class PageNoteListView(_NotesBase):
    @extend_schema(
        summary="The caller's private notes of a meeting",
        responses={200: PageNoteSerializer(many=True), 404: _NOT_FOUND},
    )
    def get(self, request, meeting_pk):
        invitation = self.invitation(meeting_pk)
        notes = PageNote.objects.filter(invitation=invitation).order_by("document_id", "page", "id")
        if request.query_params.get("deleted") not in ("1", "true"):
            notes = notes.filter(deleted=False)
        return Response(PageNoteSerializer(notes, many=True).data)

    @extend_schema(
        summary="Write a private note on a page",
        request=PageNoteWriteSerializer,
        responses={201: PageNoteSerializer, 400: _BAD, 404: _NOT_FOUND},
    )
    def post(self, request, meeting_pk):
        invitation = self.invitation(meeting_pk)
        data = _body(request)
        note = self.call(
            page_note_create,
            meeting=invitation.meeting,
            document=data.get("document"),
            page=data.get("page"),
            text=data.get("text"),
            client_id=data.get("client_id"),
            client_updated_at=data.get("client_updated_at"),
        )
        return Response(PageNoteSerializer(note).data, status=status.HTTP_201_CREATED)


class PageNoteDetailView(_NotesBase):
    def note(self, meeting_pk, pk) -> PageNote:
        invitation = self.invitation(meeting_pk)
        note = PageNote.objects.filter(invitation=invitation, pk=pk).first()
        if note is None:
            raise Http404
        note.invitation = invitation
        return note

    @extend_schema(summary="One of the caller's notes", responses={200: PageNoteSerializer, 404: _NOT_FOUND})
    def get(self, request, meeting_pk, pk):
        return Response(PageNoteSerializer(self.note(meeting_pk, pk)).data)

    @extend_schema(
        summary="Change one of the caller's notes",
        request=PageNoteWriteSerializer,
        responses={200: PageNoteSerializer, 400: _BAD, 404: _NOT_FOUND},
    )
    def patch(self, request, meeting_pk, pk):
        note = self.note(meeting_pk, pk)
        data = _body(request)
        note = self.call(
            page_note_update,
            note=note,
            text=data.get("text", note.text),
            page=data.get("page"),
            client_updated_at=data.get("client_updated_at"),
        )
        return Response(PageNoteSerializer(note).data)

    @extend_schema(
        summary="Change one of the caller's notes",
        request=PageNoteWriteSerializer,
        responses={200: PageNoteSerializer, 400: _BAD, 404: _NOT_FOUND},
    )
    def put(self, request, meeting_pk, pk):
        return self.patch(request, meeting_pk, pk)

    @extend_schema(summary="Delete one of the caller's notes", responses={204: None, 404: _NOT_FOUND})
    def delete(self, request, meeting_pk, pk):
        self.call(page_note_delete, note=self.note(meeting_pk, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PageNoteSyncView(_NotesBase):
    @extend_schema(
        summary="Sync the notes a tablet wrote (offline too)",
        request=inline_serializer("PageNoteSyncRequest", {"notes": SyncItemSerializer(many=True)}),
        responses={
            200: inline_serializer(
                "PageNoteSyncResponse",
                {
                    "notes": PageNoteSerializer(many=True),
                    "created": serializers.IntegerField(),
                    "updated": serializers.IntegerField(),
                    "deleted": serializers.IntegerField(),
                    "unchanged": serializers.IntegerField(),
                },
            ),
            400: _BAD,
            404: _NOT_FOUND,
        },
    )
    def post(self, request, meeting_pk):
        invitation = self.invitation(meeting_pk)
        if isinstance(request.data, list):
            notes = request.data
        elif isinstance(request.data, dict) and "notes" in request.data:
            notes = request.data.get("notes")
        else:
            raise serializers.ValidationError({"notes": [_("Send the notes as a list.")]})
        result = self.call(page_notes_sync, meeting=invitation.meeting, notes=notes)
        return Response(
            {
                "notes": PageNoteSerializer(result.notes, many=True).data,
                "created": result.created,
                "updated": result.updated,
                "deleted": result.deleted,
                "unchanged": result.unchanged,
            }
        )


#: Included at /api/v1/ by ``meetings/api/urls.py``.
urlpatterns = [
    path("meetings/<int:meeting_pk>/notes/", PageNoteListView.as_view(), name="meeting-note-list"),
    path("meetings/<int:meeting_pk>/notes/sync/", PageNoteSyncView.as_view(), name="meeting-note-sync"),
    path("meetings/<int:meeting_pk>/notes/<int:pk>/", PageNoteDetailView.as_view(), name="meeting-note-detail"),
]
