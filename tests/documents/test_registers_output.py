"""The incoming register for a period: rows, PDF (read back with pypdf), Excel (read back with openpyxl),
the page and its access rule."""

from __future__ import annotations

import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from documents import registers as book
from documents.models import (
    Assignment,
    AssignmentRole,
    Clearance,
    Confidentiality,
    Directive,
    DocumentType,
    Register,
)
from documents.selectors import forget_document_access
from documents.services.registering import incoming_register, incoming_void
from partyhub.models import AuditEntry

from .factories import IncomingDocumentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("document_types")]


def _register(clerk, organization, **overrides):
    values = {
        "sender": "Tỉnh ủy An Giang",
        "number_symbol": "57-NQ/TU",
        "document_date": datetime.date(2026, 3, 1),
        "received_on": datetime.date(2026, 3, 2),
        "document_type": DocumentType.objects.get(name="Nghị quyết"),
        "summary": "Về đẩy mạnh chuyển đổi số trong các cơ quan Đảng",
        "page_count": 3,
    }
    values.update(overrides)
    draft = IncomingDocumentFactory(organization=organization, created_by=clerk)
    return incoming_register(actor=clerk, document=draft, **values)


@pytest.fixture
def book_entries(org_tree, clerk, leader, handler):
    commune = org_tree["commune"]
    first = _register(clerk, commune)
    second = _register(
        clerk,
        commune,
        sender='=HYPERLINK("http://evil.example","Bấm vào")',
        number_symbol="12/QĐ-UBND",
        document_type=DocumentType.objects.get(name="Quyết định"),
        summary="Về việc thành lập Ban Chỉ đạo phòng, chống thiên tai",
        received_on=datetime.date(2026, 3, 5),
        document_date=datetime.date(2026, 3, 4),
    )
    third = _register(clerk, commune, number_symbol="58-NQ/TU", received_on=datetime.date(2026, 3, 6))
    incoming_void(actor=clerk, document=third, reason="Đăng ký nhầm, trùng số 1")
    directive = Directive.objects.create(
        document=first, directed_by=leader, deadline=datetime.date(2026, 3, 20), instructions="Giao Văn phòng"
    )
    Assignment.objects.create(directive=directive, user=handler, role=AssignmentRole.LEAD)
    Clearance.objects.create(user=clerk, level=Confidentiality.SECRET, valid_from=datetime.date(2026, 1, 1))
    forget_document_access(clerk)
    secret = _register(clerk, commune, confidentiality=Confidentiality.SECRET, number_symbol="03-NQ/TU")
    return {"first": first, "second": second, "third": third, "secret": secret, "handler": handler}


def _extract(user, organization, secret=False):
    register = Register.objects.get(organization=organization, kind="incoming", is_secret=secret)
    return book.register_extract(
        user, register=register, date_from=datetime.date(2026, 1, 1), date_to=datetime.date(2026, 12, 31)
    )


def test_rows_in_register_order_with_handler_deadline_and_void(book_entries, org_tree, clerk):
    extract = _extract(clerk, org_tree["commune"])
    assert [row.number for row in extract.rows] == [1, 2, 3]
    first, _second, third = extract.rows
    assert first.handler == book_entries["handler"].get_full_name()
    assert first.deadline == datetime.date(2026, 3, 20)
    assert first.type_summary == "Nghị quyết: Về đẩy mạnh chuyển đổi số trong các cơ quan Đảng"
    assert third.void and third.notes == "Đã hủy: Đăng ký nhầm, trùng số 1"
    assert extract.hidden == 0 and extract.voided == 1


def test_period_filter_and_constant_queries(book_entries, org_tree, clerk):
    register = Register.objects.get(organization=org_tree["commune"], is_secret=False)
    small = book.register_extract(
        clerk, register=register, date_from=datetime.date(2026, 3, 5), date_to=datetime.date(2026, 3, 5)
    )
    assert [row.number for row in small.rows] == [2]
    with CaptureQueriesContext(connection) as few:  # one entry (with a directive)
        book.register_extract(
            clerk, register=register, date_from=datetime.date(2026, 3, 2), date_to=datetime.date(2026, 3, 2)
        )
    with CaptureQueriesContext(connection) as many:
        book.register_extract(
            clerk, register=register, date_from=datetime.date(2026, 1, 1), date_to=datetime.date(2026, 12, 31)
        )
    assert len(few) == len(many)


def test_secret_register_hidden_entries_are_counted(book_entries, org_tree, clerk, admin_user):
    secret = _extract(clerk, org_tree["commune"], secret=True)
    assert [row.number for row in secret.rows] == [1]
    # An admin who is not cleared does not see the entry, and is told one is missing.
    uncleared = _extract(admin_user, org_tree["commune"], secret=True)
    assert uncleared.rows == [] and uncleared.hidden == 1
    assert not book.registers_visible_to(admin_user).filter(is_secret=True).exists()
    assert book.registers_visible_to(clerk).filter(is_secret=True).exists()


def test_pdf_has_the_columns_landscape_and_vietnamese_text(book_entries, org_tree, clerk):
    from pypdf import PdfReader

    extract = _extract(clerk, org_tree["commune"])
    pdf = book.register_pdf(clerk, extract)
    reader = PdfReader(io.BytesIO(pdf))
    page = reader.pages[0]
    assert float(page.mediabox.width) > float(page.mediabox.height)  # A4 landscape
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    for header in (
        "Ngày đến",
        "Số đến",
        "Tác giả (nơi gửi)",
        "Số, ký hiệu",
        "Ngày tháng văn bản",
        "Tên loại và trích yếu nội dung",
        "Đơn vị hoặc người nhận",
        "Ký nhận",
        "Hạn giải quyết",
        "Ghi chú",
    ):
        assert header in text, header
    assert "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN" in text
    assert "Tỉnh ủy An Giang" in text and "57-NQ/TU" in text and "12/QĐ-UBND" in text
    assert "Ban Chỉ đạo phòng, chống thiên tai" in text
    assert "Đã hủy: Đăng ký nhầm, trùng số 1" in text
    assert "02/03/2026" in text and "20/03/2026" in text
    assert AuditEntry.objects.filter(action="download", object_type="documents.register").exists()


def test_excel_read_back_and_formula_safe(book_entries, org_tree, clerk):
    from openpyxl import load_workbook

    extract = _extract(clerk, org_tree["commune"])
    workbook = load_workbook(io.BytesIO(book.register_workbook(clerk, extract)))
    sheet = workbook.active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[2] == tuple(header for _key, header, _width in book.COLUMNS)
    first, _second, third = rows[3:6]
    assert first[0] == datetime.datetime(2026, 3, 2) and first[1] == 1 and first[2] == "Tỉnh ủy An Giang"
    assert first[6] == book_entries["handler"].get_full_name() and first[7] is None
    # The hostile sender stays text: no formula, quote-prefixed.
    cell = sheet.cell(row=5, column=3)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK") and cell.quotePrefix
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)
    assert third[9] == "Đã hủy: Đăng ký nhầm, trùng số 1"
    assert sheet.cell(row=6, column=4).font.strike


def test_registers_page_pdf_and_excel_downloads(client, book_entries, org_tree, clerk, password):
    client.force_login(clerk)
    url = reverse("documents:registers")
    assert client.get(url).status_code == 200
    params = {
        "organization": org_tree["commune"].pk,
        "secret": "0",
        "date_from": "01/01/2026",
        "date_to": "31/12/2026",
    }
    with translation.override("en"):
        page = client.get(url, params, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert page.context["extract"] is not None and len(page.context["extract"].rows) == 3
    pdf = client.get(url, {**params, "format": "pdf"})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    xlsx = client.get(url, {**params, "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx["Content-Type"] == book.XLSX_CONTENT_TYPE
    assert "attachment" in xlsx["Content-Disposition"]


def test_registers_page_is_404_for_others(client, book_entries, org_tree, outsider, member_user, handler, password):
    for user in (outsider, member_user, handler):
        client.force_login(user)
        assert client.get(reverse("documents:registers")).status_code == 404
        assert client.get(reverse("documents:statistics")).status_code == 404
    # The outsider names the commune's register explicitly: not among their choices, so nothing is shown.
    client.force_login(outsider)
    response = client.get(
        reverse("documents:registers"),
        {"organization": org_tree["commune"].pk, "date_from": "01/01/2026", "date_to": "31/12/2026", "format": "pdf"},
    )
    assert response.status_code == 404
