"""Shapes of the current user in the API."""

from __future__ import annotations

from rest_framework import serializers

from members.models import Member, MemberStatus, Organization, OrganizationKind, Role


class RoleField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=Role.choices, **kwargs)


class MemberSummarySerializer(serializers.ModelSerializer):
    organization = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=MemberStatus.choices, read_only=True)

    class Meta:
        model = Member
        fields = ["id", "full_name", "status", "party_card_number", "admission_date", "organization"]
        read_only_fields = fields

    def get_organization(self, member: Member) -> int:
        return member.organization_id


class OrganizationWithRolesSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=OrganizationKind.choices, read_only=True)
    roles = serializers.ListField(child=RoleField(), read_only=True)

    class Meta:
        model = Organization
        fields = ["id", "name", "code", "kind", "roles"]
        read_only_fields = fields


class CurrentUserSerializer(serializers.Serializer):
    """Built from a mapping by the view (see ``CurrentUserView``)."""

    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    full_name = serializers.CharField(read_only=True)
    email = serializers.EmailField(read_only=True, allow_blank=True)
    language = serializers.ChoiceField(choices=["vi", "en"], read_only=True)
    is_staff = serializers.BooleanField(read_only=True)
    roles = serializers.ListField(child=RoleField(), read_only=True)
    member = MemberSummarySerializer(allow_null=True, read_only=True)
    organizations = OrganizationWithRolesSerializer(many=True, read_only=True)
