# ruff: noqa: F811 - pytest fixtures imported from outgoing_support
"""The outgoing register (sổ đăng ký văn bản đi, domain.md §3 columns) on screen, as PDF and as Excel: entries in
the order they were issued, recalled ones struck through with the reason, classified ones only in the secret
register and only for the cleared, formula-safe cells, downloads audited, constant query count."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from documents import registers as book
from documents.models import Confidentiality, OutgoingStatus
from documents.services.registering import register_for
from partyhub.models import AuditEntry

from .dist_support import issued_document
from .outgoing_support import clear, flow, private_dir  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries(flow):
    """Four entries of the standing committee's ordinary register and one of its secret register."""
    today = timezone.localdate()
    nq1 = issued_document(
        organization=flow.standing,
        document_type=flow.types["Nghị quyết"],
        drafted_by=flow.drafter,
        number=1,
        summary="Về đẩy mạnh chuyển đổi số",
        issued_on=today - datetime.timedelta(days=10),
        recipients=[flow.cell, "Ủy ban nhân dân xã"],
    )
    bc1 = issued_document(
        organization=flow.standing,
        document_type=flow.types["Báo cáo"],
        drafted_by=flow.drafter,
        number=1,
        summary='=HYPERLINK("http://evil.example","Bấm vào")',
        issued_on=today - datetime.timedelta(days=5),
    )
    nq2 = issued_document(
        organization=flow.standing,
        document_type=flow.types["Nghị quyết"],
        drafted_by=flow.drafter,
        number=2,
        summary="Về công tác kiểm tra",
        issued_on=today - datetime.timedelta(days=2),
    )
    nq2.status = OutgoingStatus.RECALLED
    nq2.recall_reason = "Sai số liệu"
    nq2.copies = 4
    nq2.file_copy_unit = "Văn phòng Đảng ủy"
    nq2.save()
    secret = issued_document(
        organization=flow.standing,
        document_type=flow.types["Nghị quyết"],
        drafted_by=flow.drafter,
        number=3,
        summary="Về bảo vệ chính trị nội bộ",
        confidentiality=Confidentiality.SECRET,
        issued_on=today - datetime.timedelta(days=1),
    )
    return {"nq1": nq1, "bc1": bc1, "nq2": nq2, "secret": secret, "today": today}


def _extract(user, flow, *, secret=False, today):
    register = register_for(flow.standing, "outgoing", secret=secret)
    return book.outgoing_register_extract(
        user, register=register, date_from=today - datetime.timedelta(days=30), date_to=today
    )


def test_extract_rows_in_issue_order_with_the_columns(flow, entries, django_assert_max_num_queries):
    extract = _extract(flow.clerk, flow, today=entries["today"])
    with django_assert_max_num_queries(4):
        extract = _extract(flow.clerk, flow, today=entries["today"])
    assert [(r.number_symbol, r.type_name, r.recalled) for r in extract.rows] == [
        ("01-NQ/ĐU", "Nghị quyết", False),
        ("01-BC/ĐU", "Báo cáo", False),
        ("02-NQ/ĐU", "Nghị quyết", True),
    ]
    first = extract.rows[0]
    assert first.recipients == "Chi bộ ấp Phước Hưng; Ủy ban nhân dân xã"
    assert first.signer == "Nguyễn Văn Đức"
    assert extract.rows[2].notes == "Đã thu hồi: Sai số liệu"
    assert (extract.rows[2].copies, extract.rows[2].file_copy_unit) == (4, "Văn phòng Đảng ủy")
    assert extract.hidden == 0 and extract.recalled == 1
    # The secret register: the classified entry, for the cleared only (counted, not shown, otherwise).
    clear(flow.clerk, Confidentiality.SECRET)
    from documents.selectors import forget_outgoing_access

    forget_outgoing_access(flow.clerk)
    secret = _extract(flow.clerk, flow, secret=True, today=entries["today"])
    assert [r.number_symbol for r in secret.rows] == ["03-NQ/ĐU"]
    hidden = _extract(flow.deputy, flow, secret=True, today=entries["today"])
    assert (hidden.rows, hidden.hidden) == ([], 1)


def test_register_page_pdf_and_excel(flow, entries, client):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    today = entries["today"]
    client.force_login(flow.clerk)
    url = reverse("documents:outgoing_register")
    params = {
        "organization": flow.standing.pk,
        "secret": "0",
        "date_from": (today - datetime.timedelta(days=30)).strftime("%d/%m/%Y"),
        "date_to": today.strftime("%d/%m/%Y"),
    }
    page = client.get(url, params).content.decode()
    assert "Sổ đăng ký văn bản đi — Ban Thường vụ Đảng ủy xã Gò Quao" in page
    assert "3 documents issued from" in page and "1 of them was recalled." in page
    assert "01-BC/ĐU" in page and "Về bảo vệ chính trị nội bộ" not in page
    assert "Secret register" not in page  # the clerk is not cleared

    pdf = client.get(url, {**params, "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf"
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf.content)).pages)
    for expected in ("SỔ ĐĂNG KÝ VĂN BẢN ĐI", "Số, ký hiệu văn bản", "01-NQ/ĐU", "02-NQ/ĐU", "Đã thu hồi: Sai số liệu"):
        assert expected in text
    assert "Tổng số: 3 văn bản, trong đó 1 văn bản đã thu hồi." in text

    xlsx = client.get(url, {**params, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[2] == [header for _key, header, _width in book.OUTGOING_COLUMNS]
    assert rows[3][0] == "01-NQ/ĐU" and rows[3][1].date() == today - datetime.timedelta(days=10)
    hostile = sheet.cell(row=5, column=3)
    assert hostile.data_type == "s" and hostile.value.startswith("Báo cáo: =HYPERLINK") is True
    symbol = sheet.cell(row=5, column=1)
    assert symbol.value == "01-BC/ĐU"
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)
    assert sheet.cell(row=6, column=1).font.strike
    downloads = AuditEntry.objects.filter(action="download", object_type="documents.register")
    assert sorted(e.changes["export"]["format"] for e in downloads) == ["pdf", "xlsx"]


def test_formula_triggers_at_the_start_are_quoted(flow, entries, client):
    from openpyxl import load_workbook

    entries["bc1"].notes = "=1+1"
    entries["bc1"].save()
    extract = _extract(flow.clerk, flow, today=entries["today"])
    sheet = load_workbook(io.BytesIO(book.outgoing_register_workbook(flow.clerk, extract))).active
    notes = sheet.cell(row=5, column=8)
    assert notes.value == "=1+1" and notes.data_type == "s" and notes.quotePrefix


@pytest.mark.parametrize("who", ["member", "outsider", "cell_secretary"])
def test_register_page_is_for_the_office(flow, entries, client, who):
    client.force_login(getattr(flow, who))
    response = client.get(reverse("documents:outgoing_register"))
    if who == "cell_secretary":
        # A cell secretary prints their own cell's register, not the commune's.
        assert response.status_code == 200
        assert flow.standing.name not in response.content.decode()
    else:
        assert response.status_code == 404
