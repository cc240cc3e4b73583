"""The outgoing journey in browsers (issue 5): a drafter writes a resolution of the standing committee on a
desktop, the leader approves and signs it with his certificate, the clerk numbers, seals and issues it and
publishes it to the members of the commune, and a member of a cell reads it in the handbook on a phone.

Real parts throughout: WeasyPrint renders the official layout, pyHanko signs with a test PKI (PKCS#12 files
whose passphrases are in environment variables), the number comes from the register counter, and the cell
finds the signed copy in its incoming queue (the electronic exchange, run eagerly)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.conf import settings

from documents.models import IncomingDocument, OutgoingDocument, OutgoingStatus
from documents.signing import verify_pdf
from members.models import PositionTitle
from partyhub.files import read_bytes
from tests.documents.conftest import (  # noqa: F401 — fixtures of the documents tests (the test PKI)
    make_credential,
    pki_files,
    seal_credential,
    signer_credential,
    test_pki,
)
from tests.factories import TermFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESKTOP = {"viewport": {"width": 1366, "height": 768}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private")},
        },
    }


def _login(browser, live_server, username, password, **options):
    context = browser.new_context(locale="en-GB", **options)
    page = context.new_page()
    page.set_default_timeout(60_000)
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on(
        "response",
        lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 and "favicon" not in r.url else None,
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    return context, page, problems


@pytest.mark.usefixtures("signer_credential", "seal_credential", "celery_eager", "private_storage")
def test_resolution_drafted_approved_signed_issued_and_read_on_a_phone(
    live_server,
    browser,
    org_tree,
    handler,
    leader,
    clerk,
    member_user,
    cell_secretary,
    password,
    document_types,
):
    TermFactory(organization=org_tree["standing"], start_date=datetime.date(2025, 9, 1))
    PositionTitle.objects.filter(name="Bí thư Đảng ủy").update(signature_title="BÍ THƯ")
    summary = "Về đẩy mạnh chuyển đổi số trong hoạt động của Đảng bộ"

    # 1. The drafter (an office specialist) writes the resolution, with the cell as a recipient, and submits it.
    context, page, problems = _login(browser, live_server, "handler", password, **DESKTOP)
    page.goto(f"{live_server.url}/documents/outgoing/new/")
    form = page.locator("#outgoing-form")
    form.locator("[name=organization]").select_option(label="Ban Thường vụ Đảng ủy xã Gò Quao")
    form.locator("[name=document_type]").select_option(label="Nghị quyết (NQ)")
    form.locator("[name=summary]").fill(summary)
    form.locator("[name=signer]").select_option(label=leader.full_name)
    page.locator("#outgoing-body-editor").click()
    page.keyboard.type("Ban Thường vụ Đảng ủy quyết nghị đẩy mạnh chuyển đổi số trong toàn Đảng bộ.")
    form.locator("[name=recipients-0-organization]").select_option(label="Chi bộ ấp Phước Hưng")
    page.locator("#outgoing-preview img.outgoing-preview-page").first.wait_for()
    page.locator("#outgoing-save").click()
    page.wait_for_url(re.compile(r"/documents/outgoing/\d+/$"))
    document = OutgoingDocument.objects.get()
    page.locator("#outgoing-submit").click()
    page.locator("#outgoing-status[data-status=submitted]").wait_for()
    context.close()
    assert not problems, problems

    # 2. The leader (the signer, and the reviewer since none was named) approves, then signs with his certificate.
    context, page, problems = _login(browser, live_server, "leader", password, **DESKTOP)
    page.goto(f"{live_server.url}/documents/outgoing/{document.pk}/")
    page.locator("#outgoing-approve").click()
    page.locator("#outgoing-status[data-status=approved]").wait_for()
    page.locator("#outgoing-sign").click()
    page.locator("#outgoing-status[data-status=signed]").wait_for()
    context.close()
    assert not problems, problems

    # 3. The clerk numbers, seals and issues it, then publishes it to the members of the commune.
    context, page, problems = _login(browser, live_server, "clerk", password, **DESKTOP)
    page.goto(f"{live_server.url}/documents/outgoing/{document.pk}/")
    page.locator("#outgoing-issue").click()
    page.locator("#outgoing-status[data-status=issued]").wait_for()
    assert page.locator("#outgoing-title").inner_text() == "Số 01-NQ/ĐU"
    publish = page.locator("#publish-panel")
    publish.locator("[name=audience]").select_option(value="organization")
    publish.locator("[name=organization]").select_option(label="Đảng bộ xã Gò Quao")
    publish.get_by_role("button", name="Publish").click()
    publish.get_by_text("Open in the library").wait_for()
    context.close()
    assert not problems, problems

    document.refresh_from_db()
    assert document.status == OutgoingStatus.ISSUED and document.number_symbol == "01-NQ/ĐU"
    report = verify_pdf(read_bytes(document.issued_file))  # outside Playwright's event loop, like the page does
    assert len(report.signatures) == 2 and report.intact and report.trusted
    # The cell received the signed copy in its incoming queue, waiting for its own registration.
    copy = IncomingDocument.objects.get(organization=org_tree["cell_a"])
    assert copy.number_symbol == "01-NQ/ĐU" and copy.sender_organization == org_tree["standing"]

    # 4. A member of the cell reads it in the handbook, on a phone.
    context, page, problems = _login(browser, live_server, "member", password, **PHONE)
    page.goto(f"{live_server.url}/members/handbook/")
    page.get_by_role("link", name=re.compile("chuyển đổi số")).first.click()
    page.wait_for_url(re.compile(r"/documents/library/\d+/$"))
    assert summary in page.locator("main").inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["viewport"]["width"], "the page scrolls sideways on a phone"
    page.screenshot(path=str(settings.BASE_DIR / "test-results" / "outgoing-journey-phone.png"), full_page=True)
    context.close()
    assert not problems, problems
