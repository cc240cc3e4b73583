"""Cell and committee dashboards: the numbers against a hand-built fixture, the query count, access."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from members import dashboards
from members.models import (
    AssessmentRating,
    AssessmentScale,
    BadgeRule,
    FeeCategory,
    FeeDeclaration,
    FeePayment,
    FeeRate,
    FeeRuleSet,
    MemberActivity,
    MemberAssessment,
    MemberStatus,
    OrganizationKind,
)
from tests.factories import MemberFactory, OrganizationFactory

ON = datetime.date(2030, 4, 15)  # a day far from the seeded rules, so the fixture's own rules apply
MONTHS = [datetime.date(2030, m, 1) for m in (1, 2, 3, 4)]
FEE = 10_000


@pytest.fixture
def rules(db):
    """A fee rule set of 10.000 đ a month for "other" members, a badge rule and an assessment scale, all
    valid from 2030 (the seeded ones stay in force for the real today)."""
    rule_set = FeeRuleSet.objects.create(
        source="Test 2030", valid_from=datetime.date(2030, 1, 1), round_to=100, arrears_warning_months=3
    )
    FeeRate.objects.create(rule_set=rule_set, category=FeeCategory.OTHER, fixed_amount=FEE)
    BadgeRule.objects.create(
        source="Test 2030",
        valid_from=datetime.date(2030, 1, 1),
        milestones=[30, 40, 45, 50],
        award_days=["03/02", "19/05", "02/09", "07/11"],
    )
    scale, _ = AssessmentScale.objects.get_or_create(valid_from_year=2029, defaults={"source": "Test 2029"})
    return {"rule_set": rule_set, "scale": scale}


def _member(cell, name, *, status=MemberStatus.OFFICIAL, declared=True, paid=(), **fields):
    member = MemberFactory(full_name=name, organization=cell, status=status, **fields)
    if declared:
        FeeDeclaration.objects.create(member=member, valid_from=datetime.date(2030, 1, 1), category=FeeCategory.OTHER)
    for month in paid:
        FeePayment.objects.create(member=member, month=month, amount=FEE, paid_on=month, organization=cell)
    return member


def _assess(member, scale, rating, year=2029, score="80"):
    return MemberAssessment.objects.create(member=member, year=year, score=Decimal(score), scale=scale, rating=rating)


@pytest.fixture
def commune(rules):
    """A commune with two cells.

    Cell "Một": 3 official members (An, Bình, Chi) and 1 probationary (Dũng, no fee declared), plus a
    deceased member. April fees: An and Bình paid, Chi not → 2 of 3 → 66.7 %. The year (January–April):
    An paid 4 months, Bình 1 (April), Chi 1 (January) → 6 of 12 → 50.0 %; Bình has not paid January to
    March → in arrears (3 months); Chi 2 months only → not. Assessment 2029: An excellent, Bình and Chi good
    (2028 rows are older and ignored).
    Cell "Hai": 1 official member who paid April → 100 %.
    """
    scale = rules["scale"]
    root = OrganizationFactory(name="Đảng bộ xã Thử Nghiệm", kind=OrganizationKind.COMMUNE_COMMITTEE, code="ĐU")
    one = OrganizationFactory(name="Chi bộ ấp Một", parent=root, order=1)
    two = OrganizationFactory(name="Chi bộ ấp Hai", parent=root, order=2)
    an = _member(one, "Nguyễn Văn An", paid=MONTHS, next_badge_years=30, next_badge_date=datetime.date(2030, 5, 19))
    binh = _member(
        one, "Trần Thị Bình", paid=MONTHS[3:], next_badge_years=40, next_badge_date=datetime.date(2030, 9, 2)
    )
    chi = _member(one, "Lê Văn Chi", paid=MONTHS[:1], activity=MemberActivity.EXEMPTED)
    dung = _member(
        one,
        "Phạm Văn Dũng",
        status=MemberStatus.PROBATIONARY,
        declared=False,
        admission_date=datetime.date(2029, 4, 20),
        recognition_due_date=datetime.date(2030, 4, 25),
    )
    _member(
        one, "Võ Văn Đã Mất", status=MemberStatus.DECEASED, declared=False, next_badge_date=datetime.date(2030, 5, 19)
    )
    _assess(an, scale, AssessmentRating.EXCELLENT, score="95")
    _assess(binh, scale, AssessmentRating.GOOD)
    _assess(chi, scale, AssessmentRating.GOOD)
    _assess(an, scale, AssessmentRating.NOT_COMPLETED, year=2028, score="40")
    hoa = _member(two, "Đặng Thị Hoa", paid=MONTHS[3:])
    return {"root": root, "one": one, "two": two, "an": an, "binh": binh, "chi": chi, "dung": dung, "hoa": hoa}


def test_cell_dashboard_numbers(commune):
    board = dashboards.cell_dashboard(commune["one"], on=ON)
    assert board.by_status == {"official": 3, "probationary": 1, "deceased": 1}
    assert board.members == 4
    assert board.by_activity == {"active": 3, "exempted": 1}
    assert (board.month.due, board.month.paid, board.month.percent) == (30_000, 20_000, Decimal("66.7"))
    assert (board.year.due, board.year.paid, board.year.percent) == (120_000, 60_000, Decimal("50.0"))
    assert [m.full_name for m in board.recognition_due] == ["Phạm Văn Dũng"]
    assert board.badge_award_date == datetime.date(2030, 5, 19)
    assert [(m.full_name, m.next_badge_years) for m in board.badge_candidates] == [("Nguyễn Văn An", 30)]
    assert board.assessment_year == 2029
    assert board.ratings == {"excellent": 1, "good": 2}
    assert [(e.member.full_name, e.count) for e in board.arrears] == [("Trần Thị Bình", 3)]
    assert [c["value"] for c in board.status_chart()] == [1, 3]


def test_committee_dashboard_compares_cells(commune):
    board = dashboards.committee_dashboard(commune["root"], on=ON)
    assert [c.organization.name for c in board.cells] == ["Chi bộ ấp Một", "Chi bộ ấp Hai"]
    assert board.members == 5
    assert (board.month.due, board.month.paid, board.month.percent) == (40_000, 30_000, Decimal("75.0"))
    one, two = board.cells
    assert (one.members, two.members) == (4, 1)
    assert one.month.percent == Decimal("66.7") and two.month.percent == Decimal("100.0")
    assert one.year.percent == Decimal("50.0") and two.year.percent == Decimal("25.0")
    assert one.ratings == {"excellent": 1, "good": 2} and two.ratings == {}
    assert [r["values"] for r in board.cell_member_rows()] == [[1, 3], [0, 1]]
    assert [r["value"] for r in board.cell_collection_chart()] == [Decimal("66.7"), Decimal("100.0")]


def test_badge_candidates_without_a_rule_use_the_earliest_date(commune):
    BadgeRule.objects.all().delete()
    board = dashboards.cell_dashboard(commune["one"], on=ON)
    assert board.badge_award_date == datetime.date(2030, 5, 19)
    assert [m.full_name for m in board.badge_candidates] == ["Nguyễn Văn An"]


def test_next_award_date_wraps_to_next_year(rules):
    rule = BadgeRule.objects.get(source="Test 2030")
    assert dashboards.next_award_date(datetime.date(2030, 11, 7), rule) == datetime.date(2030, 11, 7)
    assert dashboards.next_award_date(datetime.date(2030, 11, 8), rule) == datetime.date(2031, 2, 3)
    assert dashboards.next_award_date(ON, None) is None


def _count_queries(func, *args, **kwargs) -> int:
    with CaptureQueriesContext(connection) as captured:
        func(*args, **kwargs)
    return len(captured.captured_queries)


def _grow(commune, cells: int, members_per_cell: int):
    for index in range(cells):
        cell = OrganizationFactory(name=f"Chi bộ thêm {index}", parent=commune["root"], order=10 + index)
        for number in range(members_per_cell):
            member = _member(cell, f"Thành Viên {index} {number}", paid=MONTHS[:2])
            _assess(member, AssessmentScale.objects.get(valid_from_year=2029), AssessmentRating.COMPLETED)


def test_query_count_does_not_grow_with_cells_or_members(commune, django_assert_num_queries):
    cell_small = _count_queries(dashboards.cell_dashboard, commune["one"], on=ON)
    committee_small = _count_queries(dashboards.committee_dashboard, commune["root"], on=ON)
    _grow(commune, cells=4, members_per_cell=6)
    for n in range(8):
        _member(commune["one"], f"Người Mới {n}", paid=MONTHS)
    with django_assert_num_queries(cell_small):
        dashboards.cell_dashboard(commune["one"], on=ON)
    with django_assert_num_queries(committee_small):
        board = dashboards.committee_dashboard(commune["root"], on=ON)
    assert len(board.cells) == 6
    assert cell_small <= 30 and committee_small <= 30


# --- pages ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "cell", "status"),
    [
        ("cell_secretary", "cell_a", 200),
        ("cell_secretary", "cell_b", 404),
        ("cell_secretary", "other_cell", 404),
        ("leader", "cell_a", 200),
        ("leader", "cell_b", 200),
        ("leader", "other_cell", 404),
        ("clerk", "cell_b", 200),
        ("clerk", "other_cell", 404),
        ("handler", "cell_a", 200),
        ("member_user", "cell_a", 404),
        ("delegate", "cell_b", 404),
        ("outsider", "other_cell", 404),
        ("admin_user", "other_cell", 200),
    ],
)
def test_cell_dashboard_access(request, client, org_tree, who, cell, status):
    user = request.getfixturevalue(who)
    client.force_login(user)
    response = client.get(reverse("members:dashboard_cell", args=[org_tree[cell].pk]))
    assert response.status_code == status
    if status == 200:
        assert org_tree[cell].name in response.content.decode()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("leader", 200),
        ("clerk", 200),
        ("handler", 200),
        ("admin_user", 200),
        ("cell_secretary", 404),
        ("delegate", 404),
        ("member_user", 404),
        ("outsider", 404),
    ],
)
def test_committee_dashboard_access(request, client, org_tree, who, status):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("members:dashboard_committee"))
    assert response.status_code == status


def test_committee_dashboard_refuses_another_commune(client, leader, org_tree):
    client.force_login(leader)
    url = reverse("members:dashboard_committee")
    assert client.get(url, {"organization": org_tree["other_commune"].pk}).status_code == 404
    assert client.get(url, {"organization": org_tree["commune"].pk}).status_code == 200


def test_a_cell_that_is_not_a_cell_answers_404(client, admin_user, org_tree):
    client.force_login(admin_user)
    assert client.get(reverse("members:dashboard_cell", args=[org_tree["commune"].pk])).status_code == 404


def test_committee_page_shows_the_charts(client, leader, org_tree):
    for name, status in [("Một", MemberStatus.OFFICIAL), ("Hai", MemberStatus.PROBATIONARY)]:
        MemberFactory(full_name=f"Đảng Viên {name}", organization=org_tree["cell_b"], status=status)
    client.force_login(leader)
    with translation.override("en"):
        response = client.get(reverse("members:dashboard_committee"), HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("<svg") >= 5
    assert "Members by status" in body and "Cells compared" in body
    assert org_tree["cell_a"].name in body and org_tree["cell_b"].name in body
    assert org_tree["other_cell"].name not in body
    assert reverse("members:dashboard_cell", args=[org_tree["cell_b"].pk]) in body
    assert "css/charts.css" in body


def test_cell_page_lists_the_people_to_act_on(client, cell_secretary, org_tree):
    today = datetime.date.today()
    MemberFactory(
        full_name="Phạm Dự Bị",
        organization=org_tree["cell_a"],
        status=MemberStatus.PROBATIONARY,
        recognition_due_date=today - datetime.timedelta(days=3),
    )
    client.force_login(cell_secretary)
    with translation.override("en"):
        response = client.get(
            reverse("members:dashboard_cell", args=[org_tree["cell_a"].pk]), HTTP_ACCEPT_LANGUAGE="en"
        )
    body = response.content.decode()
    assert "Phạm Dự Bị" in body and "overdue" in body
