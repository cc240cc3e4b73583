"""Excel import of members: the template, the all-or-nothing import, each bad input and the pages."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from members.exports import import_template_workbook
from members.models import Member, MemberStatus, MemberStatusEvent, StatusEventKind
from members.services.importing import COLUMNS, DATA_SHEET, HELP_SHEET, LISTS_SHEET, member_import
from partyhub.models import AuditEntry
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

HEADERS = [c.header for c in COLUMNS]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def row(**values) -> dict:
    """A valid row (a male born 1980, admitted 2005, official 2006); ``values`` override by header."""
    base = {
        "STT": 1,
        "Họ và tên": "Nguyễn Văn An",
        "Giới tính": "Nam",
        "Ngày sinh": "05/03/1980",
        "Quê quán": "Xã Định An, tỉnh An Giang",
        "Dân tộc": "Kinh",
        "Số CCCD": "079080001234",
        "Điện thoại": "0912 345 678",
        "Chi bộ": "Chi bộ ấp Phước Hưng",
        "Ngày vào Đảng": datetime.datetime(2005, 5, 19),
        "Ngày chính thức": "19/05/2006",
        "Số thẻ đảng viên": "12345678",
        "Số lý lịch": "012345KG",
        "Trình độ LLCT": "Trung cấp",
    }
    base.update(values)
    return base


def xlsx(rows, *, headers=None, sheet=DATA_SHEET, name="danh-sach.xlsx", extra_sheets=()) -> SimpleUploadedFile:
    headers = HEADERS if headers is None else headers
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.title = sheet
    ws.append(headers)
    for values in rows:
        if isinstance(values, dict):
            ws.append([values.get(h) for h in headers])
        else:
            ws.append(list(values))
    for title in extra_sheets:
        workbook.create_sheet(title)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/octet-stream")


def run(actor, scope, upload, **kwargs):
    return member_import(actor=actor, organization_scope=scope, uploaded_file=upload, **kwargs)


def where(result) -> list[tuple[int, str]]:
    return [(e.row, e.column) for e in result.errors]


@pytest.fixture
def baseline(clerk, org_tree):
    """Counts before the import (the fixtures' own members)."""
    return {"members": Member.objects.count(), "events": MemberStatusEvent.objects.count()}


def assert_nothing_imported(baseline):
    assert Member.objects.count() == baseline["members"]
    assert MemberStatusEvent.objects.count() == baseline["events"]


# --- success ----------------------------------------------------------------------------------------------


def test_valid_file_is_imported_whole(clerk, org_tree, baseline):
    rows = [
        row(),
        row(
            **{
                "STT": 2,
                "Họ và tên": "Trần Thị Ánh Tuyết",
                "Giới tính": "Nữ",
                "Ngày sinh": datetime.datetime(1985, 7, 2),
                "Số CCCD": "079185001234",
                "Chi bộ": "chi bo ap hoa binh",  # folded: diacritics and case do not matter
                "Ngày vào Đảng": "02/09/2024",
                "Ngày chính thức": None,
                "Số thẻ đảng viên": None,
                "Số lý lịch": "012346-kg",
                "Trình độ LLCT": None,
            }
        ),
    ]
    result = run(clerk, org_tree["commune"], xlsx(rows))
    assert result.ok, result.errors
    assert result.created == 2 and result.rows == 2
    assert Member.objects.count() == baseline["members"] + 2

    an = Member.objects.get(full_name="Nguyễn Văn An")
    assert an.organization == org_tree["cell_a"]
    assert an.status == MemberStatus.OFFICIAL
    assert an.date_of_birth == datetime.date(1980, 3, 5)
    assert an.admission_date == datetime.date(2005, 5, 19)
    assert an.phone == "0912345678"
    assert an.political_theory == "intermediate"
    assert an.search_text == "nguyen van an 12345678 012345kg"
    kinds = list(an.status_events.order_by("effective_date").values_list("kind", "status_before", "status_after"))
    assert kinds == [
        (StatusEventKind.ADMITTED, MemberStatus.PROBATIONARY, MemberStatus.PROBATIONARY),
        (StatusEventKind.RECOGNIZED, MemberStatus.PROBATIONARY, MemberStatus.OFFICIAL),
    ]
    assert an.status_events.filter(recorded_by=clerk).count() == 2

    tuyet = Member.objects.get(full_name="Trần Thị Ánh Tuyết")
    assert tuyet.organization == org_tree["cell_b"]
    assert tuyet.status == MemberStatus.PROBATIONARY
    assert tuyet.personal_record_number == "012346KG"
    assert list(tuyet.status_events.values_list("kind", flat=True)) == [StatusEventKind.ADMITTED]

    # The cached facts were computed as the status service computes them (nothing left to change).
    from members.services.status import member_refresh_facts

    for member in (an, tuyet):
        assert member_refresh_facts(Member.objects.get(pk=member.pk), save=False) == []
    assert tuyet.recognition_due_date is not None

    entry = AuditEntry.objects.filter(action="create", object_type="members.member", actor=clerk).latest("id")
    assert entry.changes["import"]["count"] == 2
    assert result.by_organization == [("Chi bộ ấp Hòa Bình", 1), ("Chi bộ ấp Phước Hưng", 1)]


def test_filled_template_imports(clerk, org_tree, baseline):
    """The downloaded template itself, filled in by a user: formats and dropdown sheet do not get in the way."""
    data = import_template_workbook(actor=clerk, organization_scope=org_tree["commune"])
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    ws = workbook[DATA_SHEET]
    values = row()
    for index, header in enumerate(HEADERS, start=1):
        ws.cell(row=2, column=index, value=values.get(header))
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = run(clerk, org_tree["commune"], SimpleUploadedFile("mau.xlsx", buffer.getvalue()))
    assert result.ok, result.errors
    assert result.created == 1


def test_dry_run_writes_nothing(clerk, org_tree, baseline):
    result = run(clerk, org_tree["commune"], xlsx([row()]), dry_run=True)
    assert result.ok and result.dry_run and result.created == 0 and result.rows == 1
    assert_nothing_imported(baseline)


def test_cell_secretary_imports_into_own_cell_with_blank_cell_column(cell_secretary, org_tree):
    result = run(cell_secretary, org_tree["cell_a"], xlsx([row(**{"Chi bộ": None})]))
    assert result.ok, result.errors
    assert Member.objects.get(full_name="Nguyễn Văn An").organization == org_tree["cell_a"]


# --- the template -----------------------------------------------------------------------------------------


def test_template_has_columns_lists_and_instructions(clerk, org_tree):
    data = import_template_workbook(actor=clerk, organization_scope=org_tree["commune"])
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == [DATA_SHEET, LISTS_SHEET, HELP_SHEET]
    ws = workbook[DATA_SHEET]
    assert [c.value for c in ws[1]] == HEADERS
    lists = workbook[LISTS_SHEET]
    assert lists.sheet_state == "hidden"
    assert lists.protection.sheet is True
    columns = {lists.cell(row=1, column=i).value: i for i in range(1, 5)}
    cells = [c.value for c in lists[openpyxl.utils.get_column_letter(columns["Chi bộ"])][1:] if c.value]
    assert cells == ["Chi bộ ấp Hòa Bình", "Chi bộ ấp Phước Hưng"]  # not the other commune's cell
    statuses = [c.value for c in lists[openpyxl.utils.get_column_letter(columns["Trạng thái"])][1:] if c.value]
    assert statuses == ["Dự bị", "Chính thức"]
    formulas = {dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"}
    assert any("Danh mục" in f for f in formulas)
    assert len(formulas) == 4
    help_text = " ".join(str(c.value) for r in workbook[HELP_SHEET].iter_rows() for c in r if c.value)
    assert "HƯỚNG DẪN NHẬP DANH SÁCH ĐẢNG VIÊN" in help_text
    assert ws.column_dimensions["L"].number_format == "@"  # Số CCCD keeps its leading 0


def test_cell_secretary_template_lists_only_their_cell(cell_secretary, org_tree):
    data = import_template_workbook(actor=cell_secretary, organization_scope=org_tree["cell_a"])
    lists = openpyxl.load_workbook(io.BytesIO(data))[LISTS_SHEET]
    assert [c.value for c in lists["D"][1:] if c.value] == ["Chi bộ ấp Phước Hưng"]


# --- each bad input: nothing imported, the exact error rows ------------------------------------------------


def test_wrong_file_type(clerk, org_tree, baseline):
    upload = SimpleUploadedFile("danh-sach.xlsx", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n")
    result = run(clerk, org_tree["commune"], upload)
    assert where(result) == [(0, "")]
    assert_nothing_imported(baseline)


def test_csv_is_refused(clerk, org_tree, baseline):
    upload = SimpleUploadedFile("danh-sach.csv", "Họ và tên\nNguyễn Văn An\n".encode())
    result = run(clerk, org_tree["commune"], upload)
    assert where(result) == [(0, "")]
    assert "not accepted" in result.errors[0].message
    assert_nothing_imported(baseline)


def test_bad_date(clerk, org_tree, baseline):
    rows = [row(), row(**{"Ngày sinh": "31/02/1980", "Số thẻ đảng viên": "22345678", "Số lý lịch": "022345KG"})]
    result = run(clerk, org_tree["commune"], xlsx(rows))
    assert where(result) == [(3, "Ngày sinh")]
    assert "not a real date" in result.errors[0].message
    assert_nothing_imported(baseline)


def test_date_in_another_form(clerk, org_tree, baseline):
    result = run(clerk, org_tree["commune"], xlsx([row(**{"Ngày vào Đảng": "2005-05-19"})]))
    assert where(result) == [(2, "Ngày vào Đảng")]
    assert "dd/mm/yyyy" in result.errors[0].message
    assert_nothing_imported(baseline)


def test_unknown_cell(clerk, org_tree, baseline):
    result = run(clerk, org_tree["commune"], xlsx([row(**{"Chi bộ": "Chi bộ ấp Không Có"})]))
    assert where(result) == [(2, "Chi bộ")]
    assert "There is no party cell" in result.errors[0].message
    assert_nothing_imported(baseline)


def test_cell_the_actor_cannot_manage(cell_secretary, org_tree):
    before = Member.objects.count()
    rows = [
        row(**{"Chi bộ": None}),
        row(**{"Chi bộ": "Chi bộ ấp Hòa Bình", "Số thẻ đảng viên": "22345678", "Số lý lịch": "022345KG"}),
    ]
    result = run(cell_secretary, org_tree["cell_a"], xlsx(rows))
    assert where(result) == [(3, "Chi bộ")]
    assert "You may not add members to “Chi bộ ấp Hòa Bình”" in result.errors[0].message
    assert Member.objects.count() == before


def test_other_communes_cell_is_unknown(clerk, org_tree, baseline):
    result = run(clerk, org_tree["commune"], xlsx([row(**{"Chi bộ": "Chi bộ ấp Vĩnh Thạnh"})]))
    assert where(result) == [(2, "Chi bộ")]
    assert "There is no party cell" in result.errors[0].message
    assert_nothing_imported(baseline)


def test_eleven_digit_id_number(clerk, org_tree, baseline):
    rows = [
        row(**{"Số CCCD": 79080001234}),
        row(**{"Số CCCD": "07908000123", "Số thẻ đảng viên": "2234567", "Số lý lịch": "022345KG"}),
    ]
    result = run(clerk, org_tree["commune"], xlsx(rows))
    assert where(result) == [(2, "Số CCCD"), (3, "Số CCCD")]
    assert "Excel drops the leading 0" in result.errors[0].message
    assert result.errors[1].message == "The citizen ID number has exactly 12 digits."
    assert_nothing_imported(baseline)


def test_duplicate_inside_the_file(clerk, org_tree, baseline):
    rows = [
        row(),
        row(**{"Họ và tên": "Lê Văn Bình", "Số lý lịch": "022345KG"}),  # same card as row 2
        row(**{"Họ và tên": "Lê Văn Cường", "Số thẻ đảng viên": "32345678", "Số lý lịch": "012345 KG"}),
    ]
    result = run(clerk, org_tree["commune"], xlsx(rows))
    assert where(result) == [(3, "Số thẻ đảng viên"), (4, "Số lý lịch")]
    assert result.errors[0].message == "12345678 is also on row 2 of this file."
    assert result.errors[1].message == "012345KG is also on row 2 of this file."
    assert_nothing_imported(baseline)


def test_duplicate_of_an_existing_member(clerk, org_tree, baseline):
    MemberFactory(full_name="Phạm Văn Cũ", organization=org_tree["cell_b"], personal_record_number="012345KG")
    MemberFactory(full_name="Người Xã Khác", organization=org_tree["other_cell"], party_card_number="99345678")
    baseline["members"] += 2
    rows = [row(), row(**{"Số thẻ đảng viên": "99345678", "Số lý lịch": "099999KG"})]
    result = run(clerk, org_tree["commune"], xlsx(rows))
    assert where(result) == [(3, "Số thẻ đảng viên"), (2, "Số lý lịch")]
    assert result.errors[0].message == "99345678 already belongs to a member in the registry."  # not visible
    assert result.errors[1].message == "012345KG already belongs to Phạm Văn Cũ in the registry."
    assert_nothing_imported(baseline)


def test_empty_required_cells(clerk, org_tree, baseline):
    rows = [
        row(**{"Họ và tên": None}),
        row(**{"Ngày vào Đảng": None, "Số thẻ đảng viên": "22345678", "Số lý lịch": "022345KG"}),
    ]
    result = run(clerk, org_tree["commune"], xlsx(rows))
    assert where(result) == [(2, "Họ và tên"), (3, "Ngày vào Đảng")]
    assert result.errors[0].message == "The full name is required."
    assert result.errors[1].message == "This cell is required."
    assert_nothing_imported(baseline)


def test_empty_cell_column_for_a_commune_import(clerk, org_tree, baseline):
    result = run(clerk, org_tree["commune"], xlsx([row(**{"Chi bộ": None})]))
    assert where(result) == [(2, "Chi bộ")]
    assert result.errors[0].message == "The party cell is required."
    assert_nothing_imported(baseline)


def test_formula_in_a_cell(clerk, org_tree, baseline):
    rows = [row(**{"Quê quán": '=HYPERLINK("http://evil.example","x")'})]
    result = run(clerk, org_tree["commune"], xlsx(rows))
    assert where(result) == [(2, "Quê quán")]
    assert result.errors[0].message == "Formulas are not accepted: type the value itself."
    assert_nothing_imported(baseline)


def test_extra_column(clerk, org_tree, baseline):
    headers = [*HEADERS, "Ghi chú"]
    result = run(clerk, org_tree["commune"], xlsx([{**row(), "Ghi chú": "x"}], headers=headers))
    assert where(result) == [(1, "Ghi chú")]
    assert "Unknown column (Z)" in result.errors[0].message
    assert_nothing_imported(baseline)


def test_missing_column(clerk, org_tree, baseline):
    headers = [h for h in HEADERS if h != "Số lý lịch"]
    result = run(clerk, org_tree["commune"], xlsx([row()], headers=headers))
    assert where(result) == [(1, "Số lý lịch")]
    assert result.errors[0].message == "This column of the template is missing."
    assert_nothing_imported(baseline)


def test_value_under_a_blank_header(clerk, org_tree, baseline):
    values = [row().get(h) for h in HEADERS]
    result = run(clerk, org_tree["commune"], xlsx([[*values, None, "lạc chỗ"]]))
    assert where(result) == [(2, "AA")]
    assert_nothing_imported(baseline)


def test_empty_file(clerk, org_tree, baseline):
    result = run(clerk, org_tree["commune"], SimpleUploadedFile("danh-sach.xlsx", b""))
    assert where(result) == [(0, "")]
    assert result.errors[0].message == "The file is empty."
    assert_nothing_imported(baseline)


def test_header_only(clerk, org_tree, baseline):
    result = run(clerk, org_tree["commune"], xlsx([]))
    assert where(result) == [(0, "")]
    assert "has no member rows" in result.errors[0].message
    assert_nothing_imported(baseline)


def test_wrong_sheet(clerk, org_tree, baseline):
    result = run(clerk, org_tree["commune"], xlsx([row()], sheet="Sheet1"))
    assert where(result) == [(0, "")]
    assert "no sheet named “Đảng viên”" in result.errors[0].message
    assert_nothing_imported(baseline)


def test_record_rules_of_the_forms_apply(clerk, org_tree, baseline):
    """The record forms' rules: ID number against birth year, minimum admission age, official after admission,
    choices by name, the card number's form."""
    rows = [
        row(**{"Số CCCD": "079081001234"}),  # encodes 1981, born 1980
        row(**{"Ngày vào Đảng": "01/01/1990", "Ngày chính thức": None, "Số thẻ đảng viên": "2", "Số lý lịch": None}),
        row(**{"Giới tính": "Khác", "Số thẻ đảng viên": None, "Số lý lịch": "99KG"}),
        row(**{"Trạng thái": "Chính thức", "Ngày chính thức": None, "Số thẻ đảng viên": None, "Số lý lịch": None}),
    ]
    result = run(clerk, org_tree["commune"], xlsx(rows))
    assert where(result) == [
        (2, "Số CCCD"),
        (3, "Số thẻ đảng viên"),
        (3, "Ngày vào Đảng"),
        (4, "Giới tính"),
        (4, "Số lý lịch"),
        (5, "Ngày chính thức"),
    ]
    assert "at least 18 years old" in result.errors[2].message
    assert_nothing_imported(baseline)


def test_one_bad_row_among_many_blocks_all(clerk, org_tree, baseline):
    rows = [
        row(**{"Họ và tên": f"Nguyễn Văn {name}", "Số thẻ đảng viên": f"1000000{i}", "Số lý lịch": f"10000{i}KG"})
        for i, name in enumerate(["An", "Bình", "Cường", "Dũng", "Em"])
    ]
    rows[3]["Ngày sinh"] = "hôm qua"
    result = run(clerk, org_tree["commune"], xlsx(rows))
    assert where(result) == [(5, "Ngày sinh")]
    assert_nothing_imported(baseline)


# --- access -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["handler", "delegate", "member_user", "outsider"])
def test_roles_without_import_rights(request, who, org_tree):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        run(user, org_tree["commune"], xlsx([row()]))


def test_cell_secretary_cannot_import_into_the_commune(cell_secretary, org_tree):
    with pytest.raises(PermissionDenied):
        run(cell_secretary, org_tree["commune"], xlsx([row()]))


def test_leader_and_admin_may_import(leader, admin_user, org_tree):
    assert run(leader, org_tree["commune"], xlsx([row()]), dry_run=True).ok
    assert run(admin_user, org_tree["commune"], xlsx([row()]), dry_run=True).ok


# --- the pages --------------------------------------------------------------------------------------------


def test_upload_page_and_success_summary(client, clerk, org_tree, baseline):
    client.force_login(clerk)
    url = reverse("members:import")
    page = client.get(url)
    assert page.status_code == 200
    assert reverse("members:import_template") in page.content.decode()
    response = client.post(url, {"organization": org_tree["commune"].pk, "file": xlsx([row()])})
    assert response.status_code == 302 and response.url == reverse("members:import_done")
    done = client.get(response.url)
    assert done.status_code == 200
    assert "1 member was imported" in done.content.decode()
    assert client.get(reverse("members:import_done")).status_code == 302  # shown once
    assert Member.objects.count() == baseline["members"] + 1


def test_upload_page_shows_the_error_table(client, clerk, org_tree, baseline):
    client.force_login(clerk)
    response = client.post(
        reverse("members:import"),
        {"organization": org_tree["commune"].pk, "file": xlsx([row(**{"Ngày sinh": "31/02/1980"})])},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was imported" in html
    assert '<td class="column">Ngày sinh</td>' in html
    assert "“31/02/1980” is not a real date." in html
    assert_nothing_imported(baseline)


def test_upload_page_check_only(client, clerk, org_tree, baseline):
    client.force_login(clerk)
    response = client.post(
        reverse("members:import"), {"organization": org_tree["commune"].pk, "file": xlsx([row()]), "check_only": "on"}
    )
    assert response.status_code == 200
    assert "1 member can be imported" in response.content.decode()
    assert_nothing_imported(baseline)


def test_cell_secretary_cannot_pick_another_scope(client, cell_secretary, org_tree):
    client.force_login(cell_secretary)
    response = client.post(reverse("members:import"), {"organization": org_tree["commune"].pk, "file": xlsx([row()])})
    assert response.status_code == 200  # the form refuses the choice
    assert response.context["form"].errors["organization"]
    assert not Member.objects.filter(full_name="Nguyễn Văn An").exists()


@pytest.mark.parametrize("who", ["handler", "delegate", "member_user", "outsider"])
def test_pages_are_404_without_import_rights(client, request, who, org_tree):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("members:import")).status_code == 404
    assert client.get(reverse("members:import_template")).status_code == 404


def test_template_download(client, clerk, org_tree):
    client.force_login(clerk)
    response = client.get(reverse("members:import_template"), {"organization": org_tree["commune"].pk})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    assert openpyxl.load_workbook(io.BytesIO(response.content)).sheetnames[0] == DATA_SHEET
    assert (
        client.get(reverse("members:import_template"), {"organization": org_tree["other_commune"].pk}).status_code
        == 404
    )


def test_anonymous_is_sent_to_login(client, org_tree):
    response = client.get(reverse("members:import"))
    assert response.status_code == 302 and "login" in response.url
