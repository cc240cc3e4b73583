"""Registering incoming documents: numbers, year boundary, voiding, rollback, metadata checks, the secret
register and the notification of the leaders (documents.services.registering)."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation

from documents.models import (
    Clearance,
    Confidentiality,
    DocumentType,
    HandlingEntry,
    HandlingKind,
    IncomingDocument,
    IncomingStatus,
    Register,
    RegisterCounter,
    RegisterKind,
    ResetPeriod,
    Urgency,
)
from documents.services.registering import (
    incoming_register,
    incoming_void,
    parse_number_symbol,
    period_for,
    register_for,
    register_next_number,
)
from partyhub.models import Notification
from tests.factories import TermFactory

from .factories import DocumentTypeFactory, IncomingDocumentFactory, RegisterFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("document_types")]
HCM = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def metadata(**overrides) -> dict:
    values = {
        "sender": "Tỉnh ủy An Giang",
        "number_symbol": "57-NQ/TU",
        "document_date": datetime.date(2026, 3, 1),
        "received_on": datetime.date(2026, 3, 2),
        "document_type": DocumentType.objects.get(name="Nghị quyết"),
        "summary": "Về đẩy mạnh chuyển đổi số trong các cơ quan Đảng",
        "signer_name": "Nguyễn Văn Thắng",
        "confidentiality": Confidentiality.NORMAL,
        "urgency": Urgency.NORMAL,
        "page_count": 4,
    }
    values.update(overrides)
    return values


@pytest.fixture
def draft(org_tree, clerk):
    def make(**fields):
        fields.setdefault("organization", org_tree["commune"])
        fields.setdefault("created_by", clerk)
        return IncomingDocumentFactory(**fields)

    return make


def at(year, month, day, hour=9):
    """A fixed "now" in Asia/Ho_Chi_Minh for timezone.now()/localdate()."""
    moment = datetime.datetime(year, month, day, hour, tzinfo=HCM)
    return lambda: moment


# --- numbers ----------------------------------------------------------------------------------------------


def test_numbers_run_from_one_per_register_and_period(org_tree):
    register = RegisterFactory(organization=org_tree["commune"])
    with transaction.atomic():
        assert [register_next_number(register=register, period="2026") for _ in range(3)] == [1, 2, 3]
        assert register_next_number(register=register, period="2027") == 1
    nq = DocumentTypeFactory(name="Nghị quyết")
    kh = DocumentTypeFactory(name="Kế hoạch")
    with transaction.atomic():  # per type (outgoing registers, issue 5)
        assert register_next_number(register=register, period="2026", document_type=nq) == 1
        assert register_next_number(register=register, period="2026", document_type=kh) == 1
        assert register_next_number(register=register, period="2026", document_type=nq) == 2
        assert register_next_number(register=register, period="2026") == 4
    assert RegisterCounter.objects.get(register=register, period="2026", document_type=None).last_number == 4


@pytest.mark.django_db(transaction=True)
def test_numbering_outside_a_transaction_is_refused(org_tree):
    register = RegisterFactory(organization=org_tree["commune"])
    with pytest.raises(transaction.TransactionManagementError):
        register_next_number(register=register, period="2026")
    assert not RegisterCounter.objects.exists()


def test_register_for_creates_once_with_reset_period_setting(org_tree):
    commune = org_tree["commune"]
    ordinary = register_for(commune, RegisterKind.INCOMING, False)
    assert register_for(commune, RegisterKind.INCOMING, False) == ordinary
    secret = register_for(commune, RegisterKind.INCOMING, True)
    assert secret != ordinary and secret.is_secret
    assert ordinary.reset_period == ResetPeriod.YEAR
    assert register_for(commune, RegisterKind.OUTGOING, False).reset_period == ResetPeriod.TERM
    assert period_for(ordinary, datetime.date(2026, 12, 31)) == "2026"
    ordinary.reset_period = ResetPeriod.NEVER
    assert period_for(ordinary, datetime.date(2026, 12, 31)) == "all"
    ordinary.reset_period = ResetPeriod.TERM
    with pytest.raises(ValidationError):
        period_for(ordinary, datetime.date(2026, 12, 31))
    term = TermFactory(organization=commune, start_date=datetime.date(2025, 9, 1))
    assert period_for(ordinary, datetime.date(2026, 12, 31)) == f"term-{term.pk}"


# --- registering ------------------------------------------------------------------------------------------


def test_register_gives_number_history_search_text_and_notifies_leader(draft, clerk, leader):
    document = draft()
    result = incoming_register(actor=clerk, document=document, **metadata())
    result.refresh_from_db()
    assert result.status == IncomingStatus.REGISTERED
    assert result.number == 1 and result.period == "2026"
    assert result.register.organization == result.organization and not result.register.is_secret
    assert result.registered_by == clerk and result.registered_at is not None
    assert result.document_type.name == "Nghị quyết" and result.page_count == 4
    assert "chuyen doi so" in result.search_text
    entry = HandlingEntry.objects.get(document=result)
    assert entry.kind == HandlingKind.REGISTERED and entry.actor == clerk
    notification = Notification.objects.get(recipient=leader)
    assert notification.title.startswith("Incoming document no. 1: Về đẩy mạnh")
    assert notification.url == f"/documents/incoming/{result.pk}/"
    assert not Notification.objects.filter(recipient=clerk).exists()

    second = incoming_register(actor=clerk, document=draft(), **metadata(number_symbol="58-NQ/TU"))
    assert second.number == 2


def test_urgent_notification_says_so_first(draft, clerk, leader):
    incoming_register(actor=clerk, document=draft(), **metadata(urgency=Urgency.FLASH))
    title = Notification.objects.get(recipient=leader).title
    assert title.startswith("Flash (Hỏa tốc) — present at once: Incoming document no. 1")


def test_already_registered_document_is_refused(draft, clerk):
    document = incoming_register(actor=clerk, document=draft(), **metadata())
    with pytest.raises(ValidationError) as error:
        incoming_register(actor=clerk, document=document, **metadata())
    assert error.value.messages == ["This document is already registered."]


def test_only_clerks_of_the_organization_may_register(draft, leader, outsider, handler):
    for user in (leader, outsider, handler):
        with pytest.raises(PermissionDenied):
            incoming_register(actor=user, document=draft(), **metadata())
    assert not IncomingDocument.objects.filter(number__isnull=False).exists()
    assert not RegisterCounter.objects.exists()


def test_year_boundary_restarts_at_one(draft, clerk, monkeypatch):
    monkeypatch.setattr(timezone, "now", at(2025, 12, 31, 16))
    dec = [
        incoming_register(
            actor=clerk,
            document=draft(),
            **metadata(received_on=datetime.date(2025, 12, 31), document_date=datetime.date(2025, 12, 30)),
        )
        for _ in range(2)
    ]
    assert [(d.period, d.number) for d in dec] == [("2025", 1), ("2025", 2)]
    monkeypatch.setattr(timezone, "now", at(2026, 1, 1, 8))
    jan = incoming_register(
        actor=clerk,
        document=draft(),
        **metadata(received_on=datetime.date(2026, 1, 1), document_date=datetime.date(2025, 12, 30)),
    )
    assert (jan.period, jan.number) == ("2026", 1)


def test_received_on_31_december_registered_on_2_january_goes_to_the_old_year(draft, clerk, monkeypatch):
    """The register is kept by date received: the entry belongs to the year the document arrived in."""
    monkeypatch.setattr(timezone, "now", at(2025, 12, 31, 10))
    incoming_register(
        actor=clerk,
        document=draft(),
        **metadata(received_on=datetime.date(2025, 12, 31), document_date=datetime.date(2025, 12, 29)),
    )
    monkeypatch.setattr(timezone, "now", at(2026, 1, 2, 8))
    new_year = incoming_register(
        actor=clerk,
        document=draft(),
        **metadata(received_on=datetime.date(2026, 1, 2), document_date=datetime.date(2026, 1, 2)),
    )
    late = incoming_register(
        actor=clerk,
        document=draft(),
        **metadata(received_on=datetime.date(2025, 12, 31), document_date=datetime.date(2025, 12, 30)),
    )
    assert (new_year.period, new_year.number) == ("2026", 1)
    assert (late.period, late.number) == ("2025", 2)
    assert late.registered_at.astimezone(HCM).date() == datetime.date(2026, 1, 2)


def test_local_date_decides_the_period_not_utc(draft, clerk, monkeypatch):
    # 31/12/2025 20:00 UTC is already 01/01/2026 03:00 in Asia/Ho_Chi_Minh: "today" is the 1st.
    moment = datetime.datetime(2025, 12, 31, 20, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    document = incoming_register(
        actor=clerk,
        document=draft(),
        **metadata(received_on=datetime.date(2026, 1, 1), document_date=datetime.date(2025, 12, 31)),
    )
    assert document.period == "2026"


def test_failure_rolls_back_and_leaves_no_gap(draft, clerk, monkeypatch):
    import documents.search

    def broken(document):
        raise RuntimeError("search index down")

    document = draft()
    monkeypatch.setattr(documents.search, "refresh_search_text", broken)
    with pytest.raises(RuntimeError):
        incoming_register(actor=clerk, document=document, **metadata())
    document.refresh_from_db()
    assert document.status == IncomingStatus.DRAFT and document.number is None
    assert not HandlingEntry.objects.filter(document=document).exists()
    assert not RegisterCounter.objects.filter(last_number__gt=0).exists()
    monkeypatch.undo()
    assert incoming_register(actor=clerk, document=document, **metadata()).number == 1


def test_bad_metadata_rolls_back_too(draft, clerk):
    first = incoming_register(actor=clerk, document=draft(), **metadata())
    with pytest.raises(ValidationError):
        incoming_register(actor=clerk, document=draft(), **metadata(summary=""))
    assert incoming_register(actor=clerk, document=draft(), **metadata()).number == first.number + 1


# --- metadata checks --------------------------------------------------------------------------------------

TODAY = datetime.date(2026, 3, 10)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"sender": "  "}, "sender", "Enter the sender."),
        ({"sender": "x" * 301}, "sender", "At most 300 characters (it has 301)."),
        ({"number_symbol": ""}, "number_symbol", "Enter the number and symbol, e.g. 57-NQ/TW."),
        *[
            (
                {"number_symbol": bad},
                "number_symbol",
                "Write the number and symbol in the party form (57-NQ/TW) or in the state form (12/QĐ-UBND), "
                "without mixing the two.",
            )
            for bad in ("57-NQ-TU", "12/QĐ/UBND", "57/NQ/TW", "NQ-57/TU", "57 NQ TU", "57-NQ/")
        ],
        ({"document_date": None}, "document_date", "Enter the date of the document."),
        (
            {"document_date": datetime.date(2026, 3, 11), "received_on": datetime.date(2026, 3, 10)},
            "document_date",
            "The date of the document cannot be in the future.",
        ),
        (
            {"document_date": datetime.date(2026, 3, 5), "received_on": datetime.date(2026, 3, 4)},
            "document_date",
            "The date of the document cannot be after the date it was received.",
        ),
        ({"received_on": datetime.date(2026, 3, 11)}, "received_on", "The date received cannot be in the future."),
        ({"received_on": "31/02/2026"}, "received_on", "Enter a valid date (dd/mm/yyyy)."),
        ({"document_type": None}, "document_type", "Choose the type of the document."),
        ({"document_type": 999999}, "document_type", "This document type does not exist."),
        ({"number_symbol": "12-KH/TU"}, "document_type", "The symbol KH is that of another type than Nghị quyết."),
        ({"summary": " \n "}, "summary", "Enter the summary (trích yếu)."),
        ({"confidentiality": "secret"}, "confidentiality", "Choose a confidentiality level from the list."),
        ({"urgency": "asap"}, "urgency", "Choose an urgency from the list."),
        ({"page_count": 0}, "page_count", "The number of pages must be at least 1."),
        ({"page_count": None}, "page_count", "Enter the number of pages."),
    ],
)
def test_bad_metadata_is_refused_with_its_message(draft, clerk, monkeypatch, overrides, field, message):
    monkeypatch.setattr(timezone, "now", at(TODAY.year, TODAY.month, TODAY.day))
    document = draft()
    with pytest.raises(ValidationError) as error:
        incoming_register(actor=clerk, document=document, **metadata(**overrides))
    assert error.value.message_dict == {field: [message]}
    document.refresh_from_db()
    assert document.status == IncomingStatus.DRAFT and document.number is None
    assert not RegisterCounter.objects.filter(last_number__gt=0).exists()


def test_both_forms_are_accepted_and_normalized(draft, clerk):
    party = incoming_register(actor=clerk, document=draft(), **metadata(number_symbol="Số 05 - NQ/ĐU"))
    assert party.number_symbol == "05-NQ/ĐU"
    state = incoming_register(
        actor=clerk,
        document=draft(),
        **metadata(number_symbol="Số: 12/QĐ-UBND", document_type=DocumentType.objects.get(name="Quyết định")),
    )
    assert state.number_symbol == "12/QĐ-UBND"
    letter = incoming_register(  # a state công văn: the issuer stands where the type would be
        actor=clerk,
        document=draft(),
        **metadata(number_symbol="45/UBND-VP", document_type=DocumentType.objects.get(name="Công văn")),
    )
    assert letter.number == 3


def test_parse_number_symbol_forms():
    assert parse_number_symbol("57-NQ/TW").form == "party"
    assert parse_number_symbol("02-CTr/ĐU").abbreviation == "CTr"
    decree = parse_number_symbol("123/2026/NĐ-CP")
    assert (decree.form, decree.number, decree.abbreviation, decree.issuer) == ("state", 123, "NĐ", "CP")
    assert parse_number_symbol("57-NQ/TW/UBND") is None
    assert parse_number_symbol("") is None


def test_party_organization_in_partyhub_must_use_party_form(draft, clerk, org_tree):
    with pytest.raises(ValidationError) as error:
        incoming_register(
            actor=clerk,
            document=draft(),
            **metadata(sender_organization=org_tree["cell_a"], number_symbol="12/NQ-CB"),
        )
    assert error.value.message_dict == {
        "number_symbol": ["A party organization numbers its documents in the party form, e.g. 05-NQ/ĐU."]
    }


def test_every_problem_is_reported_at_once(draft, clerk):
    with pytest.raises(ValidationError) as error:
        incoming_register(actor=clerk, document=draft(), **metadata(sender="", summary="", page_count=-1))
    assert set(error.value.message_dict) == {"sender", "summary", "page_count"}


# --- the secret register ----------------------------------------------------------------------------------


def test_classified_documents_go_to_the_secret_register(draft, clerk, leader, admin_user):
    Clearance.objects.create(user=clerk, level=Confidentiality.TOP_SECRET, valid_from=datetime.date(2026, 1, 1))
    ordinary = incoming_register(actor=clerk, document=draft(), **metadata())
    secret = incoming_register(
        actor=clerk, document=draft(), **metadata(confidentiality=Confidentiality.TOP_SECRET, number_symbol="06-NQ/TU")
    )
    secret2 = incoming_register(
        actor=clerk, document=draft(), **metadata(confidentiality=Confidentiality.SECRET, number_symbol="07-NQ/TU")
    )
    ordinary2 = incoming_register(actor=clerk, document=draft(), **metadata())
    assert secret.register.is_secret and not ordinary.register.is_secret
    assert secret.register != ordinary.register
    assert [ordinary.number, ordinary2.number] == [1, 2]
    assert [secret.number, secret2.number] == [1, 2]
    assert Register.objects.filter(organization=ordinary.organization, kind="incoming").count() == 2
    # The leader is not cleared: not told about the classified ones (they could not open them).
    assert Notification.objects.filter(recipient=leader).count() == 2


def test_classified_notification_keeps_the_summary_out(draft, clerk, leader):
    for user in (clerk, leader):
        Clearance.objects.create(user=user, level=Confidentiality.SECRET, valid_from=datetime.date(2026, 1, 1))
    incoming_register(actor=clerk, document=draft(), **metadata(confidentiality=Confidentiality.SECRET))
    notification = Notification.objects.get(recipient=leader)
    assert notification.title == "Classified incoming document no. 1 (Secret (Mật)) was registered"
    assert "chuyển đổi" not in notification.title + notification.body


def test_classified_registration_needs_a_cleared_clerk(draft, clerk):
    with pytest.raises(ValidationError) as error:
        incoming_register(actor=clerk, document=draft(), **metadata(confidentiality=Confidentiality.SECRET))
    assert error.value.message_dict == {
        "confidentiality": ["You are not cleared for documents of this level: a cleared clerk must register it."]
    }


# --- voiding ----------------------------------------------------------------------------------------------


def test_void_keeps_the_number_and_the_next_continues(draft, clerk):
    first = incoming_register(actor=clerk, document=draft(), **metadata())
    second = incoming_register(actor=clerk, document=draft(), **metadata())
    voided = incoming_void(actor=clerk, document=second, reason="  Đăng ký nhầm:   trùng với số 1 ")
    voided.refresh_from_db()
    assert voided.status == IncomingStatus.VOID and voided.number == 2
    assert voided.void_reason == "Đăng ký nhầm: trùng với số 1" and voided.voided_at is not None
    assert HandlingEntry.objects.filter(document=voided, kind=HandlingKind.VOIDED).exists()
    third = incoming_register(actor=clerk, document=draft(), **metadata())
    assert third.number == 3
    assert IncomingDocument.objects.filter(register=first.register).count() == 3  # nothing deleted

    with pytest.raises(ValidationError) as error:
        incoming_void(actor=clerk, document=voided, reason="again")
    assert error.value.messages == ["This entry is already void."]


def test_void_needs_a_reason_and_a_registered_entry(draft, clerk, leader):
    document = incoming_register(actor=clerk, document=draft(), **metadata())
    with pytest.raises(ValidationError) as error:
        incoming_void(actor=clerk, document=document, reason="   ")
    assert error.value.message_dict == {"reason": ["Give the reason for voiding this entry."]}
    with pytest.raises(ValidationError) as error:
        incoming_void(actor=clerk, document=draft(), reason="nhầm")
    assert error.value.messages == ["Only a registered entry can be voided."]
    with pytest.raises(PermissionDenied):
        incoming_void(actor=leader, document=document, reason="nhầm")
    document.refresh_from_db()
    assert document.status == IncomingStatus.REGISTERED
