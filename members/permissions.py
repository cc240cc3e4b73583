"""Who may do what with organizations, terms, positions and members.

Pure predicates over the facts computed in ``members.selectors`` (cached per user object, so calling several
predicates in one request costs no extra queries), plus thin adapters for Django REST framework.
Deny by default: every predicate answers ``False`` for anonymous and inactive users.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from . import selectors
from .models import Member, Organization, OrganizationKind, Role


def _authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def has_role(user, *roles: str) -> bool:
    """Whether ``user`` holds at least one of ``roles`` now (admins hold ``admin`` only, not every role)."""
    if not _authenticated(user):
        return False
    return bool(selectors.roles_for(user) & set(roles))


def is_admin(user) -> bool:
    return _authenticated(user) and bool(user.is_superuser)


def can_view_organization(user, organization: Organization) -> bool:
    if not _authenticated(user) or organization is None:
        return False
    visible = selectors.visible_organization_ids(user)
    return visible is None or organization.pk in visible


def can_manage_organization(user, organization: Organization) -> bool:
    """Edit the organization, add its terms, children and positions: admins; leaders and clerks of the
    commune committee (or its bodies) for the commune's tree; a cell secretary for their cell."""
    if not _authenticated(user) or organization is None:
        return False
    if organization.is_external:
        return is_admin(user)
    managed = selectors.managed_organization_ids(user)
    return managed is None or organization.pk in managed


def can_create_organization(user, parent: Organization | None) -> bool:
    """Top-level and external organizations are the administrator's; others need management of the parent."""
    if parent is None:
        return is_admin(user)
    return can_manage_organization(user, parent)


def can_manage_terms(user, organization: Organization) -> bool:
    return can_manage_organization(user, organization)


def can_assign_position(user, organization: Organization) -> bool:
    """Appoint or end positions in ``organization``."""
    return can_manage_organization(user, organization)


def can_view_member(user, member: Member) -> bool:
    if not _authenticated(user) or member is None:
        return False
    access = selectors.access_for(user)
    if access.is_admin or member.pk == access.member_id:
        return True
    return member.organization_id in selectors.member_scope_organization_ids(user)


def can_manage_member(user, member: Member) -> bool:
    """Edit a member record or link it to a user account."""
    if not _authenticated(user) or member is None:
        return False
    managed = selectors.managed_organization_ids(user)
    return managed is None or member.organization_id in managed


def can_link_user(user, member: Member) -> bool:
    """Linking a member to a login decides what that login may see: administrators only."""
    return is_admin(user)


# --- personal data and corrections (member registry) ------------------------------------------------------

#: Fields of the member record that are personal data (domain.md §4): shown only to those who need them,
#: masked for everybody else who may see the record, never sent by the API to others.
PERSONAL_DATA_FIELDS = ("id_number", "phone", "permanent_address", "current_address")

#: What replaces the hidden characters of a masked value.
MASK_CHAR = "•"


def mask(value) -> str:
    """``value`` with all but its last 3 characters hidden ("079203001234" → "•••••••••234"); short values
    are hidden whole and empty values stay empty."""
    text = "" if value is None else str(value)
    if not text:
        return ""
    if len(text) <= 3:
        return MASK_CHAR * len(text)
    return MASK_CHAR * (len(text) - 3) + text[-3:]


def can_view_personal_data(user, member: Member) -> bool:
    """See the ID number, phone and addresses of ``member`` unmasked.

    The member themself; administrators; the leaders and clerks of the commune (or of the organization
    where they hold the position) for the members under it; the cell secretary of the member's cell.
    Handlers, delegates and other members see the record (when they may) with these fields masked.
    This is the set of people who manage the record (``managed_organization_ids``), plus the member.
    """
    if not _authenticated(user) or member is None:
        return False
    access = selectors.access_for(user)
    if access.is_admin or (access.member_id is not None and member.pk == access.member_id):
        return True
    managed = selectors.managed_organization_ids(user)
    return managed is None or member.organization_id in managed


def can_create_member(user, organization: Organization) -> bool:
    """Add a member record to ``organization`` (a cell or other organization of the commune)."""
    if organization is None or organization.is_external:
        return False
    return can_manage_organization(user, organization)


def can_request_correction(user, member: Member) -> bool:
    """Only the member themself asks for a correction of their record (from the handbook)."""
    if not _authenticated(user) or member is None:
        return False
    return selectors.access_for(user).member_id == member.pk


def can_handle_correction(user, member: Member) -> bool:
    """Resolve or reject a correction request about ``member``: whoever may edit the record (the office,
    the commune's leaders, the cell secretary, admins)."""
    return can_manage_member(user, member)


# --- Excel import (member registry, area D) ---------------------------------------------------------------


def can_import_members(user, organization: Organization) -> bool:
    """Import members from Excel into ``organization`` (a commune committee or one of its cells): admins;
    leaders and clerks for the organizations they manage (the commune's tree); a cell secretary into their
    own cell only. Each imported row must also name a cell the user may add members to
    (``can_create_member``)."""
    if not _authenticated(user) or organization is None or organization.is_external:
        return False
    access = selectors.access_for(user)
    if access.is_admin or organization.pk in access.cell_roots():
        return True
    if not has_role(user, Role.LEADER, Role.CLERK):
        return False
    managed = selectors.managed_organization_ids(user)
    return managed is None or organization.pk in managed


# --- dashboards (member registry) ----------------------------------------------------------------------------


def can_view_cell_dashboard(user, organization: Organization) -> bool:
    """The dashboard of a cell: its cell secretary, the leaders and the office of the commune above it
    (whoever may see the cell's members), administrators. Ordinary members and delegates do not."""
    if not _authenticated(user) or organization is None:
        return False
    if organization.kind != OrganizationKind.CELL or organization.is_external:
        return False
    scope = selectors.member_scope_organization_ids(user)
    return scope is None or organization.pk in scope


def can_view_committee_dashboard(user, organization: Organization) -> bool:
    """The dashboard of a commune committee: its leaders and office (leader, clerk, handler of the committee
    or of one of its bodies), administrators."""
    if not _authenticated(user) or organization is None:
        return False
    if organization.kind != OrganizationKind.COMMUNE_COMMITTEE or organization.is_external:
        return False
    access = selectors.access_for(user)
    return access.is_admin or organization.pk in access.commune_roots()


# --- party fees and annual assessments (member registry, area B) ------------------------------------------


def can_manage_fees(user, organization: Organization) -> bool:
    """Open the monthly fee sheet and the assessment sheet of ``organization`` and record on them: the cell
    secretary of that cell, the clerks and leaders of the commune (for its cells), admins."""
    if not _authenticated(user) or organization is None or organization.is_external:
        return False
    managed = selectors.managed_organization_ids(user)
    return managed is None or organization.pk in managed


def can_record_fees(user, member: Member) -> bool:
    """Record ``member``'s fee payments, declarations and exemptions (those who manage the member's cell)."""
    if member is None:
        return False
    return can_manage_fees(user, member.organization)


def can_view_fees(user, member: Member) -> bool:
    """See ``member``'s fee page: the member themself and whoever manages their cell."""
    if not _authenticated(user) or member is None:
        return False
    access = selectors.access_for(user)
    if access.member_id is not None and member.pk == access.member_id:
        return True
    return can_record_fees(user, member)


def can_assess(user, member: Member) -> bool:
    """Record ``member``'s annual quality assessment: the same people as for fees."""
    return can_record_fees(user, member)


# --- Django REST framework adapters -----------------------------------------------------------------------


class OrganizationAccess(BasePermission):
    """Object-level check for organization endpoints (reads need visibility, writes need management).

    Combine with a queryset from ``organizations_visible_to`` so that a forbidden organization answers 404.
    """

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return can_view_organization(request.user, obj)
        return can_manage_organization(request.user, obj)


class MemberAccess(BasePermission):
    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return can_view_member(request.user, obj)
        return can_manage_member(request.user, obj)


def role_required(*roles: str) -> type[BasePermission]:
    """A DRF permission class admitting users who hold any of ``roles`` (admins always pass)::

    permission_classes = [IsAuthenticated, role_required(Role.CLERK, Role.LEADER)]
    """
    wanted = frozenset(str(r) for r in roles)

    class HasRole(BasePermission):
        message = _("You do not hold a role that allows this.")

        def has_permission(self, request, view) -> bool:
            return is_admin(request.user) or has_role(request.user, *wanted)

    HasRole.__name__ = "HasRole_" + "_".join(sorted(wanted))
    HasRole.__qualname__ = HasRole.__name__
    return HasRole


__all__ = [
    "PERSONAL_DATA_FIELDS",
    "MemberAccess",
    "OrganizationAccess",
    "Role",
    "can_assess",
    "can_assign_position",
    "can_create_member",
    "can_create_organization",
    "can_handle_correction",
    "can_import_members",
    "can_link_user",
    "can_manage_fees",
    "can_manage_member",
    "can_manage_organization",
    "can_manage_terms",
    "can_record_fees",
    "can_request_correction",
    "can_view_cell_dashboard",
    "can_view_committee_dashboard",
    "can_view_fees",
    "can_view_member",
    "can_view_organization",
    "can_view_personal_data",
    "has_role",
    "is_admin",
    "mask",
    "role_required",
]
