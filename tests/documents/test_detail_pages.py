"""The document page (documents:detail) and the queue page (documents:index): access through the selectors
(forbidden → 404), the audit of views, "who viewed or downloaded it", the viewer, the handling forms posted
with and without htmx, pinned query counts, and the home page sections."""

from __future__ import annotations

import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfWriter

from documents.models import (
    Assignment,
    DocumentFile,
    FileRole,
    HandlingKind,
    IncomingStatus,
    SignatureCheck,
    Urgency,
)
from documents.services.handling import incoming_direct
from partyhub.audit import entries_for
from partyhub.files import store_bytes
from partyhub.models import AuditEntry
from tests.factories import MemberFactory, PositionFactory, PositionTitleFactory, UserFactory

from .factories import IncomingDocumentFactory, registered_incoming

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def english(settings, tmp_path):
    settings.LANGUAGE_CODE = "en"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private")},
        },
    }


def _login(client, user):
    if user.preferred_language != "en":
        user.preferred_language = "en"
        user.save(update_fields=["preferred_language"])
    client.force_login(user)


def _get(client, user, url, **extra):
    _login(client, user)
    return client.get(url, HTTP_ACCEPT_LANGUAGE="en", **extra)


def _post(client, user, url, data, **extra):
    _login(client, user)
    return client.post(url, data, HTTP_ACCEPT_LANGUAGE="en", **extra)


@pytest.fixture
def cohandler(org_tree):
    user = UserFactory(username="cohandler", full_name="Lê Thị Phối Hợp")
    member = MemberFactory(full_name=user.full_name, organization=org_tree["cell_b"], user=user)
    PositionFactory(
        member=member,
        organization=org_tree["office"],
        title=PositionTitleFactory(name="Chuyên viên phối hợp", grants_handler=True),
        start_date=datetime.date(2025, 9, 1),
    )
    return user


@pytest.fixture
def document(org_tree):
    return registered_incoming(
        org_tree["commune"], number_symbol="57-NQ/TW", summary="Về chuyển đổi số", sender="Tỉnh ủy An Giang"
    )


def _pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _direct(document, leader, handler, cohandler=None, **kwargs):
    return incoming_direct(
        actor=leader,
        document=document,
        lead=handler,
        cooperating=[cohandler] if cohandler else [],
        deadline=kwargs.pop("deadline", timezone.localdate() + datetime.timedelta(days=5)),
        instructions=kwargs.pop("instructions", "Tham mưu kế hoạch."),
        **kwargs,
    )


# --- the document page -----------------------------------------------------------------------------------------


def test_leader_sees_the_page_and_the_view_is_audited(client, document, leader):
    response = _get(client, leader, reverse("documents:detail", args=[document.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "57-NQ/TW" in html and "Về chuyển đổi số" in html and "Tỉnh ủy An Giang" in html
    assert "Registered: waiting for the leader's directive." in html
    assert f'action="/documents/incoming/{document.pk}/direct/"' in html
    views = entries_for(document).filter(action="view")
    assert views.count() == 1 and views.get().actor == leader
    # htmx-free HEAD requests are not views.
    client.head(reverse("documents:detail", args=[document.pk]))
    assert entries_for(document).filter(action="view").count() == 1


@pytest.mark.parametrize("who", ["outsider", "member_user", "handler", "delegate"])
def test_people_who_may_not_see_it_get_404(client, document, who, request):
    user = request.getfixturevalue(who)
    response = _get(client, user, reverse("documents:detail", args=[document.pk]))
    assert response.status_code == 404
    assert not entries_for(document).filter(action="view").exists()


def test_a_missing_document_is_404(client, leader):
    assert _get(client, leader, reverse("documents:detail", args=[999999])).status_code == 404


def test_handler_sees_it_once_named_without_the_access_log(client, document, leader, handler, clerk):
    _direct(document, leader, handler)
    _get(client, clerk, reverse("documents:detail", args=[document.pk]))
    response = _get(client, handler, reverse("documents:detail", args=[document.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Who viewed or downloaded it" not in html
    assert "Record progress" in html and "Tham mưu kế hoạch." in html
    assert "Give a new directive" not in html  # only the leader directs
    assert "Close the document" in html  # the lead closes


def test_access_log_lists_views_and_file_downloads_for_clerks(client, document, leader, clerk, handler):
    stored = store_bytes(_pdf_bytes(), name="Nghị quyết 57.pdf", content_type="application/pdf", actor=clerk)
    DocumentFile.objects.create(incoming=document, stored_file=stored, role=FileRole.ORIGINAL)
    _direct(document, leader, handler)
    _get(client, handler, reverse("documents:detail", args=[document.pk]))
    download = _get(client, handler, reverse("files:download", args=[stored.pk]) + "?download=1")
    assert download.status_code == 200
    b"".join(download.streaming_content)

    response = _get(client, clerk, reverse("documents:detail", args=[document.pk]))
    html = response.content.decode()
    assert "Who viewed or downloaded it" in html
    log = response.context["access_log"]
    assert [(e.actor, e.action) for e in log] == [(clerk, "view"), (handler, "download"), (handler, "view")]
    assert "Downloaded or viewed the file Nghị quyết 57.pdf" in html
    assert html.count(handler.full_name) >= 2


def test_viewer_points_pdf_js_at_the_permission_checked_download(client, document, clerk, leader):
    original = DocumentFile.objects.create(
        incoming=document,
        stored_file=store_bytes(_pdf_bytes(), name="scan.pdf", content_type="application/pdf", actor=clerk),
        role=FileRole.ORIGINAL,
    )
    searchable = DocumentFile.objects.create(
        incoming=document,
        stored_file=store_bytes(_pdf_bytes(), name="scan-ocr.pdf", content_type="application/pdf", actor=clerk),
        role=FileRole.SEARCHABLE,
        derived_from=original,
    )
    SignatureCheck.objects.create(
        file=original, signer_name="Nguyễn Văn Ký", intact=True, trusted=False, summary="Untrusted certificate"
    )
    response = _get(client, leader, reverse("documents:detail", args=[document.pk]))
    html = response.content.decode()
    url = reverse("files:download", args=[searchable.stored_file_id])
    assert f'data-src="{url}"' in html  # the searchable copy is what the viewer opens
    assert "vendor/pdfjs-dist/pdf.min.mjs" in html and "vendor/pdfjs-dist/pdf.worker.min.mjs" in html
    assert "js/pdf_viewer.js" in html
    assert f'href="{url}?download=1"' in html  # the fallback download link is always there
    assert "Signature not valid" in html and "Nguyễn Văn Ký" in html and "Untrusted certificate" in html


def test_classified_document_without_files_says_so(client, org_tree, leader):
    from .factories import ClearanceFactory

    ClearanceFactory(user=leader, level="mat")
    document = registered_incoming(org_tree["commune"], confidentiality="mat")
    html = _get(client, leader, reverse("documents:detail", args=[document.pk])).content.decode()
    assert "Files are not kept for documents of this classification" in html
    assert "data-pdf-viewer" not in html


# --- handling forms --------------------------------------------------------------------------------------------


def test_leader_directs_with_htmx_and_gets_the_panel(client, document, leader, handler, cohandler):
    deadline = timezone.localdate() + datetime.timedelta(days=3)
    response = _post(
        client,
        leader,
        reverse("documents:direct", args=[document.pk]),
        {
            "directive-lead": handler.pk,
            "directive-cooperating": [cohandler.pk],
            "directive-deadline": deadline.strftime("%d/%m/%Y"),
            "directive-instructions": "Chủ trì tham mưu.",
        },
        **HX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="handling-panel"')
    assert "The directive was recorded and the people named were notified." in html
    assert "Chủ trì tham mưu." in html and handler.full_name in html and cohandler.full_name in html
    assert "Directive given" in html  # the history in the panel
    # The status marks above the panel change too: swapped out of band.
    assert 'id="doc-marks" hx-swap-oob="true"' in html and "Being handled" in html
    document.refresh_from_db()
    assert document.status == IncomingStatus.IN_PROGRESS and document.deadline == deadline


def test_directive_errors_are_shown_and_nothing_written(client, document, leader, handler):
    data = {
        "directive-lead": handler.pk,
        "directive-deadline": (timezone.localdate() - datetime.timedelta(days=1)).strftime("%d/%m/%Y"),
    }
    response = _post(client, leader, reverse("documents:direct", args=[document.pk]), data, **HX)
    assert response.status_code == 200
    assert "The deadline cannot be in the past." in response.content.decode()
    response = _post(client, leader, reverse("documents:direct", args=[document.pk]), data)
    assert response.status_code == 400
    assert "The deadline cannot be in the past." in response.content.decode()
    document.refresh_from_db()
    assert document.status == IncomingStatus.REGISTERED


@pytest.mark.parametrize("who", ["clerk", "handler", "outsider"])
def test_only_the_leader_may_post_a_directive(client, document, handler, who, request):
    user = request.getfixturevalue(who)
    response = _post(client, user, reverse("documents:direct", args=[document.pk]), {"directive-lead": handler.pk})
    assert response.status_code == 404
    document.refresh_from_db()
    assert document.status == IncomingStatus.REGISTERED


def test_handlers_progress_done_and_close_through_the_page(client, document, leader, handler, cohandler):
    _direct(document, leader, handler, cohandler)
    # The co-handler may not close, nor progress somebody else's work: their own forms only.
    assert _post(client, cohandler, reverse("documents:close", args=[document.pk]), {}).status_code == 404
    response = _post(
        client, cohandler, reverse("documents:progress", args=[document.pk]), {"progress-text": "Đã góp ý."}, **HX
    )
    assert "Your progress was noted." in response.content.decode()
    response = _post(client, cohandler, reverse("documents:done", args=[document.pk]), {"done-text": "Xong."})
    assert response.status_code == 302 and response["Location"] == reverse("documents:detail", args=[document.pk])
    assert Assignment.objects.get(user=cohandler).status == "done"

    upload = io.BytesIO(_pdf_bytes())
    upload.name = "bao-cao.pdf"
    response = _post(
        client,
        handler,
        reverse("documents:progress", args=[document.pk]),
        {"progress-text": "Đã dự thảo.", "progress-file": upload},
        **HX,
    )
    assert response.status_code == 200 and "bao-cao.pdf" in response.content.decode()
    response = _post(
        client, handler, reverse("documents:close", args=[document.pk]), {"close-text": "Hoàn thành."}, **HX
    )
    html = response.content.decode()
    assert "The document is closed as handled." in html
    document.refresh_from_db()
    assert document.status == IncomingStatus.DONE
    kinds = list(document.history.order_by("id").values_list("kind", flat=True))
    assert kinds == [
        HandlingKind.DIRECTED,
        HandlingKind.PROGRESS,
        HandlingKind.DONE,
        HandlingKind.PROGRESS,
        HandlingKind.CLOSED,
    ]
    # Closed: the leader may reopen it from the page.
    html = _get(client, leader, reverse("documents:detail", args=[document.pk])).content.decode()
    assert "Reopen the document" in html


def test_closing_with_unfinished_cohandlers_shows_the_confirmation(client, document, leader, handler, cohandler):
    _direct(document, leader, handler, cohandler)
    response = _post(client, handler, reverse("documents:close", args=[document.pk]), {}, **HX)
    html = response.content.decode()
    assert "have not finished their part. Confirm to close it anyway." in html
    assert 'name="close-confirm"' in html
    document.refresh_from_db()
    assert document.status == IncomingStatus.IN_PROGRESS


def test_a_user_not_named_cannot_post_progress(client, document, leader, handler, clerk):
    _direct(document, leader, handler)
    assert (
        _post(client, clerk, reverse("documents:progress", args=[document.pk]), {"progress-text": "x"}).status_code
        == 404
    )
    assert _post(client, clerk, reverse("documents:done", args=[document.pk]), {}).status_code == 404
    assert _get(client, handler, reverse("documents:progress", args=[document.pk])).status_code == 405


# --- the queue page --------------------------------------------------------------------------------------------


def _handler_queue_documents(org_tree, leader, handler, count):
    today = timezone.localdate()
    docs = []
    for i in range(count):
        doc = registered_incoming(
            org_tree["commune"], summary=f"Văn bản {i}", urgency=Urgency.URGENT if i % 2 else Urgency.NORMAL
        )
        _direct(doc, leader, handler, deadline=today + datetime.timedelta(days=1 + 3 * i))
        docs.append(doc)
    return docs


def _queries(client, user, url) -> int:
    _login(client, user)
    client.get(url)  # warm up the session and caches
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_queue_query_count_does_not_grow_with_the_queue(client, org_tree, leader, handler, clerk):
    url = reverse("documents:index")
    _handler_queue_documents(org_tree, leader, handler, 1)
    registered_incoming(org_tree["commune"])
    IncomingDocumentFactory(organization=org_tree["commune"])
    few = {u.username: _queries(client, u, url) for u in (handler, leader, clerk)}
    _handler_queue_documents(org_tree, leader, handler, 6)
    for _i in range(4):
        registered_incoming(org_tree["commune"], urgency=Urgency.FLASH)
        IncomingDocumentFactory(organization=org_tree["commune"])
    many = {u.username: _queries(client, u, url) for u in (handler, leader, clerk)}
    assert few == many
    # Pinned: session, user, the page chrome (notifications badge, menu), the access facts (positions, tree,
    # clearances), then one query per queue section (+2 prefetches for the leader's directive sections).
    assert many == {"handler": 10, "leader": 14, "clerk": 13}


def test_handler_queue_sections_and_urgency_marks(client, org_tree, leader, handler):
    docs = _handler_queue_documents(org_tree, leader, handler, 3)  # due in 1, 4 and 7 days
    overdue = registered_incoming(org_tree["commune"], summary="Quá hạn rồi", urgency=Urgency.FLASH)
    _direct(overdue, leader, handler)
    past = timezone.localdate() - datetime.timedelta(days=2)
    overdue.directives.update(deadline=past)
    type(overdue).objects.filter(pk=overdue.pk).update(deadline=past)

    response = _get(client, handler, reverse("documents:index"))
    queue = response.context["queue"]
    assert [i.document for i in queue.overdue] == [overdue]
    assert [i.document for i in queue.due_soon] == [docs[0]]
    assert [i.document for i in queue.assigned_other] == [docs[1], docs[2]]
    html = response.content.decode()
    assert "Flash (Hỏa tốc)" in html and "Urgent (Khẩn)" in html  # text, not colour alone
    assert f"Overdue since {past:%d/%m/%Y}" in html
    assert queue.waiting_directive is None and queue.drafts is None  # not a leader, not a clerk


def test_leader_and_clerk_queues(client, org_tree, leader, clerk, handler, outsider):
    waiting = registered_incoming(org_tree["commune"], summary="Chờ bút phê", urgency=Urgency.URGENT)
    draft = IncomingDocumentFactory(organization=org_tree["commune"], summary="Chờ vào sổ")
    elsewhere = registered_incoming(org_tree["other_commune"], summary="Xã khác")
    late = registered_incoming(org_tree["commune"], summary="Trễ hạn")
    _direct(late, leader, handler)
    late.directives.update(deadline=timezone.localdate() - datetime.timedelta(days=1))
    type(late).objects.filter(pk=late.pk).update(deadline=timezone.localdate() - datetime.timedelta(days=1))

    queue = _get(client, leader, reverse("documents:index")).context["queue"]
    assert queue.waiting_directive == [waiting]
    assert queue.overdue_organization == [late]
    assert queue.drafts is None

    response = _get(client, clerk, reverse("documents:index"))
    queue = response.context["queue"]
    assert queue.drafts == [draft]
    assert set(queue.recently_registered) == {waiting, late}
    assert queue.waiting_directive is None
    assert elsewhere not in queue.recently_registered

    response = _get(client, outsider, reverse("documents:index"))
    assert response.status_code == 200
    assert "No document is assigned to you." in response.content.decode()
    assert "Chờ bút phê" not in response.content.decode()


def test_home_page_sections(client, org_tree, leader, clerk, handler):
    registered_incoming(org_tree["commune"], summary="Chờ bút phê", urgency=Urgency.URGENT)
    IncomingDocumentFactory(organization=org_tree["commune"], summary="Chờ vào sổ")
    mine = registered_incoming(org_tree["commune"], summary="Việc của tôi")
    _direct(mine, leader, handler)

    html = _get(client, leader, reverse("home")).content.decode()
    assert "Documents waiting for your directive" in html and "Chờ bút phê" in html
    assert "Documents to register" not in html
    html = _get(client, clerk, reverse("home")).content.decode()
    assert "Documents to register" in html and "Chờ vào sổ" in html
    html = _get(client, handler, reverse("home")).content.decode()
    assert "Documents to handle" in html and "Việc của tôi" in html
    assert "Chờ bút phê" not in html


def test_view_entries_are_real_audit_entries(client, document, leader):
    before = AuditEntry.objects.count()
    _get(client, leader, reverse("documents:detail", args=[document.pk]))
    entry = AuditEntry.objects.order_by("-id").first()
    assert AuditEntry.objects.count() >= before + 1
    assert entry.action == "view" and entry.object_id == str(document.pk)
