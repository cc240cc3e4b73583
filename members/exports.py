"""Files made from the member registry: the Excel import template, the Excel member list and a member's
profile as PDF.

* :func:`import_template_workbook` — the official member list's columns (``importing.COLUMNS``), text and
  date formats set on the columns, dropdowns fed by a hidden, protected sheet of allowed values (cells,
  sexes, statuses, theory levels) and an instructions sheet. Vietnamese: it is the official form.
* :func:`export_members` — the members ``user`` may see (the list page's search, filters and ordering,
  through ``selectors.member_list``) written with openpyxl's streaming writer. Every text cell is written as
  an explicit string with Excel's quote prefix, so nothing (``=``, ``+``, ``-``, ``@``, tab, CR …) can turn
  into a formula; personal data are masked per member unless ``permissions.can_view_personal_data``; the
  download is audited.
* :func:`member_profile_pdf` — the record laid out like the party's member sheet (Phiếu đảng viên / Sổ đảng
  viên), rendered by ``partyhub.pdf.render_pdf``; personal data masked the same way; audited.
"""

from __future__ import annotations

import datetime
import io
import secrets
from collections.abc import Iterable, Mapping

from django.db.models import QuerySet
from django.utils import timezone, translation

from partyhub import audit
from partyhub.pdf import render_pdf

from . import permissions, selectors
from .models import Member, MemberActivity, MemberStatus, Organization, Sex, TheoryLevel
from .services.importing import (
    COLUMNS,
    DATA_SHEET,
    DATE,
    HELP_SHEET,
    LISTS_SHEET,
    SEX_NAMES,
    SKIP,
    STATUS_NAMES,
    TEXT,
    THEORY_NAMES,
    display_name,
    import_cells,
)

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "DD/MM/YYYY"
#: Rows of the template that carry the dropdowns and date checks.
TEMPLATE_ROWS = 20_000
#: First characters that make a spreadsheet treat text as a formula (or as the start of one).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")

HEADER_FILL = "C8102E"  # the party red of the UI
HEADER_FONT = "FFFFFF"

#: Vietnamese names of the standings, for the official sheets.
STATUS_VI = {
    MemberStatus.PROBATIONARY: "Dự bị",
    MemberStatus.OFFICIAL: "Chính thức",
    MemberStatus.TRANSFERRED_OUT: "Đã chuyển sinh hoạt đi",
    MemberStatus.EXPELLED: "Bị khai trừ",
    MemberStatus.REMOVED: "Bị xóa tên",
    MemberStatus.RESIGNED: "Xin ra khỏi Đảng",
    MemberStatus.DECEASED: "Từ trần",
}
ACTIVITY_VI = {
    MemberActivity.ACTIVE: "Đang sinh hoạt",
    MemberActivity.EXEMPTED: "Miễn công tác và sinh hoạt đảng",
    MemberActivity.TEMPORARY_OUT: "Sinh hoạt tạm thời nơi khác",
    MemberActivity.TEMPORARY_IN: "Sinh hoạt tạm thời tại đây",
    MemberActivity.SUSPENDED: "Đình chỉ sinh hoạt",
}


def vi_date(value: datetime.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _workbook_bytes(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- the import template ----------------------------------------------------------------------------------


def _header_style(cell, *, required: bool = False) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="808080")
    cell.font = Font(bold=True, color=HEADER_FONT if not required else "FFF2A8")
    cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)


def import_template_workbook(*, actor, organization_scope: Organization) -> bytes:
    """The Excel template for importing members into ``organization_scope`` (its cells in the dropdown)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = DATA_SHEET
    lists = workbook.create_sheet(LISTS_SHEET)
    help_sheet = workbook.create_sheet(HELP_SHEET)
    workbook.properties.creator = "PartyHub"
    workbook.properties.title = "Mẫu nhập danh sách đảng viên"

    # The allowed values, one list per column of the hidden sheet.
    cells = [c.name for c in import_cells(actor, organization_scope)]
    value_lists = {
        "sex": ("Giới tính", [aliases[0] for aliases in SEX_NAMES.values()]),
        "status": ("Trạng thái", [aliases[0] for aliases in STATUS_NAMES.values()]),
        "political_theory": ("Trình độ LLCT", [aliases[0] for key, aliases in THEORY_NAMES.items() if key]),
        "organization": ("Chi bộ", cells),
    }
    ranges: dict[str, str] = {}
    for index, (key, (title, values)) in enumerate(value_lists.items(), start=1):
        letter = get_column_letter(index)
        lists.cell(row=1, column=index, value=title).font = Font(bold=True)
        for row, value in enumerate(values, start=2):
            lists.cell(row=row, column=index, value=value).data_type = "s"
        last = max(len(values) + 1, 2)
        ranges[key] = f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${last}"
        lists.column_dimensions[letter].width = 30
    lists.sheet_state = "hidden"
    lists.protection.sheet = True
    lists.protection.password = secrets.token_urlsafe(12)

    # The data sheet: header, formats, dropdowns and date checks.
    last_row = TEMPLATE_ROWS + 1
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index, value=column.header)
        _header_style(cell, required=column.required)
        dimension = sheet.column_dimensions[letter]
        dimension.width = column.width
        if column.kind == DATE:
            dimension.number_format = DATE_FORMAT
            check = DataValidation(
                type="date",
                operator="between",
                formula1="DATE(1900,1,1)",
                formula2="TODAY()",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="Ngày không hợp lệ",
                error="Nhập ngày dạng ngày/tháng/năm, không sau hôm nay.",
            )
            check.add(f"{letter}2:{letter}{last_row}")
            sheet.add_data_validation(check)
        elif column.kind in (TEXT, SKIP) or column.key in ("general_education",):
            dimension.number_format = "@"
        if column.key in ranges:
            dropdown = DataValidation(
                type="list",
                formula1=f"={ranges[column.key]}",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="Giá trị không có trong danh sách",
                error="Chọn một giá trị trong danh sách.",
            )
            dropdown.add(f"{letter}2:{letter}{last_row}")
            sheet.add_data_validation(dropdown)
        if column.key == "id_number":
            length = DataValidation(
                type="textLength",
                operator="equal",
                formula1="12",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="Số CCCD không hợp lệ",
                error="Số căn cước công dân có đúng 12 chữ số.",
            )
            length.add(f"{letter}2:{letter}{last_row}")
            sheet.add_data_validation(length)
    sheet.row_dimensions[1].height = 32
    sheet.freeze_panes = "C2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}1"

    # The instructions.
    help_sheet.column_dimensions["A"].width = 24
    help_sheet.column_dimensions["B"].width = 12
    help_sheet.column_dimensions["C"].width = 80
    lines = [
        ("HƯỚNG DẪN NHẬP DANH SÁCH ĐẢNG VIÊN", None, None),
        (f"Đơn vị nhập: {organization_scope.name}", None, None),
        ("", None, None),
        (f"1. Ghi mỗi đảng viên trên một dòng của trang “{DATA_SHEET}”, bắt đầu từ dòng 2.", None, None),
        ("2. Không đổi tên trang, không thêm, xóa hay đổi tên cột; thứ tự cột có thể đổi.", None, None),
        ("3. Ngày ghi dạng ngày/tháng/năm (ví dụ 05/03/1980) hoặc dùng ô định dạng ngày của Excel.", None, None),
        ("4. Không dùng công thức: chỉ ghi giá trị.", None, None),
        ("5. Cột có tiêu đề chữ vàng là bắt buộc.", None, None),
        ("6. Số thẻ đảng viên và số lý lịch không được trùng trong tệp hay với đảng viên đã có.", None, None),
        (
            "7. Tệp được kiểm tra toàn bộ trước: nếu có một lỗi, không dòng nào được nhập; sửa theo danh sách "
            "lỗi (dòng, cột, lý do) rồi tải lên lại.",
            None,
            None,
        ),
        ("", None, None),
        ("Cột", "Bắt buộc", "Cách ghi"),
    ]
    for column in COLUMNS:
        lines.append((column.header, "Có" if column.required else "", column.note))
    lines += [
        ("", None, None),
        ("Ví dụ", None, None),
        ("Họ và tên", None, "Nguyễn Thị Ánh Tuyết"),
        ("Ngày sinh", None, "05/03/1980"),
        ("Số CCCD", None, "079180001234"),
        ("Số lý lịch", None, "012345KG"),
        ("Trình độ LLCT", None, "Trung cấp"),
    ]
    for row, (first, second, third) in enumerate(lines, start=1):
        help_sheet.cell(row=row, column=1, value=first).data_type = "s"
        if second is not None:
            help_sheet.cell(row=row, column=2, value=second)
        if third is not None:
            note = help_sheet.cell(row=row, column=3, value=third)
            note.data_type = "s"
            note.alignment = Alignment(wrap_text=True, vertical="top")
    help_sheet["A1"].font = Font(bold=True, size=14)
    header_row = lines.index(("Cột", "Bắt buộc", "Cách ghi")) + 1
    for col in (1, 2, 3):
        help_sheet.cell(row=header_row, column=col).font = Font(bold=True)
    help_sheet.protection.sheet = True
    help_sheet.protection.password = secrets.token_urlsafe(12)

    workbook.active = 0
    return _workbook_bytes(workbook)


# --- the member list --------------------------------------------------------------------------------------


def safe_text(value: str) -> str:
    """Text a spreadsheet may hold: characters XML forbids are dropped, line breaks written as LF (XML
    readers turn a lone CR into LF anyway)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def _text_cell(sheet, value: str):
    """A cell that can only ever be text: explicit string type, and Excel's quote prefix when the text
    starts like a formula (so editing the cell in Excel keeps it text)."""
    from openpyxl.cell import WriteOnlyCell

    text = safe_text(value)
    cell = WriteOnlyCell(sheet)
    cell.value = text
    cell.data_type = "s"  # the value setter makes "=…" a formula; this is text, always
    if text.startswith(FORMULA_TRIGGERS):
        cell.quotePrefix = True
    return cell


def _member_row(member: Member, *, personal: bool) -> list:
    values: list = []
    for column in COLUMNS:
        key = column.key
        if key == "stt":
            values.append(None)  # numbered by the caller
        elif key == "organization":
            values.append(member.organization.name)
        elif key == "status":
            values.append(STATUS_VI.get(member.status, member.status))
        elif key == "sex":
            values.append(display_name(SEX_NAMES, member.sex))
        elif key == "political_theory":
            values.append(display_name(THEORY_NAMES, member.political_theory))
        else:
            value = getattr(member, key)
            if key in permissions.PERSONAL_DATA_FIELDS and not personal:
                value = permissions.mask(value)
            values.append(value)
    return values


def members_workbook(*, user, members: Iterable[Member]) -> tuple[bytes, int]:
    """The member list as an Excel workbook (the template's columns, so a cleaned export can be edited and
    re-imported elsewhere) and the number of members written. ``members`` must come from
    ``selectors.members_visible_to(user)`` (with ``organization`` selected)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    workbook.properties.creator = "PartyHub"
    sheet = workbook.create_sheet(DATA_SHEET)
    for index, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "C2"
    header = []
    for column in COLUMNS:
        cell = _text_cell(sheet, column.header)
        cell.font = Font(bold=True, color=HEADER_FONT)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        header.append(cell)
    sheet.append(header)
    count = 0
    for member in members:
        count += 1
        personal = permissions.can_view_personal_data(user, member)
        row = []
        for column, value in zip(COLUMNS, _member_row(member, personal=personal), strict=True):
            if column.key == "stt":
                row.append(count)
            elif isinstance(value, datetime.date):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = DATE_FORMAT
                row.append(cell)
            elif value is None or value == "":
                row.append(None)
            else:
                row.append(_text_cell(sheet, str(value)))
        sheet.append(row)
    return _workbook_bytes(workbook), count


def export_queryset(user, *, query: str = "", filters: Mapping | None = None, ordering: str = "") -> QuerySet:
    """The members of the list page (same search, filters and ordering), for the export."""
    member_list = getattr(selectors, "member_list", None)
    if member_list is not None:
        qs = member_list(user, query=query, filters=dict(filters or {}), ordering=ordering)
    else:  # pragma: no cover - the registry's list selector is part of the same issue
        qs = selectors.members_visible_to(user).order_by("organization__name", "full_name", "pk")
    return qs.select_related("organization")


def export_members(*, user, query: str = "", filters: Mapping | None = None, ordering: str = "") -> tuple[bytes, int]:
    """The Excel export of the member list for ``user``: bytes and count; recorded in the audit trail."""
    qs = export_queryset(user, query=query, filters=filters, ordering=ordering)
    data, count = members_workbook(user=user, members=qs.iterator(chunk_size=2000))
    audit.record(
        action="download",
        object_type="members.member",
        object_repr=f"Danh sách đảng viên ({count})",
        changes={
            "export": {
                "format": "xlsx",
                "count": count,
                "query": query,
                "filters": {k: str(v) for k, v in (filters or {}).items() if v not in (None, "")},
                "ordering": ordering,
            }
        },
    )
    return data, count


def export_filename(today: datetime.date | None = None) -> str:
    today = today or timezone.localdate()
    return f"Danh sách đảng viên {today:%d-%m-%Y}.xlsx"


# --- the profile PDF --------------------------------------------------------------------------------------


def profile_context(*, user, member: Member) -> dict:
    """What the profile sheet shows; personal data masked unless ``user`` may see them."""
    personal = permissions.can_view_personal_data(user, member)

    def private(value):
        return value if personal else permissions.mask(value)

    events = [
        e
        for e in member.status_events.select_related("to_organization", "from_organization").order_by(
            "effective_date", "id"
        )
        if e.voided_at is None
    ]
    positions = list(
        member.positions.select_related("organization", "title").order_by("start_date", "id")  # type: ignore[attr-defined]
    )
    with translation.override("vi"):
        kinds = {e.pk: str(e.get_kind_display()) for e in events}
    return {
        "member": member,
        "organization": member.organization,
        "personal_masked": not personal,
        "id_number": private(member.id_number),
        "phone": private(member.phone),
        "permanent_address": private(member.permanent_address),
        "current_address": private(member.current_address),
        "sex": display_name(SEX_NAMES, member.sex) if member.sex in Sex.values else "",
        "status": STATUS_VI.get(member.status, member.status),
        "activity": ACTIVITY_VI.get(member.activity, member.activity),
        "political_theory": display_name(THEORY_NAMES, member.political_theory)
        if member.political_theory in TheoryLevel.values
        else "",
        "events": [(e, kinds[e.pk]) for e in events],
        "work_history": list(member.work_history.all()),
        "family": list(member.family.all()),
        "awards": list(member.awards.all()),
        "badges": list(member.badges.all()),
        "assessments": list(member.assessments.all()) if hasattr(member, "assessments") else [],
        "positions": positions,
        "printed_on": timezone.localdate(),
        "printed_by": user,
    }


def member_profile_pdf(*, user, member: Member) -> bytes:
    """The profile of ``member`` as PDF for ``user`` (who must be allowed to view it); audited."""
    if not permissions.can_view_member(user, member):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    pdf = render_pdf("members/pdf/profile.html", profile_context(user=user, member=member), language="vi")
    audit.record(action="download", obj=member, changes={"export": {"format": "pdf", "document": "profile"}})
    return pdf


def profile_filename(member: Member) -> str:
    return f"Phiếu đảng viên - {member.full_name}.pdf"


__all__ = [
    "XLSX_CONTENT_TYPE",
    "export_members",
    "export_queryset",
    "import_template_workbook",
    "member_profile_pdf",
    "members_workbook",
    "profile_context",
    "safe_text",
]
