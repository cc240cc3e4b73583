"""Annual quality assessment: the 366-QĐ/TW scale (seeded by migration), the bands at their boundaries,
bad inputs, access, and the cell's assessment sheet."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from members.models import AssessmentScale, MemberAssessment
from members.services.assessments import assessment_record
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(monkeypatch, fee_rules):
    monkeypatch.setattr("members.selectors.today", lambda: datetime.date(2026, 4, 10))
    with translation.override("en"):
        yield


@pytest.fixture
def member(org_tree):
    return MemberFactory(full_name="Đỗ Thị Mai", organization=org_tree["cell_a"])


def test_the_366_scale_is_seeded():
    scale = AssessmentScale.objects.get(valid_from_year=2025)
    assert "366-QĐ/TW" in scale.source and scale.max_score == 100
    bands = {b.rating: (b.min_score, b.requires_all_tasks_done, b.min_exceeded_percent) for b in scale.bands.all()}
    assert bands == {
        "excellent": (Decimal("90.00"), True, Decimal("30.00")),
        "good": (Decimal("70.00"), False, None),
        "completed": (Decimal("50.00"), False, None),
        "not_completed": (Decimal("0.00"), False, None),
    }


@pytest.mark.parametrize(
    ("score", "all_done", "exceeded", "rating"),
    [
        ("100", True, "100", "excellent"),
        ("90", True, "30", "excellent"),
        ("90", True, "29.99", "good"),  # not enough exceeded
        ("90", False, "50", "good"),  # a task not done
        ("89.99", True, "100", "good"),
        ("70", False, "0", "good"),
        ("69.99", True, "0", "completed"),
        ("50", False, "0", "completed"),
        ("49.99", True, "40", "not_completed"),
        ("0", False, "0", "not_completed"),
    ],
)
def test_the_rating_follows_the_bands(member, cell_secretary, score, all_done, exceeded, rating):
    assessment = assessment_record(
        actor=cell_secretary, member=member, year=2025, score=score, all_tasks_done=all_done, exceeded_percent=exceeded
    )
    assert assessment.rating == rating
    assert assessment.score == Decimal(score)
    assert "366-QĐ/TW" in assessment.scale.source


def test_recording_again_corrects_the_same_year(member, clerk):
    assessment_record(actor=clerk, member=member, year=2025, score=60, all_tasks_done=False)
    assessment_record(actor=clerk, member=member, year=2025, score=95, all_tasks_done=True, exceeded_percent=35)
    assessment = MemberAssessment.objects.get(member=member)
    assert (assessment.rating, assessment.assessed_by) == ("excellent", clerk)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"score": "100.01"}, "score", "The score must be between 0 and 100."),
        ({"score": "-1"}, "score", "The score must be between 0 and 100."),
        ({"score": "85.555"}, "score", "The score has at most two decimals."),
        ({"score": "abc"}, "score", "Enter the score as a number, e.g. 85.5."),
        ({"exceeded_percent": "101"}, "exceeded_percent", "The share of tasks exceeded must be between 0 and 100%."),
        ({"year": 2024}, "year", "No assessment scale is in force for 2024: an administrator must add it first."),
        ({"year": 2027}, "year", "The year must be between 2000 and 2026."),
    ],
)
def test_bad_assessments_are_refused(member, clerk, data, field, message):
    base = {"year": 2025, "score": "80", "all_tasks_done": True, "exceeded_percent": "10"}
    with pytest.raises(ValidationError) as exc:
        assessment_record(actor=clerk, member=member, **{**base, **data})
    assert exc.value.message_dict == {field: [message]}
    assert not MemberAssessment.objects.exists()


@pytest.mark.parametrize("who", ["handler", "member_user", "outsider", "delegate"])
def test_only_those_who_manage_the_cell_assess(request, member, who):
    with pytest.raises(PermissionDenied):
        assessment_record(actor=request.getfixturevalue(who), member=member, year=2025, score=80, all_tasks_done=True)


def _login(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def test_the_sheet_shows_ratings_and_their_distribution(client, org_tree, cell_secretary, member):
    other = MemberFactory(full_name="Bùi Văn Nam", organization=org_tree["cell_a"])
    assessment_record(actor=None, member=member, year=2025, score="92", all_tasks_done=True, exceeded_percent="31")
    assessment_record(actor=None, member=other, year=2025, score="71", all_tasks_done=True, exceeded_percent="0")
    _login(client, cell_secretary)
    response = client.get(reverse("members:assessments", args=[org_tree["cell_a"].pk, 2025]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Excellently completed duties" in html and "Well completed duties" in html
    assert "2 of 3 members assessed." in html  # the secretary is a member of the cell too
    distribution = {d["rating"]: d["count"] for d in response.context["distribution"]}
    assert distribution == {"excellent": 1, "good": 1, "completed": 0, "not_completed": 0}


def test_the_sheet_costs_the_same_queries_whatever_the_number_of_members(client, org_tree, cell_secretary):
    _login(client, cell_secretary)
    url = reverse("members:assessments", args=[org_tree["cell_a"].pk, 2025])
    counts = []
    for extra in (1, 6):
        for _ in range(extra):
            assessment_record(
                actor=None,
                member=MemberFactory(organization=org_tree["cell_a"]),
                year=2025,
                score=75,
                all_tasks_done=True,
            )
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_edit_page_records_and_shows_errors(client, org_tree, cell_secretary, member):
    _login(client, cell_secretary)
    url = reverse("members:assessment_edit", args=[member.pk, 2025])
    assert client.get(url).status_code == 200
    response = client.post(url, {"score": "120", "exceeded_percent": "0"})
    assert response.status_code == 400
    assert "The score must be between 0 and 100." in response.content.decode()
    response = client.post(url, {"score": "90", "all_tasks_done": "on", "exceeded_percent": "30"})
    assert response.status_code == 302
    assert MemberAssessment.objects.get(member=member).rating == "excellent"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("cell_secretary", 200),
        ("clerk", 200),
        ("leader", 200),
        ("admin_user", 200),
        ("handler", 404),
        ("member_user", 404),
        ("outsider", 404),
        ("delegate", 404),
    ],
)
def test_access_to_the_assessment_pages(request, client, org_tree, member, who, status):
    _login(client, request.getfixturevalue(who))
    assert client.get(reverse("members:assessments", args=[org_tree["cell_a"].pk, 2025])).status_code == status
    assert client.get(reverse("members:assessment_edit", args=[member.pk, 2025])).status_code == status


def test_a_cell_secretary_of_another_cell_gets_404(client, org_tree, cell_secretary):
    _login(client, cell_secretary)
    stranger = MemberFactory(organization=org_tree["cell_b"])
    assert client.get(reverse("members:assessments", args=[org_tree["cell_b"].pk, 2025])).status_code == 404
    assert client.get(reverse("members:assessment_edit", args=[stranger.pk, 2025])).status_code == 404
