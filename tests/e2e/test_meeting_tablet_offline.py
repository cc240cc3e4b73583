"""The delegate's meeting folder on a tablet with the Wi-Fi cut (issue 6, points 4 and 9).

At tablet size (800×1280, touch), in Vietnamese: the delegate opens "my meetings", opens the folder of a
meeting whose packet was compiled by the real packet service (WeasyPrint + pikepdf, inline), and taps
"Download for the meeting" — the office's record then says their folder is ready (version 1). The browser
goes offline (``context.set_offline``): the folder page reloads from the service worker, a document opens in
the reader at its first page (the stamped copy read from the tablet's cache), pages turn by button and by
swipe, the search finds a word and highlights it, a private note is written — "saved on this tablet".
Nothing reaches the server while offline (every request the live server receives is recorded). Back online,
the note syncs by itself and is in the database. A new packet version is then announced on the folder
page, and a stored folder whose closing time has passed is deleted by the service worker.

Playwright on Debian's Chromium; 127.0.0.1 is a secure context, so the service worker runs over plain HTTP.
Screenshots go to ``PARTYHUB_SCREENSHOT_DIR`` (test-results/ by default).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.signals import request_started

from meetings.models import Invitation, PacketStatus, PageNote
from meetings.services.packets import packet_request_build
from tests.conftest import wait_for
from tests.meetings.tablet_fixtures import (  # noqa: F401
    _packet_env,
    _tablet_catalogue,
    document,
    invite,
    item,
    make_meeting,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.vietnamese]

ROOT = Path(settings.BASE_DIR)
SCREENSHOTS = Path(os.environ.get("PARTYHUB_SCREENSHOT_DIR", ROOT / "test-results"))
TABLET = {"width": 800, "height": 1280}
NOTE = "Đề nghị làm rõ số liệu thu ngân sách ở trang này."


class ServerHits:
    """Every request the live server receives (it runs in this process), while recording."""

    def __init__(self):
        self.paths: list[str] = []
        self.recording = False

    def __call__(self, sender, environ=None, **kwargs):
        if self.recording and environ is not None:
            self.paths.append(environ.get("PATH_INFO", ""))


def swipe(page, selector: str, dx: int) -> None:
    """A one-finger horizontal swipe on the element (touch events, as a tablet sends them)."""
    page.evaluate(
        """([selector, dx]) => {
            const el = document.querySelector(selector);
            const box = el.getBoundingClientRect();
            const x = box.left + box.width / 2, y = box.top + box.height / 2;
            const touch = (cx) => new Touch({identifier: 1, target: el, clientX: cx, clientY: y});
            const send = (type, touches, changed) =>
                el.dispatchEvent(new TouchEvent(type, {touches, changedTouches: changed, bubbles: true}));
            send("touchstart", [touch(x)], [touch(x)]);
            send("touchend", [], [touch(x + dx)]);
        }""",
        [selector, dx],
    )


def test_delegate_downloads_the_folder_reads_and_writes_a_note_offline_and_it_syncs(
    live_server, browser, org_tree, clerk, delegate, password, celery_eager, packet_env, tablet_catalogue
):
    # --- the office prepared the meeting; the packet is compiled by the packet service ---------------------------
    meeting = make_meeting(
        org_tree["commune"],
        created_by=clerk,
        title="Hội nghị Ban Chấp hành Đảng bộ xã tháng 11",
        place="Hội trường Đảng ủy xã",
    )
    invitation = invite(meeting, delegate, name="Lê Văn Đại Biểu")
    first = item(meeting, "Báo cáo tình hình kinh tế - xã hội", presenter="Nguyễn Văn An", planned_minutes=30)
    report = document(first, "Báo cáo số 12-BC/ĐU", pages=3, added_by=clerk, marker="NGANSACH")
    second = item(meeting, "Kế hoạch năm 2027")
    document(second, "Kế hoạch số 5-KH/ĐU", pages=2, added_by=clerk, marker="KEHOACH")
    packet = packet_request_build(meeting=meeting, actor=clerk)
    packet.refresh_from_db()
    assert packet.status == PacketStatus.READY, packet.message
    entry = next(e for e in packet.contents if e["agenda_document"] == report.pk)
    first_page = entry["first_page"]

    context = browser.new_context(viewport=TABLET, locale="vi-VN", has_touch=True, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))

    def on_response(response):
        if response.status >= 400 and "favicon" not in response.url:
            errors.append(f"{response.status} {response.url}")

    page.on("response", on_response)

    def shot(name):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"tablet-{name}.png"), full_page=True)

    # --- sign in, my meetings, the folder ---------------------------------------------------------------------
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Tên đăng nhập").fill(delegate.username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/meetings/my/")
    card = page.locator(f".mf-meeting[data-meeting='{meeting.pk}']")
    assert "Chưa lưu trên máy tính bảng này." in card.inner_text()
    card.get_by_role("link").click()
    page.wait_for_url(re.compile(rf"/meetings/{meeting.pk}/folder/$"))
    assert page.get_by_role("heading", name=meeting.title).is_visible()
    # Large touch targets: the document buttons and the download button are at least 48 px high.
    doc_link = page.locator(f"a.mf-document[data-document='{report.pk}']")
    assert doc_link.bounding_box()["height"] >= 48
    download = page.get_by_role("button", name="Tải về để họp")
    assert download.bounding_box()["height"] >= 48
    font_px = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.mf-item-detail')).fontSize)")
    assert font_px >= 18

    # --- "Download for the meeting" -----------------------------------------------------------------------------
    download.click()
    page.locator("[data-offline-status][data-state='ready']").wait_for(timeout=60_000)
    assert "phiên bản 1" in page.locator("[data-offline-status]").inner_text()
    assert wait_for(lambda: Invitation.objects.get(pk=invitation.pk).folder_ready_version == 1)
    assert Invitation.objects.get(pk=invitation.pk).folder_ready_at is not None
    # The service worker is active (it answers the next navigations to the folder pages).
    page.wait_for_function("async () => (await navigator.serviceWorker.ready).active?.state === 'activated'")
    shot("1-downloaded")
    # "My meetings" shows the folder ready on this tablet.
    page.goto(f"{live_server.url}/meetings/my/")
    page.locator(f".mf-meeting[data-meeting='{meeting.pk}'][data-offline='ready']").wait_for()
    assert card.locator("[data-badge='ready']").is_visible()
    assert "Hồ sơ đã lưu, đọc được khi không có mạng" in card.inner_text()
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/folder/")
    page.wait_for_load_state("networkidle")  # the page's own online checks are done before the Wi-Fi goes

    # --- the Wi-Fi goes away ------------------------------------------------------------------------------------
    hits = ServerHits()
    request_started.connect(hits, weak=False, dispatch_uid="tablet-offline-hits")
    try:
        hits.recording = True
        context.set_offline(True)
        page.reload()
        assert page.get_by_role("heading", name=meeting.title).is_visible()
        page.locator("[data-offline-note]:not([hidden])").wait_for()
        assert "Không có kết nối mạng" in page.locator("[data-offline-note]").first.inner_text()
        shot("2-offline-folder")

        # Open the document: the reader opens at its first page, from the copy stored on the tablet.
        page.locator(f"a.mf-document[data-document='{report.pk}']").click()
        page.wait_for_url(re.compile(rf"/meetings/{meeting.pk}/folder/read/#page={first_page}$"))
        reader = page.locator("[data-reader]")
        page.locator(f"[data-reader][data-rendered='true'][data-page='{first_page}']").wait_for()
        assert reader.get_attribute("data-source") == "stored"
        assert "Báo cáo số 12-BC/ĐU — trang 1/3" in page.locator("[data-doc-label]").inner_text()

        # Turn the page with the button, then back and forth with swipes.
        page.get_by_role("button", name="Trang sau").click()
        page.locator(f"[data-reader][data-page='{first_page + 1}']").wait_for()
        assert "trang 2/3" in page.locator("[data-doc-label]").inner_text()
        swipe(page, "[data-stage]", -200)
        page.locator(f"[data-reader][data-page='{first_page + 2}']").wait_for()
        swipe(page, "[data-stage]", 200)
        page.locator(f"[data-reader][data-page='{first_page + 1}']").wait_for()

        # Zoom in and back to the width of the tablet.
        zoom = page.locator("[data-zoom-level]")
        before = zoom.inner_text()
        page.get_by_role("button", name="Phóng to").click()
        page.wait_for_function(f"document.querySelector('[data-zoom-level]').textContent !== '{before}'")
        assert page.get_by_role("button", name="Vừa chiều rộng").get_attribute("aria-pressed") == "false"
        page.get_by_role("button", name="Vừa chiều rộng").click()
        page.locator("[data-fit][aria-pressed='true']").wait_for()
        canvas, stage = page.locator("[data-canvas]").bounding_box(), page.locator("[data-stage]").bounding_box()
        assert 0.85 * stage["width"] < canvas["width"] <= stage["width"]

        # Page thumbnails: drawn when shown; tapping one opens that page.
        page.locator("[data-panel-toggle='thumbs']").click()
        page.locator(".mf-thumb[data-page='1'] canvas[data-drawn='true']").wait_for()
        assert page.locator(".mf-thumb").count() == packet.page_count
        assert page.locator(f".mf-thumb[data-page='{first_page + 1}']").get_attribute("aria-current") == "page"
        page.locator(".mf-thumb[data-page='1']").click()
        page.locator("[data-reader][data-page='1']").wait_for()
        page.locator(f".mf-thumb[data-page='{first_page + 1}']").click()
        page.locator(f"[data-reader][data-page='{first_page + 1}']").wait_for()

        # Search inside the packet without diacritics; the page found is shown with the words highlighted.
        page.locator("[data-panel-toggle='search']").click()
        page.get_by_label("Tìm trong tài liệu").fill("ngansach page 3")
        page.locator("[data-search-form] button[type=submit]").click()
        page.locator("[data-search-status]").filter(has_text="Tìm thấy trên 1 trang.").wait_for()
        page.locator(f"[data-reader][data-page='{first_page + 2}']").wait_for()
        assert int(reader.get_attribute("data-highlights")) >= 1
        shot("3-offline-search")
        page.locator(".mf-result").first.click()
        page.get_by_role("button", name="Trang trước").click()
        page.locator(f"[data-reader][data-page='{first_page + 1}']").wait_for()

        # Write a private note on page 2 of the document.
        page.locator("[data-panel-toggle='notes']").click()
        page.locator("[data-note-text]").fill(NOTE)
        page.locator("[data-note-status][data-state='pending']").wait_for()
        assert "Đã lưu trên máy tính bảng — sẽ gửi lên khi có mạng." in page.locator("[data-note-status]").inner_text()
        shot("4-offline-note")
        assert not PageNote.objects.exists()
        # Nothing the pages or the service worker ask reaches the server. (The browser itself may re-check the
        # service worker script after a navigation; that check is outside DevTools' offline emulation — on a
        # tablet without Wi-Fi it simply fails and the installed worker stays.)
        offline_hits = [p for p in hits.paths if p != "/meetings/sw.js"]
        assert offline_hits == [], f"nothing may reach the server while offline: {offline_hits}"

        # --- back online: the note syncs by itself (the recorder sees that request: it does record) -------------
        context.set_offline(False)
        page.locator("[data-note-status][data-state='saved']").wait_for(timeout=45_000)
        assert f"/api/v1/meetings/{meeting.pk}/notes/sync/" in hits.paths
    finally:
        hits.recording = False
        request_started.disconnect(dispatch_uid="tablet-offline-hits")
    assert page.locator("[data-note-status]").inner_text() == "Đã lưu"
    note = PageNote.objects.get()
    assert note.invitation_id == invitation.pk and note.document_id == report.pk
    assert note.page == 2 and note.text == NOTE and not note.deleted
    shot("5-synced")

    # --- a newer packet version is announced on the folder ----------------------------------------------------
    newer = packet_request_build(meeting=meeting, actor=clerk, reason="Bổ sung số liệu")
    newer.refresh_from_db()
    assert newer.status == PacketStatus.READY and newer.version == 2
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/folder/")
    banner = page.locator("[data-new-version]:not([hidden])")
    banner.wait_for()
    assert "phiên bản 2" in banner.inner_text() and "tải về lại" in banner.inner_text()
    shot("6-new-version")

    # --- a stored folder past its closing time is deleted by the service worker --------------------------------
    names = page.evaluate("caches.keys()")
    assert [n for n in names if n.startswith("partyhub-folder-")], names
    page.evaluate(
        """async () => {
            for (const name of await caches.keys()) {
                if (!name.startsWith("partyhub-folder-")) continue;
                const cache = await caches.open(name);
                const meta = await (await cache.match("/__partyhub-folder-meta__")).json();
                meta.closesAt = new Date(Date.now() - 60000).toISOString();
                await cache.put("/__partyhub-folder-meta__", new Response(JSON.stringify(meta)));
            }
            navigator.serviceWorker.controller.postMessage({type: "purge"});
        }"""
    )
    page.wait_for_function(
        "caches.keys().then(names => !names.some(n => n.startsWith('partyhub-folder-')))", polling=200
    )
    context.close()
    assert not errors, errors
