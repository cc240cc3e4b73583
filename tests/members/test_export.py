"""Excel export of the member list (formula injection, masking, filters, audit) and the profile PDF."""

from __future__ import annotations

import datetime
import io
import unicodedata
import zipfile

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from members.exports import members_workbook
from members.models import Member, MemberStatusEvent, StatusEventKind
from members.services.importing import COLUMNS, DATA_SHEET
from partyhub.models import AuditEntry
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

HEADERS = [c.header for c in COLUMNS]
COL = {h: i for i, h in enumerate(HEADERS)}

DANGEROUS = {
    "other_names": '=HYPERLINK("http://evil.example","bấm")',
    "occupation": "+cmd|' /C calc'!A0",
    "religion": "@SUM(1+1)",
    "birthplace": "-2+3",
    "current_address": "\t=1+1",
    "professional_qualification": "\r=1+1",
}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def rows_of(content: bytes) -> list[list]:
    ws = openpyxl.load_workbook(io.BytesIO(content))[DATA_SHEET]
    return [list(r) for r in ws.iter_rows()]


def by_name(rows) -> dict[str, list]:
    return {r[COL["Họ và tên"]].value: r for r in rows[1:]}


@pytest.fixture
def tuyet(org_tree):
    return MemberFactory(
        full_name="Nguyễn Thị Ánh Tuyết",
        organization=org_tree["cell_a"],
        sex="female",
        date_of_birth=datetime.date(1985, 7, 2),
        home_town="Xã Định An, tỉnh An Giang",
        id_number="079185001234",
        phone="0912345678",
        permanent_address="Ấp Phước Hưng, xã Gò Quao",
        party_card_number="12345678",
        personal_record_number="012345KG",
        admission_date=datetime.date(2010, 5, 19),
        official_date=datetime.date(2011, 5, 19),
        political_theory="intermediate",
        search_text="nguyen thi anh tuyet 12345678 012345kg",
        **DANGEROUS,
    )


# --- Excel ------------------------------------------------------------------------------------------------


def test_formula_injection_is_neutralized(client, clerk, tuyet):
    client.force_login(clerk)
    response = client.get(reverse("members:export"))
    assert response.status_code == 200
    row = by_name(rows_of(response.content))["Nguyễn Thị Ánh Tuyết"]
    for field_name, value in DANGEROUS.items():
        header = next(c.header for c in COLUMNS if c.key == field_name)
        cell = row[COL[header]]
        assert cell.data_type == "s", header  # a string, never a formula
        assert cell.value == value.replace("\r", "\n"), header  # kept (a lone CR is written as a line break)
        assert cell.quotePrefix, header  # and Excel keeps it text when the cell is edited
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml


def test_dates_and_choices_are_written_as_such(client, clerk, tuyet):
    client.force_login(clerk)
    row = by_name(rows_of(client.get(reverse("members:export")).content))["Nguyễn Thị Ánh Tuyết"]
    assert row[COL["Ngày sinh"]].value == datetime.datetime(1985, 7, 2)
    assert row[COL["Ngày sinh"]].number_format == "DD/MM/YYYY"
    assert row[COL["Giới tính"]].value == "Nữ"
    assert row[COL["Trình độ LLCT"]].value == "Trung cấp"
    assert row[COL["Số CCCD"]].value == "079185001234"  # text: the leading 0 stays
    assert row[COL["Chi bộ"]].value == "Chi bộ ấp Phước Hưng"


def test_personal_data_masked_for_roles_that_may_not_see_them(client, handler, clerk, tuyet):
    client.force_login(handler)  # sees the commune's members, not their personal data
    row = by_name(rows_of(client.get(reverse("members:export")).content))["Nguyễn Thị Ánh Tuyết"]
    assert row[COL["Số CCCD"]].value == "•••••••••234"
    assert row[COL["Điện thoại"]].value == "•••••••678"
    assert "Phước Hưng" not in row[COL["Nơi thường trú"]].value
    client.force_login(clerk)
    row = by_name(rows_of(client.get(reverse("members:export")).content))["Nguyễn Thị Ánh Tuyết"]
    assert row[COL["Số CCCD"]].value == "079185001234"
    assert row[COL["Điện thoại"]].value == "0912345678"


def test_export_follows_visibility_and_list_filters(client, cell_secretary, clerk, org_tree, tuyet):
    MemberFactory(full_name="Lê Văn Hòa Bình", organization=org_tree["cell_b"])
    MemberFactory(full_name="Người Xã Khác", organization=org_tree["other_cell"])
    client.force_login(cell_secretary)  # their cell only
    names = set(by_name(rows_of(client.get(reverse("members:export")).content)))
    assert "Nguyễn Thị Ánh Tuyết" in names and "Lê Văn Hòa Bình" not in names and "Người Xã Khác" not in names

    client.force_login(clerk)
    names = set(by_name(rows_of(client.get(reverse("members:export")).content)))
    assert {"Nguyễn Thị Ánh Tuyết", "Lê Văn Hòa Bình"} <= names and "Người Xã Khác" not in names
    filtered = client.get(reverse("members:export"), {"organization": org_tree["cell_b"].pk})
    expected = set(Member.objects.filter(organization=org_tree["cell_b"]).values_list("full_name", flat=True))
    assert set(by_name(rows_of(filtered.content))) == expected == {"Lê Văn Hòa Bình"}
    searched = client.get(reverse("members:export"), {"q": "anh tuyet"})
    assert set(by_name(rows_of(searched.content))) == {"Nguyễn Thị Ánh Tuyết"}


def test_export_is_audited(client, clerk, tuyet):
    client.force_login(clerk)
    client.get(reverse("members:export"), {"q": "tuyet"})
    entry = AuditEntry.objects.filter(action="download", actor=clerk).latest("id")
    assert entry.object_type == "members.member"
    assert entry.changes["export"]["count"] == 1
    assert entry.changes["export"]["query"] == "tuyet"


def test_export_is_404_for_plain_members(client, member_user, outsider):
    client.force_login(member_user)
    assert client.get(reverse("members:export")).status_code == 404


def test_export_query_count_does_not_grow_with_members(clerk, org_tree):
    from members.exports import export_queryset

    def queries(n):
        Member.objects.filter(full_name__startswith="Xuất").delete()
        for i in range(n):
            MemberFactory(full_name=f"Xuất Khẩu {i}", organization=org_tree["cell_b"])
        clerk.__dict__.pop("_partyhub_access", None)
        with CaptureQueriesContext(connection) as ctx:
            members_workbook(user=clerk, members=export_queryset(clerk).iterator(chunk_size=2000))
        return len(ctx.captured_queries)

    assert queries(3) == queries(30)


def test_control_characters_do_not_break_the_file(clerk, org_tree):
    MemberFactory(full_name="Ký Tự Lạ", organization=org_tree["cell_a"], occupation="nông\x0bdân\x07")
    content, _count = members_workbook(user=clerk, members=Member.objects.select_related("organization"))
    row = by_name(rows_of(content))["Ký Tự Lạ"]
    assert row[COL["Nghề nghiệp"]].value == "nôngdân"


# --- the profile PDF --------------------------------------------------------------------------------------


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return unicodedata.normalize("NFC", text)


def test_profile_pdf_has_the_record_with_exact_diacritics(client, clerk, tuyet, org_tree):
    MemberStatusEvent.objects.create(
        member=tuyet,
        kind=StatusEventKind.ADMITTED,
        effective_date=datetime.date(2010, 5, 19),
        decision_number="15-QĐ/ĐU",
        status_before="probationary",
        status_after="probationary",
        activity_before="active",
        activity_after="active",
    )
    client.force_login(clerk)
    response = client.get(reverse("members:profile_pdf", args=[tuyet.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in (
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "PHIẾU ĐẢNG VIÊN",
        "Nguyễn Thị Ánh Tuyết",
        "Xã Định An, tỉnh An Giang",
        "Chi bộ ấp Phước Hưng",
        "02/07/1985",
        "Ngày vào Đảng",
        "19/05/2010",
        "079185001234",
        "Trung cấp",
        "DIỄN BIẾN ĐẢNG TỊCH",
        "15-QĐ/ĐU",
    ):
        assert expected in text, expected
    entry = AuditEntry.objects.filter(action="download", actor=clerk).latest("id")
    assert entry.object_id == str(tuyet.pk)


def test_profile_pdf_masks_personal_data(client, handler, tuyet):
    client.force_login(handler)
    text = pdf_text(client.get(reverse("members:profile_pdf", args=[tuyet.pk])).content)
    assert "079185001234" not in text and "0912345678" not in text
    assert "•••••••••234" in text


@pytest.mark.parametrize("who", ["outsider", "member_user"])
def test_profile_pdf_of_an_invisible_member_is_404(client, request, who, tuyet):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("members:profile_pdf", args=[tuyet.pk])).status_code == 404


def test_member_may_print_their_own_profile(client, member_user):
    client.force_login(member_user)
    own = Member.objects.get(user=member_user)
    response = client.get(reverse("members:profile_pdf", args=[own.pk]))
    assert response.status_code == 200
    assert own.full_name in pdf_text(response.content)
