"""The delegate's folder on a tablet (issue 6, point 4): "my meetings", the folder (agenda with each
document's pages in the delegate's copy), the reader page, the service worker script, the folder's state and
the "folder ready" report, the office's readiness panel — and who gets 404."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from documents.models import Confidentiality
from meetings.models import Invitation
from meetings.selectors import folder_closes_at

from .tablet_fixtures import (  # noqa: F401
    _folder_meeting,
    _other_delegate,
    _packet_env,
    _tablet_catalogue,
    copy_for,
    days,
    invite,
    make_meeting,
)

pytestmark = pytest.mark.django_db

STATIC = Path(settings.BASE_DIR) / "static"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_data(response) -> dict:
    match = re.search(rb'<script id="folder-data" type="application/json">(.*?)</script>', response.content, re.S)
    assert match, "the page carries its data for the scripts"
    return json.loads(match.group(1))


# --- my meetings --------------------------------------------------------------------------------------------


def test_my_meetings_lists_upcoming_first_then_past(
    folder_meeting, org_tree, clerk, delegate, django_assert_num_queries
):
    now = timezone.now()
    soon = make_meeting(
        org_tree["commune"],
        created_by=clerk,
        title="Họp Ban Thường vụ sáng mai",
        starts_at=now + days(1),
        ends_at=now + days(1.1),
    )
    past = make_meeting(
        org_tree["commune"],
        created_by=clerk,
        title="Sinh hoạt chi bộ tháng trước",
        starts_at=now - days(3),
        ends_at=now - days(2.9),
    )
    closed = make_meeting(
        org_tree["commune"],
        created_by=clerk,
        title="Họp đã đóng hồ sơ",
        starts_at=now - days(30),
        ends_at=now - days(29.9),
    )
    not_mine = make_meeting(org_tree["commune"], created_by=clerk, title="Cuộc họp không mời tôi")
    for meeting in (soon, past, closed):
        invite(meeting, delegate)
    client = client_for(delegate)
    # Session, user, member, positions, clearances, the notification badge, the session save (4) — and ONE
    # query for the list with each meeting's newest packet version, however many meetings there are.
    with django_assert_num_queries(10):
        response = client.get(reverse("meetings:my_meetings"))
    assert response.status_code == 200
    text = response.content.decode()
    titles = [soon.title, folder_meeting["meeting"].title, past.title]
    positions = [text.index(t) for t in titles]
    assert positions == sorted(positions), "upcoming (soonest first), then past"
    assert text.index("Upcoming meetings") < positions[0] and text.index("Past meetings") < positions[2]
    assert closed.title not in text, "the folder closed seven days after the meeting"
    assert not_mine.title not in text
    assert f'href="{reverse("meetings:folder", args=[soon.pk])}"' in text


def test_my_meetings_badge_shows_the_folder_ready_offline(folder_meeting, delegate):
    mine = folder_meeting["mine"]
    url = reverse("meetings:my_meetings")
    client = client_for(delegate)

    def badge(state: str) -> bool:
        html = client.get(url).content.decode()
        tag = re.search(rf'<span class="mf-badge[^"]*" data-badge="{state}"( hidden)?>', html)
        return tag is not None and tag.group(1) is None

    assert badge("missing") and not badge("ready")
    Invitation.objects.filter(pk=mine.pk).update(folder_ready_version=1, folder_ready_at=timezone.now())
    assert badge("ready") and not badge("missing")
    html = client.get(url).content.decode()
    assert "Folder ready offline" in html
    from .tablet_fixtures import ready_packet

    ready_packet(
        folder_meeting["meeting"],
        version=2,
        contents=folder_meeting["contents"],
        pages=8,
        actor=folder_meeting["meeting"].created_by,
    )
    assert badge("outdated"), "a newer packet version: download again"
    assert "New version — download again" in client.get(url).content.decode()


# --- the folder ---------------------------------------------------------------------------------------------


def test_folder_shows_the_agenda_with_page_links_and_the_download_button(folder_meeting, delegate):
    meeting = folder_meeting["meeting"]
    response = client_for(delegate).get(reverse("meetings:folder", args=[meeting.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    reader = reverse("meetings:folder_reader", args=[meeting.pk])
    assert meeting.title in html and "Hội trường Đảng ủy xã" in html
    assert "Báo cáo tình hình kinh tế - xã hội" in html and "Presented by Nguyễn Văn An" in html
    assert "30 minutes" in html
    # Each document opens the reader at its first page in the delegate's copy.
    assert f'href="{reader}#page=4" data-document="{folder_meeting["report"].pk}"' in html
    assert "Pages 4–6" in html
    assert f'href="{reader}#page=7" data-document="{folder_meeting["plan"].pk}"' in html
    assert "Draft for comments" in html
    # The classified document has no file: handled on paper, no link.
    assert "Tờ trình nhân sự" in html and "Handled on paper (classified)" in html
    assert f'data-document="{folder_meeting["secret"].pk}"' not in html
    assert "Download for the meeting" in html and "data-download" in html
    assert "Read all the papers" in html and "Version 1, 8 pages" in html
    assert 'src="/static/meetings/folder.js"' in html and "/static/meetings/folder.css" in html


def test_folder_page_queries_do_not_grow_with_the_agenda(folder_meeting, delegate, clerk):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from .tablet_fixtures import document, item

    meeting = folder_meeting["meeting"]
    client = client_for(delegate)
    url = reverse("meetings:folder", args=[meeting.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    for n in range(3):
        extra = item(meeting, f"Mục bổ sung {n}")
        for m in range(2):
            document(extra, f"Tài liệu {n}.{m}", added_by=clerk)
    with CaptureQueriesContext(connection) as large:
        html = client.get(url).content.decode()
    assert "Tài liệu 2.1" in html
    assert len(large) == len(small), [q["sql"][:120] for q in large.captured_queries]


def test_folder_page_data_for_the_offline_scripts(folder_meeting, delegate):
    meeting = folder_meeting["meeting"]
    data = page_data(client_for(delegate).get(reverse("meetings:folder", args=[meeting.pk])))
    assert data["meeting"] == meeting.pk and data["user"] == delegate.pk and data["version"] == 1
    assert data["copyUrl"] == f"/meetings/{meeting.pk}/packet/my-copy/?version=1"
    assert data["closesAt"] == folder_closes_at(meeting).isoformat()
    assert data["swUrl"] == "/meetings/sw.js" and data["swScope"] == "/meetings/"
    assert data["syncUrl"] == f"/api/v1/meetings/{meeting.pk}/notes/sync/"
    assert data["readyUrl"] == f"/meetings/{meeting.pk}/folder/ready/"
    urls = set(data["offlineUrls"])
    assert {
        f"/meetings/{meeting.pk}/folder/",
        f"/meetings/{meeting.pk}/folder/read/",
        "/meetings/my/",
        "/static/css/app.css",
        "/static/js/app.js",
        "/static/vendor/htmx.org/htmx.min.js",
        "/static/meetings/folder.css",
        "/static/meetings/folder.js",
        "/static/meetings/reader.js",
        "/static/vendor/pdfjs-dist/pdf.min.mjs",
        "/static/vendor/pdfjs-dist/pdf.worker.min.mjs",
    } <= urls
    for url in urls:
        if url.startswith("/static/"):
            assert (STATIC / url.removeprefix("/static/")).is_file(), url
    assert [e["document"] for e in data["contents"]] == [
        folder_meeting["report"].pk,
        folder_meeting["plan"].pk,
        folder_meeting["secret"].pk,
    ]
    assert data["contents"][0] == {
        "document": folder_meeting["report"].pk,
        "title": "Báo cáo số 12-BC/ĐU",
        "first_page": 4,
        "pages": 3,
        "on_paper": False,
    }
    assert data["strings"]["saved"] == "Saved"


def test_folder_close_time_is_the_expiry_of_the_stored_copies(folder_meeting, delegate, settings):
    meeting = folder_meeting["meeting"]
    client = client_for(delegate)
    url = reverse("meetings:folder", args=[meeting.pk])
    # Default: the end of the meeting plus the retention days.
    settings.PARTYHUB_MEETING_FOLDER_RETENTION_DAYS = 3
    assert page_data(client.get(url))["closesAt"] == (meeting.ends_at + days(3)).isoformat()
    state = client.get(reverse("meetings:folder_state", args=[meeting.pk])).json()
    assert state["closesAt"] == (meeting.ends_at + days(3)).isoformat()
    # Set by the office: that moment.
    closes = timezone.now() + days(4)
    meeting.folder_closes_at = closes
    meeting.save(update_fields=["folder_closes_at"])
    assert page_data(client.get(url))["closesAt"] == closes.isoformat()
    html = client.get(url).content.decode()
    assert f"deleted from the tablet on {timezone.localtime(closes).strftime('%d/%m/%Y %H:%M')}" in html
    # After it the server refuses the folder, its state and the copy: the tablet then drops its stored copy.
    meeting.folder_closes_at = timezone.now() - days(0.01)
    meeting.save(update_fields=["folder_closes_at"])
    for name in ("meetings:folder", "meetings:folder_reader", "meetings:folder_state"):
        assert client.get(reverse(name, args=[meeting.pk])).status_code == 404, name


def test_reader_page(folder_meeting, delegate):
    meeting = folder_meeting["meeting"]
    response = client_for(delegate).get(reverse("meetings:folder_reader", args=[meeting.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for marker in (
        "data-reader",
        "data-canvas",
        "data-prev",
        "data-next",
        "data-zoom-in",
        "data-zoom-out",
        'data-panel-toggle="thumbs"',
        "data-search-form",
        "data-note-text",
    ):
        assert marker in html, marker
    assert "Only you can see your notes." in html
    assert 'src="/static/meetings/reader.js"' in html
    assert page_data(response)["pdfjs"] == "/static/vendor/pdfjs-dist/pdf.min.mjs"


def test_manager_not_invited_sees_the_agenda_without_a_copy(folder_meeting, clerk):
    meeting = folder_meeting["meeting"]
    client = client_for(clerk)
    response = client.get(reverse("meetings:folder", args=[meeting.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "You are not invited to this meeting" in html
    assert "Download for the meeting" not in html and "#page=4" not in html
    data = page_data(response)
    assert data["copyUrl"] is None and data["syncUrl"] is None and data["version"] is None
    assert client.get(reverse("meetings:folder_reader", args=[meeting.pk])).status_code == 404
    ready = client.post(
        reverse("meetings:folder_ready", args=[meeting.pk]), {"version": 1}, content_type="application/json"
    )
    assert ready.status_code == 404


def test_no_packet_yet(packet_env, org_tree, clerk, delegate):
    meeting = make_meeting(org_tree["commune"], created_by=clerk)
    invite(meeting, delegate)
    client = client_for(delegate)
    html = client.get(reverse("meetings:folder", args=[meeting.pk])).content.decode()
    assert "Your copy of the papers is not ready yet." in html and "data-download" not in html
    assert "The agenda has not been set yet." in html
    assert client.get(reverse("meetings:folder_reader", args=[meeting.pk])).status_code == 404
    assert client.get(reverse("meetings:folder_state", args=[meeting.pk])).json()["version"] is None


# --- who gets 404 -------------------------------------------------------------------------------------------

FOLDER_URLS = ("meetings:folder", "meetings:folder_reader", "meetings:folder_state")


@pytest.mark.parametrize("who", ["outsider", "member_user", "other_meeting_delegate", "admin_not_cleared"])
def test_folder_is_404_for_people_not_invited(who, folder_meeting, request, org_tree, clerk):
    meeting = folder_meeting["meeting"]
    if who == "other_meeting_delegate":
        from ..factories import UserFactory

        user = UserFactory(username="elsewhere")
        other = make_meeting(org_tree["other_commune"], created_by=clerk, title="Họp xã khác")
        invite(other, user)
        assert client_for(user).get(reverse("meetings:folder", args=[other.pk])).status_code == 200
    elif who == "admin_not_cleared":
        user = request.getfixturevalue("admin_user")
        meeting.confidentiality = Confidentiality.SECRET
        meeting.save(update_fields=["confidentiality"])
    else:
        user = request.getfixturevalue(who)
    client = client_for(user)
    for name in FOLDER_URLS:
        assert client.get(reverse(name, args=[meeting.pk])).status_code == 404, name
    ready = client.post(
        reverse("meetings:folder_ready", args=[meeting.pk]), {"version": 1}, content_type="application/json"
    )
    assert ready.status_code == 404


@pytest.mark.parametrize("window", ["not_opened_yet", "closed", "classified_not_cleared"])
def test_invited_delegate_gets_404_outside_the_window(window, folder_meeting, delegate):
    meeting = folder_meeting["meeting"]
    client = client_for(delegate)
    assert client.get(reverse("meetings:folder", args=[meeting.pk])).status_code == 200
    if window == "not_opened_yet":
        meeting.folder_opens_at = timezone.now() + days(1)
    elif window == "closed":
        meeting.folder_closes_at = timezone.now() - days(0.01)
    else:
        meeting.confidentiality = Confidentiality.SECRET
    meeting.save()
    for name in FOLDER_URLS:
        assert client.get(reverse(name, args=[meeting.pk])).status_code == 404, name
    assert client.get(f"/meetings/{meeting.pk}/packet/my-copy/?version=1").status_code == 404


def test_cancelled_meeting_says_so_in_the_window(folder_meeting, delegate):
    meeting = folder_meeting["meeting"]
    meeting.status = "cancelled"
    meeting.save(update_fields=["status"])
    client = client_for(delegate)
    assert (
        "This meeting has been cancelled." in client.get(reverse("meetings:folder", args=[meeting.pk])).content.decode()
    )
    assert "Cancelled" in client.get(reverse("meetings:my_meetings")).content.decode()


def test_anonymous_is_sent_to_sign_in(folder_meeting):
    meeting = folder_meeting["meeting"]
    for name in FOLDER_URLS:
        response = Client().get(reverse(name, args=[meeting.pk]))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name
    assert Client().get(reverse("meetings:my_meetings")).status_code == 302


# --- the service worker -------------------------------------------------------------------------------------


def test_service_worker_is_served_under_meetings_with_its_scope(delegate):
    anonymous = Client().get(reverse("meetings:service_worker"))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    response = client_for(delegate).get(reverse("meetings:service_worker"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/meetings/"
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    assert body == (STATIC / "meetings" / "sw.js").read_text()
    # It serves the folder pages and static files, deletes expired folders, and never uses a CDN.
    for needle in ("partyhub-folder-", "closesAt", "purgeExpired", "/folder/(?:read/)?$", "respondWith"):
        assert needle in body, needle
    assert "http://" not in body and "https://" not in body


def test_folder_scripts_use_no_cdn_and_store_the_whole_pdf():
    folder_js = (STATIC / "meetings" / "folder.js").read_text()
    reader_js = (STATIC / "meetings" / "reader.js").read_text()
    for source in (folder_js, reader_js):
        assert "http://" not in source and "https://" not in source
    assert "storePdf" in folder_js and "arrayBuffer" in folder_js, "the copy is stored whole and read as bytes"
    assert "options.data = source.data" in reader_js


# --- large type and touch targets ---------------------------------------------------------------------------


def _rem(value: str) -> float:
    match = re.fullmatch(r"\s*([\d.]+)rem\s*", value)
    assert match, value
    return float(match.group(1))


def test_folder_css_has_large_type_and_touch_targets():
    css = (STATIC / "meetings" / "folder.css").read_text()
    app_css = (STATIC / "css" / "app.css").read_text()
    root_px = 16 * float(re.search(r"font-size:\s*([\d.]+)%", app_css).group(1)) / 100
    assert root_px == 18
    body = _rem(re.search(r"--mf-body:\s*([^;]+);", css).group(1))
    target = _rem(re.search(r"--mf-target:\s*([^;]+);", css).group(1))
    assert body * root_px >= 18, "body text of the folder at least 18 px"
    assert target * 16 >= 48, "touch targets at least 48 px even at the browser's 16 px default"
    assert re.search(r"\.mf \{[^}]*font-size: var\(--mf-body\)", css)
    # Every control of the folder and the reader has the large target.
    for selector in (
        ".mf .button, .mf-tool, .mf-link-button",
        ".mf-document",
        ".mf-thumb",
        ".mf-result",
        ".mf-meeting-link",
        ".mf-search-row input",
        ".mf-page-box input",
        ".mf-note-pages button",
    ):
        block = re.search(re.escape(selector) + r"\s*\{([^}]*)\}", css)
        assert block, selector
        assert "min-height: var(--mf-target)" in block.group(1), selector
    # Nothing in the folder's stylesheet is set below 1rem (18 px).
    sizes = [float(v) for v in re.findall(r"font-size:\s*([\d.]+)rem", css)]
    assert sizes and min(sizes) >= 0.92, sizes
    assert min(s for s in sizes if s != 0.92) >= 1


# --- the state and the "folder ready" report ----------------------------------------------------------------


def test_folder_state(folder_meeting, delegate):
    meeting = folder_meeting["meeting"]
    response = client_for(delegate).get(reverse("meetings:folder_state", args=[meeting.pk]))
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    state = response.json()
    assert state["version"] == 1 and state["readyVersion"] is None
    assert state["copyUrl"] == f"/meetings/{meeting.pk}/packet/my-copy/?version=1"
    assert state["closesAt"] == folder_closes_at(meeting).isoformat()
    assert len(state["csrfToken"]) >= 32


def test_folder_ready_is_recorded_for_the_office(folder_meeting, delegate, clerk):
    meeting, mine = folder_meeting["meeting"], folder_meeting["mine"]
    copy_for(folder_meeting["packet"], mine, actor=clerk)
    client = Client(enforce_csrf_checks=True)
    client.force_login(delegate)
    url = reverse("meetings:folder_ready", args=[meeting.pk])
    assert client.post(url, {"version": 1}, content_type="application/json").status_code == 403, "CSRF checked"
    token = client.get(reverse("meetings:folder_state", args=[meeting.pk])).json()["csrfToken"]
    before = timezone.now()
    response = client.post(url, {"version": 1}, content_type="application/json", headers={"X-CSRFToken": token})
    assert response.status_code == 200, response.content
    mine.refresh_from_db()
    assert mine.folder_ready_version == 1 and mine.folder_ready_at >= before
    assert response.json() == {"version": 1, "at": mine.folder_ready_at.isoformat()}
    theirs = Invitation.objects.get(pk=folder_meeting["theirs"].pk)
    assert theirs.folder_ready_version is None


@pytest.mark.parametrize(
    "body, message",
    [
        ({"version": "x"}, "The packet version must be a whole number."),
        ({"version": True}, "The packet version must be a whole number."),
        ({}, "The packet version must be a whole number."),
        ({"version": 7}, "This meeting has no packet of that version with your copy."),
        ({"version": 1}, "This meeting has no packet of that version with your copy."),  # never fetched the copy
        ([1], 'Send the packet version as JSON: {"version": 1}.'),
    ],
)
def test_folder_ready_bad_input(body, message, folder_meeting, delegate):
    meeting, mine = folder_meeting["meeting"], folder_meeting["mine"]
    response = client_for(delegate).post(
        reverse("meetings:folder_ready", args=[meeting.pk]), body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {"version": [message]}
    mine.refresh_from_db()
    assert mine.folder_ready_version is None and mine.folder_ready_at is None


def test_folder_ready_rejects_a_body_that_is_not_json(folder_meeting, delegate):
    response = client_for(delegate).post(
        reverse("meetings:folder_ready", args=[folder_meeting["meeting"].pk]),
        "version=1",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert (
        client_for(delegate).get(reverse("meetings:folder_ready", args=[folder_meeting["meeting"].pk])).status_code
        == 405
    )


def test_readiness_panel_for_the_office(folder_meeting, clerk, django_assert_num_queries):
    meeting, mine, theirs = folder_meeting["meeting"], folder_meeting["mine"], folder_meeting["theirs"]
    Invitation.objects.filter(pk=mine.pk).update(folder_ready_version=1, folder_ready_at=timezone.now())
    guest = invite(meeting, None, name="Khách mời không có tài khoản")
    with django_assert_num_queries(1):
        html = render_to_string("meetings/_folder_readiness.html", {"meeting": meeting})
    assert "Folders on the tablets" in html
    assert "1 of 2 invited people have the newest papers stored on their tablet." in html
    assert "Newest version: 1." in html
    row = re.search(rf'<tr data-invitation="{mine.pk}" data-state="ready">(.*?)</tr>', html, re.S).group(1)
    assert "Lê Văn Đại Biểu" in row and "✓ Ready" in row and "Version 1" in row
    row = re.search(rf'<tr data-invitation="{theirs.pk}" data-state="missing">(.*?)</tr>', html, re.S).group(1)
    assert "✗ Not downloaded" in row
    assert guest.name not in html, "only people with an account can have a tablet folder"
    from .tablet_fixtures import ready_packet

    ready_packet(meeting, version=2, contents=folder_meeting["contents"], pages=8, actor=clerk)
    html = render_to_string("meetings/_folder_readiness.html", {"meeting": meeting})
    assert re.search(rf'<tr data-invitation="{mine.pk}" data-state="outdated">.*?Older version.*?Version 1', html, re.S)


def test_office_meeting_page_shows_the_readiness_panel(folder_meeting, clerk, delegate):
    meeting, mine = folder_meeting["meeting"], folder_meeting["mine"]
    Invitation.objects.filter(pk=mine.pk).update(folder_ready_version=1, folder_ready_at=timezone.now())
    html = client_for(clerk).get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert "Folders on the tablets" in html
    assert f'<tr data-invitation="{mine.pk}" data-state="ready">' in html
    # A delegate sees the meeting page, not the office's panel.
    assert (
        "Folders on the tablets"
        not in client_for(delegate).get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    )


# --- Vietnamese ---------------------------------------------------------------------------------------------


@pytest.mark.vietnamese
def test_folder_in_vietnamese(tablet_catalogue, folder_meeting, delegate):
    delegate.preferred_language = "vi"
    delegate.save(update_fields=["preferred_language"])
    meeting = folder_meeting["meeting"]
    client = client_for(delegate)
    html = client.get(reverse("meetings:folder", args=[meeting.pk])).content.decode()
    assert "Tải về để họp" in html
    assert "Chương trình" in html and "Trang 4–6" in html
    assert "Xử lý bằng văn bản giấy (tài liệu mật)" in html
    data = page_data(client.get(reverse("meetings:folder_reader", args=[meeting.pk])))
    assert data["strings"]["saved"] == "Đã lưu"
    assert data["strings"]["saved_here"] == "Đã lưu trên máy tính bảng — sẽ gửi lên khi có mạng."
    html = client.get(reverse("meetings:my_meetings")).content.decode()
    assert "Cuộc họp của tôi" in html and "Cuộc họp sắp tới" in html
