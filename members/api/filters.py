"""Filters of the organization and member lists (django-filter)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from ..models import Member, MemberActivity, MemberStatus, Organization, OrganizationKind, TheoryLevel
from ..selectors import member_search_q


class OrganizationFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=OrganizationKind.choices, label=_("kind"))
    parent = django_filters.NumberFilter(field_name="parent_id", label=_("parent organization"))
    is_external = django_filters.BooleanFilter(label=_("external"))
    active = django_filters.BooleanFilter(label=_("active"))

    class Meta:
        model = Organization
        fields = ["kind", "parent", "is_external", "active"]


class MemberFilter(django_filters.FilterSet):
    """Filters of the member list. ``search`` is diacritic-insensitive ("nguyen van an" finds
    "Nguyễn Văn An") over names, other names, card and record numbers."""

    organization = django_filters.NumberFilter(field_name="organization_id", label=_("party cell"))
    status = django_filters.MultipleChoiceFilter(choices=MemberStatus.choices, label=_("status"))
    activity = django_filters.MultipleChoiceFilter(choices=MemberActivity.choices, label=_("activity"))
    political_theory = django_filters.ChoiceFilter(
        choices=[(value or "none", label) for value, label in TheoryLevel.choices],
        method="filter_political_theory",
        label=_("political theory level"),
    )
    search = django_filters.CharFilter(method="filter_search", label=_("search"))

    class Meta:
        model = Member
        fields = ["organization", "status", "activity", "political_theory", "search"]

    def filter_political_theory(self, queryset, name, value):
        return queryset.filter(political_theory="" if value == "none" else value)

    def filter_search(self, queryset, name, value):
        return queryset.filter(member_search_q(value)) if value and value.strip() else queryset
