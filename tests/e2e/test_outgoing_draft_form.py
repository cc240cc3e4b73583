"""The outgoing draft form in a browser (desktop, 1366×768): the drafter writes the body in the small rich-text
editor (bold from the toolbar), adds a recipient row, sees the live preview of the official layout, saves, and
the document page shows the sanitized body and the buttons of the next step. The whole journey (leader approves
and signs, clerk issues, member reads on a phone) is the integration test's; this one covers the form's
JavaScript (``static/js/outgoing_form.js``) and its wiring to the preview endpoint."""

from __future__ import annotations

import datetime
import re

import pytest

from documents.models import OutgoingDocument
from members.models import PositionTitle
from tests.factories import TermFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 768}


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private")},
        },
    }


def test_drafter_writes_with_the_editor_and_sees_the_preview(
    live_server, browser, org_tree, handler, leader, password, document_types, private_storage
):
    TermFactory(organization=org_tree["standing"], start_date=datetime.date(2025, 9, 1))
    PositionTitle.objects.filter(name="Bí thư Đảng ủy").update(signature_title="BÍ THƯ")
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("input[name=username]").fill("handler")
    page.locator("input[name=password]").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/documents/outgoing/")
    page.locator("#outgoing-new").click()
    page.wait_for_url(re.compile(r"/documents/outgoing/new/$"))
    form = page.locator("#outgoing-form")
    form.locator("[name=organization]").select_option(label="Ban Thường vụ Đảng ủy xã Gò Quao")
    form.locator("[name=document_type]").select_option(label="Nghị quyết (NQ)")
    form.locator("[name=summary]").fill("Về đẩy mạnh chuyển đổi số trong hoạt động của Đảng bộ")
    form.locator("[name=signer]").select_option(label=leader.full_name)

    # The body: a contenteditable with a toolbar replaces the textarea.
    editor = page.locator("#outgoing-body-editor")
    assert form.locator("textarea[name=body]").is_hidden()
    editor.click()
    page.keyboard.type("Ban Thường vụ Đảng ủy quyết nghị: ")
    page.get_by_role("button", name="Bold").click()
    page.keyboard.type("đẩy mạnh chuyển đổi số")
    assert "<b>đẩy mạnh chuyển đổi số</b>" in form.locator("textarea[name=body]").input_value()

    # One more recipient row, then a recipient in PartyHub and one outside.
    rows = page.locator(".recipient-row")
    before = rows.count()
    page.locator("#recipient-add").click()
    assert rows.count() == before + 1
    assert form.locator("[name=recipients-TOTAL_FORMS]").input_value() == str(before + 1)
    form.locator("[name=recipients-0-organization]").select_option(label="Chi bộ ấp Phước Hưng")
    form.locator(f"[name=recipients-{before}-name]").fill("Ủy ban nhân dân xã Gò Quao")

    # The live preview (the render helper's endpoint) shows the official layout as images.
    page.locator("#outgoing-preview img.outgoing-preview-page").first.wait_for(timeout=60_000)

    page.locator("#outgoing-save").click()
    page.wait_for_url(re.compile(r"/documents/outgoing/\d+/$"))
    document = OutgoingDocument.objects.get()
    assert document.body.startswith("<p>Ban Thường vụ Đảng ủy quyết nghị: <b>đẩy mạnh chuyển đổi số</b>")
    assert list(document.recipients.values_list("name", flat=True)) == [
        "Chi bộ ấp Phước Hưng",
        "Ủy ban nhân dân xã Gò Quao",
    ]
    assert page.locator("#outgoing-status").get_attribute("data-status") == "draft"
    assert page.locator("#outgoing-body b").inner_text() == "đẩy mạnh chuyển đổi số"
    assert page.locator("#outgoing-submit").is_visible()
    context.close()
    assert not errors, errors
