"""Fixtures shared by every test folder: the organization tree and one user per role."""

from __future__ import annotations

import datetime
import os

import pytest

from members.models import OrganizationKind

from .factories import (
    TEST_PASSWORD,
    MemberFactory,
    OrganizationFactory,
    PositionFactory,
    PositionTitleFactory,
    UserFactory,
)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, never a downloaded browser."""
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("PARTYHUB_CHROMIUM", "/usr/bin/chromium"),
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture
def password() -> str:
    return TEST_PASSWORD


@pytest.fixture
def org_tree(db):
    """Province committee (external) → commune committee → its bodies and two cells; another commune."""
    province = OrganizationFactory(
        name="Tỉnh ủy An Giang", kind=OrganizationKind.PROVINCE_COMMITTEE, code="TU", is_external=True
    )
    commune = OrganizationFactory(
        name="Đảng bộ xã Gò Quao", kind=OrganizationKind.COMMUNE_COMMITTEE, code="ĐU", parent=province
    )
    standing = OrganizationFactory(
        name="Ban Thường vụ Đảng ủy xã Gò Quao", kind=OrganizationKind.STANDING_COMMITTEE, code="ĐU", parent=commune
    )
    office = OrganizationFactory(name="Văn phòng Đảng ủy", kind=OrganizationKind.OFFICE, code="VPĐU", parent=commune)
    cell_a = OrganizationFactory(name="Chi bộ ấp Phước Hưng", parent=commune)
    cell_b = OrganizationFactory(name="Chi bộ ấp Hòa Bình", parent=commune)
    other_commune = OrganizationFactory(
        name="Đảng bộ xã Vĩnh Hòa", kind=OrganizationKind.COMMUNE_COMMITTEE, code="ĐU", parent=province
    )
    other_cell = OrganizationFactory(name="Chi bộ ấp Vĩnh Thạnh", parent=other_commune)
    return {
        "province": province,
        "commune": commune,
        "standing": standing,
        "office": office,
        "cell_a": cell_a,
        "cell_b": cell_b,
        "other_commune": other_commune,
        "other_cell": other_cell,
    }


def _person(username, organization, title=None, position_org=None, **title_flags):
    user = UserFactory(username=username)
    member = MemberFactory(full_name=user.full_name, organization=organization, user=user)
    if title:
        PositionFactory(
            member=member,
            organization=position_org or organization,
            title=PositionTitleFactory(name=title, **title_flags),
            start_date=datetime.date(2025, 9, 1),
        )
    return user


@pytest.fixture
def clerk(org_tree):
    return _person("clerk", org_tree["cell_a"], "Văn thư", org_tree["office"], grants_clerk=True)


@pytest.fixture
def leader(org_tree):
    return _person("leader", org_tree["cell_a"], "Bí thư Đảng ủy", org_tree["commune"], grants_leader=True)


@pytest.fixture
def handler(org_tree):
    return _person("handler", org_tree["cell_b"], "Chuyên viên", org_tree["office"], grants_handler=True)


@pytest.fixture
def cell_secretary(org_tree):
    return _person("cellsec", org_tree["cell_a"], "Bí thư chi bộ", grants_cell_secretary=True)


@pytest.fixture
def delegate(org_tree):
    return _person("delegate", org_tree["cell_b"], "Cấp ủy viên", org_tree["commune"], grants_delegate=True)


@pytest.fixture
def member_user(org_tree):
    return _person("member", org_tree["cell_a"])


@pytest.fixture
def outsider(org_tree):
    return _person("outsider", org_tree["other_cell"])


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)
