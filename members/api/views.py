"""API of organizations (read-only) and of the member registry: members, their status history, fees and
assessments. Everything is limited to what the caller may see (selectors); a hidden object answers 404.
Writes go through the services of ``members.services``; serializers only check the shape of the input."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, Q
from django.http import Http404
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from partyhub import audit
from partyhub.models.audit import AuditAction

from .. import selectors
from ..models import Organization, Term
from ..permissions import MemberAccess, OrganizationAccess, can_view_fees
from .filters import MemberFilter, OrganizationFilter
from .serializers import (
    AssessmentCreateSerializer,
    AssessmentSerializer,
    FeePaymentCreateSerializer,
    FeePaymentSerializer,
    FeeYearSerializer,
    MemberCreateSerializer,
    MemberSerializer,
    OrganizationSerializer,
    StatusChangeSerializer,
    StatusEventSerializer,
    TermSerializer,
    service_errors,
)


@extend_schema_view(
    list=extend_schema(
        summary="List the organizations you may see",
        description=(
            "Organizations visible to the caller: administrators see all; leaders, clerks and handlers of the "
            "commune committee see the commune's tree; a cell secretary sees their cell; a member their own cell. "
            "Search matches the name, short name and symbol code."
        ),
        tags=["organizations"],
    ),
    retrieve=extend_schema(
        summary="One organization",
        description="Answers 404 for an organization the caller may not see, as for a missing one.",
        tags=["organizations"],
    ),
)
class OrganizationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = OrganizationSerializer
    permission_classes = [IsAuthenticated, OrganizationAccess]
    filterset_class = OrganizationFilter
    search_fields = ["name", "short_name", "code"]
    ordering_fields = ["name", "order", "code", "kind"]
    ordering = ["order", "name"]

    def get_queryset(self):
        today = selectors.today()
        running = Term.objects.filter(start_date__lte=today).filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        return (
            selectors.organizations_visible_to(self.request.user)
            .select_related("parent")
            .prefetch_related(Prefetch("terms", queryset=running.order_by("-start_date"), to_attr="current_terms"))
        )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": selectors.today()}

    @extend_schema(
        summary="Terms of an organization",
        description="Every term (nhiệm kỳ) of the organization, newest first.",
        responses=TermSerializer(many=True),
        filters=False,
        tags=["organizations"],
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def terms(self, request: Request, pk=None) -> Response:
        organization: Organization = self.get_object()
        terms = organization.terms.order_by("-start_date")
        return Response(TermSerializer(terms, many=True, context=self.get_serializer_context()).data)


# --- members, status history, fees, assessments (member registry) --------------------------------------------


def _service(call, **kwargs):
    """Run a service; its ``ValidationError`` becomes a 400 (``PermissionDenied`` is already a 403)."""
    try:
        return call(**kwargs)
    except DjangoValidationError as error:
        raise service_errors(error) from error


def _amount(value) -> int:
    """A fee amount from ``members.fees`` (an int, or a ``FeeDue`` with ``amount``)."""
    value = getattr(value, "amount", value)
    return int(value or 0)


@extend_schema_view(
    list=extend_schema(
        summary="List the members you may see",
        description=(
            "Members visible to the caller: administrators see all; leaders and the office of a commune see its "
            "members; a cell secretary sees their cell; a member sees their own record. `search` ignores "
            "diacritics. ID number, phone and addresses are null unless the caller may see personal data."
        ),
        tags=["members"],
    ),
    retrieve=extend_schema(
        summary="One member record",
        description="Answers 404 for a member the caller may not see. Every call is recorded in the audit trail.",
        tags=["members"],
    ),
    create=extend_schema(
        summary="Add a member record",
        description=(
            "Creates the record through the records service (the same checks as the registry's form). The status "
            "follows from the date of becoming official; later changes go through status events."
        ),
        request=MemberCreateSerializer,
        responses={201: MemberSerializer},
        tags=["members"],
    ),
    partial_update=extend_schema(
        summary="Change record fields",
        description=(
            "Changes the record fields sent. The cell, status, activity, user link and the computed facts are "
            "read-only: sending them changes nothing."
        ),
        tags=["members"],
    ),
)
class MemberViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = MemberSerializer
    permission_classes = [IsAuthenticated, MemberAccess]
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = MemberFilter
    ordering_fields = ["full_name", "date_of_birth", "admission_date", "next_badge_date", "recognition_due_date"]
    ordering = ["full_name", "pk"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.member_list(self.request.user).select_related("organization")

    def get_serializer_class(self):
        if self.action == "create":
            return MemberCreateSerializer
        return super().get_serializer_class()

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        member = self.get_object()
        audit.record(action=AuditAction.VIEW, obj=member)
        return Response(self.get_serializer(member).data)

    def create(self, request: Request, *args, **kwargs) -> Response:
        from ..services.records import member_create

        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        organization = fields.pop("organization")
        member = _service(member_create, actor=request.user, organization=organization, **fields)
        data = MemberSerializer(member, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args, **kwargs) -> Response:
        from ..services.records import member_update

        partial = kwargs.pop("partial", False)
        member = self.get_object()
        serializer = self.get_serializer(member, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        member = _service(member_update, actor=request.user, member=member, **serializer.validated_data)
        return Response(MemberSerializer(member, context=self.get_serializer_context()).data)

    # --- status history ---

    @extend_schema(
        methods=["GET"],
        summary="Status history of a member",
        description="Every status change, oldest first, voided ones included (marked).",
        responses=StatusEventSerializer(many=True),
        filters=False,
        tags=["members"],
    )
    @extend_schema(
        methods=["POST"],
        summary="Record a status change",
        description=(
            "Records a change (recognition, transfer, exemption, discipline …) through the status service, which "
            "refuses impossible changes with a reason (400) and changes by callers who may not manage the member "
            "(403)."
        ),
        request=StatusChangeSerializer,
        responses={201: StatusEventSerializer},
        tags=["members"],
    )
    @action(detail=True, methods=["get", "post"], url_path="status-events", pagination_class=None, filter_backends=[])
    def status_events(self, request: Request, pk=None) -> Response:
        member = self.get_object()
        if request.method == "POST":
            from ..services.status import status_change

            serializer = StatusChangeSerializer(data=request.data, context=self.get_serializer_context())
            serializer.is_valid(raise_exception=True)
            event = _service(status_change, actor=request.user, member=member, **serializer.validated_data)
            return Response(StatusEventSerializer(event).data, status=status.HTTP_201_CREATED)
        events = member.status_events.select_related("from_organization", "to_organization", "recorded_by")
        return Response(StatusEventSerializer(events.order_by("effective_date", "id"), many=True).data)

    # --- fees ---

    @extend_schema(
        methods=["GET"],
        summary="Party fees of a member for a year",
        description=(
            "Each month of the year: the amount owed (by the rule set in force that month), and what was paid. "
            "Shown to the member and to whoever manages their cell (404 for others)."
        ),
        parameters=[OpenApiParameter("year", int, description="The calendar year (this year by default).")],
        responses=FeeYearSerializer,
        filters=False,
        tags=["members"],
    )
    @extend_schema(
        methods=["POST"],
        summary="Record a fee payment",
        description="Records the payment of one month through the fee service (400 with the reason if refused).",
        request=FeePaymentCreateSerializer,
        responses={201: FeePaymentSerializer},
        tags=["members"],
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def fees(self, request: Request, pk=None) -> Response:
        member = self.get_object()
        if request.method == "POST":
            from ..services.fees import fee_payment_record

            serializer = FeePaymentCreateSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            payment = _service(fee_payment_record, actor=request.user, member=member, **serializer.validated_data)
            return Response(FeePaymentSerializer(payment).data, status=status.HTTP_201_CREATED)
        from ..fees import fee_year

        if not can_view_fees(request.user, member):
            raise Http404
        try:
            year = int(request.query_params.get("year") or selectors.today().year)
        except ValueError:
            year = 0
        if not 1900 <= year <= 2100:
            raise serializers.ValidationError({"year": [_("Enter a valid year.")]})
        months = []
        for row in fee_year(member, year):
            payment = getattr(row, "payment", None)
            months.append(
                {
                    "month": row.month,
                    "due": _amount(row.due),
                    "paid": _amount(row.paid),
                    "paid_on": getattr(payment, "paid_on", None),
                    "explanation": str(getattr(row.due, "explanation", "") or ""),
                }
            )
        data = {
            "year": year,
            "due_total": sum(m["due"] for m in months),
            "paid_total": sum(m["paid"] for m in months),
            "months": months,
        }
        return Response(FeeYearSerializer(data).data)

    # --- assessments ---

    @extend_schema(
        methods=["GET"],
        summary="Annual assessments of a member",
        description="Every annual quality assessment, newest first.",
        responses=AssessmentSerializer(many=True),
        filters=False,
        tags=["members"],
    )
    @extend_schema(
        methods=["POST"],
        summary="Record an annual assessment",
        description="Records (or replaces) the assessment of a year; the rating is derived by the scale of that year.",
        request=AssessmentCreateSerializer,
        responses={201: AssessmentSerializer},
        tags=["members"],
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def assessments(self, request: Request, pk=None) -> Response:
        member = self.get_object()
        if request.method == "POST":
            from ..services.assessments import assessment_record

            serializer = AssessmentCreateSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            assessment = _service(assessment_record, actor=request.user, member=member, **serializer.validated_data)
            return Response(AssessmentSerializer(assessment).data, status=status.HTTP_201_CREATED)
        rows = member.assessments.select_related("scale").order_by("-year")
        return Response(AssessmentSerializer(rows, many=True).data)
