"""The registration form (suggestions, duplicate warning, errors, success) and the void page."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from documents.models import DocumentType, IncomingStatus
from documents.services.registering import incoming_register

from .factories import IncomingDocumentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("document_types")]

OCR_TEXT = """\
TỈNH ỦY AN GIANG ĐẢNG CỘNG SẢN VIỆT NAM
*
Số 57-NQ/TU An Giang, ngày 05 tháng 11 năm 2026
NGHỊ QUYẾT
về đẩy mạnh chuyển đổi số
Căn cứ Điều lệ Đảng;
"""


@pytest.fixture
def draft(org_tree, clerk):
    return IncomingDocumentFactory(
        organization=org_tree["commune"],
        created_by=clerk,
        sender="",
        number_symbol="",
        summary="",
        document_date=None,
        received_on=datetime.date(2026, 11, 20),
        extracted_text=OCR_TEXT,
    )


def _post_data(**overrides):
    data = {
        "received_on": "20/11/2026",
        "sender": "Tỉnh ủy An Giang",
        "number_symbol": "57-NQ/TU",
        "document_date": "05/11/2026",
        "document_type": DocumentType.objects.get(name="Nghị quyết").pk,
        "summary": "Về đẩy mạnh chuyển đổi số",
        "signer_name": "",
        "confidentiality": "",
        "urgency": "khan",
        "page_count": "2",
        "deadline": "",
        "notes": "",
    }
    data.update(overrides)
    return data


def test_form_is_prefilled_with_suggestions(client, draft, clerk):
    client.force_login(clerk)
    with translation.override("en"):
        response = client.get(reverse("documents:register", args=[draft.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["number_symbol"] == "57-NQ/TU"
    assert form.initial["document_date"] == datetime.date(2026, 11, 5)
    assert form.initial["document_type"] == DocumentType.objects.get(name="Nghị quyết").pk
    assert form.initial["sender"] == "Tỉnh ủy An Giang"
    assert {"number_symbol", "sender", "summary"} <= response.context["suggested"]
    assert 'value="57-NQ/TU"' in response.content.decode()


def test_register_and_go_to_the_document_page(client, draft, clerk, leader):
    client.force_login(clerk)
    response = client.post(reverse("documents:register", args=[draft.pk]), _post_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("documents:detail", args=[draft.pk])
    draft.refresh_from_db()
    assert draft.status == IncomingStatus.REGISTERED and draft.number == 1 and draft.urgency == "khan"


def test_errors_are_shown_under_the_fields_and_nothing_is_numbered(client, draft, clerk):
    client.force_login(clerk)
    with translation.override("en"):
        response = client.post(
            reverse("documents:register", args=[draft.pk]),
            _post_data(number_symbol="57-NQ-TU", document_date="21/11/2026"),
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["number_symbol"] == [
        "Write the number and symbol in the party form (57-NQ/TW) or in the state form (12/QĐ-UBND), "
        "without mixing the two."
    ]
    assert errors["document_date"] == ["The date of the document cannot be after the date it was received."]
    draft.refresh_from_db()
    assert draft.status == IncomingStatus.DRAFT and draft.number is None


def test_duplicate_must_be_confirmed(client, draft, clerk, org_tree):
    earlier = incoming_register(
        actor=clerk,
        document=IncomingDocumentFactory(organization=org_tree["commune"], created_by=clerk),
        sender="Tỉnh ủy An Giang",
        number_symbol="57-NQ/TU",
        document_date=datetime.date(2026, 11, 5),
        received_on=datetime.date(2026, 11, 18),
        document_type=DocumentType.objects.get(name="Nghị quyết"),
        summary="Về đẩy mạnh chuyển đổi số",
        page_count=2,
    )
    draft.duplicate_of = earlier
    draft.save()
    client.force_login(clerk)
    url = reverse("documents:register", args=[draft.pk])
    page = client.get(url)
    assert page.context["duplicate"] == earlier
    response = client.post(url, _post_data())
    assert response.status_code == 200 and "confirm_duplicate" in response.context["form"].errors
    assert client.post(url, _post_data(confirm_duplicate="on")).status_code == 302
    draft.refresh_from_db()
    assert draft.number == 2


def test_others_get_404(client, draft, leader, outsider, handler):
    for user in (leader, outsider, handler):
        client.force_login(user)
        assert client.get(reverse("documents:register", args=[draft.pk])).status_code == 404
        assert client.post(reverse("documents:register", args=[draft.pk]), _post_data()).status_code == 404
    draft.refresh_from_db()
    assert draft.status == IncomingStatus.DRAFT


def test_void_page(client, draft, clerk, leader):
    client.force_login(clerk)
    client.post(reverse("documents:register", args=[draft.pk]), _post_data())
    url = reverse("documents:void", args=[draft.pk])
    client.force_login(leader)
    assert client.post(url, {"reason": "nhầm"}).status_code == 404
    client.force_login(clerk)
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": "Đăng ký nhầm văn bản của đơn vị khác"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == IncomingStatus.VOID and draft.number == 1
    assert client.get(url).status_code == 404  # already void
