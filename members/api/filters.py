"""Filters of the organization list (django-filter)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from ..models import Organization, OrganizationKind


class OrganizationFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=OrganizationKind.choices, label=_("kind"))
    parent = django_filters.NumberFilter(field_name="parent_id", label=_("parent organization"))
    is_external = django_filters.BooleanFilter(label=_("external"))
    active = django_filters.BooleanFilter(label=_("active"))

    class Meta:
        model = Organization
        fields = ["kind", "parent", "is_external", "active"]
