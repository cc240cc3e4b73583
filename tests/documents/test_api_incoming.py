"""The incoming documents API: the access matrix through the API (list and detail), 404 for documents one may
not see (reads and every action), 400 with the service's message for bad input, the write endpoints calling
the services (upload → register → direct → progress → done → close), saved searches, and the list's query
count pinned."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from rest_framework.test import APIClient

from documents.models import (
    Assignment,
    AssignmentRole,
    Confidentiality,
    IncomingDocument,
    IncomingStatus,
    SavedSearch,
)
from documents.search import refresh_search_text

from .factories import ClearanceFactory, DocumentTypeFactory, IncomingDocumentFactory
from .test_access_matrix import EXPECTED, world  # noqa: F401 - the fixture is reused

pytestmark = pytest.mark.django_db

LIST = "/api/v1/incoming-documents/"


def detail(pk):
    return f"{LIST}{pk}/"


def api(user=None) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_authenticate(user)
    return client


def _pdf_bytes() -> bytes:
    import io

    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("who", list(EXPECTED))
def test_access_matrix_through_the_api(world, who):  # noqa: F811
    user = world["users"][who]
    client = api(user)
    response = client.get(LIST)
    assert response.status_code == 200
    listed = {row["id"] for row in response.json()["results"]}
    for key, doc in world["docs"].items():
        expected = key in EXPECTED[who]
        assert (doc.pk in listed) is expected, f"{who} / {key}: list"
        answer = client.get(detail(doc.pk))
        assert answer.status_code == (200 if expected else 404), f"{who} / {key}: detail"
        if expected:
            assert answer.json()["id"] == doc.pk


def test_anonymous_is_refused(world):  # noqa: F811
    assert api().get(LIST).status_code in (401, 403)
    assert api().get(detail(world["docs"]["ordinary"].pk)).status_code in (401, 403)


def test_actions_on_a_hidden_document_answer_404(world):  # noqa: F811
    outsider = world["users"]["outsider"]
    doc = world["docs"]["ordinary"]
    client = api(outsider)
    for action, body in (
        ("register", {"summary": "x"}),
        ("void", {"reason": "x"}),
        ("direct", {"lead": outsider.pk}),
        ("close", {}),
    ):
        response = client.post(f"{detail(doc.pk)}{action}/", body, format="json")
        assert response.status_code == 404, action
    assignment = Assignment.objects.filter(directive__document=doc).first()
    assert (
        client.post(f"/api/v1/assignments/{assignment.pk}/progress/", {"text": "x"}, format="json").status_code == 404
    )
    assert client.post(f"/api/v1/assignments/{assignment.pk}/done/", {}, format="json").status_code == 404
    # Secret document, handler without clearance for it: 404 as well.
    co = world["users"]["co_handler"]
    secret = world["docs"]["mat"]
    assert api(co).get(detail(secret.pk)).status_code == 404
    assert api(co).post(f"{detail(secret.pk)}close/", {}, format="json").status_code == 404


def test_visible_but_not_allowed_is_403(world):  # noqa: F811
    informed = world["users"]["informed"]
    doc = world["docs"]["ordinary"]
    response = api(informed).post(f"{detail(doc.pk)}direct/", {"lead": informed.pk}, format="json")
    assert response.status_code == 403


def test_bad_query_parameters_are_400(world):  # noqa: F811
    client = api(world["users"]["clerk"])
    response = client.get(LIST, {"received_from": "31/12/2026"})
    assert response.status_code == 400
    assert "received_from" in response.json()
    response = client.get(LIST, {"received_from": "2026-12-31", "received_to": "2026-01-01"})
    assert response.status_code == 400
    assert "received_to" in response.json()
    response = client.get(LIST, {"status": "lost"})
    assert response.status_code == 400 and "status" in response.json()


def test_search_through_the_api(world):  # noqa: F811
    doc = world["docs"]["ordinary"]
    doc.summary = "Nghị quyết về chuyển đổi số"
    doc.extracted_text = "Nghị quyết <b>về</b> chuyển đổi số quốc gia"
    doc.save()
    refresh_search_text(doc)
    client = api(world["users"]["clerk"])
    rows = client.get(LIST, {"q": "nghi quyet chuyen doi so"}).json()["results"]
    assert [r["id"] for r in rows] == [doc.pk]
    assert "<mark>chuyển</mark>" in rows[0]["snippet"]
    assert "&lt;b&gt;" in rows[0]["snippet"]
    assert client.get(LIST, {"q": "khong co tu nay"}).json()["count"] == 0
    # An outsider never gets it, whatever the words.
    assert api(world["users"]["outsider"]).get(LIST, {"q": "chuyen doi so"}).json()["count"] == 0


def test_list_query_count_is_pinned(world, django_assert_max_num_queries):  # noqa: F811
    clerk = world["users"]["clerk"]
    office = world["org_tree"]["office"]
    client = api(clerk)
    client.get(LIST)
    # roles (2), tree (1), clearances (1), count, rows.
    with django_assert_max_num_queries(6) as before:
        assert client.get(LIST).status_code == 200
    for _i in range(30):
        IncomingDocumentFactory(
            organization=office,
            status=IncomingStatus.REGISTERED,
            document_type=DocumentTypeFactory(name="Công văn", abbreviation="CV"),
        )
    with django_assert_max_num_queries(len(before.captured_queries)):
        response = client.get(LIST)
    assert response.json()["count"] == 33


def test_detail_query_count_is_pinned(world, django_assert_max_num_queries):  # noqa: F811
    client = api(world["users"]["clerk"])
    doc = world["docs"]["ordinary"]
    client.get(detail(doc.pk))
    # roles (2), tree (1), clearances (1), the document, files, directive, assignments, and the audit entry.
    with django_assert_max_num_queries(14):
        body = client.get(detail(doc.pk)).json()
    roles = sorted(a["role"] for a in body["directive"]["assignments"])
    assert roles == sorted([AssignmentRole.LEAD, AssignmentRole.COOPERATE, AssignmentRole.INFORM])
    assert body["files"] == []


# --- the workflow through the API ------------------------------------------------------------------------------


@pytest.fixture
def flow(org_tree, clerk, leader, handler):
    DocumentTypeFactory(name="Nghị quyết", abbreviation="NQ")
    return {"office": org_tree["office"], "clerk": clerk, "leader": leader, "handler": handler}


def test_upload_register_direct_handle_close(flow, settings):
    clerk, leader, handler, office = flow["clerk"], flow["leader"], flow["handler"], flow["office"]
    upload = SimpleUploadedFile("nghi-quyet.pdf", _pdf_bytes(), content_type="application/pdf")
    response = api(clerk).post(
        f"{LIST}upload/",
        {"organization": office.pk, "files": [upload], "sender": "Tỉnh ủy An Giang"},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    (draft,) = response.json()
    assert draft["status"] == IncomingStatus.DRAFT
    pk = draft["id"]

    nq = DocumentTypeFactory(name="Nghị quyết", abbreviation="NQ")
    today = datetime.date.today()
    metadata = {
        "sender": "Tỉnh ủy An Giang",
        "number_symbol": "57-NQ/TU",
        "document_date": today.isoformat(),
        "received_on": today.isoformat(),
        "document_type": nq.pk,
        "summary": "Nghị quyết về chuyển đổi số",
        "signer_name": "Nguyễn Văn A",
        "page_count": 1,
    }
    response = api(clerk).post(f"{detail(pk)}register/", metadata, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == IncomingStatus.REGISTERED and body["number"] == 1

    # Registering twice: the service's message, as a 400.
    response = api(clerk).post(f"{detail(pk)}register/", metadata, format="json")
    assert response.status_code == 400

    response = api(leader).post(
        f"{detail(pk)}direct/", {"lead": handler.pk, "instructions": "Tham mưu triển khai."}, format="json"
    )
    assert response.status_code == 200, response.content
    assignment_id = response.json()["directive"]["assignments"][0]["id"]
    assert response.json()["status"] == IncomingStatus.IN_PROGRESS

    # The handler now finds it.
    assert pk in {r["id"] for r in api(handler).get(LIST).json()["results"]}
    response = api(handler).post(
        f"/api/v1/assignments/{assignment_id}/progress/", {"text": "Đã dự thảo kế hoạch."}, format="json"
    )
    assert response.status_code == 201, response.content
    response = api(handler).post(f"/api/v1/assignments/{assignment_id}/done/", {"text": "Xong."}, format="json")
    assert response.status_code == 200, response.content
    response = api(handler).post(f"{detail(pk)}close/", {"text": "Hoàn thành."}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == IncomingStatus.DONE


def test_register_bad_input_is_400_with_the_message(flow):
    clerk, office = flow["clerk"], flow["office"]
    draft = IncomingDocumentFactory(organization=office, sender="", summary="", number_symbol="")
    client = api(clerk)
    # Shape: a date that is not a date.
    response = client.post(f"{detail(draft.pk)}register/", {"document_date": "hôm qua"}, format="json")
    assert response.status_code == 400 and "document_date" in response.json()
    # Rules: the service's translated messages, keyed by field.
    response = client.post(f"{detail(draft.pk)}register/", {"summary": ""}, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert "sender" in errors and "summary" in errors
    assert errors["sender"] == ["Enter the sender."]
    draft.refresh_from_db()
    assert draft.status == IncomingStatus.DRAFT and draft.number is None


def test_direct_bad_input(flow):
    leader, office = flow["leader"], flow["office"]
    doc = IncomingDocumentFactory(organization=office, status=IncomingStatus.REGISTERED)
    response = api(leader).post(f"{detail(doc.pk)}direct/", {}, format="json")
    assert response.status_code == 400 and "lead" in response.json()
    response = api(leader).post(f"{detail(doc.pk)}direct/", {"lead": 999999}, format="json")
    assert response.status_code == 400 and "lead" in response.json()


def test_upload_refuses_organizations_one_may_not_see(flow, org_tree):
    upload = SimpleUploadedFile("a.pdf", _pdf_bytes(), content_type="application/pdf")
    response = api(flow["clerk"]).post(
        f"{LIST}upload/", {"organization": org_tree["other_commune"].pk, "files": [upload]}, format="multipart"
    )
    assert response.status_code == 400 and "organization" in response.json()
    assert not IncomingDocument.objects.exists()


def test_upload_of_a_secret_file_is_refused_by_default(flow, settings):
    settings.PARTYHUB_ALLOW_SECRET_FILES = False
    ClearanceFactory(user=flow["clerk"], level=Confidentiality.SECRET)
    upload = SimpleUploadedFile("mat.pdf", _pdf_bytes(), content_type="application/pdf")
    response = api(flow["clerk"]).post(
        f"{LIST}upload/",
        {"organization": flow["office"].pk, "files": [upload], "confidentiality": Confidentiality.SECRET},
        format="multipart",
    )
    assert response.status_code == 400
    assert not IncomingDocument.objects.filter(files__isnull=False).exists()


# --- saved searches ------------------------------------------------------------------------------------------------


def test_saved_searches_are_private(flow):
    clerk, leader = flow["clerk"], flow["leader"]
    response = api(clerk).post("/api/v1/saved-searches/", {"name": "Khẩn", "query": {"urgency": "khan"}}, format="json")
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert [s["id"] for s in api(clerk).get("/api/v1/saved-searches/").json()] == [pk]
    assert api(leader).get("/api/v1/saved-searches/").json() == []
    assert api(leader).get(f"/api/v1/saved-searches/{pk}/").status_code == 404
    assert api(leader).delete(f"/api/v1/saved-searches/{pk}/").status_code == 404
    response = api(clerk).post("/api/v1/saved-searches/", {"name": " ", "query": {"q": "x"}}, format="json")
    assert response.status_code == 400
    assert api(clerk).delete(f"/api/v1/saved-searches/{pk}/").status_code == 204
    assert not SavedSearch.objects.exists()


def test_schema_has_no_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    text = (tmp_path / "schema.yaml").read_text()
    assert "/api/v1/incoming-documents/{id}/register/" in text


def test_assignment_retrieve(world):  # noqa: F811
    doc = world["docs"]["ordinary"]
    assignment = Assignment.objects.get(directive__document=doc, role=AssignmentRole.LEAD)
    assert api(world["users"]["leader"]).get(f"/api/v1/assignments/{assignment.pk}/").status_code == 200
    assert api(world["users"]["outsider"]).get(f"/api/v1/assignments/{assignment.pk}/").status_code == 404
