"""Who gets a packet (issue 6, points 3 and 9): the delegate's own copy through ``meetings:my_copy`` and the one
file URL (``files:download``) — only the invited delegate, only within the access window; a delegate of another
meeting, an outsider, an anonymous request → 404; the meeting's managers may open copies and the master. HTTP
Range works for pdf.js."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings.models import DelegateCopy

from .packet_factories import _packet_env, document, item, make_meeting, new_delegate, page_texts  # noqa: F401
from .test_packets_build import compile_version

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("packet_env")]


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def meeting(org_tree, clerk):
    meeting = make_meeting(org_tree["cell_a"], created_by=clerk)
    document(item(meeting, "Báo cáo"), "Báo cáo tháng", pages=2, added_by=clerk, marker="MONTHLY")
    return meeting


@pytest.fixture
def an(meeting):
    return new_delegate(meeting, "Nguyễn Văn An")


@pytest.fixture
def other_meeting(org_tree, clerk):
    other = make_meeting(org_tree["cell_b"], created_by=clerk, title="Sinh hoạt chi bộ ấp Hòa Bình")
    document(item(other, "Báo cáo"), "Báo cáo khác", pages=1, added_by=clerk, marker="OTHER")
    return other


@pytest.fixture
def binh_elsewhere(other_meeting):
    """A delegate of the other meeting only."""
    return new_delegate(other_meeting, "Trần Thị Bình")


def my_copy_url(meeting) -> str:
    return reverse("meetings:my_copy", args=[meeting.pk])


def test_the_delegate_gets_their_own_stamped_copy(client, meeting, an, clerk):
    packet = compile_version(meeting, clerk, copies=True)
    client.force_login(an.user)

    response = client.get(my_copy_url(meeting))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    assert response["X-Packet-Version"] == "1"
    texts = page_texts(body(response))
    assert len(texts) == packet.page_count
    assert all("Nguyễn Văn An — Copy No. 01" in text for text in texts)


def test_http_range_requests_work_for_pdfjs(client, meeting, an, clerk):
    compile_version(meeting, clerk, copies=True)
    client.force_login(an.user)
    whole = body(client.get(my_copy_url(meeting)))

    response = client.get(my_copy_url(meeting), HTTP_RANGE="bytes=100-1123")

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-1123/{len(whole)}"
    assert response["Accept-Ranges"] == "bytes"
    assert body(response) == whole[100:1124]


def test_a_copy_is_made_on_first_request_for_someone_invited_after_the_build(client, meeting, clerk):
    packet = compile_version(meeting, clerk, copies=True)
    late = new_delegate(meeting, "Phạm Thị Muộn")
    assert not DelegateCopy.objects.filter(invitation=late).exists()
    client.force_login(late.user)

    response = client.get(my_copy_url(meeting))

    assert response.status_code == 200
    copy = DelegateCopy.objects.get(invitation=late)
    assert copy.packet_id == packet.pk
    assert all(f"Phạm Thị Muộn — Copy No. {late.copy_number:02d}" in text for text in page_texts(body(response)))


def test_the_newest_ready_version_is_served_and_an_earlier_one_on_request(client, meeting, an, clerk):
    compile_version(meeting, clerk, copies=True)
    document(meeting.agenda.first(), "Phụ lục mới", pages=1, added_by=clerk, marker="ADDENDUM")
    compile_version(meeting, clerk, copies=True)
    client.force_login(an.user)

    latest = client.get(my_copy_url(meeting))
    assert latest["X-Packet-Version"] == "2"
    assert "ADDENDUM page 1" in " ".join(page_texts(body(latest)))
    earlier = client.get(my_copy_url(meeting) + "?version=1")
    assert earlier["X-Packet-Version"] == "1"
    assert "ADDENDUM" not in " ".join(page_texts(body(earlier)))
    assert client.get(my_copy_url(meeting) + "?version=7").status_code == 404
    assert client.get(my_copy_url(meeting) + "?version=x").status_code == 404


def test_a_delegate_of_another_meeting_gets_404_everywhere(client, meeting, an, other_meeting, binh_elsewhere, clerk):
    packet = compile_version(meeting, clerk, copies=True)
    compile_version(other_meeting, clerk, copies=True)
    an_copy = DelegateCopy.objects.get(invitation=an)
    client.force_login(binh_elsewhere.user)

    assert client.get(my_copy_url(other_meeting)).status_code == 200  # their own meeting works
    assert client.get(my_copy_url(meeting)).status_code == 404
    assert client.get(reverse("files:download", args=[an_copy.file_id])).status_code == 404
    assert client.get(reverse("files:download", args=[packet.master_file_id])).status_code == 404


def test_the_delegate_cannot_fetch_the_master_or_another_delegates_copy(client, meeting, an, clerk):
    packet = compile_version(meeting, clerk, copies=False)
    binh = new_delegate(meeting, "Trần Thị Bình")
    from meetings.services.packets import delegate_copies_make

    delegate_copies_make(packet_id=packet.pk)
    client.force_login(an.user)
    own = DelegateCopy.objects.get(invitation=an)
    theirs = DelegateCopy.objects.get(invitation=binh)
    assert client.get(reverse("files:download", args=[own.file_id])).status_code == 200
    assert client.get(reverse("files:download", args=[theirs.file_id])).status_code == 404
    assert client.get(reverse("files:download", args=[packet.master_file_id])).status_code == 404


@pytest.mark.parametrize("when", ["closed", "not_yet_open"])
def test_outside_the_access_window_the_copy_is_404(client, meeting, an, clerk, when):
    compile_version(meeting, clerk, copies=True)
    copy = DelegateCopy.objects.get(invitation=an)
    now = timezone.now()
    if when == "closed":
        meeting.folder_closes_at = now - datetime.timedelta(minutes=1)
    else:
        meeting.folder_opens_at = now + datetime.timedelta(hours=3)
    meeting.save()
    client.force_login(an.user)

    assert client.get(my_copy_url(meeting)).status_code == 404
    # The copy's file itself too (copies have no "uploader": only the packet access check decides).
    assert client.get(reverse("files:download", args=[copy.file_id])).status_code == 404


def test_managers_may_open_the_master_and_any_copy(client, meeting, an, clerk):
    packet = compile_version(meeting, clerk, copies=True)
    copy = DelegateCopy.objects.get(invitation=an)
    client.force_login(clerk)
    assert client.get(reverse("files:download", args=[packet.master_file_id])).status_code == 200
    assert client.get(reverse("files:download", args=[copy.file_id])).status_code == 200
    # A manager who is not invited has no copy of their own.
    assert client.get(my_copy_url(meeting)).status_code == 404


def test_outsiders_and_anonymous_get_404(client, meeting, an, clerk, outsider):
    packet = compile_version(meeting, clerk, copies=True)
    copy = DelegateCopy.objects.get(invitation=an)
    for login in (None, outsider):
        client.logout()
        if login is not None:
            client.force_login(login)
        assert client.get(my_copy_url(meeting)).status_code == 404
        assert client.get(reverse("files:download", args=[copy.file_id])).status_code == 404
        assert client.get(reverse("files:download", args=[packet.master_file_id])).status_code == 404


def test_no_ready_version_is_404(client, meeting, an):
    client.force_login(an.user)
    assert client.get(my_copy_url(meeting)).status_code == 404
    assert client.get(reverse("meetings:my_copy", args=[999999])).status_code == 404


def test_downloads_of_copies_are_audited(client, meeting, an, clerk):
    from partyhub.models import AuditEntry

    compile_version(meeting, clerk, copies=True)
    copy = DelegateCopy.objects.get(invitation=an)
    client.force_login(an.user)
    client.get(my_copy_url(meeting))
    client.get(my_copy_url(meeting), HTTP_RANGE="bytes=500-900")  # a later range of the same reading
    entries = AuditEntry.objects.filter(action="download", object_id=str(copy.file_id))
    assert entries.count() == 1 and entries.get().actor_id == an.user_id
