"""``manage.py seed_demo``: a realistic organization, one login per role, and idempotent."""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from members import selectors
from members.models import Member, Organization, OrganizationKind, Position, Term

pytestmark = pytest.mark.django_db

EXPECTED_ROLES = {
    "admin": "admin",
    "bithu": "leader",
    "vanthu": "clerk",
    "chuyenvien": "handler",
    "bithuchibo": "cell_secretary",
    "daibieu": "delegate",
    "dangvien": "member",
}


def seed(*args) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    models = [*apps.get_app_config("members").get_models(), get_user_model(), TOTPDevice, StaticToken]
    return {model._meta.label: model.objects.count() for model in models}


def test_seed_demo_builds_the_commune_and_is_idempotent():
    output = seed("--password", "Demo-password-2026")
    first = row_counts()
    snapshot = {
        "members": list(Member.objects.order_by("pk").values()),
        "positions": list(Position.objects.order_by("pk").values()),
        "users": list(get_user_model().objects.order_by("pk").values("username", "password", "full_name")),
    }
    second_output = seed("--password", "Demo-password-2026")
    assert row_counts() == first
    assert list(Member.objects.order_by("pk").values()) == snapshot["members"]
    assert list(Position.objects.order_by("pk").values()) == snapshot["positions"]
    assert (
        list(get_user_model().objects.order_by("pk").values("username", "password", "full_name")) == snapshot["users"]
    )
    assert "created nothing" in second_output

    # The tree of domain.md §1.
    commune = Organization.objects.get(kind=OrganizationKind.COMMUNE_COMMITTEE)
    assert commune.name == "Đảng bộ xã Gò Quao" and commune.code == "ĐU" and commune.place_name == "Gò Quao"
    assert commune.parent.is_external and commune.parent.code == "TU"
    children = {o.kind: o.code for o in commune.children.exclude(kind=OrganizationKind.CELL)}
    assert children == {
        "executive_committee": "ĐU",
        "standing_committee": "ĐU",
        "inspection_committee": "UBKT",
        "office": "VPĐU",
    }
    cells = commune.children.filter(kind=OrganizationKind.CELL)
    assert 6 <= cells.count() <= 8
    assert set(cells.values_list("code", flat=True)) == {"CB"}
    assert {"Chi bộ Công an xã", "Chi bộ Quân sự xã"} <= set(cells.values_list("name", flat=True))
    assert Term.objects.filter(organization=commune, name="2025–2030", end_date__isnull=True).exists()
    assert all(Term.objects.filter(organization=c, name="2025–2030").exists() for c in cells)

    # About a hundred members with Vietnamese names, sex consistent with the middle name, unique cards.
    members = list(Member.objects.all())
    assert 90 <= len(members) <= 120
    assert len({m.party_card_number for m in members}) == len(members)
    for m in members:
        middle = m.full_name.split()[1]
        if middle == "Thị":
            assert m.sex == "female", m.full_name
        if middle == "Văn":
            assert m.sex == "male", m.full_name
        assert m.admission_date and m.date_of_birth and m.date_of_birth < m.admission_date
    assert any(any(ch in m.full_name for ch in "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệịọỏốồổỗộớờởỡợụủứừửữựỳỷỹ") for m in members)
    assert {m.status for m in members} == {"official", "probationary"}

    # One login per role, holding exactly the role it demonstrates (plus membership).
    User = get_user_model()
    for username, role in EXPECTED_ROLES.items():
        user = User.objects.get(username=username)
        assert user.check_password("Demo-password-2026"), username
        roles = selectors.roles_for(user)
        assert role in roles, (username, roles)
        assert username in output
    assert selectors.roles_for(User.objects.get(username="dangvien")) == {"member"}
    assert selectors.roles_for(User.objects.get(username="daibieu")) == {"member", "delegate"}
    assert selectors.roles_for(User.objects.get(username="vanthu")) == {"member", "clerk"}
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff

    # The admin's second factor: the printed secret and backup codes work.
    device = TOTPDevice.objects.get(user=admin, confirmed=True)
    assert device.verify_token(f"{totp(device.bin_key):06d}")
    codes = list(StaticToken.objects.filter(device__user=admin).values_list("token", flat=True))
    assert len(codes) >= 5
    assert all(code in output for code in codes)
    import base64

    assert base64.b32encode(device.bin_key).decode() in output


def test_reset_passwords():
    seed()
    user = get_user_model().objects.get(username="vanthu")
    assert user.check_password("PartyHub-demo-2026")
    seed("--password", "Another-password-2026")
    user.refresh_from_db()
    assert user.check_password("PartyHub-demo-2026")  # existing logins keep theirs
    seed("--password", "Another-password-2026", "--reset-passwords")
    user.refresh_from_db()
    assert user.check_password("Another-password-2026")
