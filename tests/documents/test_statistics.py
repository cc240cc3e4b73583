"""Statistics of incoming documents on a hand-built fixture: counts by month, type and sender, handling
against deadlines per handler, the access rule, constant queries, and the page with its charts."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from documents import statistics
from documents.models import (
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    Directive,
    DocumentType,
    IncomingStatus,
)
from tests.factories import UserFactory

from .factories import IncomingDocumentFactory, RegisterFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("document_types")]
HCM = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
TODAY = datetime.date(2026, 6, 15)


def _entry(register, number, received_on, sender, type_name, status=IncomingStatus.REGISTERED):
    return IncomingDocumentFactory(
        organization=register.organization,
        register=register,
        period=str(received_on.year),
        number=number,
        status=status,
        received_on=received_on,
        sender=sender,
        document_type=DocumentType.objects.get(name=type_name),
    )


def _assign(document, leader, user, role, deadline, done_on=None):
    directive = Directive.objects.filter(document=document, superseded_at__isnull=True).first()
    if directive is None:
        directive = Directive.objects.create(document=document, directed_by=leader, deadline=deadline)
    done_at = datetime.datetime.combine(done_on, datetime.time(23, 30), tzinfo=HCM) if done_on else None
    return Assignment.objects.create(
        directive=directive,
        user=user,
        role=role,
        status=AssignmentStatus.DONE if done_on else AssignmentStatus.IN_PROGRESS,
        done_at=done_at,
    )


@pytest.fixture
def fixture(org_tree, leader, handler):
    register = RegisterFactory(organization=org_tree["commune"])
    other_register = RegisterFactory(organization=org_tree["other_commune"])
    tu, ubnd, huyen = "Tỉnh ủy An Giang", "UBND xã Gò Quao", "Huyện ủy Gò Quao"
    docs = [
        _entry(register, 1, datetime.date(2026, 1, 5), tu, "Nghị quyết"),
        _entry(register, 2, datetime.date(2026, 1, 20), tu, "Công văn"),
        _entry(register, 3, datetime.date(2026, 2, 3), ubnd, "Công văn"),
        _entry(register, 4, datetime.date(2026, 3, 9), tu, "Kế hoạch"),
        _entry(register, 5, datetime.date(2026, 3, 10), huyen, "Công văn"),
        _entry(register, 6, datetime.date(2026, 3, 11), huyen, "Công văn", status=IncomingStatus.VOID),
    ]
    _entry(register, 1, datetime.date(2025, 12, 30), tu, "Nghị quyết")  # another year
    _entry(other_register, 1, datetime.date(2026, 1, 7), tu, "Nghị quyết")  # another commune
    IncomingDocumentFactory(organization=register.organization, received_on=datetime.date(2026, 1, 8))  # a draft
    co = UserFactory(username="cohandler", full_name="Lê Thị Phối Hợp")
    # The handler: on time (done on the deadline day, late evening local time), late, overdue, not yet due.
    _assign(
        docs[0], leader, handler, AssignmentRole.LEAD, datetime.date(2026, 1, 15), done_on=datetime.date(2026, 1, 15)
    )
    _assign(
        docs[1], leader, handler, AssignmentRole.LEAD, datetime.date(2026, 1, 25), done_on=datetime.date(2026, 1, 26)
    )
    _assign(docs[2], leader, handler, AssignmentRole.LEAD, datetime.date(2026, 6, 1))
    _assign(docs[3], leader, handler, AssignmentRole.LEAD, datetime.date(2026, 6, 30))
    # The co-handler: overdue on docs[2]; named for information on docs[3] (not counted).
    _assign(docs[2], leader, co, AssignmentRole.COOPERATE, None)
    _assign(docs[3], leader, co, AssignmentRole.INFORM, None)
    # A superseded directive does not count.
    old = Directive.objects.create(
        document=docs[4],
        directed_by=leader,
        deadline=datetime.date(2026, 3, 1),
        superseded_at=datetime.datetime(2026, 3, 12, tzinfo=HCM),
    )
    Assignment.objects.create(directive=old, user=handler, role=AssignmentRole.LEAD)
    return {"handler": handler, "co": co}


def test_counts_by_month_type_and_sender(fixture, leader):
    stats = statistics.incoming_statistics(leader, year=2026, today=TODAY)
    assert stats.total == 5  # the void entry, the draft, 2025 and the other commune are left out
    assert stats.by_month[:4] == [(1, 2), (2, 1), (3, 2), (4, 0)]
    assert len(stats.by_month) == 12
    assert stats.by_type == [("Công văn", 3), ("Kế hoạch", 1), ("Nghị quyết", 1)]
    assert stats.by_sender == [("Tỉnh ủy An Giang", 3), ("Huyện ủy Gò Quao", 1), ("UBND xã Gò Quao", 1)]
    assert stats.other_senders == 0


def test_handled_on_time_late_overdue_per_handler(fixture, leader):
    stats = statistics.incoming_statistics(leader, year=2026, today=TODAY)
    by_name = {h.name: h for h in stats.handlers}
    handler = by_name[fixture["handler"].full_name]
    assert (handler.on_time, handler.late, handler.overdue, handler.open) == (1, 1, 1, 1)
    co = by_name["Lê Thị Phối Hợp"]
    assert (co.on_time, co.late, co.overdue, co.open) == (0, 0, 1, 0)
    assert len(stats.handlers) == 2


def test_top_senders_and_others(fixture, leader, monkeypatch):
    monkeypatch.setattr(statistics, "TOP_SENDERS", 1)
    stats = statistics.incoming_statistics(leader, year=2026, today=TODAY)
    assert stats.by_sender == [("Tỉnh ủy An Giang", 3)] and stats.other_senders == 2


def test_only_visible_documents_count(fixture, outsider, member_user):
    assert statistics.incoming_statistics(outsider, year=2026, today=TODAY).total == 0
    assert not statistics.may_see_statistics(member_user)


def test_constant_number_of_queries(fixture, leader, org_tree):
    statistics.incoming_statistics(leader, year=2026, today=TODAY)  # access facts cached
    with CaptureQueriesContext(connection) as small:
        statistics.incoming_statistics(leader, year=2025, today=TODAY)
    with CaptureQueriesContext(connection) as large:
        statistics.incoming_statistics(leader, year=2026, today=TODAY)
    assert len(small) == len(large) == 4


def test_statistics_page_shows_the_charts(client, fixture, leader):
    client.force_login(leader)
    with translation.override("en"):
        response = client.get(reverse("documents:statistics"), {"year": 2026}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="chart chart-bar"') == 3 and 'class="chart chart-stacked"' in html
    assert "Tỉnh ủy An Giang" in html and "Công văn" in html
