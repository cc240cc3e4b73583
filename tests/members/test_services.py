"""Writes of the members app: validation with exact messages, permissions, and the happy paths."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from members import selectors, services
from members.models import Organization, OrganizationKind, Position, Term
from tests.factories import MemberFactory, PositionTitleFactory, TermFactory, UserFactory

D = datetime.date


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def messages(error: ValidationError) -> list[str]:
    return error.messages


# --- organizations ----------------------------------------------------------------------------------------


def test_organization_create_under_the_commune(leader, org_tree):
    cell = services.organization_create(
        actor=leader, name=" Chi bộ ấp Thủy Liễu ", kind=OrganizationKind.CELL, code="CB", parent=org_tree["commune"]
    )
    cell.refresh_from_db()
    assert cell.name == "Chi bộ ấp Thủy Liễu"
    assert cell.parent == org_tree["commune"]
    assert cell.is_external is False
    assert cell.place_name == org_tree["commune"].place_name
    assert cell.pk in selectors.descendant_ids([org_tree["commune"].pk])


def test_province_is_external_by_default(admin_user):
    province = services.organization_create(
        actor=admin_user, name="Tỉnh ủy Cà Mau", kind=OrganizationKind.PROVINCE_COMMITTEE, code="TU"
    )
    assert province.is_external is True


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"name": "  "}, "name", "The name is required."),
        ({"code": ""}, "code", "The symbol code is required (e.g. ĐU, CB, VPĐU, UBKT)."),
        ({"kind": "ward"}, "kind", "Unknown kind of organization: ward."),
        ({"parent": None}, "parent", "A Party cell must have a parent organization."),
        ({"name": "Chi bộ ấp Phước Hưng"}, "name", "An organization named “Chi bộ ấp Phước Hưng” already exists here."),
        ({"is_external": True}, "is_external", "Only organizations above the commune can be external."),
    ],
)
def test_organization_create_rejects_bad_input(admin_user, org_tree, kwargs, field, message):
    data = {"name": "Chi bộ mới", "kind": OrganizationKind.CELL, "code": "CB", "parent": org_tree["commune"]}
    data.update(kwargs)
    with pytest.raises(ValidationError) as caught:
        services.organization_create(actor=admin_user, **data)
    assert caught.value.message_dict == {field: [message]}


def test_organization_create_rejects_a_cell_under_a_cell(admin_user, org_tree):
    with pytest.raises(ValidationError) as caught:
        services.organization_create(
            actor=admin_user, name="Chi bộ con", kind=OrganizationKind.CELL, code="CB", parent=org_tree["cell_a"]
        )
    assert caught.value.message_dict == {"parent": ["A Party cell cannot be placed under Chi bộ ấp Phước Hưng."]}


def test_organization_create_needs_management_of_the_parent(org_tree, handler, cell_secretary, outsider, leader):
    for actor in (handler, outsider):
        with pytest.raises(PermissionDenied):
            services.organization_create(
                actor=actor, name="Chi bộ X", kind=OrganizationKind.CELL, code="CB", parent=org_tree["commune"]
            )
    with pytest.raises(PermissionDenied):  # only the administrator creates top-level organizations
        services.organization_create(
            actor=leader, name="Tỉnh ủy Y", kind=OrganizationKind.PROVINCE_COMMITTEE, code="TU"
        )
    assert not Organization.objects.filter(name__in=["Chi bộ X", "Tỉnh ủy Y"]).exists()


# --- terms ------------------------------------------------------------------------------------------------


def test_term_create_and_end(leader, org_tree):
    commune = org_tree["commune"]
    old = services.term_create(actor=leader, organization=commune, name="2020–2025", start_date=D(2020, 8, 25))
    services.term_end(actor=leader, term=old, end_date=D(2025, 8, 20))
    new = services.term_create(actor=leader, organization=commune, name="2025–2030", start_date=D(2025, 8, 20))
    assert list(Term.objects.filter(organization=commune).order_by("start_date")) == [old, new]
    assert selectors.current_term(commune, on=D(2025, 8, 19)) == old
    assert selectors.current_term(commune, on=D(2026, 1, 1)) == new


@pytest.mark.parametrize(
    ("name", "start", "end", "message"),
    [
        ("2030–2035", D(2030, 1, 1), D(2030, 1, 1), "The end date must be after the start date."),
        ("2030–2035", D(2030, 1, 1), D(2029, 1, 1), "The end date must be after the start date."),
        (
            "2025–2030",
            D(2031, 1, 1),
            None,
            "This organization already has a term named “2025–2030”.",
        ),
        (
            "2027–2032",
            D(2027, 1, 1),
            None,
            "This term overlaps the term 2025–2030 (01/09/2025 – 31/12/2029) of this organization.",
        ),
        (
            "2024–2026",
            D(2024, 1, 1),
            D(2026, 1, 1),
            "This term overlaps the term 2025–2030 (01/09/2025 – 31/12/2029) of this organization.",
        ),
        ("", D(2031, 1, 1), None, "The name is required."),
    ],
)
def test_term_create_rejects_bad_input(leader, org_tree, name, start, end, message):
    TermFactory(organization=org_tree["commune"], name="2025–2030", start_date=D(2025, 9, 1), end_date=D(2029, 12, 31))
    with pytest.raises(ValidationError) as caught:
        services.term_create(actor=leader, organization=org_tree["commune"], name=name, start_date=start, end_date=end)
    assert messages(caught.value) == [message]
    assert Term.objects.filter(organization=org_tree["commune"]).count() == 1


def test_terms_touching_at_the_boundary_do_not_overlap(leader, org_tree):
    TermFactory(organization=org_tree["commune"], name="A", start_date=D(2020, 1, 1), end_date=D(2025, 1, 1))
    services.term_create(actor=leader, organization=org_tree["commune"], name="B", start_date=D(2025, 1, 1))
    with pytest.raises(ValidationError) as caught:  # an open term blocks every later one
        services.term_create(actor=leader, organization=org_tree["commune"], name="C", start_date=D(2040, 1, 1))
    assert messages(caught.value) == ["This term overlaps the term B (01/01/2025 – …) of this organization."]


def test_term_end_twice_is_refused(leader, org_tree):
    term = TermFactory(organization=org_tree["commune"], start_date=D(2025, 9, 1), end_date=D(2030, 9, 1))
    with pytest.raises(ValidationError) as caught:
        services.term_end(actor=leader, term=term, end_date=D(2030, 10, 1))
    assert messages(caught.value) == ["This term already ended on 01/09/2030."]


def test_term_create_is_refused_to_those_who_cannot_manage(org_tree, handler, member_user, cell_secretary):
    for actor in (handler, member_user):
        with pytest.raises(PermissionDenied):
            services.term_create(actor=actor, organization=org_tree["commune"], name="X", start_date=D(2025, 1, 1))
    with pytest.raises(PermissionDenied):  # a cell secretary manages their own cell only
        services.term_create(actor=cell_secretary, organization=org_tree["cell_b"], name="X", start_date=D(2025, 1, 1))
    services.term_create(actor=cell_secretary, organization=org_tree["cell_a"], name="X", start_date=D(2025, 1, 1))


# --- positions --------------------------------------------------------------------------------------------


def test_position_assign_grants_roles_and_end_removes_them(leader, org_tree):
    user = UserFactory(username="newclerk")
    member = MemberFactory(organization=org_tree["cell_b"], user=user)
    title = PositionTitleFactory(name="Văn thư", grants_clerk=True)
    assert selectors.roles_for(user) == frozenset({"member"})
    today = selectors.today()
    position = services.position_assign(
        actor=leader, member=member, organization=org_tree["office"], title=title, start_date=today
    )
    assert selectors.roles_for(user) == frozenset({"member", "clerk"})
    services.position_end(actor=leader, position=position, end_date=today)
    assert Position.objects.get(pk=position.pk).end_date == today
    # Ended today: still held today, gone tomorrow.
    yesterday_end = services.position_assign(
        actor=leader,
        member=member,
        organization=org_tree["office"],
        title=PositionTitleFactory(name="Chuyên viên", grants_handler=True),
        start_date=today - datetime.timedelta(days=10),
        end_date=today - datetime.timedelta(days=1),
    )
    assert "handler" not in selectors.roles_for(user)
    with pytest.raises(ValidationError) as caught:
        services.position_end(actor=leader, position=yesterday_end, end_date=today)
    assert messages(caught.value) == [
        f"This position already ended on {(today - datetime.timedelta(days=1)).strftime('%d/%m/%Y')}."
    ]


def test_position_assign_rejects_bad_input(leader, org_tree, clerk):
    member = clerk.member
    title = PositionTitleFactory(name="Văn thư")  # the clerk holds it in the office since 2025-09-01
    with pytest.raises(ValidationError) as caught:
        services.position_assign(
            actor=leader, member=member, organization=org_tree["office"], title=title, start_date=D(2026, 1, 1)
        )
    assert messages(caught.value) == [
        f"{member.full_name} already holds the position Văn thư in Văn phòng Đảng ủy from 01/09/2025 to …."
    ]
    with pytest.raises(ValidationError) as caught:
        services.position_assign(
            actor=None,
            member=member,
            organization=org_tree["province"],
            title=title,
            start_date=D(2026, 1, 1),
        )
    assert caught.value.message_dict == {
        "organization": ["Positions cannot be held in an external organization (Tỉnh ủy An Giang)."]
    }
    with pytest.raises(ValidationError) as caught:
        services.position_assign(
            actor=leader,
            member=member,
            organization=org_tree["standing"],
            title=title,
            start_date=D(2026, 1, 1),
            end_date=D(2025, 12, 31),
        )
    assert caught.value.message_dict == {"end_date": ["The end date cannot be before the start date."]}
    position = Position.objects.get(member=member)
    with pytest.raises(ValidationError) as caught:
        services.position_end(actor=leader, position=position, end_date=D(2025, 8, 31))
    assert caught.value.message_dict == {"end_date": ["The end date cannot be before the start date (01/09/2025)."]}


def test_position_assign_refused_to_members_and_outsiders(org_tree, member_user, outsider, handler):
    title = PositionTitleFactory(name="Văn thư", grants_clerk=True)
    for actor in (member_user, outsider, handler):
        with pytest.raises(PermissionDenied):
            services.position_assign(
                actor=actor,
                member=actor.member,
                organization=org_tree["office"],
                title=title,
                start_date=D(2026, 1, 1),
            )
    assert not Position.objects.filter(title=title, member__user__in=[member_user, outsider, handler]).exists()


# --- linking members and accounts -------------------------------------------------------------------------


def test_member_link_user(admin_user, org_tree):
    member = MemberFactory(organization=org_tree["cell_a"], full_name="Lê Thị Hạnh")
    user = UserFactory(username="hanh")
    assert selectors.roles_for(user) == frozenset()
    services.member_link_user(actor=admin_user, member=member, user=user)
    member.refresh_from_db()
    assert member.user == user
    assert selectors.roles_for(user) == frozenset({"member"})
    services.member_link_user(actor=admin_user, member=member, user=user)  # idempotent
    services.member_link_user(actor=admin_user, member=member, user=None)
    member.refresh_from_db()
    assert member.user is None
    # Roles are cached per user object; a fresh object (the next request) sees the change.
    assert selectors.roles_for(type(user).objects.get(pk=user.pk)) == frozenset()


def test_member_link_user_rejects_bad_input(admin_user, member_user, org_tree, leader):
    other = MemberFactory(organization=org_tree["cell_a"], full_name="Phạm Văn Tài")
    with pytest.raises(ValidationError) as caught:
        services.member_link_user(actor=admin_user, member=other, user=member_user)
    assert caught.value.message_dict == {
        "user": [f"The account member is already linked to {member_user.member.full_name}."]
    }
    with pytest.raises(ValidationError) as caught:
        services.member_link_user(actor=admin_user, member=member_user.member, user=UserFactory(username="x2"))
    assert caught.value.message_dict == {
        "user": [f"{member_user.member.full_name} is already linked to the account member; unlink it first."]
    }
    disabled = UserFactory(username="disabled", is_active=False)
    with pytest.raises(ValidationError) as caught:
        services.member_link_user(actor=admin_user, member=other, user=disabled)
    assert caught.value.message_dict == {"user": ["The account disabled is disabled."]}
    with pytest.raises(PermissionDenied):  # deciding who a login is belongs to the administrator
        services.member_link_user(actor=leader, member=other, user=UserFactory(username="x3"))
