"""Writes to organizations, terms, positions and member/user links.

Functions are keyword-only, take the acting user as ``actor=`` and run in one transaction. They validate
(raising ``django.core.exceptions.ValidationError`` with translated messages, keyed by field where one
field is at fault) and check that the actor may do this (``PermissionDenied`` otherwise). ``actor=None``
means the system itself (management commands, data migrations) and skips the permission check, never the
validation. The audit trail records the writes; these functions bind the actor for it.
"""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from .. import permissions, selectors
from ..models import Member, Organization, OrganizationKind, Position, PositionTitle, Term
from ._common import _as, _d, _require

User = get_user_model()

#: Which kinds of organization may sit under which (``None`` = at the top of the tree).
ALLOWED_PARENT_KINDS: dict[str, set[str | None]] = {
    OrganizationKind.CENTRAL: {None},
    OrganizationKind.PROVINCE_COMMITTEE: {None, OrganizationKind.CENTRAL},
    OrganizationKind.COMMUNE_COMMITTEE: {None, OrganizationKind.PROVINCE_COMMITTEE},
    OrganizationKind.EXECUTIVE_COMMITTEE: {OrganizationKind.COMMUNE_COMMITTEE},
    OrganizationKind.STANDING_COMMITTEE: {OrganizationKind.COMMUNE_COMMITTEE},
    OrganizationKind.INSPECTION_COMMITTEE: {OrganizationKind.COMMUNE_COMMITTEE},
    OrganizationKind.OFFICE: {OrganizationKind.COMMUNE_COMMITTEE},
    OrganizationKind.CELL: {OrganizationKind.COMMUNE_COMMITTEE},
}

#: Kinds above the commune: only shown in headers and as senders (always external).
EXTERNAL_KINDS = frozenset({OrganizationKind.CENTRAL, OrganizationKind.PROVINCE_COMMITTEE})


# --- organizations ----------------------------------------------------------------------------------------


def validate_organization_placement(*, kind: str, parent: Organization | None, is_external: bool) -> None:
    """The tree of domain.md §1: province (external) → commune committee → its bodies and cells."""
    if kind not in OrganizationKind.values:
        raise ValidationError({"kind": _("Unknown kind of organization: %(kind)s.") % {"kind": kind}})
    parent_kind = parent.kind if parent is not None else None
    if parent_kind not in ALLOWED_PARENT_KINDS[kind]:
        label = OrganizationKind(kind).label
        if parent is None:
            message = _("A %(kind)s must have a parent organization.") % {"kind": label}
        else:
            message = _("A %(kind)s cannot be placed under %(parent)s.") % {"kind": label, "parent": parent.name}
        raise ValidationError({"parent": message})
    if kind in EXTERNAL_KINDS and not is_external:
        raise ValidationError({"is_external": _("Organizations above the commune are external.")})
    if kind not in EXTERNAL_KINDS and is_external:
        raise ValidationError({"is_external": _("Only organizations above the commune can be external.")})


@transaction.atomic
def organization_create(
    *,
    actor,
    name: str,
    kind: str,
    code: str,
    parent: Organization | None = None,
    short_name: str = "",
    is_external: bool | None = None,
    place_name: str = "",
    order: int = 0,
) -> Organization:
    """Create an organization under ``parent``. ``is_external`` defaults to the kind (province and central
    committees are external); ``place_name`` defaults to the parent's."""
    if actor is not None:
        _require(permissions.can_create_organization(actor, parent))
    name = (name or "").strip()
    code = (code or "").strip()
    if not name:
        raise ValidationError({"name": _("The name is required.")})
    if not code:
        raise ValidationError({"code": _("The symbol code is required (e.g. ĐU, CB, VPĐU, UBKT).")})
    if is_external is None:
        is_external = kind in EXTERNAL_KINDS
    validate_organization_placement(kind=kind, parent=parent, is_external=is_external)
    if Organization.objects.filter(parent=parent, name__iexact=name).exists():
        raise ValidationError({"name": _("An organization named “%(name)s” already exists here.") % {"name": name}})
    if not place_name and parent is not None and not parent.is_external:
        place_name = parent.place_name
    with _as(actor):
        organization = Organization.objects.create(
            name=name,
            short_name=(short_name or "").strip(),
            kind=kind,
            code=code,
            parent=parent,
            is_external=is_external,
            place_name=(place_name or "").strip(),
            order=order,
        )
    return organization


# --- terms ------------------------------------------------------------------------------------------------


def validate_term(
    *,
    organization: Organization,
    name: str,
    start_date: datetime.date | None,
    end_date: datetime.date | None,
    exclude_pk: int | None = None,
) -> None:
    """A term has a name and a start, ends after it starts, and overlaps no other term of its organization."""
    if not (name or "").strip():
        raise ValidationError({"name": _("The name is required.")})
    if start_date is None:
        raise ValidationError({"start_date": _("The start date is required.")})
    if end_date is not None and end_date <= start_date:
        raise ValidationError({"end_date": _("The end date must be after the start date.")})
    if organization.pk is None:  # a new organization (admin inline): no other terms yet
        return
    others = Term.objects.filter(organization=organization)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if others.filter(name__iexact=name.strip()).exists():
        raise ValidationError(
            {"name": _("This organization already has a term named “%(name)s”.") % {"name": name.strip()}}
        )
    # Two periods overlap when each starts before the other ends (an open end never ends).
    overlapping = others.filter(Q(end_date__isnull=True) | Q(end_date__gt=start_date))
    if end_date is not None:
        overlapping = overlapping.filter(start_date__lt=end_date)
    clash = overlapping.order_by("start_date").first()
    if clash is not None:
        raise ValidationError(
            _("This term overlaps the term %(name)s (%(start)s – %(end)s) of this organization.")
            % {"name": clash.name, "start": _d(clash.start_date), "end": _d(clash.end_date)},
            code="overlap",
        )


@transaction.atomic
def term_create(
    *,
    actor,
    organization: Organization,
    name: str,
    start_date: datetime.date,
    end_date: datetime.date | None = None,
) -> Term:
    """Open a term (nhiệm kỳ) of ``organization``. The previous term must have ended before it starts."""
    if actor is not None:
        _require(permissions.can_manage_terms(actor, organization))
    # Lock the organization row so two concurrent term creations cannot both pass the overlap check.
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    validate_term(organization=organization, name=name, start_date=start_date, end_date=end_date)
    with _as(actor):
        return Term.objects.create(
            organization=organization, name=name.strip(), start_date=start_date, end_date=end_date
        )


@transaction.atomic
def term_end(*, actor, term: Term, end_date: datetime.date) -> Term:
    """Close a running term on ``end_date`` (the day of the next congress)."""
    if actor is not None:
        _require(permissions.can_manage_terms(actor, term.organization))
    if term.end_date is not None:
        raise ValidationError(_("This term already ended on %(date)s.") % {"date": _d(term.end_date)})
    validate_term(
        organization=term.organization,
        name=term.name,
        start_date=term.start_date,
        end_date=end_date,
        exclude_pk=term.pk,
    )
    term.end_date = end_date
    with _as(actor):
        term.save(update_fields=["end_date"])
    return term


# --- positions --------------------------------------------------------------------------------------------


@transaction.atomic
def position_assign(
    *,
    actor,
    member: Member,
    organization: Organization,
    title: PositionTitle,
    start_date: datetime.date,
    end_date: datetime.date | None = None,
) -> Position:
    """Appoint ``member`` to ``title`` in ``organization`` from ``start_date`` (until ``end_date``)."""
    if actor is not None:
        _require(permissions.can_assign_position(actor, organization))
    if organization.is_external:
        message = _("Positions cannot be held in an external organization (%(name)s).")
        raise ValidationError({"organization": message % {"name": organization.name}})
    if start_date is None:
        raise ValidationError({"start_date": _("The start date is required.")})
    if end_date is not None and end_date < start_date:
        raise ValidationError({"end_date": _("The end date cannot be before the start date.")})
    same = Position.objects.filter(member=member, organization=organization, title=title).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=start_date)
    )
    if end_date is not None:
        same = same.filter(start_date__lte=end_date)
    clash = same.order_by("start_date").first()
    if clash is not None:
        raise ValidationError(
            _("%(member)s already holds the position %(title)s in %(organization)s from %(start)s to %(end)s.")
            % {
                "member": member.full_name,
                "title": title.name,
                "organization": organization.name,
                "start": _d(clash.start_date),
                "end": _d(clash.end_date),
            },
            code="overlap",
        )
    with _as(actor):
        position = Position.objects.create(
            member=member, organization=organization, title=title, start_date=start_date, end_date=end_date
        )
    if member.user_id:
        selectors.forget_access(member.user)
    return position


@transaction.atomic
def position_end(*, actor, position: Position, end_date: datetime.date | None = None) -> Position:
    """End ``position`` on ``end_date`` (today by default); the holder loses its roles the day after."""
    if actor is not None:
        _require(permissions.can_assign_position(actor, position.organization))
    end_date = end_date or selectors.today()
    if position.end_date is not None and position.end_date < selectors.today():
        raise ValidationError(_("This position already ended on %(date)s.") % {"date": _d(position.end_date)})
    if end_date < position.start_date:
        raise ValidationError(
            {
                "end_date": _("The end date cannot be before the start date (%(date)s).")
                % {"date": _d(position.start_date)}
            }
        )
    position.end_date = end_date
    with _as(actor):
        position.save(update_fields=["end_date"])
    if position.member.user_id:
        selectors.forget_access(position.member.user)
    return position


# --- members and user accounts ----------------------------------------------------------------------------


@transaction.atomic
def member_link_user(*, actor, member: Member, user: User | None) -> Member:  # type: ignore[valid-type]
    """Link ``member`` to the login ``user`` (``None`` unlinks). One account per member and vice versa."""
    if actor is not None:
        _require(permissions.can_link_user(actor, member))
    member = Member.objects.select_for_update().get(pk=member.pk)
    if user is not None:
        if member.user_id == user.pk:
            return member
        if member.user_id is not None:
            raise ValidationError(
                {
                    "user": _("%(member)s is already linked to the account %(username)s; unlink it first.")
                    % {"member": member.full_name, "username": member.user.username}
                }
            )
        other = Member.objects.filter(user=user).exclude(pk=member.pk).first()
        if other is not None:
            raise ValidationError(
                {
                    "user": _("The account %(username)s is already linked to %(member)s.")
                    % {"username": user.username, "member": other.full_name}
                }
            )
        if not user.is_active:
            raise ValidationError({"user": _("The account %(username)s is disabled.") % {"username": user.username}})
    previous = member.user
    member.user = user
    with _as(actor):
        member.save(update_fields=["user"])
    for account in (previous, user):
        if account is not None:
            selectors.forget_access(account)
    return member
