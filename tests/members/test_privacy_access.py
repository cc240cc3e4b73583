"""Who sees which member record, and what of it: the access matrix by the pages, masking, audit of views."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from members import permissions
from members.models import Member
from partyhub.models import AuditEntry
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

SECRET = {"id_number": "091080001234", "phone": "0912345678", "permanent_address": "Ấp Phước Hưng, xã Gò Quao"}


@pytest.fixture
def targets(org_tree):
    return {
        "own_cell": MemberFactory(full_name="Phạm Văn Ô", organization=org_tree["cell_a"], **SECRET),
        "other_cell": MemberFactory(full_name="Phạm Văn Bê", organization=org_tree["cell_b"], **SECRET),
        "other_org": MemberFactory(full_name="Phạm Văn Xê", organization=org_tree["other_cell"], **SECRET),
    }


# role fixture → (own cell, other cell, other organization): the page answers 200 or 404.
MATRIX = {
    "admin_user": (200, 200, 200),
    "leader": (200, 200, 404),
    "clerk": (200, 200, 404),
    "handler": (200, 200, 404),
    "cell_secretary": (200, 404, 404),
    "delegate": (404, 404, 404),
    "member_user": (404, 404, 404),
    "outsider": (404, 404, 404),
}
EDIT_MATRIX = {
    "admin_user": (200, 200, 200),
    "leader": (200, 200, 404),
    "clerk": (200, 200, 404),
    "handler": (404, 404, 404),
    "cell_secretary": (200, 404, 404),
    "delegate": (404, 404, 404),
    "member_user": (404, 404, 404),
    "outsider": (404, 404, 404),
}
# Who sees the personal data of a member of cell_a unmasked.
PERSONAL = {
    "admin_user": True,
    "leader": True,
    "clerk": True,
    "handler": False,
    "cell_secretary": True,
    "delegate": False,
    "member_user": False,
    "outsider": False,
}


@pytest.mark.parametrize("role", list(MATRIX))
def test_record_page_access_matrix(client, request, targets, role):
    user = request.getfixturevalue(role)
    client.force_login(user)
    for place, expected in zip(("own_cell", "other_cell", "other_org"), MATRIX[role], strict=True):
        response = client.get(reverse("members:detail", args=[targets[place].pk]))
        assert response.status_code == expected, (role, place)
        if expected == 200:
            assert targets[place].full_name in response.content.decode()


@pytest.mark.parametrize("role", list(EDIT_MATRIX))
def test_edit_page_access_matrix(client, request, targets, role):
    user = request.getfixturevalue(role)
    client.force_login(user)
    for place, expected in zip(("own_cell", "other_cell", "other_org"), EDIT_MATRIX[role], strict=True):
        response = client.get(reverse("members:edit", args=[targets[place].pk]))
        assert response.status_code == expected, (role, place)


@pytest.mark.parametrize("role", list(MATRIX))
def test_member_list_shows_only_visible_members(client, request, targets, role):
    user = request.getfixturevalue(role)
    client.force_login(user)
    response = client.get(reverse("members:list"))
    if role in {"member_user", "outsider", "delegate"}:
        # Nobody's records but their own: the list sends them to their handbook.
        assert response.status_code == 302
        assert response["Location"] == reverse("members:handbook")
        return
    assert response.status_code == 200
    listed = {m.pk for m in response.context["members"]}
    for place, expected in zip(("own_cell", "other_cell", "other_org"), MATRIX[role], strict=True):
        assert (targets[place].pk in listed) == (expected == 200), (role, place)


def test_member_sees_their_own_record(client, member_user):
    client.force_login(member_user)
    own = Member.objects.get(user=member_user)
    response = client.get(reverse("members:detail", args=[own.pk]))
    assert response.status_code == 200
    assert response.context["can_manage"] is False


@pytest.mark.parametrize("role", list(PERSONAL))
def test_personal_data_unmasked_only_for_those_who_need_it(request, targets, role):
    user = request.getfixturevalue(role)
    assert permissions.can_view_personal_data(user, targets["own_cell"]) is PERSONAL[role]
    # Nobody of this commune sees the personal data of the other commune's members (admins excepted).
    assert permissions.can_view_personal_data(user, targets["other_org"]) is (role == "admin_user")


def test_masked_on_the_page_for_a_handler(client, handler, targets):
    client.force_login(handler)
    content = client.get(reverse("members:detail", args=[targets["own_cell"].pk])).content.decode()
    assert "091080001234" not in content
    assert "0912345678" not in content
    assert "Ấp Phước Hưng, xã Gò Quao" not in content
    assert "•••••••••234" in content
    assert "•••••••678" in content


def test_unmasked_on_the_page_for_the_cell_secretary(client, cell_secretary, targets):
    client.force_login(cell_secretary)
    content = client.get(reverse("members:detail", args=[targets["own_cell"].pk])).content.decode()
    assert "091080001234" in content
    assert "0912345678" in content


def test_mask_keeps_the_last_three_characters():
    assert permissions.mask("091080001234") == "•••••••••234"
    assert permissions.mask("0912345678") == "•••••••678"
    assert permissions.mask("ab") == "••"
    assert permissions.mask("") == ""
    assert permissions.mask(None) == ""


def test_every_view_of_a_record_is_audited(client, clerk, targets):
    client.force_login(clerk)
    member = targets["own_cell"]
    before = AuditEntry.objects.filter(action="view", object_id=str(member.pk)).count()
    client.get(reverse("members:detail", args=[member.pk]))
    client.get(reverse("members:detail", args=[member.pk]))
    views = AuditEntry.objects.filter(action="view", object_id=str(member.pk)).order_by("id")
    assert views.count() == before + 2
    assert views.last().actor_id == clerk.pk
    assert views.last().object_type.endswith("member")


def test_a_forbidden_record_view_is_not_audited(client, outsider, targets):
    client.force_login(outsider)
    member = targets["own_cell"]
    client.get(reverse("members:detail", args=[member.pk]))
    assert not AuditEntry.objects.filter(action="view", object_id=str(member.pk), actor_id=outsider.pk).exists()


def test_handbook_view_is_audited(client, member_user):
    client.force_login(member_user)
    own = Member.objects.get(user=member_user)
    client.get(reverse("members:handbook"))
    assert AuditEntry.objects.filter(action="view", object_id=str(own.pk), actor_id=member_user.pk).exists()


def test_record_form_cannot_change_cell_or_status(client, clerk, targets, org_tree):
    member = targets["own_cell"]
    client.force_login(clerk)
    page = client.get(reverse("members:edit", args=[member.pk]))
    data = {}
    for form in [page.context["form"]]:
        for name, field in form.fields.items():
            value = form[name].value()
            if value is not None:
                data[name] = field.widget.format_value(value) if hasattr(field.widget, "format_value") else value
    for _heading, formset in page.context["formsets"]:
        for key, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{key}"] = value
    data.update(
        {
            "full_name": "Phạm Văn Ô",
            "serious_illness": "",
            "status": "expelled",
            "organization": org_tree["other_cell"].pk,
            "search_text": "hacked",
        }
    )
    data = {k: v for k, v in data.items() if v is not None and v is not False}
    with translation.override("en"):
        response = client.post(reverse("members:edit", args=[member.pk]), data)
    if response.status_code != 302:
        print(
            response.context["form"].errors,
            [fs.errors for _h, fs in response.context["formsets"]],
            [fs.non_form_errors() for _h, fs in response.context["formsets"]],
        )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.status == "official"
    assert member.organization == org_tree["cell_a"]
    assert member.search_text == "pham van o"
