"""The committee and cell dashboards in a browser, at desktop and tablet sizes (leaders and the office use
both): the page loads its own CSS, draws the charts without any script or CDN, and nothing fails to load."""

from __future__ import annotations

import datetime
import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from members.models import (
    AssessmentRating,
    AssessmentScale,
    FeeCategory,
    FeeDeclaration,
    FeePayment,
    FeeRate,
    FeeRuleSet,
    MemberActivity,
    MemberAssessment,
    MemberStatus,
)
from tests.factories import MemberFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(os.environ.get("PARTYHUB_SCREENSHOT_DIR", Path(settings.BASE_DIR) / "test-results"))
VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "tablet": {"width": 800, "height": 1280}}


def _populate(org_tree):
    """Rules (a transactional test starts from an empty database, without the seeded ones) and two cells of
    members with this month's fees partly paid and last year's assessments."""
    today = datetime.date.today()
    month = today.replace(day=1)
    rule_set, _ = FeeRuleSet.objects.get_or_create(valid_from=datetime.date(2000, 1, 1), defaults={"source": "Test"})
    FeeRate.objects.get_or_create(rule_set=rule_set, category=FeeCategory.STUDENT, defaults={"fixed_amount": 5000})
    scale, _ = AssessmentScale.objects.get_or_create(valid_from_year=2000, defaults={"source": "Test"})
    ratings = [AssessmentRating.EXCELLENT, AssessmentRating.GOOD, AssessmentRating.GOOD, AssessmentRating.COMPLETED]
    for cell, count in (("cell_a", 9), ("cell_b", 6)):
        for n in range(count):
            member = MemberFactory(
                full_name=f"Đảng Viên {cell[-1].upper()} {n}",
                organization=org_tree[cell],
                status=MemberStatus.PROBATIONARY if n == 0 else MemberStatus.OFFICIAL,
                activity=MemberActivity.EXEMPTED if n == 1 else MemberActivity.ACTIVE,
                admission_date=datetime.date(2000, 5, 19) if n else today - datetime.timedelta(days=350),
                recognition_due_date=today + datetime.timedelta(days=15) if n == 0 else None,
            )
            FeeDeclaration.objects.create(
                member=member, valid_from=datetime.date(2026, 2, 1), category=FeeCategory.STUDENT
            )
            if n % 3:
                FeePayment.objects.create(
                    member=member, month=month, amount=5000, paid_on=today, organization=org_tree[cell]
                )
            MemberAssessment.objects.create(
                member=member, year=today.year - 1, score=Decimal("80"), scale=scale, rating=ratings[n % 4]
            )


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_leader_reads_the_committee_dashboard(live_server, browser, leader, org_tree, size):
    _populate(org_tree)
    context = browser.new_context(viewport=VIEWPORTS[size], locale="vi-VN")
    page = context.new_page()
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
    try:
        # Signed in already (the sign-in journey has its own test): the session cookie of a logged-in client.
        client = Client()
        client.force_login(leader)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
        page.goto(f"{live_server.url}/members/dashboard/")
        charts = page.locator("figure.chart svg")
        assert charts.count() >= 6
        assert charts.first.is_visible()
        # The stylesheet applied: the key figures sit side by side.
        boxes = [page.locator(".dash-kpi").nth(i).bounding_box() for i in range(2)]
        assert boxes[0]["y"] == boxes[1]["y"]
        assert page.get_by_text(org_tree["cell_b"].name).first.is_visible()
        page.screenshot(path=str(SCREENSHOTS / f"dashboard-committee-{size}.png"), full_page=True)

        page.locator(f"a[href='/members/dashboard/cell/{org_tree['cell_a'].pk}/']").first.click()
        page.wait_for_url(f"{live_server.url}/members/dashboard/cell/{org_tree['cell_a'].pk}/")
        assert page.locator("figure.chart svg").count() >= 3
        page.screenshot(path=str(SCREENSHOTS / f"dashboard-cell-{size}.png"), full_page=True)
        assert not failed, failed
    finally:
        context.close()
