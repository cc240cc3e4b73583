"""The member handbook: own record, cell and secretary, fees, badges, shared sections, no-record page."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from members.handbook import HandbookItem, HandbookSection, register_handbook_section, unregister_handbook_section
from members.models import BadgeAward, FeePayment, Member
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def own(member_user, cell_secretary):
    Member.objects.filter(user=cell_secretary).update(phone="0987654321")
    Member.objects.filter(user=member_user).update(
        id_number="091080001234", phone="0912345678", current_address="Tổ 3, ấp Phước Hưng"
    )
    return Member.objects.get(user=member_user)


def test_member_sees_own_record_unmasked(client, member_user, own):
    client.force_login(member_user)
    response = client.get(reverse("members:handbook"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    content = response.content.decode()
    assert own.full_name in content
    assert "091080001234" in content
    assert "0912345678" in content
    assert "Tổ 3, ấp Phước Hưng" in content


def test_cell_and_its_secretary_with_phone(client, member_user, cell_secretary, own, org_tree):
    client.force_login(member_user)
    response = client.get(reverse("members:handbook"))
    assert [m.user for m in response.context["secretaries"]] == [cell_secretary]
    content = response.content.decode()
    assert org_tree["cell_a"].name in content
    assert 'href="tel:0987654321"' in content


def test_fees_and_badges(client, member_user, own, org_tree):
    year = datetime.date.today().year
    FeePayment.objects.create(
        member=own,
        month=datetime.date(year, 1, 1),
        amount=30000,
        paid_on=datetime.date(year, 1, 20),
        organization=org_tree["cell_a"],
    )
    BadgeAward.objects.create(member=own, years=30, awarded_on=datetime.date(2024, 2, 3))
    client.force_login(member_user)
    response = client.get(reverse("members:handbook"))
    assert [row.month for row in response.context["fees"] if row.paid] == [datetime.date(year, 1, 1)]
    content = response.content.decode()
    assert f"01/{year}" in content
    assert "30,000 đ" in content or "30.000 đ" in content
    assert "30-year party badge" in content


def test_empty_shared_sections_have_clear_empty_states(client, member_user, own):
    client.force_login(member_user)
    content = client.get(reverse("members:handbook")).content.decode()
    assert "No documents have been shared with you yet, comrade." in content
    # The meetings slot is filled by the meetings app, with its own empty state.
    assert "You have no upcoming meetings, comrade." in content


def test_an_app_fills_a_slot(client, member_user, own):
    def shared(request, member):
        assert member == own
        return HandbookSection(title="Documents shared with you", items=[HandbookItem(title="Nghị quyết 05-NQ/ĐU")])

    def broken(request, member):
        raise RuntimeError("boom")

    register_handbook_section(shared, slot="documents")
    register_handbook_section(broken)
    try:
        client.force_login(member_user)
        response = client.get(reverse("members:handbook"))
    finally:
        unregister_handbook_section(shared)
        unregister_handbook_section(broken)
    content = response.content.decode()
    assert response.status_code == 200
    assert "Nghị quyết 05-NQ/ĐU" in content
    assert "No documents have been shared with you yet" not in content
    assert "You have no upcoming meetings, comrade." in content  # the other slot, filled by the meetings app


def test_unknown_slot_is_refused():
    with pytest.raises(ValueError):
        register_handbook_section(lambda r, m: None, slot="nowhere")


def test_user_without_a_member_record_gets_a_friendly_page(client):
    user = UserFactory(username="nomember")
    client.force_login(user)
    response = client.get(reverse("members:handbook"))
    assert response.status_code == 200
    assert "Your account is not linked to a member record" in response.content.decode()
    response = client.post(reverse("members:handbook_correction"), {"message": "x"})
    assert response.status_code == 404


def test_handbook_in_the_menu_for_members(client, member_user, own):
    client.force_login(member_user)
    response = client.get(reverse("home"))
    assert {"label": "Handbook", "url": reverse("members:handbook"), "current": False} in [
        {**item, "label": str(item["label"])} for item in response.context["nav_items"]
    ]


def test_anonymous_users_are_sent_to_login(client):
    response = client.get(reverse("members:handbook"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_money_in_dong_with_the_vietnamese_separator():
    from members.templatetags.member_records import vnd

    with translation.override("vi"):
        assert vnd(1234000) == "1.234.000 đ"
    with translation.override("en"):
        assert vnd(1234000) == "1,234,000 đ"
    assert vnd(None) == ""
