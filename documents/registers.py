"""The incoming register (sổ đăng ký văn bản đến) for a period, on screen, as a printable PDF (A4 landscape)
and as Excel — the columns of domain.md §3:

date received · số đến · sender · number and symbol · document date · type and summary · handling
unit/person · signature of receipt (left empty, signed on paper) · deadline · notes.

Voided entries keep their row, struck through, with the reason in the notes. Entries come from
``selectors.incoming_visible_to(user)``, so a classified entry the user is not cleared for is never shown —
the count of such entries is given instead, so a printed register never hides a gap silently. Downloads are
audited. A constant number of queries whatever the number of entries.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from members.exports import DATE_FORMAT, FORMULA_TRIGGERS, safe_text
from members.models import Organization
from partyhub import audit
from partyhub.pdf import render_pdf

from .models import (
    Assignment,
    AssignmentRole,
    Directive,
    IncomingDocument,
    IncomingStatus,
    Register,
    RegisterKind,
)
from .selectors import document_access_for, incoming_visible_to

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: The columns, in Vietnamese: the register is an official book whatever the reader's UI language.
COLUMNS = (
    ("received_on", "Ngày đến", 12),
    ("number", "Số đến", 8),
    ("sender", "Tác giả (nơi gửi)", 28),
    ("number_symbol", "Số, ký hiệu", 16),
    ("document_date", "Ngày tháng văn bản", 12),
    ("type_summary", "Tên loại và trích yếu nội dung", 48),
    ("handler", "Đơn vị hoặc người nhận", 26),
    ("signature", "Ký nhận", 12),
    ("deadline", "Hạn giải quyết", 12),
    ("notes", "Ghi chú", 30),
)


@dataclass
class RegisterRow:
    document: IncomingDocument
    received_on: datetime.date
    number: int
    sender: str
    number_symbol: str
    document_date: datetime.date | None
    type_name: str
    summary: str
    handler: str
    deadline: datetime.date | None
    notes: str
    void: bool

    @property
    def type_summary(self) -> str:
        return f"{self.type_name}: {self.summary}" if self.type_name else self.summary


@dataclass
class RegisterExtract:
    register: Register
    date_from: datetime.date
    date_to: datetime.date
    rows: list[RegisterRow]
    hidden: int  # entries of the period the user is not cleared for

    @property
    def voided(self) -> int:
        return sum(1 for row in self.rows if row.void)


def registers_visible_to(user) -> QuerySet[Register]:
    """Incoming registers ``user`` may print: those of the organizations whose documents they see as clerk or
    leader (or cell secretary); the secret ones only with a clearance. Admins: all (secret ones still need a
    clearance)."""
    facts = document_access_for(user)
    if not facts.authenticated:
        return Register.objects.none()
    qs = Register.objects.filter(kind=RegisterKind.INCOMING).select_related("organization")
    if not facts.is_admin:
        qs = qs.filter(organization_id__in=sorted(facts.office_org_ids | facts.cell_org_ids))
    if not facts.cleared_levels:
        qs = qs.filter(is_secret=False)
    return qs.order_by("organization__name", "is_secret")


def organizations_with_registers(user) -> QuerySet[Organization]:
    return Organization.objects.filter(pk__in=registers_visible_to(user).values("organization_id")).order_by("name")


def _handler_text(document: IncomingDocument) -> str:
    directives = list(document.directives.all())  # prefetched: the current one only
    if not directives:
        return ""
    people = list(directives[0].assignments.all())
    lead = [a.user for a in people if a.role == AssignmentRole.LEAD]
    cooperating = [a.user for a in people if a.role == AssignmentRole.COOPERATE]
    parts = [_name(u) for u in lead]
    if cooperating:
        parts.append("Phối hợp: " + ", ".join(_name(u) for u in cooperating))
    return "; ".join(parts)


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def _deadline(document: IncomingDocument) -> datetime.date | None:
    directives = list(document.directives.all())
    if directives and directives[0].deadline:
        return directives[0].deadline
    return document.deadline


def register_extract(user, *, register: Register, date_from: datetime.date, date_to: datetime.date) -> RegisterExtract:
    """The entries of ``register`` received from ``date_from`` to ``date_to`` (inclusive) that ``user`` may
    see, in register order (period, number). Four queries."""
    entries = IncomingDocument.objects.filter(
        register=register, number__isnull=False, received_on__gte=date_from, received_on__lte=date_to
    ).order_by("period", "number")
    visible = (
        incoming_visible_to(user)
        .filter(pk__in=entries.values("pk"))
        .select_related("document_type")
        .prefetch_related(
            Prefetch(
                "directives",
                queryset=Directive.objects.filter(superseded_at__isnull=True).prefetch_related(
                    Prefetch("assignments", queryset=Assignment.objects.select_related("user").order_by("role", "id"))
                ),
            )
        )
        .order_by("period", "number")
    )
    rows = []
    for document in visible:
        void = document.status == IncomingStatus.VOID
        notes = document.notes
        if void:
            notes = f"Đã hủy: {document.void_reason}" + (f" — {notes}" if notes else "")
        rows.append(
            RegisterRow(
                document=document,
                received_on=document.received_on,
                number=document.number,
                sender=document.sender,
                number_symbol=document.number_symbol,
                document_date=document.document_date,
                type_name=document.document_type.name if document.document_type else "",
                summary=document.summary,
                handler=_handler_text(document),
                deadline=_deadline(document),
                notes=notes,
                void=void,
            )
        )
    hidden = entries.count() - len(rows)
    return RegisterExtract(register=register, date_from=date_from, date_to=date_to, rows=rows, hidden=hidden)


def _audit(user, extract: RegisterExtract, fmt: str) -> None:
    audit.record(
        action="download",
        obj=extract.register,
        actor=user,
        changes={
            "export": {
                "format": fmt,
                "from": extract.date_from.isoformat(),
                "to": extract.date_to.isoformat(),
                "entries": len(extract.rows),
            }
        },
    )


def register_title(extract: RegisterExtract) -> str:
    kind = "SỔ ĐĂNG KÝ VĂN BẢN MẬT ĐẾN" if extract.register.is_secret else "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN"
    return kind


def register_pdf(user, extract: RegisterExtract) -> bytes:
    """The register as PDF (A4 landscape, Liberation Serif), in Vietnamese; the download is audited."""
    pdf = render_pdf(
        "documents/registers/incoming_pdf.html",
        {
            "extract": extract,
            "title": register_title(extract),
            "organization": extract.register.organization,
            "columns": COLUMNS,
            "printed_at": timezone.localtime(),
        },
        language="vi",
    )
    _audit(user, extract, "pdf")
    return pdf


def _text_cell(sheet, value: str, *, void: bool = False):
    """Text that can never become a formula: explicit string type, quote prefix when it starts like one
    (the rule of ``members.exports``)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    text = safe_text(value)
    cell = WriteOnlyCell(sheet)
    cell.value = text
    cell.data_type = "s"
    if text.startswith(FORMULA_TRIGGERS):
        cell.quotePrefix = True
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    if void:
        cell.font = Font(strike=True)
    return cell


def register_workbook(user, extract: RegisterExtract) -> bytes:
    """The register as an Excel workbook (one row per entry, the columns of the paper book); audited."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    workbook.properties.creator = "PartyHub"
    workbook.properties.title = register_title(extract)
    sheet = workbook.create_sheet("Sổ văn bản đến")
    for index, (_key, _header, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A4"
    title = _text_cell(sheet, f"{register_title(extract)} — {extract.register.organization.name}")
    title.font = Font(bold=True, size=14)
    sheet.append([title])
    period = _text_cell(sheet, f"Từ ngày {extract.date_from:%d/%m/%Y} đến ngày {extract.date_to:%d/%m/%Y}")
    sheet.append([period])
    header = []
    for _key, text, _width in COLUMNS:
        cell = _text_cell(sheet, text)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="C8102E")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        header.append(cell)
    sheet.append(header)

    def date_cell(value, void):
        if value is None:
            return None
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        if void:
            cell.font = Font(strike=True)
        return cell

    for row in extract.rows:
        number = WriteOnlyCell(sheet, value=row.number)
        if row.void:
            number.font = Font(strike=True)
        values = {
            "received_on": date_cell(row.received_on, row.void),
            "number": number,
            "sender": _text_cell(sheet, row.sender, void=row.void),
            "number_symbol": _text_cell(sheet, row.number_symbol, void=row.void),
            "document_date": date_cell(row.document_date, row.void),
            "type_summary": _text_cell(sheet, row.type_summary, void=row.void),
            "handler": _text_cell(sheet, row.handler, void=row.void) if row.handler else None,
            "signature": None,
            "deadline": date_cell(row.deadline, row.void),
            "notes": _text_cell(sheet, row.notes) if row.notes else None,
        }
        sheet.append([values[key] for key, _text, _width in COLUMNS])
    if extract.hidden:
        sheet.append([_text_cell(sheet, f"Không hiển thị {extract.hidden} văn bản mật (không có quyền xem).")])
    buffer = io.BytesIO()
    workbook.save(buffer)
    _audit(user, extract, "xlsx")
    return buffer.getvalue()


def register_filename(extract: RegisterExtract, extension: str) -> str:
    kind = "Sổ văn bản mật đến" if extract.register.is_secret else "Sổ văn bản đến"
    return f"{kind} {extract.date_from:%d-%m-%Y} - {extract.date_to:%d-%m-%Y}.{extension}"
