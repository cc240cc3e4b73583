"""The API under /api/v1/: the current user, organizations and terms; authentication; the schema."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from members.models import OrganizationKind
from tests.factories import OrganizationFactory, TermFactory

ME = "/api/v1/me/"
ORGS = "/api/v1/organizations/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(item["name"] for item in response.json()["results"])


def test_urls_are_where_the_brief_says():
    assert reverse("api-me") == ME
    assert reverse("organization-list") == ORGS
    assert reverse("organization-terms", args=[7]) == "/api/v1/organizations/7/terms/"


# --- authentication ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [ME, ORGS, "/api/v1/organizations/1/", "/api/v1/organizations/1/terms/"])
def test_anonymous_is_refused(db, url):
    response = APIClient().get(url)
    assert response.status_code in (401, 403)
    assert "results" not in response.json() and "username" not in response.json()


def test_schema_and_docs_need_a_login(db, leader):
    assert APIClient().get("/api/schema/").status_code in (401, 403)
    assert APIClient().get("/api/docs/").status_code in (302, 401, 403)
    response = client_for(leader).get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/organizations/" in response.content


def test_token_authentication(leader):
    token = Token.objects.create(user=leader)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = client.get(ME)
    assert response.status_code == 200
    assert response.json()["username"] == "leader"
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    refused = client.get(ME)
    assert refused.status_code in (401, 403)
    assert "username" not in refused.json()


def test_session_authentication(client, leader, password):
    client.force_login(leader)
    response = client.get(ME)
    assert response.status_code == 200
    assert response.json()["username"] == "leader"


# --- /me/ -------------------------------------------------------------------------------------------------


def test_me_for_a_clerk(clerk, org_tree):
    clerk.email = "clerk@example.test"
    clerk.preferred_language = "en"
    clerk.save()
    data = client_for(clerk).get(ME).json()
    member = clerk.member
    assert data == {
        "id": clerk.pk,
        "username": "clerk",
        "full_name": clerk.full_name,
        "email": "clerk@example.test",
        "language": "en",
        "is_staff": False,
        "roles": ["clerk", "member"],
        "member": {
            "id": member.pk,
            "full_name": member.full_name,
            "status": "official",
            "party_card_number": "",
            "admission_date": "2000-05-19",
            "organization": org_tree["cell_a"].pk,
        },
        "organizations": [
            {
                "id": org_tree["cell_a"].pk,
                "name": "Chi bộ ấp Phước Hưng",
                "code": "CB",
                "kind": "cell",
                "roles": ["member"],
            },
            {
                "id": org_tree["office"].pk,
                "name": "Văn phòng Đảng ủy",
                "code": "VPĐU",
                "kind": "office",
                "roles": ["clerk"],
            },
        ],
    }


def test_me_for_an_admin_without_member_record(admin_user):
    data = client_for(admin_user).get(ME).json()
    assert data["roles"] == ["admin"]
    assert data["member"] is None
    assert data["organizations"] == []
    assert data["is_staff"] is True


# --- organizations ----------------------------------------------------------------------------------------

VISIBLE = {
    "admin_user": [
        "Ban Thường vụ Đảng ủy xã Gò Quao",
        "Chi bộ ấp Hòa Bình",
        "Chi bộ ấp Phước Hưng",
        "Chi bộ ấp Vĩnh Thạnh",
        "Tỉnh ủy An Giang",
        "Văn phòng Đảng ủy",
        "Đảng bộ xã Gò Quao",
        "Đảng bộ xã Vĩnh Hòa",
    ],
    "leader": [
        "Ban Thường vụ Đảng ủy xã Gò Quao",
        "Chi bộ ấp Hòa Bình",
        "Chi bộ ấp Phước Hưng",
        "Văn phòng Đảng ủy",
        "Đảng bộ xã Gò Quao",
    ],
    "cell_secretary": ["Chi bộ ấp Phước Hưng"],
    "delegate": ["Chi bộ ấp Hòa Bình", "Đảng bộ xã Gò Quao"],
    "member_user": ["Chi bộ ấp Phước Hưng"],
    "outsider": ["Chi bộ ấp Vĩnh Thạnh"],
}
VISIBLE["clerk"] = VISIBLE["handler"] = VISIBLE["leader"]


@pytest.mark.parametrize("who", sorted(VISIBLE))
def test_organization_list_and_detail_per_role(request, org_tree, who):
    user = request.getfixturevalue(who)
    client = client_for(user)
    assert names(client.get(ORGS)) == sorted(VISIBLE[who])
    for org in org_tree.values():
        detail = client.get(f"{ORGS}{org.pk}/")
        terms = client.get(f"{ORGS}{org.pk}/terms/")
        if org.name in VISIBLE[who]:
            assert detail.status_code == 200
            assert detail.json()["name"] == org.name
            assert terms.status_code == 200
        else:  # forbidden answers like missing
            assert detail.status_code == 404, org.name
            assert terms.status_code == 404, org.name
    assert client.get(f"{ORGS}999999/").status_code == 404


def test_organization_detail_includes_the_current_term(leader, org_tree):
    commune = org_tree["commune"]
    TermFactory(
        organization=commune, name="2020–2025", start_date=datetime.date(2020, 8, 1), end_date=datetime.date(2025, 8, 1)
    )
    current = TermFactory(organization=commune, name="2025–2030", start_date=datetime.date(2025, 8, 1))
    data = client_for(leader).get(f"{ORGS}{commune.pk}/").json()
    assert data["current_term"] == {
        "id": current.pk,
        "name": "2025–2030",
        "start_date": "2025-08-01",
        "end_date": None,
        "is_current": True,
    }
    assert data["parent"] == org_tree["province"].pk
    assert data["parent_name"] == "Tỉnh ủy An Giang"
    assert data["code"] == "ĐU"
    assert data["kind"] == "commune_committee"
    terms = client_for(leader).get(f"{ORGS}{commune.pk}/terms/").json()
    assert [(t["name"], t["is_current"]) for t in terms] == [("2025–2030", True), ("2020–2025", False)]
    cell = client_for(leader).get(f"{ORGS}{org_tree['cell_a'].pk}/").json()
    assert cell["current_term"] is None


def test_organization_filters_and_search(leader, org_tree):
    client = client_for(leader)
    assert names(client.get(ORGS, {"kind": "cell"})) == ["Chi bộ ấp Hòa Bình", "Chi bộ ấp Phước Hưng"]
    assert names(client.get(ORGS, {"kind": ["office", "standing_committee"]})) == [
        "Ban Thường vụ Đảng ủy xã Gò Quao",
        "Văn phòng Đảng ủy",
    ]
    assert names(client.get(ORGS, {"parent": org_tree["commune"].pk})) == [
        "Ban Thường vụ Đảng ủy xã Gò Quao",
        "Chi bộ ấp Hòa Bình",
        "Chi bộ ấp Phước Hưng",
        "Văn phòng Đảng ủy",
    ]
    # Filtering by a parent the user may not see reveals nothing under it.
    assert names(client.get(ORGS, {"parent": org_tree["other_commune"].pk})) == []
    assert names(client.get(ORGS, {"search": "VPĐU"})) == ["Văn phòng Đảng ủy"]
    assert names(client.get(ORGS, {"search": "Hòa Bình"})) == ["Chi bộ ấp Hòa Bình"]
    assert names(client.get(ORGS, {"search": "Vĩnh"})) == []  # the other commune stays hidden
    assert client.get(ORGS, {"kind": "planet"}).status_code == 400


def test_organizations_are_read_only(admin_user, org_tree):
    client = client_for(admin_user)
    assert client.post(ORGS, {"name": "X", "kind": "cell", "code": "CB"}).status_code == 405
    assert client.delete(f"{ORGS}{org_tree['cell_a'].pk}/").status_code == 405


def _grow(commune, count):
    for index in range(count):
        cell = OrganizationFactory(name=f"Chi bộ số {index}", parent=commune, kind=OrganizationKind.CELL)
        TermFactory(organization=cell)


@pytest.mark.parametrize("count", [5, 50])
def test_organization_list_query_count_is_constant(leader, org_tree, count, django_assert_num_queries):
    _grow(org_tree["commune"], count)
    client = client_for(type(leader).objects.get(pk=leader.pk))
    # member + positions (roles), the subtree (1), count, page, the running terms.
    with django_assert_num_queries(6):
        response = client.get(ORGS)
    assert response.json()["count"] == 5 + count


# --- schema -----------------------------------------------------------------------------------------------


def test_openapi_schema_is_valid_and_complete(db):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    paths = schema["paths"]
    for path in (
        "/api/v1/me/",
        "/api/v1/organizations/",
        "/api/v1/organizations/{id}/",
        "/api/v1/organizations/{id}/terms/",
    ):
        assert "get" in paths[path], path
    org = schema["components"]["schemas"]["Organization"]["properties"]
    assert org["current_term"]["allOf"][0]["$ref"].endswith("/Term") or "Term" in str(org["current_term"])
    me = schema["components"]["schemas"]["CurrentUser"]["properties"]
    assert set(me) >= {"id", "username", "full_name", "email", "language", "roles", "member", "organizations"}
    list_params = {p["name"] for p in paths["/api/v1/organizations/"]["get"]["parameters"]}
    assert {"kind", "parent", "search", "page"} <= list_params


def test_schema_generation_has_no_warnings(db):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
