# ruff: noqa: F811 - pytest fixtures imported from outgoing_support
"""The pages of outgoing documents (desktop, office staff): the list with its queues and filters (query count
pinned), the draft form (new and edit, errors under their fields, the live preview wired to the render helper's
endpoint), the document page with the buttons of whoever may act, versions and history, the transitions through
the pages, the home section, and the link from the documents index."""

from __future__ import annotations

import pytest
from django.urls import reverse

from documents.models import OutgoingDocument, OutgoingStatus
from documents.services import outgoing as services

from .outgoing_support import BODY, draft, flow, private_dir  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return response.content.decode()


def _form_data(flow, **overrides) -> dict:
    data = {
        "organization": flow.standing.pk,
        "document_type": flow.types["Nghị quyết"].pk,
        "summary": "Về tăng cường công tác phát triển đảng viên",
        "source": "composed",
        "body": "<p>Nội dung <strong>chính</strong></p><script>alert(1)</script>",
        "confidentiality": "",
        "urgency": "khan",
        "signer": flow.leader.pk,
        "reviewer": "",
        "signature_form": "tm",
        "collective_name": "",
        "signer_title": "",
        "signer_name": "",
        "copies": "",
        "file_copy_unit": "",
        "notes": "",
        "note": "Bản đầu",
        "recipients-TOTAL_FORMS": "3",
        "recipients-INITIAL_FORMS": "0",
        "recipients-MIN_NUM_FORMS": "0",
        "recipients-MAX_NUM_FORMS": "1000",
        "recipients-0-organization": flow.cell.pk,
        "recipients-0-name": "",
        "recipients-0-address": "",
        "recipients-0-in_block": "on",
        "recipients-1-organization": "",
        "recipients-1-name": "Ủy ban nhân dân xã Gò Quao",
        "recipients-1-address": "ubnd@goquao.example",
        "recipients-1-in_block": "on",
        "recipients-2-organization": "",
        "recipients-2-name": "",
        "recipients-2-address": "",
    }
    data.update(overrides)
    return data


def test_new_draft_page_and_post(flow, client):
    client.force_login(flow.drafter)
    page = client.get(reverse("documents:outgoing_new"))
    assert page.status_code == 200
    html = _text(page)
    for label in ("Issuing organization", "Summary (trích yếu)", "Body", "Signer", "Recipients", "Preview"):
        assert label in html
    assert f'hx-post="{reverse("documents:outgoing_preview_form")}"' in html
    assert 'id="outgoing-form"' in html and 'name="recipients-TOTAL_FORMS"' in html
    # Only the organizations the drafter may draft for are offered.
    offered = set(page.context["form"].fields["organization"].queryset.values_list("name", flat=True))
    assert flow.standing.name in offered and flow.cell.name in offered
    assert "Đảng bộ xã Vĩnh Hòa" not in offered and "Tỉnh ủy An Giang" not in offered

    response = client.post(reverse("documents:outgoing_new"), _form_data(flow))
    document = OutgoingDocument.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "documents:outgoing_detail", args=[document.pk]
    )
    assert document.body == "<p>Nội dung <strong>chính</strong></p>"
    assert document.urgency == "khan" and document.signer_title == "BÍ THƯ"
    assert list(document.recipients.values_list("name", "address")) == [
        ("Chi bộ ấp Phước Hưng", ""),
        ("Ủy ban nhân dân xã Gò Quao", "ubnd@goquao.example"),
    ]
    assert document.versions.get().note == "Bản đầu"
    detail = _text(client.get(response["Location"]))
    assert "The draft was saved (version 1)." in detail


def test_new_draft_errors_appear_under_their_fields(flow, client):
    client.force_login(flow.cell_secretary)
    data = _form_data(
        flow,
        organization=flow.cell.pk,
        document_type=flow.types["Nghị quyết"].pk,
        signer=flow.cell_secretary.pk,
        **{"recipients-0-organization": flow.cell.pk},
    )
    response = client.post(reverse("documents:outgoing_new"), data)
    assert response.status_code == 200
    assert "Recipient 1: a document is not sent to its own issuing organization." in _text(response)
    assert not OutgoingDocument.objects.exists()
    # Hướng dẫn is not offered to a cell, and refused if posted anyway.
    page = _text(client.get(reverse("documents:outgoing_new")))
    assert "Hướng dẫn (HD)" not in page and "Nghị quyết (NQ)" in page
    response = client.post(
        reverse("documents:outgoing_new"),
        _form_data(
            flow, organization=flow.cell.pk, document_type=flow.types["Hướng dẫn"].pk, signer=flow.cell_secretary.pk
        ),
    )
    assert "Select a valid choice." in _text(response)
    assert not OutgoingDocument.objects.exists()


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_people_outside_the_office_cannot_draft(flow, client, who):
    client.force_login(getattr(flow, who))
    assert client.get(reverse("documents:outgoing_new")).status_code == 404
    assert client.post(reverse("documents:outgoing_new"), _form_data(flow)).status_code == 404


def test_edit_adds_a_version_and_the_version_page_shows_the_diff(flow, client):
    document = draft(flow)
    client.force_login(flow.drafter)
    page = _text(client.get(reverse("documents:outgoing_edit", args=[document.pk])))
    assert "Edit outgoing draft" in page and document.summary in page
    assert f'hx-post="{reverse("documents:outgoing_preview", args=[document.pk])}"' in page
    data = _form_data(flow, body=BODY + "<p>Giao Ủy ban Kiểm tra theo dõi.</p>", note="Thêm giao nhiệm vụ")
    data.pop("organization")
    response = client.post(reverse("documents:outgoing_edit", args=[document.pk]), data)
    assert response.status_code == 302
    assert document.versions.count() == 2
    version_page = _text(client.get(reverse("documents:outgoing_version", args=[document.pk, 2])))
    assert "Changes since version 1" in version_page
    assert '<ins class="diff-line">+ Giao Ủy ban Kiểm tra theo dõi.</ins>' in version_page
    assert "Summary" in version_page  # the summary changed too
    # Someone of the office who did not draft it is sent back to the page; an outsider gets a 404.
    client.force_login(flow.clerk)
    response = client.get(reverse("documents:outgoing_edit", args=[document.pk]))
    assert response.status_code == 302
    client.force_login(flow.outsider)
    assert client.get(reverse("documents:outgoing_edit", args=[document.pk])).status_code == 404
    assert client.get(reverse("documents:outgoing_version", args=[document.pk, 1])).status_code == 404


def test_detail_page_shows_the_buttons_of_whoever_may_act(flow, client):
    document = draft(flow)
    url = reverse("documents:outgoing_detail", args=[document.pk])
    client.force_login(flow.drafter)
    html = _text(client.get(url))
    assert 'id="outgoing-submit"' in html and 'id="outgoing-edit"' in html and 'id="outgoing-void"' in html
    assert 'id="outgoing-approve"' not in html and 'id="outgoing-issue"' not in html
    assert "Draft" in html and document.summary in html
    assert "Version 1" in html and "Draft created" in html
    assert "Recipients and delivery" in html  # the distribution helper's panel
    assert "Chi bộ ấp Phước Hưng" in html
    assert reverse("documents:outgoing_preview", args=[document.pk]) in html

    response = client.post(reverse("documents:outgoing_submit", args=[document.pk]))
    assert response.status_code == 302
    assert "Submitted for review." in _text(client.get(url))

    client.force_login(flow.leader)
    html = _text(client.get(url))
    assert 'id="outgoing-approve"' in html and 'id="outgoing-return"' in html
    assert 'id="outgoing-submit"' not in html and 'id="outgoing-edit"' not in html
    assert "Waiting for the review of" in html

    response = client.post(reverse("documents:outgoing_return", args=[document.pk]), {"return-comment": ""})
    assert "Write what must be changed." in _text(client.get(url))
    client.post(reverse("documents:outgoing_return", args=[document.pk]), {"return-comment": "Sửa Điều 2."})
    document.refresh_from_db()
    assert document.status == OutgoingStatus.RETURNED

    client.force_login(flow.drafter)
    html = _text(client.get(url))
    assert "Returned by" in html and "Sửa Điều 2." in html
    client.force_login(flow.clerk)
    response = client.post(reverse("documents:outgoing_submit", args=[document.pk]))
    assert response.status_code == 302
    assert "Only the drafter can submit this document." in _text(client.get(url))


def test_approve_through_the_page_shows_the_final_pdf(flow, client):
    document = services.outgoing_submit(actor=flow.drafter, document=draft(flow))
    client.force_login(flow.leader)
    response = client.post(reverse("documents:outgoing_approve", args=[document.pk]), {"approve-comment": "Đồng ý"})
    assert response.status_code == 302
    document.refresh_from_db()
    html = _text(client.get(reverse("documents:outgoing_detail", args=[document.pk])))
    assert "Approved: the final PDF is ready for the signer." in html
    assert "The approved text, waiting for the signature." in html
    assert reverse("files:download", args=[document.final_file.pk]) in html
    assert 'id="outgoing-sign"' in html


def test_list_page_filters_and_queues(flow, client):
    mine = draft(flow, summary="Về công tác dân vận")
    waiting = services.outgoing_submit(actor=flow.drafter, document=draft(flow, summary="Về công tác kiểm tra"))
    report = draft(flow, type_name="Báo cáo", summary="Báo cáo tình hình quý III")
    client.force_login(flow.leader)
    url = reverse("documents:outgoing_list")
    html = _text(client.get(url))
    for document in (mine, waiting, report):
        assert f'id="outgoing-row-{document.pk}"' in html
    assert "3 documents" in html
    html = _text(client.get(url, {"queue": "review"}))
    assert f'id="outgoing-row-{waiting.pk}"' in html and f'id="outgoing-row-{mine.pk}"' not in html
    html = _text(client.get(url, {"document_type": flow.types["Báo cáo"].pk}))
    assert f'id="outgoing-row-{report.pk}"' in html and f'id="outgoing-row-{mine.pk}"' not in html
    html = _text(client.get(url, {"q": "cong tac dan van"}))
    assert f'id="outgoing-row-{mine.pk}"' in html and f'id="outgoing-row-{waiting.pk}"' not in html
    html = _text(client.get(url, {"status": "submitted"}))
    assert "1 document" in html
    client.force_login(flow.outsider)
    html = _text(client.get(url))
    assert "No outgoing document here." in html and 'id="outgoing-new"' not in html


def test_list_query_count_is_pinned(flow, client, django_assert_num_queries):
    for index in range(3):
        draft(flow, summary=f"Văn bản số {index}")
    client.force_login(flow.leader)
    url = reverse("documents:outgoing_list")
    client.get(url)
    with django_assert_num_queries(14) as small:
        assert client.get(url).status_code == 200
    for index in range(12):
        draft(flow, summary=f"Văn bản thêm {index}", signer=flow.deputy if index % 2 else flow.leader)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert "15 documents" in _text(response)


def test_home_page_lists_what_waits_for_the_reader(flow, client):
    document = services.outgoing_submit(actor=flow.drafter, document=draft(flow))
    client.force_login(flow.leader)
    html = _text(client.get(reverse("home")))
    assert "Outgoing documents waiting for you" in html
    assert reverse("documents:outgoing_detail", args=[document.pk]) in html
    assert "to review" in html
    client.force_login(flow.clerk)
    assert "Outgoing documents waiting for you" not in _text(client.get(reverse("home")))


def test_documents_index_links_to_outgoing(flow, client):
    client.force_login(flow.clerk)
    html = _text(client.get(reverse("documents:index")))
    assert f'href="{reverse("documents:outgoing_list")}"' in html


def test_issued_document_page(flow, client):
    from .dist_support import issued_document

    document = issued_document(
        organization=flow.standing,
        document_type=flow.types["Nghị quyết"],
        drafted_by=flow.drafter,
        number=5,
        pdf=b"%PDF-1.4\n%%EOF\n",
        recipients=[flow.cell, "Ủy ban nhân dân xã"],
    )
    document.signer = flow.leader
    document.save()
    client.force_login(flow.clerk)
    html = _text(client.get(reverse("documents:outgoing_detail", args=[document.pk])))
    assert "Số 05-NQ/ĐU" in html
    assert "The issued document, signed by the signer and sealed by the organization." in html
    assert reverse("files:download", args=[document.issued_file.pk]) in html
    assert 'id="outgoing-recall"' in html and 'id="outgoing-correct"' in html
    assert 'id="outgoing-submit"' not in html and 'id="outgoing-void"' not in html
    assert "Ủy ban nhân dân xã" in html and "Record how it was sent" in html  # delivery marking (dist helper)
    client.force_login(flow.drafter)
    html = _text(client.get(reverse("documents:outgoing_detail", args=[document.pk])))
    assert 'id="outgoing-recall"' not in html and 'id="outgoing-correct"' in html
