# ruff: noqa: F811 - pytest fixtures imported from outgoing_support
"""The outgoing documents API: drafting (create, update, list, detail), the transitions with their refusals
(400 wrong state or input, 403 wrong person, 404 invisible), the outgoing register, and the list's query count."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from documents.models import Confidentiality, OutgoingDocument, OutgoingStatus
from documents.services import outgoing as services

from .outgoing_support import clear, draft, flow, private_dir  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

LIST = "/api/v1/outgoing-documents/"


def api(user=None) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_authenticate(user)
    return client


def detail(pk) -> str:
    return f"{LIST}{pk}/"


def test_create_update_and_read_a_draft(flow):
    client = api(flow.drafter)
    response = client.post(
        LIST,
        {
            "organization": flow.standing.pk,
            "document_type": flow.types["Nghị quyết"].pk,
            "summary": "Về đẩy mạnh chuyển đổi số",
            "body": '<p onclick="x()">Nội dung</p><iframe src="x"></iframe>',
            "signer": flow.leader.pk,
            "recipients": [{"organization": flow.cell.pk}, {"name": "Báo Kiên Giang", "in_block": False}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft" and body["body"] == "<p>Nội dung</p>"
    assert body["signer_title"] == "BÍ THƯ" and body["collective_name"] == "BAN THƯỜNG VỤ"
    assert [(r["name"], r["in_block"]) for r in body["recipients"]] == [
        ("Chi bộ ấp Phước Hưng", True),
        ("Báo Kiên Giang", False),
    ]
    assert [v["number"] for v in body["versions"]] == [1]
    assert set(body["allowed_actions"]) == {"update", "submit", "void"}
    pk = body["id"]

    response = client.patch(
        detail(pk), {"summary": "Về chuyển đổi số năm 2027", "note": "Sửa trích yếu"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["summary"] == "Về chuyển đổi số năm 2027"
    assert [(v["number"], v["note"]) for v in body["versions"]] == [(2, "Sửa trích yếu"), (1, "")]
    assert len(body["recipients"]) == 2  # not sent: kept

    response = client.patch(detail(pk), {"organization": flow.cell.pk}, format="json")
    assert response.status_code == 400 and "organization" in response.json()


def test_create_refusals(flow):
    response = api(flow.cell_secretary).post(
        LIST,
        {
            "organization": flow.cell.pk,
            "document_type": flow.types["Hướng dẫn"].pk,
            "summary": "Về sinh hoạt chi bộ",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["document_type"] == ["Chi bộ ấp Phước Hưng may not issue a hướng dẫn."]
    response = api(flow.member).post(
        LIST,
        {"organization": flow.standing.pk, "document_type": flow.types["Nghị quyết"].pk, "summary": "x"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["organization"] == ["You may not draft documents for this organization."]
    assert not OutgoingDocument.objects.exists()


def test_transitions_and_their_answers(flow):
    document = draft(flow)
    # Invisible: 404 for every action.
    for name in ("submit", "return", "approve", "sign", "issue", "void", "recall", "correct"):
        assert api(flow.outsider).post(f"{detail(document.pk)}{name}/", {}, format="json").status_code == 404
    # Visible but not the person: 403 with the message.
    response = api(flow.clerk).post(f"{detail(document.pk)}submit/", {}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "Only the drafter can submit this document."
    # Wrong state: 400 with the message.
    response = api(flow.leader).post(f"{detail(document.pk)}approve/", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Only a document waiting for review can be approved."]}

    response = api(flow.drafter).post(f"{detail(document.pk)}submit/", {"comment": "Xin ý kiến"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "submitted"
    response = api(flow.leader).post(f"{detail(document.pk)}return/", {"comment": ""}, format="json")
    assert response.status_code == 400 and response.json()["comment"] == ["Write what must be changed."]
    response = api(flow.leader).post(f"{detail(document.pk)}return/", {"comment": "Sửa Điều 2"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "returned"
    assert response.json()["events"][-1]["comment"] == "Sửa Điều 2"
    api(flow.drafter).post(f"{detail(document.pk)}submit/", {}, format="json")
    response = api(flow.leader).post(f"{detail(document.pk)}approve/", {}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "approved" and body["final_file_url"].startswith("/files/")
    assert body["allowed_actions"] == ["sign", "void"]
    response = api(flow.leader).post(f"{detail(document.pk)}sign/", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["You have no signing certificate: ask the administrator to configure yours."]
    }
    response = api(flow.drafter).post(f"{detail(document.pk)}void/", {"reason": ""}, format="json")
    assert response.status_code == 400 and response.json()["reason"] == ["Give the reason for voiding this document."]
    response = api(flow.drafter).post(f"{detail(document.pk)}void/", {"reason": "Không ban hành"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "void"


def test_sign_issue_recall_correct_through_the_api(flow, signer_credential, seal_credential):
    document = services.outgoing_approve(
        actor=flow.leader, document=services.outgoing_submit(actor=flow.drafter, document=draft(flow))
    )
    assert api(flow.leader).post(f"{detail(document.pk)}sign/", {}, format="json").json()["status"] == "signed"
    response = api(flow.leader).post(f"{detail(document.pk)}issue/", {}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "Only the clerk of the issuing organization can issue this document."
    response = api(flow.clerk).post(f"{detail(document.pk)}issue/", {}, format="json")
    body = response.json()
    assert response.status_code == 200 and (body["status"], body["number_symbol"]) == ("issued", "01-NQ/ĐU")
    assert body["issued_file_url"].startswith("/files/") and body["register"].startswith("Sổ đăng ký văn bản đi")
    response = api(flow.clerk).post(f"{detail(document.pk)}recall/", {"reason": "Sai số liệu"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "recalled"
    response = api(flow.drafter).post(f"{detail(document.pk)}correct/", {}, format="json")
    assert response.status_code == 201
    assert response.json()["corrects"] == document.pk and response.json()["status"] == "draft"


def test_queues_and_filters(flow):
    submitted = services.outgoing_submit(actor=flow.drafter, document=draft(flow, summary="Chờ duyệt"))
    other = draft(flow, type_name="Báo cáo", summary="Báo cáo quý")
    client = api(flow.leader)
    assert [r["id"] for r in client.get(LIST, {"queue": "mine"}).json()["results"]] == [submitted.pk]
    assert [r["id"] for r in client.get(LIST, {"queue": "review"}).json()["results"]] == [submitted.pk]
    assert client.get(LIST, {"queue": "sign"}).json()["count"] == 0
    assert [r["id"] for r in client.get(LIST, {"document_type": flow.types["Báo cáo"].pk}).json()["results"]] == [
        other.pk
    ]
    assert client.get(LIST, {"status": "lost"}).status_code == 400


def test_list_query_count_is_pinned(flow, django_assert_num_queries):
    for index in range(3):
        draft(flow, summary=f"Văn bản {index}")
    from django.contrib.auth import get_user_model

    def fresh_leader():  # a new user object: its access is computed again, as in a new request
        return get_user_model().objects.get(pk=flow.leader.pk)

    api(fresh_leader()).get(LIST)
    client = api(fresh_leader())
    # access (member, positions, clearance, tree walks), count, rows — the same for 3 or 15 documents.
    with django_assert_num_queries(6) as small:
        assert client.get(LIST).json()["count"] == 3
    for index in range(12):
        draft(flow, summary=f"Văn bản thêm {index}", signer=flow.deputy if index % 2 else flow.leader)
    client = api(fresh_leader())
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(LIST).json()["count"] == 15


def test_outgoing_register_endpoint(flow):
    for user in (flow.drafter, flow.leader, flow.clerk):
        clear(user, Confidentiality.SECRET)
    document = services.outgoing_issue(
        actor=flow.clerk,
        document=services.outgoing_sign(
            actor=flow.leader,
            document=services.outgoing_approve(
                actor=flow.leader,
                document=services.outgoing_submit(
                    actor=flow.drafter,
                    document=draft(flow, confidentiality=Confidentiality.SECRET, body="", summary="Về bảo vệ nội bộ"),
                ),
            ),
        ),
    )
    assert document.status == OutgoingStatus.ISSUED and document.register.is_secret
    today = document.issued_on
    params = {"organization": flow.standing.pk, "secret": "true", "date_from": f"{today.year}-01-01", "date_to": today}
    response = api(flow.clerk).get(f"{LIST}register/", params)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["register"]["is_secret"] is True and body["hidden"] == 0
    assert [(r["number_symbol"], r["summary"], r["copies"]) for r in body["rows"]] == [
        ("01-NQ/ĐU", "Về bảo vệ nội bộ", 3)
    ]
    # Not cleared for secret registers: 404; bad period: 400.
    assert api(flow.deputy).get(f"{LIST}register/", params).status_code == 404
    bad = {**params, "date_to": f"{today.year - 1}-01-01"}
    assert api(flow.clerk).get(f"{LIST}register/", bad).status_code == 400
