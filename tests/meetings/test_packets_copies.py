"""Delegates' copies (issue 6, point 3): the stamp "<name> — Copy No. <n> — <date>" on EVERY page of each
delegate's copy, different per delegate, Vietnamese diacritics exact, made from ONE overlay per delegate that
every page references — the master is never re-rendered (WeasyPrint calls counted)."""

from __future__ import annotations

import io

import pikepdf
import pytest
from django.utils import timezone

from meetings import packets as packet_pdf
from meetings.models import DelegateCopy
from meetings.services import packets as services
from partyhub import pdf as pdf_rendering

from .packet_factories import (
    _packet_env,  # noqa: F401 (the packet_env fixture)
    document,
    item,
    make_meeting,
    new_delegate,
    page_texts,
    page_texts_pdfminer,
    read_pdf,
)
from .test_packets_build import compile_version

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("packet_env")]


@pytest.fixture
def meeting(org_tree, clerk):
    meeting = make_meeting(org_tree["cell_a"], created_by=clerk, title="Hội nghị Ban Chấp hành lần thứ 5")
    first = item(meeting, "Báo cáo chính trị")
    document(first, "Báo cáo số 1", pages=4, added_by=clerk, marker="FIRSTDOC")
    document(first, "Báo cáo mật", added_by=clerk, confidentiality="mat")
    second = item(meeting, "Tờ trình")
    document(second, "Tờ trình nhân sự", pages=3, added_by=clerk, marker="SECONDDOC")
    return meeting


@pytest.fixture
def delegates(meeting):
    return [
        new_delegate(meeting, "Nguyễn Thị Ánh Tuyết"),
        new_delegate(meeting, "Trần Văn Đức"),
        new_delegate(meeting, "Lê Hoàng Phượng"),
    ]


@pytest.fixture
def weasyprint_calls(monkeypatch):
    """Counts every HTML→PDF rendering (each one is a WeasyPrint run)."""
    calls = []
    real = pdf_rendering.html_to_pdf

    def counting(html, **kwargs):
        calls.append(html)
        return real(html, **kwargs)

    monkeypatch.setattr(pdf_rendering, "html_to_pdf", counting)
    return calls


def expected_stamp(invitation, packet) -> str:
    date = timezone.localtime(packet.built_at).strftime("%d/%m/%Y")
    return f"{invitation.name} — Copy No. {invitation.copy_number:02d} — {date}"


def test_every_page_of_every_copy_carries_that_delegates_stamp(meeting, delegates, clerk, weasyprint_calls):
    packet = compile_version(meeting, clerk)
    renders_for_master = len(weasyprint_calls)
    assert renders_for_master == 2  # the front matter, twice (placeholders, then the real page numbers)

    made = services.delegate_copies_make(packet_id=packet.pk)

    assert made == 3
    assert len(weasyprint_calls) == renders_for_master + 1, "all stamps in one rendering, the master not re-rendered"
    master_texts = page_texts(read_pdf(packet.master_file))
    stamps = {}
    for invitation in delegates:
        copy = DelegateCopy.objects.get(packet=packet, invitation=invitation)
        stamp = expected_stamp(invitation, packet)
        assert copy.stamp_text == stamp
        stamps[invitation.pk] = stamp
        data = read_pdf(copy.file)
        texts = page_texts(data)
        assert len(texts) == packet.page_count
        for number, (text, master_text) in enumerate(zip(texts, master_texts, strict=True), start=1):
            assert stamp in text, (invitation.name, number)
            assert f"Page {number}/{packet.page_count}" in text
            # The packet's own text is all there.
            for line in master_text.splitlines():
                assert line.strip() in text
        for line in page_texts_pdfminer(data):
            assert stamp in " ".join(line.split())
    # Different per delegate: nobody's copy carries another delegate's name.
    for invitation in delegates:
        text = " ".join(page_texts(read_pdf(DelegateCopy.objects.get(invitation=invitation).file)))
        for other in delegates:
            if other.pk != invitation.pk:
                assert other.name not in text
    assert len(set(stamps.values())) == 3
    # Vietnamese diacritics come back exactly (NFC), e.g. "Ánh", "Đức", "Phượng".
    assert "Nguyễn Thị Ánh Tuyết — Copy No. 01" in stamps[delegates[0].pk]


def test_the_stamp_is_one_xobject_referenced_by_every_page(meeting, delegates, clerk):
    packet = compile_version(meeting, clerk, copies=True)
    copy = DelegateCopy.objects.get(packet=packet, invitation=delegates[1])
    with pikepdf.open(io.BytesIO(read_pdf(copy.file))) as pdf:
        refs = {page.obj.Resources.XObject[packet_pdf.WATERMARK_XOBJECT].objgen for page in pdf.pages}
        assert len(refs) == 1 and (0, 0) not in refs
        # The pages' own content streams are untouched: the master's streams plus a "q" before and a
        # placement after.
        for page in pdf.pages:
            contents = page.obj.Contents
            assert isinstance(contents, pikepdf.Array)
            assert contents[0].read_bytes() == b"q\n"
            assert contents[-1].read_bytes().strip().endswith(b"/PHWatermark Do\nQ")


def test_a_copy_made_on_first_request_renders_one_stamp_and_only_once(meeting, delegates, clerk, weasyprint_calls):
    packet = compile_version(meeting, clerk)
    before = len(weasyprint_calls)
    late = new_delegate(meeting, "Phạm Văn Muộn")

    copy = services.delegate_copy_for(packet=packet, invitation=late)
    again = services.delegate_copy_for(packet=packet, invitation=late)

    assert again.pk == copy.pk
    assert len(weasyprint_calls) == before + 1
    texts = page_texts(read_pdf(copy.file))
    assert all(expected_stamp(late, packet) in text for text in texts)
    assert DelegateCopy.objects.filter(packet=packet).count() == 1


def test_copies_are_made_once(meeting, delegates, clerk, weasyprint_calls):
    packet = compile_version(meeting, clerk, copies=True)
    calls = len(weasyprint_calls)
    assert services.delegate_copies_make(packet_id=packet.pk) == 0
    assert len(weasyprint_calls) == calls
    assert DelegateCopy.objects.filter(packet=packet).count() == 3


def test_master_is_unchanged_by_stamping(meeting, delegates, clerk):
    packet = compile_version(meeting, clerk)
    before = read_pdf(packet.master_file)
    services.delegate_copies_make(packet_id=packet.pk)
    assert read_pdf(packet.master_file) == before
    packet.master_file.refresh_from_db()
    import hashlib

    assert hashlib.sha256(before).hexdigest() == packet.master_file.sha256


def test_guests_without_an_account_get_no_copy(meeting, delegates, clerk):
    from .packet_factories import invite

    invite(meeting, None, name="Khách mời không có tài khoản")
    packet = compile_version(meeting, clerk, copies=True)
    assert DelegateCopy.objects.filter(packet=packet).count() == 3


def test_a_copy_of_a_version_that_is_not_ready_is_refused(meeting, delegates, clerk):
    from django.core.exceptions import ValidationError

    from meetings.models import Packet

    building = Packet.objects.create(meeting=meeting, version=1, requested_by=clerk)
    with pytest.raises(ValidationError):
        services.delegate_copy_for(packet=building, invitation=delegates[0])


# --- In Vietnamese (the product's language for packets) ----------------------------------------------------------


@pytest.fixture
def packet_vietnamese_catalogue(ui_vietnamese_catalogue, settings):
    """The project's Vietnamese catalogue, documents rendered in Vietnamese."""
    settings.PARTYHUB_DOCUMENT_LANGUAGE = "vi"


@pytest.mark.vietnamese
def test_the_packet_and_the_stamp_are_in_vietnamese(meeting, delegates, clerk, packet_vietnamese_catalogue):
    packet = compile_version(meeting, clerk, copies=True)
    texts = page_texts(read_pdf(packet.master_file))
    assert "TÀI LIỆU HỌP" in texts[0].upper()
    assert "MỤC LỤC" in " ".join(texts).upper()
    assert all(f"Trang {n}/{packet.page_count}" in text for n, text in enumerate(texts, start=1))
    copy = DelegateCopy.objects.get(packet=packet, invitation=delegates[1])
    date = timezone.localtime(packet.built_at).strftime("%d/%m/%Y")
    assert copy.stamp_text == f"Trần Văn Đức — Bản số 02 — {date}"
    assert all(copy.stamp_text in text for text in page_texts(read_pdf(copy.file)))
    entry = next(e for e in packet.contents if e["on_paper"])
    sheet = " ".join(texts[entry["first_page"] - 1].split())
    assert "Báo cáo mật" in sheet and "Tài liệu mật: xử lý bằng bản giấy." in sheet


def test_the_task_discards_copies_of_superseded_versions_but_keeps_the_masters(
    meeting, delegates, clerk, packet_env, django_capture_on_commit_callbacks
):
    from meetings.models import Packet
    from meetings.tasks import build_packet

    from .packet_factories import stored_names

    def build(version: int) -> Packet:
        packet = Packet.objects.create(meeting=meeting, version=version, requested_by=clerk)
        assert build_packet(packet.pk) == "ready"
        document(meeting.agenda.first(), f"Phụ lục {version}", pages=1, added_by=clerk)
        return packet

    first = build(1)
    second = build(2)
    first_copies = {c.file.storage_name for c in DelegateCopy.objects.filter(packet=first).select_related("file")}
    assert len(first_copies) == 3 and first_copies <= stored_names(packet_env)  # the previous version is kept
    with django_capture_on_commit_callbacks(execute=True):
        third = build(3)

    assert not DelegateCopy.objects.filter(packet=first).exists()
    assert DelegateCopy.objects.filter(packet=second).count() == 3
    assert DelegateCopy.objects.filter(packet=third).count() == 3
    names = stored_names(packet_env)
    assert not first_copies & names, "the bytes of the discarded copies are gone too"
    for packet in (first, second, third):
        packet.refresh_from_db()
        assert packet.master_file.storage_name in names
    # An old version's copy can still be made again from its master.
    again = services.delegate_copy_for(packet=first, invitation=delegates[0])
    assert all(again.stamp_text in text for text in page_texts(read_pdf(again.file)))


def test_withdrawing_an_invitation_can_discard_its_copies_and_their_files(
    meeting, delegates, clerk, packet_env, django_capture_on_commit_callbacks
):
    from partyhub.models import StoredFile

    from .packet_factories import stored_names

    compile_version(meeting, clerk, copies=True)
    leaving = delegates[2]
    copy = DelegateCopy.objects.get(invitation=leaving)
    name = copy.file.storage_name
    with django_capture_on_commit_callbacks(execute=True):
        assert services.delegate_copies_discard(invitation=leaving) == 1
    assert not DelegateCopy.objects.filter(invitation=leaving).exists()
    assert not StoredFile.objects.filter(pk=copy.file_id).exists()
    assert name not in stored_names(packet_env)
    assert DelegateCopy.objects.filter(invitation__in=delegates[:2]).count() == 2
    assert copy.file.uploaded_by_id is None
