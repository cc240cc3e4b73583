"""The Django admin of organizations, terms, members, titles, positions and users."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from members.models import Member, Organization, Position, PositionTitle, Term
from tests.factories import TermFactory


@pytest.fixture
def admin_client(client, admin_user):
    """A superuser whose session passed the second factor (the admin requires it)."""
    device = TOTPDevice.objects.create(user=admin_user, name="test", confirmed=True)
    client.force_login(admin_user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.mark.parametrize(
    ("model", "query"),
    [
        (Organization, {"q": "Gò Quao", "kind__exact": "cell"}),
        (Term, {"q": "2025", "period": "current"}),
        (Member, {"q": "Nguyễn", "status__exact": "official"}),
        (PositionTitle, {"q": "Văn thư", "grants_clerk__exact": "1"}),
        (Position, {"q": "Văn thư", "period": "current"}),
    ],
)
def test_changelists_with_search_and_filters(admin_client, clerk, leader, org_tree, model, query):
    TermFactory(organization=org_tree["commune"], name="2025–2030", start_date=datetime.date(2025, 8, 1))
    url = reverse(f"admin:members_{model._meta.model_name}_changelist")
    assert admin_client.get(url).status_code == 200
    response = admin_client.get(url, query)
    assert response.status_code == 200
    assert "cl" in response.context


def test_changelist_content(admin_client, clerk, org_tree):
    response = admin_client.get(reverse("admin:members_position_changelist"), {"q": "Văn thư"})
    assert clerk.member.full_name in response.content.decode()
    response = admin_client.get(reverse("admin:members_organization_changelist"), {"kind__exact": "office"})
    body = response.content.decode()
    assert "Văn phòng Đảng ủy" in body and "Chi bộ ấp Phước Hưng" not in body


def test_change_forms_open(admin_client, clerk, org_tree):
    for model, obj in [
        (Organization, org_tree["commune"]),
        (Member, clerk.member),
        (Position, Position.objects.get(member=clerk.member)),
        (PositionTitle, PositionTitle.objects.get(name="Văn thư")),
    ]:
        url = reverse(f"admin:members_{model._meta.model_name}_change", args=[obj.pk])
        assert admin_client.get(url).status_code == 200, model
    assert admin_client.get(reverse("admin:members_term_add")).status_code == 200


def test_admin_term_form_refuses_an_overlap(admin_client, org_tree):
    TermFactory(organization=org_tree["commune"], name="2025–2030", start_date=datetime.date(2025, 8, 1))
    with translation.override("en"):
        response = admin_client.post(
            reverse("admin:members_term_add"),
            {"organization": org_tree["commune"].pk, "name": "2026–2031", "start_date": "2026-01-01"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 200
    assert Term.objects.filter(organization=org_tree["commune"]).count() == 1
    assert "overlaps the term 2025–2030" in response.content.decode() or "2025–2030" in str(
        response.context["adminform"].form.errors
    )


def test_admin_organization_form_refuses_a_bad_placement(admin_client, org_tree):
    response = admin_client.post(
        reverse("admin:members_organization_add"),
        {"name": "Chi bộ lạc", "kind": "cell", "code": "CB", "parent": org_tree["cell_a"].pk, "order": 0},
    )
    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
    assert not Organization.objects.filter(name="Chi bộ lạc").exists()


def test_user_admin(admin_client, clerk):
    url = reverse("admin:partyhub_user_changelist")
    response = admin_client.get(url, {"q": clerk.member.full_name, "preferred_language__exact": "en"})
    assert response.status_code == 200
    assert "clerk" in response.content.decode()
    assert admin_client.get(reverse("admin:partyhub_user_change", args=[clerk.pk])).status_code == 200
    assert admin_client.get(reverse("admin:partyhub_user_add")).status_code == 200


def test_admin_refuses_non_staff(client, leader):
    client.force_login(leader)
    response = client.get(reverse("admin:members_organization_changelist"))
    assert response.status_code in (302, 403, 404)
