"""Status-change pages (members:status_change, members:status_void) with the Django test client."""

from __future__ import annotations

import datetime
import re

import pytest
from django.conf import settings
from django.urls import reverse

from members.models import MemberActivity, MemberStatus, MemberStatusEvent, StatusEventKind
from members.services.status import status_change
from partyhub.models import AuditEntry
from tests.factories import MemberFactory

D = datetime.date
K = StatusEventKind


@pytest.fixture
def official(org_tree):
    return MemberFactory(full_name="Lê Văn Chính", organization=org_tree["cell_a"], admission_date=D(2000, 5, 19))


def login(client, user, password):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def offered(html: str) -> set[str]:
    """The change kinds offered in the form's select."""
    select = re.search(r'<select name="kind"[^>]*>(.*?)</select>', html, re.S)
    assert select, "the change form is missing"
    return set(re.findall(r'<option value="([a-z_]+)"', select.group(1)))


def test_the_form_offers_only_the_changes_possible_now(client, clerk, password, official):
    login(client, clerk, password)
    response = client.get(reverse("members:status_change", args=[official.pk]))
    assert response.status_code == 200
    kinds = offered(response.content.decode())
    assert {K.SUSPENDED, K.EXEMPTED, K.TRANSFER_OUT, K.TRANSFER_WITHIN, K.EXPELLED, K.DECEASED} <= kinds
    assert not kinds & {K.RECOGNIZED, K.RESTORED, K.READMITTED, K.SUSPENSION_LIFTED, K.DISMISSAL, K.ADMITTED}
    # The view of the record is audited.
    assert AuditEntry.objects.filter(action="view", object_id=str(official.pk), actor=clerk).exists()


def test_record_a_change_then_the_end_change_is_offered(client, clerk, password, official):
    login(client, clerk, password)
    url = reverse("members:status_change", args=[official.pk])
    response = client.post(url, {"kind": K.SUSPENDED, "effective_date": "10/01/2025", "decision_number": "3-QĐ/UBKT"})
    assert response.status_code == 302
    official.refresh_from_db()
    assert official.activity == MemberActivity.SUSPENDED
    event = MemberStatusEvent.objects.get(member=official)
    assert (event.effective_date, event.decision_number, event.recorded_by) == (D(2025, 1, 10), "3-QĐ/UBKT", clerk)
    kinds = offered(client.get(url).content.decode())
    assert K.SUSPENSION_LIFTED in kinds
    assert K.SUSPENDED not in kinds


def test_a_date_before_admission_gives_the_message(client, clerk, password, official):
    login(client, clerk, password)
    response = client.post(
        reverse("members:status_change", args=[official.pk]), {"kind": K.WARNING, "effective_date": "2000-05-18"}
    )
    assert response.status_code == 400
    assert "The effective date cannot be before the admission (19/05/2000)." in response.content.decode()
    assert not MemberStatusEvent.objects.exists()


def test_a_change_not_possible_now_is_refused_by_the_form(client, clerk, password, official):
    login(client, clerk, password)
    response = client.post(
        reverse("members:status_change", args=[official.pk]), {"kind": K.RECOGNIZED, "effective_date": "2025-01-10"}
    )
    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    official.refresh_from_db()
    assert official.status == MemberStatus.OFFICIAL


def test_an_unparsable_date_gives_the_message(client, clerk, password, official):
    login(client, clerk, password)
    response = client.post(
        reverse("members:status_change", args=[official.pk]), {"kind": K.WARNING, "effective_date": "31/02/2025"}
    )
    assert response.status_code == 400
    assert "Enter a valid date." in response.content.decode()


@pytest.mark.parametrize("who", ["member_user", "handler", "delegate", "outsider"])
def test_forbidden_roles_get_404(client, request, password, who, official):
    user = request.getfixturevalue(who)
    login(client, user, password)
    url = reverse("members:status_change", args=[official.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"kind": K.WARNING, "effective_date": "2025-01-10"}).status_code == 404
    event = status_change(actor=None, member=official, kind=K.WARNING, effective_date=D(2025, 1, 10))
    assert client.post(reverse("members:status_void", args=[event.pk]), {"reason": "x"}).status_code == 404
    event.refresh_from_db()
    assert event.voided_at is None


def test_anonymous_users_are_sent_to_login(client, official):
    response = client.get(reverse("members:status_change", args=[official.pk]))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_void_the_latest_entry_strikes_it_through(client, cell_secretary, password, official):
    first = status_change(actor=None, member=official, kind=K.WARNING, effective_date=D(2025, 1, 10))
    latest = status_change(actor=None, member=official, kind=K.EXEMPTED, effective_date=D(2025, 2, 1))
    login(client, cell_secretary, password)
    url = reverse("members:status_change", args=[official.pk])
    html = client.get(url).content.decode()
    # Only the latest entry has a void form.
    assert reverse("members:status_void", args=[latest.pk]) in html
    assert reverse("members:status_void", args=[first.pk]) not in html

    response = client.post(reverse("members:status_void", args=[latest.pk]), {"reason": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()

    response = client.post(reverse("members:status_void", args=[first.pk]), {"reason": "Nhầm"})
    assert response.status_code == 400
    assert "Only the latest change of the status history can be voided." in response.content.decode()

    response = client.post(reverse("members:status_void", args=[latest.pk]), {"reason": "Ghi nhầm người"})
    assert response.status_code == 302
    official.refresh_from_db()
    assert official.activity == MemberActivity.ACTIVE
    html = client.get(url).content.decode()
    row = re.search(rf'<tr class="status-voided" id="status-event-{latest.pk}">(.*?)</tr>', html, re.S)
    assert row, "the voided entry is shown struck through"
    assert "<del>" in row.group(1) and "Ghi nhầm người" in row.group(1)
    assert f'id="status-event-{first.pk}">' in html and f'<tr class="" id="status-event-{first.pk}">' in html
    # Now the warning is the latest and can be voided.
    assert reverse("members:status_void", args=[first.pk]) in html


def test_a_transfer_within_from_the_page(client, clerk, password, official, org_tree):
    login(client, clerk, password)
    response = client.post(
        reverse("members:status_change", args=[official.pk]),
        {"kind": K.TRANSFER_WITHIN, "effective_date": "2025-03-01", "to_organization": org_tree["cell_b"].pk},
    )
    assert response.status_code == 302
    official.refresh_from_db()
    assert official.organization == org_tree["cell_b"]


def test_the_member_page_includes_the_panel(client, clerk, password, official):
    status_change(actor=None, member=official, kind=K.WARNING, effective_date=D(2025, 1, 10))
    login(client, clerk, password)
    response = client.get(reverse("members:detail", args=[official.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="status-panel"' in html
    assert K.SUSPENDED in offered(html)
