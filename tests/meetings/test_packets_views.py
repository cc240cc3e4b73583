"""The office's packet panel (status, version, pages, contents, changes, failure message, the compile button) —
for the meeting's managers only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from meetings.models import Packet, PacketStatus

from .packet_factories import (
    _packet_env,  # noqa: F401 (the packet_env fixture)
    broken_pdf,
    document,
    item,
    make_meeting,
    new_delegate,
)
from .test_packets_build import compile_version

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("packet_env")]


@pytest.fixture
def meeting(org_tree, clerk):
    return make_meeting(org_tree["cell_a"], created_by=clerk)


def panel_url(meeting) -> str:
    return reverse("meetings:packet_panel", args=[meeting.pk])


def build_url(meeting) -> str:
    return reverse("meetings:packet_build", args=[meeting.pk])


def test_the_panel_shows_the_ready_version_its_contents_and_changes(
    client, meeting, clerk, django_assert_max_num_queries
):
    first = item(meeting, "Báo cáo")
    document(first, "Báo cáo tháng 10", pages=2, added_by=clerk)
    document(first, "Hồ sơ kỷ luật", added_by=clerk, confidentiality="mat")
    new_delegate(meeting, "Nguyễn Văn An")
    compile_version(meeting, clerk, copies=True)
    document(first, "Phụ lục bổ sung", pages=1, added_by=clerk)
    second = compile_version(meeting, clerk, copies=True)
    client.force_login(clerk)

    with django_assert_max_num_queries(22):
        response = client.get(panel_url(meeting))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Meeting packet" in html
    assert "Version 2, compiled" in html
    assert f"<dd>{second.page_count}</dd>" in html
    assert "1 of 1 made" in html
    assert "Báo cáo tháng 10" in html and "Phụ lục bổ sung" in html
    assert 'Hồ sơ kỷ luật <span class="tag">handled on paper</span>' in html
    assert "Added: Phụ lục bổ sung" in html
    assert reverse("files:download", args=[second.master_file_id]) in html
    assert "Compile a new version" in html
    assert "changed since this version" not in html


def test_the_query_count_does_not_grow_with_the_packet(client, meeting, clerk, django_assert_num_queries):
    """Pinned: the panel's queries do not depend on the number of documents or versions."""
    first = item(meeting, "Báo cáo")
    document(first, "Báo cáo 1", pages=1, added_by=clerk)
    compile_version(meeting, clerk)
    client.force_login(clerk)
    client.get(panel_url(meeting))  # warm the per-user caches (access facts)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(panel_url(meeting))
    for n in range(2, 8):
        document(first, f"Báo cáo {n}", pages=1, added_by=clerk)
    compile_version(meeting, clerk)
    compile_version(meeting, clerk)
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(panel_url(meeting))


def test_the_panel_says_when_the_documents_changed_since_the_version(client, meeting, clerk):
    first = item(meeting, "Báo cáo")
    doc = document(first, "Báo cáo tháng 10", pages=1, added_by=clerk)
    compile_version(meeting, clerk)
    doc.title = "Báo cáo tháng 10 (sửa)"
    doc.save()
    client.force_login(clerk)
    html = client.get(panel_url(meeting)).content.decode()
    assert "The agenda or its documents changed since this version: compile a new version." in html


def test_a_failed_version_shows_its_message(client, meeting, clerk):
    document(item(meeting, "Báo cáo"), "Tờ trình hỏng", added_by=clerk, data=broken_pdf())
    compile_version(meeting, clerk)
    client.force_login(clerk)
    html = client.get(panel_url(meeting)).content.decode()
    assert "Version 1 failed." in html
    assert "“Tờ trình hỏng” is damaged: it cannot be read as a PDF." in html
    assert "Compile a new version" in html


def test_the_build_button_asks_for_a_version_and_the_panel_polls_while_it_compiles(client, meeting, clerk):
    document(item(meeting, "Báo cáo"), "Báo cáo", pages=1, added_by=clerk)
    client.force_login(clerk)

    response = client.post(build_url(meeting), {"reason": "Bổ sung báo cáo"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    packet = Packet.objects.get(meeting=meeting)
    assert packet.version == 1 and packet.status == PacketStatus.BUILDING and packet.message == "Bổ sung báo cáo"
    html = response.content.decode()
    assert "Version 1 is being compiled. The delegates are told when it is ready." in html
    assert 'hx-trigger="every 3s"' in html
    # Without htmx: back to the meeting page with the message.
    response = client.post(build_url(meeting), {"reason": ""})
    assert response.status_code == 302
    assert Packet.objects.filter(meeting=meeting).count() == 1  # joined the version being compiled


def test_the_build_button_without_agenda_explains(client, meeting, clerk):
    client.force_login(clerk)
    response = client.post(build_url(meeting), {}, HTTP_HX_REQUEST="true")
    assert "The meeting has no agenda yet: add the agenda items first." in response.content.decode()
    assert not Packet.objects.exists()
    html = client.get(panel_url(meeting)).content.decode()
    assert "Add the agenda items and their documents first; then compile the packet." in html
    assert "Compile the packet</button>" not in html


def test_a_too_long_reason_is_refused(client, meeting, clerk):
    document(item(meeting, "Báo cáo"), "Báo cáo", pages=1, added_by=clerk)
    client.force_login(clerk)
    response = client.post(build_url(meeting), {"reason": "x" * 301}, HTTP_HX_REQUEST="true")
    assert "Ensure this value has at most 300 characters (it has 301)." in response.content.decode()
    assert not Packet.objects.exists()


def test_only_managers_see_the_panel_or_press_the_button(client, meeting, clerk, delegate, outsider):
    document(item(meeting, "Báo cáo"), "Báo cáo", pages=1, added_by=clerk)
    invited = new_delegate(meeting, "Nguyễn Văn An")
    for user in (invited.user, delegate, outsider):
        client.force_login(user)
        assert client.get(panel_url(meeting)).status_code == 404
        assert client.post(build_url(meeting), {}).status_code == 404
    assert not Packet.objects.exists()
    client.logout()
    response = client.get(panel_url(meeting))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_meeting_page_shows_the_panel_to_managers_only(client, meeting, clerk):
    document(item(meeting, "Báo cáo"), "Báo cáo tháng", pages=1, added_by=clerk)
    compile_version(meeting, clerk)
    invited = new_delegate(meeting, "Nguyễn Văn An")
    client.force_login(clerk)
    html = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert 'id="packet-panel"' in html and "Version 1, compiled" in html and "Báo cáo tháng" in html
    client.force_login(invited.user)
    response = client.get(reverse("meetings:detail", args=[meeting.pk]))
    assert response.status_code == 200
    assert 'id="packet-panel"' not in response.content.decode()
