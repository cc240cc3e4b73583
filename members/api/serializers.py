"""Shapes of organizations, terms, members, status history, fees and assessments in the API.

Serializers shape data; the rules live in selectors and services."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import CURRENT_STATUSES, Member, MemberAssessment, MemberStatusEvent, Organization, StatusEventKind, Term
from ..permissions import PERSONAL_DATA_FIELDS, can_view_personal_data
from ..services.records import MEMBER_RECORD_FIELDS


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


# --- members, status history, fees, assessments (member registry) --------------------------------------------


def service_errors(error: DjangoValidationError) -> serializers.ValidationError:
    """A service's ``ValidationError`` (keyed by field where one field is at fault) as the API's 400."""
    return serializers.ValidationError(serializers.as_serializer_error(error))


@extend_schema_field({"type": "string", "nullable": True})
class PersonalDataField(serializers.CharField):
    """ID number, phone or address: ``null`` in answers to callers who may not see personal data."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)


class MemberSerializer(serializers.ModelSerializer):
    """A member record. The cell, status, activity, user link and the facts kept by the services are
    read-only: the cell and status change through status events, the user link in the admin. Sending them
    changes nothing. Personal data (ID number, phone, addresses) is ``null`` for callers who may not see
    it; ``personal_data_visible`` tells which case applies."""

    organization = OrganizationRefSerializer(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    activity_display = serializers.CharField(source="get_activity_display", read_only=True)
    is_current = serializers.SerializerMethodField(help_text="Probationary or official member now.")
    personal_data_visible = serializers.SerializerMethodField(
        help_text="Whether the ID number, phone and addresses are included (otherwise they are null)."
    )
    user = serializers.PrimaryKeyRelatedField(read_only=True, help_text="The linked login, if any.")
    id_number = PersonalDataField(max_length=12)
    phone = PersonalDataField(max_length=20)
    permanent_address = PersonalDataField(max_length=300)
    current_address = PersonalDataField(max_length=300)

    class Meta:
        model = Member
        fields = [
            "id",
            *MEMBER_RECORD_FIELDS,
            "organization",
            "status",
            "status_display",
            "activity",
            "activity_display",
            "is_current",
            "party_age_gap_days",
            "recognition_due_date",
            "next_badge_years",
            "next_badge_date",
            "user",
            "personal_data_visible",
        ]
        read_only_fields = [
            "id",
            "organization",
            "status",
            "activity",
            "party_age_gap_days",
            "recognition_due_date",
            "next_badge_years",
            "next_badge_date",
            "user",
        ]
        # Uniqueness and the other record rules are checked by the records service, with its messages.
        validators: list = []

    def _may_see_personal_data(self, member: Member) -> bool:
        request = self.context.get("request")
        return bool(request is not None and can_view_personal_data(request.user, member))

    def get_is_current(self, member: Member) -> bool:
        return member.status in CURRENT_STATUSES

    def get_personal_data_visible(self, member: Member) -> bool:
        return self._may_see_personal_data(member)

    def to_representation(self, member: Member):
        data = super().to_representation(member)
        if not self._may_see_personal_data(member):
            for name in PERSONAL_DATA_FIELDS:
                data[name] = None
        return data

    def validate(self, attrs):
        # ``null`` for a personal-data field means "empty" (what a client that received null sends back).
        return {
            name: ("" if value is None and name in PERSONAL_DATA_FIELDS else value) for name, value in attrs.items()
        }


class MemberCreateSerializer(MemberSerializer):
    """A new member record: the record fields and the organization (cell) it belongs to."""

    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.none(), help_text="The cell the member attends (one you manage)."
    )

    class Meta(MemberSerializer.Meta):
        read_only_fields = [name for name in MemberSerializer.Meta.read_only_fields if name != "organization"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            from ..selectors import organizations_visible_to

            self.fields["organization"].queryset = organizations_visible_to(request.user).filter(is_external=False)


class StatusEventSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    from_organization = OrganizationRefSerializer(read_only=True, allow_null=True)
    to_organization = OrganizationRefSerializer(read_only=True, allow_null=True)
    recorded_by = serializers.SerializerMethodField()
    voided = serializers.SerializerMethodField()

    class Meta:
        model = MemberStatusEvent
        fields = [
            "id",
            "kind",
            "kind_display",
            "effective_date",
            "decision_number",
            "decision_date",
            "decided_by",
            "from_organization",
            "to_organization",
            "other_party_organization",
            "status_before",
            "status_after",
            "activity_before",
            "activity_after",
            "note",
            "recorded_by",
            "recorded_at",
            "voided",
            "voided_at",
            "void_reason",
        ]
        read_only_fields = fields

    def get_recorded_by(self, event: MemberStatusEvent) -> str | None:
        return event.recorded_by.get_full_name() if event.recorded_by_id else None

    def get_voided(self, event: MemberStatusEvent) -> bool:
        return event.voided_at is not None


class StatusChangeSerializer(serializers.Serializer):
    """A status change to record. Only the shape is checked here; whether the change is possible (and
    allowed to the caller) is decided by ``members.services.status.status_change``."""

    kind = serializers.ChoiceField(choices=StatusEventKind.choices)
    effective_date = serializers.DateField()
    decision_number = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    decision_date = serializers.DateField(required=False, allow_null=True, default=None)
    decided_by = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    to_organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.none(),
        required=False,
        allow_null=True,
        default=None,
        help_text="For a move to another cell of the commune.",
    )
    other_party_organization = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            from ..selectors import organizations_visible_to

            self.fields["to_organization"].queryset = organizations_visible_to(request.user).filter(is_external=False)


class FeeMonthSerializer(serializers.Serializer):
    """One month of a member's party-fee year."""

    month = serializers.DateField(help_text="First day of the month.")
    due = serializers.IntegerField(help_text="Amount owed for the month (đồng).")
    paid = serializers.IntegerField(help_text="Amount paid for the month (đồng).")
    paid_on = serializers.DateField(allow_null=True)
    explanation = serializers.CharField(allow_blank=True, help_text="How the amount owed was computed.")


class FeeYearSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    due_total = serializers.IntegerField()
    paid_total = serializers.IntegerField()
    months = FeeMonthSerializer(many=True)


class FeePaymentCreateSerializer(serializers.Serializer):
    """A payment to record for one month (checked by ``members.services.fees.fee_payment_record``)."""

    month = serializers.DateField(help_text="Any day of the month paid for; the first day is stored.")
    amount = serializers.IntegerField(min_value=0, help_text="Amount paid (đồng).")
    paid_on = serializers.DateField()
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    def validate_month(self, value):
        return value.replace(day=1)


class FeePaymentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    month = serializers.DateField()
    amount = serializers.IntegerField()
    paid_on = serializers.DateField()
    note = serializers.CharField(allow_blank=True)


class AssessmentSerializer(serializers.ModelSerializer):
    rating_display = serializers.CharField(source="get_rating_display", read_only=True)
    scale = serializers.SerializerMethodField()

    class Meta:
        model = MemberAssessment
        fields = [
            "id",
            "year",
            "score",
            "all_tasks_done",
            "exceeded_percent",
            "rating",
            "rating_display",
            "scale",
            "note",
            "assessed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_scale(self, assessment: MemberAssessment) -> str:
        return str(assessment.scale)


class AssessmentCreateSerializer(serializers.Serializer):
    """An annual assessment to record; the rating is derived by the scale of that year (by the service)."""

    year = serializers.IntegerField(min_value=2000, max_value=2100)
    score = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0)
    all_tasks_done = serializers.BooleanField(required=False, default=False)
    exceeded_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False, default=0
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")
