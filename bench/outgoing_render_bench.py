"""Outgoing documents benchmark, rendering part: a 10-page resolution in the official layout (issue 5).

Not a test: run with ``make bench`` (``scripts/run-bench.sh``) or alone, against PostgreSQL. The benchmark creates
its own throw-away database (``test_outgoing_render_bench``), migrates it (the seeded profile HD36 and document
types), builds a commune with its standing committee, and drops the database at the end.

Measured, N runs each (median, 95th percentile, best), on one resolution of exactly 10 pages (body of realistic
Vietnamese paragraphs, recipients, T/M signature block):

* ``draft``: ``render_outgoing_pdf(document)`` — the draft preview (blanks for number and date);
* ``final``: ``render_outgoing_pdf(document, fields=True)`` — the PDF made at approval, with the
  ``partyhub_number``/``partyhub_date`` form fields (includes the pikepdf pass that finishes the fields);
* ``numbered``: ``render_outgoing_pdf(document, number=5, issued_on=…)`` — number and date printed;
* ``live preview``: what the htmx preview view does — render the draft and turn its first 3 pages into PNG images;
* ``stamp_rect``: locating the signature block in the final PDF's bytes (both stamps).

Every render goes through ``partyhub.pdf`` (a forked, time-limited child process running WeasyPrint).
The signing part of the issue-5 benchmark is measured separately (signing helper's script).

Usage: ``python bench/outgoing_render_bench.py [--runs 10] [--pages 10] [--json out.json]``
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partyhub.settings")
os.environ.setdefault("PARTYHUB_EMBEDDED", "true")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")

TEST_DB = "test_outgoing_render_bench"

PARAGRAPHS = [
    "Căn cứ Điều lệ Đảng Cộng sản Việt Nam; căn cứ Quy chế làm việc của Ban Chấp hành Đảng bộ xã nhiệm kỳ "
    "2025 – 2030; trên cơ sở kết quả thảo luận và ý kiến thống nhất của các đồng chí Ủy viên Ban Thường vụ tại "
    "hội nghị ngày 03 tháng 11 năm 2026,",
    "Ban Thường vụ Đảng ủy xã đánh giá: năm 2026, các cấp ủy, chi bộ trực thuộc đã tập trung lãnh đạo thực hiện "
    "đạt và vượt nhiều chỉ tiêu chủ yếu; kinh tế tiếp tục tăng trưởng khá, đời sống vật chất, tinh thần của nhân "
    "dân được nâng lên; quốc phòng, an ninh được giữ vững; công tác xây dựng Đảng và hệ thống chính trị có nhiều "
    "chuyển biến tích cực.",
    "Tuy nhiên, việc cụ thể hóa một số chủ trương của cấp trên còn chậm; chất lượng sinh hoạt của một số chi bộ "
    "chưa cao, nội dung sinh hoạt chuyên đề còn hình thức; công tác phát triển đảng viên trong thanh niên, nhất "
    "là ở các ấp vùng sâu, còn gặp nhiều khó khăn; việc ứng dụng công nghệ thông tin, chuyển đổi số trong hoạt "
    "động của các tổ chức đảng chưa đồng đều.",
    "Để khắc phục những hạn chế nêu trên, Ban Thường vụ yêu cầu các chi bộ trực thuộc quán triệt, triển khai "
    "thực hiện nghiêm túc nghị quyết này; xây dựng kế hoạch cụ thể, phân công rõ người, rõ việc, rõ thời gian, "
    "rõ trách nhiệm; định kỳ hằng quý báo cáo kết quả, khó khăn, vướng mắc về Văn phòng Đảng ủy để tổng hợp, "
    "báo cáo Ban Thường vụ xem xét, chỉ đạo kịp thời.",
]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def load_average() -> str:
    try:
        return ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def body(paragraph_count: int) -> str:
    parts = []
    for i in range(paragraph_count):
        if i % 12 == 0:
            parts.append(f"<h3>Phần {i // 12 + 1}</h3>")
        parts.append(f"<p>{PARAGRAPHS[i % len(PARAGRAPHS)]}</p>")
    return "".join(parts)


def build_document():
    from documents.models import DocumentType, OutgoingDocument, OutgoingRecipient, SignatureForm
    from members.models import Organization, OrganizationKind
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
    standing = Organization.objects.create(
        name="Ban Thường vụ Đảng ủy xã Gò Quao", kind=OrganizationKind.STANDING_COMMITTEE, code="ĐU", parent=commune
    )
    leader = User.objects.create_user(username="leader", password=None, full_name="Nguyễn Văn Trường")
    document = OutgoingDocument.objects.create(
        organization=standing,
        document_type=DocumentType.objects.get(name="Nghị quyết"),
        summary="về lãnh đạo thực hiện nhiệm vụ phát triển kinh tế – xã hội, quốc phòng, an ninh và xây dựng Đảng "
        "năm 2027",
        body="",
        drafted_by=leader,
        signer=leader,
        signature_form=SignatureForm.ON_BEHALF,
        signer_title="Bí thư",
        signer_name=leader.full_name,
    )
    for order, name in enumerate(
        ["Ban Thường vụ Tỉnh ủy (để báo cáo)", "Các đồng chí Đảng ủy viên", "Các chi bộ trực thuộc"]
    ):
        OutgoingRecipient.objects.create(document=document, name=name, order=order)
    return document


def pages_of(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def fit_pages(document, pages: int) -> int:
    """Set the body so that the document has exactly ``pages`` pages; returns the paragraph count."""
    from documents.outgoing_render import render_outgoing_pdf

    count = pages * 6
    for _attempt in range(30):
        document.body = body(count)
        document.save(update_fields=["body"])
        got = pages_of(render_outgoing_pdf(document))
        if got == pages:
            return count
        count += max(1, (pages - got) * 5) if got < pages else -max(1, (got - pages) * 5)
        count = max(count, 1)
    raise RuntimeError(f"could not fit the body to {pages} pages")


def measure(label: str, action, runs: int) -> dict:
    action()  # warm-up (templates, fonts in the parent)
    times = []
    result = None
    for _ in range(runs):
        start = time.perf_counter()
        result = action()
        times.append((time.perf_counter() - start) * 1000)
    row = {
        "step": label,
        "runs": runs,
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "best_ms": round(min(times), 1),
    }
    if isinstance(result, bytes):
        row["size_kb"] = round(len(result) / 1024, 1)
        row["pages"] = pages_of(result)
    print(f"  {label:<14} median {row['median_ms']:>8.1f} ms  p95 {row['p95_ms']:>8.1f} ms", flush=True)
    return row


def bench(runs: int, pages: int) -> dict:
    from documents.outgoing_render import render_outgoing_pdf, stamp_rect
    from documents.views.outgoing_preview import page_images

    document = build_document()
    paragraphs = fit_pages(document, pages)
    final = render_outgoing_pdf(document, fields=True)
    issued_on = datetime.date(2026, 11, 5)
    rows = [
        measure("draft", lambda: render_outgoing_pdf(document), runs),
        measure("final", lambda: render_outgoing_pdf(document, fields=True), runs),
        measure("numbered", lambda: render_outgoing_pdf(document, number=5, issued_on=issued_on), runs),
        measure("live preview", lambda: page_images(render_outgoing_pdf(document))[1], runs),
        measure(
            "stamp_rect",
            lambda: (stamp_rect(document, "signer", pdf=final), stamp_rect(document, "organization", pdf=final)),
            runs,
        ),
    ]
    return {"pages": pages, "paragraphs": paragraphs, "rows": rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--pages", type=int, default=10)
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
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = TEST_DB
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    import weasyprint

    results: dict = {
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "weasyprint": weasyprint.__version__,
        "load_before": load_average(),
    }
    try:
        print(f"Rendering a {args.pages}-page resolution, {args.runs} runs per step …", flush=True)
        results.update(bench(args.runs, args.pages))
        results["load_after"] = load_average()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(json.dumps(results, ensure_ascii=False, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
