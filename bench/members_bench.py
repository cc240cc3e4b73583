"""Member registry benchmark: import 20,000 members from Excel, then list, search and filter them.

Not a test: run with ``make bench`` (``scripts/run-bench.sh``), against PostgreSQL. The benchmark creates
its own throw-away database (Django's test database, ``test_<name>``), migrates it, and drops it at the end.

Measured:

* generating the 20,000-row workbook (openpyxl, write-only);
* the import (``members.services.importing.member_import``): wall time, peak RSS of the process, queries;
* with those 20,000 members, through the real pages as a commune clerk (Django test client, full
  middleware and template rendering): the list's first page, a deep page, a search by a name typed without
  diacritics, a filter by cell — median and 95th percentile over N runs, and the queries of each request;
* the Excel export of the whole list.

Usage: ``python bench/members_bench.py [--rows 20000] [--runs 20] [--json out.json]``
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import io
import json
import os
import platform
import random
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partyhub.settings")
os.environ.setdefault("PARTYHUB_EMBEDDED", "true")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
MIDDLE_MALE = ["Văn", "Hữu", "Minh", "Đức", "Quốc", "Thanh"]
MIDDLE_FEMALE = ["Thị", "Ngọc", "Thanh", "Thu", "Kim", "Mỹ"]
GIVEN_MALE = ["An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khánh", "Long", "Nam", "Phúc", "Quang", "Sơn", "Tuấn"]
GIVEN_FEMALE = ["Ánh", "Hà", "Hạnh", "Lan", "Linh", "Mai", "Nga", "Oanh", "Thảo", "Trang", "Tuyết", "Yến"]
THEORY = ["", "Sơ cấp", "Trung cấp", "Cao cấp", "Cử nhân"]
CELLS = 20


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


class QueryCounter:
    """Counts the queries of a block (``connection.execute_wrapper``: cheap, keeps no SQL)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    @contextlib.contextmanager
    def counting(self):
        from django.db import connection

        self.count = 0
        with connection.execute_wrapper(self):
            yield self


def peak_rss_mb() -> float:
    """The process's peak resident memory (VmHWM since the last :func:`reset_peak_rss`, else ru_maxrss)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak_rss() -> bool:
    """Start a new peak-memory measurement (Linux: writing 5 to /proc/self/clear_refs resets VmHWM)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def build_tree():
    from members.models import Member, Organization, OrganizationKind, Position, PositionTitle
    from partyhub.models import User

    province = Organization.objects.create(
        name="Tỉnh ủy An Giang", kind=OrganizationKind.PROVINCE_COMMITTEE, code="TU", is_external=True
    )
    commune = Organization.objects.create(
        name="Đảng bộ xã Gò Quao", kind=OrganizationKind.COMMUNE_COMMITTEE, code="ĐU", parent=province
    )
    office = Organization.objects.create(
        name="Văn phòng Đảng ủy", kind=OrganizationKind.OFFICE, code="VPĐU", parent=commune
    )
    cells = [
        Organization.objects.create(name=f"Chi bộ ấp {i:02d}", kind=OrganizationKind.CELL, code="CB", parent=commune)
        for i in range(1, CELLS + 1)
    ]
    user = User.objects.create_user(username="bench-clerk", password=None, full_name="Văn Thư Thử")
    member = Member.objects.create(full_name="Văn Thư Thử", organization=cells[0], user=user)
    title = PositionTitle.objects.create(name="Văn thư (bench)", grants_clerk=True)
    Position.objects.create(member=member, organization=office, title=title, start_date=datetime.date(2025, 1, 1))
    return commune, cells, user


def generate_workbook(rows: int, cells, seed: int = 20260101) -> bytes:
    """An import file of ``rows`` valid, distinct members spread over the cells."""
    from openpyxl import Workbook

    from members.services.importing import COLUMNS, DATA_SHEET

    rng = random.Random(seed)
    today = datetime.date.today()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(DATA_SHEET)
    headers = [c.header for c in COLUMNS]
    sheet.append(headers)
    for i in range(rows):
        female = rng.random() < 0.45
        birth = datetime.date(1945, 1, 1) + datetime.timedelta(days=rng.randrange(0, 365 * 55))
        admission = birth.replace(year=birth.year + rng.randint(20, 40), day=min(birth.day, 28))
        if admission > today - datetime.timedelta(days=30):
            admission = today - datetime.timedelta(days=rng.randint(30, 300))
        official = admission.replace(year=admission.year + 1) if admission.year + 1 < today.year else None
        name = " ".join(
            [
                rng.choice(FAMILY),
                rng.choice(MIDDLE_FEMALE if female else MIDDLE_MALE),
                rng.choice(GIVEN_FEMALE if female else GIVEN_MALE),
            ]
        )
        century_digit = (0 if birth.year < 2000 else 2) + (1 if female else 0)
        values = {
            "STT": i + 1,
            "Họ và tên": name,
            "Giới tính": "Nữ" if female else "Nam",
            "Ngày sinh": birth.strftime("%d/%m/%Y"),
            "Quê quán": "Xã Định An, tỉnh An Giang",
            "Nơi sinh": "An Giang",
            "Dân tộc": "Kinh",
            "Số CCCD": f"079{century_digit}{birth.year % 100:02d}{i:06d}",
            "Điện thoại": f"09{i:08d}",
            "Chi bộ": cells[i % len(cells)].name,
            "Ngày vào Đảng": admission.strftime("%d/%m/%Y"),
            "Ngày chính thức": official.strftime("%d/%m/%Y") if official else None,
            "Số thẻ đảng viên": f"{10_000_000 + i}",
            "Số lý lịch": f"{i:06d}KG",
            "Trình độ LLCT": rng.choice(THEORY) or None,
            "Nghề nghiệp": "Nông dân",
        }
        sheet.append([values.get(h) for h in headers])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def timed_requests(client, url: str, params: dict, runs: int, counter: QueryCounter) -> dict:
    times, queries = [], []
    for _ in range(runs):
        with counter.counting():
            start = time.perf_counter()
            response = client.get(url, params)
            elapsed = time.perf_counter() - start
        assert response.status_code == 200, (url, params, response.status_code)
        times.append(elapsed * 1000)
        queries.append(counter.count)
    return {
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "queries": sorted(set(queries)),
        "rows": len(response.context["members"]) if response.context and "members" in response.context else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", type=Path, default=None, help="also write the results to this file")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    if connection.vendor != "postgresql":
        print("The benchmark runs on PostgreSQL: set DATABASE_URL (scripts/run-bench.sh does).", file=sys.stderr)
        return 2
    setup_test_environment()
    settings.DEBUG = False
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    results: dict = {
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "database": f"PostgreSQL {connection.cursor().connection.info.server_version}",
        "rows": args.rows,
        "runs": args.runs,
    }
    counter = QueryCounter()
    try:
        from members.models import Member
        from members.services.importing import member_import

        commune, cells, clerk = build_tree()

        start = time.perf_counter()
        data = generate_workbook(args.rows, cells)
        results["generate_s"] = round(time.perf_counter() - start, 2)
        results["file_mb"] = round(len(data) / 1e6, 2)

        reset = reset_peak_rss()
        rss_before = peak_rss_mb()
        with counter.counting():
            start = time.perf_counter()
            result = member_import(
                actor=clerk,
                organization_scope=commune,
                uploaded_file=SimpleUploadedFile("bench.xlsx", data),
            )
            elapsed = time.perf_counter() - start
        if not result.ok:
            print("Import failed:", result.errors[:10], file=sys.stderr)
            return 1
        results["import"] = {
            "seconds": round(elapsed, 2),
            "rows_per_s": round(args.rows / elapsed),
            "queries": counter.count,
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "peak_rss_before_mb": round(rss_before, 1),
            "peak_reset": reset,
            "created": result.created,
        }
        assert Member.objects.count() == args.rows + 1
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

        client = Client()
        client.force_login(clerk)
        url = reverse("members:list")
        deep_page = max(1, (args.rows // 25) * 7 // 8)
        cases = {
            "list page 1": {},
            f"list page {deep_page}": {"page": deep_page},
            "search “nguyen thi anh” (no diacritics)": {"q": "nguyen thi anh"},
            "filter by cell": {"organization": cells[3].pk},
            "filter by cell, page 10": {"organization": cells[3].pk, "page": 10},
        }
        client.get(url)  # warm up (templates, the clerk's roles)
        results["pages"] = {
            name: timed_requests(client, url, params, args.runs, counter) for name, params in cases.items()
        }

        export_runs = max(1, min(3, args.runs))
        times = []
        for _ in range(export_runs):
            with counter.counting():
                start = time.perf_counter()
                response = client.get(reverse("members:export"))
                times.append(time.perf_counter() - start)
            assert response.status_code == 200
        results["export"] = {
            "median_s": round(statistics.median(times), 2),
            "queries": counter.count,
            "mb": round(len(response.content) / 1e6, 2),
            "runs": export_runs,
        }
        results["peak_rss_mb_end"] = round(peak_rss_mb(), 1)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    print_report(results)
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


def print_report(r: dict) -> None:
    print(f"# Member registry benchmark — {r['date']}")
    print(f"Machine: {r['machine']}; {r['database']}; {r['rows']:,} members; {r['runs']} runs per page\n")
    print(f"Generate the workbook: {r['generate_s']} s ({r['file_mb']} MB)")
    imp = r["import"]
    print(
        f"Import: {imp['seconds']} s ({imp['rows_per_s']} rows/s), {imp['queries']} queries, "
        f"peak RSS {imp['peak_rss_mb']} MB (before: {imp['peak_rss_before_mb']} MB)\n"
    )
    print("| Request | median (ms) | p95 (ms) | queries | rows |")
    print("|---|---:|---:|---:|---:|")
    for name, m in r["pages"].items():
        print(f"| {name} | {m['median_ms']} | {m['p95_ms']} | {', '.join(map(str, m['queries']))} | {m['rows']} |")
    e = r["export"]
    print(f"\nExport of the whole list: {e['median_s']} s median of {e['runs']}, {e['queries']} queries, {e['mb']} MB")


if __name__ == "__main__":
    sys.exit(main())
