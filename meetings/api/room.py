"""API of the room (issue 6, points 5 and 8), under ``/api/v1/meetings/<id>/``: attendance and votes.

* ``GET  attendance/``                 the attendance summary (with the quorum) and every invited person's
  attendance — the chair, the minute-taker and the office;
* ``POST attendance/<invitation>/``    ``{attendance, reason}`` — the secretary's tick;
* ``POST checkin/``                    ``{token}`` — the caller checks in with the room's current code;
* ``GET  votes/`` / ``POST votes/``    the meeting's votes (anyone who sees the meeting and runs it or is
  invited) / a new vote ``{question, kind, rule, item}`` (the chair);
* ``GET  votes/<id>/``                 one vote: its status, how many have voted, the caller's ``has_voted``,
  and once closed the result ("x/y in favour (z%)");
* ``POST votes/<id>/open/`` · ``close/`` (the chair) · ``cast/`` ``{choice}`` (a delegate, once) ·
  ``paper/`` ``{agree, disagree, abstain}`` (the secretary).

Secret votes: nothing here ever links a delegate to an answer; counts appear only once the vote is closed.
A meeting the caller may not see, or a part of it they have no business with, answers 404.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ..models import Attendance, Invitation, Meeting, Vote, VoteChoice, VoteKind, VoteStatus
from ..permissions import can_chair, invitation_for
from ..selectors import get_meeting_or_404
from ..services import room as room_services
from ..services import votes as vote_services

_NOT_FOUND = OpenApiResponse(description="Not found, or not yours to see.")
_BAD = OpenApiResponse(description="Invalid input; the body names the fields and the messages.")


def _errors(exc: DjangoValidationError) -> serializers.ValidationError:
    return serializers.ValidationError(serializers.as_serializer_error(exc))


def _call(service, **kwargs):
    """Run a service: a refusal is a 404 (as for a missing object), bad input a 400 with the messages."""
    try:
        return service(**kwargs)
    except DjangoPermissionDenied:
        raise Http404 from None
    except DjangoValidationError as exc:
        raise _errors(exc) from None


# --- serializers -------------------------------------------------------------------------------------------------


class InvitationAttendanceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Invitation
        fields = [
            "id",
            "copy_number",
            "kind",
            "name",
            "may_vote",
            "counts_for_quorum",
            "attendance",
            "absence_reason",
            "checked_in_at",
        ]
        read_only_fields = fields


class AttendanceSummarySerializer(serializers.Serializer):
    total_members = serializers.IntegerField()
    present = serializers.IntegerField()
    absent_excused = serializers.IntegerField()
    absent_unexcused = serializers.IntegerField()
    exempted = serializers.IntegerField()
    not_recorded = serializers.IntegerField()
    guests = serializers.IntegerField()
    guests_present = serializers.IntegerField()
    denominator = serializers.IntegerField(help_text="Official members counted in the denominator now.")
    counted_present = serializers.IntegerField()
    voters_present = serializers.IntegerField()
    quorum_needed = serializers.IntegerField()
    quorum_reached = serializers.BooleanField()


class AttendanceWriteSerializer(serializers.Serializer):
    attendance = serializers.ChoiceField(choices=Attendance.choices, allow_blank=True)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True)


class VoteSerializer(serializers.ModelSerializer):
    rule = serializers.SlugRelatedField(slug_field="code", read_only=True)
    rule_name = serializers.CharField(source="rule.name", read_only=True)
    voted = serializers.SerializerMethodField(help_text="How many delegates have voted on a tablet (never how).")
    has_voted = serializers.SerializerMethodField(help_text="Whether the caller has voted.")
    result = serializers.SerializerMethodField(help_text="Once closed: the counts, the denominator, passed, text.")

    class Meta:
        model = Vote
        fields = [
            "id",
            "item",
            "question",
            "kind",
            "rule",
            "rule_name",
            "status",
            "opened_at",
            "closed_at",
            "voted",
            "has_voted",
            "result",
        ]
        read_only_fields = fields

    def get_voted(self, vote) -> int:
        return vote_services.voted_count(vote) if vote.status != VoteStatus.DRAFT else 0

    def get_has_voted(self, vote) -> bool:
        invitation = self.context.get("invitation")
        return vote_services.has_voted(vote, invitation) if invitation is not None else False

    def get_result(self, vote) -> dict | None:
        if vote.status != VoteStatus.CLOSED:
            return None
        return {
            "agree": vote.agree_count,
            "disagree": vote.disagree_count,
            "abstain": vote.abstain_count,
            "paper": {"agree": vote.paper_agree, "disagree": vote.paper_disagree, "abstain": vote.paper_abstain},
            "base": vote.base_count,
            "passed": vote.passed,
            "text": vote_services.result_text(vote),
        }


class VoteCreateSerializer(serializers.Serializer):
    question = serializers.CharField(max_length=500)
    kind = serializers.ChoiceField(choices=VoteKind.choices, default=VoteKind.OPEN)
    rule = serializers.ChoiceField(choices=[(c, c) for c in vote_services.RULE_CODES], default="majority")
    item = serializers.IntegerField(required=False, allow_null=True)


class CastSerializer(serializers.Serializer):
    choice = serializers.ChoiceField(choices=VoteChoice.choices)


class PaperSerializer(serializers.Serializer):
    agree = serializers.IntegerField(min_value=0, default=0)
    disagree = serializers.IntegerField(min_value=0, default=0)
    abstain = serializers.IntegerField(min_value=0, default=0)


class CheckinSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=64)


# --- views -----------------------------------------------------------------------------------------------------


class _RoomBase(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = None

    def meeting(self, pk) -> Meeting:
        return get_meeting_or_404(self.request.user, pk)

    def room_meeting(self, pk) -> Meeting:
        meeting = self.meeting(pk)
        if not room_services.can_run_room(self.request.user, meeting):
            raise Http404
        return meeting

    def participant_meeting(self, pk) -> tuple[Meeting, Invitation | None]:
        """The meeting for someone who runs it or is invited to it."""
        meeting = self.meeting(pk)
        invitation = invitation_for(self.request.user, meeting)
        if invitation is None and not room_services.can_run_room(self.request.user, meeting):
            raise Http404
        return meeting, invitation


class AttendanceView(_RoomBase):
    @extend_schema(
        summary="The attendance of a meeting",
        tags=["meetings: room"],
        responses={
            200: inline_serializer(
                "MeetingAttendance",
                {"summary": AttendanceSummarySerializer(), "people": InvitationAttendanceSerializer(many=True)},
            ),
            404: _NOT_FOUND,
        },
    )
    def get(self, request, meeting_pk):
        meeting = self.room_meeting(meeting_pk)
        summary = room_services.attendance_summary(meeting)
        people = []
        for inv, may_vote, counts in summary.rows:
            data = InvitationAttendanceSerializer(inv).data
            data["may_vote"], data["counts_for_quorum"] = may_vote, counts
            people.append(data)
        return Response({"summary": AttendanceSummarySerializer(summary).data, "people": people})


class AttendanceSetView(_RoomBase):
    @extend_schema(
        summary="Tick a person's attendance",
        tags=["meetings: room"],
        request=AttendanceWriteSerializer,
        responses={200: InvitationAttendanceSerializer, 400: _BAD, 404: _NOT_FOUND},
    )
    def post(self, request, meeting_pk, pk):
        meeting = self.room_meeting(meeting_pk)
        invitation = get_object_or_404(Invitation, pk=pk, meeting=meeting)
        data = AttendanceWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = _call(
            room_services.attendance_set,
            actor=request.user,
            invitation=invitation,
            attendance=data.validated_data["attendance"],
            reason=data.validated_data.get("reason", ""),
        )
        return Response(InvitationAttendanceSerializer(invitation).data)


class CheckinView(_RoomBase):
    @extend_schema(
        summary="Check in with the room's code",
        tags=["meetings: room"],
        request=CheckinSerializer,
        responses={200: InvitationAttendanceSerializer, 400: _BAD, 404: _NOT_FOUND},
    )
    def post(self, request, meeting_pk):
        meeting = self.meeting(meeting_pk)
        data = CheckinSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = _call(
            room_services.checkin_self, actor=request.user, meeting=meeting, token=data.validated_data["token"]
        )
        return Response(InvitationAttendanceSerializer(invitation).data)


class VoteListView(_RoomBase):
    @extend_schema(
        summary="The votes of a meeting", tags=["meetings: room"], responses={200: VoteSerializer(many=True)}
    )
    def get(self, request, meeting_pk):
        meeting, invitation = self.participant_meeting(meeting_pk)
        votes = meeting.votes.select_related("rule").order_by("created_at", "id")
        return Response(VoteSerializer(votes, many=True, context={"invitation": invitation}).data)

    @extend_schema(
        summary="Add a vote (the chair)",
        tags=["meetings: room"],
        request=VoteCreateSerializer,
        responses={201: VoteSerializer, 400: _BAD, 404: _NOT_FOUND},
    )
    def post(self, request, meeting_pk):
        meeting = self.room_meeting(meeting_pk)
        if not can_chair(request.user, meeting):
            raise Http404
        data = VoteCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = None
        if data.validated_data.get("item"):
            item = meeting.agenda.filter(pk=data.validated_data["item"]).first()
            if item is None:
                raise serializers.ValidationError({"item": [_("This agenda item belongs to another meeting.")]})
        vote = _call(
            vote_services.vote_create,
            actor=request.user,
            meeting=meeting,
            question=data.validated_data["question"],
            kind=data.validated_data["kind"],
            rule_code=data.validated_data["rule"],
            item=item,
        )
        return Response(VoteSerializer(vote).data, status=status.HTTP_201_CREATED)


class VoteDetailView(_RoomBase):
    @extend_schema(summary="One vote", tags=["meetings: room"], responses={200: VoteSerializer, 404: _NOT_FOUND})
    def get(self, request, meeting_pk, pk):
        meeting, invitation = self.participant_meeting(meeting_pk)
        vote = get_object_or_404(Vote.objects.select_related("rule"), pk=pk, meeting=meeting)
        return Response(VoteSerializer(vote, context={"invitation": invitation}).data)


class VoteActionView(_RoomBase):
    """open / close (the chair), paper (the secretary)."""

    action_name = ""

    @extend_schema(
        summary="Open, close a vote, or add paper ballots",
        tags=["meetings: room"],
        request=PaperSerializer,
        responses={200: VoteSerializer, 400: _BAD, 404: _NOT_FOUND},
    )
    def post(self, request, meeting_pk, pk):
        meeting = self.room_meeting(meeting_pk)
        vote = get_object_or_404(Vote.objects.select_related("rule", "meeting"), pk=pk, meeting=meeting)
        if self.action_name == "open":
            vote = _call(vote_services.vote_open, actor=request.user, vote=vote)
        elif self.action_name == "close":
            vote = _call(vote_services.vote_close, actor=request.user, vote=vote)
        else:
            data = PaperSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            vote = _call(vote_services.paper_ballots_add, actor=request.user, vote=vote, **data.validated_data)
        return Response(VoteSerializer(vote).data)


class VoteCastView(_RoomBase):
    @extend_schema(
        summary="Cast one's ballot (once)",
        description="Answers only that the ballot was recorded — never the answer.",
        tags=["meetings: room"],
        request=CastSerializer,
        responses={
            201: inline_serializer("BallotRecorded", {"recorded": serializers.BooleanField()}),
            400: _BAD,
            404: _NOT_FOUND,
        },
    )
    def post(self, request, meeting_pk, pk):
        meeting = self.meeting(meeting_pk)
        if invitation_for(request.user, meeting) is None:
            raise Http404
        vote = get_object_or_404(Vote.objects.select_related("meeting"), pk=pk, meeting=meeting)
        data = CastSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _call(vote_services.ballot_cast, actor=request.user, vote=vote, choice=data.validated_data["choice"])
        return Response({"recorded": True}, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("meetings/<int:meeting_pk>/attendance/", AttendanceView.as_view(), name="api-meeting-attendance"),
    path(
        "meetings/<int:meeting_pk>/attendance/<int:pk>/",
        AttendanceSetView.as_view(),
        name="api-meeting-attendance-set",
    ),
    path("meetings/<int:meeting_pk>/checkin/", CheckinView.as_view(), name="api-meeting-checkin"),
    path("meetings/<int:meeting_pk>/votes/", VoteListView.as_view(), name="api-meeting-vote-list"),
    path("meetings/<int:meeting_pk>/votes/<int:pk>/", VoteDetailView.as_view(), name="api-meeting-vote-detail"),
    path(
        "meetings/<int:meeting_pk>/votes/<int:pk>/open/",
        VoteActionView.as_view(action_name="open"),
        name="api-meeting-vote-open",
    ),
    path(
        "meetings/<int:meeting_pk>/votes/<int:pk>/close/",
        VoteActionView.as_view(action_name="close"),
        name="api-meeting-vote-close",
    ),
    path(
        "meetings/<int:meeting_pk>/votes/<int:pk>/paper/",
        VoteActionView.as_view(action_name="paper"),
        name="api-meeting-vote-paper",
    ),
    path("meetings/<int:meeting_pk>/votes/<int:pk>/cast/", VoteCastView.as_view(), name="api-meeting-vote-cast"),
]
