"""Computed facts (members.facts) against hand-worked cases: party age, recognition due, next badge.

Pure computations: members, events and rule rows are built in memory (unsaved) and passed in, so each case
shows exactly what it depends on. The arithmetic is in the comments.
"""

from __future__ import annotations

import datetime

import pytest

from members import facts
from members.models import BadgeRule, Member, MemberStatus, MemberStatusEvent, ProbationRule, StatusEventKind
from members.rules import RuleBook

D = datetime.date
K = StatusEventKind

BADGE_2021 = BadgeRule(
    source="Hướng dẫn 01-HD/TW (2021)",
    valid_from=D(2021, 9, 28),
    milestones=[30, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90],
    award_days=["03/02", "19/05", "02/09", "07/11"],
    illness_early_months=12,
    illness_early_months_high=24,
    high_milestone_from=70,
    posthumous_early_months=12,
)
BADGES = RuleBook(BadgeRule, rows=[BADGE_2021])
PROBATION_2011 = ProbationRule(
    source="Điều lệ", valid_from=D(2011, 1, 1), probation_months=12, decision_working_days=30
)
PROBATION = RuleBook(ProbationRule, rows=[PROBATION_2011])


def member(admitted, *, status=MemberStatus.OFFICIAL, ceremony=None, ill=False) -> Member:
    return Member(
        full_name="Nguyễn Văn Thử",
        admission_date=admitted,
        admission_ceremony_date=ceremony,
        status=status,
        serious_illness=ill,
    )


def ev(kind, day, pk=None) -> MemberStatusEvent:
    return MemberStatusEvent(kind=kind, effective_date=day, pk=pk)


# --- calendar helpers -------------------------------------------------------------------------------------


def test_add_months_ends_on_the_last_day_when_the_day_is_missing():
    assert facts.add_months(D(1996, 2, 29), 12 * 30) == D(2026, 2, 28)
    assert facts.add_months(D(1996, 2, 29), 12 * 28) == D(2024, 2, 29)  # 2024 is a leap year
    assert facts.add_months(D(2025, 1, 31), 1) == D(2025, 2, 28)
    assert facts.add_months(D(2025, 3, 31), -1) == D(2025, 2, 28)


def test_working_days_skip_weekends():
    # Sunday 15/03/2026 + 30 working days: Mon 16/03 is the 1st; five a week → Fri 24/04/2026 is the 30th
    # (16–20/3: 5, 23–27/3: 10, 30/3–3/4: 15, 6–10/4: 20, 13–17/4: 25, 20–24/4: 30).
    assert facts.add_working_days(D(2026, 3, 15), 30) == D(2026, 4, 24)
    # Friday + 1 working day = the next Monday.
    assert facts.add_working_days(D(2026, 11, 20), 1) == D(2026, 11, 23)


def test_next_award_day_is_on_or_after_the_day():
    days = BADGE_2021.award_days
    assert facts.next_award_day(days, D(2026, 5, 19)) == D(2026, 5, 19)
    assert facts.next_award_day(days, D(2026, 5, 20)) == D(2026, 9, 2)
    assert facts.next_award_day(days, D(2026, 11, 8)) == D(2027, 2, 3)


# --- party age --------------------------------------------------------------------------------------------


def test_party_age_without_gaps():
    # 19/05/2000 → 19/05/2026: 26 whole years; days: 26×365 + 6 leap days (29/02 of 2004…2024) = 9496.
    age = facts.party_age(member(D(2000, 5, 19)), D(2026, 5, 19), events=[])
    assert (age.years, age.months, age.days, age.total_days) == (26, 0, 0, 9496)
    # One day earlier: 25 years, 11 months (to 19/04/2026), and 29 days from 19/04 to 18/05.
    age = facts.party_age(member(D(2000, 5, 19)), D(2026, 5, 18), events=[])
    assert (age.years, age.months, age.days) == (25, 11, 29)


def test_party_age_leap_day_admission():
    admitted = member(D(1996, 2, 29))
    # 2026 has no 29/02: the 30th year ends on the last day of February (Điều 148 BLDS 2015) → 30y 0m 0d
    # on 28/02/2026. Days: 01/03/1996 → 01/03/2026 = 30×365 + 7 leap days (2000…2024) = 10957, plus the
    # one day 29/02 → 01/03/1996 = 10958 to 01/03/2026, so 10957 to 28/02/2026.
    age = facts.party_age(admitted, D(2026, 2, 28), events=[])
    assert (age.years, age.months, age.days, age.total_days) == (30, 0, 0, 10957)
    # 01/03/2026: one day more.
    age = facts.party_age(admitted, D(2026, 3, 1), events=[])
    assert (age.years, age.months, age.days, age.total_days) == (30, 0, 1, 10958)
    # 27/02/2026: 359 months end on 29/01/2026; 29/01 → 27/02 is 29 days → 29y 11m 29d.
    age = facts.party_age(admitted, D(2026, 2, 27), events=[])
    assert (age.years, age.months, age.days) == (29, 11, 29)


def test_party_age_minus_an_expulsion_gap():
    # Admitted 01/01/2000, expelled 01/01/2005, restored 01/01/2006: 365 days not counted (2005 is common).
    # The start shifts 365 days: 01/01/2000 + 365 = 31/12/2000 (2000 has 366 days). 31/12/2000 → 01/01/2026
    # = 25 years and 1 day. Days: 01/01/2000 → 01/01/2026 = 26×365 + 7 leap days (2000…2024) = 9497,
    # minus 365 = 9132.
    events = [ev(K.EXPELLED, D(2005, 1, 1)), ev(K.RESTORED, D(2006, 1, 1))]
    age = facts.party_age(member(D(2000, 1, 1)), D(2026, 1, 1), events=events)
    assert (age.years, age.months, age.days, age.total_days) == (25, 0, 1, 9132)
    assert age.gaps == [(D(2005, 1, 1), D(2006, 1, 1))]
    assert age.gap_days == 365


def test_party_age_minus_a_transfer_gap_and_lost_contact():
    # Transfer out 10/03/2010 → in 20/04/2010: 21 days of March (11…31) + 20 of April = 41 days.
    # Lost contact 01/06/2015 → restored 01/07/2015: 30 days. Total 71.
    events = [
        ev(K.TRANSFER_OUT, D(2010, 3, 10)),
        ev(K.TRANSFER_IN, D(2010, 4, 20)),
        ev(K.LOST_CONTACT, D(2015, 6, 1)),
        ev(K.CONTACT_RESTORED, D(2015, 7, 1)),
    ]
    age = facts.party_age(member(D(2000, 1, 1)), D(2026, 1, 1), events=events)
    assert age.gap_days == 71
    # Shifted start 01/01/2000 + 71 days = 12/03/2000 (31 + 29 + 11); → 01/01/2026 = 25y 9m 20d
    # (12/03/2000 + 25y 9m = 12/12/2025, then 20 days to 01/01/2026).
    assert (age.years, age.months, age.days) == (25, 9, 20)


def test_party_age_of_a_readmitted_member_counts_from_the_first_admission():
    # Admitted 15/06/1990, removed 15/06/1995, readmitted 15/06/1997: gap 365 + 366 (29/02/1996) = 731 days.
    # The shifted start is 15/06/1990 + 731 = 15/06/1992 (1990→91: 365, 1991→92: 366), so on 15/06/2026
    # the party age is 34 years exactly (36 calendar years minus the 2 not counted).
    events = [ev(K.REMOVED, D(1995, 6, 15)), ev(K.READMITTED, D(1997, 6, 15))]
    age = facts.party_age(member(D(1990, 6, 15)), D(2026, 6, 15), events=events)
    assert (age.years, age.months, age.days) == (34, 0, 0)


def test_party_age_stops_at_an_open_gap_and_at_death():
    # Lost contact since 01/01/2020, never restored: the count stops there — 20 years on any later day.
    events = [ev(K.LOST_CONTACT, D(2020, 1, 1))]
    age = facts.party_age(member(D(2000, 1, 1)), D(2026, 1, 1), events=events)
    assert (age.years, age.months, age.days) == (20, 0, 0)
    assert age.gaps == [(D(2020, 1, 1), None)]
    # Died 01/07/2020, admitted 01/01/1980: 40 years 6 months, whatever the day asked.
    dead = member(D(1980, 1, 1), status=MemberStatus.DECEASED)
    age = facts.party_age(dead, D(2026, 1, 1), events=[ev(K.DECEASED, D(2020, 7, 1))])
    assert (age.years, age.months, age.days) == (40, 6, 0)


def test_party_age_unknown_or_future_admission_is_zero():
    assert facts.party_age(member(None), D(2026, 1, 1), events=[]).known is False
    age = facts.party_age(member(D(2026, 6, 1)), D(2026, 1, 1), events=[])
    assert (age.years, age.months, age.days, age.total_days) == (0, 0, 0, 0)


# --- recognition due --------------------------------------------------------------------------------------


def test_recognition_due_from_the_ceremony():
    # Decision 01/03/2025, ceremony 15/03/2025: probation ends 12 months after the ceremony = Sunday
    # 15/03/2026; the decision is due within 30 working days = Friday 24/04/2026 (see the working-day test).
    m = member(D(2025, 3, 1), status=MemberStatus.PROBATIONARY, ceremony=D(2025, 3, 15))
    due = facts.recognition_due(m, events=[], rules=PROBATION)
    assert due.probation_end == D(2026, 3, 15)
    assert due.decision_deadline == D(2026, 4, 24)
    assert due.rule is PROBATION_2011


def test_recognition_due_falls_back_to_the_decision_date_and_handles_29_february():
    # No ceremony date: from the decision 29/02/2024; 12 months later 2025 has no 29/02 → 28/02/2025
    # (a Friday); 30 working days after it: 3/3–7/3 (5) … six weeks → Friday 11/04/2025.
    m = member(D(2024, 2, 29), status=MemberStatus.PROBATIONARY)
    due = facts.recognition_due(m, events=[], rules=PROBATION)
    assert due.probation_end == D(2025, 2, 28)
    assert due.decision_deadline == D(2025, 4, 11)


def test_recognition_rule_is_picked_by_the_admission_date():
    later = ProbationRule(source="test", valid_from=D(2027, 1, 1), probation_months=18, decision_working_days=20)
    rules = RuleBook(ProbationRule, rows=[PROBATION_2011, later])
    # Admitted 31/12/2026 (under the 2011 rule): 12 months → 31/12/2027.
    old = facts.recognition_due(member(D(2026, 12, 31), status=MemberStatus.PROBATIONARY), events=[], rules=rules)
    assert (old.rule, old.probation_end) == (PROBATION_2011, D(2027, 12, 31))
    # Admitted 01/02/2027 (the new rule): 18 months → 01/08/2028 (Tuesday); + 20 working days = 29/08/2028.
    new = facts.recognition_due(member(D(2027, 2, 1), status=MemberStatus.PROBATIONARY), events=[], rules=rules)
    assert (new.rule, new.probation_end, new.decision_deadline) == (later, D(2028, 8, 1), D(2028, 8, 29))


def test_recognition_due_of_a_readmitted_member_runs_from_the_readmission():
    # First admitted 1990; readmitted 10/10/2025 → a new probation of 12 months, ending 10/10/2026.
    m = member(D(1990, 1, 1), status=MemberStatus.PROBATIONARY)
    events = [ev(K.REMOVED, D(2000, 1, 1)), ev(K.READMITTED, D(2025, 10, 10))]
    assert facts.recognition_due(m, events=events, rules=PROBATION).probation_end == D(2026, 10, 10)


def test_no_recognition_due_for_official_members():
    assert facts.recognition_due(member(D(2000, 1, 1)), events=[], rules=PROBATION) is None


# --- next badge -------------------------------------------------------------------------------------------


def test_badge_reached_after_an_award_day_waits_for_the_next_one():
    # Admitted 20/05/1996 → 30 years on 20/05/2026, one day after 19/05 → awarded on 02/09/2026.
    badge = facts.next_badge(member(D(1996, 5, 20)), D(2026, 1, 1), events=[], awarded=set(), rules=BADGES)
    assert (badge.years, badge.reached_on, badge.award_date, badge.early_reason) == (
        30,
        D(2026, 5, 20),
        D(2026, 9, 2),
        "",
    )


def test_badge_reached_on_an_award_day_is_awarded_that_day():
    badge = facts.next_badge(member(D(1996, 5, 19)), D(2026, 1, 1), events=[], awarded=set(), rules=BADGES)
    assert (badge.years, badge.reached_on, badge.award_date) == (30, D(2026, 5, 19), D(2026, 5, 19))


def test_badge_date_shifted_by_a_gap():
    # Admitted 01/01/1990; lost contact 01/01/2000 → restored 01/04/2000: 31 + 29 + 31 = 91 days.
    # 30 years would be 01/01/2020; shifted start 01/01/1990 + 91 = 02/04/1990 (31 + 28 + 31 = 90 → 01/04),
    # so 30 years on 02/04/2020 → award 19/05/2020.
    events = [ev(K.LOST_CONTACT, D(2000, 1, 1)), ev(K.CONTACT_RESTORED, D(2000, 4, 1))]
    badge = facts.next_badge(member(D(1990, 1, 1)), D(2020, 1, 1), events=events, awarded=set(), rules=BADGES)
    assert (badge.years, badge.reached_on, badge.award_date) == (30, D(2020, 4, 2), D(2020, 5, 19))
    # The party age on that day is exactly 30 years.
    age = facts.party_age(member(D(1990, 1, 1)), D(2020, 4, 2), events=events)
    assert (age.years, age.months, age.days) == (30, 0, 0)


def test_seriously_ill_member_70_years_up_to_24_months_early():
    # Admitted 10/09/1957 → 70 years on 10/09/2027. Ill: 24 months early → from 10/09/2025, so as of
    # 01/01/2026 it is due and awarded on the next award day, 03/02/2026.
    awarded = {30, 40, 45, 50, 55, 60, 65}
    ill = facts.next_badge(member(D(1957, 9, 10), ill=True), D(2026, 1, 1), events=[], awarded=awarded, rules=BADGES)
    assert (ill.years, ill.reached_on, ill.eligible_from, ill.award_date, ill.early_reason) == (
        70,
        D(2027, 9, 10),
        D(2025, 9, 10),
        D(2026, 2, 3),
        facts.EARLY_ILLNESS,
    )
    # The same member in good health: first award day on/after 10/09/2027 = 07/11/2027.
    well = facts.next_badge(member(D(1957, 9, 10)), D(2026, 1, 1), events=[], awarded=awarded, rules=BADGES)
    assert (well.award_date, well.early_reason) == (D(2027, 11, 7), "")


def test_seriously_ill_member_below_70_years_up_to_12_months_early():
    # 60 years on 10/09/2027; 12 months early → from 10/09/2026; as of 01/01/2026 not yet due: the award is
    # the first award day on/after 10/09/2026 = 07/11/2026.
    awarded = {30, 40, 45, 50, 55}
    badge = facts.next_badge(member(D(1967, 9, 10), ill=True), D(2026, 1, 1), events=[], awarded=awarded, rules=BADGES)
    assert (badge.years, badge.eligible_from, badge.award_date, badge.early_reason) == (
        60,
        D(2026, 9, 10),
        D(2026, 11, 7),
        facts.EARLY_ILLNESS,
    )


def test_posthumous_award_up_to_12_months_early():
    # Admitted 01/03/1976 → 50 years on 01/03/2026; died 01/10/2025, 5 months before (≤ 12) → posthumous,
    # due from the death; as of 01/01/2026 the next award day is 03/02/2026.
    dead = member(D(1976, 3, 1), status=MemberStatus.DECEASED)
    events = [ev(K.DECEASED, D(2025, 10, 1))]
    badge = facts.next_badge(dead, D(2026, 1, 1), events=events, awarded={30, 40, 45}, rules=BADGES)
    assert (badge.years, badge.reached_on, badge.award_date, badge.early_reason) == (
        50,
        D(2026, 3, 1),
        D(2026, 2, 3),
        facts.EARLY_POSTHUMOUS,
    )
    # Died 01/01/2025: 14 months before the 50 years → too early, nothing to award.
    events = [ev(K.DECEASED, D(2025, 1, 1))]
    assert facts.next_badge(dead, D(2026, 1, 1), events=events, awarded={30, 40, 45}, rules=BADGES) is None


def test_there_is_no_35_year_badge():
    # Admitted 01/01/1990 with the 30-year badge; on 01/06/2025 (35½ years) the next is 40 years on
    # 01/01/2030 → award 03/02/2030.
    badge = facts.next_badge(member(D(1990, 1, 1)), D(2025, 6, 1), events=[], awarded={30}, rules=BADGES)
    assert (badge.years, badge.award_date) == (40, D(2030, 2, 3))


def test_a_missed_lower_badge_gives_way_to_the_highest_one_reached():
    # Admitted 01/01/1980, no badge recorded; on 01/01/2026 (46 years) 30, 40 and 45 are all reached:
    # the 45-year badge is the one due, at the next award day 03/02/2026.
    badge = facts.next_badge(member(D(1980, 1, 1)), D(2026, 1, 1), events=[], awarded=set(), rules=BADGES)
    assert (badge.years, badge.reached_on, badge.award_date) == (45, D(2025, 1, 1), D(2026, 2, 3))


def test_badge_rules_switch_on_a_date():
    later = BadgeRule(
        source="test",
        valid_from=D(2027, 1, 1),
        milestones=[30, 40, 50],
        award_days=["19/05"],
        illness_early_months=6,
        illness_early_months_high=12,
        high_milestone_from=50,
        posthumous_early_months=6,
    )
    rules = RuleBook(BadgeRule, rows=[BADGE_2021, later])
    # 30 years on 10/06/2026 (old rule): award 02/09/2026.
    old = facts.next_badge(member(D(1996, 6, 10)), D(2026, 1, 1), events=[], awarded=set(), rules=rules)
    assert (old.award_date, old.rule) == (D(2026, 9, 2), BADGE_2021)
    # 30 years on 10/06/2027 (new rule: only 19/05): award 19/05/2028.
    new = facts.next_badge(member(D(1997, 6, 10)), D(2026, 1, 1), events=[], awarded=set(), rules=rules)
    assert (new.award_date, new.rule) == (D(2028, 5, 19), later)
    # Ill member, 30 years on 10/06/2027 under the new rule: 6 months early → from 10/12/2026, which is
    # after 01/01/2026 → the award day on/after 10/12/2026 in the rule of 10/06/2027 = 19/05/2027.
    ill = facts.next_badge(member(D(1997, 6, 10), ill=True), D(2026, 1, 1), events=[], awarded=set(), rules=rules)
    assert (ill.eligible_from, ill.award_date, ill.early_reason) == (D(2026, 12, 10), D(2027, 5, 19), "illness")


@pytest.mark.parametrize(
    "status,events",
    [
        (MemberStatus.EXPELLED, [ev(K.EXPELLED, D(2010, 1, 1))]),
        (MemberStatus.TRANSFERRED_OUT, [ev(K.TRANSFER_OUT, D(2010, 1, 1))]),
        (MemberStatus.OFFICIAL, [ev(K.LOST_CONTACT, D(2010, 1, 1))]),
    ],
)
def test_no_badge_for_members_out_of_the_party_or_out_of_contact(status, events):
    assert (
        facts.next_badge(
            member(D(1990, 1, 1), status=status), D(2026, 1, 1), events=events, awarded=set(), rules=BADGES
        )
        is None
    )


def test_nothing_left_after_the_90_year_badge():
    awarded = {30, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90}
    assert facts.next_badge(member(D(1930, 1, 1)), D(2026, 1, 1), events=[], awarded=awarded, rules=BADGES) is None
