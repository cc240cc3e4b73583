"""Shapes of organizations and terms in the API. Serializers shape data; the rules live in selectors."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import Organization, Term


class TermSerializer(serializers.ModelSerializer):
    is_current = serializers.SerializerMethodField(help_text="Whether the term is running today.")

    class Meta:
        model = Term
        fields = ["id", "name", "start_date", "end_date", "is_current"]
        read_only_fields = fields

    def get_is_current(self, term: Term) -> bool:
        today = self.context.get("today")
        if today is None:
            from ..selectors import today as _today

            today = _today()
        return term.start_date <= today and (term.end_date is None or term.end_date >= today)


class OrganizationRefSerializer(serializers.ModelSerializer):
    """A short reference to an organization (a parent, the organization of a member)."""

    class Meta:
        model = Organization
        fields = ["id", "name", "code", "kind"]
        read_only_fields = fields


class OrganizationSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    parent = serializers.PrimaryKeyRelatedField(read_only=True)
    parent_name = serializers.SerializerMethodField()
    current_term = serializers.SerializerMethodField()

    class Meta:
        model = Organization
        fields = [
            "id",
            "name",
            "short_name",
            "kind",
            "kind_display",
            "code",
            "parent",
            "parent_name",
            "is_external",
            "place_name",
            "active",
            "order",
            "current_term",
        ]
        read_only_fields = fields

    def get_parent_name(self, organization: Organization) -> str | None:
        return organization.parent.name if organization.parent_id else None

    @extend_schema_field(TermSerializer(allow_null=True))
    def get_current_term(self, organization: Organization):
        # The view prefetches the running term into ``current_terms`` (one query for the whole page).
        terms = getattr(organization, "current_terms", None)
        if terms is None:
            from ..selectors import current_term

            term = current_term(organization)
        else:
            term = terms[0] if terms else None
        return TermSerializer(term, context=self.context).data if term is not None else None
