"""The status history service (members.services.status): transitions, refusals with reasons, effects,
replay on voiding, notifications, audit, cached facts and the nightly refresh."""

from __future__ import annotations

import datetime
import importlib

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from members import selectors
from members.models import (
    BadgeRule,
    MemberActivity,
    MemberStatus,
    MemberStatusEvent,
    ProbationRule,
    StatusEventKind,
)
from members.services.status import (
    allowed_changes,
    members_refresh_facts,
    replay,
    status_change,
    status_event_void,
)
from partyhub.models import AuditEntry, Notification
from tests.factories import MemberFactory, PositionFactory, PositionTitleFactory

D = datetime.date
K = StatusEventKind


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def official(org_tree):
    return MemberFactory(full_name="Lê Văn Chính", organization=org_tree["cell_a"], admission_date=D(2000, 5, 19))


@pytest.fixture
def newcomer(org_tree):
    """A new record of a probationary member, decision 01/03/2025, nothing in the history yet."""
    return MemberFactory(
        full_name="Phạm Thị Mới",
        organization=org_tree["cell_a"],
        admission_date=D(2025, 3, 1),
        status=MemberStatus.PROBATIONARY,
        official_date=None,
    )


def change(actor, member, kind, day, **kwargs):
    return status_change(actor=actor, member=member, kind=kind, effective_date=day, **kwargs)


def message_of(excinfo, field="kind") -> str:
    return " ".join(excinfo.value.message_dict[field])


# --- seed data --------------------------------------------------------------------------------------------


def test_seeded_rules_have_the_values_of_domain_md(db):
    probation = ProbationRule.objects.get(valid_from=D(2011, 1, 1))
    assert (probation.probation_months, probation.decision_working_days) == (12, 30)
    assert "Điều lệ Đảng" in probation.source
    badge = BadgeRule.objects.get()
    assert badge.milestones == [30, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90]
    assert 35 not in badge.milestones
    assert badge.award_days == ["03/02", "19/05", "02/09", "07/11"]
    assert (badge.illness_early_months, badge.illness_early_months_high, badge.high_milestone_from) == (12, 24, 70)
    assert badge.posthumous_early_months == 12


def test_seed_migration_is_reversible(db):
    module = importlib.import_module("members.migrations.0007_seed_status_rules")
    module.unseed(django_apps, None)
    assert not BadgeRule.objects.exists()
    assert not ProbationRule.objects.filter(valid_from=D(2011, 1, 1)).exists()
    module.seed(django_apps, None)
    module.seed(django_apps, None)  # twice: still one row each
    assert BadgeRule.objects.count() == 1
    assert ProbationRule.objects.filter(valid_from=D(2011, 1, 1)).count() == 1


# --- admission and recognition ------------------------------------------------------------------------------


def test_admission_then_recognition(clerk, cell_secretary, newcomer):
    event = change(clerk, newcomer, K.ADMITTED, D(2025, 3, 15), decision_number="12-QĐ/ĐU", decision_date=D(2025, 3, 1))
    newcomer.refresh_from_db()
    assert (event.status_before, event.status_after) == (MemberStatus.PROBATIONARY, MemberStatus.PROBATIONARY)
    assert newcomer.admission_ceremony_date == D(2025, 3, 15)  # filled because it was empty
    assert newcomer.admission_date == D(2025, 3, 1)  # kept
    # Probation ends 15/03/2026; the decision within 30 working days (cached: the end of probation).
    assert newcomer.recognition_due_date == D(2026, 3, 15)
    assert K.RECOGNIZED in allowed_changes(newcomer)

    with pytest.raises(ValidationError) as excinfo:
        change(clerk, newcomer, K.RECOGNIZED, D(2026, 3, 14))
    assert "Probation ends on" in message_of(excinfo)

    event = change(clerk, newcomer, K.RECOGNIZED, D(2026, 4, 2), decision_number="40-QĐ/ĐU")
    newcomer.refresh_from_db()
    assert newcomer.status == MemberStatus.OFFICIAL
    assert newcomer.official_date == D(2026, 4, 2)
    assert newcomer.recognition_due_date is None
    assert (event.status_before, event.status_after) == (MemberStatus.PROBATIONARY, MemberStatus.OFFICIAL)
    assert event.from_organization == newcomer.organization
    # The cell secretary and the office clerk are told (not the clerk who recorded it: they acted).
    assert Notification.objects.filter(recipient=cell_secretary, kind="member_status").count() == 2
    assert not Notification.objects.filter(recipient=clerk).exists()


def test_recognition_of_an_official_member_is_refused(clerk, official):
    assert K.RECOGNIZED not in allowed_changes(official)
    with pytest.raises(ValidationError) as excinfo:
        change(clerk, official, K.RECOGNIZED, D(2026, 1, 5))
    assert message_of(excinfo) == "The member is already an official member."


def test_recognition_before_probation_ends_is_not_offered(clerk, newcomer):
    newcomer.admission_ceremony_date = D(2026, 6, 1)
    newcomer.save()
    # Probation ends 01/06/2027, after today (the test clock is real: 2026 at the time of writing; the
    # assertion holds until then since the check is against today's date).
    if selectors.today() < D(2027, 6, 1):
        assert K.RECOGNIZED not in allowed_changes(newcomer)
    assert K.PROBATION_FAILED in allowed_changes(newcomer)


def test_admission_is_only_the_first_entry(clerk, newcomer):
    change(clerk, newcomer, K.ADMITTED, D(2025, 3, 15))
    assert K.ADMITTED not in allowed_changes(newcomer)
    with pytest.raises(ValidationError) as excinfo:
        change(clerk, newcomer, K.ADMITTED, D(2025, 4, 1))
    assert "first entry" in message_of(excinfo)


# --- discipline -----------------------------------------------------------------------------------------------


def test_dismissal_needs_an_official_member_holding_a_position(clerk, official, newcomer):
    with pytest.raises(ValidationError) as excinfo:
        change(clerk, newcomer, K.DISMISSAL, D(2025, 6, 1))
    assert "A probationary member cannot be removed from office" in message_of(excinfo)
    assert K.DISMISSAL not in allowed_changes(newcomer)

    with pytest.raises(ValidationError) as excinfo:
        change(clerk, official, K.DISMISSAL, D(2025, 6, 1))
    assert message_of(excinfo) == "The member holds no position to be removed from."

    PositionFactory(member=official, title=PositionTitleFactory(name="Phó Bí thư chi bộ"), start_date=D(2020, 1, 1))
    assert K.DISMISSAL in allowed_changes(official)
    event = change(clerk, official, K.DISMISSAL, D(2025, 6, 1), decision_number="5-QĐ/UBKT")
    assert event.status_after == MemberStatus.OFFICIAL


def test_a_probationary_member_cannot_be_expelled(clerk, newcomer):
    with pytest.raises(ValidationError) as excinfo:
        change(clerk, newcomer, K.EXPELLED, D(2025, 6, 1))
    assert "remove them from the rolls instead" in message_of(excinfo)


def test_expulsion_restoration_and_party_age_gap(clerk, official):
    change(clerk, official, K.EXPELLED, D(2010, 1, 1))
    official.refresh_from_db()
    assert official.status == MemberStatus.EXPELLED
    assert official.next_badge_years is None  # an open gap: no badge
    assert set(allowed_changes(official)) == {K.RESTORED, K.READMITTED}
    change(clerk, official, K.RESTORED, D(2011, 1, 1))
    official.refresh_from_db()
    assert official.status == MemberStatus.OFFICIAL
    assert official.activity == MemberActivity.ACTIVE
    # 01/01/2010 → 01/01/2011 = 365 days outside party age.
    assert official.party_age_gap_days == 365
    # 30 years from 19/05/2000 would be 19/05/2030; shifted 365 days → 19/05/2031 → awarded 19/05/2031.
    assert (official.next_badge_years, official.next_badge_date) == (30, D(2031, 5, 19))


def test_restore_only_after_expulsion_or_removal(clerk, official):
    with pytest.raises(ValidationError) as excinfo:
        change(clerk, official, K.RESTORED, D(2020, 1, 1))
    assert (
        message_of(excinfo) == "Party membership can only be restored after an expulsion or a removal from the rolls."
    )
    change(clerk, official, K.RESIGNED, D(2020, 1, 1))
    with pytest.raises(ValidationError):
        change(clerk, official, K.RESTORED, D(2021, 1, 1))


def test_readmission_only_once(clerk, official):
    change(clerk, official, K.REMOVED, D(2010, 1, 1))
    change(clerk, official, K.READMITTED, D(2012, 1, 1))
    official.refresh_from_db()
    assert official.status == MemberStatus.PROBATIONARY
    assert official.admission_date == D(2000, 5, 19)  # party age still counts from the first admission
    change(clerk, official, K.RECOGNIZED, D(2013, 1, 2))
    change(clerk, official, K.REMOVED, D(2015, 1, 1))
    assert K.READMITTED not in allowed_changes(official)
    with pytest.raises(ValidationError) as excinfo:
        change(clerk, official, K.READMITTED, D(2016, 1, 1))
    assert message_of(excinfo) == "A member can be readmitted only once."


def test_nothing_changes_for_a_deceased_member(clerk, official):
    change(clerk, official, K.DECEASED, D(2024, 8, 1))
    assert allowed_changes(official) == []
    for kind in (K.RESTORED, K.REPRIMAND, K.TRANSFER_IN):
        with pytest.raises(ValidationError) as excinfo:
            change(clerk, official, kind, D(2024, 9, 1))
        assert message_of(excinfo) == "No change can be recorded for a deceased member."


# --- dates ----------------------------------------------------------------------------------------------------


def test_dates_before_admission_before_the_last_event_or_in_the_future(clerk, official):
    with pytest.raises(ValidationError) as excinfo:
        change(clerk, official, K.REPRIMAND, D(2000, 5, 18))
    assert message_of(excinfo, "effective_date") == "The effective date cannot be before the admission (19/05/2000)."
    change(clerk, official, K.WARNING, D(2020, 6, 1))
    with pytest.raises(ValidationError) as excinfo:
        change(clerk, official, K.REPRIMAND, D(2020, 5, 31))
    assert "before the member's last recorded change (Discipline: warning, 01/06/2020)" in message_of(
        excinfo, "effective_date"
    )
    tomorrow = selectors.today() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as excinfo:
        change(clerk, official, K.REPRIMAND, tomorrow)
    assert message_of(excinfo, "effective_date") == "The effective date cannot be in the future."
    assert MemberStatusEvent.objects.filter(member=official).count() == 1  # nothing half-written


# --- activity ---------------------------------------------------------------------------------------------------


def test_suspension_and_exemption_change_the_activity_and_end_back_to_active(clerk, official):
    change(clerk, official, K.SUSPENDED, D(2024, 1, 10))
    official.refresh_from_db()
    assert official.activity == MemberActivity.SUSPENDED
    assert K.EXEMPTED not in allowed_changes(official)
    with pytest.raises(ValidationError) as excinfo:
        change(clerk, official, K.TRANSFER_OUT, D(2024, 2, 1), other_party_organization="Đảng bộ xã Tân Hòa")
    assert "while the member's activity is “Suspended”" in message_of(excinfo)
    change(clerk, official, K.SUSPENSION_LIFTED, D(2024, 3, 1))
    change(clerk, official, K.EXEMPTED, D(2024, 4, 1))
    official.refresh_from_db()
    assert official.activity == MemberActivity.EXEMPTED
    change(clerk, official, K.EXEMPTION_ENDED, D(2024, 5, 1))
    official.refresh_from_db()
    assert official.activity == MemberActivity.ACTIVE


def test_lost_contact_blocks_other_changes_until_restored(clerk, official):
    change(clerk, official, K.LOST_CONTACT, D(2024, 1, 1))
    assert set(allowed_changes(official)) == {K.CONTACT_RESTORED, K.REMOVED, K.DECEASED}
    change(clerk, official, K.CONTACT_RESTORED, D(2024, 3, 1))
    official.refresh_from_db()
    # January 31 + February 29 (2024) days outside party age.
    assert official.party_age_gap_days == 60


# --- transfers --------------------------------------------------------------------------------------------------


def test_move_to_another_cell_shows_on_both_sides(clerk, official, org_tree):
    event = change(clerk, official, K.TRANSFER_WITHIN, D(2025, 2, 1), to_organization=org_tree["cell_b"])
    official.refresh_from_db()
    assert official.organization == org_tree["cell_b"]
    assert (event.from_organization, event.to_organization) == (org_tree["cell_a"], org_tree["cell_b"])
    for cell in ("cell_a", "cell_b"):
        events = selectors.status_events_of_organizations(clerk, [org_tree[cell].pk])
        assert list(events) == [event]


def test_move_within_must_stay_in_the_commune(clerk, official, org_tree, admin_user):
    with pytest.raises(ValidationError) as excinfo:
        change(admin_user, official, K.TRANSFER_WITHIN, D(2025, 2, 1), to_organization=org_tree["other_cell"])
    assert (
        message_of(excinfo, "to_organization")
        == "A move within the organization must go to a cell of the same commune."
    )
    with pytest.raises(ValidationError) as excinfo:
        change(clerk, official, K.TRANSFER_WITHIN, D(2025, 2, 1))
    assert message_of(excinfo, "to_organization") == "Choose the cell the member moves to."


def test_a_cell_secretary_cannot_move_a_member_to_a_cell_they_do_not_manage(cell_secretary, official, org_tree):
    with pytest.raises(PermissionDenied):
        change(cell_secretary, official, K.TRANSFER_WITHIN, D(2025, 2, 1), to_organization=org_tree["cell_b"])
    official.refresh_from_db()
    assert official.organization == org_tree["cell_a"]


def test_transfer_out_and_back_in(clerk, official, org_tree):
    with pytest.raises(ValidationError) as excinfo:
        change(clerk, official, K.TRANSFER_OUT, D(2020, 3, 10))
    assert "Name the party organization" in message_of(excinfo, "to_organization")
    with pytest.raises(ValidationError) as excinfo:
        change(clerk, official, K.TRANSFER_OUT, D(2020, 3, 10), to_organization=org_tree["cell_b"])
    assert "record a move to another cell instead" in message_of(excinfo, "to_organization")

    out = change(
        clerk, official, K.TRANSFER_OUT, D(2020, 3, 10), other_party_organization="Đảng bộ phường 5, TP Cần Thơ"
    )
    official.refresh_from_db()
    assert (out.status_after, official.status) == (MemberStatus.TRANSFERRED_OUT, MemberStatus.TRANSFERRED_OUT)
    assert set(allowed_changes(official)) == {K.TRANSFER_IN, K.TEMPORARY_IN}
    back = change(clerk, official, K.TRANSFER_IN, D(2020, 4, 20), other_party_organization="Đảng bộ phường 5")
    official.refresh_from_db()
    assert back.status_after == MemberStatus.OFFICIAL
    assert official.status == MemberStatus.OFFICIAL
    assert official.party_age_gap_days == 41  # 21 days of March + 20 of April


def test_transfer_in_by_the_receiving_commune(clerk, outsider, official, org_tree):
    """The member leaves for another commune in PartyHub; its managers record the arrival."""
    receiving_clerk = outsider
    PositionFactory(
        member=receiving_clerk.member,
        organization=org_tree["other_commune"],
        title=PositionTitleFactory(name="Văn thư xã Vĩnh Hòa", grants_clerk=True),
        start_date=D(2025, 1, 1),
    )
    selectors.forget_access(receiving_clerk)
    change(clerk, official, K.TRANSFER_OUT, D(2025, 6, 1), to_organization=org_tree["other_cell"])
    event = change(receiving_clerk, official, K.TRANSFER_IN, D(2025, 6, 20), to_organization=org_tree["other_cell"])
    official.refresh_from_db()
    assert official.organization == org_tree["other_cell"]
    assert official.status == MemberStatus.OFFICIAL
    assert event.from_organization == org_tree["cell_a"]
    # The old cell keeps both entries in its history; the new one sees the arrival.
    assert selectors.status_events_of_organizations(clerk, [org_tree["cell_a"].pk]).count() == 2


# --- permissions -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["member_user", "handler", "delegate", "outsider"])
def test_only_managers_may_record(request, who, official):
    actor = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        change(actor, official, K.REPRIMAND, D(2025, 1, 1))
    assert not MemberStatusEvent.objects.exists()


def test_cell_secretary_of_another_cell_may_not_record(cell_secretary, org_tree):
    other = MemberFactory(organization=org_tree["cell_b"])
    with pytest.raises(PermissionDenied):
        change(cell_secretary, other, K.REPRIMAND, D(2025, 1, 1))


# --- voiding and replay --------------------------------------------------------------------------------------------


def test_only_the_latest_change_can_be_voided_and_replay_restores_the_state(clerk, official, org_tree):
    first = change(clerk, official, K.SUSPENDED, D(2024, 1, 10))
    second = change(clerk, official, K.SUSPENSION_LIFTED, D(2024, 3, 1))
    moved = change(clerk, official, K.TRANSFER_WITHIN, D(2024, 5, 1), to_organization=org_tree["cell_b"])

    with pytest.raises(ValidationError) as excinfo:
        status_event_void(actor=clerk, event=first, reason="Nhầm")
    assert excinfo.value.messages == ["Only the latest change of the status history can be voided."]
    with pytest.raises(ValidationError) as excinfo:
        status_event_void(actor=clerk, event=moved, reason="  ")
    assert message_of(excinfo, "reason") == "Give the reason for voiding this entry."

    status_event_void(actor=clerk, event=moved, reason="Ghi nhầm chi bộ")
    official.refresh_from_db()
    moved.refresh_from_db()
    assert official.organization == org_tree["cell_a"]
    assert moved.voided_at is not None and moved.void_reason == "Ghi nhầm chi bộ"
    status_event_void(actor=clerk, event=second, reason="Chưa có quyết định")
    official.refresh_from_db()
    assert official.activity == MemberActivity.SUSPENDED
    with pytest.raises(ValidationError):
        status_event_void(actor=clerk, event=second, reason="again")
    # The replayed state equals the member's fields.
    state = replay(official)
    assert (state.status, state.activity, state.organization_id) == (
        official.status,
        official.activity,
        official.organization_id,
    )


def test_voiding_a_recognition_makes_the_member_probationary_again(clerk, newcomer):
    change(clerk, newcomer, K.ADMITTED, D(2025, 3, 15))
    recognized = change(clerk, newcomer, K.RECOGNIZED, D(2026, 4, 2))
    status_event_void(actor=clerk, event=recognized, reason="Quyết định bị hủy")
    newcomer.refresh_from_db()
    assert newcomer.status == MemberStatus.PROBATIONARY
    assert newcomer.official_date is None
    assert newcomer.recognition_due_date == D(2026, 3, 15)


def test_voiding_needs_management(clerk, cell_secretary, official, org_tree):
    event = change(clerk, official, K.REPRIMAND, D(2025, 1, 1))
    other_secretary = MemberFactory(organization=org_tree["cell_b"])
    PositionFactory(
        member=other_secretary,
        title=PositionTitleFactory(name="Bí thư chi bộ B", grants_cell_secretary=True),
        start_date=D(2025, 1, 1),
    )
    from tests.factories import UserFactory

    user = UserFactory(username="secretary_b")
    other_secretary.user = user
    other_secretary.save()
    with pytest.raises(PermissionDenied):
        status_event_void(actor=user, event=event, reason="x")
    status_event_void(actor=cell_secretary, event=event, reason="Sai")


# --- audit, facts, the nightly task -------------------------------------------------------------------------------


def test_changes_are_audited(clerk, official):
    event = change(clerk, official, K.EXEMPTED, D(2025, 1, 1))
    created = AuditEntry.objects.filter(object_id=str(event.pk), object_type__icontains="memberstatusevent")
    assert created.filter(actor=clerk).exists()
    updates = AuditEntry.objects.filter(object_id=str(official.pk), object_type__iendswith="member", actor=clerk)
    assert any("activity" in entry.changes for entry in updates)


def test_nightly_refresh_is_idempotent(org_tree):
    m = MemberFactory(organization=org_tree["cell_a"], admission_date=D(1996, 5, 20))
    MemberFactory(organization=org_tree["cell_a"], admission_date=None)
    MemberFactory(organization=org_tree["cell_a"], admission_date=D(1990, 1, 1), status=MemberStatus.EXPELLED)
    changed = members_refresh_facts(on=D(2026, 1, 1))
    m.refresh_from_db()
    assert changed == 1
    assert (m.next_badge_years, m.next_badge_date) == (30, D(2026, 9, 2))
    assert members_refresh_facts(on=D(2026, 1, 1)) == 0


def test_refresh_task_runs_the_service(org_tree, celery_eager):
    from members.tasks import refresh_member_facts

    m = MemberFactory(organization=org_tree["cell_a"], admission_date=D(1996, 5, 20))
    refresh_member_facts.delay()
    m.refresh_from_db()
    assert m.next_badge_years == 30
    assert refresh_member_facts.delay().get() == 0
