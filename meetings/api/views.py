"""API of meetings, invitations, the agenda and its documents, comments on drafts and the work schedule.

Every meeting is reached through ``meetings.selectors`` (one the caller may not see answers 404, like a missing
one; management endpoints answer 404 to those who may only see the meeting); every write goes through
``meetings.services`` (``ValidationError`` → 400 with the messages keyed by field)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import permissions, selectors
from ..models import AgendaDocument, AgendaItem, DraftComment, Invitation, Meeting, MeetingKind
from ..services import agenda as agenda_services
from ..services import meetings as meeting_services
from ..services import schedule as schedule_services
from .serializers import (
    AgendaDocumentSerializer,
    AgendaDocumentUpdateSerializer,
    AgendaDocumentWriteSerializer,
    AgendaItemSerializer,
    AgendaItemWriteSerializer,
    AgendaMoveSerializer,
    CancelSerializer,
    DraftCommentSerializer,
    DraftCommentWriteSerializer,
    InvitationSerializer,
    InvitationWriteSerializer,
    MeetingDetailSerializer,
    MeetingSerializer,
    MeetingWriteSerializer,
    ScheduleEntrySerializer,
    ScheduleEntryWriteSerializer,
    service_errors,
)

_NOT_FOUND = OpenApiResponse(description="Not found, or not visible to you.")
_BAD = OpenApiResponse(description="Invalid input; the body names the fields and the messages.")


def _call(service, **kwargs):
    try:
        return service(**kwargs)
    except DjangoValidationError as exc:
        raise service_errors(exc) from exc
    except DjangoPermissionDenied as exc:
        raise Http404 from exc


def _meeting(request, pk) -> Meeting:
    return selectors.get_meeting_or_404(request.user, pk)


def _managed(request, pk) -> Meeting:
    meeting = _meeting(request, pk)
    if not permissions.can_manage_meeting(request.user, meeting):
        raise Http404
    return meeting


def _organization(request, pk):
    organization = selectors.organizations_for_meetings(request.user).filter(pk=pk).first() if pk else None
    if organization is None:
        raise serializers.ValidationError({"organization": [_("Unknown organization.")]})
    return organization


# --- meetings ----------------------------------------------------------------------------------------------------


class MeetingListView(generics.ListAPIView):
    """Meetings the caller may see; ``when`` = upcoming / past, ``organization``, ``kind``."""

    serializer_class = MeetingSerializer
    permission_classes = [IsAuthenticated]
    filter_backends: list = []

    def get_queryset(self):
        params = self.request.query_params
        when = params.get("when", "")
        org = params.get("organization", "")
        kind = params.get("kind", "")
        return selectors.meeting_list(
            self.request.user,
            when=when if when in ("upcoming", "past") else "",
            organization=int(org) if org.isdigit() else None,
            kind=kind if kind in MeetingKind.values else "",
        ).select_related("minute_taker")

    @extend_schema(
        summary="List meetings",
        parameters=[
            OpenApiParameter("when", str, enum=["upcoming", "past"]),
            OpenApiParameter("organization", int),
            OpenApiParameter("kind", str, enum=MeetingKind.values),
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Create a meeting",
        request=MeetingWriteSerializer,
        responses={201: MeetingDetailSerializer, 400: _BAD},
    )
    def post(self, request):
        data = MeetingWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["organization"] = _organization(request, values["organization"])
        meeting = _call(meeting_services.meeting_create, actor=request.user, **values)
        return Response(MeetingDetailSerializer(meeting).data, status=status.HTTP_201_CREATED)


class MeetingDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="A meeting with its agenda", responses={200: MeetingDetailSerializer, 404: _NOT_FOUND})
    def get(self, request, pk):
        return Response(MeetingDetailSerializer(_meeting(request, pk)).data)

    @extend_schema(
        summary="Change a meeting (after invitations: everyone invited is told, with an updated .ics)",
        request=MeetingWriteSerializer(partial=True),
        responses={200: MeetingDetailSerializer, 400: _BAD, 404: _NOT_FOUND},
    )
    def patch(self, request, pk):
        meeting = _managed(request, pk)
        data = MeetingWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if "organization" in values:
            values["organization"] = _organization(request, values["organization"])
        meeting = _call(meeting_services.meeting_update, actor=request.user, meeting=meeting, **values)
        return Response(MeetingDetailSerializer(meeting).data)


class MeetingCancelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Cancel a meeting (METHOD:CANCEL to everyone invited)",
        request=CancelSerializer,
        responses={200: MeetingSerializer, 400: _BAD, 404: _NOT_FOUND},
    )
    def post(self, request, pk):
        meeting = _managed(request, pk)
        data = CancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        meeting = _call(meeting_services.meeting_cancel, actor=request.user, meeting=meeting, **data.validated_data)
        return Response(MeetingSerializer(meeting).data)


class MeetingSendInvitationsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Send the invitations not sent yet",
        request=None,
        responses={200: OpenApiResponse(description='{"sent": n}'), 400: _BAD, 404: _NOT_FOUND},
    )
    def post(self, request, pk):
        meeting = _managed(request, pk)
        count = _call(meeting_services.meeting_send_invitations, actor=request.user, meeting=meeting)
        return Response({"sent": count})


class MeetingInviteMembersView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Invite everyone who belongs (cell members, the committee)",
        request=None,
        responses={200: OpenApiResponse(description='{"added": n}'), 400: _BAD, 404: _NOT_FOUND},
    )
    def post(self, request, pk):
        meeting = _managed(request, pk)
        count = _call(meeting_services.meeting_invite_organization_members, actor=request.user, meeting=meeting)
        return Response({"added": count})


# --- invitations ---------------------------------------------------------------------------------------------------


class InvitationListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="The people invited (managers only)", responses={200: InvitationSerializer(many=True)})
    def get(self, request, pk):
        meeting = _managed(request, pk)
        return Response(InvitationSerializer(meeting.invitations.order_by("copy_number"), many=True).data)

    @extend_schema(
        summary="Invite a member, a user, or a guest (name + e-mail)",
        request=InvitationWriteSerializer,
        responses={201: InvitationSerializer, 400: _BAD, 404: _NOT_FOUND},
    )
    def post(self, request, pk):
        from django.contrib.auth import get_user_model

        from members.selectors import members_visible_to

        meeting = _managed(request, pk)
        data = InvitationWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if values.get("member"):
            member = members_visible_to(request.user).filter(pk=values["member"]).first()
            if member is None:
                raise serializers.ValidationError({"member": [_("Unknown member.")]})
            values["member"] = member
        else:
            values.pop("member", None)
        if values.get("user"):
            user = get_user_model().objects.filter(pk=values["user"]).first()
            if user is None:
                raise serializers.ValidationError({"user": [_("Unknown user.")]})
            values["user"] = user
        else:
            values.pop("user", None)
        invitation = _call(meeting_services.invitation_add, actor=request.user, meeting=meeting, **values)
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class InvitationDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Withdraw an invitation", responses={204: None, 400: _BAD, 404: _NOT_FOUND})
    def delete(self, request, pk, invitation_pk):
        meeting = _managed(request, pk)
        invitation = get_object_or_404(Invitation, pk=invitation_pk, meeting=meeting)
        _call(meeting_services.invitation_remove, actor=request.user, invitation=invitation)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- the agenda ----------------------------------------------------------------------------------------------------


class AgendaListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="The agenda with its documents", responses={200: AgendaItemSerializer(many=True)})
    def get(self, request, pk):
        meeting = _meeting(request, pk)
        return Response(AgendaItemSerializer(selectors.agenda_of(meeting), many=True).data)

    @extend_schema(
        summary="Add an agenda item",
        request=AgendaItemWriteSerializer,
        responses={201: AgendaItemSerializer, 400: _BAD, 404: _NOT_FOUND},
    )
    def post(self, request, pk):
        meeting = _managed(request, pk)
        data = AgendaItemWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = _call(agenda_services.agenda_item_add, actor=request.user, meeting=meeting, **data.validated_data)
        return Response(AgendaItemSerializer(item).data, status=status.HTTP_201_CREATED)


def _item(request, pk, item_pk) -> AgendaItem:
    meeting = _managed(request, pk)
    return get_object_or_404(AgendaItem.objects.select_related("meeting"), pk=item_pk, meeting=meeting)


class AgendaItemView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Change an agenda item",
        request=AgendaItemWriteSerializer(partial=True),
        responses={200: AgendaItemSerializer, 400: _BAD, 404: _NOT_FOUND},
    )
    def patch(self, request, pk, item_pk):
        item = _item(request, pk, item_pk)
        data = AgendaItemWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        item = _call(agenda_services.agenda_item_update, actor=request.user, item=item, **data.validated_data)
        return Response(AgendaItemSerializer(item).data)

    @extend_schema(summary="Remove an agenda item (and its documents)", responses={204: None, 404: _NOT_FOUND})
    def delete(self, request, pk, item_pk):
        item = _item(request, pk, item_pk)
        _call(agenda_services.agenda_item_remove, actor=request.user, item=item)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AgendaItemMoveView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Move an agenda item (position 1… or direction up/down)",
        request=AgendaMoveSerializer,
        responses={200: AgendaItemSerializer(many=True), 400: _BAD, 404: _NOT_FOUND},
    )
    def post(self, request, pk, item_pk):
        item = _item(request, pk, item_pk)
        data = AgendaMoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _call(agenda_services.agenda_item_move, actor=request.user, item=item, **data.validated_data)
        return Response(AgendaItemSerializer(selectors.agenda_of(item.meeting), many=True).data)


class AgendaDocumentListView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        summary="Put a document on an agenda item (picked from the registers or the library, or an uploaded PDF)",
        request={
            "multipart/form-data": AgendaDocumentWriteSerializer,
            "application/json": AgendaDocumentWriteSerializer,
        },
        responses={201: AgendaDocumentSerializer, 400: _BAD, 404: _NOT_FOUND},
    )
    def post(self, request, pk, item_pk):
        meeting = _managed(request, pk)
        item = get_object_or_404(AgendaItem.objects.select_related("meeting"), pk=item_pk, meeting=meeting)
        data = AgendaDocumentWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        document = _call(agenda_services.agenda_document_add, actor=request.user, item=item, **data.validated_data)
        return Response(AgendaDocumentSerializer(document).data, status=status.HTTP_201_CREATED)


class AgendaDocumentView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def _document(self, request, pk, doc_pk, *, manage: bool) -> AgendaDocument:
        meeting = _managed(request, pk) if manage else _meeting(request, pk)
        return get_object_or_404(
            AgendaDocument.objects.select_related("item__meeting", "drafter"), pk=doc_pk, item__meeting=meeting
        )

    @extend_schema(summary="An agenda document", responses={200: AgendaDocumentSerializer, 404: _NOT_FOUND})
    def get(self, request, pk, doc_pk):
        return Response(AgendaDocumentSerializer(self._document(request, pk, doc_pk, manage=False)).data)

    @extend_schema(
        summary="Change an agenda document (title, draft settings, a new PDF version)",
        request=AgendaDocumentUpdateSerializer,
        responses={200: AgendaDocumentSerializer, 400: _BAD, 404: _NOT_FOUND},
    )
    def patch(self, request, pk, doc_pk):
        document = self._document(request, pk, doc_pk, manage=True)
        data = AgendaDocumentUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        document = _call(
            agenda_services.agenda_document_update, actor=request.user, document=document, **data.validated_data
        )
        return Response(AgendaDocumentSerializer(document).data)

    @extend_schema(summary="Take a document off the agenda", responses={204: None, 404: _NOT_FOUND})
    def delete(self, request, pk, doc_pk):
        document = self._document(request, pk, doc_pk, manage=True)
        _call(agenda_services.agenda_document_remove, actor=request.user, document=document)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- comments on drafts --------------------------------------------------------------------------------------------


def _draft(request, pk, doc_pk) -> AgendaDocument:
    meeting = _meeting(request, pk)
    document = get_object_or_404(
        AgendaDocument.objects.select_related("item__meeting", "drafter"), pk=doc_pk, item__meeting=meeting
    )
    if not (
        permissions.can_comment(request.user, document) or permissions.can_read_all_comments(request.user, document)
    ):
        raise Http404
    return document


class DraftCommentListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Comments on a draft (the drafter and managers: all; a delegate: their own)",
        responses={200: DraftCommentSerializer(many=True), 404: _NOT_FOUND},
    )
    def get(self, request, pk, doc_pk):
        document = _draft(request, pk, doc_pk)
        return Response(DraftCommentSerializer(selectors.draft_comments_for(request.user, document), many=True).data)

    @extend_schema(
        summary="Comment on a draft (until its deadline)",
        request=DraftCommentWriteSerializer,
        responses={201: DraftCommentSerializer, 400: _BAD, 404: _NOT_FOUND},
    )
    def post(self, request, pk, doc_pk):
        document = _draft(request, pk, doc_pk)
        data = DraftCommentWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = _call(agenda_services.draft_comment_add, actor=request.user, document=document, **data.validated_data)
        return Response(DraftCommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class DraftCommentDetailView(APIView):
    permission_classes = [IsAuthenticated]

    def _comment(self, request, pk, doc_pk, comment_pk) -> DraftComment:
        document = _draft(request, pk, doc_pk)
        return get_object_or_404(DraftComment, pk=comment_pk, document=document, author=request.user)

    @extend_schema(
        summary="Change one's comment (until the deadline)",
        request=DraftCommentWriteSerializer,
        responses={200: DraftCommentSerializer, 400: _BAD, 404: _NOT_FOUND},
    )
    def patch(self, request, pk, doc_pk, comment_pk):
        comment = self._comment(request, pk, doc_pk, comment_pk)
        data = DraftCommentWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = _call(
            agenda_services.draft_comment_update, actor=request.user, comment=comment, **data.validated_data
        )
        return Response(DraftCommentSerializer(comment).data)

    @extend_schema(summary="Withdraw one's comment (until the deadline)", responses={204: None, 404: _NOT_FOUND})
    def delete(self, request, pk, doc_pk, comment_pk):
        comment = self._comment(request, pk, doc_pk, comment_pk)
        _call(agenda_services.draft_comment_delete, actor=request.user, comment=comment)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- the work schedule ---------------------------------------------------------------------------------------------


class ScheduleListView(generics.ListAPIView):
    """Schedule entries the caller may see in one week (``week``: any date of it; default this week)."""

    serializer_class = ScheduleEntrySerializer
    permission_classes = [IsAuthenticated]
    filter_backends: list = []
    pagination_class = None

    def get_queryset(self):
        from ..views.schedule import monday_of

        params = self.request.query_params
        org = params.get("organization", "")
        return selectors.schedule_week(
            self.request.user, monday_of(params.get("week")), organization=int(org) if org.isdigit() else None
        )

    @extend_schema(
        summary="The work schedule of a week",
        parameters=[OpenApiParameter("week", str), OpenApiParameter("organization", int)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Add an event to the schedule",
        request=ScheduleEntryWriteSerializer,
        responses={201: ScheduleEntrySerializer, 400: _BAD},
    )
    def post(self, request):
        data = ScheduleEntryWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["organization"] = _organization(request, values.get("organization"))
        for name in ("title", "starts_at"):
            values.setdefault(name, None if name == "starts_at" else "")
        entry = _call(schedule_services.schedule_entry_create, actor=request.user, **values)
        return Response(ScheduleEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class ScheduleEntryView(APIView):
    permission_classes = [IsAuthenticated]

    def _entry(self, request, pk):
        entry = get_object_or_404(selectors.schedule_visible_to(request.user).select_related("organization"), pk=pk)
        if not schedule_services.can_manage_schedule(request.user, entry.organization):
            raise Http404
        return entry

    @extend_schema(
        summary="Change a schedule entry",
        request=ScheduleEntryWriteSerializer(partial=True),
        responses={200: ScheduleEntrySerializer, 400: _BAD, 404: _NOT_FOUND},
    )
    def patch(self, request, pk):
        entry = self._entry(request, pk)
        data = ScheduleEntryWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.pop("organization", None)
        entry = _call(schedule_services.schedule_entry_update, actor=request.user, entry=entry, **values)
        return Response(ScheduleEntrySerializer(entry).data)

    @extend_schema(summary="Remove an event from the schedule", responses={204: None, 400: _BAD, 404: _NOT_FOUND})
    def delete(self, request, pk):
        entry = self._entry(request, pk)
        _call(schedule_services.schedule_entry_delete, actor=request.user, entry=entry)
        return Response(status=status.HTTP_204_NO_CONTENT)
