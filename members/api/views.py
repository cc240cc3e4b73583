"""Read-only API of organizations and their terms, limited to what the caller may see."""

from __future__ import annotations

from django.db.models import Prefetch, Q
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from .. import selectors
from ..models import Organization, Term
from ..permissions import OrganizationAccess
from .filters import OrganizationFilter
from .serializers import OrganizationSerializer, TermSerializer


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
