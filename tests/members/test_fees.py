"""Party fees: hand-worked amounts under the seeded rule sets (342-QĐ/TW until 01/2026, 01-QĐ/TW from
02/2026), exemptions and reliefs, arrears, the services' validation and the arrears warning task.

The rule sets come from the data migration ``0006_seed_fee_assessment_rules`` (not from fixtures), so these
tests also check what was seeded.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from members import fees
from members.models import (
    FeeArrearsWarning,
    FeeCategory,
    FeeDeclaration,
    FeeExemption,
    FeeExemptionKind,
    FeePayment,
    FeeRuleSet,
    MemberActivity,
    MemberStatus,
    MemberStatusEvent,
    StatusEventKind,
)
from members.services import fees as fee_services
from partyhub.models import Notification
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture(autouse=True)
def english(fee_rules):
    with translation.override("en"):
        yield


@pytest.fixture
def today(monkeypatch):
    """Pin "today" (``members.selectors.today``) to a chosen day."""

    def pin(day: datetime.date):
        monkeypatch.setattr("members.selectors.today", lambda: day)
        return day

    pin(D(2026, 4, 10))
    return pin


def declare(member, category, basis=0, valid_from=None):
    return FeeDeclaration.objects.create(
        member=member, valid_from=valid_from or D(2025, 1, 1), category=category, basis_amount=basis
    )


@pytest.fixture
def cell(org_tree):
    return org_tree["cell_a"]


@pytest.fixture
def salaried(cell):
    member = MemberFactory(full_name="Lê Văn Lương", organization=cell, admission_date=D(2005, 6, 1))
    declare(member, FeeCategory.SALARY, 8_500_000)
    return member


# --- the seeded rules -------------------------------------------------------------------------------------


def test_the_two_rule_sets_are_seeded_with_their_sources_and_notes():
    old, new = FeeRuleSet.objects.order_by("valid_from")
    assert "342-QĐ/TW" in old.source and old.valid_from == D(2011, 1, 1)
    assert "01-QĐ/TW" in new.source and new.valid_from == D(2026, 2, 1)
    assert new.exempt_party_age_years == 50 and old.exempt_party_age_years is None
    assert new.relief_percents == [30, 50, 70, 100] and new.max_relief_months == 12
    assert "[U]" in old.note and "[U]" in new.note  # unconfirmed values are marked
    rates = {r.category: (r.percent, r.fixed_amount) for r in new.rates.all()}
    assert rates == {
        "salary": (Decimal("1.000"), None),
        "benefit": (Decimal("1.000"), None),
        "pension": (Decimal("0.500"), None),
        "student": (None, 5000),
        "other": (Decimal("0.500"), None),
    }


# --- hand-worked amounts ----------------------------------------------------------------------------------


def test_salary_of_8_500_000_pays_85_000(salaried):
    due = fees.monthly_fee(salaried, D(2026, 3, 17))  # any day of the month
    assert due.month == D(2026, 3, 1)
    assert due.amount == 85_000
    assert due.category == FeeCategory.SALARY and due.basis == 8_500_000
    assert "01-QĐ/TW" in due.rule_set.source
    assert due.explanation == (
        "85,000 đ for 03/2026: 1% of 8,500,000 đ (Salary subject to compulsory social insurance) under "
        "Quy định 01-QĐ/TW ngày 03/02/2026 về chế độ đảng phí, rounded to 100 đ."
    )


def test_pension_pays_half_a_percent(cell):
    member = MemberFactory(organization=cell)
    declare(member, FeeCategory.PENSION, 4_000_000)
    assert fees.monthly_fee(member, D(2026, 3, 1)).amount == 20_000  # 0.5 % of 4,000,000
    assert fees.monthly_fee(member, D(2025, 12, 1)).amount == 20_000  # the same under 342


def test_benefit_pays_one_percent(cell):
    member = MemberFactory(organization=cell)
    declare(member, FeeCategory.BENEFIT, 3_250_000)
    assert fees.monthly_fee(member, D(2026, 5, 1)).amount == 32_500


def test_student_pays_5_000_from_february_2026_and_the_old_fixed_amount_before(cell):
    member = MemberFactory(organization=cell, status=MemberStatus.PROBATIONARY, admission_date=D(2025, 9, 2))
    declare(member, FeeCategory.STUDENT, valid_from=D(2025, 9, 1))
    february = fees.monthly_fee(member, D(2026, 2, 1))
    assert february.amount == 5_000  # probationary members pay too
    assert february.explanation.startswith("5,000 đ for 02/2026: the fixed amount for “Pupil or student”")
    january = fees.monthly_fee(member, D(2026, 1, 1))
    assert january.amount == 2_000 and "342-QĐ/TW" in january.rule_set.source


def test_january_2026_keeps_342_and_february_2026_follows_01(cell):
    """An "other" member: a fixed amount under 342, a share of the declared regional minimum wage under 01."""
    member = MemberFactory(organization=cell)
    declare(member, FeeCategory.OTHER, 3_700_000)
    january, february = fees.monthly_fee(member, D(2026, 1, 1)), fees.monthly_fee(member, D(2026, 2, 1))
    assert (january.amount, february.amount) == (3_000, 18_500)  # 0.5 % of 3,700,000
    assert "342-QĐ/TW" in january.rule_set.source and "01-QĐ/TW" in february.rule_set.source


def test_rounding_half_up_to_100_dong(cell):
    member = MemberFactory(organization=cell)
    declaration = declare(member, FeeCategory.SALARY, 8_456_789)  # 84,567.89
    assert fees.monthly_fee(member, D(2026, 3, 1)).amount == 84_600
    declaration.basis_amount = 8_455_000  # 84,550 exactly half
    declaration.save()
    assert fees.monthly_fee(member, D(2026, 3, 1)).amount == 84_600
    declaration.basis_amount = 8_454_900  # 84,549
    declaration.save()
    assert fees.monthly_fee(member, D(2026, 3, 1)).amount == 84_500
    assert fees.round_amount(Decimal("25370.367"), 100) == 25_400


def test_the_declaration_in_force_that_month_is_used(cell):
    member = MemberFactory(organization=cell)
    declare(member, FeeCategory.SALARY, 6_000_000, valid_from=D(2025, 1, 1))
    declare(member, FeeCategory.SALARY, 9_000_000, valid_from=D(2026, 4, 1))
    assert fees.monthly_fee(member, D(2026, 3, 1)).amount == 60_000
    assert fees.monthly_fee(member, D(2026, 4, 1)).amount == 90_000


def test_no_declaration_and_months_before_admission_owe_nothing(cell):
    member = MemberFactory(organization=cell, admission_date=D(2026, 3, 20))
    due = fees.monthly_fee(member, D(2026, 3, 1))
    assert (due.amount, due.reason) == (0, "no_declaration")
    declare(member, FeeCategory.SALARY, 5_000_000, valid_from=D(2026, 1, 1))
    assert fees.monthly_fee(member, D(2026, 3, 1)).amount == 50_000  # the month of admission is owed
    before = fees.monthly_fee(member, D(2026, 2, 1))
    assert (before.amount, before.reason) == (0, "not_member_yet")
    assert before.explanation == "Nothing is due for 02/2026: the member was admitted on 20/03/2026."


def test_fifty_years_of_party_age_exempt_from_the_month_after(cell):
    member = MemberFactory(organization=cell, admission_date=D(1976, 3, 15))  # 50 years on 15/03/2026
    declare(member, FeeCategory.PENSION, 6_000_000)
    assert fees.monthly_fee(member, D(2026, 3, 1)).amount == 30_000
    april = fees.monthly_fee(member, D(2026, 4, 1))
    assert (april.amount, april.reason, april.is_exempt) == (0, "party_age", True)
    assert april.explanation == (
        "Exempt for 04/2026: 50 years of party age reached on 15/03/2026 "
        "(Quy định 01-QĐ/TW ngày 03/02/2026 về chế độ đảng phí)."
    )


def test_days_not_counted_in_party_age_delay_the_exemption(cell):
    member = MemberFactory(organization=cell, admission_date=D(1976, 3, 15), party_age_gap_days=31)
    declare(member, FeeCategory.PENSION, 6_000_000)
    assert fees.party_age_reached_on(member, 50) == D(2026, 4, 15)
    assert fees.monthly_fee(member, D(2026, 4, 1)).amount == 30_000
    assert fees.monthly_fee(member, D(2026, 5, 1)).amount == 0


def test_the_party_age_exemption_starts_with_01_not_under_342(cell):
    member = MemberFactory(organization=cell, admission_date=D(1975, 6, 1))  # 50 years on 01/06/2025
    declare(member, FeeCategory.PENSION, 6_000_000)
    assert fees.monthly_fee(member, D(2026, 1, 1)).amount == 30_000  # 342: no such exemption
    assert fees.monthly_fee(member, D(2026, 2, 1)).amount == 0


def test_fifty_percent_relief(salaried):
    FeeExemption.objects.create(
        member=salaried,
        kind=FeeExemptionKind.RELIEF,
        relief_percent=50,
        start_month=D(2026, 3, 1),
        end_month=D(2026, 8, 1),
    )
    due = fees.monthly_fee(salaried, D(2026, 3, 1))
    assert (due.amount, due.gross, due.relief_percent, due.reason) == (42_500, 85_000, 50, "relief")
    assert "less a relief of 50% (Relief decided case by case)" in due.explanation


def test_seventy_percent_relief_rounds_after_the_relief(cell):
    member = MemberFactory(organization=cell)
    declare(member, FeeCategory.SALARY, 8_456_789)
    FeeExemption.objects.create(
        member=member,
        kind=FeeExemptionKind.RELIEF,
        relief_percent=70,
        start_month=D(2026, 3, 1),
        end_month=D(2026, 3, 1),
    )
    assert fees.monthly_fee(member, D(2026, 3, 1)).amount == 25_400  # 84,567.89 × 30 % = 25,370.37


def test_exempt_then_pays_again(salaried):
    FeeExemption.objects.create(
        member=salaried,
        kind=FeeExemptionKind.POOR_HOUSEHOLD,
        relief_percent=100,
        start_month=D(2026, 3, 1),
        end_month=D(2026, 5, 1),
    )
    amounts = [fees.monthly_fee(salaried, D(2026, m, 1)).amount for m in range(2, 8)]
    assert amounts == [85_000, 0, 0, 0, 85_000, 85_000]
    assert fees.monthly_fee(salaried, D(2026, 4, 1)).explanation == ("Exempt for 04/2026: Poor or near-poor household.")


def test_a_member_who_left_owes_nothing_after_the_event(salaried):
    MemberStatusEvent.objects.create(
        member=salaried,
        kind=StatusEventKind.DECEASED,
        effective_date=D(2026, 3, 15),
        status_before=MemberStatus.OFFICIAL,
        status_after=MemberStatus.DECEASED,
        activity_before=MemberActivity.ACTIVE,
        activity_after=MemberActivity.ACTIVE,
    )
    salaried.status = MemberStatus.DECEASED
    salaried.save()
    assert fees.monthly_fee(salaried, D(2026, 3, 1)).amount == 85_000  # the month had begun
    april = fees.monthly_fee(salaried, D(2026, 4, 1))
    assert (april.amount, april.reason) == (0, "left")
    assert april.explanation == (
        "Nothing is due for 04/2026: the member is no longer a current member (Deceased since 15/03/2026)."
    )


def test_fee_year_lists_due_and_paid(salaried, cell):
    FeePayment.objects.create(
        member=salaried, month=D(2026, 2, 1), amount=85_000, paid_on=D(2026, 2, 3), organization=cell
    )
    year = fees.fee_year(salaried, 2026)
    assert [m.month.month for m in year] == list(range(1, 13))
    assert (year[0].due.amount, year[0].paid, year[0].unpaid) == (85_000, 0, True)
    assert (year[1].paid, year[1].unpaid, year[1].balance) == (85_000, False, 0)


# --- arrears and collection -------------------------------------------------------------------------------


def test_arrears_warning_at_exactly_three_unpaid_months(salaried, cell):
    ids = [cell.pk]
    assert fees.members_in_arrears(ids, 2026, on=D(2026, 3, 31)) == []  # January and February are over
    entries = fees.members_in_arrears(ids, 2026, on=D(2026, 4, 1))  # March is over too
    assert [(e.member, e.count, e.owed, e.limit) for e in entries] == [(salaried, 3, 255_000, 3)]
    assert entries[0].months_text == "01, 02, 03/2026"
    FeePayment.objects.create(
        member=salaried, month=D(2026, 2, 1), amount=85_000, paid_on=D(2026, 2, 3), organization=cell
    )
    assert fees.members_in_arrears(ids, 2026, on=D(2026, 4, 1)) == []


def test_exempt_months_are_not_arrears(salaried, cell):
    FeeExemption.objects.create(
        member=salaried, kind=FeeExemptionKind.SERIOUS_ILLNESS, start_month=D(2026, 2, 1), end_month=None
    )
    assert fees.members_in_arrears([cell.pk], 2026, on=D(2026, 12, 31)) == []


def test_collection_rate_counts_what_was_due_and_paid(cell, org_tree):
    a = MemberFactory(organization=cell)
    declare(a, FeeCategory.SALARY, 8_500_000)
    b = MemberFactory(organization=cell)
    declare(b, FeeCategory.STUDENT)
    c = MemberFactory(organization=org_tree["cell_b"])
    declare(c, FeeCategory.PENSION, 4_000_000)
    march = D(2026, 3, 1)
    FeePayment.objects.create(member=a, month=march, amount=100_000, paid_on=march, organization=cell)  # more than due
    assert fees.collection_rate([cell.pk], month=march) == (90_000, 85_000, Decimal("94.4"))
    per_cell = fees.collection_rates([cell.pk, org_tree["cell_b"].pk], month=march)
    assert per_cell[org_tree["cell_b"].pk] == (20_000, 0, Decimal("0.0"))
    assert fees.collection_rate([org_tree["commune"].pk], month=march) == (0, 0, None)
    # The year counts its months up to this one: January (342: 85,000 + 2,000) to March.
    due, paid, _percent = fees.collection_rate([cell.pk], year=2026, on=D(2026, 3, 20))
    assert (due, paid) == (85_000 + 2_000 + 2 * 90_000, 85_000)


# --- services: payments -----------------------------------------------------------------------------------


def test_a_cell_secretary_records_a_payment(salaried, cell_secretary, today):
    payment = fee_services.fee_payment_record(
        actor=cell_secretary, member=salaried, month=D(2026, 4, 1), amount=85_000, paid_on=D(2026, 4, 5)
    )
    assert (payment.organization, payment.recorded_by, payment.amount) == (
        salaried.organization,
        cell_secretary,
        85_000,
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"month": D(2026, 3, 15)}, "month", "A month is given by its first day (e.g. 01/03/2026), not 15/03/2026."),
        ({"amount": 0}, "amount", "The amount must be greater than zero."),
        ({"amount": -5_000}, "amount", "The amount must be greater than zero."),
        ({"amount": "12.5"}, "amount", "Enter the amount in đồng, as a whole number."),
        ({"paid_on": D(2026, 4, 11)}, "paid_on", "The payment date cannot be in the future."),
        ({"paid_on": None}, "paid_on", "The payment date is required."),
        ({"month": D(2004, 1, 1)}, "month", None),
    ],
)
def test_bad_payments_are_refused_with_a_clear_message(salaried, clerk, today, changes, field, message):
    data = {"month": D(2026, 4, 1), "amount": 85_000, "paid_on": D(2026, 4, 10), **changes}
    with pytest.raises(ValidationError) as exc:
        fee_services.fee_payment_record(actor=clerk, member=salaried, **data)
    if message is None:  # before admission (01/06/2005)
        message = (
            "Lê Văn Lương owes no fee for 01/2004: Nothing is due for 01/2004: the member was admitted on 01/06/2005."
        )
    assert exc.value.message_dict == {field: [message]}
    assert not FeePayment.objects.exists()


def test_a_month_cannot_be_paid_twice(salaried, clerk, today):
    fee_services.fee_payment_record(
        actor=clerk, member=salaried, month=D(2026, 4, 1), amount=85_000, paid_on=D(2026, 4, 2)
    )
    with pytest.raises(ValidationError) as exc:
        fee_services.fee_payment_record(
            actor=clerk, member=salaried, month=D(2026, 4, 1), amount=85_000, paid_on=D(2026, 4, 3)
        )
    assert exc.value.message_dict == {
        "month": ["Lê Văn Lương has already paid the fee for 04/2026 (85,000 đ on 02/04/2026)."]
    }
    assert FeePayment.objects.count() == 1


@pytest.mark.parametrize("who", ["cell_secretary_b", "handler", "member_user", "outsider", "delegate"])
def test_only_those_who_manage_the_cell_record_payments(request, org_tree, salaried, today, who):
    if who == "cell_secretary_b":
        from tests.conftest import _person

        actor = _person("cellsec_b", org_tree["cell_b"], "Bí thư chi bộ", grants_cell_secretary=True)
    else:
        actor = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        fee_services.fee_payment_record(
            actor=actor, member=salaried, month=D(2026, 4, 1), amount=85_000, paid_on=D(2026, 4, 2)
        )


@pytest.mark.parametrize("who", ["cell_secretary", "clerk", "leader", "admin_user"])
def test_the_cell_secretary_the_office_the_leaders_and_admins_may(request, salaried, today, who):
    actor = request.getfixturevalue(who)
    fee_services.fee_payment_record(
        actor=actor, member=salaried, month=D(2026, 4, 1), amount=85_000, paid_on=D(2026, 4, 2)
    )
    assert FeePayment.objects.filter(member=salaried).count() == 1


def test_the_monthly_sheet_is_all_or_nothing(cell, salaried, cell_secretary, today):
    other = MemberFactory(full_name="Phạm Thị Hoa", organization=cell)
    declare(other, FeeCategory.STUDENT)
    with pytest.raises(ValidationError) as exc:
        fee_services.fee_payments_record(
            actor=cell_secretary,
            organization=cell,
            month=D(2026, 4, 1),
            entries=[(salaried, 85_000), (other, 0)],
            paid_on=D(2026, 4, 8),
        )
    assert exc.value.message_dict == {f"amount_{other.pk}": ["Phạm Thị Hoa: The amount must be greater than zero."]}
    assert not FeePayment.objects.exists()

    created = fee_services.fee_payments_record(
        actor=cell_secretary,
        organization=cell,
        month=D(2026, 4, 1),
        entries=[(salaried, 85_000), (other, 5_000)],
        paid_on=D(2026, 4, 8),
    )
    assert sorted(p.amount for p in created) == [5_000, 85_000]
    with pytest.raises(ValidationError) as exc:
        fee_services.fee_payments_record(
            actor=cell_secretary,
            organization=cell,
            month=D(2026, 4, 1),
            entries=[(other, 5_000)],
            paid_on=D(2026, 4, 8),
        )
    assert exc.value.message_dict == {
        f"amount_{other.pk}": ["Phạm Thị Hoa has already paid the fee for 04/2026 (5,000 đ on 08/04/2026)."]
    }


def test_the_sheet_refuses_members_of_another_cell(org_tree, cell, clerk, today):
    stranger = MemberFactory(full_name="Võ Văn Khách", organization=org_tree["cell_b"])
    with pytest.raises(ValidationError) as exc:
        fee_services.fee_payments_record(
            actor=clerk, organization=cell, month=D(2026, 4, 1), entries=[(stranger, 5_000)], paid_on=D(2026, 4, 8)
        )
    assert exc.value.message_dict == {
        f"amount_{stranger.pk}": ["Võ Văn Khách is not on the fee sheet of Chi bộ ấp Phước Hưng for 04/2026."]
    }


def test_the_sheet_of_another_cell_is_refused_to_a_cell_secretary(org_tree, cell_secretary, today):
    with pytest.raises(PermissionDenied):
        fee_services.fee_payments_record(
            actor=cell_secretary,
            organization=org_tree["cell_b"],
            month=D(2026, 4, 1),
            entries=[],
            paid_on=D(2026, 4, 8),
        )


# --- services: declarations and exemptions ----------------------------------------------------------------


def test_declarations_are_validated_and_replace_the_same_month(salaried, clerk):
    with pytest.raises(ValidationError) as exc:
        fee_services.fee_declaration_set(actor=clerk, member=salaried, valid_from=D(2026, 5, 2), category="salary")
    assert exc.value.message_dict == {
        "valid_from": ["A month is given by its first day (e.g. 01/03/2026), not 02/05/2026."]
    }
    with pytest.raises(ValidationError) as exc:
        fee_services.fee_declaration_set(actor=clerk, member=salaried, valid_from=D(2026, 5, 1), category="salary")
    assert exc.value.message_dict == {
        "basis_amount": ["Enter the monthly amount the fee is computed from (salary, benefit or pension)."]
    }
    with pytest.raises(ValidationError) as exc:
        fee_services.fee_declaration_set(actor=clerk, member=salaried, valid_from=D(2026, 5, 1), category="other")
    assert exc.value.message_dict == {
        "basis_amount": ["Enter the regional minimum wage the fee of other members is computed from."]
    }
    fee_services.fee_declaration_set(
        actor=clerk, member=salaried, valid_from=D(2026, 5, 1), category="student", basis_amount=123
    )
    declaration = fee_services.fee_declaration_set(
        actor=clerk, member=salaried, valid_from=D(2026, 5, 1), category="pension", basis_amount=5_000_000
    )
    assert (declaration.category, declaration.basis_amount, declaration.declared_by) == ("pension", 5_000_000, clerk)
    assert FeeDeclaration.objects.filter(member=salaried, valid_from=D(2026, 5, 1)).count() == 1
    assert fees.monthly_fee(salaried, D(2026, 5, 1)).amount == 25_000


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"relief_percent": 40}, "relief_percent", "The relief must be one of 30%, 50%, 70%, 100%, not 40%."),
        (
            {"end_month": D(2027, 3, 1)},
            "end_month",
            "A relief lasts at most 12 months per grant; this one lasts 13.",
        ),
        ({"end_month": None}, "end_month", "A relief decided case by case needs its last month."),
        ({"end_month": D(2026, 2, 1)}, "end_month", "The last month cannot be before the first month."),
        (
            {"start_month": D(2026, 3, 2)},
            "start_month",
            "A month is given by its first day (e.g. 01/03/2026), not 02/03/2026.",
        ),
        (
            {"kind": FeeExemptionKind.POOR_HOUSEHOLD, "relief_percent": 50},
            "relief_percent",
            "“Poor or near-poor household” gives a full exemption (100%); a partial relief is decided case by case.",
        ),
    ],
)
def test_bad_exemptions_are_refused(salaried, clerk, data, field, message):
    base = {
        "kind": FeeExemptionKind.RELIEF,
        "relief_percent": 50,
        "start_month": D(2026, 3, 1),
        "end_month": D(2027, 2, 1),
    }
    with pytest.raises(ValidationError) as exc:
        fee_services.fee_exemption_grant(actor=clerk, member=salaried, **{**base, **data})
    assert exc.value.message_dict == {field: [message]}
    assert not FeeExemption.objects.exists()


def test_a_twelve_month_relief_is_granted_and_overlaps_are_refused(salaried, clerk):
    grant = fee_services.fee_exemption_grant(
        actor=clerk,
        member=salaried,
        kind=FeeExemptionKind.RELIEF,
        relief_percent=30,
        start_month=D(2026, 3, 1),
        end_month=D(2027, 2, 1),
        decision_number="12-QĐ/CB",
    )
    assert fees.monthly_fee(salaried, D(2026, 3, 1)).amount == 59_500  # 85,000 × 70 %
    assert grant.decision_number == "12-QĐ/CB"
    with pytest.raises(ValidationError) as exc:
        fee_services.fee_exemption_grant(
            actor=clerk, member=salaried, kind=FeeExemptionKind.SERIOUS_ILLNESS, start_month=D(2027, 1, 1)
        )
    assert exc.value.messages == [
        "Lê Văn Lương already has an exemption or relief from 03/2026 to 02/2027 that overlaps this one."
    ]
    # An open-ended full exemption after the relief is fine.
    fee_services.fee_exemption_grant(
        actor=clerk, member=salaried, kind=FeeExemptionKind.SERIOUS_ILLNESS, start_month=D(2027, 3, 1)
    )
    assert fees.monthly_fee(salaried, D(2030, 1, 1)).amount == 0


# --- the arrears warning task -----------------------------------------------------------------------------


def test_the_beat_task_warns_the_cell_secretary_once_per_member_and_year(salaried, cell_secretary, today, celery_eager):
    from members.tasks import warn_fee_arrears

    MemberFactory(organization=salaried.organization)  # no declaration: owes nothing, no warning
    today(D(2026, 3, 31))
    assert warn_fee_arrears() == 0
    today(D(2026, 4, 1))
    assert warn_fee_arrears() == 1
    assert warn_fee_arrears() == 0  # idempotent
    today(D(2026, 6, 1))
    assert warn_fee_arrears() == 0  # still the same year
    notes = Notification.objects.filter(recipient=cell_secretary, kind="fee_arrears")
    assert notes.count() == 1
    assert "Lê Văn Lương" in notes.get().title
    assert notes.get().url == f"/members/{salaried.pk}/fees/?year=2026"
    warning = FeeArrearsWarning.objects.get()
    assert (warning.member, warning.year, warning.unpaid_months) == (salaried, 2026, 3)
