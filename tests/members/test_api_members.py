"""The member registry API: visibility matrix, mass assignment, personal data, audit, sub-resources,
query counts and the OpenAPI schema."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from rest_framework.test import APIClient

from members.models import (
    AssessmentRating,
    FeeCategory,
    FeeDeclaration,
    FeePayment,
    Member,
    MemberActivity,
    MemberAssessment,
    MemberStatus,
    MemberStatusEvent,
    StatusEventKind,
)
from partyhub.models.audit import AuditEntry
from tests.factories import MemberFactory, UserFactory

PII = {
    "id_number": "079203001234",
    "phone": "0912345678",
    "permanent_address": "Ấp Phước Hưng, xã Gò Quao",
    "current_address": "Số 9 đường Ngô Quyền",
}


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def people(org_tree):
    """One member with personal data in each of: cell A, cell B (same commune), the other commune."""
    return {
        "cell_a": MemberFactory(full_name="Nguyễn Văn Ấp A", organization=org_tree["cell_a"], **PII),
        "cell_b": MemberFactory(full_name="Trần Thị Ấp B", organization=org_tree["cell_b"], **PII),
        "other_cell": MemberFactory(full_name="Lê Văn Xã Khác", organization=org_tree["other_cell"], **PII),
    }


def _login(api, user):
    api.force_authenticate(user)
    return api


def _url(member=None, sub=""):
    if member is None:
        return "/api/v1/members/"
    return f"/api/v1/members/{member.pk}/" + (f"{sub}/" if sub else "")


# --- who sees whom ----------------------------------------------------------------------------------------

MATRIX = {
    #                cell A, cell B, other commune
    "admin_user": (200, 200, 200),
    "leader": (200, 200, 404),
    "clerk": (200, 200, 404),
    "handler": (200, 200, 404),
    "cell_secretary": (200, 404, 404),
    "delegate": (404, 404, 404),
    "member_user": (404, 404, 404),
    "outsider": (404, 404, 404),
}


@pytest.mark.parametrize("who", list(MATRIX))
def test_detail_matrix(request, api, people, who):
    user = request.getfixturevalue(who)
    _login(api, user)
    for place, expected in zip(("cell_a", "cell_b", "other_cell"), MATRIX[who], strict=True):
        response = api.get(_url(people[place]))
        assert response.status_code == expected, (who, place)
    # Everybody sees their own record.
    own = Member.objects.filter(user=user).first()
    if own is not None:
        assert api.get(_url(own)).status_code == 200


@pytest.mark.parametrize("who", list(MATRIX))
def test_list_matrix(request, api, people, who):
    _login(api, request.getfixturevalue(who))
    names = {row["full_name"] for row in api.get(_url()).json()["results"]}
    for place, expected in zip(("cell_a", "cell_b", "other_cell"), MATRIX[who], strict=True):
        assert (people[place].full_name in names) == (expected == 200), (who, place)


def test_list_filters_and_diacritic_free_search(api, clerk, org_tree, people):
    MemberFactory(
        full_name="Phạm Thị Dự Bị",
        organization=org_tree["cell_b"],
        status=MemberStatus.PROBATIONARY,
        political_theory="intermediate",
        search_text="pham thi du bi",
    )
    Member.objects.filter(pk=people["cell_a"].pk).update(search_text="nguyen van ap a")
    _login(api, clerk)

    def names(**params):
        return sorted(row["full_name"] for row in api.get(_url(), params).json()["results"])

    assert names(search="nguyen van ap") == ["Nguyễn Văn Ấp A"]
    assert names(search="Nguyễn Văn Ấp") == ["Nguyễn Văn Ấp A"]
    assert names(status="probationary") == ["Phạm Thị Dự Bị"]
    assert names(political_theory="intermediate") == ["Phạm Thị Dự Bị"]
    assert "Trần Thị Ấp B" in names(organization=org_tree["cell_b"].pk)
    assert "Nguyễn Văn Ấp A" not in names(organization=org_tree["cell_b"].pk)
    assert names(organization=org_tree["other_cell"].pk) == []  # filters never widen visibility
    Member.objects.filter(pk=people["cell_b"].pk).update(activity=MemberActivity.EXEMPTED)
    assert names(activity="exempted") == ["Trần Thị Ấp B"]
    assert api.get(_url(), {"status": "nonsense"}).status_code == 400


# --- personal data ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "sees"),
    [("clerk", True), ("leader", True), ("cell_secretary", True), ("admin_user", True), ("handler", False)],
)
def test_personal_data_only_to_those_who_may_see_it(request, api, people, who, sees):
    _login(api, request.getfixturevalue(who))
    detail = api.get(_url(people["cell_a"]))
    listing = api.get(_url(), {"organization": people["cell_a"].organization_id})
    for response in (detail, listing):
        assert response.status_code == 200
        body = response.content.decode()
        for value in PII.values():
            assert (value in body) == sees, (who, value)
    data = detail.json()
    assert data["personal_data_visible"] is sees
    if not sees:
        assert all(data[name] is None for name in PII)
    else:
        assert data["id_number"] == PII["id_number"]


def test_a_member_sees_their_own_personal_data(api, member_user):
    Member.objects.filter(user=member_user).update(phone="0987654321")
    _login(api, member_user)
    own = Member.objects.get(user=member_user)
    assert api.get(_url(own)).json()["phone"] == "0987654321"


# --- audit and query count --------------------------------------------------------------------------------


def test_every_detail_view_is_audited(api, clerk, people):
    _login(api, clerk)
    member = people["cell_a"]
    before = AuditEntry.objects.filter(action="view", object_id=str(member.pk)).count()
    api.get(_url(member))
    api.get(_url(member))
    entries = AuditEntry.objects.filter(action="view", object_id=str(member.pk))
    assert entries.count() == before + 2
    assert entries.order_by("-id").first().actor == clerk
    # A refused look is not a view.
    other = people["other_cell"]
    api.get(_url(other))
    assert not AuditEntry.objects.filter(action="view", object_id=str(other.pk)).exists()


def _list_queries(api, user) -> tuple[int, int]:
    _login(api, type(user).objects.get(pk=user.pk))  # a fresh user object: roles are looked up again
    with CaptureQueriesContext(connection) as captured:
        response = api.get(_url())
    assert response.status_code == 200
    return len(captured.captured_queries), len(response.json()["results"])


def test_list_query_count_is_constant(api, clerk, org_tree):
    for _n in range(5):
        MemberFactory(organization=org_tree["cell_a"], **PII)
    small, shown = _list_queries(api, clerk)
    assert shown == 6  # the five and the clerk's own record
    for n in range(45):
        MemberFactory(organization=org_tree["cell_b" if n % 2 else "cell_a"], **PII)
    large, shown = _list_queries(api, clerk)
    assert shown == 50  # a full page
    assert large == small
    assert small <= 8


# --- writes -----------------------------------------------------------------------------------------------


def test_patch_cannot_mass_assign_protected_fields(api, clerk, org_tree, people):
    member = people["cell_a"]
    stranger = UserFactory(username="stranger")
    _login(api, clerk)
    response = api.patch(
        _url(member),
        {
            "full_name": "Nguyễn Văn Đổi Tên",
            "organization": org_tree["cell_b"].pk,
            "status": MemberStatus.EXPELLED,
            "activity": MemberActivity.SUSPENDED,
            "search_text": "hacked",
            "party_age_gap_days": 999,
            "recognition_due_date": "2020-01-01",
            "next_badge_years": 90,
            "next_badge_date": "2020-01-01",
            "user": stranger.pk,
            "id": 999999,
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    member.refresh_from_db()
    assert member.full_name == "Nguyễn Văn Đổi Tên"
    assert member.organization == org_tree["cell_a"]
    assert member.status == MemberStatus.OFFICIAL and member.activity == MemberActivity.ACTIVE
    assert member.search_text == "nguyen van doi ten"
    assert member.party_age_gap_days == 0 and member.next_badge_years is None
    assert member.recognition_due_date is None and member.next_badge_date is None
    assert member.user is None
    assert Member.objects.filter(pk=999999).count() == 0


def test_patch_is_checked_by_the_records_service(api, clerk, people):
    _login(api, clerk)
    with translation.override("en"):
        response = api.patch(_url(people["cell_a"]), {"id_number": "12"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "id_number" in response.json()
    people["cell_a"].refresh_from_db()
    assert people["cell_a"].id_number == PII["id_number"]


@pytest.mark.parametrize(
    ("who", "place", "status"),
    [
        ("clerk", "cell_a", 200),
        ("cell_secretary", "cell_a", 200),
        ("cell_secretary", "cell_b", 404),
        ("handler", "cell_a", 403),
        ("member_user", "cell_a", 404),
        ("clerk", "other_cell", 404),
    ],
)
def test_patch_permissions(request, api, people, who, place, status):
    _login(api, request.getfixturevalue(who))
    response = api.patch(_url(people[place]), {"occupation": "Nông dân"}, format="json")
    assert response.status_code == status
    people[place].refresh_from_db()
    assert (people[place].occupation == "Nông dân") == (status == 200)


def test_create_goes_through_the_records_service(api, clerk, org_tree):
    _login(api, clerk)
    response = api.post(
        _url(),
        {"full_name": "  Võ   Thị Mới ", "organization": org_tree["cell_b"].pk, "status": "expelled"},
        format="json",
    )
    assert response.status_code == 201, response.content
    member = Member.objects.get(pk=response.json()["id"])
    assert member.full_name == "Võ Thị Mới" and member.search_text == "vo thi moi"
    assert member.status == MemberStatus.PROBATIONARY
    assert response.json()["organization"]["id"] == org_tree["cell_b"].pk
    # An organization the caller cannot see is refused as unknown.
    response = api.post(_url(), {"full_name": "Ai Đó", "organization": org_tree["other_cell"].pk}, format="json")
    assert response.status_code == 400 and "organization" in response.json()


def test_delete_is_not_offered(api, admin_user, people):
    _login(api, admin_user)
    assert api.delete(_url(people["cell_a"])).status_code == 405


# --- status history ---------------------------------------------------------------------------------------


def test_status_events_list_and_change(api, clerk, handler, outsider, people):
    member = people["cell_a"]
    _login(api, clerk)
    response = api.post(
        _url(member, "status-events"),
        {"kind": StatusEventKind.EXEMPTED, "effective_date": "2026-01-15", "decision_number": "12-QĐ/ĐU"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "exempted"
    member.refresh_from_db()
    assert member.activity == MemberActivity.EXEMPTED  # the service changed the member, not the serializer
    listing = api.get(_url(member, "status-events")).json()
    assert [row["kind"] for row in listing] == ["exempted"]
    assert listing[0]["decision_number"] == "12-QĐ/ĐU"

    # Impossible change: refused by the service with its reason.
    response = api.post(
        _url(member, "status-events"), {"kind": StatusEventKind.EXEMPTED, "effective_date": "2026-02-01"}, format="json"
    )
    assert response.status_code == 400
    assert MemberStatusEvent.objects.filter(member=member).count() == 1
    # Bad shape.
    response = api.post(_url(member, "status-events"), {"kind": "teleported"}, format="json")
    assert response.status_code == 400 and {"kind", "effective_date"} <= set(response.json())

    _login(api, handler)
    assert api.get(_url(member, "status-events")).status_code == 200
    response = api.post(
        _url(member, "status-events"),
        {"kind": StatusEventKind.EXEMPTION_ENDED, "effective_date": "2026-03-01"},
        format="json",
    )
    assert response.status_code == 403
    _login(api, outsider)
    assert api.get(_url(member, "status-events")).status_code == 404


# --- fees -------------------------------------------------------------------------------------------------


def test_fee_year_and_payment(api, cell_secretary, handler, people):
    member = people["cell_a"]
    FeeDeclaration.objects.create(member=member, valid_from=datetime.date(2026, 1, 1), category=FeeCategory.STUDENT)
    _login(api, cell_secretary)
    response = api.post(
        _url(member, "fees"), {"month": "2026-03-20", "amount": 5000, "paid_on": "2026-03-25"}, format="json"
    )
    assert response.status_code == 201, response.content
    payment = FeePayment.objects.get(member=member)
    assert payment.month == datetime.date(2026, 3, 1) and payment.amount == 5000
    assert payment.recorded_by == cell_secretary

    data = api.get(_url(member, "fees"), {"year": 2026}).json()
    assert data["year"] == 2026 and len(data["months"]) == 12
    march = next(m for m in data["months"] if m["month"] == "2026-03-01")
    assert march["paid"] == 5000 and march["paid_on"] == "2026-03-25" and march["due"] == 5000
    assert data["paid_total"] == 5000
    assert api.get(_url(member, "fees"), {"year": "abc"}).status_code == 400

    # The same month twice: the service refuses it.
    response = api.post(
        _url(member, "fees"), {"month": "2026-03-01", "amount": 5000, "paid_on": "2026-03-25"}, format="json"
    )
    assert response.status_code == 400 and "month" in response.json()
    assert FeePayment.objects.filter(member=member).count() == 1

    # A handler sees the member but not their fees.
    _login(api, handler)
    assert api.get(_url(member, "fees")).status_code == 404
    assert (
        api.post(
            _url(member, "fees"), {"month": "2026-04-01", "amount": 5000, "paid_on": "2026-04-02"}, format="json"
        ).status_code
        == 403
    )


# --- assessments ------------------------------------------------------------------------------------------


def test_assessments_list_and_record(api, clerk, outsider, people):
    member = people["cell_a"]
    _login(api, clerk)
    response = api.post(
        _url(member, "assessments"),
        {"year": 2025, "score": "92.5", "all_tasks_done": True, "exceeded_percent": "35"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["rating"] == AssessmentRating.EXCELLENT
    response = api.post(_url(member, "assessments"), {"year": 2025, "score": "75"}, format="json")
    assert response.status_code == 201 and response.json()["rating"] == AssessmentRating.GOOD
    assert MemberAssessment.objects.filter(member=member).count() == 1
    assert [row["year"] for row in api.get(_url(member, "assessments")).json()] == [2025]
    response = api.post(_url(member, "assessments"), {"year": 2025, "score": "-1"}, format="json")
    assert response.status_code == 400
    _login(api, outsider)
    assert api.get(_url(member, "assessments")).status_code == 404


# --- schema -----------------------------------------------------------------------------------------------


def test_openapi_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.json"
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", "--file", str(target))
    schema = json.loads(target.read_text())
    paths = schema["paths"]
    for path in (
        "/api/v1/members/",
        "/api/v1/members/{id}/",
        "/api/v1/members/{id}/status-events/",
        "/api/v1/members/{id}/fees/",
        "/api/v1/members/{id}/assessments/",
    ):
        assert path in paths, path
    assert {"get", "post"} <= set(paths["/api/v1/members/{id}/status-events/"])
    member = schema["components"]["schemas"]["Member"]["properties"]
    for name in ("organization", "status", "activity", "user", "next_badge_date"):
        assert member[name].get("readOnly") or "allOf" in member[name], name
    params = {p["name"] for p in paths["/api/v1/members/"]["get"]["parameters"]}
    assert {"organization", "status", "activity", "political_theory", "search"} <= params
