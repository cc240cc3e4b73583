"""The party fee pages: a cell's monthly sheet (record payments, totals, collection rate, errors, query count)
and a member's fee page (declaration, exemption, payment forms), with the access matrix."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.models import FeeCategory, FeeDeclaration, FeeExemption, FeePayment
from partyhub.models import AuditEntry
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 4, 10)


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch, fee_rules):
    monkeypatch.setattr("members.selectors.today", lambda: TODAY)


def _login(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def _member(cell, name, category, basis=0):
    member = MemberFactory(full_name=name, organization=cell)
    FeeDeclaration.objects.create(member=member, valid_from=D(2025, 1, 1), category=category, basis_amount=basis)
    return member


@pytest.fixture
def cell(org_tree):
    return org_tree["cell_a"]


@pytest.fixture
def people(cell):
    return [
        _member(cell, "Lê Văn Lương", FeeCategory.SALARY, 8_500_000),
        _member(cell, "Phạm Thị Hoa", FeeCategory.STUDENT),
        _member(cell, "Trần Văn Hưu", FeeCategory.PENSION, 4_000_000),
    ]


def sheet_url(cell, month="2026-04"):
    return f"{reverse('members:fees', args=[cell.pk])}?month={month}"


def test_the_sheet_lists_members_with_due_and_totals(client, cell, cell_secretary, people):
    _login(client, cell_secretary)
    response = client.get(sheet_url(cell))
    assert response.status_code == 200
    sheet = response.context["sheet"]
    due = {row.member.full_name: row.fee.due.amount for row in sheet.rows}
    assert due["Lê Văn Lương"] == 85_000 and due["Phạm Thị Hoa"] == 5_000 and due["Trần Văn Hưu"] == 20_000
    assert sheet.due_total == 110_000 and sheet.paid_total == 0 and sheet.percent.is_zero()
    html = response.content.decode()
    assert "110,000 đ" in html
    assert "Not declared" in html  # the secretary's own record has no declaration


def test_recording_payments_updates_totals_and_rate(client, cell, cell_secretary, people):
    _login(client, cell_secretary)
    salary, student, _pension = people
    response = client.post(
        sheet_url(cell),
        {
            "month": "2026-04",
            "paid_on": "2026-04-09",
            f"pay_{salary.pk}": "on",
            f"amount_{salary.pk}": "85.000",
            f"pay_{student.pk}": "on",
            f"amount_{student.pk}": "5000",
            f"amount_{_pension.pk}": "20000",  # not ticked: not recorded
        },
    )
    assert response.status_code == 302
    assert response["Location"] == sheet_url(cell) + "&saved=2"
    assert sorted(FeePayment.objects.values_list("amount", flat=True)) == [5_000, 85_000]
    page = client.get(response["Location"])
    sheet = page.context["sheet"]
    assert (sheet.paid_total, sheet.due_total, str(sheet.percent)) == (90_000, 110_000, "81.8")
    html = page.content.decode()
    assert "2 payments recorded." in html and "81.8%" in html


def test_a_bad_row_records_nothing_and_says_why(client, cell, cell_secretary, people):
    _login(client, cell_secretary)
    salary, student, _ = people
    response = client.post(
        sheet_url(cell),
        {
            "month": "2026-04",
            "paid_on": "2026-04-09",
            f"pay_{salary.pk}": "on",
            f"amount_{salary.pk}": "85000",
            f"pay_{student.pk}": "on",
            f"amount_{student.pk}": "0",
        },
    )
    assert response.status_code == 400
    assert "Phạm Thị Hoa: The amount must be greater than zero." in response.content.decode()
    assert not FeePayment.objects.exists()
    # The ticked boxes and the typed amounts are kept.
    assert response.context["values"][f"amount_{student.pk}"] == "0"


def test_a_future_payment_date_and_an_empty_sheet_are_refused(client, cell, cell_secretary, people):
    _login(client, cell_secretary)
    salary = people[0]
    response = client.post(
        sheet_url(cell),
        {"month": "2026-04", "paid_on": "2026-04-11", f"pay_{salary.pk}": "on", f"amount_{salary.pk}": "85000"},
    )
    assert response.status_code == 400
    assert "The payment date cannot be in the future." in response.content.decode()
    response = client.post(sheet_url(cell), {"month": "2026-04", "paid_on": "2026-04-09"})
    assert response.status_code == 400
    assert "Choose at least one member whose payment to record." in response.content.decode()
    assert not FeePayment.objects.exists()


def test_htmx_posts_get_the_sheet_back_with_status_200(client, cell, cell_secretary, people):
    _login(client, cell_secretary)
    salary = people[0]
    response = client.post(
        sheet_url(cell),
        {"month": "2026-04", "paid_on": "2026-04-09", f"pay_{salary.pk}": "on", f"amount_{salary.pk}": "-1"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert 'id="fee-sheet"' in response.content.decode()


def test_the_month_selector_and_history_keep_the_old_rule(client, cell, cell_secretary, people):
    _login(client, cell_secretary)
    response = client.get(sheet_url(cell, "2026-01"))
    sheet = response.context["sheet"]
    student = next(r for r in sheet.rows if r.member.full_name == "Phạm Thị Hoa")
    assert student.fee.due.amount == 2_000  # 342-QĐ/TW
    assert client.get(sheet_url(cell, "garbage")).context["month"] == D(2026, 4, 1)


def test_the_sheet_costs_the_same_queries_whatever_the_number_of_members(client, cell, cell_secretary):
    _login(client, cell_secretary)
    counts = []
    for extra in (2, 12):
        for i in range(extra):
            member = _member(cell, f"Thành Viên {extra}-{i}", FeeCategory.SALARY, 5_000_000)
            FeePayment.objects.create(
                member=member, month=D(2026, 3, 1), amount=50_000, paid_on=D(2026, 3, 2), organization=cell
            )
        with CaptureQueriesContext(connection) as queries:
            assert client.get(sheet_url(cell)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 16, counts


SHEET_ACCESS = [
    ("cell_secretary", 200),
    ("clerk", 200),
    ("leader", 200),
    ("admin_user", 200),
    ("handler", 404),
    ("delegate", 404),
    ("member_user", 404),
    ("outsider", 404),
]


@pytest.mark.parametrize(("who", "status"), SHEET_ACCESS)
def test_access_to_the_sheet(request, client, cell, people, who, status):
    _login(client, request.getfixturevalue(who))
    assert client.get(sheet_url(cell)).status_code == status
    response = client.post(
        sheet_url(cell),
        {"month": "2026-04", "paid_on": "2026-04-09", f"pay_{people[0].pk}": "on", f"amount_{people[0].pk}": "85000"},
    )
    assert response.status_code == (302 if status == 200 else 404)


def test_a_cell_secretary_of_another_cell_gets_404(client, org_tree, cell_secretary):
    _login(client, cell_secretary)
    stranger = _member(org_tree["cell_b"], "Võ Văn Khách", FeeCategory.STUDENT)
    assert client.get(sheet_url(org_tree["cell_b"])).status_code == 404
    assert client.get(reverse("members:fee_member", args=[stranger.pk])).status_code == 404
    assert client.get(sheet_url(org_tree["other_cell"])).status_code == 404


# --- a member's fee page ----------------------------------------------------------------------------------


def test_the_member_page_shows_the_year_and_the_arrears_warning(client, cell, clerk, people):
    _login(client, clerk)
    salary = people[0]
    response = client.get(reverse("members:fee_member", args=[salary.pk]) + "?year=2026")
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["in_arrears"] is True  # January to March not paid
    assert "3 months of 2026 not paid." in html
    assert "85,000 đ for 04/2026: 1% of 8,500,000 đ" in html
    assert AuditEntry.objects.filter(action="view", object_id=str(salary.pk)).exists()


def test_the_member_sees_their_own_fee_page_without_forms(client, cell, member_user):
    _login(client, member_user)
    own = member_user.member
    response = client.get(reverse("members:fee_member", args=[own.pk]))
    assert response.status_code == 200
    assert "Record a payment" not in response.content.decode()
    assert client.post(reverse("members:fee_member", args=[own.pk]), {"action": "pay"}).status_code == 404
    other = _member(cell, "Người Khác", FeeCategory.STUDENT)
    assert client.get(reverse("members:fee_member", args=[other.pk])).status_code == 404


def test_the_member_page_forms_declare_exempt_and_pay(client, cell, cell_secretary, people):
    _login(client, cell_secretary)
    salary = people[0]
    url = reverse("members:fee_member", args=[salary.pk])
    response = client.post(
        url,
        {
            "action": "declare",
            "declare-valid_from": "2026-05",
            "declare-category": "salary",
            "declare-basis_amount": "",
        },
    )
    assert response.status_code == 400
    assert (
        "Enter the monthly amount the fee is computed from (salary, benefit or pension)." in response.content.decode()
    )
    response = client.post(
        url,
        {
            "action": "declare",
            "declare-valid_from": "2026-05",
            "declare-category": "salary",
            "declare-basis_amount": "9000000",
        },
    )
    assert response.status_code == 302
    assert FeeDeclaration.objects.filter(member=salary, valid_from=D(2026, 5, 1), basis_amount=9_000_000).exists()

    response = client.post(
        url,
        {
            "action": "exempt",
            "exempt-kind": "relief",
            "exempt-relief_percent": "50",
            "exempt-start_month": "2026-05",
            "exempt-end_month": "2027-05",
        },
    )
    assert response.status_code == 400
    assert "A relief lasts at most 12 months per grant; this one lasts 13." in response.content.decode()
    response = client.post(
        url,
        {
            "action": "exempt",
            "exempt-kind": "relief",
            "exempt-relief_percent": "50",
            "exempt-start_month": "2026-05",
            "exempt-end_month": "2027-04",
        },
    )
    assert response.status_code == 302
    assert FeeExemption.objects.get(member=salary).relief_percent == 50

    response = client.post(
        url, {"action": "pay", "pay-month": "2026-01", "pay-amount": "85000", "pay-paid_on": "2026-04-01"}
    )
    assert response.status_code == 302
    response = client.post(
        url, {"action": "pay", "pay-month": "2026-01", "pay-amount": "85000", "pay-paid_on": "2026-04-01"}
    )
    assert response.status_code == 400
    assert "Lê Văn Lương has already paid the fee for 01/2026 (85,000 đ on 01/04/2026)." in response.content.decode()


def test_the_member_record_page_shows_the_fee_summary(client, cell, clerk, people):
    _login(client, clerk)
    salary = people[0]
    FeePayment.objects.create(
        member=salary, month=D(2026, 4, 1), amount=85_000, paid_on=D(2026, 4, 2), organization=cell
    )
    response = client.get(reverse("members:detail", args=[salary.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="{reverse("members:fee_member", args=[salary.pk])}?year=2026"' in html
    assert "3 months of 2026 not paid." in html
    assert "85,000 đ — Paid" in html
