"""Directing and handling incoming documents: the workflow, its forbidden transitions, notifications and the
daily deadline reminders (documents.services.handling)."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfWriter

from documents.models import (
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    Directive,
    DocumentFile,
    FileRole,
    HandlingEntry,
    HandlingKind,
    IncomingStatus,
    Urgency,
)
from documents.services.handling import (
    assignment_done,
    assignment_progress,
    can_reopen,
    incoming_close,
    incoming_direct,
    incoming_reopen,
    remind_deadlines,
)
from partyhub.models import Notification
from tests.factories import MemberFactory, PositionFactory, PositionTitleFactory, UserFactory

from .factories import ClearanceFactory, IncomingDocumentFactory, registered_incoming

TODAY = datetime.date(2026, 3, 10)


@pytest.fixture(autouse=True)
def private_dir(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private")},
        },
    }
    return tmp_path / "private"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def _staff(username, organization, title="Chuyên viên", **flags):
    user = UserFactory(username=username, preferred_language="en")
    member = MemberFactory(full_name=user.full_name, organization=organization, user=user)
    PositionFactory(
        member=member,
        organization=organization,
        title=PositionTitleFactory(name=f"{title} {username}", **flags),
        start_date=datetime.date(2025, 9, 1),
    )
    return user


@pytest.fixture
def people(org_tree, leader, clerk, handler):
    for user in (leader, clerk, handler):
        user.preferred_language = "en"
        user.save(update_fields=["preferred_language"])
    co = _staff("cohandler", org_tree["office"], grants_handler=True)
    reader = _staff("reader", org_tree["standing"], "Ủy viên", grants_delegate=True)
    return {"leader": leader, "clerk": clerk, "lead": handler, "co": co, "reader": reader}


@pytest.fixture
def document(org_tree):
    return registered_incoming(org_tree["commune"], number_symbol="57-NQ/TW", summary="Về chuyển đổi số")


def _direct(document, people, **kwargs):
    kwargs.setdefault("cooperating", [people["co"]])
    kwargs.setdefault("informed", [people["reader"]])
    kwargs.setdefault("deadline", timezone.localdate() + datetime.timedelta(days=7))
    kwargs.setdefault("instructions", "Tham mưu kế hoạch thực hiện.")
    return incoming_direct(actor=people["leader"], document=document, lead=people["lead"], **kwargs)


def _pdf_upload(name="Dự thảo kế hoạch.pdf") -> SimpleUploadedFile:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


def _assignment(document, user) -> Assignment:
    return Assignment.objects.get(directive__document=document, directive__superseded_at__isnull=True, user=user)


def _titles(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).order_by("id").values_list("title", flat=True))


# --- directing -------------------------------------------------------------------------------------------------


def test_directive_names_lead_cooperating_informed_and_notifies_them(document, people):
    directive = _direct(document, people)

    document.refresh_from_db()
    assert document.status == IncomingStatus.IN_PROGRESS
    assert document.deadline == directive.deadline
    roles = {a.user_id: a.role for a in directive.assignments.all()}
    assert roles == {
        people["lead"].pk: AssignmentRole.LEAD,
        people["co"].pk: AssignmentRole.COOPERATE,
        people["reader"].pk: AssignmentRole.INFORM,
    }
    entry = HandlingEntry.objects.get(document=document)
    assert entry.kind == HandlingKind.DIRECTED and entry.actor == people["leader"]
    assert "Tham mưu kế hoạch thực hiện." in entry.text
    assert people["lead"].full_name in entry.text

    assert _titles(people["lead"]) == ["You lead the handling of incoming no. 1 (57-NQ/TW)"]
    assert _titles(people["co"]) == ["You are to co-operate on incoming no. 1 (57-NQ/TW)"]
    assert _titles(people["reader"]) == ["For your information: incoming no. 1 (57-NQ/TW)"]
    assert _titles(people["leader"]) == []  # the actor is not notified of their own action
    note = Notification.objects.get(recipient=people["lead"])
    assert note.url == reverse("documents:detail", args=[document.pk])
    assert directive.deadline.strftime("%d/%m/%Y") in note.body


def test_urgent_documents_say_so_first(document, people):
    document.urgency = Urgency.FLASH
    document.save()
    _direct(document, people)
    title = _titles(people["lead"])[0]
    assert title.startswith("Flash (Hỏa tốc): You lead the handling")


@pytest.mark.parametrize("status", [IncomingStatus.DRAFT, IncomingStatus.VOID, IncomingStatus.DONE])
def test_only_registered_or_handled_documents_can_be_directed(org_tree, people, status):
    document = (
        IncomingDocumentFactory(organization=org_tree["commune"])
        if status == IncomingStatus.DRAFT
        else registered_incoming(org_tree["commune"], status=status)
    )
    with pytest.raises(ValidationError) as exc:
        _direct(document, people)
    assert "Only a registered document" in str(exc.value)
    assert not Directive.objects.filter(document=document).exists()
    assert not Notification.objects.exists()


def test_only_a_leader_of_the_receiving_organization_directs(document, people, outsider):
    with pytest.raises(PermissionDenied):
        incoming_direct(actor=people["clerk"], document=document, lead=people["lead"])
    with pytest.raises(PermissionDenied):
        incoming_direct(actor=outsider, document=document, lead=people["lead"])
    assert not Directive.objects.exists()
    document.refresh_from_db()
    assert document.status == IncomingStatus.REGISTERED


def test_exactly_one_lead_and_nobody_twice(document, people):
    with pytest.raises(ValidationError) as exc:
        _direct(document, people, cooperating=[people["lead"]])
    assert exc.value.message_dict["lead"] == ["The lead handler cannot also be co-operating or for information."]
    with pytest.raises(ValidationError) as exc:
        _direct(document, people, cooperating=[people["co"]], informed=[people["co"]])
    assert "informed" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        incoming_direct(actor=people["leader"], document=document, lead=None)
    assert exc.value.message_dict["lead"] == ["Choose the lead handler."]
    assert not Directive.objects.exists()

    # The database refuses a second lead in one directive, whatever the code does.
    directive = _direct(document, people)
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(directive=directive, user=people["clerk"], role=AssignmentRole.LEAD)


def test_deadline_not_in_the_past_and_people_must_belong_to_the_commune(document, people, outsider):
    with pytest.raises(ValidationError) as exc:
        _direct(document, people, deadline=timezone.localdate() - datetime.timedelta(days=1))
    assert exc.value.message_dict["deadline"] == ["The deadline cannot be in the past."]
    with pytest.raises(ValidationError) as exc:
        _direct(document, people, informed=[outsider])
    assert "cannot be named on this document" in exc.value.message_dict["__all__"][0]
    assert outsider.full_name in exc.value.message_dict["__all__"][0]
    assert not Directive.objects.exists()


def test_classified_documents_only_name_cleared_people(org_tree, people):
    document = registered_incoming(org_tree["commune"], confidentiality="mat")
    ClearanceFactory(user=people["leader"], level="toi_mat")
    with pytest.raises(ValidationError):
        _direct(document, people, cooperating=[], informed=[])
    ClearanceFactory(user=people["lead"], level="mat")
    directive = _direct(document, people, cooperating=[], informed=[])
    assert directive.assignments.get().user == people["lead"]


def test_a_new_directive_supersedes_the_current_one_and_keeps_history(document, people):
    first = _direct(document, people)
    second = incoming_direct(
        actor=people["leader"], document=document, lead=people["co"], instructions="Đổi người chủ trì."
    )
    first.refresh_from_db()
    assert first.superseded_at is not None
    assert Directive.objects.filter(document=document, superseded_at__isnull=True).get() == second
    assert HandlingEntry.objects.filter(document=document, kind=HandlingKind.DIRECTED).count() == 2
    # The lead and the reader are no longer named: they are told; the new lead is told they lead.
    assert _titles(people["lead"])[-1] == "A new directive on incoming no. 1 (57-NQ/TW) no longer names you"
    assert _titles(people["reader"])[-1] == "A new directive on incoming no. 1 (57-NQ/TW) no longer names you"
    assert _titles(people["co"])[-1] == "You lead the handling of incoming no. 1 (57-NQ/TW)"
    document.refresh_from_db()
    assert second.deadline is None
    assert document.deadline == first.deadline  # a directive without a deadline keeps the one noted before


# --- handling --------------------------------------------------------------------------------------------------


def test_progress_with_a_working_file(document, people):
    _direct(document, people)
    lead = _assignment(document, people["lead"])
    Notification.objects.all().delete()

    entry = assignment_progress(
        actor=people["lead"], assignment=lead, text="Đã xin ý kiến các ban.", file=_pdf_upload()
    )

    lead.refresh_from_db()
    assert lead.status == AssignmentStatus.IN_PROGRESS
    assert entry.kind == HandlingKind.PROGRESS and entry.text == "Đã xin ý kiến các ban."
    working = DocumentFile.objects.get(incoming=document, role=FileRole.WORKING)
    assert entry.file == working and working.added_by == people["lead"]
    assert working.stored_file.original_name == "Dự thảo kế hoạch.pdf"
    # The leader hears about it; the lead (the actor) does not.
    assert _titles(people["leader"]) == [f"{people['lead'].full_name} noted progress on incoming no. 1 (57-NQ/TW)"]
    assert _titles(people["lead"]) == []


def test_progress_needs_a_note_or_a_file(document, people):
    _direct(document, people)
    with pytest.raises(ValidationError) as exc:
        assignment_progress(actor=people["lead"], assignment=_assignment(document, people["lead"]), text="  ")
    assert exc.value.message_dict["text"] == ["Write what was done, or attach a file."]
    assert not HandlingEntry.objects.filter(kind=HandlingKind.PROGRESS).exists()


def test_working_files_are_refused_for_classified_documents(org_tree, people, private_dir):
    document = registered_incoming(org_tree["commune"], confidentiality="mat")
    for user in (people["leader"], people["lead"]):
        ClearanceFactory(user=user, level="mat")
    _direct(document, people, cooperating=[], informed=[])
    with pytest.raises(ValidationError) as exc:
        assignment_progress(
            actor=people["lead"], assignment=_assignment(document, people["lead"]), text="x", file=_pdf_upload()
        )
    assert "file" in exc.value.message_dict
    assert not DocumentFile.objects.exists()
    assert not any(p.is_file() for p in private_dir.rglob("*")) if private_dir.exists() else True


def test_only_named_handlers_progress_their_own_assignment(document, people):
    _direct(document, people)
    lead = _assignment(document, people["lead"])
    informed = _assignment(document, people["reader"])
    with pytest.raises(PermissionDenied):  # somebody else's assignment
        assignment_progress(actor=people["co"], assignment=lead, text="x")
    with pytest.raises(PermissionDenied):  # not assigned at all
        assignment_progress(actor=people["clerk"], assignment=lead, text="x")
    with pytest.raises(PermissionDenied):  # for information only
        assignment_progress(actor=people["reader"], assignment=informed, text="x")
    with pytest.raises(PermissionDenied):
        assignment_done(actor=people["reader"], assignment=informed)
    assert not HandlingEntry.objects.exclude(kind=HandlingKind.DIRECTED).exists()


def test_a_superseded_assignment_can_no_longer_be_worked_on(document, people):
    _direct(document, people)
    old = _assignment(document, people["lead"])
    incoming_direct(actor=people["leader"], document=document, lead=people["co"])
    with pytest.raises((ValidationError, PermissionDenied)):
        assignment_progress(actor=people["lead"], assignment=old, text="x")


def test_cooperating_handler_done_then_lead_closes(document, people):
    _direct(document, people)
    Notification.objects.all().delete()
    co = assignment_done(actor=people["co"], assignment=_assignment(document, people["co"]), text="Xong phần việc.")
    assert co.status == AssignmentStatus.DONE and co.done_at is not None
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"leader", "handler"}
    with pytest.raises(ValidationError):
        assignment_done(actor=people["co"], assignment=co)

    Notification.objects.all().delete()
    closed = incoming_close(actor=people["lead"], document=document, text="Đã ban hành kế hoạch.")
    assert closed.status == IncomingStatus.DONE and closed.closed_at is not None
    assert _assignment(document, people["lead"]).status == AssignmentStatus.DONE
    assert HandlingEntry.objects.filter(
        document=document, kind=HandlingKind.CLOSED, text="Đã ban hành kế hoạch."
    ).exists()
    assert _titles(people["leader"]) == ["incoming no. 1 (57-NQ/TW) was handled and closed"]
    assert _titles(people["co"]) == ["incoming no. 1 (57-NQ/TW) was handled and closed"]
    assert _titles(people["reader"]) == []


def test_closing_with_unfinished_cohandlers_needs_confirmation_and_a_note(document, people):
    _direct(document, people)
    with pytest.raises(ValidationError) as exc:
        incoming_close(actor=people["lead"], document=document)
    assert "have not finished their part" in exc.value.message_dict["confirm"][0]
    with pytest.raises(ValidationError) as exc:
        incoming_close(actor=people["lead"], document=document, confirm=True)
    assert "text" in exc.value.message_dict
    document.refresh_from_db()
    assert document.status == IncomingStatus.IN_PROGRESS
    incoming_close(actor=people["lead"], document=document, confirm=True, text="Phần phối hợp không còn cần.")
    document.refresh_from_db()
    assert document.status == IncomingStatus.DONE


def test_only_the_lead_closes(document, people):
    _direct(document, people, cooperating=[people["co"]])
    assignment_done(actor=people["co"], assignment=_assignment(document, people["co"]))
    for user in (people["co"], people["reader"], people["leader"], people["clerk"]):
        with pytest.raises(PermissionDenied):
            incoming_close(actor=user, document=document, confirm=True, text="x")
    document.refresh_from_db()
    assert document.status == IncomingStatus.IN_PROGRESS


def test_reopen_by_the_leader_only(document, people):
    _direct(document, people, cooperating=[], informed=[])
    with pytest.raises(ValidationError):
        incoming_reopen(actor=people["leader"], document=document, reason="x")
    incoming_close(actor=people["lead"], document=document)
    document.refresh_from_db()
    assert can_reopen(people["leader"], document) and not can_reopen(people["lead"], document)
    with pytest.raises(PermissionDenied):
        incoming_reopen(actor=people["lead"], document=document, reason="x")
    with pytest.raises(ValidationError) as exc:
        incoming_reopen(actor=people["leader"], document=document, reason=" ")
    assert exc.value.message_dict["reason"] == ["Say why it is reopened."]
    incoming_reopen(actor=people["leader"], document=document, reason="Cần bổ sung số liệu.")
    document.refresh_from_db()
    assert document.status == IncomingStatus.IN_PROGRESS and document.closed_at is None
    lead = _assignment(document, people["lead"])
    assert lead.status == AssignmentStatus.IN_PROGRESS and lead.done_at is None
    assert _titles(people["lead"])[-1] == "incoming no. 1 (57-NQ/TW) was reopened"
    # ... and the lead can work and close again.
    assignment_progress(actor=people["lead"], assignment=lead, text="Đã bổ sung.")
    incoming_close(actor=people["lead"], document=document)


# --- reminders -------------------------------------------------------------------------------------------------


def _directed(org_tree, people, *, deadline, number, **kwargs):
    document = registered_incoming(org_tree["commune"], number=number, number_symbol=f"{number:02d}-CV/TU")
    directive = incoming_direct(
        actor=people["leader"],
        document=document,
        lead=people["lead"],
        cooperating=kwargs.get("cooperating", [people["co"]]),
        informed=[people["reader"]],
        deadline=None,
    )
    # Deadlines relative to TODAY (the service refuses past deadlines, so set them directly).
    Directive.objects.filter(pk=directive.pk).update(deadline=deadline)
    type(document).objects.filter(pk=document.pk).update(deadline=deadline)
    return document


def test_reminders_due_soon_and_overdue_idempotent_per_day(org_tree, people, settings):
    settings.PARTYHUB_DEADLINE_REMINDER_DAYS = 2
    soon = _directed(org_tree, people, deadline=TODAY + datetime.timedelta(days=2), number=1)
    later = _directed(org_tree, people, deadline=TODAY + datetime.timedelta(days=3), number=2)
    overdue = _directed(org_tree, people, deadline=TODAY - datetime.timedelta(days=1), number=3)
    today = _directed(org_tree, people, deadline=TODAY, number=4)
    assignment_done(actor=people["co"], assignment=_assignment(today, people["co"]))
    Notification.objects.all().delete()

    result = remind_deadlines(today=TODAY)

    # lead + co on "soon" and "overdue", only the lead on "today" (the co-handler has finished); nothing for
    # "later" and nothing for the reader (for information only).
    assert result == {"reminded": 5, "leaders": 1}
    lead_titles = _titles(people["lead"])
    assert "Due on 12/03/2026: incoming no. 1 (01-CV/TU)" in lead_titles
    assert "Overdue since 09/03/2026: incoming no. 3 (03-CV/TU)" in lead_titles
    assert "Due today: incoming no. 4 (04-CV/TU)" in lead_titles
    assert not any("02-CV/TU" in t for t in lead_titles)
    assert len(_titles(people["co"])) == 2
    assert _titles(people["reader"]) == []
    assert _titles(people["leader"]) == ["Overdue documents you directed: 1"]
    digest = Notification.objects.get(recipient=people["leader"])
    assert "incoming no. 3 (03-CV/TU): deadline 09/03/2026" in digest.body
    assert digest.url == reverse("documents:index")
    assert set(
        Assignment.objects.filter(last_reminded_on=TODAY).values_list("directive__document__number", flat=True)
    ) == {1, 3, 4}
    assert later.pk and soon.pk and overdue.pk

    # Twice the same day: nothing more.
    assert remind_deadlines(today=TODAY) == {"reminded": 0, "leaders": 0}
    assert Notification.objects.count() == 6

    # The next day: reminded again (the overdue one still, "later" now due within two days).
    next_day = remind_deadlines(today=TODAY + datetime.timedelta(days=1))
    assert next_day["reminded"] == 7 and next_day["leaders"] == 1


def test_reminders_stop_when_closed_and_follow_the_setting(org_tree, people, settings):
    settings.PARTYHUB_DEADLINE_REMINDER_DAYS = 5
    document = _directed(org_tree, people, deadline=TODAY + datetime.timedelta(days=5), number=1, cooperating=[])
    assert remind_deadlines(today=TODAY)["reminded"] == 1
    incoming_close(actor=people["lead"], document=document)
    assert remind_deadlines(today=TODAY + datetime.timedelta(days=1)) == {"reminded": 0, "leaders": 0}


def test_the_daily_task_is_scheduled():
    from documents.tasks import SCHEDULES, remind_handling_deadlines
    from partyhub.tasks import all_schedules

    assert SCHEDULES["documents: remind handling deadlines"][0] == remind_handling_deadlines.name
    assert "documents: remind handling deadlines" in all_schedules()
