"""Roles and visibility per role (clerk, leader, handler, cell secretary, delegate, member, outsider, admin)."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser

from members import permissions, selectors
from members.models import Member, Organization, OrganizationKind, Role
from tests.factories import MemberFactory, OrganizationFactory, PositionFactory, PositionTitleFactory, UserFactory

ALL = ["province", "commune", "standing", "office", "cell_a", "cell_b", "other_commune", "other_cell"]
COMMUNE_TREE = ["commune", "standing", "office", "cell_a", "cell_b"]

ROLE_MATRIX = {
    # fixture: (roles, organizations visible, organizations managed)
    "admin_user": ({"admin"}, ALL, ALL),
    "clerk": ({"clerk", "member"}, COMMUNE_TREE, COMMUNE_TREE),
    "leader": ({"leader", "member"}, COMMUNE_TREE, COMMUNE_TREE),
    "handler": ({"handler", "member"}, COMMUNE_TREE, []),
    "cell_secretary": ({"cell_secretary", "member"}, ["cell_a"], ["cell_a"]),
    "delegate": ({"delegate", "member"}, ["commune", "cell_b"], []),
    "member_user": ({"member"}, ["cell_a"], []),
    "outsider": ({"member"}, ["other_cell"], []),
}


@pytest.fixture
def everyone(request, org_tree):
    return {name: request.getfixturevalue(name) for name in ROLE_MATRIX}


def _names(org_tree, ids):
    by_id = {org.pk: name for name, org in org_tree.items()}
    return sorted(by_id[i] for i in ids)


@pytest.mark.parametrize("who", list(ROLE_MATRIX))
def test_roles_and_organization_visibility(who, everyone, org_tree):
    user = everyone[who]
    roles, visible, managed = ROLE_MATRIX[who]
    assert selectors.roles_for(user) == frozenset(roles)
    assert _names(org_tree, selectors.organizations_visible_to(user).values_list("id", flat=True)) == sorted(visible)
    for name, org in org_tree.items():
        assert permissions.can_view_organization(user, org) is (name in visible), name
        manages = name in managed and (who == "admin_user" or not org.is_external)
        assert permissions.can_manage_organization(user, org) is manages, name


def test_member_visibility(everyone, org_tree):
    cell_a_members = set(Member.objects.filter(organization=org_tree["cell_a"]).values_list("pk", flat=True))
    tree_members = set(
        Member.objects.filter(organization__in=[org_tree[n] for n in COMMUNE_TREE]).values_list("pk", flat=True)
    )
    assert cell_a_members and tree_members > cell_a_members

    def visible(name):
        return set(selectors.members_visible_to(everyone[name]).values_list("pk", flat=True))

    assert visible("admin_user") == set(Member.objects.values_list("pk", flat=True))
    for name in ("clerk", "leader", "handler"):
        assert visible(name) == tree_members, name
    assert visible("cell_secretary") == cell_a_members
    for name in ("delegate", "member_user", "outsider"):
        assert visible(name) == {everyone[name].member.pk}, name
    outsider_member = everyone["outsider"].member
    assert not permissions.can_view_member(everyone["leader"], outsider_member)
    assert permissions.can_view_member(everyone["outsider"], outsider_member)
    assert permissions.can_view_member(everyone["cell_secretary"], everyone["member_user"].member)
    assert not permissions.can_view_member(everyone["member_user"], everyone["cell_secretary"].member)
    assert permissions.can_manage_member(everyone["cell_secretary"], everyone["member_user"].member)
    assert not permissions.can_manage_member(everyone["handler"], everyone["member_user"].member)


def test_anonymous_and_inactive_users_see_nothing(leader, org_tree):
    anonymous = AnonymousUser()
    assert selectors.roles_for(anonymous) == frozenset()
    assert not selectors.organizations_visible_to(anonymous).exists()
    assert not selectors.members_visible_to(anonymous).exists()
    assert not permissions.can_view_organization(anonymous, org_tree["commune"])
    leader.is_active = False
    leader.save()
    selectors.forget_access(leader)
    assert selectors.roles_for(leader) == frozenset()
    assert not selectors.organizations_visible_to(leader).exists()


def test_user_without_member_record_holds_no_role(db, org_tree):
    user = UserFactory(username="nobody")
    assert selectors.roles_for(user) == frozenset()
    assert not selectors.organizations_visible_to(user).exists()
    assert not selectors.members_visible_to(user).exists()


def test_positions_count_only_while_current(db, org_tree):
    user = UserFactory(username="former")
    member = MemberFactory(organization=org_tree["cell_b"], user=user)
    title = PositionTitleFactory(name="Văn thư cũ", grants_clerk=True)
    today = selectors.today()
    PositionFactory(
        member=member,
        organization=org_tree["office"],
        title=title,
        start_date=today - datetime.timedelta(days=400),
        end_date=today - datetime.timedelta(days=1),
    )
    PositionFactory(
        member=member,
        organization=org_tree["office"],
        title=PositionTitleFactory(name="Chuyên viên sắp tới", grants_handler=True),
        start_date=today + datetime.timedelta(days=1),
    )
    assert selectors.roles_for(user) == frozenset({"member"})
    PositionFactory(member=member, organization=org_tree["office"], title=title, start_date=today, end_date=today)
    selectors.forget_access(user)
    assert selectors.roles_for(user) == frozenset({"member", "clerk"})
    assert selectors.organizations_with_role(user, Role.CLERK) == {org_tree["office"].pk}


def test_roles_are_cached_per_user_object(leader, django_assert_num_queries):
    fresh = type(leader).objects.get(pk=leader.pk)
    with django_assert_num_queries(2):
        selectors.roles_for(fresh)
    with django_assert_num_queries(0):
        selectors.roles_for(fresh)
        selectors.organizations_with_role(fresh, Role.LEADER)
        selectors.organization_roles(fresh)


def test_organizations_with_role(everyone, org_tree):
    assert selectors.organizations_with_role(everyone["clerk"], Role.CLERK) == {org_tree["office"].pk}
    assert selectors.organizations_with_role(everyone["clerk"], Role.MEMBER) == {org_tree["cell_a"].pk}
    assert selectors.organizations_with_role(everyone["clerk"], Role.LEADER) == set()
    assert selectors.organizations_with_role(everyone["leader"], Role.LEADER) == {org_tree["commune"].pk}
    assert selectors.organizations_with_role(everyone["cell_secretary"], Role.CELL_SECRETARY) == {org_tree["cell_a"].pk}
    assert selectors.organizations_with_role(everyone["admin_user"], Role.ADMIN) == set(
        Organization.objects.values_list("pk", flat=True)
    )
    assert selectors.organizations_with_role(everyone["leader"], Role.ADMIN) == set()
    assert selectors.organization_roles(everyone["leader"]) == {
        org_tree["commune"].pk: frozenset({"leader"}),
        org_tree["cell_a"].pk: frozenset({"member"}),
    }


def test_descendants_of_a_deep_tree_in_one_query(org_tree, django_assert_num_queries):
    commune = org_tree["commune"]
    # A deeper chain than the real tree, to prove every level is reached.
    node = org_tree["cell_a"]
    chain = []
    for depth in range(4):
        node = OrganizationFactory(name=f"Tổ đảng {depth}", parent=node)
        chain.append(node)
    with django_assert_num_queries(1):
        ids = selectors.descendant_ids([commune.pk])
    expected = {org_tree[n].pk for n in COMMUNE_TREE} | {n.pk for n in chain}
    assert ids == expected
    assert set(selectors.organization_descendants(commune).values_list("pk", flat=True)) == expected - {commune.pk}
    assert set(selectors.organization_descendants(commune, include_self=True).values_list("pk", flat=True)) == (
        expected
    )
    assert selectors.descendant_ids([]) == set()
    assert selectors.descendant_ids([org_tree["other_cell"].pk], include_self=False) == set()


def test_descendants_stop_on_a_cycle(org_tree):
    a = OrganizationFactory(name="Vòng A", kind=OrganizationKind.CELL)
    b = OrganizationFactory(name="Vòng B", parent=a)
    Organization.objects.filter(pk=a.pk).update(parent=b)  # corrupt data must not hang the walk
    assert selectors.descendant_ids([a.pk]) == {a.pk, b.pk}


def test_role_required_adapter(everyone, rf):
    permission = permissions.role_required(Role.CLERK, Role.LEADER)()
    for name, allowed in {
        "clerk": True,
        "leader": True,
        "admin_user": True,
        "handler": False,
        "member_user": False,
        "outsider": False,
    }.items():
        request = rf.get("/")
        request.user = everyone[name]
        assert permission.has_permission(request, None) is allowed, name
    request = rf.get("/")
    request.user = AnonymousUser()
    assert permission.has_permission(request, None) is False
