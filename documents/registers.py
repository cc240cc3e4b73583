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


# =====================================================================================================
# Outgoing documents
# =====================================================================================================
# The outgoing register (sổ đăng ký văn bản đi) for a period — the columns of domain.md §3:
#
# number and symbol · date · type and summary · signer · recipients · unit keeping the file copy · number of
# copies · notes.
#
# Entries are the issued documents whose entry is in the register (classified ones sit in the SECRET register,
# numbered in the sequence of their type in the ordinary one), in the order they were issued. A recalled
# document keeps its row, struck through, with the reason in the notes. Entries come from
# ``selectors.outgoing_visible_to(user)``; a classified entry the user is not cleared for is counted, not shown.

#: The columns of the outgoing register, in Vietnamese (the official book).
OUTGOING_COLUMNS = (
    ("number_symbol", "Số, ký hiệu văn bản", 16),
    ("issued_on", "Ngày tháng văn bản", 12),
    ("type_summary", "Tên loại và trích yếu nội dung văn bản", 48),
    ("signer", "Người ký", 22),
    ("recipients", "Nơi nhận văn bản", 34),
    ("file_copy_unit", "Đơn vị, người nhận bản lưu", 22),
    ("copies", "Số lượng bản", 8),
    ("notes", "Ghi chú", 28),
)


@dataclass
class OutgoingRegisterRow:
    document: object
    number: int
    number_symbol: str
    issued_on: datetime.date
    type_name: str
    summary: str
    signer: str
    recipients: str
    file_copy_unit: str
    copies: int | None
    notes: str
    recalled: bool

    @property
    def type_summary(self) -> str:
        return f"{self.type_name}: {self.summary}" if self.type_name else self.summary

    @property
    def void(self) -> bool:  # the incoming register's name for a struck-through row
        return self.recalled


@dataclass
class OutgoingRegisterExtract:
    register: Register
    date_from: datetime.date
    date_to: datetime.date
    rows: list[OutgoingRegisterRow]
    hidden: int

    @property
    def recalled(self) -> int:
        return sum(1 for row in self.rows if row.recalled)


def outgoing_registers_visible_to(user) -> QuerySet[Register]:
    """Outgoing registers ``user`` may print: those of the organizations whose outgoing documents they see as
    office (clerk, leader, handler) or cell secretary; the secret ones only with a clearance. Admins: all
    (secret ones still need a clearance)."""
    from .selectors import outgoing_access_for

    facts = outgoing_access_for(user)
    if not facts.authenticated:
        return Register.objects.none()
    qs = Register.objects.filter(kind=RegisterKind.OUTGOING).select_related("organization")
    if not facts.is_admin:
        qs = qs.filter(organization_id__in=sorted(facts.office_org_ids))
    if not facts.cleared_levels:
        qs = qs.filter(is_secret=False)
    return qs.order_by("organization__name", "is_secret")


def organizations_with_outgoing_registers(user) -> QuerySet[Organization]:
    return Organization.objects.filter(pk__in=outgoing_registers_visible_to(user).values("organization_id")).order_by(
        "name"
    )


def _recipients_text(document) -> str:
    names = [r.name for r in document.recipients.all()]  # prefetched, in order
    return "; ".join(names)


def outgoing_register_extract(
    user, *, register: Register, date_from: datetime.date, date_to: datetime.date
) -> OutgoingRegisterExtract:
    """The entries of the outgoing ``register`` issued from ``date_from`` to ``date_to`` (inclusive) that
    ``user`` may see, in the order they were issued. Four queries whatever the number of entries."""
    from .models import OutgoingDocument, OutgoingRecipient, OutgoingStatus
    from .selectors import outgoing_visible_to

    entries = OutgoingDocument.objects.filter(
        register=register, number__isnull=False, issued_on__gte=date_from, issued_on__lte=date_to
    )
    visible = (
        outgoing_visible_to(user)
        .filter(pk__in=entries.values("pk"))
        .select_related("document_type", "corrects")
        .prefetch_related(Prefetch("recipients", queryset=OutgoingRecipient.objects.order_by("order", "id")))
        .order_by("issued_on", "issued_at", "id")
    )
    rows = []
    for document in visible:
        recalled = document.status == OutgoingStatus.RECALLED
        notes = document.notes
        if recalled:
            notes = f"Đã thu hồi: {document.recall_reason}" + (f" — {notes}" if notes else "")
        if document.corrects_id:
            corrected = document.corrects.number_symbol if document.corrects else ""
            notes = f"Thay thế/đính chính {corrected}" + (f" — {notes}" if notes else "")
        rows.append(
            OutgoingRegisterRow(
                document=document,
                number=document.number,
                number_symbol=document.number_symbol,
                issued_on=document.issued_on,
                type_name=document.document_type.name,
                summary=document.summary,
                signer=document.signer_name,
                recipients=_recipients_text(document),
                file_copy_unit=document.file_copy_unit,
                copies=document.copies,
                notes=notes,
                recalled=recalled,
            )
        )
    hidden = entries.count() - len(rows)
    return OutgoingRegisterExtract(register=register, date_from=date_from, date_to=date_to, rows=rows, hidden=hidden)


def _audit_outgoing(user, extract: OutgoingRegisterExtract, fmt: str) -> None:
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


def outgoing_register_title(extract: OutgoingRegisterExtract) -> str:
    return "SỔ ĐĂNG KÝ VĂN BẢN MẬT ĐI" if extract.register.is_secret else "SỔ ĐĂNG KÝ VĂN BẢN ĐI"


def outgoing_register_pdf(user, extract: OutgoingRegisterExtract) -> bytes:
    """The outgoing register as PDF (A4 landscape), in Vietnamese; the download is audited."""
    pdf = render_pdf(
        "documents/registers/outgoing_pdf.html",
        {
            "extract": extract,
            "title": outgoing_register_title(extract),
            "organization": extract.register.organization,
            "columns": OUTGOING_COLUMNS,
            "printed_at": timezone.localtime(),
        },
        language="vi",
    )
    _audit_outgoing(user, extract, "pdf")
    return pdf


def outgoing_register_workbook(user, extract: OutgoingRegisterExtract) -> bytes:
    """The outgoing register as an Excel workbook (formula-safe text cells, real dates); audited."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    workbook.properties.creator = "PartyHub"
    workbook.properties.title = outgoing_register_title(extract)
    sheet = workbook.create_sheet("Sổ văn bản đi")
    for index, (_key, _header, width) in enumerate(OUTGOING_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A4"
    title = _text_cell(sheet, f"{outgoing_register_title(extract)} — {extract.register.organization.name}")
    title.font = Font(bold=True, size=14)
    sheet.append([title])
    sheet.append([_text_cell(sheet, f"Từ ngày {extract.date_from:%d/%m/%Y} đến ngày {extract.date_to:%d/%m/%Y}")])
    header = []
    for _key, text, _width in OUTGOING_COLUMNS:
        cell = _text_cell(sheet, text)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="C8102E")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        header.append(cell)
    sheet.append(header)
    for row in extract.rows:
        issued = WriteOnlyCell(sheet, value=row.issued_on)
        issued.number_format = DATE_FORMAT
        copies = WriteOnlyCell(sheet, value=row.copies) if row.copies is not None else None
        if row.recalled:
            issued.font = Font(strike=True)
            if copies is not None:
                copies.font = Font(strike=True)
        values = {
            "number_symbol": _text_cell(sheet, row.number_symbol, void=row.recalled),
            "issued_on": issued,
            "type_summary": _text_cell(sheet, row.type_summary, void=row.recalled),
            "signer": _text_cell(sheet, row.signer, void=row.recalled) if row.signer else None,
            "recipients": _text_cell(sheet, row.recipients, void=row.recalled) if row.recipients else None,
            "file_copy_unit": _text_cell(sheet, row.file_copy_unit, void=row.recalled) if row.file_copy_unit else None,
            "copies": copies,
            "notes": _text_cell(sheet, row.notes) if row.notes else None,
        }
        sheet.append([values[key] for key, _text, _width in OUTGOING_COLUMNS])
    if extract.hidden:
        sheet.append([_text_cell(sheet, f"Không hiển thị {extract.hidden} văn bản mật (không có quyền xem).")])
    buffer = io.BytesIO()
    workbook.save(buffer)
    _audit_outgoing(user, extract, "xlsx")
    return buffer.getvalue()


def outgoing_register_filename(extract: OutgoingRegisterExtract, extension: str) -> str:
    kind = "Sổ văn bản mật đi" if extract.register.is_secret else "Sổ văn bản đi"
    return f"{kind} {extract.date_from:%d-%m-%Y} - {extract.date_to:%d-%m-%Y}.{extension}"
