"""The current user, their roles and the organizations where they hold them."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from members.models import Member, Organization
from members.selectors import organization_roles, roles_for

from .serializers import CurrentUserSerializer


class CurrentUserView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="The current user",
        description=(
            "Who is calling: account data, the roles held today (from current positions, membership and the "
            "administrator flag), the member record linked to the account, and every organization where the "
            "user holds a role, with the roles held there."
        ),
        responses=CurrentUserSerializer,
        tags=["me"],
    )
    def get(self, request: Request) -> Response:
        user = request.user
        held = organization_roles(user)
        organizations = list(Organization.objects.filter(id__in=held).order_by("order", "name"))
        for organization in organizations:
            organization.roles = sorted(held[organization.pk])
        data = {
            "id": user.pk,
            "username": user.get_username(),
            "full_name": user.get_full_name(),
            "email": user.email,
            "language": user.preferred_language,
            "is_staff": user.is_staff,
            "roles": sorted(roles_for(user)),
            "member": Member.objects.filter(user=user).first(),
            "organizations": organizations,
        }
        return Response(CurrentUserSerializer(data, context={"request": request}).data)
