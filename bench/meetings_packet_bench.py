"""Meeting packet benchmark: a 300-page packet for 50 delegates.

Not a test: run with ``make bench`` (``scripts/run-bench.sh``), against PostgreSQL. The benchmark creates its own
throw-away database (``test_…``), migrates it, keeps the private files in a temporary directory, and drops both
at the end.

The meeting (a commune committee conference) has 10 agenda items with one document of 30 pages each — 8
born-digital party documents (HD36 layout, Vietnamese text, Liberation Serif, rendered by WeasyPrint: three
different ones, so three font subsets) and 2 scanned documents (150 dpi grey JPEG pages, each page its own
image) — plus one classified document (handled on paper): 300 document pages. 50 delegates with accounts are
invited. Measured, with the real services:

(a) the master: ``meetings.services.packets.packet_build`` — two WeasyPrint runs for the cover, agenda and
    contents, the documents opened and copied with pikepdf, page numbers stamped on every page, the master
    stored — wall time, peak memory of the process (VmHWM) and of the WeasyPrint child processes;
(b) the 50 stamped copies: ``delegate_copies_make`` — ONE WeasyPrint run for the 50 stamps, then per
    delegate the stamp overlaid on every page with pikepdf and the copy stored — wall time, per copy,
    peak memory; then the text of the first, middle and last page of every copy is read back (pypdf) to check
    the delegate's stamp is there;
(c) one copy made on first request (``delegate_copy_for``, a delegate invited after the build: one WeasyPrint
    run for that one stamp) — what "lazy" copies would cost each delegate at the door.

Usage: ``python bench/meetings_packet_bench.py [--delegates 50] [--docs 10] [--pages-per-doc 30]
[--scanned 2] [--json out.json]``
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import io
import json
import os
import platform
import resource
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partyhub.settings")
os.environ.setdefault("PARTYHUB_EMBEDDED", "true")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")

TEST_DB = "test_meetings_packet_bench"

TOPICS = [
    "đẩy mạnh chuyển đổi số trong hoạt động của Đảng bộ xã",
    "công tác phát triển đảng viên năm 2027",
    "kiểm điểm, đánh giá, xếp loại chất lượng tổ chức đảng và đảng viên",
    "phòng, chống thiên tai, hạn hán và xâm nhập mặn",
    "xây dựng xã đạt chuẩn nông thôn mới nâng cao",
    "thu, nộp và quản lý đảng phí theo Quy định 01-QĐ/TW",
]
PARAGRAPHS = [
    "Các cấp ủy, tổ chức đảng quán triệt sâu sắc và tổ chức thực hiện nghiêm túc nội dung nghị quyết; "
    "mỗi cán bộ, đảng viên nêu cao tinh thần trách nhiệm, gương mẫu thực hiện.",
    "Ban Thường vụ Đảng ủy yêu cầu các chi bộ báo cáo kết quả thực hiện trước ngày 15 hằng tháng; Văn phòng "
    "Đảng ủy chủ trì, phối hợp với các cơ quan liên quan theo dõi, đôn đốc việc triển khai.",
    "Nâng cao chất lượng sinh hoạt chi bộ, tăng cường tính lãnh đạo, tính giáo dục và tính chiến đấu; phát huy "
    "vai trò tiền phong, gương mẫu của cán bộ, đảng viên, nhất là người đứng đầu.",
    "Kiên quyết đấu tranh phòng, chống tham nhũng, lãng phí, tiêu cực; xử lý nghiêm các vi phạm; tăng cường "
    "kiểm tra, giám sát việc chấp hành Điều lệ Đảng.",
    "Đẩy mạnh ứng dụng công nghệ thông tin, chuyển đổi số trong hoạt động của các cơ quan đảng; sử dụng sổ tay "
    "đảng viên điện tử và tài liệu họp không giấy.",
    "Chủ động phương án ứng phó với bão, lũ, sạt lở đất và xâm nhập mặn trong mùa khô; bảo đảm đời sống của "
    "nhân dân và an toàn sản xuất.",
]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Phan", "Trương", "Đặng", "Bùi"]
MIDDLE = ["Văn", "Thị", "Hữu", "Ngọc", "Minh", "Thanh", "Quốc"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Đức", "Hạnh", "Hương", "Khánh", "Lộc", "Phượng", "Tuyết", "Ánh"]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def peak_rss_mb() -> float:
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak_rss() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def children_peak_mb() -> float:
    """The largest peak resident memory of any child process so far (the WeasyPrint renderers)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def load_average() -> str:
    with contextlib.suppress(OSError):
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return "?"


# --- The documents ------------------------------------------------------------------------------------------


def text_document(variant: int, pages: int) -> bytes:
    """A born-digital party document of exactly ``pages`` pages (HD36-like, Vietnamese)."""
    import pikepdf

    from partyhub.pdf import html_to_pdf

    topic = TOPICS[variant % len(TOPICS)]
    body = []
    for n in range(pages * 12):
        body.append(f"<p>{n + 1}. {PARAGRAPHS[(n + variant) % len(PARAGRAPHS)]}</p>")
    html = f"""<!doctype html><html lang="vi"><head><meta charset="utf-8"><style>
      @page {{ size: A4; margin: 20mm 15mm 20mm 30mm; @top-center {{ content: counter(page); }} }}
      body {{ font-family: "Liberation Serif"; font-size: 14pt; line-height: 1.35; }}
      h1 {{ text-align: center; font-size: 15pt; }} .s {{ text-align: center; font-weight: bold; }}
      p {{ text-align: justify; text-indent: 1cm; margin: 0 0 6pt; }} .p {{ page-break-before: always; }}
    </style></head><body>
    <table style="width:100%"><tr><td style="text-align:center">ĐẢNG BỘ XÃ GÒ QUAO<br><b>ĐẢNG ỦY XÃ</b><br>*<br>
    Số {variant + 5:02d}-NQ/ĐU</td><td style="text-align:center"><b>ĐẢNG CỘNG SẢN VIỆT NAM</b><br>
    <i>Gò Quao, ngày 05 tháng 11 năm 2026</i></td></tr></table>
    <h1>NGHỊ QUYẾT</h1><div class="s">về {topic}</div>{"".join(body)}</body></html>"""
    data = html_to_pdf(html, timeout=600).pdf
    with pikepdf.open(io.BytesIO(data)) as pdf:
        if len(pdf.pages) < pages:
            raise RuntimeError(f"the text document has {len(pdf.pages)} pages, fewer than {pages}")
        del pdf.pages[pages:]
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


def scanned_document(pages: int) -> bytes:
    """An image-only PDF: each page its own 150 dpi grey JPEG of a (degraded) scanned party document."""
    import pikepdf
    from pikepdf import Array, Dictionary, Name

    from tests.documents import scans

    images = []
    for angle in (0.8, -0.6, 1.1):
        out = io.BytesIO()
        scans.scan_image(dpi=150, angle=angle).save(out, format="JPEG", quality=70)
        images.append(out.getvalue())
    from PIL import Image

    width, height = Image.open(io.BytesIO(images[0])).size
    pdf = pikepdf.new()
    for n in range(pages):
        data = images[n % len(images)]
        w, h = Image.open(io.BytesIO(data)).size
        image = pdf.make_stream(
            data,
            Type=Name.XObject,
            Subtype=Name.Image,
            Width=w,
            Height=h,
            ColorSpace=Name.DeviceGray,
            BitsPerComponent=8,
            Filter=Name.DCTDecode,
        )
        page = Dictionary(
            Type=Name.Page,
            MediaBox=Array([0, 0, 595.28, 841.89]),
            Resources=Dictionary(XObject=Dictionary(Im0=image)),
            Contents=pdf.make_stream(b"q 595.28 0 0 841.89 0 0 cm /Im0 Do Q"),
        )
        pdf.pages.append(pikepdf.Page(page))
    del width, height
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def build_world(args, sources: list[bytes]):
    from meetings.models import AgendaDocument, AgendaItem, Invitation, Meeting, MeetingKind, MeetingStatus
    from members.models import Member, Organization, OrganizationKind, Position, PositionTitle
    from partyhub.files import store_bytes
    from partyhub.models import User

    province = Organization.objects.create(
        name="Tỉnh ủy An Giang", kind=OrganizationKind.PROVINCE_COMMITTEE, code="TU", is_external=True
    )
    commune = Organization.objects.create(
        name="Đảng bộ xã Gò Quao",
        kind=OrganizationKind.COMMUNE_COMMITTEE,
        code="ĐU",
        parent=province,
        place_name="Gò Quao",
    )
    office = Organization.objects.create(
        name="Văn phòng Đảng ủy", kind=OrganizationKind.OFFICE, code="VPĐU", parent=commune
    )
    cell = Organization.objects.create(
        name="Chi bộ ấp Phước Hưng", kind=OrganizationKind.CELL, code="CB", parent=commune
    )
    clerk = User.objects.create_user(username="clerk", password=None, full_name="Bench Văn thư")
    member = Member.objects.create(
        full_name=clerk.full_name, organization=cell, user=clerk, admission_date=datetime.date(2000, 5, 19)
    )
    Position.objects.create(
        member=member,
        organization=office,
        start_date=datetime.date(2025, 9, 1),
        title=PositionTitle.objects.create(name="Văn thư", grants_clerk=True),
    )
    now = datetime.datetime.now(datetime.UTC)
    meeting = Meeting.objects.create(
        organization=commune,
        kind=MeetingKind.COMMITTEE_CONFERENCE,
        title="Hội nghị Ban Chấp hành Đảng bộ xã lần thứ 5 (mở rộng)",
        starts_at=now + datetime.timedelta(days=2),
        ends_at=now + datetime.timedelta(days=2, hours=4),
        place="Hội trường Ủy ban nhân dân xã",
        status=MeetingStatus.INVITED,
        created_by=clerk,
        chair=clerk,
        invitations_sent_at=now,
    )
    for n in range(args.docs):
        item = AgendaItem.objects.create(meeting=meeting, order=n + 1, title=f"Nội dung {n + 1}: {TOPICS[n % 6]}")
        stored = store_bytes(sources[n], name=f"tai-lieu-{n + 1}.pdf", content_type="application/pdf", actor=clerk)
        AgendaDocument.objects.create(
            item=item, order=1, title=f"Dự thảo nghị quyết về {TOPICS[n % 6]}", file=stored, added_by=clerk
        )
        if n == 3:
            AgendaDocument.objects.create(
                item=item, order=2, title="Hồ sơ nhân sự (Mật)", confidentiality="mat", added_by=clerk
            )
    invitations = []
    for n in range(args.delegates + 1):
        name = f"{SURNAMES[n % 10]} {MIDDLE[n % 7]} {GIVEN[n % 12]}"
        user = User.objects.create_user(username=f"delegate{n}", password=None, full_name=name)
        invitations.append(
            Invitation.objects.create(
                meeting=meeting,
                user=user,
                name=name,
                copy_number=n + 1,
                checkin_token=secrets.token_urlsafe(24),
                invited_at=now,
            )
        )
    late = invitations.pop()  # invited after the build: gets a copy on first request
    late_user = late.user
    late.delete()
    return meeting, clerk, late_user


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delegates", type=int, default=50)
    parser.add_argument("--docs", type=int, default=10)
    parser.add_argument("--pages-per-doc", type=int, default=30)
    parser.add_argument("--scanned", type=int, default=2, help="how many of the documents are scans")
    parser.add_argument("--json", type=Path, default=None, help="also write the results to this file")
    args, _unknown = parser.parse_known_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    if connection.vendor != "postgresql":
        print("The benchmark runs on PostgreSQL: set DATABASE_URL (scripts/run-bench.sh does).", file=sys.stderr)
        return 2
    setup_test_environment()
    settings.DEBUG = False
    storage_dir = Path(tempfile.mkdtemp(prefix="ph-packet-bench-"))
    from django.test.utils import override_settings

    private = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(storage_dir)}}
    override_settings(STORAGES={**settings.STORAGES, "private": private}).enable()
    connection.settings_dict.setdefault("TEST", {})["NAME"] = TEST_DB
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    results: dict = {
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "database": f"PostgreSQL {connection.cursor().connection.info.server_version}",
        "delegates": args.delegates,
        "document_pages": args.docs * args.pages_per_doc,
        "load_before": load_average(),
    }
    try:
        import pikepdf
        from pypdf import PdfReader

        from meetings import packets as packet_pdf
        from meetings.models import DelegateCopy, Invitation, Packet, PacketStatus
        from meetings.services import packets as services
        from partyhub import pdf as pdf_rendering

        print("Making the source documents…", flush=True)
        start = time.perf_counter()
        variants = [text_document(v, args.pages_per_doc) for v in range(3)]
        scanned = scanned_document(args.pages_per_doc) if args.scanned else b""
        sources = [scanned if n >= args.docs - args.scanned else variants[n % 3] for n in range(args.docs)]
        results["sources_s"] = round(time.perf_counter() - start, 1)
        results["sources_mb"] = round(sum(len(s) for s in sources) / 1e6, 1)
        meeting, clerk, late_user = build_world(args, sources)

        renders: list[str] = []
        real_html_to_pdf = pdf_rendering.html_to_pdf

        def counting(html, **kwargs):
            renders.append(html)
            return real_html_to_pdf(html, **kwargs)

        pdf_rendering.html_to_pdf = counting

        # (a) the master
        print("Compiling the master…", flush=True)
        packet = Packet.objects.create(meeting=meeting, version=1, requested_by=clerk)
        reset_peak_rss()
        start = time.perf_counter()
        status = services.packet_build(packet_id=packet.pk)
        elapsed = time.perf_counter() - start
        packet.refresh_from_db()
        if status != PacketStatus.READY:
            print("The packet failed:", packet.message, file=sys.stderr)
            return 1
        results["master"] = {
            "seconds": round(elapsed, 2),
            "pages": packet.page_count,
            "size_mb": round(packet.master_file.size / 1e6, 2),
            "weasyprint_runs": len(renders),
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "weasyprint_child_peak_mb": round(children_peak_mb(), 1),
        }
        print(results["master"], flush=True)

        # (b) the copies
        print(f"Stamping {args.delegates} copies…", flush=True)
        renders.clear()
        reset_peak_rss()
        start = time.perf_counter()
        made = services.delegate_copies_make(packet_id=packet.pk)
        elapsed = time.perf_counter() - start
        copies = list(DelegateCopy.objects.filter(packet=packet).select_related("file", "invitation"))
        results["copies"] = {
            "made": made,
            "seconds": round(elapsed, 2),
            "per_copy_s": round(elapsed / max(made, 1), 3),
            "weasyprint_runs": len(renders),
            "copy_size_mb": round(statistics.mean(c.file.size for c in copies) / 1e6, 2),
            "total_size_mb": round(sum(c.file.size for c in copies) / 1e6, 1),
            "peak_rss_mb": round(peak_rss_mb(), 1),
        }
        # Read back: the delegate's stamp on the first, middle and last page of every copy.
        from partyhub.files import private_storage

        checked = 0
        for copy in copies:
            with private_storage().open(copy.file.storage_name, "rb") as f:
                reader = PdfReader(io.BytesIO(f.read()))
            if len(reader.pages) != packet.page_count:
                raise RuntimeError(f"copy {copy.pk} has {len(reader.pages)} pages")
            for index in (0, len(reader.pages) // 2, len(reader.pages) - 1):
                if copy.stamp_text not in (reader.pages[index].extract_text() or ""):
                    raise RuntimeError(f"copy {copy.pk}: no stamp on page {index + 1}")
                checked += 1
        results["copies"]["pages_checked"] = checked
        with private_storage().open(copies[0].file.storage_name, "rb") as f, pikepdf.open(io.BytesIO(f.read())) as pdf:
            refs = {page.obj.Resources.XObject[packet_pdf.WATERMARK_XOBJECT].objgen for page in pdf.pages}
        results["copies"]["stamp_xobjects_per_copy"] = len(refs)
        print(results["copies"], flush=True)

        # (c) one copy on first request
        late = Invitation.objects.create(
            meeting=meeting,
            user=late_user,
            name=late_user.full_name,
            copy_number=args.delegates + 1,
            checkin_token=secrets.token_urlsafe(24),
        )
        renders.clear()
        start = time.perf_counter()
        services.delegate_copy_for(packet=packet, invitation=late)
        results["lazy_copy"] = {"seconds": round(time.perf_counter() - start, 2), "weasyprint_runs": len(renders)}
        print(results["lazy_copy"], flush=True)
        results["load_after"] = load_average()
    finally:
        from django.db import connections

        connections.close_all()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        shutil.rmtree(storage_dir, ignore_errors=True)

    print(json.dumps(results, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
