"""Who may do what with organizations, terms, positions and members.

Pure predicates over the facts computed in ``members.selectors`` (cached per user object, so calling several
predicates in one request costs no extra queries), plus thin adapters for Django REST framework.
Deny by default: every predicate answers ``False`` for anonymous and inactive users.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from . import selectors
from .models import Member, Organization, Role


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
    "MemberAccess",
    "OrganizationAccess",
    "Role",
    "can_assign_position",
    "can_create_organization",
    "can_link_user",
    "can_manage_member",
    "can_manage_organization",
    "can_manage_terms",
    "can_view_member",
    "can_view_organization",
    "has_role",
    "is_admin",
    "role_required",
]
