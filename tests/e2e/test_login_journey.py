"""A clerk signs in, sees the Vietnamese home page, switches to English — at desktop and tablet sizes.

Playwright on Debian's Chromium (see ``browser_type_launch_args`` in tests/conftest.py); the live server
serves static files, so htmx and our CSS load as they would in production. Screenshots go to test-results/.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROOT = Path(settings.BASE_DIR)
# test-results/ is git-ignored (pytest-playwright empties it when a session starts).
SCREENSHOTS = Path(os.environ.get("PARTYHUB_SCREENSHOT_DIR", ROOT / "test-results"))
VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "tablet": {"width": 800, "height": 1280}}


@pytest.fixture(scope="session", autouse=True)
def vendor_files_built():
    htmx = ROOT / "static/vendor/htmx.org/htmx.min.js"
    if not htmx.is_file():
        pytest.fail(
            "static/vendor is missing: build the front-end libraries first with `python3 scripts/build_vendor.py` "
            "(make does this)",
            pytrace=False,
        )


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_clerk_signs_in_and_switches_language(live_server, browser, clerk, password, ui_vietnamese_catalogue, size):
    context = browser.new_context(viewport=VIEWPORTS[size], locale="vi-VN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
    try:
        page.goto(f"{live_server.url}/")
        assert page.url.startswith(f"{live_server.url}/accounts/login/")
        assert page.locator("html").get_attribute("lang") == "vi"
        page.get_by_label("Tên đăng nhập").fill("clerk")
        page.get_by_label("Mật khẩu").fill(password)
        page.screenshot(path=str(SCREENSHOTS / f"login-{size}-vi.png"), full_page=True)
        page.get_by_role("button", name="Đăng nhập").click()

        page.wait_for_url(f"{live_server.url}/")
        assert page.locator("html").get_attribute("lang") == "vi"
        assert page.get_by_role("heading", name="Việc cần xử lý").is_visible()
        assert page.get_by_role("heading", name="Đơn vị và vai trò của bạn").is_visible()
        assert page.get_by_text("Văn phòng Đảng ủy").is_visible()
        # htmx and our script loaded from static/vendor and static/js.
        assert page.evaluate("typeof window.htmx") == "object"
        assert page.evaluate("document.documentElement.classList.contains('js')")
        page.screenshot(path=str(SCREENSHOTS / f"home-{size}-vi.png"), full_page=True)

        # The language switch sits in the menu (always shown from tablet width up).
        page.get_by_role("button", name="English").click()
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.get_by_role("heading", name="Pending work").is_visible()
        assert page.get_by_role("heading", name="Your organizations and roles").is_visible()
        assert page.get_by_role("link", name="Home").is_visible()
        page.screenshot(path=str(SCREENSHOTS / f"home-{size}-en.png"), full_page=True)

        # The user menu opens and holds sign-out.
        page.locator("details.user-menu > summary").click()
        assert page.get_by_role("button", name="Sign out").is_visible()
        page.screenshot(path=str(SCREENSHOTS / f"home-{size}-en-usermenu.png"))

        # No horizontal scrolling at this width.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert errors == []
        assert failed == []
    finally:
        context.close()


def test_phone_menu_collapses_and_opens(live_server, browser, clerk, password, ui_vietnamese_catalogue):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN", has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Tên đăng nhập").fill("clerk")
        page.get_by_label("Mật khẩu").fill(password)
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url(f"{live_server.url}/")
        menu_button = page.get_by_role("button", name="Danh mục")
        assert menu_button.is_visible()
        assert not page.get_by_role("link", name="Trang chủ").is_visible()
        page.screenshot(path=str(SCREENSHOTS / "home-phone-vi.png"), full_page=True)
        menu_button.click()
        assert menu_button.get_attribute("aria-expanded") == "true"
        home_link = page.get_by_role("link", name="Trang chủ")
        assert home_link.is_visible()
        box = home_link.bounding_box()
        assert box is not None and box["height"] >= 44  # a finger-sized target
        page.screenshot(path=str(SCREENSHOTS / "home-phone-vi-menu.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()
